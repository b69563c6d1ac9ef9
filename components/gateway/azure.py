"""The site's access gateway on Azure: the one identity allowed to read and write the site's data,
the private endpoints it reaches the data through, and the audit trail of that access."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import (
    authorization,
    managedidentity,
    monitor,
    network,
    operationalinsights,
)

from components.keys.azure import role_definition_id

STORAGE_BLOB_DATA_CONTRIBUTOR = "ba92f5b4-2d11-453d-a403-e96b0029c9fe"
"""Built-in role: read, write and delete blobs (data plane only).
https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/storage#storage-blob-data-contributor
"""
MANAGED_IDENTITY_OPERATOR = "f1a07417-d97a-45f5-8e6a-8f5bb7a04ed7"
"""Built-in role: attach a user-assigned identity to a workload (read and assign it).
https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/identity#managed-identity-operator
"""

_PRINCIPAL_TYPES = ("Group", "User", "ServicePrincipal")
MONITOR_SCOPE_LOCATION = "global"
"""An Azure Monitor Private Link Scope's location: Azure accepts no other."""
_BLOB_LOG_CATEGORIES = ("StorageRead", "StorageWrite", "StorageDelete")
_VAULT_LOG_CATEGORIES = ("AuditEvent",)


def validate_gateway_settings(
    principal_ids: Sequence[str], principal_type: str, log_retention_days: int
) -> None:
    """Raise ``ValueError`` naming the first gateway setting Azure would refuse."""
    for principal_id in principal_ids:
        try:
            uuid.UUID(principal_id)
        except ValueError:
            raise ValueError(
                f"principal_ids entry {principal_id!r} is not an Entra object id (a GUID)"
            ) from None
    if len(set(principal_ids)) != len(principal_ids):
        raise ValueError(f"principal_ids {list(principal_ids)} contains duplicates")
    if principal_type not in _PRINCIPAL_TYPES:
        raise ValueError(
            f"principal_type {principal_type!r} is not one of {list(_PRINCIPAL_TYPES)}"
        )
    # The PerGB2018 tier keeps data 30 to 730 days.
    # https://learn.microsoft.com/azure/azure-monitor/logs/data-retention-configure
    if not 30 <= log_retention_days <= 730:
        raise ValueError(f"log_retention_days {log_retention_days} must be between 30 and 730")


@dataclass(frozen=True, kw_only=True)
class AzureAccessGatewayArgs:
    """Inputs of :class:`AzureAccessGateway`."""

    resource_group_name: pulumi.Input[str]
    """The site's resource group."""
    location: str
    """The Azure location of the identity, endpoints and workspace: the site's location."""
    account_id: pulumi.Input[str]
    """ARM id of the site's storage account."""
    container_id: pulumi.Input[str]
    """ARM id of the data container: the only scope the gateway identity may use."""
    vault_id: pulumi.Input[str]
    """ARM id of the site's Key Vault."""
    private_endpoint_subnet_id: pulumi.Input[str]
    """Subnet that holds the private endpoints."""
    blob_dns_zone_id: pulumi.Input[str]
    """Private DNS zone ``privatelink.blob.core.windows.net`` linked to the VNet."""
    vault_dns_zone_id: pulumi.Input[str]
    """Private DNS zone ``privatelink.vaultcore.azure.net`` linked to the VNet."""
    monitor_dns_zone_ids: Sequence[pulumi.Input[str]]
    """The Azure Monitor private DNS zones linked to the VNet
    (:data:`components.network.azure.MONITOR_DNS_ZONES`, in that order)."""
    principal_ids: Sequence[str]
    """Entra object ids (users, groups or service principals) granted Managed Identity Operator on
    the gateway identity, so that they can attach it to the workloads they deploy. They get no
    data access of their own."""
    tags: Mapping[str, str]
    """Tags for every taggable resource (residency site, data classification)."""
    principal_type: str = "Group"
    """Entra type of every ``principal_ids`` entry: ``Group`` (assign roles to groups, not
    users: https://learn.microsoft.com/azure/role-based-access-control/best-practices), ``User``
    or ``ServicePrincipal``. Azure refuses an assignment whose type does not match the principal."""
    log_retention_days: int = 90
    """Days the workspace keeps access logs."""

    def __post_init__(self) -> None:
        validate_gateway_settings(self.principal_ids, self.principal_type, self.log_retention_days)


