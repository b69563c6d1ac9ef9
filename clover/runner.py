"""Run a project's program in a process of its own and receive its registrations.

The verdict belongs to the check, never to the program it judges: the program runs in a child
process started with the project's own interpreter (the virtualenv named in ``Pulumi.yaml``, as
the Python language host chooses it), with the engine stand-in of :mod:`clover.standin` loaded
into it from Clover's own files, so the child needs only the ``pulumi`` SDK. Each registration
arrives here as it happens; the run counts as whole only when the child says ``done`` after the
program returned. Anything else (``sys.exit``, ``os._exit``, an exception, a signal, a deadline)
makes the run incomplete, with everything registered until then kept.

The program's own output goes to the check's stderr, so the check's stdout stays its own. The child
leads a process group of its own: at the end, on a deadline or when the check is interrupted, the
whole group is killed, so nothing the program started outlives the check.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from clover import reaper
from clover.project import Project
from clover.standin.recorded import RecordedResource

STANDIN_DIR = Path(__file__).resolve().parent / "standin"

# Loads clover/standin under a private name, so neither the program nor its virtualenv needs
# Clover installed and nothing of Clover's shadows the program's own modules (``config``, ...).
# ``-c`` puts the current directory first on the import path, as ``python __main__.py`` puts the
# program's; each job then sets its own program directory.
_BOOTSTRAP = """\
import importlib.util, os, sys
_d = sys.argv[1]
_s = importlib.util.spec_from_file_location(
    "_clover_standin", os.path.join(_d, "__init__.py"), submodule_search_locations=[_d])
