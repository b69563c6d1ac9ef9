"""The site key on Azure: a Key Vault holding an HSM-backed key that encrypts the site's storage."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import authorization, keyvault, managedidentity

KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER = "e147488a-f6f5-4113-8e2d-b22465e65bf6"
"""Built-in role that lets a service wrap and unwrap with a key, and nothing else.
https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/security#key-vault-crypto-service-encryption-user
"""

_VAULT_NAME = re.compile(r"^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$")
_KEY_SIZES = (3072, 4096)


def validate_vault_name(vault_name: str) -> None:
    """Raise ``ValueError`` unless ``vault_name`` is a valid Key Vault name.

    Vault names are global DNS labels: 3-24 letters, digits and single hyphens, starting with a
    letter and not ending with a hyphen.
    https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftkeyvault
    """
    if not _VAULT_NAME.match(vault_name):
        raise ValueError(
            f"vault_name {vault_name!r} is not a valid Key Vault name: use 3-24 letters, digits and"
            " single hyphens, starting with a letter and ending with a letter or digit"
        )


def role_definition_id(subscription_id: pulumi.Input[str], role: str) -> pulumi.Output[str]:
    """The ARM id of a built-in role definition, in the subscription-scoped form ARM returns."""
    return pulumi.Output.concat(
        "/subscriptions/",
        subscription_id,
        "/providers/Microsoft.Authorization/roleDefinitions/",
        role,
    )


@dataclass(frozen=True, kw_only=True)
class AzureSiteKeyArgs:
    """Inputs of :class:`AzureSiteKey`."""

    resource_group_name: pulumi.Input[str]
    """The site's resource group."""
    location: str
    """The Azure location of the vault and the identity: the site's location."""
    vault_name: str
    """The vault's name. Vault names are globally unique DNS labels and stay reserved while a
    deleted vault is retained (90 days with purge protection), so the stack chooses it."""
    tags: Mapping[str, str]
    """Tags for every taggable resource (residency site, data classification)."""
    key_size: int = 4096
    """RSA key size in bits: 3072 or 4096."""
    key_expiry: str = "P2Y"
    """ISO 8601 duration after which each new key version expires."""
    rotate_after: str = "P1Y"
    """ISO 8601 duration after a version's creation at which Key Vault rotates the key."""
    notify_before_expiry: str = "P30D"
    """ISO 8601 duration before expiry at which Key Vault emits a near-expiry event."""
    protect: bool = True
    """Protect the vault and the key from deletion by Pulumi, and keep them in Azure when they
    leave the stack (``retain_on_delete``): losing either loses the data."""

    def __post_init__(self) -> None:
        validate_vault_name(self.vault_name)
        if self.key_size not in _KEY_SIZES:
            raise ValueError(f"key_size {self.key_size} is not allowed: use one of {_KEY_SIZES}")


