"""Shared fixtures: every test runs its program against a fresh recording engine stand-in."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pytest

from clover.standin.engine import Recording, run_program

RunProgram = Callable[..., Recording]


@pytest.fixture
def run() -> RunProgram:
    """Run a Pulumi program function under fresh mocks and a fresh event loop; return the recording.

    Defaults to an update (``preview=False``) so computed ARNs and ids are filled with fake but
    well-formed values; pass ``preview=True`` to see what ``pulumi preview`` would leave unknown.
    """

    def _run(
        program: Callable[[], object],
        *,
        config: Mapping[str, str] | None = None,
        stack: str = "test",
        project: str = "clover",
        preview: bool = False,
    ) -> Recording:
        return run_program(program, project=project, stack=stack, config=config, preview=preview)

    return _run
