"""A storage account without a location: it inherits its resource group's (West US)."""

import pulumi
import pulumi_azure_native as azure_native

provider = azure_native.Provider("unset")
group = azure_native.resources.ResourceGroup(
    "us-group", location="westus", opts=pulumi.ResourceOptions(provider=provider)
)
azure_native.storage.StorageAccount(
    "inherits",
    resource_group_name=group.name,
    kind="StorageV2",
    sku=azure_native.storage.SkuArgs(name="Standard_ZRS"),
    opts=pulumi.ResourceOptions(provider=provider),
)
