"""aws-resource-region-allowed over the analyzer protocol: region, provider, zones, config."""

from __future__ import annotations

from typing import Any

import pytest

from clover.analyzer import UNKNOWN, PolicyConfigError, PolicyPack, ProviderRef
from tests.policy_packs.conftest import eu_aws_provider, eu_only, eu_resource

RULE = "aws-resource-region-allowed"
BUCKET = "aws:s3/bucket:Bucket"
SUBNET = "aws:ec2/subnet:Subnet"


def check(
    pack: PolicyPack,
    props: dict[str, Any],
    *,
    resource_type: str = BUCKET,
    provider: ProviderRef | None = None,
) -> list[str]:
    resource = eu_resource(resource_type, "r", props, provider=provider or eu_aws_provider())
    found = eu_only(pack.analyze(resource), RULE)
    for d in found:
        assert d.enforcement_level == "mandatory", d.message
        assert d.severity == "critical"
        assert resource.urn in d.message
    return [d.message for d in found]


@pytest.mark.parametrize(
    ("props", "provider"),
    [
        ({"region": "eu-west-1"}, eu_aws_provider("us-east-1")),  # own region wins
        ({}, eu_aws_provider("eu-north-1")),  # explicit provider
        ({}, eu_aws_provider("eu-central-1", name="default_7_0_0")),  # default provider: aws:region
        ({"region": "eu-south-2"}, eu_aws_provider(None)),
    ],
)
def test_compliant(eu_residency: PolicyPack, props: dict[str, Any], provider: ProviderRef) -> None:
    assert check(eu_residency, props, provider=provider) == []


@pytest.mark.parametrize(
    ("props", "provider", "fragment"),
    [
        ({"region": "us-east-1"}, eu_aws_provider("eu-west-1"), "'us-east-1' is not allowed"),
        ({}, eu_aws_provider("us-east-1"), "'us-east-1' is not allowed"),
        ({}, eu_aws_provider("eu-west-2"), "'eu-west-2' is not allowed"),  # London: not EEA
        ({}, eu_aws_provider("eu-central-2"), "'eu-central-2' is not allowed"),  # Zurich
        ({"region": "EU-WEST-1"}, None, "not an exact AWS region code"),
        ({"region": 12}, None, "not an exact AWS region code"),
    ],
)
def test_violating(
    eu_residency: PolicyPack, props: dict[str, Any], provider: ProviderRef | None, fragment: str
) -> None:
    (message,) = check(eu_residency, props, provider=provider)
    assert fragment in message
    assert "allowed regions: eu-central-1, eu-north-1" in message


@pytest.mark.parametrize("provider", [eu_aws_provider(None), eu_aws_provider("")])
def test_missing_region_fails_closed(eu_residency: PolicyPack, provider: ProviderRef) -> None:
    (message,) = check(eu_residency, {}, provider=provider)
    assert "no region" in message
    assert "AWS_REGION" in message


def test_no_provider_at_all_fails_closed(eu_residency: PolicyPack) -> None:
    resource = eu_resource(BUCKET, "r", {})
    (diag,) = eu_only(eu_residency.analyze(resource), RULE)
    assert diag.enforcement_level == "mandatory"


@pytest.mark.parametrize(
    ("props", "provider"),
    [({"region": UNKNOWN}, eu_aws_provider("eu-west-1")), ({}, eu_aws_provider(UNKNOWN))],
)
def test_unknown_region_stays_mandatory(
    eu_residency: PolicyPack, props: dict[str, Any], provider: ProviderRef
) -> None:
    (message,) = check(eu_residency, props, provider=provider)
    assert "not known until apply" in message


def test_config_narrows_regions(eu_residency: PolicyPack) -> None:
    eu_residency.configure({RULE: {"allowedRegions": ["eu-west-1", "eu-north-1"]}})
    assert check(eu_residency, {"region": "eu-north-1"}) == []
    (message,) = check(eu_residency, {"region": "eu-central-1"})
    assert "allowed regions: eu-north-1, eu-west-1." in message


