"""Stack export names and the placement export: the contract auditors and scripts read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from sites.catalog import REGIONS, SITES, Cloud
from sites.config import StackConfig

if TYPE_CHECKING:
    from components.site.aws import AwsSite
    from components.site.azure import AzureSite

PLACEMENTS_EXPORT: Final = "placements"
"""Export listing where every site's data sits: one entry per (site, cloud)."""


def site_export_name(site: str, cloud: Cloud) -> str:
    """The export holding one site's ids on one cloud, e.g. ``dublin_aws``."""
    return f"{site}_{cloud.value}"


def placement_export(config: StackConfig) -> list[dict[str, Any]]:
    """One entry per (site, cloud): cloud, region, city, country and whether it is in-country, and
    the site's country and position, which the evidence report draws (clover/report/model.py
    ``declared_sites``)."""
    entries: list[dict[str, Any]] = []
    for site in config.sites:
        for cloud_config in (site.aws, site.azure):
            if cloud_config is None:
                continue
            placement = cloud_config.placement
            region = REGIONS[placement.cloud][placement.region]
            entries.append(
                {
                    "site": site.name,
                    "cloud": placement.cloud.value,
                    "region": placement.region,
                    "city": region.city,
                    "country": placement.country,
                    "site_country": SITES[site.name].country,
                    "site_position": list(SITES[site.name].position),
                    "in_site_country": placement.in_site_country,
                    "description": placement.describe(),
                }
            )
    return entries


def aws_site_export(site: AwsSite) -> dict[str, Any]:
    """One AWS site's names and ids: buckets, keys, network, endpoints, gateway, placement."""
    return {
        "data_bucket_name": site.data_bucket_name,
        "data_bucket_arn": site.data_bucket_arn,
        "log_bucket_name": site.log_bucket_name,
        "audit_bucket_name": site.audit_bucket_name,
        "key_id": site.key_id,
        "key_arn": site.key_arn,
        "log_key_arn": site.log_key_arn,
        "vpc_id": site.vpc_id,
        "subnet_ids": site.subnet_ids,
        "s3_endpoint_id": site.s3_endpoint_id,
        "kms_endpoint_id": site.kms_endpoint_id,
        "sts_endpoint_id": site.sts_endpoint_id,
        "gateway_role_arn": site.gateway_role_arn,
        "trail_arn": site.trail_arn,
        "placement": site.placement,
    }


def azure_site_export(site: AzureSite) -> dict[str, Any]:
    """One Azure site's names and ids: account, vault, key, network, endpoints, placement."""
    return {
        "resource_group_name": site.resource_group_name,
        "account_name": site.account_name,
        "account_id": site.account_id,
        "container_name": site.container_name,
        "vault_name": site.vault_name,
        "vault_uri": site.vault_uri,
        "key_id": site.key_id,
        "gateway_identity_id": site.gateway_identity_id,
        "vnet_id": site.vnet_id,
        "private_endpoint_subnet_id": site.private_endpoint_subnet_id,
        "workload_subnet_id": site.workload_subnet_id,
        "blob_private_endpoint_id": site.blob_private_endpoint_id,
        "vault_private_endpoint_id": site.vault_private_endpoint_id,
        "workspace_id": site.workspace_id,
        "placement": site.placement,
    }
