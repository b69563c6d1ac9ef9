"""The README's rule tables say what the packs say: every rule, its enforcement and severity."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from clover.analyzer import PolicyPack

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("pack_dir", ["eu_residency", "eu_data_protection", "eu_access"])
def test_readme_lists_every_rule_with_its_defaults(pack_dir: str) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = {
        match.group(1): (match.group(2), match.group(3))
        for match in re.finditer(
            r"^\| `([a-z0-9-]+)`[^|]*\|[^|]+\| (\w+) \| (\w+) \| `[^`]+` \|$", readme, re.MULTILINE
        )
    }
    with PolicyPack(ROOT / "policy_packs" / pack_dir) as pack:
        for policy in pack.policies.values():
            assert policy.name in rows, f"README has no row for {policy.name}"
            assert rows[policy.name] == (policy.enforcement_level, policy.severity), policy.name


def test_readme_commands_exist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("plan", "test"):
        assert f"make {target}" in readme
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), target
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