_m = importlib.util.module_from_spec(_s)
sys.modules["_clover_standin"] = _m
_s.loader.exec_module(_m)
import _clover_standin.child as _c
_code = _c.main(sys.argv[2:4])
sys.stdout.flush()
sys.stderr.flush()
os._exit(_code)
"""


class RunnerError(Exception):
    """The program cannot be started: its interpreter is missing or lacks ``pulumi``."""


@dataclass
class ProgramRun:
    """What one run of the program delivered."""

    complete: bool = False
    incomplete: str | None = None
    """Why the run is not whole, in words for the user; None when it is."""
    detail: str | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    invokes: list[Any] = field(default_factory=list)
    count: int = 0
    preloaded: int = 0
    """Installed modules the interpreter imported after the previous job, ahead of this one."""


def project_python(project: Project) -> tuple[str, str]:
    """The interpreter the Python language host would run the program with, and why that one.

    ``runtime.options.virtualenv`` names a virtualenv relative to the project directory
    (https://www.pulumi.com/docs/iac/languages-sdks/python/#virtual-environments); with
    ``toolchain: uv`` it defaults to ``.venv``. Without either the program runs with the
    interpreter running Clover, like ``python __main__.py`` would.
    """
    options = project.runtime_options
    virtualenv = options.get("virtualenv")
    toolchain = options.get("toolchain")
    if virtualenv is None and toolchain == "uv":
        virtualenv = ".venv"
    if virtualenv is None and toolchain == "poetry":
        return _poetry_python(project)
    if virtualenv is None:
        return sys.executable, "the Python running Clover"
    if not isinstance(virtualenv, str) or not virtualenv:
        raise RunnerError(
            f"{project.directory / 'Pulumi.yaml'}: runtime.options.virtualenv must be a path, "
            f"not {virtualenv!r}"
        )
    venv = (project.directory / virtualenv).absolute()
    python = venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if not venv.exists():
        # The language host would create it and install the requirements (`pulumi install`);
        # offline the program runs with Clover's Python, and a module it lacks is named then.
        return sys.executable, (
            f"the Python running Clover: the virtualenv {virtualenv!r} of Pulumi.yaml does not "
            f"exist yet (`pulumi install` creates it)"
        )
    if not python.exists():
        raise RunnerError(
            f"{project.directory / 'Pulumi.yaml'}: runtime.options.virtualenv = {virtualenv!r}, "
            f"but {venv} is not a virtualenv (no {python.relative_to(venv)}); create it and "
            f"install the program's requirements: python -m venv {virtualenv} && "
            f"{virtualenv}/bin/pip install -r requirements.txt"
        )
    return str(python), f"the virtualenv {virtualenv!r} of Pulumi.yaml"


def _poetry_python(project: Project) -> tuple[str, str]:
    poetry = shutil.which("poetry")
    if poetry is None:
        raise RunnerError(
            f"{project.directory / 'Pulumi.yaml'}: runtime.options.toolchain is poetry, but "
            "`poetry` is not on PATH to find the project's environment"
        )
    found = subprocess.run(  # noqa: S603 - fixed argv
        [poetry, "env", "info", "--executable"],
        cwd=project.directory,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    python = found.stdout.strip()
    if found.returncode != 0 or not python:
        raise RunnerError(
            f"{project.directory}: `poetry env info --executable` found no environment: "
            f"{(found.stderr or found.stdout).strip() or found.returncode}"
        )
    return python, "the poetry environment of the project"


_SCAN_LIMIT = 300


def _local_module(root: Path, dotted: str) -> Path | None:
    base = root.joinpath(*dotted.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _attribute_chain(node: ast.Attribute) -> list[str] | None:
    """``aws.ec2.Vpc`` as ``["aws", "ec2", "Vpc"]``; None for anything but names and attributes."""
    parts: list[str] = []
    current: ast.expr = node
    while isinstance(current, ast.Attribute):
        parts.append(current.attr)
        current = current.value
    return [current.id, *reversed(parts)] if isinstance(current, ast.Name) else None


def _imported_names(tree: ast.Module) -> list[str]:
    """Every dotted name a module imports, with the attribute chains it reaches through them."""
    found: list[str] = []
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                found.append(alias.name)
                top = alias.name.split(".")[0]
                aliases[alias.asname or top] = alias.name if alias.asname else top
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append(node.module)
            for alias in node.names:
                found.append(f"{node.module}.{alias.name}")
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and (chain := _attribute_chain(node)):
            name, *attributes = chain
            if name in aliases:
                found.append(".".join([aliases[name], *attributes]))
    return found


def program_imports(project: Project) -> list[str]:
    """Installed modules the program imports: the entry point's imports and, transitively, those
    of the project's own modules it imports (at most a few hundred files). The interpreter
    imports them ahead of the first job, while the packs start; naming too many or too few
    costs only time, never correctness: the job imports whatever it needs itself.

    Provider SDKs load their submodules lazily, on first attribute access, and those are most
    of a program's import time (``pulumi_azure_native.network`` alone takes over a second), so
    the submodules a program reaches are named too: ``from pulumi_aws import ec2`` and
    ``aws.ec2.Vpc(...)`` after ``import pulumi_aws as aws`` both name ``pulumi_aws.ec2``; the
    class (``pulumi_aws.ec2.Vpc``) is named as well, because reaching a lazily loaded submodule
    does not load it: reaching one of its classes does.
    """
    root = project.main.parent
    names: set[str] = set()
    for _, tree in _program_modules(project):
        names.update(n for n in _imported_names(tree) if _local_module(root, n) is None)
    return sorted(n for n in names if _local_module(root, n.split(".")[0]) is None)


def _program_modules(project: Project) -> list[tuple[Path, ast.Module]]:
    """The entry point and, transitively, the project's own modules it imports, parsed."""
    root = project.main.parent
    todo, seen = [project.main], {project.main}
    found: list[tuple[Path, ast.Module]] = []
    while todo and len(seen) <= _SCAN_LIMIT:
        path = todo.pop()
        try:
            tree = ast.parse(path.read_bytes())
        except (SyntaxError, ValueError, OSError):
            continue
        found.append((path, tree))
        for name in _imported_names(tree):
            local = _local_module(root, name)
            if local is not None and local not in seen:
                seen.add(local)
                todo.append(local)
    return found


def branches_on_dry_run(project: Project) -> bool:
    """Whether the program's own code asks whether it runs as a preview
    (``pulumi.runtime.is_dry_run``): what it registers may then differ under ``pulumi up``."""
    return any(
        isinstance(node, (ast.Attribute, ast.Name))
        and (node.attr if isinstance(node, ast.Attribute) else node.id) == "is_dry_run"
        for _, tree in _program_modules(project)
        for node in ast.walk(tree)
    )


def _resource(event: Mapping[str, Any]) -> RecordedResource:
    source = event.get("source")
    return RecordedResource(
        urn=event["urn"],
        type=event["type"],
        name=event["name"],
        custom=bool(event["custom"]),
        inputs=event["inputs"],
        provider=event.get("provider"),
        parent=event.get("parent"),
        protect=bool(event.get("protect")),
        retain_on_delete=bool(event.get("retain_on_delete")),
        dependencies=tuple(event.get("dependencies") or ()),
        property_dependencies={
            k: tuple(v) for k, v in (event.get("property_dependencies") or {}).items()
        },
        id=event.get("id"),
        source=(str(source[0]), int(source[1])) if source else None,
        arguments=(
            tuple(str(a) for a in event["arguments"])
            if isinstance(event.get("arguments"), list)
            else None
        ),
        proofs={str(k): str(v) for k, v in (event.get("proofs") or {}).items()},
        remote=bool(event.get("remote")),
        providers={str(k): str(v) for k, v in (event.get("providers") or {}).items()},
        hooks=tuple(str(h) for h in event.get("hooks") or ()),
    )


def _kill_group(pid: int) -> None:
    """Kill a process group (a job, or the server with anything left in it)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _stderr_fd() -> int:
    """The file descriptor behind ``sys.stderr``; the process's fd 2 when it has none (captured)."""
    try:
        return sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        return 2


def _signal_name(code: int) -> str:
    try:
        return signal.Signals(code).name
    except ValueError:
        return f"signal {code}"


class ProgramHost:
    """The project's interpreter, started once, running one program job per stack.

    ``with ProgramHost(project) as host: host.run(stack, config, on_register=..., timeout=...)``.
    The interpreter imports ``pulumi`` once and forks a job per run, so a second stack starts
    with what the first imported from site-packages already loaded.
    """

    def __init__(self, project: Project) -> None:
        self.project = project
        self.python, self.why = project_python(project)
        self.notice: str | None = (
            f"the program runs with {self.why}" if "does not exist yet" in self.why else None
        )
        """A line worth telling the user before the run, or None."""
        self._process: subprocess.Popen[bytes] | None = None
        self._control: IO[bytes] | None = None
        self._events: IO[bytes] | None = None
        self._ready = False
        self._jobs: dict[int, ProgramJob] = {}
        self._last_job = 0

    def start(self) -> None:
        """Start the interpreter and let it import what the program will import, without
        waiting: it gets ready while the policy packs start."""
        if self._process is not None:
            return
        self._spawn()
        assert self._control is not None
        preload = {"preload": program_imports(self.project)}
        with contextlib.suppress(BrokenPipeError):
            self._control.write((json.dumps(preload) + "\n").encode("utf-8"))
            self._control.flush()

    def __enter__(self) -> ProgramHost:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the interpreter and anything still running in it."""
        process, self._process = self._process, None
        self._ready = False
        unseen = any(job.pid is None and job.code is None for job in self._jobs.values())
        for job in self._jobs.values():
            job.kill()  # each job leads a session of its own, outside the interpreter's group
        for handle in (self._control, self._events):
            if handle is not None:
                with contextlib.suppress(OSError):
                    handle.close()
        self._control = self._events = None
        if process is not None:
            if unseen:
                # A job whose start the check has not read yet: with its control pipe closed,
                # the interpreter stops the jobs it runs, then exits.
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(timeout=2)
            _kill_group(process.pid)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=10)
            reaper.forget(process.pid)

    def _spawn(self) -> None:
        control_read, control_write = os.pipe()
        events_read, events_write = os.pipe()
        try:
            self._process = subprocess.Popen(  # noqa: S603 - argv built here, no shell
                [
                    self.python,
                    "-u",
                    "-c",
                    _BOOTSTRAP,
                    str(STANDIN_DIR),
                    str(control_read),
                    str(events_write),
                ],
                cwd=self.project.main.parent,
                stdin=subprocess.DEVNULL,
                # The program's prints are not the check's output: they go to its stderr.
                stdout=_stderr_fd(),
                pass_fds=(control_read, events_write),
                start_new_session=True,
            )
        except OSError as err:
            os.close(control_write)
            os.close(events_read)
            raise RunnerError(
                f"cannot start {self.python} ({self.why}): {err.strerror or err}"
            ) from None
        finally:
            os.close(control_read)
            os.close(events_write)
        reaper.watch(self._process.pid)  # its session, stopped even if the check is killed
        self._control = os.fdopen(control_write, "wb")
        self._events = os.fdopen(events_read, "rb")

    def _kill_interpreter(self) -> None:
        if self._process is not None:
            _kill_group(self._process.pid)

    def _wait_ready(self, timeout: float) -> None:
        if self._ready:
            return
        timer = threading.Timer(timeout, self._kill_interpreter)
        timer.daemon = True
        timer.start()
        try:
            first = self._next_event()
        finally:
            timer.cancel()
        if first is not None and first.get("t") == "ready":
            self._ready = True
            return
        self.close()
        if first is not None and first.get("t") == "fatal":
            raise RunnerError(
                f"the program's Python {self.python} ({self.why}) {first.get('why')}: install "
                f"the program's requirements into it (for example: {self.python} -m pip install "
                "-r requirements.txt)"
            )
        raise RunnerError(f"{self.python} ({self.why}) could not start the program's runtime")

    def _next_event(self) -> dict[str, Any] | None:
        if self._events is None:  # closed: the interpreter is gone
            return None
        for line in self._events:
            # A line continuing a torn one (a job killed mid-line, clover/standin/child.py
            # _Events): the record is what follows the last separator.
            record = line.rsplit(b"\x1e", 1)[-1]
            try:
                event = json.loads(record)
            except json.JSONDecodeError:
                continue  # a torn last line of a killed job
            if isinstance(event, dict):
                return event
        return None

    def run(
        self,
        stack: str,
        config: Mapping[str, str],
        *,
        on_register: Callable[[RecordedResource], None],
        timeout: float,
        secret_keys: list[str] | None = None,
        evidence: bool = False,
    ) -> ProgramRun:
        """Run the program for ``stack`` in preview mode; ``on_register`` gets each resource as
        it is registered. Raises :class:`RunnerError` when the program cannot be started.

        ``evidence``: run it as an update instead, every output known (stand-in values), to learn
        what the values unknown at preview compute to (check.py)."""
        job = self.submit(
            stack,
            config,
            on_register=on_register,
            timeout=timeout,
            secret_keys=secret_keys,
            evidence=evidence,
        )
        return self.wait(job)

    def submit(
        self,
        stack: str,
        config: Mapping[str, str],
        *,
        on_register: Callable[[RecordedResource], None],
        timeout: float,
        secret_keys: list[str] | None = None,
        evidence: bool = False,
        organization: str | None = None,
    ) -> ProgramJob:
        """Start a run without waiting for it; :meth:`wait` collects it. Several runs may be
        under way at once (a stack's preview and its evidence run): each event names its job,
        and ``on_register`` is called for this job's resources while any job is waited for.
        The deadline ``timeout`` counts from now."""
        self.start()
        self._wait_ready(timeout)
        assert self._control is not None
        self._last_job += 1
        job = ProgramJob(self._last_job, on_register)
        request = {
            "id": job.id,
            "main": str(self.project.main),
            "project": self.project.name,
            "stack": stack,
            "config": dict(config),
            "secret_keys": secret_keys or [],
            "check_pid": os.getpid(),
            "evidence": evidence,
            "organization": organization,
        }
        try:
            self._control.write((json.dumps(request) + "\n").encode("utf-8"))
            self._control.flush()
        except BrokenPipeError:
            self.close()
            raise RunnerError(f"{self.python} ({self.why}) ended before the program ran") from None
        self._jobs[job.id] = job

        def on_deadline() -> None:
            job.timed_out = True
            if job.pid is None:
                # Still importing ahead of the job (an installed package that hangs on import):
                # stopping the interpreter ends the run as well.
                self._kill_interpreter()
            job.kill()

        job.timer = threading.Timer(timeout, on_deadline)
        job.timer.daemon = True
        job.timer.start()
        job.timeout = timeout
        return job

    def cancel(self, job: ProgramJob) -> None:
        """Stop ``job``: its events still under way are dropped. A job not yet started is
        stopped as soon as it says it has started; it is forgotten once it has ended."""
        job.cancelled = True
        job.kill()
        job.settle()

    def wait(self, job: ProgramJob) -> ProgramRun:
        """Collect ``job`` to its end, handing other jobs' events to them as they arrive."""
        try:
            while job.code is None and (event := self._next_event()) is not None:
                if event.get("t") == "warm":
                    # What an ended job imported, now loaded for the jobs still to fork.
                    for waiting in self._jobs.values():
                        if waiting.pid is None:
                            waiting.run.preloaded = int(event.get("modules") or 0)
                    continue
                owner = self._jobs.get(int(event.get("job") or 0))
                if owner is not None:
                    owner.handle(event)
                    if owner.code is not None and owner is not job:
                        owner.settle()
                        if owner.cancelled:
                            self._jobs.pop(owner.id, None)
        except BaseException:
            # Interrupted (SIGINT/SIGTERM) or the check failed: nothing of the job may survive.
            for running in self._jobs.values():
                running.kill()
            self.close()
            raise
        if job.code is None:  # the interpreter itself went away
            self.close()
        job.settle()
        self._jobs.pop(job.id, None)
        return job.run


class ProgramJob:
    """One program run as its events arrive."""

    def __init__(self, job_id: int, on_register: Callable[[RecordedResource], None]) -> None:
        self.id = job_id
        self.on_register = on_register
        self.run = ProgramRun()
        self.pid: int | None = None
        self.code: int | None = None
        self.timed_out = False
        self.cancelled = False
        """Stopped by the check (:meth:`ProgramHost.cancel`): its resources are not reported."""
        self.timeout = 0.0
        self.timer: threading.Timer | None = None
        self.ended: dict[str, Any] | None = None
        self._settled = False

    def settle(self) -> None:
        """The job is over (or the interpreter is gone): stop its deadline and whatever the
        program started and left running, and say why the run is incomplete if it is."""
        if self._settled:
            return
        self._settled = True
        if self.timer is not None:
            self.timer.cancel()
        self.kill()
        if not self.run.complete:
            self.run.incomplete = self.why_incomplete(self.timeout)

    def kill(self) -> None:
        if self.pid is not None:
            _kill_group(self.pid)
            reaper.forget(self.pid)

    def handle(self, event: Mapping[str, Any]) -> None:
        kind = event.get("t")
        if kind == "resource":
            if self.cancelled:
                return
            self.run.count += 1
            self.on_register(_resource(event))
        elif kind == "started":
            self.pid = int(event["pid"])
            reaper.watch(self.pid)  # the job leads a session of its own
            if self.timed_out or self.cancelled:
                self.kill()
        elif kind == "done":
            self.run.complete = True
            self.run.outputs = event.get("outputs") or {}
            self.run.invokes = event.get("invokes") or []
        elif kind == "ended":
            self.ended = dict(event)
            self.run.detail = event.get("detail")
        elif kind == "exit":
            self.code = int(event["code"])

    def why_incomplete(self, timeout: float) -> str:
        if self.timed_out:
            return (
                f"it did not finish within {timeout:g} s and was stopped "
                "(set the deadline with --timeout SECONDS or CLOVER_TIMEOUT)"
            )
        if self.ended is not None:
            why = self.ended.get("why")
            if isinstance(why, str) and why:
                return why
            # The job's own report was emptied: the program replaced the check's code in its
            # process.
            return "it replaced the check's code in its own process, so its run cannot be trusted"
        if self.code is not None and self.code < 0:
            return f"its process was killed by {_signal_name(-self.code)}"
        if self.code is not None:
            return f"its process exited with code {self.code} (os._exit or a crash)"
        return "the program's interpreter ended unexpectedly"
