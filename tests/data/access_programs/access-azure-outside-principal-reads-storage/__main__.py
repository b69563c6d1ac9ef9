"""A contractor's Entra object id gets Storage Blob Data Reader on the customer account's group."""

import pulumi_azure_native as azure_native

READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"  # Storage Blob Data Reader

client = azure_native.authorization.get_client_config()
group = azure_native.resources.ResourceGroup("customers")
account = azure_native.storage.StorageAccount(
    "customers",
    resource_group_name=group.name,
    kind=azure_native.storage.Kind.STORAGE_V2,
    sku={"name": azure_native.storage.SkuName.STANDARD_ZRS},
)
azure_native.authorization.RoleAssignment(
    "contractor-reads",
    principal_id="5d3c8e2a-9f41-4b6e-a1c7-0e2f4d6b8a90",
    principal_type=azure_native.authorization.PrincipalType.USER,
    role_definition_id=(
        f"/subscriptions/{client.subscription_id}/providers/Microsoft.Authorization"
        f"/roleDefinitions/{READER}"
    ),
    scope=group.id,
)
