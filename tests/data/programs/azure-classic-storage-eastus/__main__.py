"""A classic Azure storage account in "East US" (a display name), in a West Europe group."""

import pulumi_azure as azure

group = azure.core.ResourceGroup("data", name="rg-data", location="West Europe")
account = azure.storage.Account(
    "exports",
    resource_group_name=group.name,
    location="East US",
    account_tier="Standard",
    account_replication_type="LRS",
)
azure.storage.Container("reports", storage_account_id=account.id)