def test_config_rejects_malformed_region(eu_residency: PolicyPack) -> None:
    with pytest.raises(PolicyConfigError, match="allowedRegions"):
        eu_residency.configure({RULE: {"allowedRegions": ["Europe (Ireland)"]}})


@pytest.mark.parametrize(
    "resource_type",
    ["aws:iam/role:Role", "aws:route53/zone:Zone", "aws:cloudfront/distribution:Distribution"],
)
def test_global_types_are_exempt(eu_residency: PolicyPack, resource_type: str) -> None:
    assert (
        check(eu_residency, {}, resource_type=resource_type, provider=eu_aws_provider("us-east-1"))
        == []
    )


@pytest.mark.parametrize(
    "resource_type",
    [
        "aws:kms/key:Key",
        "aws:acm/certificate:Certificate",
        "aws:s3control/multiRegionAccessPoint:MultiRegionAccessPoint",
    ],
)
def test_data_holding_global_services_are_checked(
    eu_residency: PolicyPack, resource_type: str
) -> None:
    assert check(
        eu_residency, {}, resource_type=resource_type, provider=eu_aws_provider("us-east-1")
    )


def test_config_overrides_exempt_types(eu_residency: PolicyPack) -> None:
    eu_residency.configure({RULE: {"exemptTypes": ["aws:acm/certificate:Certificate"]}})
    us = eu_aws_provider("us-east-1")
    assert (
        check(eu_residency, {}, resource_type="aws:acm/certificate:Certificate", provider=us) == []
    )
    assert check(eu_residency, {}, resource_type="aws:iam/role:Role", provider=us)


def test_provider_resources_and_other_clouds_are_ignored(eu_residency: PolicyPack) -> None:
    assert check(eu_residency, {"region": "us-east-1"}, resource_type="pulumi:providers:aws") == []
    assert check(eu_residency, {"location": "eastus"}, resource_type="random:index:RandomId") == []


@pytest.mark.parametrize(
    "zone",
    [
        "eu-west-1a",
        "eu-central-1-ham-1a",  # Hamburg, DE
        "eu-central-1-waw-1a",  # Warsaw, PL
        "eu-central-1-ath-1a",  # Athens, GR
        "eu-north-1-cph-1a",  # Copenhagen, DK
        "eu-north-1-hel-1a",  # Helsinki, FI
        "euw1-az2",
        "euc1-waw1-az1",
    ],
)
def test_zones_in_the_eea_pass(eu_residency: PolicyPack, zone: str) -> None:
    assert check(eu_residency, {"availabilityZone": zone}, resource_type=SUBNET) == []


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("availabilityZone", "eu-central-1-ist-1a", "Local Zone in TR"),
        ("availabilityZoneId", "euc1-ist1-az1", "Local Zone in TR"),
        ("availabilityZone", "us-east-1a", "'us-east-1'"),
        ("availabilityZones", ["eu-west-1a", "eu-west-2b"], "'eu-west-2'"),
        ("availabilityZone", "eu-central-1-xyz-1a", "not a zone in a known region"),
        ("availabilityZone", "eu-central-1-wl1-ber-wlz-1", "not a zone in a known region"),
        ("availabilityZone", UNKNOWN, "cannot be proven"),
        ("preferredAvailabilityZones", [UNKNOWN], "cannot be proven"),
    ],
)
def test_zones_outside_are_blocked(
    eu_residency: PolicyPack, field: str, value: Any, fragment: str
) -> None:
    messages = check(eu_residency, {"region": "eu-central-1", field: value}, resource_type=SUBNET)
    assert len(messages) == 1
    assert fragment in messages[0]


def test_istanbul_is_blocked_even_with_parent_region_allowed(eu_residency: PolicyPack) -> None:
    eu_residency.configure({RULE: {"allowedRegions": ["eu-central-1"]}})
    (message,) = check(
        eu_residency,
        {"availabilityZone": "eu-central-1-ist-1a"},
        resource_type=SUBNET,
        provider=eu_aws_provider("eu-central-1"),
    )
    assert "outside the EEA" in message
