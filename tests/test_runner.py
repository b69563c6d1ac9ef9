"""The program runs in a process of its own; the verdict is made outside it.

Whatever the program does (exit early in any way, print, hang, get killed), the check's exit code
and output stay the check's: never 0 for a run that did not finish, never the program's own code.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import signal
import subprocess
import sys
import sysconfig
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from clover.__main__ import main
from clover.check import check, check_stacks
from clover.project import load_project
from clover.runner import STANDIN_DIR, ProgramHost, RunnerError, program_imports
from clover.standin.recorded import RecordedResource

REPO = Path(__file__).resolve().parents[1]
RESIDENCY = REPO / "policy_packs" / "eu_residency"
# Only the residency pack: the data-protection pack's defaults rightly block a bare bucket.
ONLY_RESIDENCY = ["--policy-pack", str(RESIDENCY)]

EU_BUCKET = 'eu = aws.s3.Bucket("eu", bucket="eu-data", region="eu-west-1")\n'
US_BUCKET = 'aws.s3.Bucket("us", region="us-east-1")\n'


def _project(tmp_path: Path, body: str, *, runtime: str = "python", stacks: int = 1) -> Path:
    (tmp_path / "Pulumi.yaml").write_text(f"name: prog\nruntime: {runtime}\n")
    for i in range(stacks):
        name = "test" if i == 0 else f"test{i + 1}"
        (tmp_path / f"Pulumi.{name}.yaml").write_text("config:\n  aws:region: eu-west-1\n")
    header = "import os, signal, sys, time\nimport pulumi\nimport pulumi_aws as aws\n"
    (tmp_path / "__main__.py").write_text(header + textwrap.dedent(body))
    return tmp_path


def _run(directory: Path, timeout: float = 60) -> tuple[list[RecordedResource], object]:
    seen: list[RecordedResource] = []
    with ProgramHost(load_project(directory)) as host:
        result = host.run(
            "test", {"aws:region": "eu-west-1"}, on_register=seen.append, timeout=timeout
        )
    return seen, result


ENDINGS = {
    "sys.exit(0)": ("sys.exit(0)", "it called sys.exit(0)"),
    "sys.exit(3)": ("sys.exit(3)", "it called sys.exit(3)"),
    "sys.exit(str)": ('sys.exit("bye")', "it called sys.exit('bye')"),
    "raise SystemExit": ("raise SystemExit", "it called sys.exit(None)"),
    "raise KeyboardInterrupt": ("raise KeyboardInterrupt", "it raised KeyboardInterrupt"),
    "os._exit(0)": ("os._exit(0)", "its process exited with code 0"),
    "os._exit(7)": ("os._exit(7)", "its process exited with code 7"),
    "SIGKILL": ("os.kill(os.getpid(), signal.SIGKILL)", "its process was killed by SIGKILL"),
    "exception": ('raise ValueError("nope")', "it raised ValueError: nope"),
}


@pytest.mark.parametrize("ending", sorted(ENDINGS))
def test_a_program_that_ends_early_is_incomplete_with_the_reason(
    tmp_path: Path, ending: str
) -> None:
    statement, reason = ENDINGS[ending]
    # The program stops once the engine has answered the first registration (the bucket's name
    # is known at preview), as a program that ends while its resources register; what it would
    # have registered after that is cut short.
    body = EU_BUCKET + f"def stop(_):\n    {statement}\n    {US_BUCKET}eu.bucket.apply(stop)\n"
    seen, result = _run(_project(tmp_path, body))
    assert getattr(result, "complete", None) is False
    assert reason in str(getattr(result, "incomplete", ""))
    assert [r.name for r in seen] == ["eu"], "resources registered before the end are kept"


@pytest.mark.parametrize("ending", ["sys.exit(0)", "os._exit(0)", "SIGKILL"])
def test_cli_never_exits_0_for_a_run_that_did_not_finish(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], ending: str
) -> None:
    statement, _ = ENDINGS[ending]
    directory = _project(
        tmp_path, EU_BUCKET + f"def stop(_):\n    {statement}\neu.bucket.apply(stop)\n"
    )
    code = main(
        ["check", "--cwd", str(directory), "--stack", "test", "--format", "json", *ONLY_RESIDENCY]
    )
    out, err = capsys.readouterr()
    assert code == 2, err
    assert "the program ended before it finished" in err
    assert json.loads(out)["complete"] is False


def test_a_violation_found_before_the_early_end_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = _project(tmp_path, US_BUCKET + "sys.exit(0)\n")
    code = main(
        ["check", "--cwd", str(directory), "--stack", "test", "--format", "json", *ONLY_RESIDENCY]
    )
    out, err = capsys.readouterr()
    assert code == 1, err
    document = json.loads(out)
    assert document["complete"] is False
    assert any(d["urn"].endswith("::us") for d in document["diagnostics"])


def test_what_the_program_prints_never_reaches_stdout(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    body = 'print("{not json")\nsys.stdout.write("more")\nos.write(1, b"raw fd 1")\n' + EU_BUCKET
    directory = _project(tmp_path, body)
    code = main(
        ["check", "--cwd", str(directory), "--stack", "test", "--format", "json", *ONLY_RESIDENCY]
    )
    out, err = capfd.readouterr()
    assert code == 0, err
    assert json.loads(out)["complete"] is True
    assert "{not json" in err
    assert "raw fd 1" in err


def test_a_program_that_never_returns_is_stopped_at_the_deadline(tmp_path: Path) -> None:
    directory = _project(tmp_path, EU_BUCKET + "eu.bucket.apply(lambda _: time.sleep(3600))\n")
    started = time.monotonic()
    result = check(cwd=directory, stack="test", timeout=2)
    assert time.monotonic() - started < 30
    assert result.incomplete is not None
    assert "did not finish within 2 s" in result.incomplete
    assert [p.resource.name for p in result.placed] == ["eu"]


def test_nothing_the_program_started_survives_the_run(tmp_path: Path) -> None:
    pid_file = tmp_path / "grandchild.pid"
    body = (
        EU_BUCKET
        + "import subprocess\n"
        + "p = subprocess.Popen(['sleep', '600'])\n"
        + f"open({str(pid_file)!r}, 'w').write(str(p.pid))\n"
    )
    _, result = _run(_project(tmp_path, body))
    assert getattr(result, "complete", None) is True
    assert not _alive(int(pid_file.read_text()))


def _alive(pid: int) -> bool:
    """Running (not merely a zombie waiting to be reaped)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    state = next(line for line in status.splitlines() if line.startswith("State:"))
    return "Z" not in state.split()[1]


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    todo = [pid]
    while todo:
        current = todo.pop()
        for task in Path(f"/proc/{current}/task").glob("*"):
            children = (task / "children").read_text().split()
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    todo.append(child)
    return found


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
def test_a_signal_to_the_check_stops_the_program_and_every_pack(
    tmp_path: Path, signum: signal.Signals
) -> None:
    marker = tmp_path / "running"
    body = EU_BUCKET + f"open({str(marker)!r}, 'w').write(str(os.getpid()))\ntime.sleep(3600)\n"
    directory = _project(tmp_path, body)
    check_process = subprocess.Popen(
        [sys.executable, "-m", "clover", "check", "--cwd", str(directory), "--stack", "test"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert marker.exists(), "the program never started"
        time.sleep(0.5)
        family = _descendants(check_process.pid)
        program_pid = int(marker.read_text())
        assert program_pid in family
        assert len(family) >= 4, f"interpreter, job and two packs expected, found {family}"
        check_process.send_signal(signum)
        _, err = check_process.communicate(timeout=60)
    finally:
        if check_process.poll() is None:
            check_process.kill()
    # SIGKILL leaves the check no way out of its own: the reaper (clover/reaper.py) and the
    # program's job, which watches the check, stop the rest.
    assert check_process.returncode == (-signal.SIGKILL if signum == signal.SIGKILL else 2), err
    deadline = time.monotonic() + 10
    while {pid for pid in family if _alive(pid)} and time.monotonic() < deadline:
        time.sleep(0.2)
    survivors = {pid for pid in family if _alive(pid)}
    assert not survivors, f"left running after {signum.name}: {survivors}"


def _venv(path: Path, *, with_pulumi: bool) -> Path:
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    if with_pulumi:
        # The test's own site-packages stand in for the project's installed requirements.
        version = f"python{sys.version_info.major}.{sys.version_info.minor}"
        site = path / "lib" / version / "site-packages"
        (site / "project-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return path


def test_the_program_runs_with_the_virtualenv_of_pulumi_yaml(tmp_path: Path) -> None:
    body = """
        try:
            import clover
            name = "clover-is-visible"
        except ImportError:
            name = os.path.basename(sys.prefix)
        aws.s3.Bucket(name, region="eu-west-1")
    """
    directory = _project(tmp_path, body)
    _venv(tmp_path / "projvenv", with_pulumi=True)
    (directory / "Pulumi.yaml").write_text(
        "name: prog\nruntime:\n  name: python\n  options:\n    virtualenv: projvenv\n"
    )
    seen, result = _run(directory)
    assert getattr(result, "complete", None) is True
    assert [r.name for r in seen] == ["projvenv"]


def test_without_a_virtualenv_the_program_runs_with_clovers_python(tmp_path: Path) -> None:
    directory = _project(
        tmp_path, 'aws.s3.Bucket(sys.executable.replace("/", "_"), region="eu-west-1")\n'
    )
    seen, _ = _run(directory)
    assert [r.name for r in seen] == [sys.executable.replace("/", "_")]


def test_a_virtualenv_without_pulumi_gets_one_clear_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = _project(tmp_path, EU_BUCKET)
    _venv(tmp_path / "bare", with_pulumi=False)
    (directory / "Pulumi.yaml").write_text(
        "name: prog\nruntime:\n  name: python\n  options:\n    virtualenv: bare\n"
    )
    code = main(["check", "--cwd", str(directory), "--stack", "test"])
    _, err = capsys.readouterr()
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "cannot import pulumi" in lines[0]
    assert str(tmp_path / "bare") in lines[0]


def test_a_virtualenv_that_is_not_one_is_named(tmp_path: Path) -> None:
    directory = _project(tmp_path, EU_BUCKET)
    (directory / "broken").mkdir()
    (directory / "Pulumi.yaml").write_text(
        "name: prog\nruntime:\n  name: python\n  options:\n    virtualenv: broken\n"
    )
    with pytest.raises(RunnerError, match=r"virtualenv = 'broken'.*is not a virtualenv"):
        ProgramHost(load_project(directory))


def test_a_virtualenv_not_created_yet_runs_the_program_with_clovers_python(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `pulumi install` would create it; offline the program runs with Clover's Python and the
    # user is told so in one line.
    directory = _project(tmp_path, EU_BUCKET)
    (directory / "Pulumi.yaml").write_text(
        "name: prog\nruntime:\n  name: python\n  options:\n    virtualenv: venv\n"
    )
    host = ProgramHost(load_project(directory))
    assert host.python == sys.executable
    assert host.notice is not None
    assert "'venv' of Pulumi.yaml does not exist yet" in host.notice
    code = main(
        ["check", "--cwd", str(directory), "--stack", "test", "--policy-pack", str(RESIDENCY)]
    )
    _, err = capsys.readouterr()
    assert code == 0, err
    assert err.count("does not exist yet") == 1, err


def test_uv_toolchain_defaults_to_dot_venv(tmp_path: Path) -> None:
    directory = _project(tmp_path, EU_BUCKET)
    (directory / "Pulumi.yaml").write_text(
        "name: prog\nruntime:\n  name: python\n  options:\n    toolchain: uv\n"
    )
    # Not created yet (`pulumi install` would): Clover's Python, saying which venv is missing.
    missing = ProgramHost(load_project(directory))
    assert missing.python == sys.executable
    assert missing.notice is not None
    assert "'.venv'" in missing.notice
    _venv(directory / ".venv", with_pulumi=True)
    assert ProgramHost(load_project(directory)).python == str(
        directory / ".venv" / "bin" / "python"
    )


def test_the_program_does_not_see_clovers_modules(tmp_path: Path) -> None:
    # A program module named like one of Clover's (config, check, engine) is the program's own.
    (tmp_path / "config.py").write_text("NAME = 'the-programs-own'\n")
    directory = _project(
        tmp_path, 'import config\naws.s3.Bucket(config.NAME, region="eu-west-1")\n'
    )
    seen, _ = _run(directory)
    assert [r.name for r in seen] == ["the-programs-own"]


def test_the_program_finds_its_config_in_the_environment_as_the_language_host_sets_it(
    tmp_path: Path,
) -> None:
    """pulumi-language-python passes the stack's configuration in PULUMI_CONFIG (JSON, fully
    qualified keys) and PULUMI_CONFIG_SECRET_KEYS; a program reading them there sees the stack's."""
    directory = _project(
        tmp_path,
        """
        import json
        given = json.loads(os.environ["PULUMI_CONFIG"])
        secret = json.loads(os.environ["PULUMI_CONFIG_SECRET_KEYS"])
        aws.s3.Bucket(f"at-{given['aws:region']}-{len(secret)}", region=given["aws:region"])
        """,
    )
    seen, _ = _run(directory)
    assert [r.name for r in seen] == ["at-eu-west-1-0"]


def test_a_second_stack_reuses_what_the_first_imported(tmp_path: Path) -> None:
    body = """
        import importlib
        lazy = "pulumi_aws.workspacesweb.session_logger"  # loaded lazily, as SDK modules are
        state = "warm" if lazy in sys.modules else "cold"
        importlib.import_module(lazy)
        aws.s3.Bucket(state, region="eu-west-1")
    """
    directory = _project(tmp_path, body, stacks=2)
    with ProgramHost(load_project(directory)) as host:
        names: list[str] = []
        first = host.run("test", {}, on_register=lambda r: names.append(r.name), timeout=60)
        second = host.run("test2", {}, on_register=lambda r: names.append(r.name), timeout=60)
    assert first.complete
    assert second.complete
    assert names == ["cold", "warm"]
    assert second.preloaded >= 1


def test_check_stacks_checks_each_stack(tmp_path: Path) -> None:
    directory = _project(
        tmp_path,
        'aws.s3.Bucket("b", region=pulumi.get_stack() == "test" and "eu-west-1" or "us-east-1")\n',
        stacks=2,
    )
    results = check_stacks(cwd=directory, stacks=["test", "test2"], packs=[RESIDENCY])
    assert [r.stack for r in results] == ["test", "test2"]
    assert not results[0].mandatory
    assert results[1].mandatory
    assert results[1].mandatory[0].urn == "urn:pulumi:test2::prog::aws:s3/bucket:Bucket::b"


# grpc, protobuf (google) and PyYAML are dependencies of the pulumi SDK itself (its metadata's
# Requires-Dist), so they are wherever pulumi is.
STANDIN_ALLOWED = {"pulumi", "grpc", "google", "yaml"}


@pytest.mark.parametrize("module", sorted(p.name for p in STANDIN_DIR.glob("*.py")))
def test_the_stand_in_needs_only_the_pulumi_sdk(module: str) -> None:
    """The stand-in is loaded into the project's interpreter, which has Clover's dependencies
    only if the project installed them: stdlib, pulumi (with grpc, protobuf) and siblings."""
    tree = ast.parse((STANDIN_DIR / module).read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots = [alias.name.split(".")[0] for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level > 0:
                continue
            roots = [(node.module or "").split(".")[0]]
        else:
            continue
        for root in roots:
            assert root in sys.stdlib_module_names or root in STANDIN_ALLOWED, (
                f"clover/standin/{module}:{node.lineno} imports {root}"
            )


def test_data_sources_answered_offline_are_listed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = """
        ami = aws.ec2.get_ami(most_recent=True, owners=["amazon"])
        statement = {"actions": ["s3:GetObject"], "resources": ["*"]}
        doc = aws.iam.get_policy_document(statements=[statement])
        aws.ec2.Instance("vm", ami=ami.id, instance_type="t3.micro")
    """
    directory = _project(tmp_path, body)
    code = main(
        ["check", "--cwd", str(directory), "--stack", "test", "--format", "json", *ONLY_RESIDENCY]
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    sources = json.loads(out)["dataSources"]
    assert [(s["token"], s["how"]) for s in sources] == [
        ("aws:ec2/getAmi:getAmi", "shaped"),
        ("aws:iam/getPolicyDocument:getPolicyDocument", "computed"),
    ]
    assert sources[0]["caller"].endswith("__main__.py:5")


def test_the_interpreter_preloads_what_the_program_imports(tmp_path: Path) -> None:
    directory = _project(tmp_path, "from lib import net\nimport helpers\n")
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "__init__.py").write_text("")
    (tmp_path / "lib" / "net.py").write_text("import pulumi_azure_native\nimport ipaddress\n")
    (tmp_path / "helpers.py").write_text("from lib.net import x\n")
    (tmp_path / "unused.py").write_text("import hypothesis\n")
    names = program_imports(load_project(directory))
    assert {"pulumi", "pulumi_aws", "pulumi_azure_native", "ipaddress"} <= set(names)
    assert "hypothesis" not in names, "only what the entry point reaches"
    assert not {"lib", "helpers", "net"} & set(names), "the program's own modules run in the job"


def test_the_preload_names_the_lazily_loaded_submodules_the_program_reaches(
    tmp_path: Path,
) -> None:
    # Provider SDKs load submodules on first attribute access; those are most of the import time.
    body = (
        "import pulumi_aws as aws\n"
        "from pulumi_azure_native import network as net, storage\n"
        "from pulumi_gcp.compute import Network\n"
        "aws.ec2.Vpc('v')\n"
        "net.VirtualNetwork('n')\n"
        "storage.StorageAccount('s')\n"
        "local = object()\n"
        "local.attribute\n"
    )
    names = set(program_imports(load_project(_project(tmp_path, body))))
    assert {
        "pulumi_aws.ec2",
        "pulumi_aws.ec2.Vpc",
        "pulumi_azure_native.network",
        "pulumi_azure_native.network.VirtualNetwork",
        "pulumi_azure_native.storage.StorageAccount",
        "pulumi_gcp.compute",
        "pulumi_gcp.compute.Network",
    } <= names
    assert not any(n.startswith("local") for n in names), "only names bound by an import"


def test_a_preloaded_job_has_the_submodules_loaded_before_the_program_runs(
    tmp_path: Path,
) -> None:
    body = (
        "import sys\nimport pulumi_aws as aws\n"
        "if 'pulumi_aws.ec2.vpc' not in sys.modules:\n"
        "    raise RuntimeError('not preloaded')\n"
        "def later():\n"
        "    return aws.ec2.Vpc\n" + EU_BUCKET
    )
    seen, result = _run(_project(tmp_path, body))
    assert getattr(result, "incomplete", None) is None
    assert [r.name for r in seen] == ["eu"]


def test_an_installed_package_that_hangs_on_import_is_stopped_at_the_deadline(
    tmp_path: Path,
) -> None:
    venv = _venv(tmp_path / "projvenv", with_pulumi=True)
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    (venv / "lib" / version / "site-packages" / "hangs_on_import.py").write_text(
        "import time\ntime.sleep(3600)\n"
    )
    directory = _project(tmp_path, "import hangs_on_import\n" + EU_BUCKET)
    (directory / "Pulumi.yaml").write_text(
        "name: prog\nruntime:\n  name: python\n  options:\n    virtualenv: projvenv\n"
    )
    started = time.monotonic()
    _, result = _run(directory, timeout=3)
    assert time.monotonic() - started < 30
    assert "did not finish within 3 s" in str(getattr(result, "incomplete", ""))


def test_a_second_stack_of_a_lazily_loaded_sdk_program_still_runs(tmp_path: Path) -> None:
    # azure-native loads its modules lazily; a warm fork must find every class the cold one did.
    body = """
        from pulumi_azure_native import resources, storage
        rg = resources.ResourceGroup("rg", resource_group_name="rg", location="northeurope")
        account = storage.StorageAccount(
            "sa", resource_group_name=rg.name, kind="StorageV2", sku={"name": "Standard_LRS"}
        )
        storage.BlobContainer("c", account_name=account.name, resource_group_name=rg.name)
    """
    directory = _project(tmp_path, body, stacks=2)
    with ProgramHost(load_project(directory)) as host:
        runs = [
            host.run(stack, {}, on_register=lambda _: None, timeout=120)
            for stack in ("test", "test2")
        ]
    assert [(r.complete, r.incomplete, r.count) for r in runs] == [(True, None, 3)] * 2


def test_a_program_does_not_outlive_a_killed_check(tmp_path: Path) -> None:
    marker = tmp_path / "running"
    body = EU_BUCKET + f"open({str(marker)!r}, 'w').write(str(os.getpid()))\ntime.sleep(3600)\n"
    directory = _project(tmp_path, body)
    check_process = subprocess.Popen(
        [sys.executable, "-m", "clover", "check", "--cwd", str(directory), "--stack", "test"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    family: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert marker.exists(), "the program never started"
        time.sleep(0.3)
        family = _descendants(check_process.pid)
        program_pid = int(marker.read_text())
        check_process.kill()  # SIGKILL: no handler of the check runs
        check_process.wait(timeout=30)
        deadline = time.monotonic() + 15
        while _alive(program_pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(program_pid)
    finally:
        for pid in family:  # the packs' servers have no way to notice; clean them up here
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def test_the_job_reports_which_placement_arguments_each_type_takes(tmp_path: Path) -> None:
    body = """
        aws.s3.Bucket("eu", region="eu-west-1")
        aws.iam.Role("role", assume_role_policy="{}")
        from pulumi_azure_native import resources, storage
        rg = resources.ResourceGroup("rg", location="northeurope")
        storage.BlobContainer("c", account_name="a", resource_group_name=rg.name)
    """
    seen, _ = _run(_project(tmp_path, body))
    arguments = {r.name: r.arguments for r in seen}
    # A pulumi-aws v7 bucket takes a region, a role (IAM is global) none; an azure-native group
    # takes a location, a container (a sub-resource of its account) none.
    assert arguments == {"eu": ("region",), "role": (), "rg": ("location",), "c": ()}


def _collect(into: list[str]) -> Callable[[RecordedResource], None]:
    return lambda resource: into.append(resource.name)


def test_two_jobs_run_at_once_and_each_gets_its_own_resources(tmp_path: Path) -> None:
    body = """
        aws.s3.Bucket(pulumi.get_stack() + "-first", region="eu-west-1")
        aws.s3.Bucket(pulumi.get_stack() + "-second", region="eu-west-1")
    """
    directory = _project(tmp_path, body, stacks=2)
    seen: dict[str, list[str]] = {"test": [], "test2": []}
    with ProgramHost(load_project(directory)) as host:
        jobs = [
            host.submit(stack, {}, on_register=_collect(seen[stack]), timeout=60)
            for stack in ("test", "test2")
        ]
        runs = [host.wait(job) for job in reversed(jobs)]
    assert all(run.complete for run in runs)
    # Each job's own resources, whatever order the SDK's thread pool registered them in.
    assert {stack: sorted(names) for stack, names in seen.items()} == {
        "test": ["test-first", "test-second"],
        "test2": ["test2-first", "test2-second"],
    }


def test_a_cancelled_job_stops_and_the_other_job_runs_on(tmp_path: Path) -> None:
    body = """
        if pulumi.get_stack() == "test2":
            pathlib.Path("slow.pid").write_text(str(os.getpid()))
            time.sleep(600)
        aws.s3.Bucket("b", region="eu-west-1")
    """
    directory = _project(tmp_path, "import pathlib\n" + textwrap.dedent(body), stacks=2)
    names: list[str] = []
    with ProgramHost(load_project(directory)) as host:
        slow = host.submit("test2", {}, on_register=lambda _: None, timeout=60)
        fast = host.submit("test", {}, on_register=lambda r: names.append(r.name), timeout=60)
        deadline = time.monotonic() + 30
        while not (directory / "slow.pid").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        pid = int((directory / "slow.pid").read_text())
        host.cancel(slow)
        run = host.wait(fast)
    assert run.complete
    assert names == ["b"]
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)


def test_a_line_torn_by_a_killed_writer_costs_only_its_own_event(tmp_path: Path) -> None:
    # Two jobs share the events pipe; one killed mid-line leaves a torn line that the next
    # writer's line continues (clover/standin/child.py _Events). The whole line is kept.
    host = ProgramHost(load_project(_project(tmp_path, "")))
    read, write = os.pipe()
    whole = json.dumps({"t": "resource", "job": 2, "name": "kept"})
    os.write(write, b'\x1e{"t":"resource","job":1,"na' + b"\x1e" + whole.encode() + b"\n")
    os.close(write)
    host._events = os.fdopen(read, "rb")
    try:
        assert host._next_event() == json.loads(whole)
        assert host._next_event() is None
    finally:
        host._events.close()


def test_closing_the_host_stops_a_cancelled_job_it_never_saw_start(tmp_path: Path) -> None:
    body = """
        pathlib.Path("slow.pid").write_text(str(os.getpid()))
        time.sleep(600)
    """
    directory = _project(tmp_path, "import pathlib\n" + textwrap.dedent(body))
    with ProgramHost(load_project(directory)) as host:
        host.cancel(host.submit("test", {}, on_register=lambda _: None, timeout=60))
        deadline = time.monotonic() + 30
        while not (directory / "slow.pid").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        pid = int((directory / "slow.pid").read_text())
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid)


def test_the_interpreter_serves_control_descriptors_numbered_past_fd_setsize(
    tmp_path: Path,
) -> None:
    # A check holding many descriptors (a test run, a long-lived API caller) hands the
    # interpreter its control pipe as a high number, which select() cannot watch.
    directory = _project(tmp_path, EU_BUCKET)
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        seen, result = _run(directory)
    finally:
        for fd in held:
            os.close(fd)
    assert getattr(result, "complete", None) is True
    assert [r.name for r in seen] == ["eu"]


def test_two_resources_with_one_urn_fail_the_run_as_the_engine_fails_it(tmp_path: Path) -> None:
    directory = _project(tmp_path, EU_BUCKET + 'aws.s3.Bucket("eu", region="eu-west-1")\n')
    seen, result = _run(directory)
    assert [r.name for r in seen] == ["eu"]
    assert getattr(result, "incomplete", "") == (
        "it failed: Duplicate resource URN 'urn:pulumi:test::prog::aws:s3/bucket:Bucket::eu'; "
        "try giving it a unique name"
    )


def test_a_program_that_empties_the_check_s_code_in_its_process_gets_no_verdict(
    tmp_path: Path,
) -> None:
    body = """
        import types
        for name, module in list(sys.modules.items()):
            if "standin" in name and isinstance(module, types.ModuleType):
                for key, value in list(vars(module).items()):
                    if callable(value) and not isinstance(value, type) and key[:2] != "__":
                        setattr(module, key, lambda *a, **k: None)
        aws.s3.Bucket("us", region="us-east-1")
    """
    directory = _project(tmp_path, body, stacks=2)
    with ProgramHost(load_project(directory)) as host:
        first = host.run("test", {}, on_register=lambda _: None, timeout=60)
        # The interpreter that forked the job is not the job: it serves the next stack.
        second = host.run("test2", {}, on_register=lambda _: None, timeout=60)
    assert first.complete is False
    assert first.incomplete == (
        "it replaced the check's code in its own process, so its run cannot be trusted"
    )
    assert second.complete is False
