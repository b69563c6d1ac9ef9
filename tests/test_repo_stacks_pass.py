"""The repo's own stacks pass both packs under their per-stack configs, as `make plan` runs them."""

from __future__ import annotations

from pathlib import Path

import pytest

from clover.check import check
from clover.errors import DEFAULT_PACKS

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_stack_has_no_mandatory_violation(stack: str) -> None:
    result = check(cwd=ROOT, stack=stack)
    assert [run.directory.name for run in result.packs] == list(DEFAULT_PACKS)
    for run in result.packs:
        assert run.config_file is not None, f"{run.directory.name} has no config for {stack}"
        assert run.config_file.name == f"{run.directory.name}.{stack}.json"
    assert not result.mandatory, "\n".join(
        f"{d.policy} {d.urn}: {d.message}" for d in result.mandatory
    )
    # Every resource of the program was analyzed, and placed where its site says.
    assert len(result.placed) > 50
    regions = {p.region for p in result.placed if p.region}
    locations = {p.location for p in result.placed if p.location}
    expected_regions = {"eu-west-1"} | ({"eu-north-1"} if stack == "prod" else set())
    assert regions == expected_regions
    assert locations <= {"northeurope", "norwayeast", "global"}