class AzureSiteKey(pulumi.ComponentResource):
    """A premium Key Vault reachable only privately, an RSA-HSM key with a rotation policy, and a
    user-assigned identity that may wrap and unwrap with that key (for the storage account).

    The vault denies public network access; the caller adds its private endpoint
    (:class:`components.gateway.azure.AzureAccessGateway` does).
    """

    vault_id: pulumi.Output[str]
    vault_name: pulumi.Output[str]
    vault_uri: pulumi.Output[str]
    key_id: pulumi.Output[str]
    key_name: pulumi.Output[str]
    identity_id: pulumi.Output[str]
    """ARM id of the identity that the storage account uses to reach the key."""
    identity_principal_id: pulumi.Output[str]
    identity_client_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: AzureSiteKeyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("clover:keys:AzureSiteKey", name, None, opts)
        client = authorization.get_client_config_output(opts=pulumi.InvokeOptions(parent=self))
        tags = dict(args.tags)

        vault = keyvault.Vault(
            f"{name}-vault",
            vault_name=args.vault_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            tags=tags,
            properties=keyvault.VaultPropertiesArgs(
                tenant_id=client.tenant_id,
                # HSM-protected keys (RSA-HSM) need the premium tier.
                # https://learn.microsoft.com/azure/key-vault/keys/about-keys#hsm-protected-keys
                sku=keyvault.SkuArgs(family=keyvault.SkuFamily.A, name=keyvault.SkuName.PREMIUM),
                enable_rbac_authorization=True,
                enable_soft_delete=True,
                soft_delete_retention_in_days=90,
                # Storage refuses a customer-managed key from a vault without purge protection.
                # https://learn.microsoft.com/azure/storage/common/customer-managed-keys-overview#key-vault-requirements
                enable_purge_protection=True,
                enabled_for_deployment=False,
                enabled_for_disk_encryption=False,
                enabled_for_template_deployment=False,
                public_network_access=keyvault.PublicNetworkAccess.DISABLED,
                network_acls=keyvault.NetworkRuleSetArgs(
                    default_action=keyvault.NetworkRuleAction.DENY,
                    # Azure Storage unwraps the account key from its own back end, not from the
                    # site's VNet, so a private endpoint cannot carry that traffic: it reaches the
                    # vault only as a trusted service, still authorised by RBAC on the key.
                    # https://learn.microsoft.com/azure/key-vault/general/overview-vnet-service-endpoints#trusted-services
                    bypass=keyvault.NetworkRuleBypassOptions.AZURE_SERVICES,
                ),
            ),
            opts=pulumi.ResourceOptions(
                parent=self, protect=args.protect, retain_on_delete=args.protect
            ),
        )

        key = keyvault.Key(
            f"{name}-key",
            resource_group_name=args.resource_group_name,
            vault_name=vault.name,
            tags=tags,
            properties=keyvault.KeyPropertiesArgs(
                kty=keyvault.JsonWebKeyType.RS_A_HSM,
                key_size=args.key_size,
                key_ops=[
                    keyvault.JsonWebKeyOperation.WRAP_KEY,
                    keyvault.JsonWebKeyOperation.UNWRAP_KEY,
                ],
                rotation_policy=keyvault.RotationPolicyArgs(
                    attributes=keyvault.KeyRotationPolicyAttributesArgs(
                        expiry_time=args.key_expiry
                    ),
                    lifetime_actions=[
                        keyvault.LifetimeActionArgs(
                            action=keyvault.ActionArgs(
                                type=keyvault.KeyRotationPolicyActionType.ROTATE
                            ),
                            trigger=keyvault.TriggerArgs(time_after_create=args.rotate_after),
                        ),
                        keyvault.LifetimeActionArgs(
                            action=keyvault.ActionArgs(
                                type=keyvault.KeyRotationPolicyActionType.NOTIFY
                            ),
                            trigger=keyvault.TriggerArgs(
                                time_before_expiry=args.notify_before_expiry
                            ),
                        ),
                    ],
                ),
            ),
            opts=pulumi.ResourceOptions(
                parent=self, protect=args.protect, retain_on_delete=args.protect
            ),
        )

        # A storage account can be created with a customer-managed key only through a
        # user-assigned identity that already holds access to the key.
        # https://learn.microsoft.com/azure/storage/common/customer-managed-keys-configure-new-account
        identity = managedidentity.UserAssignedIdentity(
            f"{name}-storage-identity",
            resource_group_name=args.resource_group_name,
            location=args.location,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

        authorization.RoleAssignment(
            f"{name}-storage-key-user",
            principal_id=identity.principal_id,
            # Naming the principal type skips the directory lookup that fails while a new
            # identity is still replicating through Entra ID.
            # https://learn.microsoft.com/azure/role-based-access-control/role-assignments-template#new-service-principal
            principal_type=authorization.PrincipalType.SERVICE_PRINCIPAL,
            role_definition_id=role_definition_id(
                client.subscription_id, KEY_VAULT_CRYPTO_SERVICE_ENCRYPTION_USER
            ),
            scope=key.id,
            opts=pulumi.ResourceOptions(parent=self),
        )

        self.vault_id = vault.id
        self.vault_name = vault.name
        # In Azure's public cloud a vault's URI is https://<name>.vault.azure.net/. Deriving it
        # gives the value the vault reports, and keeps the storage account's key reference
        # complete in offline checks, where no provider fills in response fields.
        # https://learn.microsoft.com/azure/key-vault/general/about-keys-secrets-certificates#object-identifiers
        self.vault_uri = pulumi.Output.concat("https://", vault.name, ".vault.azure.net/")
        self.key_id = key.id
        self.key_name = key.name
        self.identity_id = identity.id
        self.identity_principal_id = identity.principal_id
        self.identity_client_id = identity.client_id
        self.register_outputs(
            {
                "vault_id": self.vault_id,
                "vault_name": self.vault_name,
                "vault_uri": self.vault_uri,
                "key_id": self.key_id,
                "key_name": self.key_name,
                "identity_id": self.identity_id,
                "identity_principal_id": self.identity_principal_id,
                "identity_client_id": self.identity_client_id,
            }
        )