class AzureAccessGateway(pulumi.ComponentResource):
    """A user-assigned identity that may use blobs in the data container and nothing else, the
    private endpoints through which it (and anyone) reaches the account and the vault, and a Log
    Analytics workspace in the site's location receiving the blob and vault audit logs, reachable
    only through an Azure Monitor Private Link Scope in private-only mode.
    """

    identity_id: pulumi.Output[str]
    identity_principal_id: pulumi.Output[str]
    identity_client_id: pulumi.Output[str]
    blob_private_endpoint_id: pulumi.Output[str]
    vault_private_endpoint_id: pulumi.Output[str]
    workspace_id: pulumi.Output[str]
    monitor_private_endpoint_id: pulumi.Output[str]
    """The endpoint through which the workspace is queried and fed, privately."""

    def __init__(
        self, name: str, args: AzureAccessGatewayArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("clover:gateway:AzureAccessGateway", name, None, opts)
        client = authorization.get_client_config_output(opts=pulumi.InvokeOptions(parent=self))
        tags = dict(args.tags)

        identity = managedidentity.UserAssignedIdentity(
            f"{name}-identity",
            resource_group_name=args.resource_group_name,
            location=args.location,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        authorization.RoleAssignment(
            f"{name}-blob-data",
            principal_id=identity.principal_id,
            # Naming the principal type skips the directory lookup that fails while a new
            # identity is still replicating through Entra ID.
            # https://learn.microsoft.com/azure/role-based-access-control/role-assignments-template#new-service-principal
            principal_type=authorization.PrincipalType.SERVICE_PRINCIPAL,
            role_definition_id=role_definition_id(
                client.subscription_id, STORAGE_BLOB_DATA_CONTRIBUTOR
            ),
            scope=args.container_id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        for index, principal_id in enumerate(args.principal_ids):
            authorization.RoleAssignment(
                f"{name}-operator-{index}",
                principal_id=principal_id,
                principal_type=args.principal_type,
                role_definition_id=role_definition_id(
                    client.subscription_id, MANAGED_IDENTITY_OPERATOR
                ),
                scope=identity.id,
                opts=pulumi.ResourceOptions(parent=self),
            )

        endpoint_ids = [
            self._private_endpoint(
                name, args, role, target=target, group=group, zones=[(role, zone_id)]
            ).id
            for role, target, group, zone_id in (
                ("blob", args.account_id, "blob", args.blob_dns_zone_id),
                ("vault", args.vault_id, "vault", args.vault_dns_zone_id),
            )
        ]

        workspace = operationalinsights.Workspace(
            f"{name}-logs",
            resource_group_name=args.resource_group_name,
            location=args.location,
            tags=tags,
            sku=operationalinsights.WorkspaceSkuArgs(
                name=operationalinsights.WorkspaceSkuNameEnum.PER_GB2018
            ),
            retention_in_days=args.log_retention_days,
            # Diagnostic settings deliver over Azure's back end and are not affected; queries and
            # agent ingestion need an Azure Monitor Private Link Scope.
            # https://learn.microsoft.com/azure/azure-monitor/logs/private-link-security
            public_network_access_for_ingestion=(
                operationalinsights.PublicNetworkAccessType.DISABLED
            ),
            public_network_access_for_query=operationalinsights.PublicNetworkAccessType.DISABLED,
            features=operationalinsights.WorkspaceFeaturesArgs(
                disable_local_auth=True,
                enable_log_access_using_only_resource_permissions=True,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

        # The workspace is reachable only through the site's network: an Azure Monitor Private
        # Link Scope in private-only mode, linked to the workspace, with a private endpoint in
        # the endpoint subnet. Azure requires the scope's location to be `global`; it holds the
        # list of linked resources, no data.
        # https://learn.microsoft.com/azure/azure-monitor/logs/private-link-security
        scope = monitor.PrivateLinkScope(
            f"{name}-monitor-scope",
            resource_group_name=args.resource_group_name,
            location=MONITOR_SCOPE_LOCATION,
            access_mode_settings=monitor.AccessModeSettingsArgs(
                ingestion_access_mode=monitor.AccessMode.PRIVATE_ONLY,
                query_access_mode=monitor.AccessMode.PRIVATE_ONLY,
            ),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        monitor.PrivateLinkScopedResource(
            f"{name}-monitor-scope-logs",
            resource_group_name=args.resource_group_name,
            scope_name=scope.name,
            linked_resource_id=workspace.id,
            opts=pulumi.ResourceOptions(parent=self),
        )
        monitor_endpoint = self._private_endpoint(
            name,
            args,
            "monitor",
            target=scope.id,
            group="azuremonitor",
            zones=[
                (f"monitor-{index}", zone)
                for index, zone in enumerate([*args.monitor_dns_zone_ids, args.blob_dns_zone_id])
            ],
        )

        # Blob access logs belong to the blob service, not the account.
        # https://learn.microsoft.com/azure/storage/blobs/monitor-blob-storage#collection-and-routing
        for role, resource_uri, categories in (
            (
                "blob",
                pulumi.Output.concat(args.account_id, "/blobServices/default"),
                _BLOB_LOG_CATEGORIES,
            ),
            ("vault", pulumi.Output.from_input(args.vault_id), _VAULT_LOG_CATEGORIES),
        ):
            monitor.DiagnosticSetting(
                f"{name}-{role}-audit",
                resource_uri=resource_uri,
                workspace_id=workspace.id,
                logs=[
                    monitor.DiagnosticsLogSettingsArgs(category=category, enabled=True)
                    for category in categories
                ],
                opts=pulumi.ResourceOptions(parent=self),
            )

        self.identity_id = identity.id
        self.identity_principal_id = identity.principal_id
        self.identity_client_id = identity.client_id
        self.blob_private_endpoint_id, self.vault_private_endpoint_id = endpoint_ids
        self.workspace_id = workspace.id
        self.monitor_private_endpoint_id = monitor_endpoint.id
        self.register_outputs(
            {
                "identity_id": self.identity_id,
                "identity_principal_id": self.identity_principal_id,
                "identity_client_id": self.identity_client_id,
                "blob_private_endpoint_id": self.blob_private_endpoint_id,
                "vault_private_endpoint_id": self.vault_private_endpoint_id,
                "workspace_id": self.workspace_id,
                "monitor_private_endpoint_id": self.monitor_private_endpoint_id,
            }
        )

    def _private_endpoint(
        self,
        name: str,
        args: AzureAccessGatewayArgs,
        role: str,
        *,
        target: pulumi.Input[str],
        group: str,
        zones: Sequence[tuple[str, pulumi.Input[str]]],
    ) -> network.PrivateEndpoint:
        """A private endpoint to ``target``'s ``group`` in the endpoint subnet, and the zone
        group that keeps its A records in the linked private DNS ``zones`` (name, zone id)."""
        endpoint = network.PrivateEndpoint(
            f"{name}-{role}-endpoint",
            resource_group_name=args.resource_group_name,
            location=args.location,
            tags=dict(args.tags),
            # A plain reference: SubnetArgs would add its defaults (network policies Disabled)
            # to the request, contradicting the subnet's own settings.
            subnet={"id": args.private_endpoint_subnet_id},
            private_link_service_connections=[
                network.PrivateLinkServiceConnectionArgs(
                    name=f"{name}-{role}", private_link_service_id=target, group_ids=[group]
                )
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
        # The zone group keeps the endpoint's A records in the linked private zones, so the
        # public host names resolve to the private address inside the VNet.
        # https://learn.microsoft.com/azure/private-link/private-endpoint-dns-integration
        network.PrivateDnsZoneGroup(
            f"{name}-{role}-dns",
            resource_group_name=args.resource_group_name,
            private_endpoint_name=endpoint.name,
            private_dns_zone_group_name="default",
            private_dns_zone_configs=[
                network.PrivateDnsZoneConfigArgs(name=zone_name, private_dns_zone_id=zone)
                for zone_name, zone in zones
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
        return endpoint
