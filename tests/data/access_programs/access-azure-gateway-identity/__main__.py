"""Only the stack's own managed identity reads the customer account; an operator group manages
the identity, which holds no data."""

import pulumi
import pulumi_azure_native as azure_native

READER = "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1"  # Storage Blob Data Reader
OPERATOR = "f1a07417-d97a-45cb-824c-7a7467783830"  # Managed Identity Operator

client = azure_native.authorization.get_client_config()
group = azure_native.resources.ResourceGroup("customers")
account = azure_native.storage.StorageAccount(
    "customers",
    resource_group_name=group.name,
    kind=azure_native.storage.Kind.STORAGE_V2,
    sku={"name": azure_native.storage.SkuName.STANDARD_ZRS},
)
gateway = azure_native.managedidentity.UserAssignedIdentity(
    "gateway", resource_group_name=group.name
)


def role(role_id: str) -> pulumi.Output[str]:
    return pulumi.Output.concat(
        "/subscriptions/",
        client.subscription_id,
        "/providers/Microsoft.Authorization/roleDefinitions/",
        role_id,
    )


azure_native.authorization.RoleAssignment(
    "gateway-reads",
    principal_id=gateway.principal_id,
    principal_type=azure_native.authorization.PrincipalType.SERVICE_PRINCIPAL,
    role_definition_id=role(READER),
    scope=account.id,
)
azure_native.authorization.RoleAssignment(
    "operators-manage-gateway",
    principal_id="7c1e2b3a-4d5f-4e6a-8b9c-0d1e2f3a4b5c",
    principal_type=azure_native.authorization.PrincipalType.GROUP,
    role_definition_id=role(OPERATOR),
    scope=gateway.id,
)

# Blob reads, writes and deletes go to the stack's workspace.
workspace = azure_native.operationalinsights.Workspace("audit", resource_group_name=group.name)
azure_native.monitor.DiagnosticSetting(
    "customers-blob-audit",
    resource_uri=account.id.apply(lambda i: f"{i}/blobServices/default"),
    workspace_id=workspace.id,
    logs=[
        azure_native.monitor.DiagnosticsLogSettingsArgs(category=c, enabled=True)
        for c in ("StorageRead", "StorageWrite", "StorageDelete")
    ],
)
