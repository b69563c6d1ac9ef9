"""Copy the residency facts, clover/facts.py, into every policy pack that judges placement.

A policy pack is published and started on its own (``pulumi preview --policy-pack <dir>``), so it
cannot import Clover; it carries a byte-identical copy of the facts instead. Run it from the
repository root after editing clover/facts.py:

    .venv/bin/python tools/sync_facts.py           # write the copies
    .venv/bin/python tools/sync_facts.py --check   # exit 1, naming each stale copy

tests/test_facts.py runs the check, so a copy edited by hand (or a source edited without
running this) fails the build.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Final

ROOT: Final = Path(__file__).resolve().parents[1]
SOURCE: Final = ROOT / "clover" / "facts.py"
COPIES: Final = (ROOT / "policy_packs" / "eu_residency" / "regions.py",)
"""Each pack's copy: the residency pack imports its facts as ``regions``."""


def stale(source: Path | None = None, copies: tuple[Path, ...] | None = None) -> list[Path]:
    """The copies whose bytes differ from the source's (or that are missing)."""
    wanted = (source or SOURCE).read_bytes()
    return [
        copy
        for copy in (COPIES if copies is None else copies)
        if not copy.is_file() or copy.read_bytes() != wanted
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale copies")
    args = parser.parse_args(argv)
    outdated = stale()
    if args.check:
        for copy in outdated:
            print(f"{copy.relative_to(ROOT)} differs from clover/facts.py", file=sys.stderr)
        return 1 if outdated else 0
    for copy in outdated:
        copy.write_bytes(SOURCE.read_bytes())
        print(f"wrote {copy.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
