"""``python -m clover``: exit codes, errors, output files and the Pulumi CLI's conventions.

The check itself is replaced by a stand-in returning constructed results, so each case pins the
command line's own behaviour; running real programs is the subject of ``tests/test_check.py``.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import clover.__main__ as cli
from clover.analyzer import Diagnostic
from clover.check import CheckResult, PackRun
from clover.errors import CheckError
from clover.placement import Placed
from clover.project import load_project
from clover.standin.recorded import RecordedResource

ROOT = Path(__file__).resolve().parents[1]
PROGRAM = ROOT / "tests" / "data" / "programs" / "aws-bucket-us-east-1"
SARIF_SCHEMA = ROOT / "tests" / "data" / "sarif" / "sarif-schema-2.1.0.json"
PROJECT_NAME = "aws-bucket-us-east-1"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    target = tmp_path / "project"
    shutil.copytree(PROGRAM, target)
    shutil.copy(target / "Pulumi.test.yaml", target / "Pulumi.prod.yaml")
    return target


def _result(
    directory: Path, stack: str = "test", *, mandatory: int = 0, incomplete: str | None = None
) -> CheckResult:
    urn = f"urn:pulumi:{stack}::{PROJECT_NAME}::aws:s3/bucket:Bucket::exports"
    bucket = RecordedResource(
        urn=urn,
        type="aws:s3/bucket:Bucket",
        name="exports",
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
    placed = Placed(
        resource=bucket, properties={}, provider=None, region="us-east-1", location=None
    )
    diagnostics = [
        Diagnostic(
            policy_pack="eu-residency",
            policy="aws-resource-region-allowed",
            enforcement_level="mandatory",
            severity="critical",
            urn=urn,
            message="region 'us-east-1' is not allowed",
            description="AWS resources must be placed in an allowed region.",
        )
        for _ in range(mandatory)
    ]
    return CheckResult(
        project=load_project(directory),
        stack=stack,
        placed=[placed],
        diagnostics=diagnostics,
        packs=[PackRun(directory=ROOT / "policy_packs" / "eu_residency", config_file=None)],
        incomplete=incomplete,
        detail="Traceback (most recent call last):\n  program detail\n" if incomplete else None,
    )


class Checks:
    """Stands in for the check: records each call, answers with the results set per stack."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.calls: list[dict[str, Any]] = []
        self.results: dict[str, CheckResult] = {}
        self.error: BaseException | None = None

    def _one(self, stack: str) -> CheckResult:
        if self.error is not None:
            raise self.error
        return self.results.get(stack) or _result(self.directory, stack)

    def check(self, **kwargs: Any) -> CheckResult:
        self.calls.append(kwargs)
        return self._one(kwargs["stack"] or "test")

    def check_stacks(self, **kwargs: Any) -> list[CheckResult]:
        self.calls.append(kwargs)
        return [self._one(stack) for stack in kwargs["stacks"]]


@pytest.fixture
def checks(project: Path, monkeypatch: pytest.MonkeyPatch) -> Checks:
    fake = Checks(project)
    monkeypatch.setattr(cli, "check", fake.check)
    monkeypatch.setattr(cli, "check_stacks", fake.check_stacks)
    monkeypatch.delenv("PULUMI_STACK", raising=False)
    monkeypatch.delenv("CLOVER_TIMEOUT", raising=False)
    return fake


def _run(capsys: pytest.CaptureFixture[str], project: Path, *args: str) -> tuple[int, str, str]:
    code = cli.main(["check", "-C", str(project), *args])
    out, err = capsys.readouterr()
    return code, out, err


# --- exit codes ---------------------------------------------------------------------------------


def test_clean_run_exits_0(capsys: pytest.CaptureFixture[str], checks: Checks) -> None:
    code, out, err = _run(capsys, checks.directory, "-s", "test")
    assert code == 0, err
    assert "Residency check passed" in out
    assert err == ""


def test_mandatory_violation_exits_1(capsys: pytest.CaptureFixture[str], checks: Checks) -> None:
    checks.results["test"] = _result(checks.directory, mandatory=1)
    code, out, _ = _run(capsys, checks.directory, "-s", "test")
    assert code == 1
    assert "Residency check FAILED" in out


