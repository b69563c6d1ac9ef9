"""Copy the files every policy pack shares into the packs: the residency facts (clover/facts.py)
and the rule kit (policy_packs/rulekit.py).

A policy pack is published and started on its own (``pulumi preview --policy-pack <dir>``), so it
cannot import Clover or a shared package; it carries byte-identical copies instead. Run it from
the repository root after editing a source:

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
PACKS: Final = ROOT / "policy_packs"
SOURCE: Final = ROOT / "clover" / "facts.py"
COPIES: Final = (PACKS / "eu_residency" / "regions.py",)
"""The facts' copies: the residency pack imports its facts as ``regions``."""
KIT: Final = PACKS / "rulekit.py"
KIT_COPIES: Final = tuple(
    PACKS / name / "rulekit.py" for name in ("eu_residency", "eu_data_protection", "eu_access")
)


def shared() -> dict[Path, tuple[Path, ...]]:
    """Each shared source and the copies the packs carry of it."""
    return {SOURCE: COPIES, KIT: KIT_COPIES}


def stale(source: Path | None = None, copies: tuple[Path, ...] | None = None) -> list[Path]:
    """The copies whose bytes differ from their source's (or that are missing); every shared
    file's when no source is given."""
    pairs = shared() if source is None else {source: COPIES if copies is None else copies}
    found = []
    for origin, targets in pairs.items():
        wanted = origin.read_bytes()
        found += [c for c in targets if not c.is_file() or c.read_bytes() != wanted]
    return found


def _source_of(copy: Path) -> Path:
    return next(origin for origin, targets in shared().items() if copy in targets)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale copies")
    args = parser.parse_args(argv)
    outdated = stale()
    if args.check:
        for copy in outdated:
            origin = _source_of(copy).relative_to(ROOT)
            print(f"{copy.relative_to(ROOT)} differs from {origin}", file=sys.stderr)
        return 1 if outdated else 0
    for copy in outdated:
        copy.write_bytes(_source_of(copy).read_bytes())
        print(f"wrote {copy.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
