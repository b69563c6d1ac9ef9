"""AzureSiteStorage: a private account encrypted with the site key, recoverable, with the
redundancy rule that keeps geo-replicas in approved locations."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest
from pulumi_azure_native import Provider

from clover.standin.engine import Recording
from components.storage.azure import AzureSiteStorage, AzureSiteStorageArgs, check_storage_sku
from tests.components.azure_helpers import TAGS, azure_resources, one
from tests.conftest import RunProgram

IDENTITY_ID = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/site-rg/providers/"
    "Microsoft.ManagedIdentity/userAssignedIdentities/site-storage-identity"
)
VAULT_URI = "https://clover-site-kv.vault.azure.net/"
ARGS: dict[str, Any] = {
    "resource_group_name": "site-rg",
    "location": "northeurope",
    "account_name": "cloversitedata",
    "key_vault_uri": VAULT_URI,
    "key_name": "site-key",
    "key_identity_id": IDENTITY_ID,
    "tags": TAGS,
}


def _program(**overrides: Any) -> Any:
    values = {**ARGS, **overrides}

    def program() -> None:
        provider = Provider("site-azure", location=values["location"])
        AzureSiteStorage(
            "site-storage",
            AzureSiteStorageArgs(**values),
            opts=pulumi.ResourceOptions(providers=[provider]),
        )

    return program


@pytest.fixture
def store(run: RunProgram) -> Recording:
    return run(_program())


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("kind", "StorageV2"),
        ("sku", {"name": "Standard_ZRS"}),
        ("location", "northeurope"),
        ("accountName", "cloversitedata"),
        ("minimumTlsVersion", "TLS1_2"),
        ("enableHttpsTrafficOnly", True),
        ("allowBlobPublicAccess", False),
        ("allowSharedKeyAccess", False),
        ("allowCrossTenantReplication", False),
        ("defaultToOAuthAuthentication", True),
        ("isLocalUserEnabled", False),
        ("publicNetworkAccess", "Disabled"),
        ("networkRuleSet", {"defaultAction": "Deny", "bypass": "None"}),
        ("identity", {"type": "UserAssigned", "userAssignedIdentities": [IDENTITY_ID]}),
        ("tags", dict(TAGS)),
    ],
)
def test_account_property(store: Recording, field: str, expected: object) -> None:
    account = one(store, "azure-native:storage:StorageAccount")
    assert account.inputs[field] == expected, account.urn


def test_account_is_encrypted_with_the_site_key_through_its_identity(store: Recording) -> None:
    encryption = one(store, "azure-native:storage:StorageAccount").inputs["encryption"]
    assert encryption["keySource"] == "Microsoft.Keyvault"
    # No keyVersion: the account follows the key's automatic rotation.
    assert encryption["keyVaultProperties"] == {"keyName": "site-key", "keyVaultUri": VAULT_URI}
    assert encryption["encryptionIdentity"] == {"encryptionUserAssignedIdentity": IDENTITY_ID}
    assert encryption["requireInfrastructureEncryption"] is True


@pytest.mark.parametrize("service", ["blob", "file", "queue", "table"])
def test_every_service_uses_the_account_scoped_customer_key(store: Recording, service: str) -> None:
    services = one(store, "azure-native:storage:StorageAccount").inputs["encryption"]["services"]
    assert services[service] == {"enabled": True, "keyType": "Account"}


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("blobServicesName", "default"),
        ("isVersioningEnabled", True),
        ("deleteRetentionPolicy", {"enabled": True, "days": 30}),
        ("containerDeleteRetentionPolicy", {"enabled": True, "days": 30}),
        ("changeFeed", {"enabled": True}),
    ],
)
def test_blob_service_property(store: Recording, field: str, expected: object) -> None:
    service = one(store, "azure-native:storage:BlobServiceProperties")
    assert service.inputs[field] == expected, service.urn


def test_data_container_is_private_and_in_the_account(store: Recording) -> None:
    container = one(store, "azure-native:storage:BlobContainer")
    account = one(store, "azure-native:storage:StorageAccount")
    assert container.inputs["containerName"] == "data"
    assert container.inputs["publicAccess"] == "None"
    assert container.inputs["accountName"] == "cloversitedata"
    assert account.urn in container.property_dependencies["accountName"]


@pytest.mark.parametrize("protect", [True, False])
def test_account_and_container_follow_protect(run: RunProgram, protect: bool) -> None:
    recording = run(_program(protect=protect))
    for token in ("azure-native:storage:StorageAccount", "azure-native:storage:BlobContainer"):
        assert one(recording, token).protect is protect


def test_every_resource_uses_the_explicit_provider(store: Recording) -> None:
    provider = one(store, "pulumi:providers:azure-native")
    for resource in azure_resources(store):
        bound = store.provider_of(resource)
        assert bound is not None
        assert bound.urn == provider.urn, resource.urn


@pytest.mark.parametrize(
    "sku", ["Standard_GRS", "Standard_RAGRS", "Standard_GZRS", "Standard_RAGZRS"]
)
def test_geo_redundancy_is_accepted_where_the_pair_is_approved(run: RunProgram, sku: str) -> None:
    # North Europe pairs with West Europe (NL), an approved location.
    recording = run(_program(sku=sku))
    assert one(recording, "azure-native:storage:StorageAccount").inputs["sku"] == {"name": sku}


@pytest.mark.parametrize(
    "sku",
    [
        "Standard_GRS",
        "Standard_RAGRS",
        "Standard_GZRS",
        "Standard_RAGZRS",
        # The v2 SKUs replicate to the pair as well; the residency pack judges them so.
        "StandardV2_GRS",
        "StandardV2_GZRS",
    ],
)
@pytest.mark.parametrize("location", ["italynorth", "polandcentral", "spaincentral"])
def test_geo_redundancy_is_refused_without_a_pair(sku: str, location: str) -> None:
    with pytest.raises(ValueError, match=rf"'{sku}'.*'{location}'.*pair None"):
        check_storage_sku(sku, location)


def test_geo_redundancy_is_refused_when_the_pair_is_not_approved() -> None:
    # A location outside the catalog has no known pair either: refused, never assumed.
    with pytest.raises(ValueError, match=r"'Standard_GRS'.*'eastus'"):
        check_storage_sku("Standard_GRS", "eastus")


@pytest.mark.parametrize(
    "sku", ["Standard_ZRS", "Standard_LRS", "Premium_ZRS", "StandardV2_ZRS", "PremiumV2_LRS"]
)
@pytest.mark.parametrize("location", ["italynorth", "northeurope", "norwayeast"])
def test_local_and_zone_redundancy_is_accepted_anywhere_approved(sku: str, location: str) -> None:
    check_storage_sku(sku, location)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"account_name": "clover-site"}, "account_name 'clover-site'"),
        ({"account_name": "ab"}, "account_name 'ab'"),
        ({"sku": "Standard_XRS"}, "'Standard_XRS' is not a storage SKU"),
        ({"location": "uksouth"}, "location 'uksouth'"),
        ({"soft_delete_days": 0}, "soft_delete_days 0"),
    ],
)
def test_invalid_args_are_refused(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AzureSiteStorageArgs(**{**ARGS, **overrides})
