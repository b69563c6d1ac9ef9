"""A Cosmos DB account in North Europe with a second location in West US."""

import pulumi
import pulumi_azure_native as azure_native

provider = azure_native.Provider("eu", location="northeurope")
group = azure_native.resources.ResourceGroup("db", opts=pulumi.ResourceOptions(provider=provider))
azure_native.cosmosdb.DatabaseAccount(
    "profiles",
    resource_group_name=group.name,
    database_account_offer_type=azure_native.cosmosdb.DatabaseAccountOfferType.STANDARD,
    locations=[
        azure_native.cosmosdb.LocationArgs(location_name="northeurope", failover_priority=0),
        azure_native.cosmosdb.LocationArgs(location_name="westus", failover_priority=1),
    ],
    opts=pulumi.ResourceOptions(provider=provider),
)
