"""aws-resource-region-allowed checks availability zones at every depth, over the protocol."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clover.analyzer import UNKNOWN, PolicyPack
from tests.policy_packs.conftest import eu_aws_provider, eu_only, eu_resource

RULE = "aws-resource-region-allowed"


def launch_template(zone: Any) -> tuple[str, dict[str, Any]]:
    return "aws:ec2/launchTemplate:LaunchTemplate", {"placement": {"availabilityZone": zone}}


def fleet(zone: Any) -> tuple[str, dict[str, Any]]:
    override = {"instanceType": "m5.large", "availabilityZone": zone}
    return "aws:ec2/fleet:Fleet", {"launchTemplateConfigs": [{"overrides": [override]}]}


def nat_gateway(zone: Any) -> tuple[str, dict[str, Any]]:
    address = {"allocationIds": ["eipalloc-1"], "availabilityZoneId": zone}
    return "aws:ec2/natGateway:NatGateway", {"availabilityZoneAddresses": [address]}


def auto_scaling_group(zone: Any) -> tuple[str, dict[str, Any]]:
    return "aws:autoscaling/group:Group", {"availabilityZones": ["eu-west-1a", zone]}


def cache(zone: Any) -> tuple[str, dict[str, Any]]:
    return "aws:elasticache/replicationGroup:ReplicationGroup", {
        "preferredCacheClusterAzs": ["eu-west-1b", zone]
    }


def spot_fleet(zone: Any) -> tuple[str, dict[str, Any]]:
    spec = {"instanceType": "m5.large", "ami": "ami-1", "availabilityZone": zone}
    return "aws:ec2/spotFleetRequest:SpotFleetRequest", {"launchSpecifications": [spec]}


def zone_valued_field(zone: Any) -> tuple[str, dict[str, Any]]:
    # A field the rule does not know by name: the value alone reads as a zone.
    fleet = {"launchSpecifications": {"onDemandSpecification": {"zone": zone}}}
    return "aws:emr/cluster:Cluster", {"masterInstanceFleet": fleet}


SHAPES = [launch_template, fleet, nat_gateway, auto_scaling_group, cache, spot_fleet]
PATHS = {
    launch_template: "placement.availabilityZone",
    fleet: "launchTemplateConfigs[0].overrides[0].availabilityZone",
    nat_gateway: "availabilityZoneAddresses[0].availabilityZoneId",
    auto_scaling_group: "availabilityZones[1]",
    cache: "preferredCacheClusterAzs[1]",
    spot_fleet: "launchSpecifications[0].availabilityZone",
    zone_valued_field: "masterInstanceFleet.launchSpecifications.onDemandSpecification.zone",
}


def check(pack: PolicyPack, resource_type: str, props: dict[str, Any]) -> list[str]:
    resource = eu_resource(resource_type, "r", props, provider=eu_aws_provider("eu-west-1"))
    found = eu_only(pack.analyze(resource), RULE)
    for d in found:
        assert d.enforcement_level == "mandatory", d.message
        assert resource.urn in d.message, d.message
    return [d.message for d in found]


@pytest.mark.parametrize("shape", [*SHAPES, zone_valued_field], ids=lambda s: s.__name__)
@pytest.mark.parametrize(
    ("zone", "fragment"),
    [
        ("us-east-1a", "is in region 'us-east-1', which is not allowed"),
        ("euw2-az1", "is in region 'eu-west-2', which is not allowed"),  # zone id, London
        # The pack maps only European zone-id prefixes to regions; any other id is unplaceable.
        ("use1-az4", "not a zone in a known region"),
        ("eu-central-1-ist-1a", "Local Zone in TR, outside the EEA"),  # Istanbul
        ("euc1-ist1-az1", "Local Zone in TR, outside the EEA"),
        ("eu-west-2b", "is in region 'eu-west-2'"),  # London
        ("us-east-1-wl1-bos-wlz-1", "not a zone in a known region"),  # Wavelength, Boston
    ],
)
def test_nested_zone_outside_is_blocked(
    eu_residency: PolicyPack, shape: Any, zone: str, fragment: str
) -> None:
    (message,) = check(eu_residency, *shape(zone))
    assert fragment in message
    assert f"{PATHS[shape]} {zone!r}" in message, message  # names the property path
    assert "allowed regions:" in message


@pytest.mark.parametrize("shape", [*SHAPES, zone_valued_field], ids=lambda s: s.__name__)
@pytest.mark.parametrize(
    "zone", ["eu-west-1c", "euw1-az3", "eu-central-1-ham-1a", "eun1-hel1-az1", "eu-north-1-cph-1a"]
)
def test_nested_zone_in_the_eea_passes(eu_residency: PolicyPack, shape: Any, zone: str) -> None:
    assert check(eu_residency, *shape(zone)) == []


@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: s.__name__)
@pytest.mark.parametrize("zone", [UNKNOWN, "eu-central-1-xyz-1a", "Ireland"])
def test_nested_zone_that_cannot_be_placed_fails_closed(
    eu_residency: PolicyPack, shape: Any, zone: str
) -> None:
    # An unknown zone is blocked although the resource's region (eu-west-1) is allowed: a Local
    # Zone carries its parent region's code, so only the resolved name proves the country.
    (message,) = check(eu_residency, *shape(zone))
    assert PATHS[shape] in message
    assert "cannot be proven" in message or "not a zone in a known region" in message


def test_narrowed_allow_list_applies_to_nested_zones(eu_residency: PolicyPack) -> None:
    assert check(eu_residency, *launch_template("eu-central-1a")) == []
    eu_residency.configure({RULE: {"allowedRegions": ["eu-west-1"]}})
    (message,) = check(eu_residency, *launch_template("eu-central-1a"))
    assert "'eu-central-1', which is not allowed" in message


def test_settings_and_labels_are_not_zones(eu_residency: PolicyPack) -> None:
    props = {
        "availabilityZoneRebalancing": "ENABLED",  # aws:ecs/service:Service
        "availabilityZoneDistribution": {"capacityDistributionStrategy": "balanced-only"},
        "availabilityZoneCount": 3,
        "multiAz": UNKNOWN,
        "allAvailabilityZones": True,
        "name": "app-1a",
        "description": "eu-west-1a",
        "tags": {"az": "us-east-1a"},
        "tagsAll": {"zone": "use1-az1"},
        "zoneId": "Z2FDTNDATAQYW2",  # a hosted zone, not an availability zone
        "timeZone": "Europe/Dublin",
    }
    assert check(eu_residency, "aws:ecs/service:Service", props) == []


def test_several_zones_each_named(eu_residency: PolicyPack) -> None:
    props = {
        "availabilityZone": "eu-west-1a",
        "placement": {"availabilityZone": "us-west-2a"},
        "networkInterfaces": [{"zone": "eu-central-1-ist-1a"}],
    }
    messages = check(eu_residency, "aws:ec2/launchTemplate:LaunchTemplate", props)
    assert len(messages) == 2
    assert any("placement.availabilityZone 'us-west-2a'" in m for m in messages)
    assert any("networkInterfaces[0].zone 'eu-central-1-ist-1a'" in m for m in messages)


# -- In process: property trees of any shape -------------------------------------------------

SAFE = st.one_of(
    st.text(max_size=12),
    st.integers(),
    st.booleans(),
    st.none(),
    st.sampled_from(["eu-west-1a", "euw1-az2", "eu-central-1-waw-1a", "Europe/Dublin", "app-1a"]),
)
# No "s": a random key must not end in "Azs" (a zone-named field, whose random text would rightly
# be refused as not a zone).
KEYS = st.text(alphabet="abcdefghijklmnopqrtuvwxyzAZ", min_size=1, max_size=10)


def trees(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(KEYS, inner, max_size=4)
        ),
        max_leaves=20,
    )


def hide(tree: Any, path: list[int], value: Any) -> dict[str, Any]:
    """Put ``value`` somewhere inside ``tree`` (chosen by ``path``), returning a property bag."""
    root: dict[str, Any] = {"root": tree}
    parent: Any = root
    key: Any = "root"
    for step in path:
        child = parent[key]
        if isinstance(child, dict) and child:
            parent, key = child, sorted(child)[step % len(child)]
        elif isinstance(child, list) and child:
            parent, key = child, step % len(child)
        else:
            break
    parent[key] = {"nested": [value]}
    return root


@settings(max_examples=200, deadline=None)
@given(
    tree=trees(SAFE),
    path=st.lists(st.integers(min_value=0, max_value=7), max_size=6),
    zone=st.sampled_from(["us-east-1a", "use1-az1", "eu-central-1-ist-1c", "ap-south-1b"]),
)
def test_hidden_zone_outside_is_always_found(
    eu_residency_modules: dict[str, ModuleType], tree: Any, path: list[int], zone: str
) -> None:
    placement = eu_residency_modules["placement_aws"]
    props = hide(tree, path, zone)
    problems = placement.zone_problems(props, frozenset({"eu-west-1", "eu-central-1"}))
    assert any(repr(zone) in p for p in problems), (props, problems)


@settings(max_examples=200, deadline=None)
@given(tree=trees(SAFE))
def test_trees_without_zones_outside_pass(
    eu_residency_modules: dict[str, ModuleType], tree: Any
) -> None:
    placement = eu_residency_modules["placement_aws"]
    allowed = frozenset({"eu-west-1", "eu-central-1"})
    assert placement.zone_problems({"root": tree}, allowed) == []
