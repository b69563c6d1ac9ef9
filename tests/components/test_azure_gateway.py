"""AzureAccessGateway: one identity scoped to the data container, private endpoints, audit logs."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest
from pulumi_azure_native import Provider

from clover.standin.engine import FAKE_AZURE_SUBSCRIPTION_ID, Recording
from components.gateway.azure import AzureAccessGateway, AzureAccessGatewayArgs
from components.network.azure import MONITOR_DNS_ZONES
from tests.components.azure_helpers import (
    OPERATOR,
    SECOND_OPERATOR,
    TAGS,
    azure_resources,
    of_type,
    one,
)
from tests.conftest import RunProgram

SUBSCRIPTION = f"/subscriptions/{FAKE_AZURE_SUBSCRIPTION_ID}"
ROLE_DEFINITIONS = f"{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/"
BLOB_DATA_CONTRIBUTOR = ROLE_DEFINITIONS + "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
MANAGED_IDENTITY_OPERATOR = ROLE_DEFINITIONS + "f1a07417-d97a-45f5-8e6a-8f5bb7a04ed7"
GROUP = f"/subscriptions/{FAKE_AZURE_SUBSCRIPTION_ID}/resourceGroups/site-rg/providers"
ACCOUNT_ID = f"{GROUP}/Microsoft.Storage/storageAccounts/cloversitedata"
CONTAINER_ID = f"{ACCOUNT_ID}/blobServices/default/containers/data"
VAULT_ID = f"{GROUP}/Microsoft.KeyVault/vaults/clover-site-kv"
SUBNET_ID = f"{GROUP}/Microsoft.Network/virtualNetworks/site-vnet/subnets/endpoints"
BLOB_ZONE_ID = f"{GROUP}/Microsoft.Network/privateDnsZones/privatelink.blob.core.windows.net"
VAULT_ZONE_ID = f"{GROUP}/Microsoft.Network/privateDnsZones/privatelink.vaultcore.azure.net"
MONITOR_ZONE_IDS = [
    f"{GROUP}/Microsoft.Network/privateDnsZones/{zone}" for zone in MONITOR_DNS_ZONES
]
ARGS: dict[str, Any] = {
    "resource_group_name": "site-rg",
    "location": "northeurope",
    "account_id": ACCOUNT_ID,
    "container_id": CONTAINER_ID,
    "vault_id": VAULT_ID,
    "private_endpoint_subnet_id": SUBNET_ID,
    "blob_dns_zone_id": BLOB_ZONE_ID,
    "vault_dns_zone_id": VAULT_ZONE_ID,
    "monitor_dns_zone_ids": MONITOR_ZONE_IDS,
    "principal_ids": [OPERATOR, SECOND_OPERATOR],
    "tags": TAGS,
}


def _program(**overrides: Any) -> Any:
    values = {**ARGS, **overrides}

    def program() -> None:
        provider = Provider("site-azure", location="northeurope")
        AzureAccessGateway(
            "site-gateway",
            AzureAccessGatewayArgs(**values),
            opts=pulumi.ResourceOptions(providers=[provider]),
        )

    return program


@pytest.fixture
def gateway(run: RunProgram) -> Recording:
    return run(_program())


def test_gateway_identity_may_use_only_the_data_container(gateway: Recording) -> None:
    identity = one(gateway, "azure-native:managedidentity:UserAssignedIdentity")
    data_grants = [
        r
        for r in of_type(gateway, "azure-native:authorization:RoleAssignment")
        if r.inputs["roleDefinitionId"] == BLOB_DATA_CONTRIBUTOR
    ]
    assert len(data_grants) == 1
    (grant,) = data_grants
    assert grant.inputs["scope"] == CONTAINER_ID
    assert grant.inputs["principalType"] == "ServicePrincipal"
    assert identity.urn in grant.property_dependencies["principalId"]
    assert identity.inputs["location"] == "northeurope"


def test_each_principal_may_operate_the_identity_and_nothing_else(gateway: Recording) -> None:
    identity = one(gateway, "azure-native:managedidentity:UserAssignedIdentity")
    grants = [
        r
        for r in of_type(gateway, "azure-native:authorization:RoleAssignment")
        if r.inputs["principalId"] in (OPERATOR, SECOND_OPERATOR)
    ]
    assert sorted(r.inputs["principalId"] for r in grants) == sorted([OPERATOR, SECOND_OPERATOR])
    for grant in grants:
        assert grant.inputs["roleDefinitionId"] == MANAGED_IDENTITY_OPERATOR
        assert grant.inputs["scope"] == identity.id
        assert grant.inputs["principalType"] == "Group"


def test_operator_principal_type_is_explicit(run: RunProgram) -> None:
    recording = run(_program(principal_ids=[OPERATOR], principal_type="User"))
    operator = recording.named("site-gateway-operator-0")
    assert operator.inputs["principalType"] == "User"


def test_no_principals_means_no_operator_grants(run: RunProgram) -> None:
    recording = run(_program(principal_ids=[]))
    assert len(of_type(recording, "azure-native:authorization:RoleAssignment")) == 1


@pytest.mark.parametrize(
    ("role", "target", "group", "zone_id"),
    [("blob", ACCOUNT_ID, "blob", BLOB_ZONE_ID), ("vault", VAULT_ID, "vault", VAULT_ZONE_ID)],
)
def test_private_endpoint_with_dns_zone_group(
    gateway: Recording, role: str, target: str, group: str, zone_id: str
) -> None:
    endpoint = gateway.named(f"site-gateway-{role}-endpoint")
    assert endpoint.inputs["location"] == "northeurope"
    assert endpoint.inputs["subnet"] == {"id": SUBNET_ID}
    (connection,) = endpoint.inputs["privateLinkServiceConnections"]
    assert connection["privateLinkServiceId"] == target
    assert connection["groupIds"] == [group]
    zone_group = gateway.named(f"site-gateway-{role}-dns")
    assert zone_group.inputs["privateEndpointName"] == endpoint.name
    assert endpoint.urn in zone_group.property_dependencies["privateEndpointName"]
    assert zone_group.inputs["privateDnsZoneConfigs"] == [
        {"name": role, "privateDnsZoneId": zone_id}
    ]


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("location", "northeurope"),
        ("retentionInDays", 90),
        ("sku", {"name": "PerGB2018"}),
        ("publicNetworkAccessForIngestion", "Disabled"),
        ("publicNetworkAccessForQuery", "Disabled"),
        (
            "features",
            {"disableLocalAuth": True, "enableLogAccessUsingOnlyResourcePermissions": True},
        ),
    ],
)
def test_workspace_property(gateway: Recording, field: str, expected: object) -> None:
    workspace = one(gateway, "azure-native:operationalinsights:Workspace")
    assert workspace.inputs[field] == expected, workspace.urn


@pytest.mark.parametrize(
    ("role", "resource_uri", "categories"),
    [
        (
            "blob",
            f"{ACCOUNT_ID}/blobServices/default",
            ["StorageRead", "StorageWrite", "StorageDelete"],
        ),
        ("vault", VAULT_ID, ["AuditEvent"]),
    ],
)
def test_audit_logs_go_to_the_site_workspace(
    gateway: Recording, role: str, resource_uri: str, categories: list[str]
) -> None:
    workspace = one(gateway, "azure-native:operationalinsights:Workspace")
    setting = gateway.named(f"site-gateway-{role}-audit")
    assert setting.inputs["resourceUri"] == resource_uri
    assert setting.inputs["workspaceId"] == workspace.id
    assert setting.inputs["logs"] == [{"category": c, "enabled": True} for c in categories]


def test_every_resource_uses_the_explicit_provider_and_tags(gateway: Recording) -> None:
    provider = one(gateway, "pulumi:providers:azure-native")
    untaggable = {
        "azure-native:authorization:RoleAssignment",
        "azure-native:network:PrivateDnsZoneGroup",
        "azure-native:monitor:DiagnosticSetting",
        "azure-native:monitor:PrivateLinkScopedResource",
    }
    for resource in azure_resources(gateway):
        bound = gateway.provider_of(resource)
        assert bound is not None
        assert bound.urn == provider.urn, resource.urn
        if resource.type not in untaggable:
            assert resource.inputs["tags"] == dict(TAGS), resource.urn


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"principal_ids": ["alice@example.com"]}, "'alice@example.com' is not an Entra object id"),
        ({"principal_ids": [OPERATOR, OPERATOR]}, "duplicates"),
        ({"principal_type": "Everyone"}, "principal_type 'Everyone'"),
        ({"log_retention_days": 7}, "log_retention_days 7"),
    ],
)
def test_invalid_args_are_refused(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AzureAccessGatewayArgs(**{**ARGS, **overrides})


def test_the_workspace_is_reached_only_through_a_private_link_scope(gateway: Recording) -> None:
    recording = gateway
    scope = one(recording, "azure-native:monitor:PrivateLinkScope")
    assert scope.inputs["location"] == "global", scope.urn  # Azure accepts no other
    assert scope.inputs["accessModeSettings"] == {
        "ingestionAccessMode": "PrivateOnly",
        "queryAccessMode": "PrivateOnly",
    }, scope.urn
    workspace = one(recording, "azure-native:operationalinsights:Workspace")
    linked = one(recording, "azure-native:monitor:PrivateLinkScopedResource")
    assert workspace.urn in linked.property_dependencies["linkedResourceId"], linked.urn
    assert scope.urn in linked.property_dependencies["scopeName"], linked.urn
    endpoint = next(
        e
        for e in of_type(recording, "azure-native:network:PrivateEndpoint")
        if e.inputs["privateLinkServiceConnections"][0]["groupIds"] == ["azuremonitor"]
    )
    assert endpoint.inputs["subnet"] == {"id": SUBNET_ID}, endpoint.urn
    assert endpoint.inputs["location"] == "northeurope", endpoint.urn
    assert scope.urn in endpoint.property_dependencies["privateLinkServiceConnections"]
    group = next(
        g
        for g in of_type(recording, "azure-native:network:PrivateDnsZoneGroup")
        if g.name.endswith("-monitor-dns")
    )
    zones = [c["privateDnsZoneId"] for c in group.inputs["privateDnsZoneConfigs"]]
    assert zones == [*MONITOR_ZONE_IDS, BLOB_ZONE_ID], group.urn
