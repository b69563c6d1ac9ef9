"""One Clover site on Azure: network boundary, key, storage and access gateway in one location."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import authorization, resources

from components.gateway.azure import (
    AzureAccessGateway,
    AzureAccessGatewayArgs,
    validate_gateway_settings,
)
from components.keys.azure import AzureSiteKey, AzureSiteKeyArgs, validate_vault_name
from components.network.azure import AzureNetworkBoundary, AzureNetworkBoundaryArgs, carve_subnets
from components.storage.azure import (
    AzureSiteStorage,
    AzureSiteStorageArgs,
    check_storage_sku,
    validate_account_name,
)
from sites.catalog import APPROVED_AZURE_LOCATIONS, SITES, Cloud

REQUIRED_TAGS = ("residency-site", "data-classification")
"""Tags that every taggable resource of a site must carry."""


@dataclass(frozen=True, kw_only=True)
class AzureSiteArgs:
    """Inputs of :class:`AzureSite`. Every value is checked on construction, before any resource
    is registered."""

    site: str
    """The catalog site (``dublin``, ``hamar``)."""
    location: str
    """The Azure location (programmatic name) every site resource is placed in."""
    vnet_cidr: str
    """The site VNet's private IPv4 range, /27 or larger."""
    account_name: str
    """Globally unique storage account name: 3-24 lower-case letters and digits."""
    vault_name: str
    """Globally unique Key Vault name: 3-24 letters, digits and single hyphens."""
    gateway_principal_ids: Sequence[str]
    """Entra object ids granted Managed Identity Operator on the gateway identity, so that they
    can attach it to the workloads they deploy; they get no data access themselves."""
    tags: Mapping[str, str]
    """Tags for every taggable resource; must carry ``residency-site`` (equal to ``site``) and
    ``data-classification``."""
    gateway_principal_type: str = "Group"
    """Entra type of every ``gateway_principal_ids`` entry: ``Group``, ``User`` or
    ``ServicePrincipal``. Azure refuses an assignment whose type does not match."""
    storage_sku: str = "Standard_ZRS"
    """Storage redundancy; geo-redundant SKUs only where the location's pair is approved."""
    protect_data_stores: bool = True
    """Protect the storage account, the data container, the vault and the key from deletion."""
    log_retention_days: int = 90
    """Days the site's Log Analytics workspace keeps access logs."""
    container_name: str = "data"
    """The private container that holds the site's data."""

    def __post_init__(self) -> None:
        if self.site not in SITES:
            raise ValueError(
                f"site {self.site!r} is not in the catalog: use one of {sorted(SITES)}"
            )
        if self.location not in APPROVED_AZURE_LOCATIONS:
            raise ValueError(
                f"location {self.location!r} is not an approved Azure location:"
                f" use one of {sorted(APPROVED_AZURE_LOCATIONS)}"
            )
        missing = [tag for tag in REQUIRED_TAGS if not self.tags.get(tag)]
        if missing:
            raise ValueError(f"tags {dict(self.tags)} lack required tags {missing}")
        if self.tags["residency-site"] != self.site:
            raise ValueError(
                f"tags residency-site {self.tags['residency-site']!r} is not site {self.site!r}"
            )
        carve_subnets(self.vnet_cidr)
        validate_account_name(self.account_name)
        validate_vault_name(self.vault_name)
        check_storage_sku(self.storage_sku, self.location)
        validate_gateway_settings(
            self.gateway_principal_ids, self.gateway_principal_type, self.log_retention_days
        )


