"""Geo-redundant storage in Poland Central, a region without a pair."""

import pulumi
import pulumi_azure_native as azure_native

provider = azure_native.Provider("pl", location="polandcentral")
group = azure_native.resources.ResourceGroup("data", opts=pulumi.ResourceOptions(provider=provider))
azure_native.storage.StorageAccount(
    "geo",
    resource_group_name=group.name,
    kind="StorageV2",
    sku=azure_native.storage.SkuArgs(name="Standard_GRS"),
    opts=pulumi.ResourceOptions(provider=provider),
)
