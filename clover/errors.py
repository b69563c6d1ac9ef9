"""What the command line needs before it imports anything heavy: the check's error and its
defaults. ``clover check`` starts the program's interpreter first, then imports the rest."""

from __future__ import annotations

from typing import Final

DEFAULT_PACKS: Final = ("eu_residency", "eu_data_protection", "eu_access")
"""Clover's packs a check runs when ``--policy-pack`` names none."""

DEFAULT_TIMEOUT: Final = 300.0
"""Seconds a program may run before the check stops it (``--timeout``, ``CLOVER_TIMEOUT``)."""

FORMATS: Final = ("text", "json", "sarif")
"""The output formats of ``--format``."""


class CheckError(Exception):
    """A usage or input error: the check cannot give a verdict. Exit code 2."""

    def __init__(self, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.detail = detail
        """A traceback or other detail, shown only with ``--verbose``."""
