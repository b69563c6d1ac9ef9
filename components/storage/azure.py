"""A site's blob storage on Azure: private, encrypted with the site's key, recoverable."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import storage

from clover.facts import AZURE_STORAGE_SKUS, geo_redundant_storage_sku
from sites.catalog import APPROVED_AZURE_LOCATIONS, AZURE_REGIONS

_KNOWN_SKUS = AZURE_STORAGE_SKUS
_ACCOUNT_NAME = re.compile(r"^[a-z0-9]{3,24}$")


def check_storage_sku(sku: str, location: str) -> None:
    """Raise ``ValueError`` unless ``sku`` keeps every copy of the data in approved locations.

    Geo-redundant SKUs replicate to the location's Azure pair, so they are allowed only where the
    catalog knows a pair and that pair is approved too.
    """
    if sku not in _KNOWN_SKUS:
        raise ValueError(
            f"storage sku {sku!r} is not a storage SKU: use one of {sorted(_KNOWN_SKUS)}"
        )
    if not geo_redundant_storage_sku(sku):
        return
    region = AZURE_REGIONS.get(location)
    pair = region.pair if region else None
    if pair is None or pair not in APPROVED_AZURE_LOCATIONS:
        raise ValueError(
            f"storage sku {sku!r} copies data to the paired region of {location!r}, whose pair"
            f" {pair!r} is not an approved location: use Standard_ZRS or Standard_LRS"
        )


def validate_account_name(account_name: str) -> None:
    """Raise ``ValueError`` unless ``account_name`` is a valid storage account name.

    https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftstorage
    """
    if not _ACCOUNT_NAME.match(account_name):
        raise ValueError(
            f"account_name {account_name!r} is not a valid storage account name:"
            " use 3-24 lower-case letters and digits"
        )


@dataclass(frozen=True, kw_only=True)
class AzureSiteStorageArgs:
    """Inputs of :class:`AzureSiteStorage`."""

    resource_group_name: pulumi.Input[str]
    """The site's resource group."""
    location: str
    """The Azure location of the account: the site's location."""
    account_name: str
    """The account's name: globally unique, 3-24 lower-case letters and digits, chosen by the stack
    because Pulumi's auto-naming keeps the hyphens Azure refuses here."""
    key_vault_uri: pulumi.Input[str]
    """URI of the vault holding the customer-managed key."""
    key_name: pulumi.Input[str]
    """Name of the customer-managed key in that vault."""
    key_identity_id: pulumi.Input[str]
    """ARM id of the user-assigned identity that may wrap and unwrap with the key. The identity
    must hold that access before the account is created: depend on the component granting it."""
    tags: Mapping[str, str]
    """Tags for every taggable resource (residency site, data classification)."""
    sku: str = "Standard_ZRS"
    """Redundancy SKU. Zone-redundant by default; geo-redundant only where the pair is approved."""
    container_name: str = "data"
    """The private blob container that holds the site's data."""
    soft_delete_days: int = 30
    """Days deleted blobs and containers stay recoverable."""
    protect: bool = True
    """Protect the account and the container from deletion by Pulumi, and keep them in Azure when
    they leave the stack (``retain_on_delete``)."""

    def __post_init__(self) -> None:
        if self.location not in APPROVED_AZURE_LOCATIONS:
            raise ValueError(f"location {self.location!r} is not an approved Azure location")
        validate_account_name(self.account_name)
        check_storage_sku(self.sku, self.location)
        if not 1 <= self.soft_delete_days <= 365:
            raise ValueError(f"soft_delete_days {self.soft_delete_days} must be between 1 and 365")


