"""The text view: a summary of where the resources are, violations grouped by pack and resource,
mandatory first, messages as written (no console markup), colour only when asked for."""

from __future__ import annotations

import random
import re
import shutil
import sys
from pathlib import Path

import pytest

import clover.__main__ as cli
from clover.analyzer import Diagnostic
from clover.check import CheckResult, PackRun
from clover.output.text import specific_message, to_text
from clover.placement import Placed
from clover.project import load_project
from clover.standin.recorded import RecordedResource
from tests.test_cli import Checks

ROOT = Path(__file__).resolve().parents[1]
PROGRAM = ROOT / "tests" / "data" / "programs" / "aws-bucket-us-east-1"
PREFIX = "urn:pulumi:test::aws-bucket-us-east-1::"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
DESCRIPTION = "AWS resources must be placed in an allowed region."


@pytest.fixture
def checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Checks:
    """The command line with the check replaced by results set per stack (tests/test_cli.py)."""
    project = tmp_path / "project"
    shutil.copytree(PROGRAM, project)
    fake = Checks(project)
    monkeypatch.setattr(cli, "check", fake.check)
    monkeypatch.setattr(cli, "check_stacks", fake.check_stacks)
    monkeypatch.delenv("PULUMI_STACK", raising=False)
    return fake


def resource(type_: str, name: str, region: str | None) -> Placed:
    recorded = RecordedResource(
        urn=f"{PREFIX}{type_}::{name}",
        type=type_,
        name=name,
        custom=True,
        inputs={},
        provider=None,
        parent=None,
        protect=False,
        retain_on_delete=False,
        dependencies=(),
        property_dependencies={},
        id=None,
    )
    return Placed(resource=recorded, properties={}, provider=None, region=region)


def violation(
    name: str, policy: str, level: str = "mandatory", pack: str = "eu-residency", text: str = ""
) -> Diagnostic:
    urn = f"{PREFIX}aws:s3/bucket:Bucket::{name}"
    return Diagnostic(
        policy_pack=pack,
        policy=policy,
        enforcement_level=level,
        severity="critical" if level == "mandatory" else "medium",
        urn=urn,
        message=f"{DESCRIPTION}\n{urn}: {text or policy + ' on ' + name}",
        description=DESCRIPTION,
    )


PLACED = [
    resource("aws:s3/bucket:Bucket", "exports", "us-east-1"),
    resource("aws:s3/bucket:Bucket", "archive", "eu-west-1"),
    resource("aws:s3/bucket:Bucket", "logs", "eu-west-1"),
    resource("aws:sqs/queue:Queue", "jobs", "eu-north-1"),
]


def result(diagnostics: list[Diagnostic]) -> CheckResult:
    return CheckResult(
        project=load_project(PROGRAM),
        stack="test",
        placed=PLACED,
        diagnostics=diagnostics,
        packs=[PackRun(directory=ROOT / "policy_packs" / "eu_residency", config_file=None)],
        pack_names=("eu-residency", "eu-data-protection"),
    )


FOUND = [
    violation("exports", "aws-resource-region-allowed"),
    violation("exports", "bucket-versioning", level="advisory", pack="eu-data-protection"),
    violation("archive", "bucket-encryption", pack="eu-data-protection"),
    violation("exports", "a-late-advisory", level="advisory"),
]


def test_a_summary_counts_resources_per_site_cloud_region_and_country() -> None:
    text = to_text(result([]))
    rows = [line.split() for line in text.splitlines() if line.strip().startswith("-")]
    assert ["-", "aws", "eu-west-1", "IE", "Ireland", "2"] in rows
    assert ["-", "aws", "us-east-1", "-", "1"] in rows
    assert ["-", "aws", "eu-north-1", "SE", "Sweden", "1"] in rows
    # No per-resource table by default: the names appear only with --table.
    assert "jobs" not in text
    assert "jobs" in to_text(result([]), table=True)