class AzureSite(pulumi.ComponentResource):
    """A site's whole Azure footprint in one location: a resource group, then the network
    boundary, the customer-managed key, the storage account and the access gateway (which adds the
    private endpoints, so the account and vault are reachable only from the site's VNet).

    Pass the site's explicit azure-native provider as ``opts.providers`` (or ``provider``); every
    child inherits it through ``parent``.
    """

    resource_group_name: pulumi.Output[str]
    account_id: pulumi.Output[str]
    account_name: pulumi.Output[str]
    container_id: pulumi.Output[str]
    container_name: pulumi.Output[str]
    vault_id: pulumi.Output[str]
    vault_name: pulumi.Output[str]
    vault_uri: pulumi.Output[str]
    key_id: pulumi.Output[str]
    key_name: pulumi.Output[str]
    storage_identity_id: pulumi.Output[str]
    gateway_identity_id: pulumi.Output[str]
    gateway_identity_principal_id: pulumi.Output[str]
    gateway_identity_client_id: pulumi.Output[str]
    vnet_id: pulumi.Output[str]
    private_endpoint_subnet_id: pulumi.Output[str]
    workload_subnet_id: pulumi.Output[str]
    blob_private_endpoint_id: pulumi.Output[str]
    vault_private_endpoint_id: pulumi.Output[str]
    workspace_id: pulumi.Output[str]
    placement: dict[str, str | bool]
    """Where the site's data sits: cloud, region, country, site, in_site_country."""

    def __init__(
        self, name: str, args: AzureSiteArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("clover:site:AzureSite", name, None, opts)
        tags = dict(args.tags)

        group = resources.ResourceGroup(
            f"{name}-rg",
            location=args.location,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

        if args.protect_data_stores:
            # Pulumi's protect only guards against `pulumi destroy`; a CanNotDelete lock also
            # stops a deletion of the group (and of everything in it) from the portal, the CLI or
            # another tool, for every identity until the lock is removed.
            # https://learn.microsoft.com/azure/azure-resource-manager/management/lock-resources
            authorization.ManagementLockAtResourceGroupLevel(
                f"{name}-rg-lock",
                resource_group_name=group.name,
                lock_name="clover-data-store-no-delete",
                level=authorization.LockLevel.CAN_NOT_DELETE,
                notes="Holds European user data: remove this lock only through a reviewed change.",
                opts=pulumi.ResourceOptions(parent=self),
            )

        boundary = AzureNetworkBoundary(
            f"{name}-network",
            AzureNetworkBoundaryArgs(
                resource_group_name=group.name,
                location=args.location,
                vnet_cidr=args.vnet_cidr,
                tags=tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

        key = AzureSiteKey(
            f"{name}-keys",
            AzureSiteKeyArgs(
                resource_group_name=group.name,
                location=args.location,
                vault_name=args.vault_name,
                tags=tags,
                protect=args.protect_data_stores,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

        store = AzureSiteStorage(
            f"{name}-storage",
            AzureSiteStorageArgs(
                resource_group_name=group.name,
                location=args.location,
                account_name=args.account_name,
                key_vault_uri=key.vault_uri,
                key_name=key.key_name,
                key_identity_id=key.identity_id,
                tags=tags,
                sku=args.storage_sku,
                container_name=args.container_name,
                protect=args.protect_data_stores,
            ),
            # The account is created encrypted with the key, so the identity's role assignment on
            # the key must exist first; depending on the component waits for all its children.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[key]),
        )

        gateway = AzureAccessGateway(
            f"{name}-gateway",
            AzureAccessGatewayArgs(
                resource_group_name=group.name,
                location=args.location,
                account_id=store.account_id,
                container_id=store.container_id,
                vault_id=key.vault_id,
                private_endpoint_subnet_id=boundary.private_endpoint_subnet_id,
                blob_dns_zone_id=boundary.blob_dns_zone_id,
                vault_dns_zone_id=boundary.vault_dns_zone_id,
                monitor_dns_zone_ids=boundary.monitor_dns_zone_ids,
                principal_ids=args.gateway_principal_ids,
                principal_type=args.gateway_principal_type,
                tags=tags,
                log_retention_days=args.log_retention_days,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

        placement = SITES[args.site].placement(Cloud.AZURE, args.location)
        self.resource_group_name = group.name
        self.account_id = store.account_id
        self.account_name = store.account_name
        self.container_id = store.container_id
        self.container_name = store.container_name
        self.vault_id = key.vault_id
        self.vault_name = key.vault_name
        self.vault_uri = key.vault_uri
        self.key_id = key.key_id
        self.key_name = key.key_name
        self.storage_identity_id = key.identity_id
        self.gateway_identity_id = gateway.identity_id
        self.gateway_identity_principal_id = gateway.identity_principal_id
        self.gateway_identity_client_id = gateway.identity_client_id
        self.vnet_id = boundary.vnet_id
        self.private_endpoint_subnet_id = boundary.private_endpoint_subnet_id
        self.workload_subnet_id = boundary.workload_subnet_id
        self.blob_private_endpoint_id = gateway.blob_private_endpoint_id
        self.vault_private_endpoint_id = gateway.vault_private_endpoint_id
        self.workspace_id = gateway.workspace_id
        self.placement = {
            "cloud": placement.cloud.value,
            "region": placement.region,
            "country": placement.country,
            "site": placement.site,
            "in_site_country": placement.in_site_country,
        }
        self.register_outputs(
            {
                "resource_group_name": self.resource_group_name,
                "account_id": self.account_id,
                "account_name": self.account_name,
                "container_id": self.container_id,
                "container_name": self.container_name,
                "vault_id": self.vault_id,
                "vault_name": self.vault_name,
                "vault_uri": self.vault_uri,
                "key_id": self.key_id,
                "key_name": self.key_name,
                "storage_identity_id": self.storage_identity_id,
                "gateway_identity_id": self.gateway_identity_id,
                "gateway_identity_principal_id": self.gateway_identity_principal_id,
                "gateway_identity_client_id": self.gateway_identity_client_id,
                "vnet_id": self.vnet_id,
                "private_endpoint_subnet_id": self.private_endpoint_subnet_id,
                "workload_subnet_id": self.workload_subnet_id,
                "blob_private_endpoint_id": self.blob_private_endpoint_id,
                "vault_private_endpoint_id": self.vault_private_endpoint_id,
                "workspace_id": self.workspace_id,
                "placement": self.placement,
            }
        )
