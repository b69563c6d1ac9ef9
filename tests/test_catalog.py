"""The site catalog lies inside the policy packs' allow-lists, by default and per stack."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from clover.analyzer import PolicyPack
from clover.project import load_project, stack_config
from sites.catalog import (
    APPROVED_AWS_REGIONS,
    APPROVED_AZURE_LOCATIONS,
    AZURE_REGIONS,
    SITES,
    Cloud,
    normalise_azure_location,
)
from sites.config import parse

ROOT = Path(__file__).resolve().parents[1]
AWS_RULE = "aws-resource-region-allowed"
AZURE_RULE = "azure-native-resource-location-allowed"


@pytest.fixture(scope="module")
def residency() -> Iterator[PolicyPack]:
    with PolicyPack(ROOT / "policy_packs" / "eu_residency") as pack:
        yield pack


def _default(pack: PolicyPack, policy: str, key: str) -> set[str]:
    schema = pack.policies[policy].config_schema
    assert schema is not None, f"{policy} declares no config schema"
    return set(schema["properties"][key]["default"])


def test_pack_defaults_are_exactly_the_catalogs_approved_regions(residency: PolicyPack) -> None:
    assert _default(residency, AWS_RULE, "allowedRegions") == set(APPROVED_AWS_REGIONS)
    assert _default(residency, AZURE_RULE, "allowedLocations") == set(APPROVED_AZURE_LOCATIONS)


def test_every_site_placement_is_inside_the_pack_defaults(residency: PolicyPack) -> None:
    allowed = {
        Cloud.AWS: _default(residency, AWS_RULE, "allowedRegions"),
        Cloud.AZURE: _default(residency, AZURE_RULE, "allowedLocations"),
    }
    for site in SITES.values():
        for cloud, region in [*site.regions.items(), *site.nearest.items()]:
            assert region in allowed[cloud], f"{site.name} {cloud}: {region}"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_per_stack_pack_config_covers_the_stacks_sites_and_pairs(stack: str) -> None:
    config = parse(stack_config(load_project(ROOT), stack))
    pack_config = json.loads(
        (ROOT / "policy_packs" / "config" / f"eu_residency.{stack}.json").read_text()
    )
    regions = set(pack_config[AWS_RULE]["allowedRegions"])
    locations = set(pack_config[AZURE_RULE]["allowedLocations"])
    for site in config.sites:
        if site.aws:
            assert site.aws.region in regions
        if site.azure:
            assert site.azure.location in locations
            pair = AZURE_REGIONS[site.azure.location].pair
            assert pair in locations, f"{site.name}: paired region {pair} must be allowed too"


@pytest.mark.parametrize(
    ("written", "expected"),
    [("North Europe", "northeurope"), ("NORWAYEAST", "norwayeast"), ("norway east", "norwayeast")],
)
def test_display_names_normalise(written: str, expected: str) -> None:
    assert normalise_azure_location(written) == expected


@pytest.mark.parametrize(
    "look_alike", ["northeurope\u200b", "north\u0435urope", "DENMAR\u212aEAST"]
)
def test_look_alikes_never_normalise_into_the_catalog(look_alike: str) -> None:
    assert normalise_azure_location(look_alike) not in AZURE_REGIONS