class AzureSiteStorage(pulumi.ComponentResource):
    """A StorageV2 account that only private endpoints and Entra ID principals can reach, encrypted
    with the site's customer-managed key, with versioning, soft delete and change feed on (which
    also makes it a valid object-replication source and destination), and one private container.
    """

    account_id: pulumi.Output[str]
    account_name: pulumi.Output[str]
    container_id: pulumi.Output[str]
    container_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: AzureSiteStorageArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("clover:storage:AzureSiteStorage", name, None, opts)
        tags = dict(args.tags)
        # Queues and tables use a service-scoped key unless created with an account-scoped one;
        # only then does the customer-managed key cover them too.
        # https://learn.microsoft.com/azure/storage/common/account-encryption-key-create
        account_scoped = storage.EncryptionServiceArgs(
            enabled=True, key_type=storage.KeyType.ACCOUNT
        )

        account = storage.StorageAccount(
            f"{name}-account",
            account_name=args.account_name,
            resource_group_name=args.resource_group_name,
            location=args.location,
            tags=tags,
            kind=storage.Kind.STORAGE_V2,
            sku=storage.SkuArgs(name=args.sku),
            access_tier=storage.AccessTier.HOT,
            minimum_tls_version=storage.MinimumTlsVersion.TLS1_2,
            enable_https_traffic_only=True,
            allow_blob_public_access=False,
            # Entra ID only: no account keys, no SAS signed with them.
            # https://learn.microsoft.com/azure/storage/common/shared-key-authorization-prevent
            allow_shared_key_access=False,
            default_to_o_auth_authentication=True,
            allow_cross_tenant_replication=False,
            is_local_user_enabled=False,
            public_network_access=storage.PublicNetworkAccess.DISABLED,
            network_rule_set=storage.NetworkRuleSetArgs(
                default_action=storage.DefaultAction.DENY,
                bypass=storage.Bypass.NONE,
            ),
            identity=storage.IdentityArgs(
                type=storage.IdentityType.USER_ASSIGNED,
                user_assigned_identities=[args.key_identity_id],
            ),
            encryption=storage.EncryptionArgs(
                key_source=storage.KeySource.MICROSOFT_KEYVAULT,
                # No key version: the account follows the key's rotations automatically.
                # https://learn.microsoft.com/azure/storage/common/customer-managed-keys-overview#update-the-key-version
                key_vault_properties=storage.KeyVaultPropertiesArgs(
                    key_name=args.key_name,
                    key_vault_uri=args.key_vault_uri,
                ),
                encryption_identity=storage.EncryptionIdentityArgs(
                    encryption_user_assigned_identity=args.key_identity_id,
                ),
                require_infrastructure_encryption=True,
                services=storage.EncryptionServicesArgs(
                    blob=account_scoped,
                    file=account_scoped,
                    queue=account_scoped,
                    table=account_scoped,
                ),
            ),
            opts=pulumi.ResourceOptions(
                parent=self, protect=args.protect, retain_on_delete=args.protect
            ),
        )

        retention = storage.DeleteRetentionPolicyArgs(enabled=True, days=args.soft_delete_days)
        storage.BlobServiceProperties(
            f"{name}-blob-service",
            account_name=account.name,
            resource_group_name=args.resource_group_name,
            blob_services_name="default",
            is_versioning_enabled=True,
            delete_retention_policy=retention,
            container_delete_retention_policy=retention,
            change_feed=storage.ChangeFeedArgs(enabled=True),
            opts=pulumi.ResourceOptions(parent=self),
        )

        container = storage.BlobContainer(
            f"{name}-container",
            account_name=account.name,
            resource_group_name=args.resource_group_name,
            container_name=args.container_name,
            public_access=storage.PublicAccess.NONE,
            opts=pulumi.ResourceOptions(
                parent=self, protect=args.protect, retain_on_delete=args.protect
            ),
        )

        self.account_id = account.id
        self.account_name = account.name
        self.container_id = container.id
        self.container_name = container.name
        self.register_outputs(
            {
                "account_id": self.account_id,
                "account_name": self.account_name,
                "container_id": self.container_id,
                "container_name": self.container_name,
            }
        )
