"""The open-world corpus: programs from the installed SDKs' own docstrings get a verdict.

A fixed subset of the corpus that ``benchmarks/corpus/extract.py`` writes, chosen by name: each
program runs under the SDK's bare mocks (checked here first, so a stale choice fails as such) and
must then get a verdict, exit 0 or 1, from ``python -m clover check``, run as a user runs it.
The whole corpus is measured by ``benchmarks/corpus/run.py`` (see benchmarks/RESULTS.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from benchmarks.corpus.extract import (
    Example,
    examples,
    examples_in_file,
    python_examples,
    site_packages,
    write,
)
from benchmarks.corpus.run import normalise, select

ROOT = Path(__file__).resolve().parents[1]
CHECK = [sys.executable, "-m", "clover", "check"]

# (SDK module file, corpus program) pairs. pulumi-azure-native 3.x ships no Python examples in
# its docstrings, so every program here is pulumi-aws's; together they cover the idioms real
# programs use: plain and ``_output`` data sources, a resource passed where its id is expected,
# policy documents, nested input types, ``apply`` chains and exports.
SUBSET: list[tuple[str, str]] = [
    ("s3/bucket_policy.py", "pulumi_aws/s3/BucketPolicy"),
    ("directoryservice/directory.py", "pulumi_aws/directoryservice/Directory-3"),
    ("alb/listener.py", "pulumi_aws/alb/Listener-4"),
    ("cloudfront/get_distribution.py", "pulumi_aws/cloudfront/get_distribution"),
    ("apigateway/response.py", "pulumi_aws/apigateway/Response"),
    ("appsync/api.py", "pulumi_aws/appsync/Api-1"),
    ("cloudtrail/trail.py", "pulumi_aws/cloudtrail/Trail-1"),
    ("ec2/nat_gateway.py", "pulumi_aws/ec2/NatGateway-5"),
    ("cloudwatch/metric_alarm.py", "pulumi_aws/cloudwatch/MetricAlarm-6"),
    ("cognito/user_pool_client.py", "pulumi_aws/cognito/UserPoolClient-4"),
    ("acm/get_certificate.py", "pulumi_aws/acm/get_certificate"),
    ("alb/get_load_balancer.py", "pulumi_aws/alb/get_load_balancer"),
]


def _write_subset(out: Path) -> list[Path]:
    site = site_packages()
    directories: list[Path] = []
    for module_file, program in SUBSET:
        package = site / "pulumi_aws"
        chosen = [
            e
            for e in examples_in_file(package, package / module_file)
            if str(e.relative) == program
        ]
        assert chosen, f"{program} is no longer an example in pulumi_aws/{module_file}"
        directories.append(write(chosen[0], out))
    return directories


def _bare_mocks(directories: list[Path]) -> dict[str, str]:
    """The bare-mocks status of each program: "ran", or the error's first line."""
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "corpus" / "baremocks.py"), "60"],
        input="".join(f"{d}\n" for d in directories),
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    results = [json.loads(line) for line in done.stdout.splitlines()]
    return {r["dir"]: r["status"] if r["status"] == "ran" else r["error"] for r in results}


