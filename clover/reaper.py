"""Stops the processes the check started when the check itself is killed outright.

SIGINT and SIGTERM let the check stop its policy packs and the program on the way out, but
SIGKILL (an OOM kill, a CI runner's hard timeout, ``kill -9``) ends it at once, and the packs'
servers would then sleep forever (the SDK's ``serve`` waits on its own). A small reaper process,
started with the first pack, holds the read end of a pipe whose write end only the check has:
the pipe reaches end-of-file when the check ends, however it ends, and the reaper then kills every
process the check registered and did not stop itself. A process the check stops normally is
forgotten first, so a later process that reuses its pid is never touched.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from typing import IO, Final

_REAPER: Final = r"""
import os, signal, sys
alive = set()
for line in sys.stdin:
    verb, _, pid = line.strip().partition(" ")
    if pid.isdigit():
        (alive.add if verb == "watch" else alive.discard)(int(pid))
for pid in alive:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
"""

_lock = threading.Lock()
_pipe: IO[str] | None = None
_pid: int | None = None


def _started() -> IO[str] | None:
    global _pipe, _pid  # one reaper per check process
    if _pipe is not None and _pid == os.getpid():
        return _pipe
    try:
        process = subprocess.Popen(  # noqa: S603 - argv built here, no shell
            [sys.executable, "-c", _REAPER],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            text=True,
            # Its own session: a signal to the check's process group does not reach it.
            start_new_session=True,
        )
    except OSError:
        return None  # no reaper: the packs are still stopped on every other way out
    _pipe, _pid = process.stdin, os.getpid()
    return _pipe


def _send(line: str) -> None:
    with _lock:
        pipe = _started()
        if pipe is None:
            return
        with contextlib.suppress(OSError, ValueError):
            pipe.write(line + "\n")
            pipe.flush()


def watch(pid: int) -> None:
    """Kill ``pid`` (its group when it leads one) if the check ends without forgetting it."""
    _send(f"watch {pid}")


def forget(pid: int) -> None:
    """The check stopped ``pid`` itself."""
    if _pipe is not None:
        _send(f"forget {pid}")
