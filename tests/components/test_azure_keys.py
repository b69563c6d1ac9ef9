"""AzureSiteKey: a private premium vault, an HSM key that rotates, and a key-only grant."""

from __future__ import annotations

from typing import Any

import pulumi
import pytest
from pulumi_azure_native import Provider

from clover.standin.engine import FAKE_AZURE_SUBSCRIPTION_ID, FAKE_AZURE_TENANT_ID, Recording
from components.keys.azure import AzureSiteKey, AzureSiteKeyArgs
from tests.components.azure_helpers import TAGS, azure_resources, one
from tests.conftest import RunProgram

CRYPTO_USER = (
    f"/subscriptions/{FAKE_AZURE_SUBSCRIPTION_ID}/providers/Microsoft.Authorization/"
    "roleDefinitions/e147488a-f6f5-4113-8e2d-b22465e65bf6"
)


def _program(**overrides: Any) -> Any:
    def program() -> None:
        provider = Provider("site-azure", location="northeurope")
        AzureSiteKey(
            "site-keys",
            AzureSiteKeyArgs(
                **{
                    "resource_group_name": "site-rg",
                    "location": "northeurope",
                    "vault_name": "clover-site-kv",
                    "tags": TAGS,
                    **overrides,
                }
            ),
            opts=pulumi.ResourceOptions(providers=[provider]),
        )

    return program


@pytest.fixture
def keys(run: RunProgram) -> Recording:
    return run(_program())


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("sku", {"family": "A", "name": "premium"}),
        ("enableRbacAuthorization", True),
        ("enablePurgeProtection", True),
        ("enableSoftDelete", True),
        ("softDeleteRetentionInDays", 90),
        ("publicNetworkAccess", "Disabled"),
        ("networkAcls", {"defaultAction": "Deny", "bypass": "AzureServices"}),
        ("tenantId", FAKE_AZURE_TENANT_ID),
        ("enabledForDeployment", False),
        ("enabledForDiskEncryption", False),
        ("enabledForTemplateDeployment", False),
    ],
)
def test_vault_property(keys: Recording, field: str, expected: object) -> None:
    vault = one(keys, "azure-native:keyvault:Vault")
    assert vault.inputs["properties"][field] == expected, vault.urn


def test_vault_is_named_and_placed_by_args(keys: Recording) -> None:
    vault = one(keys, "azure-native:keyvault:Vault")
    assert vault.inputs["vaultName"] == "clover-site-kv"
    assert vault.inputs["location"] == "northeurope"


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("kty", "RSA-HSM"),
        ("keySize", 4096),
        ("keyOps", ["wrapKey", "unwrapKey"]),
    ],
)
def test_key_property(keys: Recording, field: str, expected: object) -> None:
    key = one(keys, "azure-native:keyvault:Key")
    assert key.inputs["properties"][field] == expected, key.urn


def test_key_lives_in_the_site_vault(keys: Recording) -> None:
    key = one(keys, "azure-native:keyvault:Key")
    vault = one(keys, "azure-native:keyvault:Vault")
    assert key.inputs["vaultName"] == vault.inputs["vaultName"]
    assert vault.urn in key.property_dependencies["vaultName"]


def test_key_rotates_yearly_and_expires_after_two_years(keys: Recording) -> None:
    policy = one(keys, "azure-native:keyvault:Key").inputs["properties"]["rotationPolicy"]
    assert policy["attributes"] == {"expiryTime": "P2Y"}
    actions = {a["action"]["type"]: a["trigger"] for a in policy["lifetimeActions"]}
    assert actions == {
        "rotate": {"timeAfterCreate": "P1Y"},
        "notify": {"timeBeforeExpiry": "P30D"},
    }


def test_key_size_3072_is_accepted(run: RunProgram) -> None:
    recording = run(_program(key_size=3072))
    assert one(recording, "azure-native:keyvault:Key").inputs["properties"]["keySize"] == 3072


def test_storage_identity_may_only_wrap_with_the_key(keys: Recording) -> None:
    identity = one(keys, "azure-native:managedidentity:UserAssignedIdentity")
    grant = one(keys, "azure-native:authorization:RoleAssignment")
    key = one(keys, "azure-native:keyvault:Key")
    assert identity.inputs["location"] == "northeurope"
    assert grant.inputs["roleDefinitionId"] == CRYPTO_USER
    assert grant.inputs["scope"] == key.id
    assert grant.inputs["principalType"] == "ServicePrincipal"
    assert grant.inputs["principalId"]
    assert identity.urn in grant.property_dependencies["principalId"]


@pytest.mark.parametrize("protect", [True, False])
def test_vault_and_key_follow_protect(run: RunProgram, protect: bool) -> None:
    recording = run(_program(protect=protect))
    for token in ("azure-native:keyvault:Vault", "azure-native:keyvault:Key"):
        assert one(recording, token).protect is protect
    assert not one(recording, "azure-native:managedidentity:UserAssignedIdentity").protect


def test_every_resource_uses_the_explicit_provider_and_tags(keys: Recording) -> None:
    provider = one(keys, "pulumi:providers:azure-native")
    for resource in azure_resources(keys):
        bound = keys.provider_of(resource)
        assert bound is not None
        assert bound.urn == provider.urn, resource.urn
        if resource.type != "azure-native:authorization:RoleAssignment":
            assert resource.inputs["tags"] == dict(TAGS), resource.urn


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"vault_name": "kv"}, "vault_name 'kv'"),
        ({"vault_name": "clover--kv"}, "vault_name"),
        ({"vault_name": "clover-kv-"}, "vault_name"),
        ({"vault_name": "a" * 25}, "vault_name"),
        ({"key_size": 2048}, "key_size 2048"),
    ],
)
def test_invalid_args_are_refused(overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AzureSiteKeyArgs(
            **{
                "resource_group_name": "site-rg",
                "location": "northeurope",
                "vault_name": "clover-site-kv",
                "tags": TAGS,
                **overrides,
            }
        )
