"""AzureNetworkBoundary: a VNet closed to the Internet both ways, with private DNS for endpoints."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest
from pulumi_azure_native import Provider

from clover.standin.engine import Recording
from clover.standin.recorded import RecordedResource
from components.network.azure import (
    MONITOR_DNS_ZONES,
    AzureNetworkBoundary,
    AzureNetworkBoundaryArgs,
    carve_subnets,
)
from tests.components.azure_helpers import TAGS, azure_resources, of_type, one
from tests.conftest import RunProgram


def _program(**overrides: Any) -> Any:
    values: dict[str, Any] = {
        "resource_group_name": "site-rg",
        "location": "norwayeast",
        "vnet_cidr": "10.30.0.0/20",
        "tags": TAGS,
        **overrides,
    }

    def program() -> None:
        provider = Provider("site-azure", location=values["location"])
        AzureNetworkBoundary(
            "site-network",
            AzureNetworkBoundaryArgs(**values),
            opts=pulumi.ResourceOptions(providers=[provider]),
        )

    return program


@pytest.fixture
def boundary(run: RunProgram) -> Recording:
    return run(_program())


def _nsg_of(recording: Recording, subnet: RecordedResource) -> RecordedResource:
    nsg_id = subnet.inputs["networkSecurityGroup"]["id"]
    (nsg,) = [
        r for r in of_type(recording, "azure-native:network:NetworkSecurityGroup") if r.id == nsg_id
    ]
    return nsg


def test_vnet_spans_the_configured_range(boundary: Recording) -> None:
    vnet = one(boundary, "azure-native:network:VirtualNetwork")
    assert vnet.inputs["addressSpace"] == {"addressPrefixes": ["10.30.0.0/20"]}
    assert vnet.inputs["location"] == "norwayeast"


def test_subnets_are_carved_from_the_vnet(boundary: Recording) -> None:
    prefixes = {
        r.name: r.inputs["addressPrefix"] for r in of_type(boundary, "azure-native:network:Subnet")
    }
    assert prefixes == {
        "site-network-endpoints": "10.30.0.0/22",
        "site-network-workloads": "10.30.4.0/22",
    }


@pytest.mark.parametrize("subnet_name", ["site-network-endpoints", "site-network-workloads"])
def test_subnet_has_no_default_outbound_access_and_its_own_nsg(
    boundary: Recording, subnet_name: str
) -> None:
    subnet = boundary.named(subnet_name)
    vnet = one(boundary, "azure-native:network:VirtualNetwork")
    assert subnet.inputs["defaultOutboundAccess"] is False
    assert subnet.inputs["privateEndpointNetworkPolicies"] == "Enabled"
    assert subnet.inputs["virtualNetworkName"] == vnet.name
    assert vnet.urn in subnet.property_dependencies["virtualNetworkName"]
    assert _nsg_of(boundary, subnet).name == f"{subnet_name}-nsg"


@pytest.mark.parametrize("subnet_name", ["site-network-endpoints", "site-network-workloads"])
def test_nsg_denies_the_internet_both_ways(boundary: Recording, subnet_name: str) -> None:
    rules = _nsg_of(boundary, boundary.named(subnet_name)).inputs["securityRules"]
    denies = {
        (r["direction"], r["sourceAddressPrefix"], r["destinationAddressPrefix"])
        for r in rules
        if r["access"] == "Deny" and r["protocol"] == "*" and r["destinationPortRange"] == "*"
    }
    assert ("Inbound", "Internet", "*") in denies
    assert ("Outbound", "*", "Internet") in denies


@pytest.mark.parametrize("subnet_name", ["site-network-endpoints", "site-network-workloads"])
def test_nsg_overrides_the_default_vnet_allows_below_https(
    boundary: Recording, subnet_name: str
) -> None:
    rules = _nsg_of(boundary, boundary.named(subnet_name)).inputs["securityRules"]
    https = {r["direction"]: r["priority"] for r in rules if r["access"] == "Allow"}
    for direction, source, destination in (
        ("Inbound", "VirtualNetwork", "*"),
        ("Outbound", "*", "VirtualNetwork"),
    ):
        (deny,) = [
            r
            for r in rules
            if r["access"] == "Deny"
            and r["direction"] == direction
            and (r["sourceAddressPrefix"], r["destinationAddressPrefix"]) == (source, destination)
        ]
        assert (deny["protocol"], deny["destinationPortRange"]) == ("*", "*"), deny["name"]
        # Azure's AllowVnetInBound/AllowVnetOutBound sit at 65000: the deny must come before
        # them, and after the HTTPS allow of its direction.
        assert deny["priority"] < 65000, deny["name"]
        if direction in https:
            assert https[direction] < deny["priority"], deny["name"]


@pytest.mark.parametrize("subnet_name", ["site-network-endpoints", "site-network-workloads"])
def test_nsg_allows_only_https_inside_the_vnet(boundary: Recording, subnet_name: str) -> None:
    rules = _nsg_of(boundary, boundary.named(subnet_name)).inputs["securityRules"]
    allows = [r for r in rules if r["access"] == "Allow"]
    assert allows, subnet_name
    for rule in allows:
        assert rule["sourceAddressPrefix"] == "VirtualNetwork"
        assert rule["destinationAddressPrefix"] == "VirtualNetwork"
        assert (rule["protocol"], rule["destinationPortRange"]) == ("Tcp", "443")
    slots = [(r["direction"], r["priority"]) for r in rules]
    assert len(slots) == len(set(slots)), f"{subnet_name} reuses a priority: {slots}"


def test_subnet_writes_are_serialised(boundary: Recording) -> None:
    endpoints = boundary.named("site-network-endpoints")
    workloads = boundary.named("site-network-workloads")
    assert endpoints.urn in workloads.dependencies


@pytest.mark.parametrize(
    "zone",
    ["privatelink.blob.core.windows.net", "privatelink.vaultcore.azure.net", *MONITOR_DNS_ZONES],
)
def test_private_dns_zone_is_global_and_linked_without_registration(
    boundary: Recording, zone: str
) -> None:
    (private_zone,) = [
        r
        for r in of_type(boundary, "azure-native:privatedns:PrivateZone")
        if r.inputs["privateZoneName"] == zone
    ]
    (link,) = [
        r
        for r in of_type(boundary, "azure-native:privatedns:VirtualNetworkLink")
        if r.inputs["privateZoneName"] == zone
    ]
    vnet = one(boundary, "azure-native:network:VirtualNetwork")
    assert private_zone.inputs["location"] == "global"
    assert link.inputs["location"] == "global"
    assert link.inputs["registrationEnabled"] is False
    assert link.inputs["virtualNetwork"] == {"id": vnet.id}
    assert private_zone.urn in link.property_dependencies["privateZoneName"]


def test_every_resource_uses_the_explicit_provider_and_tags(boundary: Recording) -> None:
    provider = one(boundary, "pulumi:providers:azure-native")
    for resource in azure_resources(boundary):
        bound = boundary.provider_of(resource)
        assert bound is not None
        assert bound.urn == provider.urn, resource.urn
        if resource.type != "azure-native:network:Subnet":
            assert resource.inputs["tags"] == dict(TAGS), resource.urn


@pytest.mark.parametrize(
    ("cidr", "expected"),
    [
        ("10.0.0.0/8", ("10.0.0.0/10", "10.64.0.0/10")),
        ("192.168.10.0/24", ("192.168.10.0/26", "192.168.10.64/26")),
        ("172.16.0.0/27", ("172.16.0.0/29", "172.16.0.8/29")),
    ],
)
def test_carve_subnets(cidr: str, expected: tuple[str, str]) -> None:
    assert carve_subnets(cidr) == expected


@pytest.mark.parametrize(
    ("cidr", "message"),
    [
        ("10.0.0.1/16", "not a network address"),
        ("banana", "not a network address"),
        ("8.8.8.0/24", "private IPv4"),
        ("fd00::/48", "private IPv4"),
        ("10.0.0.0/28", "too small"),
    ],
)
def test_invalid_cidrs_are_refused(cidr: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AzureNetworkBoundaryArgs(
            resource_group_name="site-rg", location="norwayeast", vnet_cidr=cidr, tags=TAGS
        )
