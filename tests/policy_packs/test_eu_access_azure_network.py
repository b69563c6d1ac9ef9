"""``azure-native-vault-trusted-services-justified`` over the analyzer protocol: a key vault lets
trusted Microsoft services past its firewall only when a service of the stack encrypts with a key
in it."""

from __future__ import annotations

from typing import Any, Final

import pytest

from clover.analyzer import UNKNOWN, AnalyzedResource, PolicyPack

from .conftest import eu_resource

RULE: Final = "azure-native-vault-trusted-services-justified"
VAULT: Final = "azure-native:keyvault:Vault"
ACCOUNT: Final = "azure-native:storage:StorageAccount"


def vault(acls: Any = None, name: str = "kv") -> AnalyzedResource:
    properties: dict[str, Any] = {"publicNetworkAccess": "Disabled"}
    if acls is not None:
        properties["networkAcls"] = acls
    return eu_resource(VAULT, name, {"vaultName": name, "properties": properties})


def account(key_vault_uri: Any) -> AnalyzedResource:
    return eu_resource(
        ACCOUNT,
        "acct",
        {
            "accountName": "acct",
            "encryption": {
                "keySource": "Microsoft.Keyvault",
                "keyVaultProperties": {"keyName": "cmk", "keyVaultUri": key_vault_uri},
            },
        },
    )


def blocked(pack: PolicyPack, *resources: AnalyzedResource) -> list[str]:
    found = [d for d in pack.analyze_stack(list(resources)) if d.policy == RULE]
    for d in found:
        assert d.enforcement_level == "mandatory", d.message
    return sorted(d.urn.rsplit("::", 1)[-1] for d in found)


@pytest.mark.parametrize(
    ("acls", "passes"),
    [
        ({"defaultAction": "Deny", "bypass": "None"}, True),
        ({"defaultAction": "Deny", "bypass": "AzureServices"}, False),
        ({"defaultAction": "Deny"}, False),  # Azure's default bypass is AzureServices
        (None, False),
        (UNKNOWN, False),
    ],
)
def test_a_vault_no_service_uses_keeps_trusted_services_out(
    eu_access: PolicyPack, acls: Any, passes: bool
) -> None:
    assert blocked(eu_access, vault(acls)) == ([] if passes else ["kv"])


def test_the_message_says_why_and_what_passes(eu_access: PolicyPack) -> None:
    [found] = [d for d in eu_access.analyze_stack([vault()]) if d.policy == RULE]
    assert "'AzureServices'" in found.message
    assert "Set properties.networkAcls.bypass to 'None'" in found.message


BYPASS: Final = {"defaultAction": "Deny", "bypass": "AzureServices"}


@pytest.mark.parametrize(
    "uri", ["https://kv.vault.azure.net/", "https://KV.vault.azure.net/keys/cmk/0123"]
)
def test_a_customer_managed_key_of_the_stack_justifies_the_bypass(
    eu_access: PolicyPack, uri: str
) -> None:
    assert blocked(eu_access, vault(BYPASS), account(uri)) == []
    assert blocked(eu_access, vault(BYPASS), account("https://other.vault.azure.net/")) == ["kv"]


def test_a_proven_vault_or_key_output_justifies_the_bypass(eu_access: PolicyPack) -> None:
    kv, acct = vault(BYPASS), account(UNKNOWN)
    assert blocked(eu_access, kv, acct) == ["kv"]
    path = "encryption.keyVaultProperties.keyVaultUri"
    eu_access.configure({RULE: {"provenOutputs": {acct.urn: {path: f"{kv.urn}#properties"}}}})
    assert blocked(eu_access, kv, acct) == []
    key = eu_resource("azure-native:keyvault:Key", "cmk", {"vaultName": "kv", "keyName": "cmk"})
    eu_access.configure({RULE: {"provenOutputs": {acct.urn: {path: f"{key.urn}#keyUri"}}}})
    assert blocked(eu_access, kv, key, acct) == []


def test_a_role_assignment_or_endpoint_naming_the_vault_is_no_need(eu_access: PolicyPack) -> None:
    vault_id = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv"
    endpoint = eu_resource(
        "azure-native:network:PrivateEndpoint",
        "kv",
        {"privateLinkServiceConnections": [{"privateLinkServiceId": vault_id}]},
    )
    assert blocked(eu_access, vault(BYPASS), endpoint) == ["kv"]
    disks = eu_resource(
        "azure-native:compute:DiskEncryptionSet",
        "disks",
        {
            "activeKey": {
                "sourceVault": {"id": vault_id},
                "keyUrl": "https://kv.vault.azure.net/keys/d/1",
            }
        },
    )
    assert blocked(eu_access, vault(BYPASS), disks) == []
