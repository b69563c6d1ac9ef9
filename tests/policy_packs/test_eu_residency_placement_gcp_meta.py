"""gcp-resource-location-allowed's facts kept true against the installed pulumi-gcp SDK."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pulumi_gcp
import pytest

from tests.modules import module_from_file
from tests.policy_packs.conftest import EU_RESIDENCY_DIR
from tests.policy_packs.test_eu_residency_placement_gcp import gcp_modules

__all__ = ["gcp_modules"]  # the fixture, shared with the protocol tests


@pytest.fixture(scope="module")
def sdk_scan() -> tuple[dict[str, list[str]], list[str]]:
    generator = module_from_file(
        "generate_gcp_placement_types",
        EU_RESIDENCY_DIR / "tools" / "generate_gcp_placement_types.py",
    )
    placed, without = generator.scan(Path(pulumi_gcp.__file__).parent)
    return placed, without


def test_placement_types_data_is_current(sdk_scan: tuple[dict[str, list[str]], list[str]]) -> None:
    committed = json.loads((EU_RESIDENCY_DIR / "gcp_placement_types.json").read_text())
    assert committed["placementArguments"] == sdk_scan[0], (
        "rerun tools/generate_gcp_placement_types.py"
    )


def test_reviewed_neutral_types_take_no_placement(
    gcp_modules: dict[str, ModuleType], sdk_scan: tuple[dict[str, list[str]], list[str]]
) -> None:
    # A reviewed type that gained a location argument must be checked, not passed; a token
    # missing from the SDK is stale and would silently never match.
    without = set(sdk_scan[1])
    for token, reason in gcp_modules["gcp_global_types"].PLACEMENT_NEUTRAL_GCP.items():
        assert token in without, token
        assert len(reason) > 20, token


def test_nested_reader_types_take_no_placement(
    gcp_modules: dict[str, ModuleType], sdk_scan: tuple[dict[str, list[str]], list[str]]
) -> None:
    placement = gcp_modules["placement_gcp"]
    without = set(sdk_scan[1])
    for token in placement.NESTED_READERS:
        assert token in without, token
        assert token not in gcp_modules["gcp_global_types"].PLACEMENT_NEUTRAL_GCP, token
    for token in [*placement.DOCUMENTED_DEFAULTS, *placement.EXTRA_LOCATION_FIELDS]:
        assert token in sdk_scan[0], token


def test_iam_named_types_without_placement_exist(
    gcp_modules: dict[str, ModuleType], sdk_scan: tuple[dict[str, list[str]], list[str]]
) -> None:
    iam = [t for t in sdk_scan[1] if gcp_modules["gcp_global_types"].is_iam_type(t)]
    assert "gcp:storage/bucketIAMMember:BucketIAMMember" in iam
    assert "gcp:projects/iAMMember:IAMMember" in iam


def test_default_allow_list_is_eea_only(gcp_modules: dict[str, ModuleType]) -> None:
    regions = gcp_modules["regions"]
    for name in regions.EEA_GCP_LOCATIONS:
        if name == "eu":
            continue  # the EU multi-region: EU member states only (Cloud Storage locations)
        spans = regions.gcp_location_regions(name) or (name,)
        for region in spans:
            assert regions.GCP_EUROPE_REGIONS[region] in regions.EEA_COUNTRIES, (name, region)
    for outside in ("europe-west2", "europe-west6", "eur5", "eur7", "eur8", "europe", "eur6"):
        assert outside not in regions.EEA_GCP_LOCATIONS, outside


def test_configure_failure_empties_the_gcp_list(gcp_modules: dict[str, ModuleType]) -> None:
    common = gcp_modules["residency_common"]

    def configure(_servicer: object, _request: object, _context: object) -> str:
        return "stored"

    try:
        assert common.wrap_configure(configure)(None, object(), None) == "stored"
        assert common.allowed_gcp_locations({}) == frozenset()
    finally:
        common.set_pack_allow_lists(common.PackAllowLists(aws_regions=None, azure_locations=None))
    assert "europe-west1" in common.allowed_gcp_locations({})


def test_pack_wide_list_narrows(gcp_modules: dict[str, ModuleType]) -> None:
    common = gcp_modules["residency_common"]
    lists = common.pack_allow_lists(
        {"a": {"allowedGcpLocations": ["EU", "europe-west1"]}, "b": {"allowedGcpLocations": ["eu"]}}
    )
    assert lists.gcp_locations == frozenset({"eu"})
