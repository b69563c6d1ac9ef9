"""``clover check`` writes text, SARIF and the evidence report from one run of the program.

CI runs each stack's program once and keeps every output of that run (the log's text, SARIF for
code scanning, the report for auditors) instead of running it once per output: the outputs agree
because they come from one result, and the job costs one run.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import clover.__main__ as cli
from clover import check as checker
from clover.check import CheckResult
from clover.errors import CheckError

ROOT = Path(__file__).resolve().parents[1]
PROGRAM = ROOT / "tests" / "data" / "programs" / "aws-bucket-us-east-1"
SARIF_SCHEMA = ROOT / "tests" / "data" / "sarif" / "sarif-schema-2.1.0.json"
# The report says when it was generated; two runs differ in that and nothing else.
GENERATED_AT = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    target = tmp_path / "project"
    shutil.copytree(PROGRAM, target)
    shutil.copy(target / "Pulumi.test.yaml", target / "Pulumi.prod.yaml")
    monkeypatch.delenv("PULUMI_STACK", raising=False)
    monkeypatch.delenv("CLOVER_TIMEOUT", raising=False)
    return target


class Counted:
    """Wraps the real check and counts the runs of the program."""

    def __init__(self) -> None:
        self.runs = 0
        self.check = checker.check
        self.check_stacks = checker.check_stacks

    def one(self, **kwargs: Any) -> CheckResult:
        self.runs += 1
        return self.check(**kwargs)

    def several(self, **kwargs: Any) -> list[CheckResult]:
        self.runs += len(kwargs["stacks"])
        return self.check_stacks(**kwargs)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Counted:
    counter = Counted()
    monkeypatch.setattr(cli, "check", counter.one)
    monkeypatch.setattr(cli, "check_stacks", counter.several)
    return counter


def _main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def _sarif(path: Path) -> dict[str, Any]:
    document = json.loads(path.read_text(encoding="utf-8"))
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator(schema).validate(document)
    assert isinstance(document, dict)
    return document


def test_one_run_writes_what_three_runs_wrote(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], counted: Counted
) -> None:
    together = tmp_path / "together"
    apart = tmp_path / "apart"
    together.mkdir()
    apart.mkdir()
    code, text, _ = _main(
        capsys,
        *("check", "-C", str(project), "--stack", "test", "--format", "text"),
        *("--sarif", str(together / "check.sarif")),
        *("--report", str(together / "report.html")),
        *("--report-json", str(together / "report.json")),
    )
    assert counted.runs == 1
    # us-east-1 is outside the allow-list: the verdict is kept, and every output still written.
    assert code == cli.EXIT_VIOLATIONS
    assert "aws-resource-region-allowed" in text

    runs_before = counted.runs
    code_text, text_alone, _ = _main(
        capsys, "check", "-C", str(project), "--stack", "test", "--format", "text"
    )
    code_sarif, _, _ = _main(
        capsys,
        *("check", "-C", str(project), "--stack", "test", "--format", "sarif"),
        *("--output", str(apart / "check.sarif")),
    )
    code_report, _, _ = _main(
        capsys,
        *("report", "-C", str(project), "--stack", "test"),
        *("--output", str(apart / "report.html"), "--json", str(apart / "report.json")),
    )
    assert counted.runs == runs_before + 3
    assert code_text == code_sarif == code_report == code

    assert text == text_alone
    assert _sarif(together / "check.sarif") == _sarif(apart / "check.sarif")
    for name in ("report.html", "report.json"):
        mine = GENERATED_AT.sub("<time>", (together / name).read_text(encoding="utf-8"))
        theirs = GENERATED_AT.sub("<time>", (apart / name).read_text(encoding="utf-8"))
        assert "<time>" in mine, name
        assert mine == theirs, name
    facts = json.loads((together / "report.json").read_text(encoding="utf-8"))
    assert facts["stack"] == "test"


def test_sarif_beside_json_on_stdout(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], counted: Counted
) -> None:
    sarif = tmp_path / "check.sarif"
    code, out, _ = _main(
        capsys,
        *("check", "-C", str(project), "--stack", "test", "--json", "--sarif", str(sarif)),
    )
    assert counted.runs == 1
    assert code == cli.EXIT_VIOLATIONS
    assert json.loads(out)["summary"]["mandatory"] >= 1
    runs = _sarif(sarif)["runs"]
    results = [result["ruleId"] for run in runs for result in run["results"]]
    assert "eu-residency/aws-resource-region-allowed" in results


def test_sarif_of_several_stacks_has_each_stack(
    project: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], counted: Counted
) -> None:
    sarif = tmp_path / "check.sarif"
    alone = tmp_path / "alone.sarif"
    stacks = ("--stack", "test", "--stack", "prod")
    code, _, _ = _main(capsys, "check", "-C", str(project), *stacks, "--sarif", str(sarif))
    assert code == cli.EXIT_VIOLATIONS
    _main(
        capsys,
        *("check", "-C", str(project), *stacks, "--format", "sarif", "--output", str(alone)),
    )
    assert counted.runs == 4
    assert _sarif(sarif) == _sarif(alone)


# --- refused before the program runs ------------------------------------------------------------


@pytest.mark.parametrize("flag", ["--report", "--report-json"])
def test_a_report_of_several_stacks_is_refused_before_the_run(
    project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    counted: Counted,
    flag: str,
) -> None:
    out = tmp_path / "report.out"
    code, _, err = _main(
        capsys,
        *("check", "-C", str(project), "--stack", "test", "--stack", "prod"),
        *(flag, str(out)),
    )
    assert code == cli.EXIT_USAGE
    assert "a report covers one stack" in err
    assert counted.runs == 0
    assert not out.exists()


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("--output", "--sarif"),
        ("--sarif", "--report"),
        ("--report", "--report-json"),
        ("--output", "--report-json"),
    ],
)
def test_one_file_named_for_two_outputs_is_refused_before_the_run(
    *,
    project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    counted: Counted,
    first: str,
    second: str,
) -> None:
    target = tmp_path / "out"
    link = tmp_path / "link"
    link.symlink_to(target)
    code, _, err = _main(
        capsys,
        *("check", "-C", str(project), "--stack", "test"),
        *(first, str(target), second, str(link)),
    )
    assert code == cli.EXIT_USAGE
    assert f"{second} {link}: the same file as {first}" in err
    assert counted.runs == 0
    assert not target.exists()


@pytest.mark.parametrize("flag", ["--sarif", "--report", "--report-json"])
def test_an_unwritable_extra_output_is_refused_before_the_run(
    project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    counted: Counted,
    flag: str,
) -> None:
    code, _, err = _main(
        capsys,
        *("check", "-C", str(project), "--stack", "test"),
        *(flag, str(tmp_path / "missing" / "out")),
    )
    assert code == cli.EXIT_USAGE
    assert f"{flag} {tmp_path / 'missing' / 'out'}: directory" in err
    assert counted.runs == 0
    code, _, err = _main(
        capsys, "check", "-C", str(project), "--stack", "test", flag, str(tmp_path)
    )
    assert code == cli.EXIT_USAGE
    assert "is a directory" in err
    assert counted.runs == 0


def test_no_sarif_and_no_report_when_the_check_gives_no_verdict(
    project: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # An empty SARIF log uploaded to code scanning would close every open alert: a check that
    # could not run writes none, and no report that would look like evidence.
    def broken(**_: Any) -> CheckResult:
        raise CheckError("the program could not be loaded")

    monkeypatch.setattr(cli, "check", broken)
    sarif, report, facts = tmp_path / "c.sarif", tmp_path / "r.html", tmp_path / "r.json"
    code, _, err = _main(
        capsys,
        *("check", "-C", str(project), "--stack", "test", "--sarif", str(sarif)),
        *("--report", str(report), "--report-json", str(facts)),
    )
    assert code == cli.EXIT_USAGE
    assert "the program could not be loaded" in err
    assert not sarif.exists()
    assert not report.exists()
    assert not facts.exists()
