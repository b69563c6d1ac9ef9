"""A storage account in North Europe whose diagnostic logs go to a workspace in East US."""

import pulumi
import pulumi_azure_native as azure_native

provider = azure_native.Provider("eu", location="northeurope")
opts = pulumi.ResourceOptions(provider=provider)
group = azure_native.resources.ResourceGroup("data", opts=opts)
account = azure_native.storage.StorageAccount(
    "records",
    resource_group_name=group.name,
    kind="StorageV2",
    sku=azure_native.storage.SkuArgs(name="Standard_ZRS"),
    opts=opts,
)
workspace = azure_native.operationalinsights.Workspace(
    "central-logs",
    resource_group_name=group.name,
    location="eastus",
    opts=opts,
)
azure_native.monitor.DiagnosticSetting(
    "records-to-central",
    resource_uri=account.id,
    workspace_id=workspace.id,
    metrics=[
        azure_native.monitor.DiagnosticsMetricSettingsArgs(category="Transaction", enabled=True)
    ],
    opts=opts,
)
