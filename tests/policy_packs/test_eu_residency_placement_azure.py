"""azure-native placement: own location, provider location, resource group (stack), globals."""

from __future__ import annotations

from typing import Any

import pytest

from clover.analyzer import UNKNOWN, AnalyzedResource, PolicyPack, ProviderRef
from tests.policy_packs.conftest import eu_azure_provider, eu_only, eu_resource, eu_urn

RULE = "azure-native-resource-location-allowed"
INHERITED = "azure-native-resource-inherited-location-allowed"
ACCOUNT = "azure-native:storage:StorageAccount"
GROUP = "azure-native:resources:ResourceGroup"


def analyze(
    pack: PolicyPack,
    props: dict[str, Any],
    *,
    resource_type: str = ACCOUNT,
    provider: ProviderRef | None = None,
) -> list[str]:
    resource = eu_resource(resource_type, "r", props, provider=provider or eu_azure_provider())
    found = eu_only(pack.analyze(resource), RULE)
    for d in found:
        assert d.enforcement_level == "mandatory"
        assert d.severity == "critical"
        assert resource.urn in d.message
    return [d.message for d in found]


def group(name: str, location: Any, *, logical: str = "rg") -> AnalyzedResource:
    props: dict[str, Any] = {"resourceGroupName": name}
    if location is not None:
        props["location"] = location
    return eu_resource(GROUP, logical, props, provider=eu_azure_provider())


def stack(pack: PolicyPack, resources: list[AnalyzedResource]) -> list[tuple[str, str]]:
    found = eu_only(pack.analyze_stack(resources), INHERITED)
    assert all(d.enforcement_level == "mandatory" for d in found)
    return [(d.urn, d.message) for d in found]


@pytest.mark.parametrize(
    ("props", "provider"),
    [
        ({"location": "northeurope"}, None),
        ({"location": "North Europe"}, None),
        ({"location": "NorwayEast"}, None),
        ({}, eu_azure_provider("westeurope")),
        ({"location": "swedencentral"}, eu_azure_provider("eastus")),  # own location wins
    ],
)
def test_compliant(
    eu_residency: PolicyPack, props: dict[str, Any], provider: ProviderRef | None
) -> None:
    assert analyze(eu_residency, props, provider=provider) == []


@pytest.mark.parametrize(
    ("props", "provider", "fragment"),
    [
        ({"location": "eastus"}, None, "'eastus' is not allowed"),
        ({"location": "uksouth"}, None, "'uksouth' is not allowed"),
        ({"location": "switzerlandnorth"}, None, "not allowed"),
        ({}, eu_azure_provider("East US"), "'East US' is not allowed"),
        ({"location": "north-europe"}, None, "not an Azure location name"),
        ({"location": "nörtheurope"}, None, "not an Azure location name"),
        ({"location": ["northeurope"]}, None, "not a location name"),
    ],
)
def test_violating(
    eu_residency: PolicyPack, props: dict[str, Any], provider: ProviderRef | None, fragment: str
) -> None:
    (message,) = analyze(eu_residency, props, provider=provider)
    assert fragment in message


def test_unknown_location_stays_mandatory(eu_residency: PolicyPack) -> None:
    (message,) = analyze(eu_residency, {"location": UNKNOWN})
    assert "not known until apply" in message
    (message,) = analyze(eu_residency, {}, provider=eu_azure_provider(UNKNOWN))
    assert "not known until apply" in message


def test_resource_groups_are_checked(eu_residency: PolicyPack) -> None:
    assert analyze(eu_residency, {"location": "eastus"}, resource_type=GROUP)
    assert analyze(eu_residency, {"location": "northeurope"}, resource_type=GROUP) == []


def test_missing_location_is_deferred_to_the_stack_rule(eu_residency: PolicyPack) -> None:
    assert analyze(eu_residency, {"resourceGroupName": "rg"}) == []


@pytest.mark.parametrize(
    "resource_type",
    [
        "azure-native:storage:BlobContainer",
        "azure-native:authorization:RoleAssignment",
        "azure-native:network:Subnet",
    ],
)
def test_types_without_location_are_not_placement_bearing(
    eu_residency: PolicyPack, resource_type: str
) -> None:
    resource = eu_resource(resource_type, "r", {"resourceGroupName": "rg-elsewhere"})
    assert eu_only(eu_residency.preview([resource]), RULE) == []
    assert eu_only(eu_residency.preview([resource]), INHERITED) == []


@pytest.mark.parametrize(
    "resource_type",
    [
        "azure-native:dns:Zone",
        "azure-native:privatedns:PrivateZone",
        "azure-native:privatedns:VirtualNetworkLink",
        "azure-native:trafficmanager:Profile",
    ],
)
def test_reviewed_global_types(eu_residency: PolicyPack, resource_type: str) -> None:
    assert analyze(eu_residency, {"location": "global"}, resource_type=resource_type) == []
    assert analyze(eu_residency, {"location": "Global"}, resource_type=resource_type) == []


@pytest.mark.parametrize(
    "resource_type",
    ["azure-native:cdn:Profile", "azure-native:frontdoor:FrontDoor", ACCOUNT],
)
def test_global_is_blocked_elsewhere(eu_residency: PolicyPack, resource_type: str) -> None:
    (message,) = analyze(eu_residency, {"location": "global"}, resource_type=resource_type)
    assert "globalTypes" in message