def test_incomplete_run_without_violation_exits_2_and_says_why(
    capsys: pytest.CaptureFixture[str], checks: Checks
) -> None:
    checks.results["test"] = _result(checks.directory, incomplete="sys.exit(0)")
    code, out, err = _run(capsys, checks.directory, "-s", "test")
    assert code == 2
    assert err == "clover check: the program ended before it finished: sys.exit(0)\n"
    assert "Residency check INCOMPLETE" in out
    assert "us-east-1" in out, "where what was found is placed is still shown"
    assert out.rstrip().splitlines()[-1].startswith("The program ended before it finished")


def test_incomplete_run_with_a_violation_exits_1(
    capsys: pytest.CaptureFixture[str], checks: Checks
) -> None:
    checks.results["test"] = _result(checks.directory, mandatory=1, incomplete="killed by SIGKILL")
    code, out, err = _run(capsys, checks.directory, "-s", "test")
    assert code == 1
    assert "the program ended before it finished: killed by SIGKILL" in err
    assert "Residency check FAILED" in out


def test_incomplete_run_shows_the_program_traceback_only_with_verbose(
    capsys: pytest.CaptureFixture[str], checks: Checks
) -> None:
    checks.results["test"] = _result(checks.directory, incomplete="RuntimeError: boom")
    _, _, err = _run(capsys, checks.directory, "-s", "test")
    assert "Traceback" not in err
    _, _, err = _run(capsys, checks.directory, "-s", "test", "--verbose")
    assert "program detail" in err


def test_incomplete_json_is_marked(capsys: pytest.CaptureFixture[str], checks: Checks) -> None:
    checks.results["test"] = _result(checks.directory, incomplete="deadline of 5 s")
    code, out, _ = _run(capsys, checks.directory, "-s", "test", "--format", "json")
    document = json.loads(out)
    assert code == 2
    assert document["complete"] is False
    assert document["incomplete"] == "deadline of 5 s"
    assert document["summary"]["resources"] == 1


def test_incomplete_sarif_is_marked_and_valid(
    capsys: pytest.CaptureFixture[str], checks: Checks
) -> None:
    checks.results["test"] = _result(checks.directory, mandatory=1, incomplete="SIGTERM")
    code, out, _ = _run(capsys, checks.directory, "-s", "test", "--format", "sarif")
    sarif = json.loads(out)
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(sarif)
    invocation = sarif["runs"][0]["invocations"][0]
    assert code == 1
    assert invocation["executionSuccessful"] is False
    notes = invocation["toolExecutionNotifications"]
    assert [n["message"]["text"] for n in notes] == [
        "the program ended before it finished: SIGTERM"
    ]
    assert sarif["runs"][0]["results"], "the violation found before the end is still reported"


def test_complete_sarif_says_the_run_succeeded(
    capsys: pytest.CaptureFixture[str], checks: Checks
) -> None:
    _, out, _ = _run(capsys, checks.directory, "-s", "test", "--format", "sarif")
    assert json.loads(out)["runs"][0]["invocations"] == [{"executionSuccessful": True}]


# --- Clover's own failures ----------------------------------------------------------------------


def test_internal_error_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], checks: Checks
) -> None:
    checks.error = ValueError("unexpected shape")
    code, out, err = _run(capsys, checks.directory, "-s", "test")
    assert code == 2
    assert err == (
        "clover check: internal error: ValueError: unexpected shape "
        "(run with --verbose for the traceback)\n"
    )
    assert out == ""


def test_internal_error_traceback_with_verbose(
    capsys: pytest.CaptureFixture[str], checks: Checks
) -> None:
    checks.error = ValueError("unexpected shape")
    code, _, err = _run(capsys, checks.directory, "-s", "test", "--verbose")
    assert code == 2
    assert "Traceback" in err
    assert (
        err.rstrip().splitlines()[-1]
        == "clover check: internal error: ValueError: unexpected shape"
    )


