"""Classic Azure in Europe: an account inheriting its group's location, GRS to the EU pair."""

import pulumi_azure as azure

group = azure.core.ResourceGroup("data", name="rg-data", location="West Europe")
account = azure.storage.Account(
    "records",
    resource_group_name=group.name,
    account_tier="Standard",
    account_replication_type="GRS",
)
azure.storage.Container("reports", storage_account_id=account.id)
azure.network.VirtualNetwork(
    "net",
    resource_group_name=group.name,
    location="North Europe",
    address_spaces=["10.0.0.0/16"],
)