def test_config_overrides(eu_residency: PolicyPack) -> None:
    eu_residency.configure(
        {
            RULE: {
                "allowedLocations": ["North Europe", "westeurope"],
                "globalTypes": ["azure-native:cdn:Profile"],
            }
        }
    )
    assert analyze(eu_residency, {"location": "northeurope"}) == []
    (message,) = analyze(eu_residency, {"location": "norwayeast"})
    assert "allowed locations: northeurope, westeurope." in message
    assert (
        analyze(eu_residency, {"location": "global"}, resource_type="azure-native:cdn:Profile")
        == []
    )
    assert analyze(eu_residency, {"location": "global"}, resource_type="azure-native:dns:Zone")


# -- the stack rule: inheritance from the resource group -------------------------------------


def account_in(group_name: Any, *, deps: tuple[str, ...] = ()) -> AnalyzedResource:
    return eu_resource(
        ACCOUNT,
        "account",
        {"resourceGroupName": group_name, "sku": {"name": "Standard_LRS"}},
        provider=eu_azure_provider(),
        property_dependencies={"resourceGroupName": deps} if deps else None,
    )


def test_inherits_allowed_group_location(eu_residency: PolicyPack) -> None:
    assert stack(eu_residency, [group("rg-dublin", "northeurope"), account_in("rg-dublin")]) == []
    # ARM names are case-insensitive.
    assert stack(eu_residency, [group("RG-Dublin", "northeurope"), account_in("rg-dublin")]) == []


def test_inherits_disallowed_group_location(eu_residency: PolicyPack) -> None:
    account = account_in("rg-us")
    (found,) = stack(eu_residency, [group("rg-us", "eastus"), account])
    assert found[0] == account.urn
    assert "'eastus' is not allowed" in found[1]
    assert "inherited from its resource group" in found[1]


def _evidence(pack: PolicyPack, **evidence: Any) -> None:
    """What ``python -m clover check`` proves about unknown values (clover/evidence.py)."""
    pack.configure({"data-flow-destination-allowed": evidence})


def test_group_matched_by_its_exact_name_output(eu_residency: PolicyPack) -> None:
    # At preview an auto-named group's name is unknown; `rg.name` itself is proven to be it.
    rg = eu_resource(GROUP, "rg", {"location": "eastus"}, provider=eu_azure_provider())
    account = account_in(UNKNOWN, deps=(rg.urn,))
    _evidence(eu_residency, provenOutputs={account.urn: {"resourceGroupName": f"{rg.urn}#name"}})
    (found,) = stack(eu_residency, [rg, account])
    assert found[0] == account.urn
    ok = eu_resource(GROUP, "rg", {"location": "westeurope"}, provider=eu_azure_provider())
    assert stack(eu_residency, [ok, account_in(UNKNOWN, deps=(ok.urn,))]) == []


def test_a_dependency_on_a_group_does_not_place_a_resource_in_it(eu_residency: PolicyPack) -> None:
    # `Output.concat(rg.name, "-shared")`: depends on the Dublin group, names another one.
    ok = eu_resource(GROUP, "rg", {"location": "westeurope"}, provider=eu_azure_provider())
    account = account_in(UNKNOWN, deps=(ok.urn,))
    _evidence(eu_residency, provenOutputs={})
    (found,) = stack(eu_residency, [ok, account])
    assert "not proven to be the name of a resource group of this stack" in found[1], found
    _evidence(
        eu_residency,
        provenOutputs={},
        computedValues={"inputs": {account.urn: {"resourceGroupName": "rg-shared"}}},
    )
    (found,) = stack(eu_residency, [ok, account])
    assert "its resource group 'rg-shared' is not managed in this stack" in found[1], found
    # Computing to the group's own name is that group.
    _evidence(
        eu_residency,
        provenOutputs={},
        computedValues={"inputs": {account.urn: {"resourceGroupName": "rg"}}},
    )
    assert stack(eu_residency, [ok, account]) == []


def test_group_matched_by_logical_name_when_auto_named(eu_residency: PolicyPack) -> None:
    rg = eu_resource(GROUP, "rg-auto", {"location": "eastus"}, provider=eu_azure_provider())
    assert stack(eu_residency, [rg, account_in("rg-auto")])


@pytest.mark.parametrize(
    ("group_name", "fragment"),
    [("rg-external", "not managed in this stack"), (UNKNOWN, "not known until apply")],
)
def test_unresolvable_group_fails_closed(
    eu_residency: PolicyPack, group_name: Any, fragment: str
) -> None:
    (found,) = stack(eu_residency, [account_in(group_name)])
    assert fragment in found[1]


def test_group_with_unknown_location(eu_residency: PolicyPack) -> None:
    (found,) = stack(eu_residency, [group("rg", UNKNOWN), account_in("rg")])
    assert "not known until apply" in found[1]


def test_group_location_from_its_provider(eu_residency: PolicyPack) -> None:
    rg = eu_resource(GROUP, "rg", {"resourceGroupName": "rg"}, provider=eu_azure_provider("eastus"))
    assert stack(eu_residency, [rg, account_in("rg")])


def test_not_reported_twice(eu_residency: PolicyPack) -> None:
    resources = [group("rg", "northeurope"), eu_resource(ACCOUNT, "a", {"location": "eastus"})]
    diagnostics = eu_residency.preview(resources)
    assert len(eu_only(diagnostics, RULE)) == 1
    assert eu_only(diagnostics, INHERITED) == []


def test_stack_rule_config_override(eu_residency: PolicyPack) -> None:
    resources = [group("rg", "francecentral"), account_in("rg")]
    assert stack(eu_residency, resources) == []
    eu_residency.configure({INHERITED: {"allowedLocations": ["northeurope"]}})
    (found,) = stack(eu_residency, resources)
    assert found[0] == eu_urn(ACCOUNT, "account")