def test_a_crash_while_rendering_is_an_internal_error(
    capsys: pytest.CaptureFixture[str], checks: Checks, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(results: Sequence[CheckResult], fmt: str, **options: Any) -> str:
        raise KeyError("summary")

    monkeypatch.setattr(cli, "render_all", broken)
    code, out, err = _run(capsys, checks.directory, "-s", "test", "--json")
    assert code == 2
    assert "internal error: KeyError" in err
    assert "Traceback" not in err
    assert json.loads(out)["complete"] is False


def test_interrupt_exits_2_without_traceback(
    capsys: pytest.CaptureFixture[str], checks: Checks
) -> None:
    checks.error = KeyboardInterrupt()
    code, _, err = _run(capsys, checks.directory, "-s", "test")
    assert code == 2
    assert err == "clover check: interrupted\n"


# --- JSON on stdout is always JSON ---------------------------------------------------------------


def test_json_error_document_when_the_check_cannot_run(
    capsys: pytest.CaptureFixture[str], checks: Checks
) -> None:
    checks.error = CheckError("--policy-pack /nowhere: no such directory")
    code, out, err = _run(capsys, checks.directory, "-s", "test", "--format", "json")
    assert code == 2
    assert json.loads(out) == {
        "error": "--policy-pack /nowhere: no such directory",
        "complete": False,
    }
    assert err == "clover check: --policy-pack /nowhere: no such directory\n"


def test_json_error_document_for_bad_input_before_any_run(
    capsys: pytest.CaptureFixture[str], project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (project / "Pulumi.yaml").write_bytes(b"\x00\x01binary")
    monkeypatch.delenv("PULUMI_STACK", raising=False)
    code = cli.main(["check", "-C", str(project), "-s", "test", "--json"])
    out, err = capsys.readouterr()
    document = json.loads(out)
    assert code == 2
    assert set(document) == {"error", "complete"}
    assert "summary" not in document, "an error must never read as a clean summary"
    assert "Pulumi.yaml" in document["error"]
    assert len(err.splitlines()) == 1


def test_json_error_goes_to_stdout_only_when_stdout_is_the_output(
    capsys: pytest.CaptureFixture[str], checks: Checks, tmp_path: Path
) -> None:
    checks.error = CheckError("pack failed")
    output = tmp_path / "out.json"
    code, out, _ = _run(capsys, checks.directory, "-s", "test", "--json", "--output", str(output))
    assert code == 2
    assert out == ""
    assert not output.exists()


def test_json_is_an_alias_of_format_json(
    capsys: pytest.CaptureFixture[str], checks: Checks
) -> None:
    _, out, _ = _run(capsys, checks.directory, "-s", "test", "--json")
    assert json.loads(out)["stack"] == "test"


def test_json_and_another_format_conflict(
    capsys: pytest.CaptureFixture[str], checks: Checks
) -> None:
    code, _, err = _run(capsys, checks.directory, "-s", "test", "--json", "--format", "sarif")
    assert code == 2
    assert "--json" in err
    assert "--format sarif" in err
    assert checks.calls == []


# --- bad input, named in one line, nothing written ----------------------------------------------


def _bad_input(capsys: pytest.CaptureFixture[str], project: Path, tmp_path: Path) -> str:
    output = tmp_path / "out.json"
    code = cli.main(["check", "-C", str(project), "-s", "test", "--output", str(output)])
    err = capsys.readouterr().err
    assert code == 2, err
    assert not output.exists()
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err
    return err


def test_stack_file_that_is_not_utf8(
    capsys: pytest.CaptureFixture[str], project: Path, tmp_path: Path
) -> None:
    (project / "Pulumi.test.yaml").write_bytes(b"config:\n  aws:region: \xff\xfe\n")
    err = _bad_input(capsys, project, tmp_path)
    assert "Pulumi.test.yaml" in err
    assert "not UTF-8" in err


def test_stack_file_with_a_duplicate_key(
    capsys: pytest.CaptureFixture[str], project: Path, tmp_path: Path
) -> None:
    (project / "Pulumi.test.yaml").write_text("config:\n  aws:region: eu-west-1\n  aws:region: x\n")
    err = _bad_input(capsys, project, tmp_path)
    assert 'mapping key "aws:region" already defined at line 2' in err


def test_stack_config_that_is_a_list(
    capsys: pytest.CaptureFixture[str], project: Path, tmp_path: Path
) -> None:
    (project / "Pulumi.test.yaml").write_text("config:\n  - a\n  - b\n")
    assert "`config` must be a mapping" in _bad_input(capsys, project, tmp_path)


@pytest.mark.parametrize("flag", ["--output", "--json"])
def test_report_output_that_is_a_directory_is_refused_before_the_run(
    capsys: pytest.CaptureFixture[str], checks: Checks, tmp_path: Path, flag: str
) -> None:
    code = cli.main(["report", "-C", str(checks.directory), "-s", "test", flag, str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2
    assert f"{flag} {tmp_path}: is a directory" in err
    assert checks.calls == []


def test_output_that_is_a_directory_is_refused_before_the_run(
    capsys: pytest.CaptureFixture[str], checks: Checks, tmp_path: Path
) -> None:
    code, _, err = _run(capsys, checks.directory, "-s", "test", "--output", str(tmp_path))
    assert code == 2
    assert f"--output {tmp_path}: is a directory" in err
    assert checks.calls == []


def test_output_in_a_missing_directory_is_refused_before_the_run(
    capsys: pytest.CaptureFixture[str], checks: Checks, tmp_path: Path
) -> None:
    output = tmp_path / "missing" / "out.txt"
    code, _, err = _run(capsys, checks.directory, "-s", "test", "--output", str(output))
    assert code == 2
    assert "does not exist" in err
    assert checks.calls == []


# --- writing the output -------------------------------------------------------------------------


def _write_check(capsys: pytest.CaptureFixture[str], checks: Checks, output: Path | str) -> None:
    code, out, err = _run(capsys, checks.directory, "-s", "test", "--json", "--output", str(output))
    assert code == 0, err
    assert out == ""


def test_output_is_written_atomically_and_leaves_no_temp_file(
    capsys: pytest.CaptureFixture[str], checks: Checks, tmp_path: Path
) -> None:
    output = tmp_path / "out.json"
    output.write_text("old")
    _write_check(capsys, checks, output)
    assert json.loads(output.read_text())["stack"] == "test"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json", "project"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp_file(
    capsys: pytest.CaptureFixture[str],
    checks: Checks,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    output = tmp_path / "out.json"
    output.write_text("old")

    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    code, _, err = _run(capsys, checks.directory, "-s", "test", "--json", "--output", str(output))
    assert code == 2
    assert "No space left on device" in err
    assert output.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json", "project"]


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_new_file_gets_the_usual_mode_under_the_umask(
    capsys: pytest.CaptureFixture[str], checks: Checks, tmp_path: Path, umask: int, mode: int
) -> None:
    output = tmp_path / "out.json"
    before = os.umask(umask)
    try:
        _write_check(capsys, checks, output)
    finally:
        os.umask(before)
    assert stat.S_IMODE(output.stat().st_mode) == mode


def test_replacing_a_file_keeps_its_mode(
    capsys: pytest.CaptureFixture[str], checks: Checks, tmp_path: Path
) -> None:
    output = tmp_path / "out.json"
    output.write_text("old")
    output.chmod(0o640)
    _write_check(capsys, checks, output)
    assert stat.S_IMODE(output.stat().st_mode) == 0o640
    assert json.loads(output.read_text())["complete"] is True


def test_a_symlink_stays_a_link_and_its_target_is_written(
    capsys: pytest.CaptureFixture[str], checks: Checks, tmp_path: Path
) -> None:
    target = tmp_path / "reports" / "check.json"
    target.parent.mkdir()
    target.write_text("old")
    link = tmp_path / "latest.json"
    link.symlink_to(target)
    _write_check(capsys, checks, link)
    assert link.is_symlink()
    assert link.readlink() == target
    assert json.loads(target.read_text())["stack"] == "test"
    assert sorted(p.name for p in target.parent.iterdir()) == ["check.json"]


def test_a_dangling_symlink_gets_its_target_created(
    capsys: pytest.CaptureFixture[str], checks: Checks, tmp_path: Path
) -> None:
    target = tmp_path / "check.json"
    link = tmp_path / "latest.json"
    link.symlink_to(target)
    _write_check(capsys, checks, link)
    assert link.is_symlink()
    assert json.loads(target.read_text())["stack"] == "test"


def test_dev_null_is_written_through(capsys: pytest.CaptureFixture[str], checks: Checks) -> None:
    before = os.stat("/dev/null")
    _write_check(capsys, checks, "/dev/null")
    after = os.stat("/dev/null")
    assert stat.S_ISCHR(after.st_mode)
    assert (after.st_ino, after.st_rdev) == (before.st_ino, before.st_rdev)


def test_a_fifo_is_written_through(
    capsys: pytest.CaptureFixture[str], checks: Checks, tmp_path: Path
) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []

    def reader() -> None:
        with fifo.open("rb") as handle:
            received.append(handle.read())

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    _write_check(capsys, checks, fifo)
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert json.loads(received[0])["stack"] == "test"
    assert stat.S_ISFIFO(fifo.stat().st_mode), "the FIFO is not replaced by a file"


# --- the Pulumi CLI's conventions ---------------------------------------------------------------


def test_short_flags_and_a_fully_qualified_stack(
    capsys: pytest.CaptureFixture[str], checks: Checks
) -> None:
    code, _, err = _run(capsys, checks.directory, "-s", f"acme/{PROJECT_NAME}/prod")
    assert code == 0, err
    assert checks.calls[0]["stack"] == "prod"
    assert checks.calls[0]["organization"] == "acme"  # what the program's get_organization says
    assert checks.calls[0]["cwd"] == checks.directory


def test_a_stack_of_another_project_names_both_projects(
    capsys: pytest.CaptureFixture[str], checks: Checks
) -> None:
    code, _, err = _run(capsys, checks.directory, "--stack", "acme/billing/prod")
    assert code == 2
    assert "'billing'" in err
    assert f"'{PROJECT_NAME}'" in err
    assert checks.calls == []


def test_pulumi_stack_may_be_qualified_too(
    capsys: pytest.CaptureFixture[str], checks: Checks, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PULUMI_STACK", "acme/prod")
    code, _, _ = _run(capsys, checks.directory)
    assert code == 0
    assert checks.calls[0]["stack"] == "prod"
    assert checks.calls[0]["organization"] == "acme"


def test_the_flag_wins_over_pulumi_stack(
    capsys: pytest.CaptureFixture[str], checks: Checks, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PULUMI_STACK", "prod")
    _run(capsys, checks.directory, "-s", "test")
    assert checks.calls[0]["stack"] == "test"


def test_several_stacks_are_checked_in_one_invocation(
    capsys: pytest.CaptureFixture[str], checks: Checks
) -> None:
    code, out, _ = _run(capsys, checks.directory, "-s", "test", "-s", "prod", "--json")
    document = json.loads(out)
    assert code == 0
    assert checks.calls[0]["stacks"] == ["test", "prod"]
    assert set(document) == {"stacks"}
    assert [d["stack"] for d in document["stacks"]] == ["test", "prod"]


def test_a_repeated_stack_is_checked_once(
    capsys: pytest.CaptureFixture[str], checks: Checks
) -> None:
    _, out, _ = _run(
        capsys, checks.directory, "-s", "test", "-s", f"o/{PROJECT_NAME}/test", "--json"
    )
    assert checks.calls[0]["stack"] == "test"
    assert json.loads(out)["stack"] == "test"


def test_all_stacks_checks_every_stack_file(
    capsys: pytest.CaptureFixture[str], checks: Checks
) -> None:
    code, out, _ = _run(capsys, checks.directory, "--all-stacks", "--format", "sarif")
    runs = json.loads(out)["runs"]
    assert code == 0
    assert checks.calls[0]["stacks"] == ["prod", "test"]
    assert [r["automationDetails"]["id"] for r in runs] == [
        "clover-check/prod/",
        "clover-check/test/",
    ]
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(json.loads(out))


def test_all_stacks_and_stack_exclude_each_other(
    capsys: pytest.CaptureFixture[str], checks: Checks
) -> None:
    code, _, err = _run(capsys, checks.directory, "--all-stacks", "-s", "test")
    assert code == 2
    assert "--all-stacks" in err


def test_several_stacks_in_text_give_one_section_each(
    capsys: pytest.CaptureFixture[str], checks: Checks
) -> None:
    _, out, _ = _run(capsys, checks.directory, "-s", "test", "-s", "prod")
    assert "Placement of stack test" in out
    assert "Placement of stack prod" in out
    assert out.count("Residency check passed") == 2


@pytest.mark.parametrize(
    ("test", "prod", "code"),
    [
        ({"mandatory": 1}, {"incomplete": "SIGTERM"}, 1),
        ({}, {"incomplete": "SIGTERM"}, 2),
        ({}, {}, 0),
        ({}, {"mandatory": 2}, 1),
    ],
)
def test_exit_code_over_several_stacks(
    capsys: pytest.CaptureFixture[str],
    checks: Checks,
    test: dict[str, Any],
    prod: dict[str, Any],
    code: int,
) -> None:
    checks.results["test"] = _result(checks.directory, "test", **test)
    checks.results["prod"] = _result(checks.directory, "prod", **prod)
    assert _run(capsys, checks.directory, "-s", "test", "-s", "prod")[0] == code


def test_incomplete_stack_is_named_among_several(
    capsys: pytest.CaptureFixture[str], checks: Checks
) -> None:
    checks.results["prod"] = _result(checks.directory, "prod", incomplete="SIGTERM")
    _, _, err = _run(capsys, checks.directory, "-s", "test", "-s", "prod")
    assert err == "clover check: the program ended before it finished: SIGTERM (stack prod)\n"


def test_timeout_flag_wins_over_the_variable(
    capsys: pytest.CaptureFixture[str], checks: Checks, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOVER_TIMEOUT", "12")
    _run(capsys, checks.directory, "-s", "test", "--timeout", "30")
    _run(capsys, checks.directory, "-s", "test")
    monkeypatch.delenv("CLOVER_TIMEOUT")
    _run(capsys, checks.directory, "-s", "test")
    assert [c["timeout"] for c in checks.calls] == [30.0, 12.0, None]


@pytest.mark.parametrize("value", ["0", "-5", "soon", "nan", "inf", ""])
def test_bad_timeout_flag_is_one_line(
    capsys: pytest.CaptureFixture[str], checks: Checks, value: str
) -> None:
    code, _, err = _run(capsys, checks.directory, "-s", "test", "--timeout", value)
    assert code == 2
    assert err == f"clover check: --timeout {value!r}: not a positive number of seconds\n"
    assert checks.calls == []


def test_bad_timeout_variable_is_named(
    capsys: pytest.CaptureFixture[str], checks: Checks, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOVER_TIMEOUT", "5m")
    code, _, err = _run(capsys, checks.directory, "-s", "test")
    assert code == 2
    assert err == "clover check: CLOVER_TIMEOUT '5m': not a positive number of seconds\n"


def test_help_reads_well(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["check", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert exited.value.code == 0
    for shown in (
        "-C DIR, --cwd DIR",
        "-s NAME, --stack NAME",
        "--policy-pack DIR",
        "--policy-pack-config FILE",
        "--output FILE",
        "--timeout SECONDS",
        "--all-stacks",
        "--json",
    ):
        assert shown in text, shown


def test_report_keeps_json_as_a_file(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        cli.main(["report", "--help"])
    assert "--json FILE" in " ".join(capsys.readouterr().out.split())


def test_report_of_an_incomplete_run_exits_2(
    capsys: pytest.CaptureFixture[str], checks: Checks, tmp_path: Path
) -> None:
    checks.results["test"] = _result(checks.directory, incomplete="os._exit(0)")
    page = tmp_path / "report.html"
    code = cli.main(["report", "-C", str(checks.directory), "-s", "test", "--output", str(page)])
    err = capsys.readouterr().err
    assert code == 2
    assert "clover report: the program ended before it finished: os._exit(0)" in err
    assert page.read_text().startswith("<!")
