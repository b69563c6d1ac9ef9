"""A storage account placed in East US."""

import pulumi
import pulumi_azure_native as azure_native

provider = azure_native.Provider("eu", location="northeurope")
group = azure_native.resources.ResourceGroup("data", opts=pulumi.ResourceOptions(provider=provider))
azure_native.storage.StorageAccount(
    "exports",
    resource_group_name=group.name,
    location="eastus",
    kind="StorageV2",
    sku=azure_native.storage.SkuArgs(name="Standard_ZRS"),
    opts=pulumi.ResourceOptions(provider=provider),
)
