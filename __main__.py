"""Clover's Pulumi program: read the stack config, build one provider per (site, cloud), wire sites.

No resource logic lives here. The configuration is validated completely before the first
registration, so a bad stack file registers nothing.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws
import pulumi_azure_native as azure_native

from components.backup.aws import (
    AwsCrossSiteBackup,
    AwsCrossSiteBackupArgs,
    replication_role_name,
)
from components.backup.azure import AzureObjectReplication, AzureObjectReplicationArgs
from components.site.aws import AwsSite, AwsSiteArgs
from components.site.azure import AzureSite, AzureSiteArgs
from sites import config as stack_config
from sites.catalog import Cloud
from sites.exports import (
    PLACEMENTS_EXPORT,
    aws_site_export,
    azure_site_export,
    placement_export,
    site_export_name,
)
from sites.naming import azure_account_name, azure_vault_name

config = stack_config.load()
stack = pulumi.get_stack()


def site_tags(site: str) -> dict[str, str]:
    return {
        "residency-site": site,
        "data-classification": config.data_classification,
        "environment": config.environment,
        "managed-by": "clover",
    }


aws_providers: dict[str, aws.Provider] = {}
azure_providers: dict[str, azure_native.Provider] = {}
for site in config.sites:
    if site.aws is not None:
        aws_providers[site.name] = aws.Provider(f"{site.name}-aws", region=site.aws.region)
    if site.azure is not None:
        azure_providers[site.name] = azure_native.Provider(
            f"{site.name}-azure", location=site.azure.location
        )

aws_backups = [r for r in config.backups if r.cloud is Cloud.AWS]
aws_sites: dict[str, AwsSite] = {}
azure_sites: dict[str, AzureSite] = {}
for site in config.sites:
    if site.aws is not None:
        aws_sites[site.name] = AwsSite(
            f"{site.name}-aws",
            AwsSiteArgs(
                site=site.name,
                region=site.aws.region,
                vpc_cidr=str(site.aws.vpc_cidr),
                gateway_principals=site.aws.gateway_principals,
                break_glass_role_arn=site.aws.break_glass_role_arn,
                key_admin_role_arns=site.aws.key_admin_role_arns,
                tags=site_tags(site.name),
                protect_data_stores=config.protect_data_stores,
                replication_role_names=[
                    replication_role_name(r.source, r.destination, stack)
                    for r in aws_backups
                    if r.source == site.name
                ],
                backup_sources=[r.source for r in aws_backups if r.destination == site.name],
            ),
            pulumi.ResourceOptions(providers=[aws_providers[site.name]]),
        )
    if site.azure is not None:
        azure_sites[site.name] = AzureSite(
            f"{site.name}-azure",
            AzureSiteArgs(
                site=site.name,
                location=site.azure.location,
                vnet_cidr=str(site.azure.vnet_cidr),
                account_name=azure_account_name(site.name, stack),
                vault_name=azure_vault_name(site.name, stack),
                gateway_principal_ids=site.azure.gateway_principal_ids,
                storage_sku=site.azure.storage_sku,
                tags=site_tags(site.name),
                protect_data_stores=config.protect_data_stores,
            ),
            pulumi.ResourceOptions(providers=[azure_providers[site.name]]),
        )

for route in config.backups:
    name = f"{route.source}-to-{route.destination}-{route.cloud.value}-backup"
    source_config, destination_config = config.site(route.source), config.site(route.destination)
    if route.cloud is Cloud.AWS:
        source_aws, destination_aws = source_config.aws, destination_config.aws
        if source_aws is None or destination_aws is None:
            raise stack_config.ConfigError(f"clover:backups: {name} needs aws at both sites")
        source = aws_sites[route.source]
        AwsCrossSiteBackup(
            name,
            AwsCrossSiteBackupArgs(
                source_site=route.source,
                source_region=source_aws.region,
                source_bucket_name=source.data_bucket_name,
                source_bucket_arn=source.data_bucket_arn,
                source_key_arn=source.key_arn,
                source_provider=aws_providers[route.source],
                site=route.destination,
                region=destination_aws.region,
                replication_role_name=replication_role_name(route.source, route.destination, stack),
                tags=site_tags(route.destination),
                protect_data_stores=config.protect_data_stores,
                key_admin_role_arns=destination_aws.key_admin_role_arns,
                break_glass_role_arn=destination_aws.break_glass_role_arn,
                object_lock_days=destination_aws.object_lock_days,
            ),
            pulumi.ResourceOptions(providers=[aws_providers[route.destination]]),
        )
    else:
        source_azure, destination_azure = source_config.azure, destination_config.azure
        if source_azure is None or destination_azure is None:
            raise stack_config.ConfigError(f"clover:backups: {name} needs azure at both sites")
        src, dst = azure_sites[route.source], azure_sites[route.destination]
        AzureObjectReplication(
            name,
            AzureObjectReplicationArgs(
                source_account_name=src.account_name,
                source_resource_group_name=src.resource_group_name,
                source_account_id=src.account_id,
                source_container_name=src.container_name,
                source_location=source_azure.location,
                source_provider=azure_providers[route.source],
                destination_account_name=dst.account_name,
                destination_resource_group_name=dst.resource_group_name,
                destination_account_id=dst.account_id,
                destination_location=destination_azure.location,
                destination_provider=azure_providers[route.destination],
                protect=config.protect_data_stores,
            ),
        )

for site_name, aws_site in aws_sites.items():
    pulumi.export(site_export_name(site_name, Cloud.AWS), aws_site_export(aws_site))
for site_name, azure_site in azure_sites.items():
    pulumi.export(site_export_name(site_name, Cloud.AZURE), azure_site_export(azure_site))
pulumi.export(PLACEMENTS_EXPORT, placement_export(config))