def _check(directory: Path) -> tuple[Path, int, str, str]:
    done = subprocess.run(
        [*CHECK, "--cwd", str(directory), "--stack", "test", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
        timeout=240,
        cwd=ROOT,
    )
    return directory, done.returncode, done.stdout, done.stderr


def test_subset_runs_under_bare_mocks_and_gets_a_verdict(tmp_path: Path) -> None:
    directories = _write_subset(tmp_path)
    statuses = _bare_mocks(directories)
    not_running = {d: s for d, s in statuses.items() if s != "ran"}
    assert not not_running, f"no longer run under the SDK's bare mocks: {not_running}"
    assert len(statuses) == len(SUBSET)

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = list(pool.map(_check, directories))
    no_verdict = {
        str(d.relative_to(tmp_path)): f"exit {code}: {err.strip().splitlines()[-1:]}"
        for d, code, _, err in outcomes
        if code not in (0, 1)
    }
    assert not no_verdict, f"no verdict from the check: {no_verdict}"
    for directory, _, stdout, _ in outcomes:
        assert json.loads(stdout)["stack"] == "test", f"{directory}: stdout is not the report"


DOCSTRING = """A thing.

## Example Usage

### Basic

```python
import pulumi_aws as aws
aws.s3.Bucket("a")
```

### In the shell

```sh
aws s3 ls
```

### With a policy

```python
import pulumi_aws as aws
aws.s3.Bucket("b")
```

## Import

```python
print("not an example")
```
"""


def test_two_python_blocks_give_two_examples_and_other_languages_are_skipped() -> None:
    assert python_examples(DOCSTRING) == [
        'import pulumi_aws as aws\naws.s3.Bucket("a")\n',
        'import pulumi_aws as aws\naws.s3.Bucket("b")\n',
    ]


def test_no_example_section_gives_no_example() -> None:
    assert python_examples("A thing.\n\n```python\nx = 1\n```\n") == []


def _fake_sdk(root: Path) -> Path:
    package = root / "pulumi_fake"
    (package / "things").mkdir(parents=True)
    (package / "things" / "v20200101").mkdir()
    doc = DOCSTRING.replace("\n", "\n        ")
    source = (
        "from typing import overload\n"
        "class Thing:\n"
        "    @overload\n"
        f'    def __init__(self, name: str) -> None:\n        """{doc}"""\n'
        "    @overload\n"
        f'    def __init__(self, name: str, args: int) -> None:\n        """{doc}"""\n'
        "    def __init__(self, *args: object) -> None: ...\n"
        f'def get_thing() -> None:\n    """{doc}"""\n'
        f'def get_thing_output() -> None:\n    """{doc}"""\n'
    )
    (package / "things" / "thing.py").write_text(source, encoding="utf-8")
    # A versioned module (as azure-native publishes) repeats the default one and is left out.
    (package / "things" / "v20200101" / "thing.py").write_text(source, encoding="utf-8")
    return package


def test_each_docstring_is_taken_once_and_versioned_modules_are_left_out(tmp_path: Path) -> None:
    found = list(examples(_fake_sdk(tmp_path)))
    assert [str(e.relative) for e in found] == [
        "pulumi_fake/things/Thing-1",
        "pulumi_fake/things/Thing-2",
        "pulumi_fake/things/get_thing-1",
        "pulumi_fake/things/get_thing-2",
    ]


def test_written_project_has_a_european_stack(tmp_path: Path) -> None:
    example = Example("pulumi_aws", "s3", "Bucket", 1, 1, "import pulumi\n")
    directory = write(example, tmp_path)
    assert directory == tmp_path / "pulumi_aws" / "s3" / "Bucket"
    assert (
        (directory / "Pulumi.yaml")
        .read_text(encoding="utf-8")
        .startswith("name: corpus-pulumi-aws-s3-bucket\nruntime: python\n")
    )
    stack = (directory / "Pulumi.test.yaml").read_text(encoding="utf-8")
    assert "aws:region: eu-west-1" in stack
    assert "azure-native:location: northeurope" in stack
    assert (directory / "__main__.py").read_text(encoding="utf-8") == "import pulumi\n"


@pytest.mark.parametrize("count", [1, 3])
def test_directory_names_number_only_docstrings_with_several_examples(count: int) -> None:
    example = Example("pulumi_aws", "ec2", "get_ami", 1, count, "")
    assert example.relative.name == ("get_ami" if count == 1 else "get_ami-1")


def test_sample_is_the_same_for_the_same_seed(tmp_path: Path) -> None:
    found = [tmp_path / f"p{i}" for i in range(50)]
    first = select(found, tmp_path, sample=10, seed=3)
    assert first == select(found, tmp_path, sample=10, seed=3)
    assert len(set(first)) == 10
    assert first != select(found, tmp_path, sample=10, seed=4)
    assert select(found, tmp_path, only="p4*", limit=3) == found[4:5] + found[40:42]


def test_error_lines_group_by_cause_not_by_name() -> None:
    a = normalise("clover check: the program ended: KeyError: 'arn' at /tmp/x/__main__.py:12")
    b = normalise("clover check: the program ended: KeyError: 'id' at /work/y/__main__.py:3")
    assert a == b
    assert "arn" not in a
    assert normalise("ModuleNotFoundError: No module named 'pulumi_std'") != normalise(
        "ModuleNotFoundError: No module named 'pulumi_tls'"
    )
