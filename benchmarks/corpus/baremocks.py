"""Run corpus programs under the SDK's bare mocks: one long-lived worker, one fork per program.

    python benchmarks/corpus/baremocks.py TIMEOUT   # reads program directories on stdin

The mocks are the trivial ones of Pulumi's unit-testing guide
(https://www.pulumi.com/docs/iac/guides/testing/unit/): every resource gets ``name + "_id"`` and its
inputs back, every call ``{}``; ``set_mocks(..., preview=True)``. The program runs as the language
host runs it (``runpy`` of ``__main__.py``, then ``run_pulumi_func`` waits for every outstanding
registration and apply and re-raises the first error), with the stack file's config set.

The worker imports ``pulumi`` and the provider SDKs once, then forks a child per program, so each
program pays only for its own run and the SDK modules it touches (a fresh process pays about 1.5 s
of imports first). The child gets a fresh event loop and fresh mocks; its prints go to /dev/null.
For each directory the worker writes one JSON line to stdout:
``{"dir", "status": "ran" | "error" | "timeout", "error": first line or null, "seconds"}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import runpy
import select
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime
import yaml
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

for _sdk in ("pulumi_aws", "pulumi_azure_native"):
    with contextlib.suppress(ImportError):
        __import__(_sdk)


class BareMocks(pulumi.runtime.Mocks):
    """The unit-testing guide's mocks: inputs echoed, an id made from the name, calls empty."""

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return args.name + "_id", args.inputs

    # The guide returns a bare ``{}``, which MockMonitor.Invoke reads as "no failures". The
    # annotated form ``({}, None)`` (the base class's own default) fails there with "'NoneType'
    # object is not iterable" (pulumi 3.272, runtime/mocks.py, Invoke), so the dict it is.
    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        return {}


def first_line(error: BaseException) -> str:
    """``Type: message`` of an error, its first line."""
    text = "".join(traceback.format_exception_only(type(error), error)).strip()
    return text.splitlines()[0] if text else type(error).__name__


def run_program(directory: Path) -> str | None:
    """Run one program in this process; the first line of its error, or None if it ran."""
    project = yaml.safe_load((directory / "Pulumi.yaml").read_text(encoding="utf-8"))
    stack = yaml.safe_load((directory / "Pulumi.test.yaml").read_text(encoding="utf-8")) or {}
    config = {str(k): str(v) for k, v in (stack.get("config") or {}).items()}
    os.chdir(directory)
    sys.path.insert(0, str(directory))
    asyncio.set_event_loop(asyncio.new_event_loop())
    pulumi.runtime.set_all_config(config)
    pulumi.runtime.set_mocks(BareMocks(), project=project["name"], stack="test", preview=True)

    def program() -> None:
        runpy.run_path("__main__.py", run_name="__main__")

    try:
        _sync_await(run_pulumi_func(program))
    except BaseException as error:  # noqa: BLE001 - the program's own error is the result
        return first_line(error)
    return None


def _child(directory: Path, write_fd: int) -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    try:
        error = run_program(directory)
    except BaseException as failure:  # noqa: BLE001 - reported, never raised out of a fork
        error = first_line(failure)
    os.write(write_fd, json.dumps({"error": error}).encode())
    os.close(write_fd)
    # Skip interpreter teardown: SDK worker threads may still be parked, and atexit handlers
    # belong to the parent.
    os._exit(0)


def run_forked(directory: Path, timeout: float) -> dict[str, Any]:
    start = time.perf_counter()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _child(directory, write_fd)
    os.close(write_fd)
    chunks: list[bytes] = []
    deadline = start + timeout
    status = "timeout"
    while True:
        left = deadline - time.perf_counter()
        if left <= 0:
            break
        ready, _, _ = select.select([read_fd], [], [], left)
        if not ready:
            break
        chunk = os.read(read_fd, 65536)
        if not chunk:
            status = "done"
            break
        chunks.append(chunk)
    os.close(read_fd)
    if status == "timeout":
        os.kill(pid, signal.SIGKILL)
    _, code = os.waitpid(pid, 0)
    seconds = round(time.perf_counter() - start, 3)
    if status == "timeout":
        return {"status": "timeout", "error": f"no end after {timeout:g} s", "seconds": seconds}
    try:
        error = json.loads(b"".join(chunks).decode())["error"]
    except (ValueError, KeyError):
        error = f"child died without a result (wait status {code})"
    return {"status": "ran" if error is None else "error", "error": error, "seconds": seconds}


def main() -> None:
    timeout = float(sys.argv[1])
    for line in sys.stdin:
        directory = line.strip()
        if not directory:
            continue
        result = run_forked(Path(directory), timeout)
        sys.stdout.write(json.dumps({"dir": directory, **result}) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
