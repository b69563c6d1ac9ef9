"""Clover's Pulumi program: read the stack config, build one provider per (site, cloud), wire sites.

No resource logic lives here. The configuration is validated completely before the first
registration, so a bad stack file registers nothing.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_azure_native as azure_native

from clover import config as stack_config
from clover.catalog import Cloud
from clover.exports import PLACEMENTS_EXPORT, placement_export, site_export_name
from components.backup.aws import AwsCrossSiteBackup, AwsCrossSiteBackupArgs
from components.backup.azure import AzureObjectReplication, AzureObjectReplicationArgs
from components.site.aws import AwsSite, AwsSiteArgs
from components.site.azure import AzureSite, AzureSiteArgs

config = stack_config.load()
stack = pulumi.get_stack()
aws_sites: dict[str, AwsSite] = {}
aws_providers: dict[str, aws.Provider] = {}
azure_sites: dict[str, AzureSite] = {}


def tags(site: str) -> dict[str, str]:
    return {
        "residency-site": site,
        "data-classification": config.data_classification,
        "environment": config.environment,
        "managed-by": "clover",
    }


for site in config.sites:
    if site.aws is not None:
        provider = aws.Provider(
            f"{site.name}-aws",
            aws.ProviderArgs(region=site.aws.region, default_tags={"tags": tags(site.name)}),
        )
        aws_providers[site.name] = provider
        aws_sites[site.name] = AwsSite(
            f"{site.name}-aws",
            AwsSiteArgs(
                site=site.name,
                region=site.aws.region,
                environment=config.environment,
                vpc_cidr=str(site.aws.vpc_cidr),
                gateway_principals=site.aws.gateway_principals,
                break_glass_role_arn=site.aws.break_glass_role_arn,
                protect_data_stores=config.protect_data_stores,
                tags=tags(site.name),
            ),
            pulumi.ResourceOptions(providers=[provider]),
        )
    if site.azure is not None:
        azure_provider = azure_native.Provider(
            f"{site.name}-azure", azure_native.ProviderArgs(location=site.azure.location)
        )
        azure_sites[site.name] = AzureSite(
            f"{site.name}-azure",
            AzureSiteArgs(
                site=site.name,
                location=site.azure.location,
                environment=config.environment,
                vnet_cidr=str(site.azure.vnet_cidr),
                gateway_principal_ids=site.azure.gateway_principal_ids,
                storage_sku=site.azure.storage_sku,
                protect_data_stores=config.protect_data_stores,
                tags=tags(site.name),
            ),
            pulumi.ResourceOptions(providers=[azure_provider]),
        )

for route in config.backups:
    name = f"{route.source}-to-{route.destination}-{route.cloud.value}-backup"
    if route.cloud is Cloud.AWS:
        source = aws_sites[route.source]
        destination = config.site(route.destination).aws
        if destination is None:  # config validation refuses such a route; keeps the types exact
            raise stack_config.ConfigError(f"backup route {name}: {route.destination} has no aws")
        AwsCrossSiteBackup(
            name,
            AwsCrossSiteBackupArgs(
                source_bucket_name=source.data_bucket_name,
                source_bucket_arn=source.data_bucket_arn,
                source_key_arn=source.key_arn,
                source_provider=aws_providers[route.source],
                site=route.destination,
                region=destination.region,
                object_lock_days=destination.object_lock_days,
                protect_data_stores=config.protect_data_stores,
                tags=tags(route.destination),
            ),
            pulumi.ResourceOptions(providers=[aws_providers[route.destination]]),
        )
    else:
        src, dst = azure_sites[route.source], azure_sites[route.destination]
        AzureObjectReplication(
            name,
            AzureObjectReplicationArgs(
                source_account_name=src.storage_account_name,
                source_resource_group_name=src.resource_group_name,
                source_account_id=src.storage_account_id,
                source_container_name=src.container_name,
                destination_account_name=dst.storage_account_name,
                destination_resource_group_name=dst.resource_group_name,
                destination_account_id=dst.storage_account_id,
            ),
            pulumi.ResourceOptions(parent=dst),
        )

for name, aws_site in aws_sites.items():
    pulumi.export(site_export_name(name, Cloud.AWS), aws_site.exports())
for name, azure_site in azure_sites.items():
    pulumi.export(site_export_name(name, Cloud.AZURE), azure_site.exports())
pulumi.export(PLACEMENTS_EXPORT, placement_export(config))
