"""The site's network boundary on Azure: a VNet with no path to or from the Internet."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
from pulumi_azure_native import network, privatedns

BLOB_DNS_ZONE = "privatelink.blob.core.windows.net"
VAULT_DNS_ZONE = "privatelink.vaultcore.azure.net"
"""Private DNS zones that private endpoints for blob storage and Key Vault resolve through.
https://learn.microsoft.com/azure/private-link/private-endpoint-dns#storage
"""
MONITOR_DNS_ZONES = (
    "privatelink.monitor.azure.com",
    "privatelink.oms.opinsights.azure.com",
    "privatelink.ods.opinsights.azure.com",
    "privatelink.agentsvc.azure-automation.net",
)
"""Private DNS zones an Azure Monitor Private Link Scope's endpoint resolves through (with the
blob zone). https://learn.microsoft.com/azure/azure-monitor/logs/private-link-configure#review-your-endpoints-dns-settings
"""

# Private DNS zones and their VNet links are global resources: Azure accepts no other location.
# They hold name records only, no user data.
# https://learn.microsoft.com/azure/dns/private-dns-privatednszone
PRIVATE_DNS_LOCATION = "global"

# Each subnet gets a quarter of the VNet; Azure's smallest subnet is a /29.
# https://learn.microsoft.com/azure/virtual-network/virtual-networks-faq#how-small-and-how-large-can-virtual-networks-and-subnets-be
_SUBNET_SPLIT = 2
_SMALLEST_SUBNET = 29


def carve_subnets(vnet_cidr: str) -> tuple[str, str]:
    """The private-endpoint and workload subnet prefixes: the first two quarters of the VNet.

    Raises ``ValueError`` unless ``vnet_cidr`` is a private IPv4 network large enough to split.
    """
    try:
        vnet = ipaddress.ip_network(vnet_cidr, strict=True)
    except ValueError as error:
        raise ValueError(f"vnet_cidr {vnet_cidr!r} is not a network address: {error}") from None
    if not isinstance(vnet, ipaddress.IPv4Network) or not vnet.is_private:
        raise ValueError(f"vnet_cidr {vnet_cidr!r} must be a private IPv4 range (RFC 1918)")
    if vnet.prefixlen + _SUBNET_SPLIT > _SMALLEST_SUBNET:
        raise ValueError(
            f"vnet_cidr {vnet_cidr!r} is too small: use /{_SMALLEST_SUBNET - _SUBNET_SPLIT}"
            " or larger"
        )
    quarters = list(vnet.subnets(prefixlen_diff=_SUBNET_SPLIT))
    return str(quarters[0]), str(quarters[1])


def _rule(
    name: str,
    *,
    priority: int,
    direction: network.SecurityRuleDirection,
    access: network.SecurityRuleAccess,
    source: str,
    destination: str,
    port: str = "*",
    protocol: network.SecurityRuleProtocol = network.SecurityRuleProtocol.ASTERISK,
) -> network.SecurityRuleArgs:
    return network.SecurityRuleArgs(
        name=name,
        priority=priority,
        direction=direction,
        access=access,
        protocol=protocol,
        source_address_prefix=source,
        source_port_range="*",
        destination_address_prefix=destination,
        destination_port_range=port,
    )


def _deny_both_ways(name: str, peer: str, *, priority: int) -> list[network.SecurityRuleArgs]:
    """Deny all traffic from ``peer`` in and to ``peer`` out (a service tag)."""
    return [
        _rule(
            f"deny-{name}-inbound",
            priority=priority,
            direction=network.SecurityRuleDirection.INBOUND,
            access=network.SecurityRuleAccess.DENY,
            source=peer,
            destination="*",
        ),
        _rule(
            f"deny-{name}-outbound",
            priority=priority,
            direction=network.SecurityRuleDirection.OUTBOUND,
            access=network.SecurityRuleAccess.DENY,
            source="*",
            destination=peer,
        ),
    ]


def _security_rules(
    https_direction: network.SecurityRuleDirection,
) -> list[network.SecurityRuleArgs]:
    """Deny the Internet both ways; allow HTTPS inside the VNet in ``https_direction``, and no
    other traffic inside the VNet either way.

    Azure's default rules allow outbound Internet traffic and any traffic between addresses of the
    VNet and its peerings (AllowVnetInBound/AllowVnetOutBound at 65000); the explicit denies,
    below the HTTPS allow and above the defaults, close both and keep the boundary visible in
    review. Azure Load Balancer health probes (AllowAzureLoadBalancerInBound) stay as they are.
    https://learn.microsoft.com/azure/virtual-network/network-security-groups-overview#default-security-rules
    """
    return [
        _rule(
            f"allow-vnet-https-{https_direction.value.lower()}",
            priority=100,
            direction=https_direction,
            access=network.SecurityRuleAccess.ALLOW,
            source="VirtualNetwork",
            destination="VirtualNetwork",
            port="443",
            protocol=network.SecurityRuleProtocol.TCP,
        ),
        *_deny_both_ways("internet", "Internet", priority=4000),
        *_deny_both_ways("vnet", "VirtualNetwork", priority=4010),
    ]


@dataclass(frozen=True, kw_only=True)
class AzureNetworkBoundaryArgs:
    """Inputs of :class:`AzureNetworkBoundary`."""

    resource_group_name: pulumi.Input[str]
    """The site's resource group."""
    location: str
    """The Azure location of the VNet and its security groups: the site's location."""
    vnet_cidr: str
    """The VNet's private IPv4 range, /27 or larger; subnets are carved from its first half."""
    tags: Mapping[str, str]
    """Tags for every taggable resource (residency site, data classification)."""

    def __post_init__(self) -> None:
        carve_subnets(self.vnet_cidr)