def test_violations_are_grouped_by_pack_then_resource_mandatory_first() -> None:
    lines = [line.strip() for line in to_text(result(FOUND)).splitlines() if line.strip()]
    order = [
        "eu-residency: 1 mandatory, 1 advisory",
        "exports  aws:s3/bucket:Bucket",
        "mandatory aws-resource-region-allowed (critical)",
        "aws-resource-region-allowed on exports",
        "advisory  a-late-advisory (medium)",
        "eu-data-protection: 1 mandatory, 1 advisory",
        "archive  aws:s3/bucket:Bucket",
        "mandatory bucket-encryption (critical)",
        "exports  aws:s3/bucket:Bucket",
        "advisory  bucket-versioning (medium)",
    ]
    at = 0
    for line in order:
        assert line in lines[at:], (line, lines)
        at = lines.index(line, at) + 1
    assert (
        lines[-1] == "Residency check FAILED: 4 resources, 2 mandatory and 2 advisory violation(s)."
    )


def test_the_order_does_not_depend_on_the_order_found() -> None:
    shuffled = FOUND[:]
    random.Random(7).shuffle(shuffled)
    assert to_text(result(shuffled)) == to_text(result(FOUND))


def test_a_pack_without_violations_says_so() -> None:
    text = to_text(result([]))
    assert "eu-residency: no violations" in text
    assert "eu-data-protection: no violations" in text
    assert "Residency check passed" in text


def test_messages_are_printed_as_written_not_as_markup() -> None:
    found = [violation("exports", "r", text="[mandatory] [bold]x[/bold] [/] [link=y]z")]
    text = to_text(result(found), color=True)
    assert "[mandatory] [bold]x[/bold] [/] [link=y]z" in ANSI.sub("", text)


def test_the_rule_description_and_urn_prefix_are_not_repeated() -> None:
    (found,) = [violation("exports", "r", text="region 'us-east-1' is not allowed")]
    assert specific_message(found) == "region 'us-east-1' is not allowed"
    text = to_text(result([found]))
    assert DESCRIPTION not in text
    assert text.count(found.urn) == 1  # once, under the resource's name


def test_colour_only_when_asked() -> None:
    assert ANSI.search(to_text(result(FOUND))) is None
    coloured = to_text(result(FOUND), color=True)
    assert "\x1b[1;31mmandatory" in coloured
    assert ANSI.sub("", coloured) == to_text(result(FOUND))


def test_no_line_ends_in_blanks() -> None:
    assert all(line == line.rstrip() for line in to_text(result(FOUND)).splitlines())


@pytest.mark.parametrize(
    ("flag", "no_color", "coloured"),
    [
        ("always", None, True),
        ("always", "1", True),
        ("never", None, False),
        ("auto", None, False),  # captured output is no terminal
    ],
)
def test_color_flag_and_no_color(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    *,
    checks: Checks,
    flag: str,
    no_color: str | None,
    coloured: bool,
) -> None:
    if no_color is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", no_color)
    checks.results["test"] = result(FOUND)
    cli.main(["check", "-C", str(checks.directory), "-s", "test", "--color", flag])
    out = capsys.readouterr().out
    assert bool(ANSI.search(out)) is coloured


@pytest.mark.parametrize(
    ("no_color", "term", "coloured"),
    [(None, "xterm", True), ("1", "xterm", False), (None, "dumb", False)],
)
def test_auto_colour_on_a_terminal(
    monkeypatch: pytest.MonkeyPatch,
    *,
    no_color: str | None,
    term: str,
    coloured: bool,
) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setenv("TERM", term)
    if no_color is None:
        monkeypatch.delenv("NO_COLOR", raising=False)
    else:
        monkeypatch.setenv("NO_COLOR", no_color)
    args = cli._parser().parse_args(["check", "--color", "auto"])
    assert cli._text_options(args)["color"] is coloured


def test_table_with_the_flag_or_verbose(capsys: pytest.CaptureFixture[str], checks: Checks) -> None:
    checks.results["test"] = result([])
    for extra, shown in (([], False), (["--table"], True), (["--verbose"], True)):
        cli.main(["check", "-C", str(checks.directory), "-s", "test", *extra])
        assert ("Resources of stack test" in capsys.readouterr().out) is shown, extra


def test_a_bad_color_value_is_refused(capsys: pytest.CaptureFixture[str], checks: Checks) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["check", "-C", str(checks.directory), "-s", "test", "--color", "pink"])
    assert exited.value.code == 2
    assert "argument --color: invalid choice: 'pink'" in capsys.readouterr().err
    assert checks.calls == []
