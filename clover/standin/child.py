"""The program's side of the offline check: run Pulumi programs and report what they register.

The check starts this module in a process of its own, with the project's own interpreter, as the
Pulumi language host starts a program (``pulumi-language-python-exec``). The verdict is not made
here: every registration is written to the check as it happens, one JSON line each, on a pipe the
check owns, so whatever the program does afterwards (``sys.exit``, ``os._exit``, a hang, a crash)
can neither take back what it registered nor speak for the check. Only a ``done`` line, written
after the program returned and every registration completed, tells the check the run was whole.

This process is a small fork server: it imports ``pulumi`` once, then runs each job (one stack)
in a forked child that leads a process group of its own, so the check can stop a job and all it
started, and a second stack reuses what the first one imported.

Jobs arrive on the control pipe, one JSON line each: ``{"main", "project", "stack", "config",
"secret_keys"}``, and ``"evidence": true`` to run the program as an update instead of a preview,
with stand-in values for every output (``engine.RecordingMocks``). Events go out on the events
pipe, one JSON line each:

A control line without ``main`` only names installed packages to import ahead of the jobs.

- ``{"t": "ready"}`` once ``pulumi`` is imported, or ``{"t": "fatal", "why": ...}`` when it is not
  importable (the program's interpreter lacks the SDK);
- per job ``{"t": "started", "pid": N}``, then from the job's process ``{"t": "resource", ...}``
  per registration (a :class:`RecordedResource`), and ``{"t": "done", "outputs", "invokes"}`` or
  ``{"t": "ended", "why", "detail"}`` when the program stopped itself or raised; finally, from
  this process, ``{"t": "exit", "code": N}`` (negative: killed by that signal).
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import importlib
import importlib.util
import json
import os
import runpy
import selectors
import signal
import sys
import sysconfig
import tempfile
import threading
import time
import traceback
from typing import Any


class _Events:
    """Writes one line per event, unbuffered, so nothing is lost if the process is killed.

    Several jobs may run at once (a stack's preview and its evidence run) and share the pipe: a
    line longer than the pipe's atomic size could interleave with another process's, so each
    write holds a POSIX record lock on ``lock_fd``, a file every process of the server shares
    (record locks belong to a process, and die with it if it is killed mid-line). A process
    killed mid-line leaves a torn line that the next writer's line continues: every line starts
    with the record separator ``\x1e`` (as in JSON text sequences, RFC 7464; JSON never writes it
    raw), so the reader keeps what follows the last one and a torn line costs only the killed
    job's own event. Every event a job sends carries its job id.
    """

    def __init__(self, fd: int, lock_fd: int, job: int | None = None) -> None:
        self._fd = fd
        self._lock_fd = lock_fd
        self._job = job
        self._lock = threading.Lock()

    def for_job(self, job: int) -> _Events:
        """The same pipe, every event tagged with ``job`` (used in the job's own process)."""
        return _Events(self._fd, self._lock_fd, job)

    def send(self, event: dict[str, Any]) -> None:
        if self._job is not None:
            event = {**event, "job": self._job}
        text = json.dumps(event, separators=(",", ":"), default=str)
        data = ("\x1e" + text + "\n").encode("utf-8")
        with self._lock:
            fcntl.lockf(self._lock_fd, fcntl.LOCK_EX)
            try:
                view = memoryview(data)
                while view:
                    written = os.write(self._fd, view)
                    view = view[written:]
            finally:
                fcntl.lockf(self._lock_fd, fcntl.LOCK_UN)


def _how_it_ended(err: BaseException) -> str:
    """The program's own way of stopping, said as the program said it."""
    if isinstance(err, SystemExit):
        return f"it called sys.exit({err.code!r})"
    if isinstance(err, KeyboardInterrupt):
        return "it raised KeyboardInterrupt"
    # pulumi.RunError is the SDK's clean error: its message is the whole story.
    if type(err).__name__ in {"RunError", "ConfigError", "InputPropertyError"}:
        return f"it failed: {err}" if str(err) else f"it failed: {type(err).__name__}"
    what, where = _unwrapped(err)
    return f"it raised {what}{where}"


def _unwrapped(err: BaseException) -> tuple[str, str]:
    """The program's error out of the SDK's wrapping, which puts a ``While processing resource:
    'td', type: ...`` line and a ``ValueError has risen: ...`` prefix around it for each resource
    and input: the error's own name and message, and where it was raised, as one line each."""
    text = str(err)
    if not text.startswith("While processing "):
        return f"{type(err).__name__}: {text}", ""
    where = []
    for line in text.splitlines():
        _, found, rest = line.partition("While processing ")
        if found:
            where.append(rest.split(", ")[0].replace(": ", " ", 1))
    last = text.splitlines()[-1]
    name, _, message = last.partition(" has risen: ")
    if not message:
        return f"{type(err).__name__}: {text}", ""
    return f"{name}: {message}", f" (while processing {', '.join(where)})"


def _installed_modules() -> list[str]:
    """Modules (submodules too: provider SDKs load theirs lazily) the run imported from the
    interpreter's site-packages: worth keeping loaded for the next job. The program's own modules
    are not: they may differ per stack."""
    roots = tuple({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    return sorted(
        name
        for name, module in list(sys.modules.items())
        if (getattr(module, "__file__", None) or "").startswith(roots)
    )


def _run_job(job: dict[str, Any], events: _Events, warm_file: str) -> int:
    """In the forked job process: run one program, report it; the return value is the exit code.

    Before it ends, the job leaves in ``warm_file`` what it imported from site-packages (a file,
    not a pipe: the list can exceed a pipe's buffer, and a process the program forked would
    hold a pipe open).
    """
    try:
        return _run_program(job, events)
    finally:
        with open(warm_file, "w", encoding="utf-8") as warm:
            json.dump(_installed_modules(), warm)


_PLACEMENT_ARGUMENTS = ("region", "location")


def _outlive_no_check(check_pid: int) -> None:
    """End the job, and all it started, once the check is gone (killed without a chance to
    stop it): a program that never returns would otherwise run on with nobody waiting."""

    def watch() -> None:
        while True:
            time.sleep(0.5)
            try:
                os.kill(check_pid, 0)
            except ProcessLookupError:
                os.killpg(0, signal.SIGKILL)
            except PermissionError:
                continue

    threading.Thread(target=watch, name="clover-check-watch", daemon=True).start()


def _run_program(job: dict[str, Any], events: _Events) -> int:
    from . import engine  # noqa: PLC0415 - imported in the server before any fork

    if job.get("check_pid"):
        _outlive_no_check(int(job["check_pid"]))

    main_file = job["main"]
    program_dir = os.path.dirname(main_file)
    # As the language host runs a program: from its directory, which is also its import root.
    os.chdir(program_dir)
    sys.path.insert(0, program_dir)
    sys.argv = [main_file]
    # The Python language host hands the program its configuration in the environment too
    # (pulumi-language-python: PULUMI_CONFIG, PULUMI_CONFIG_SECRET_KEYS; the exec shim reads them
    # with pulumi.runtime.get_config_env), and some programs and libraries read them there.
    os.environ["PULUMI_CONFIG"] = json.dumps(job["config"])
    os.environ["PULUMI_CONFIG_SECRET_KEYS"] = json.dumps(job.get("secret_keys") or [])

    from .provider_defaults import takes_argument  # noqa: PLC0415 - needs pulumi
    from .recorded import RecordedResource  # noqa: PLC0415 - beside the engine

    def on_register(resource: RecordedResource) -> None:
        event = dataclasses.asdict(resource)
        # Which placement arguments the SDK class takes, found here where the program has the
        # SDK loaded, so the check never imports a provider SDK to place the resource.
        event["arguments"] = [a for a in _PLACEMENT_ARGUMENTS if takes_argument(resource.type, a)]
        events.send({"t": "resource", **event})

    def program() -> None:
        runpy.run_path(main_file, run_name="__main__")

    recording = engine.Recording(project=job["project"], stack=job["stack"])
    try:
        engine.run_program(
            program,
            project=job["project"],
            stack=job["stack"],
            config=job["config"],
            secret_keys=job.get("secret_keys") or [],
            # The evidence run (check.py): as an update, with every in-stack output known.
            preview=not job.get("evidence"),
            autonames=bool(job.get("evidence")),
            into=recording,
            on_register=on_register,
            organization=job.get("organization") or engine.DIY_ORGANIZATION,
        )
    except BaseException as err:  # noqa: BLE001 - every way of stopping is reported
        events.send({"t": "ended", "why": _how_it_ended(err), "detail": traceback.format_exc()})
        return 0
    events.send(
        {
            "t": "done",
            "outputs": recording.outputs,
            "invokes": list(getattr(recording, "invokes", None) or []),
        }
    )
    return 0


def _exit_code(status: int) -> int:
    if os.WIFSIGNALED(status):
        return -os.WTERMSIG(status)
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else status


@dataclasses.dataclass
class _Running:
    """A job's process, as the server waits for it."""

    job: int
    pid: int
    warm_file: str


def _fork_job(job: dict[str, Any], events: _Events) -> _Running:
    """Start one job in a forked process, without waiting for it."""
    job_id = int(job.get("id") or 0)
    handle, warm_file = tempfile.mkstemp(prefix="clover-warm-", suffix=".json")
    os.close(handle)
    pid = os.fork()
    if pid == 0:  # the job's process
        code = 70
        try:
            os.setsid()  # a process group of its own, which the check kills as a whole
            sys.stdin = open(os.devnull)  # noqa: SIM115 - the program reads no input
            if job.get("evidence"):
                # The second run prints what the first already printed; how it ended is
                # reported as an event.
                quiet = os.open(os.devnull, os.O_WRONLY)
                os.dup2(quiet, 1)
                os.dup2(quiet, 2)
                os.close(quiet)
            code = _run_job(job, events.for_job(job_id), warm_file)
        except BaseException:  # noqa: BLE001 - nothing may escape into the server's loop
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    events.send({"t": "started", "pid": pid, "job": job_id})
    return _Running(job=job_id, pid=pid, warm_file=warm_file)


def _reap(running: _Running, status: int, events: _Events) -> None:
    """A job ended: say so, then keep what it imported loaded, so later forks start warm."""
    try:
        with open(running.warm_file, encoding="utf-8") as warm:
            listed = json.load(warm)
        # Written by the job, where the program may have replaced anything: only a list of
        # names is taken.
        modules = [m for m in listed if isinstance(m, str)] if isinstance(listed, list) else []
    except (OSError, ValueError):
        modules = []  # the job was killed before or while writing it
    finally:
        os.unlink(running.warm_file)
    events.send({"t": "exit", "code": _exit_code(status), "job": running.job})
    events.send({"t": "warm", "modules": _preload(modules), "job": running.job})


# How often the server looks for ended jobs while it waits for the next control line.
_POLL_SECONDS = 0.02


def _serve(control_fd: int, events: _Events) -> None:
    """Run jobs as their control lines arrive, several at once, until the control pipe closes.

    Everything that forks or imports happens on this one thread (forking while another thread
    holds a lock would leave the lock held in the job); ended jobs are found by polling.
    """
    running: dict[int, _Running] = {}
    try:
        _serve_jobs(control_fd, events, running)
    except BrokenPipeError:
        pass  # the check has gone: nobody is left to tell
    finally:
        # Whatever still runs when the check closes the control pipe (a job it stopped waiting
        # for) ends with the server: each job leads a session of its own, outside the server's
        # process group that the check kills.
        for job in running.values():
            with contextlib.suppress(OSError):
                os.killpg(job.pid, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.waitpid(job.pid, 0)
            with contextlib.suppress(OSError):
                os.unlink(job.warm_file)


def _serve_jobs(control_fd: int, events: _Events, running: dict[int, _Running]) -> None:
    pending = b""
    open_control = True
    # A selector, not select(): the check may hand over descriptors numbered past FD_SETSIZE.
    selector = selectors.DefaultSelector()
    selector.register(control_fd, selectors.EVENT_READ)
    while open_control:
        readable = selector.select(_POLL_SECONDS if running else None)
        # Ended jobs first: what they imported is loaded before the next job forks.
        for pid in list(running):
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                _reap(running.pop(pid), status, events)
        if readable:
            chunk = os.read(control_fd, 1 << 16)
            if not chunk:
                open_control = False
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                if not line.strip():
                    continue
                job = json.loads(line)
                _preload(list(job.get("preload") or ()))
                if "main" in job:
                    started = _fork_job(job, events)
                    running[started.pid] = started


def main(argv: list[str]) -> int:
    control_fd, events_fd = int(argv[0]), int(argv[1])
    # The program's own subprocesses must not inherit the check's pipes.
    os.set_inheritable(control_fd, False)
    os.set_inheritable(events_fd, False)
    # The lock every writer of the events pipe takes (see _Events): an unlinked file of its own.
    lock_handle, lock_path = tempfile.mkstemp(prefix="clover-events-", suffix=".lock")
    os.unlink(lock_path)
    events = _Events(events_fd, lock_handle)
    try:
        import pulumi  # noqa: F401, PLC0415 - the one package the program's Python must have

        from . import engine  # noqa: F401, PLC0415 - needs pulumi
    except ImportError as err:
        events.send({"t": "fatal", "why": f"cannot import pulumi ({err})"})
        return 3
    events.send({"t": "ready"})
    _serve(control_fd, events)
    return 0


def _preload(names: list[str]) -> int:
    """Import installed packages the program will import, so each forked job starts warm.

    Only modules found in the interpreter's site-packages: the program's own modules run only in
    its job, where they may differ per stack. Submodules are reached as the program reaches them,
    by attribute from their top-level package (``pulumi_azure_native.storage.blob_container``
    through ``pulumi_azure_native`` then ``storage``): provider SDKs load their modules lazily,
    and importing a submodule of a lazily loaded package directly runs the package's imports in
    an order it does not expect (azure-native then lacks classes). A module that fails to load
    here is left for the job, which reports the failure as the program's.
    """
    roots = tuple({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
    loaded = 0
    for name in sorted(names):  # parents before their submodules
        top, *rest = name.split(".")
        try:
            if top not in sys.modules:
                spec = importlib.util.find_spec(top)
                if spec is None or not (spec.origin or "").startswith(roots):
                    continue
            module = importlib.import_module(top)
            for part in rest:
                module = getattr(module, part)
            loaded += 1
        except Exception:  # noqa: BLE001, S112 - the job loads it again and reports it
            continue
    return loaded