class AzureNetworkBoundary(pulumi.ComponentResource):
    """A VNet with a subnet for private endpoints and one for workloads, each behind a security
    group that denies the Internet both ways, and the private DNS zones for blob and Key Vault
    endpoints linked to the VNet.

    It is created before the data stores, so it holds no private endpoints: those need the
    account's and the vault's ids and are created by
    :class:`components.gateway.azure.AzureAccessGateway` in the private-endpoint subnet.
    """

    vnet_id: pulumi.Output[str]
    vnet_name: pulumi.Output[str]
    private_endpoint_subnet_id: pulumi.Output[str]
    workload_subnet_id: pulumi.Output[str]
    blob_dns_zone_id: pulumi.Output[str]
    vault_dns_zone_id: pulumi.Output[str]
    monitor_dns_zone_ids: list[pulumi.Output[str]]
    """The Azure Monitor private zones (:data:`MONITOR_DNS_ZONES`), in that order."""

    def __init__(
        self, name: str, args: AzureNetworkBoundaryArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("clover:network:AzureNetworkBoundary", name, None, opts)
        tags = dict(args.tags)
        endpoint_prefix, workload_prefix = carve_subnets(args.vnet_cidr)

        vnet = network.VirtualNetwork(
            f"{name}-vnet",
            resource_group_name=args.resource_group_name,
            location=args.location,
            tags=tags,
            address_space=network.AddressSpaceArgs(address_prefixes=[args.vnet_cidr]),
            opts=pulumi.ResourceOptions(parent=self),
        )

        endpoints = self._subnet(
            f"{name}-endpoints",
            args,
            vnet,
            endpoint_prefix,
            # Clients connect in to the private endpoints.
            https_direction=network.SecurityRuleDirection.INBOUND,
            after=[],
        )
        workloads = self._subnet(
            f"{name}-workloads",
            args,
            vnet,
            workload_prefix,
            # Workloads connect out to the private endpoints.
            https_direction=network.SecurityRuleDirection.OUTBOUND,
            # Azure serialises writes to one VNet's subnets; concurrent writes fail with
            # AnotherOperationInProgress.
            after=[endpoints],
        )

        zone_ids: list[pulumi.Output[str]] = []
        monitor_zones = [(f"monitor-{i}", zone) for i, zone in enumerate(MONITOR_DNS_ZONES)]
        for role, zone_name in (("blob", BLOB_DNS_ZONE), ("vault", VAULT_DNS_ZONE), *monitor_zones):
            zone = privatedns.PrivateZone(
                f"{name}-{role}-dns",
                resource_group_name=args.resource_group_name,
                private_zone_name=zone_name,
                location=PRIVATE_DNS_LOCATION,
                tags=tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
            privatedns.VirtualNetworkLink(
                f"{name}-{role}-dns-link",
                resource_group_name=args.resource_group_name,
                private_zone_name=zone.name,
                location=PRIVATE_DNS_LOCATION,
                tags=tags,
                virtual_network=privatedns.SubResourceArgs(id=vnet.id),
                registration_enabled=False,
                opts=pulumi.ResourceOptions(parent=self),
            )
            zone_ids.append(zone.id)

        self.vnet_id = vnet.id
        self.vnet_name = vnet.name
        self.private_endpoint_subnet_id = endpoints.id
        self.workload_subnet_id = workloads.id
        self.blob_dns_zone_id, self.vault_dns_zone_id, *self.monitor_dns_zone_ids = zone_ids
        self.register_outputs(
            {
                "vnet_id": self.vnet_id,
                "vnet_name": self.vnet_name,
                "private_endpoint_subnet_id": self.private_endpoint_subnet_id,
                "workload_subnet_id": self.workload_subnet_id,
                "blob_dns_zone_id": self.blob_dns_zone_id,
                "vault_dns_zone_id": self.vault_dns_zone_id,
                "monitor_dns_zone_ids": self.monitor_dns_zone_ids,
            }
        )

    def _subnet(
        self,
        name: str,
        args: AzureNetworkBoundaryArgs,
        vnet: network.VirtualNetwork,
        prefix: str,
        *,
        https_direction: network.SecurityRuleDirection,
        after: list[pulumi.Resource],
    ) -> network.Subnet:
        nsg = network.NetworkSecurityGroup(
            f"{name}-nsg",
            resource_group_name=args.resource_group_name,
            location=args.location,
            tags=dict(args.tags),
            security_rules=_security_rules(https_direction),
            opts=pulumi.ResourceOptions(parent=self),
        )
        return network.Subnet(
            name,
            resource_group_name=args.resource_group_name,
            virtual_network_name=vnet.name,
            address_prefix=prefix,
            network_security_group=network.NetworkSecurityGroupArgs(id=nsg.id),
            # No implicit outbound Internet address for anything in the subnet.
            # https://learn.microsoft.com/azure/virtual-network/ip-services/default-outbound-access
            default_outbound_access=False,
            # Private endpoints ignore security groups unless network policies are enabled.
            # https://learn.microsoft.com/azure/private-link/disable-private-endpoint-network-policy
            private_endpoint_network_policies=(
                network.VirtualNetworkPrivateEndpointNetworkPolicies.ENABLED
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=after),
        )
