"""data-flow-destination-allowed: every outbound reference resolves to an allowed place, or blocks.

Each case is one door through which data leaves a resource that itself sits in Dublin: a violating
stack (destination elsewhere, or outside the stack) and a clean one (the destination is a resource
of this stack in an allowed placement). All run over the analyzer protocol.
"""

from __future__ import annotations

import base64
import gzip
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clover.analyzer import UNKNOWN, AnalyzedResource, PolicyPack, ProviderRef
from tests.policy_packs.conftest import (
    eu_aws_provider,
    eu_azure_provider,
    eu_only,
    eu_resource,
    eu_urn,
)

RULE = "data-flow-destination-allowed"
DUBLIN = eu_aws_provider("eu-west-1")
AZURE = eu_azure_provider()
ACCOUNT = "123456789012"
SUB = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/delivery"

BUCKET = "aws:s3/bucket:Bucket"
TRAIL = "aws:cloudtrail/trail:Trail"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
SUBSCRIPTION_FILTER = "aws:cloudwatch/logSubscriptionFilter:LogSubscriptionFilter"
FIREHOSE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
EVENT_TARGET = "aws:cloudwatch/eventTarget:EventTarget"
SNS_SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"
EVENT_SOURCE_MAPPING = "aws:lambda/eventSourceMapping:EventSourceMapping"
QUEUE = "aws:sqs/queue:Queue"
GROUP = "azure-native:resources:ResourceGroup"
WORKSPACE = "azure-native:operationalinsights:Workspace"
STORAGE = "azure-native:storage:StorageAccount"
DIAGNOSTIC = "azure-native:monitor:DiagnosticSetting"
SQL_SERVER = "azure-native:sql:Server"
FAILOVER = "azure-native:sql:FailoverGroup"
EVENTGRID = "azure-native:eventgrid:EventSubscription"


def bucket(name: str, region: str | None = None) -> AnalyzedResource:
    props: dict[str, Any] = {"bucket": name} | ({"region": region} if region else {})
    return eu_resource(BUCKET, name, props, provider=DUBLIN)


def aws(
    resource_type: str, name: str, props: dict[str, Any], **deps: tuple[str, ...]
) -> AnalyzedResource:
    return eu_resource(resource_type, name, props, provider=DUBLIN, property_dependencies=deps)


def azure(
    resource_type: str, name: str, props: dict[str, Any], **deps: tuple[str, ...]
) -> AnalyzedResource:
    return eu_resource(resource_type, name, props, provider=AZURE, property_dependencies=deps)


def arm(namespace: str, kind: str, name: str, group: str = "rg") -> str:
    return f"{SUB}/{group}/providers/{namespace}/{kind}/{name}"


RG = azure(GROUP, "rg", {"resourceGroupName": "rg", "location": "northeurope"})
ACCOUNT_EU = azure(
    STORAGE, "logs", {"accountName": "logs", "resourceGroupName": "rg", "location": "northeurope"}
)
STORAGE_ID = arm("Microsoft.Storage", "storageAccounts", "logs")


def workspace(location: str) -> AnalyzedResource:
    return azure(
        WORKSPACE,
        "central",
        {"workspaceName": "central", "resourceGroupName": "rg", "location": location},
    )


def diagnostic(**props: Any) -> AnalyzedResource:
    return azure(
        DIAGNOSTIC,
        "diag",
        {"name": "diag", "resourceUri": STORAGE_ID, "logs": [{"enabled": True}], **props},
    )


def sql_server(name: str, location: str) -> AnalyzedResource:
    return azure(
        SQL_SERVER, name, {"serverName": name, "resourceGroupName": "rg", "location": location}
    )


def failover(partner: str) -> AnalyzedResource:
    return azure(
        FAILOVER,
        "fog",
        {
            "failoverGroupName": "fog",
            "serverName": "primary",
            "resourceGroupName": "rg",
            "partnerServers": [{"id": arm("Microsoft.Sql", "servers", partner)}],
            "readWriteEndpoint": {"failoverPolicy": "Automatic"},
        },
    )


def firehose(destination: str, block: dict[str, Any]) -> AnalyzedResource:
    backup = {"bucketArn": "arn:aws:s3:::fh-backup", "roleArn": ROLE}
    return aws(
        FIREHOSE,
        "stream",
        {"name": "stream", "destination": destination, **block}
        | ({} if "extendedS3Configuration" in block else {"s3Configuration": backup}),
    )


@dataclass(frozen=True)
class Door:
    """One data path: the flowing resource must be blocked in ``bad`` and pass in ``good``."""

    id: str
    bad: list[AnalyzedResource]
    good: list[AnalyzedResource]
    path: str  # the property path the message must name
    context: list[AnalyzedResource] = field(default_factory=list)


FH_BACKUP = bucket("fh-backup")

DOORS = [
    Door(
        "cloudtrail-bucket-not-in-stack",
        [aws(TRAIL, "trail", {"name": "t", "s3BucketName": "other-stacks-logs"})],
        [aws(TRAIL, "trail", {"name": "t", "s3BucketName": "trail-logs"}), bucket("trail-logs")],
        "s3BucketName",
    ),
    Door(
        "cloudtrail-bucket-in-stack-us-east-1",
        [
            aws(TRAIL, "trail", {"name": "t", "s3BucketName": "trail-logs"}),
            bucket("trail-logs", "us-east-1"),
        ],
        [aws(TRAIL, "trail", {"name": "t", "s3BucketName": "trail-logs"}), bucket("trail-logs")],
        "s3BucketName",
    ),
    Door(
        "cloudtrail-log-group-arn-us-east-1",
        [
            aws(
                TRAIL,
                "trail",
                {
                    "name": "t",
                    "cloudWatchLogsGroupArn": f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:t:*",
                    "cloudWatchLogsRoleArn": ROLE,
                },
            )
        ],
        [
            aws(
                TRAIL,
                "trail",
                {
                    "name": "t",
                    "cloudWatchLogsGroupArn": f"arn:aws:logs:eu-west-1:{ACCOUNT}:log-group:t:*",
                    "cloudWatchLogsRoleArn": ROLE,
                },
            )
        ],
        "cloudWatchLogsGroupArn",
    ),
    Door(
        "vpc-flow-log-s3-bucket-in-us-east-1",
        [
            aws(FLOW_LOG, "flows", {"logDestination": "arn:aws:s3:::flows/vpc/", "vpcId": "v"}),
            bucket("flows", "us-east-1"),
        ],
        [
            aws(FLOW_LOG, "flows", {"logDestination": "arn:aws:s3:::flows/vpc/", "vpcId": "v"}),
            bucket("flows", "eu-west-1"),
        ],
        "logDestination",
    ),
    Door(
        "logs-subscription-destination-other-region",
        [
            aws(
                SUBSCRIPTION_FILTER,
                "sub",
                {
                    "logGroup": "app",
                    "filterPattern": "",
                    "destinationArn": f"arn:aws:logs:us-east-1:{ACCOUNT}:destination:central",
                },
            )
        ],
        [
            aws(
                SUBSCRIPTION_FILTER,
                "sub",
                {
                    "logGroup": "app",
                    "filterPattern": "",
                    "destinationArn": f"arn:aws:logs:eu-north-1:{ACCOUNT}:destination:central",
                },
            )
        ],
        "destinationArn",
    ),
    Door(
        "firehose-http-endpoint",
        [
            firehose(
                "http_endpoint",
                {
                    "httpEndpointConfiguration": {
                        "url": "https://collector.example.com/ingest",
                        "roleArn": ROLE,
                    }
                },
            ),
            FH_BACKUP,
        ],
        [
            firehose(
                "extended_s3",
                {
                    "extendedS3Configuration": {
                        "bucketArn": "arn:aws:s3:::fh-backup",
                        "roleArn": ROLE,
                    }
                },
            ),
            FH_BACKUP,
        ],
        "httpEndpointConfiguration.url",
    ),
    Door(
        "firehose-splunk-endpoint",
        [
            firehose(
                "splunk",
                {"splunkConfiguration": {"hecEndpoint": "https://splunk.example.com:8088"}},
            ),
            FH_BACKUP,
        ],
        [
            firehose(
                "extended_s3",
                {
                    "extendedS3Configuration": {
                        "bucketArn": "arn:aws:s3:::fh-backup",
                        "roleArn": ROLE,
                    }
                },
            ),
            FH_BACKUP,
        ],
        "splunkConfiguration.hecEndpoint",
    ),
    Door(
        "firehose-backup-bucket-not-in-stack",
        [
            firehose(
                "extended_s3",
                {
                    "extendedS3Configuration": {
                        "bucketArn": "arn:aws:s3:::not-ours",
                        "roleArn": ROLE,
                    }
                },
            )
        ],
        [
            firehose(
                "extended_s3",
                {
                    "extendedS3Configuration": {
                        "bucketArn": "arn:aws:s3:::fh-backup",
                        "roleArn": ROLE,
                    }
                },
            ),
            FH_BACKUP,
        ],
        "extendedS3Configuration.bucketArn",
    ),
    Door(
        "eventbridge-target-bus-us-east-1",
        [
            aws(
                EVENT_TARGET,
                "target",
                {"rule": "r", "arn": f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/central"},
            )
        ],
        [
            aws(
                EVENT_TARGET,
                "target",
                {"rule": "r", "arn": f"arn:aws:events:eu-west-1:{ACCOUNT}:event-bus/central"},
            )
        ],
        "arn",
    ),
    Door(
        "eventbridge-dead-letter-queue-us-east-1",
        [
            aws(
                EVENT_TARGET,
                "target",
                {
                    "rule": "r",
                    "arn": f"arn:aws:events:eu-west-1:{ACCOUNT}:event-bus/central",
                    "deadLetterConfig": {"arn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:dlq"},
                },
            )
        ],
        [
            aws(
                EVENT_TARGET,
                "target",
                {
                    "rule": "r",
                    "arn": f"arn:aws:events:eu-west-1:{ACCOUNT}:event-bus/central",
                    "deadLetterConfig": {"arn": f"arn:aws:sqs:eu-west-1:{ACCOUNT}:dlq"},
                },
            )
        ],
        "deadLetterConfig.arn",
    ),
    Door(
        "sns-subscription-to-sqs-us-east-1",
        [
            aws(
                SNS_SUBSCRIPTION,
                "sub",
                {
                    "topic": f"arn:aws:sns:eu-west-1:{ACCOUNT}:events",
                    "protocol": "sqs",
                    "endpoint": f"arn:aws:sqs:us-east-1:{ACCOUNT}:copy",
                },
            )
        ],
        [
            aws(
                SNS_SUBSCRIPTION,
                "sub",
                {
                    "topic": f"arn:aws:sns:eu-west-1:{ACCOUNT}:events",
                    "protocol": "sqs",
                    "endpoint": f"arn:aws:sqs:eu-west-1:{ACCOUNT}:copy",
                },
            )
        ],
        "endpoint",
    ),
    Door(
        "sns-subscription-to-https-webhook",
        [
            aws(
                SNS_SUBSCRIPTION,
                "sub",
                {
                    "topic": f"arn:aws:sns:eu-west-1:{ACCOUNT}:events",
                    "protocol": "https",
                    "endpoint": "https://hooks.example.com/sns",
                },
            )
        ],
        [
            aws(
                SNS_SUBSCRIPTION,
                "sub",
                {
                    "topic": f"arn:aws:sns:eu-west-1:{ACCOUNT}:events",
                    "protocol": "https",
                    "endpoint": "https://abc123.execute-api.eu-west-1.amazonaws.com/prod/sns",
                },
            )
        ],
        "endpoint",
    ),
    Door(
        "lambda-event-source-stream-us-west-2",
        [
            aws(
                EVENT_SOURCE_MAPPING,
                "esm",
                {
                    "functionName": "fn",
                    "eventSourceArn": f"arn:aws:kinesis:us-west-2:{ACCOUNT}:stream/clicks",
                },
            )
        ],
        [
            aws(
                EVENT_SOURCE_MAPPING,
                "esm",
                {
                    "functionName": "fn",
                    "eventSourceArn": f"arn:aws:kinesis:eu-west-1:{ACCOUNT}:stream/clicks",
                },
            )
        ],
        "eventSourceArn",
    ),
    Door(
        "sqs-endpoint-url-us-east-1",
        [aws("aws:pipes/pipe:Pipe", "pipe", {"source": "https://sqs.us-east-1.amazonaws.com/1/q"})],
        [aws("aws:pipes/pipe:Pipe", "pipe", {"source": "https://sqs.eu-west-1.amazonaws.com/1/q"})],
        "source",
    ),
    Door(
        "nested-region-field",
        [
            aws(
                "aws:ssm/association:Association",
                "a",
                {"targetLocations": [{"regions": ["us-east-1"]}]},
            )
        ],
        [
            aws(
                "aws:ssm/association:Association",
                "a",
                {"targetLocations": [{"regions": ["eu-west-1"]}]},
            )
        ],
        "targetLocations[0].regions[0]",
    ),
    Door(
        "diagnostic-setting-workspace-outside-stack",
        [diagnostic(workspaceId=arm("Microsoft.OperationalInsights", "workspaces", "central"))],
        [
            diagnostic(workspaceId=arm("Microsoft.OperationalInsights", "workspaces", "central")),
            workspace("northeurope"),
        ],
        "workspaceId",
        [RG, ACCOUNT_EU],
    ),
    Door(
        "diagnostic-setting-workspace-in-stack-eastus",
        [
            diagnostic(workspaceId=arm("Microsoft.OperationalInsights", "workspaces", "central")),
            workspace("eastus"),
        ],
        [
            diagnostic(workspaceId=arm("Microsoft.OperationalInsights", "workspaces", "CENTRAL")),
            workspace("westeurope"),
        ],
        "workspaceId",
        [RG, ACCOUNT_EU],
    ),
    Door(
        "diagnostic-setting-storage-outside-stack",
        [diagnostic(storageAccountId=arm("Microsoft.Storage", "storageAccounts", "archive", "x"))],
        [diagnostic(storageAccountId=STORAGE_ID)],
        "storageAccountId",
        [RG, ACCOUNT_EU],
    ),
    Door(
        "sql-failover-partner-outside-stack",
        [failover("us-partner"), sql_server("primary", "northeurope")],
        [
            failover("eu-partner"),
            sql_server("primary", "northeurope"),
            sql_server("eu-partner", "westeurope"),
        ],
        "partnerServers[0].id",
        [RG],
    ),
    Door(
        "sql-failover-partner-in-stack-eastus",
        [
            failover("us-partner"),
            sql_server("primary", "northeurope"),
            sql_server("us-partner", "eastus"),
        ],
        [
            failover("eu-partner"),
            sql_server("primary", "northeurope"),
            sql_server("eu-partner", "westeurope"),
        ],
        "partnerServers[0].id",
        [RG],
    ),
    Door(
        "eventgrid-webhook",
        [
            azure(
                EVENTGRID,
                "grid",
                {
                    "scope": STORAGE_ID,
                    "eventSubscriptionName": "grid",
                    "destination": {
                        "endpointType": "WebHook",
                        "endpointUrl": "https://hooks.example.com/grid",
                    },
                },
            )
        ],
        [
            azure(
                EVENTGRID,
                "grid",
                {
                    "scope": STORAGE_ID,
                    "eventSubscriptionName": "grid",
                    "destination": {
                        "endpointType": "StorageQueue",
                        "resourceId": STORAGE_ID,
                        "queueName": "events",
                    },
                },
            )
        ],
        "destination.endpointUrl",
        [RG, ACCOUNT_EU],
    ),
    Door(
        "azure-blob-host-not-in-stack",
        [
            azure(
                EVENTGRID,
                "grid",
                {"scope": STORAGE_ID, "deadLetterUri": "https://x.blob.core.windows.net/d"},
            )
        ],
        [
            azure(
                EVENTGRID,
                "grid",
                {"scope": STORAGE_ID, "deadLetterUri": "https://logs.blob.core.windows.net/d"},
            )
        ],
        "deadLetterUri",
        [RG, ACCOUNT_EU],
    ),
]


def blocking(pack: PolicyPack, resources: list[AnalyzedResource]) -> list[str]:
    found = eu_only(pack.preview(resources), RULE)
    for d in found:
        assert d.enforcement_level == "mandatory", d.message
        assert d.urn in d.message, d.message
    return [f"{d.urn} {d.message}" for d in found]


@pytest.mark.parametrize("door", DOORS, ids=[d.id for d in DOORS])
def test_door_is_blocked(eu_residency: PolicyPack, door: Door) -> None:
    flowing = door.bad[0]
    found = [m for m in blocking(eu_residency, [*door.context, *door.bad]) if flowing.urn in m]
    assert found, f"{flowing.urn}: {door.id} not blocked"
    assert any(f": {door.path} = " in m for m in found), found
    assert all("Point it at a resource of this stack" in m for m in found), found


@pytest.mark.parametrize("door", DOORS, ids=[d.id for d in DOORS])
def test_door_to_an_allowed_in_stack_destination_passes(
    eu_residency: PolicyPack, door: Door
) -> None:
    assert blocking(eu_residency, [*door.context, *door.good]) == []


# -- Unknown at preview: placed by the resource whose output it exactly is ---------------------


def queue(region: str | None) -> AnalyzedResource:
    props: dict[str, Any] = {"name": "q"} | ({"region": region} if region else {})
    return aws(QUEUE, "q", props)


def unknown_target(*deps: str) -> AnalyzedResource:
    return aws(EVENT_TARGET, "target", {"rule": "r", "arn": UNKNOWN}, arn=deps)


def prove(pack: PolicyPack, proofs: dict[str, dict[str, str]]) -> PolicyPack:
    """Configure the proofs ``python -m clover check`` sends: which unknown is which output."""
    pack.configure({RULE: {"provenOutputs": proofs}})
    return pack


def test_unknown_destination_of_an_in_stack_queue_in_dublin_passes(
    eu_residency: PolicyPack,
) -> None:
    q = queue(None)
    target = unknown_target(q.urn)
    prove(eu_residency, {target.urn: {"arn": f"{q.urn}#arn"}})
    assert blocking(eu_residency, [q, target]) == []


def test_unknown_destination_of_an_in_stack_queue_in_us_east_1_blocks(
    eu_residency: PolicyPack,
) -> None:
    q = queue("us-east-1")
    target = unknown_target(q.urn)
    prove(eu_residency, {target.urn: {"arn": f"{q.urn}#arn"}})
    found = blocking(eu_residency, [q, target])
    assert any("arn = a value not known until apply" in m and "us-east-1" in m for m in found)


def test_a_dependency_on_an_allowed_resource_is_no_proof(eu_residency: PolicyPack) -> None:
    # `q.arn.apply(lambda a: override or a)`: it depends on the Dublin queue, yet is no output.
    q = queue(None)
    target = unknown_target(q.urn)
    prove(eu_residency, {target.urn: {"rule": f"{q.urn}#name"}})
    found = blocking(eu_residency, [q, target])
    assert any(
        "is not exactly an output of a resource of this stack" in m
        and f"a value computed from {q.urn} can name any place" in m
        and "pass the resource's output itself" in m
        for m in found
    ), found


def test_without_proofs_an_unknown_destination_blocks_and_says_how_to_prove_it(
    eu_residency: PolicyPack,
) -> None:
    # Under `pulumi preview` without the check's proofs, nothing says which value is which.
    q = queue(None)
    found = blocking(eu_residency, [q, unknown_target(q.urn)])
    assert any("python -m clover check" in m and "provenOutputs" in m for m in found), found


def test_unknown_destination_without_in_stack_dependency_blocks(eu_residency: PolicyPack) -> None:
    prove(eu_residency, {})
    found = blocking(eu_residency, [unknown_target()])
    assert any("it depends on no resource of this stack" in m for m in found), found


def test_unknown_destination_of_a_random_string_only_blocks(eu_residency: PolicyPack) -> None:
    suffix = eu_resource("random:index/randomString:RandomString", "sfx", {"length": 6})
    target = unknown_target(suffix.urn)
    prove(eu_residency, {target.urn: {"arn": f"{suffix.urn}#result"}})
    found = blocking(eu_residency, [suffix, target])
    assert any("which is placed nowhere" in m for m in found), found


def _classic_nic(vnet_location: str) -> list[AnalyzedResource]:
    """A classic Azure NIC on a subnet: the subnet has no location of its own, its network has."""
    group = eu_resource("azure:core/resourceGroup:ResourceGroup", "rg", {"location": "westeurope"})
    vnet = eu_resource(
        "azure:network/virtualNetwork:VirtualNetwork",
        "vnet",
        {"resourceGroupName": "rg", "location": vnet_location, "addressSpaces": ["10.0.0.0/16"]},
        property_dependencies={"resourceGroupName": (group.urn,)},
    )
    subnet = eu_resource(
        "azure:network/subnet:Subnet",
        "sn",
        {"resourceGroupName": "rg", "virtualNetworkName": "vnet"},
        property_dependencies={
            "virtualNetworkName": (vnet.urn,),
            "resourceGroupName": (group.urn,),
        },
    )
    configuration = {"name": "c", "subnetId": UNKNOWN, "privateIpAddressAllocation": "Dynamic"}
    nic = eu_resource(
        "azure:network/networkInterface:NetworkInterface",
        "nic",
        {"resourceGroupName": "rg", "location": "westeurope", "ipConfigurations": [configuration]},
        property_dependencies={"ipConfigurations": (subnet.urn,)},
    )
    return [group, vnet, subnet, nic]


def test_a_value_from_a_resource_placed_by_nothing_of_its_own_is_placed_by_its_inputs(
    eu_residency: PolicyPack,
) -> None:
    # The subnet stands for the network it depends on; "Dynamic" of an IP allocation is no place.
    group, vnet, subnet, nic = _classic_nic("westeurope")
    prove(eu_residency, {nic.urn: {"ipConfigurations[0].subnetId": f"{subnet.urn}#id"}})
    assert blocking(eu_residency, [group, vnet, subnet, nic]) == []
    found = blocking(eu_residency, _classic_nic("eastus"))
    assert any("ipConfigurations[0].subnetId" in m and "eastus" in m for m in found), found
    assert not any("Dynamic" in m for m in found), found


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("scopes", ["https://www.googleapis.com/auth/cloud-platform"]),
        ("oauthScopes", ["https://www.googleapis.com/auth/logging.write"]),
        (
            "$schema",
            "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        ),
    ],
)
def test_urls_that_are_names_are_no_destination(
    eu_residency: PolicyPack, key: str, value: Any
) -> None:
    vm = aws("aws:ec2/instance:Instance", "vm", {"settings": {key: value}})
    assert blocking(eu_residency, [vm]) == []
    webhook = aws(
        "aws:ec2/instance:Instance", "vm", {"settings": {"url": "https://hooks.example.com/x"}}
    )
    assert blocking(eu_residency, [webhook]), "the same host in any other field still blocks"


def test_unknown_azure_workspace_of_in_stack_workspace(eu_residency: PolicyPack) -> None:
    ws = workspace("eastus")
    diag = azure(
        DIAGNOSTIC,
        "diag",
        {"name": "d", "resourceUri": STORAGE_ID, "workspaceId": UNKNOWN},
        workspaceId=(ws.urn,),
    )
    prove(eu_residency, {diag.urn: {"workspaceId": f"{ws.urn}#id"}})
    assert blocking(eu_residency, [RG, ACCOUNT_EU, ws, diag])
    ws_eu = workspace("northeurope")  # the same URN, now in an allowed location
    assert blocking(eu_residency, [RG, ACCOUNT_EU, ws_eu, diag]) == []


def test_workspace_inheriting_its_group_location(eu_residency: PolicyPack) -> None:
    ws = azure(WORKSPACE, "central", {"workspaceName": "central", "resourceGroupName": "rg"})
    diag = diagnostic(workspaceId=arm("Microsoft.OperationalInsights", "workspaces", "central"))
    assert blocking(eu_residency, [RG, ACCOUNT_EU, ws, diag]) == []
    us_rg = azure(GROUP, "rg", {"resourceGroupName": "rg", "location": "eastus"})
    assert blocking(eu_residency, [us_rg, ACCOUNT_EU, ws, diag])


def test_harmless_references_and_policy_documents_pass(eu_residency: PolicyPack) -> None:
    policy = (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",'
        '"Resource":"arn:aws:s3:::elsewhere/*","Condition":{"StringEquals":'
        '{"aws:SourceArn":"arn:aws:sns:us-east-1:1:t"}}}]}'
    )
    resources = [
        aws("aws:iam/role:Role", "role", {"assumeRolePolicy": policy}),
        aws(
            "aws:lambda/permission:Permission",
            "perm",
            {
                "action": "lambda:InvokeFunction",
                "function": "fn",
                "principal": "events.amazonaws.com",
            },
        ),
        aws(
            TRAIL,
            "trail",
            {
                "name": "t",
                "s3BucketName": "trail-logs",
                "eventSelectors": [
                    {"dataResources": [{"type": "AWS::S3::Object", "values": ["arn:aws:s3:::x/"]}]}
                ],
            },
        ),
        bucket("trail-logs"),
    ]
    assert blocking(eu_residency, resources) == []


def test_kms_key_in_another_region_blocks_by_its_arn(eu_residency: PolicyPack) -> None:
    found = blocking(
        eu_residency,
        [aws(QUEUE, "q", {"kmsMasterKeyId": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k"})],
    )
    assert any("kmsMasterKeyId" in m for m in found), found


def test_narrowed_allow_list(eu_residency: PolicyPack) -> None:
    eu_residency.configure(
        {RULE: {"allowedRegions": ["eu-west-1"], "allowedLocations": ["northeurope"]}}
    )
    found = blocking(eu_residency, [DOORS[4].good[0]])  # a destination in eu-north-1
    assert any("eu-north-1" in m for m in found), found


# -- Property-based: hidden anywhere, a foreign place is found; in-stack places never block ----

FOREIGN = st.sampled_from(
    [
        f"arn:aws:sqs:us-east-1:{ACCOUNT}:q",
        f"arn:aws:logs:ap-southeast-1:{ACCOUNT}:destination:d",
        "arn:aws:s3:::someone-elses-bucket",
        "https://collector.example.com/ingest",
        "https://firehose.us-east-1.amazonaws.com",
        "abc.execute-api.us-west-2.amazonaws.com",
        "search-x.us-east-1.es.amazonaws.com",
        arm("Microsoft.OperationalInsights", "workspaces", "elsewhere", "other"),
        "https://elsewhere.blob.core.windows.net/c",
    ]
)
KEYS = st.sampled_from(["config", "settings", "rules", "spec", "block", "items", "options"])
LEAF_KEYS = st.sampled_from(["value", "thing", "ref", "x", "setting"])
FILLER = st.one_of(st.integers(), st.booleans(), st.sampled_from(["a", "plain text", "ENABLED"]))


def hide(value: Any) -> st.SearchStrategy[Any]:
    """A property tree with ``value`` at a random depth among filler values."""
    leaf_name = LEAF_KEYS
    return st.recursive(
        st.builds(lambda k: {k: value}, leaf_name),
        lambda inner: st.one_of(
            st.builds(lambda k, v, f: {k: v, "other": f}, KEYS, inner, FILLER),
            st.builds(lambda v, f: [f, v], inner, FILLER),
        ),
        max_leaves=6,
    )


FOREIGN_REGION = st.sampled_from(["us-east-1", "ap-south-1", "eu-west-2", "eu-central-2"])
_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@_SETTINGS
@given(tree=FOREIGN.flatmap(hide))
def test_hidden_foreign_reference_always_blocks(eu_residency: PolicyPack, tree: Any) -> None:
    resource = aws("aws:newservice/thing:Thing", "thing", {"spec": tree})
    assert blocking(eu_residency, [resource]), tree


@_SETTINGS
@given(tree=FOREIGN_REGION.flatmap(lambda r: hide({"destinationRegion": r})))
def test_hidden_foreign_region_field_always_blocks(eu_residency: PolicyPack, tree: Any) -> None:
    resource = aws("aws:newservice/thing:Thing", "thing", {"spec": tree})
    assert blocking(eu_residency, [resource]), tree


IN_STACK = st.sampled_from(
    [
        "arn:aws:s3:::ours",
        f"arn:aws:sqs:eu-west-1:{ACCOUNT}:q",
        f"arn:aws:iam::{ACCOUNT}:role/r",
        "https://sqs.eu-north-1.amazonaws.com/1/q",
        "ours.s3.eu-west-1.amazonaws.com",
        STORAGE_ID,
        "https://logs.blob.core.windows.net/c",
    ]
)


@_SETTINGS
@given(tree=IN_STACK.flatmap(hide))
def test_hidden_in_stack_reference_never_blocks(eu_residency: PolicyPack, tree: Any) -> None:
    resource = aws("aws:newservice/thing:Thing", "thing", {"spec": tree})
    assert blocking(eu_residency, [bucket("ours"), RG, ACCOUNT_EU, resource]) == [], tree


def test_region_fields_are_read_in_their_package_vocabulary(eu_residency: PolicyPack) -> None:
    nested = {"replication": {"userManaged": {"replicas": [{"location": "europe-west1"}]}}}
    gcp = eu_resource("gcp:secretmanager/secret:Secret", "secret", nested)
    assert blocking(eu_residency, [gcp]) == []
    foreign = aws("aws:newservice/thing:Thing", "thing", {"spec": {"region": "europe-west1"}})
    found = blocking(eu_residency, [foreign])
    assert any("spec.region" in m and "not an exact AWS region code" in m for m in found), found


# -- Google Cloud: in-stack resources are placed as gcp-resource-location-allowed places them ----

GCP = ProviderRef(
    type="pulumi:providers:gcp",
    name="default",
    urn=eu_urn("pulumi:providers:gcp", "default"),
    properties={"project": "p", "region": "europe-west1"},
)
GCS_BUCKET = "gcp:storage/bucket:Bucket"
BUCKET_OBJECT = "gcp:storage/bucketObject:BucketObject"
BUILD_TRIGGER = "gcp:cloudbuild/trigger:Trigger"
LOG_SINK = "gcp:logging/projectSink:ProjectSink"
GCP_ALLOW_LIST = "allowed GCP locations: "


def gcp(
    resource_type: str, name: str, props: dict[str, Any], **deps: tuple[str, ...]
) -> AnalyzedResource:
    return eu_resource(resource_type, name, props, provider=GCP, property_dependencies=deps)


def gcs_bucket(name: str, location: str) -> AnalyzedResource:
    return gcp(GCS_BUCKET, name, {"name": name, "location": location})


def bucket_object(on: AnalyzedResource) -> AnalyzedResource:
    # `gcp.storage.BucketObject("o", bucket=bucket.name, ...)`: the name is unknown at preview.
    return gcp(
        BUCKET_OBJECT, "o", {"name": "o", "bucket": UNKNOWN, "content": "x"}, bucket=(on.urn,)
    )


def test_gcp_object_in_an_in_stack_eu_bucket_passes(eu_residency: PolicyPack) -> None:
    data = gcs_bucket("data", "EUROPE-WEST1")
    obj = bucket_object(data)
    prove(eu_residency, {obj.urn: {"bucket": f"{data.urn}#name"}})
    assert blocking(eu_residency, [data, obj]) == []


def test_gcp_object_in_an_in_stack_us_bucket_blocks_naming_its_location(
    eu_residency: PolicyPack,
) -> None:
    data = gcs_bucket("data", "US")
    obj = bucket_object(data)
    prove(eu_residency, {obj.urn: {"bucket": f"{data.urn}#name"}})
    found = [m for m in blocking(eu_residency, [data, obj]) if m.startswith(obj.urn)]
    assert any(
        "bucket = a value not known until apply" in m
        and "location 'US' is the US multi-region" in m
        and data.urn in m
        and GCP_ALLOW_LIST in m
        for m in found
    ), found


def test_gcp_object_of_an_unassessed_gcp_type_blocks(eu_residency: PolicyPack) -> None:
    thing = gcp("gcp:newservice/thing:Thing", "thing", {"name": "t"})
    obj = bucket_object(thing)
    prove(eu_residency, {obj.urn: {"bucket": f"{thing.urn}#name"}})
    found = blocking(eu_residency, [thing, obj])
    assert any("residency of gcp:newservice/thing:Thing is not assessed" in m for m in found)


def test_gcp_bigquery_dataset_without_location_is_in_the_us(eu_residency: PolicyPack) -> None:
    # A logging sink into a dataset of this stack: the dataset's documented default is US.
    sink = gcp(
        LOG_SINK,
        "sink",
        {"name": "s", "destination": "bigquery.googleapis.com/projects/p/datasets/logs"},
    )
    us = gcp("gcp:bigquery/dataset:Dataset", "logs", {"datasetId": "logs"})
    found = blocking(eu_residency, [us, sink])
    assert any("destination = " in m and "default 'US'" in m for m in found), found
    eu = gcp("gcp:bigquery/dataset:Dataset", "logs", {"datasetId": "logs", "location": "EU"})
    assert blocking(eu_residency, [eu, sink]) == []


GCS_REFERENCES = [
    pytest.param({"build": {"logsBucket": "gs://build-logs/ci"}}, "build.logsBucket", id="gs-url"),
    pytest.param(
        {"build": {"artifacts": {"objects": {"location": "gs://build-logs/out/"}}}},
        "build.artifacts.objects.location",
        id="gs-url-in-a-location-field",
    ),
    pytest.param(
        {"build": {"source": {"url": "https://storage.googleapis.com/build-logs/src.zip"}}},
        "build.source.url",
        id="path-style-url",
    ),
    pytest.param(
        {"build": {"source": {"url": "https://build-logs.storage.googleapis.com/src.zip"}}},
        "build.source.url",
        id="virtual-hosted-url",
    ),
]


@pytest.mark.parametrize(("props", "path"), GCS_REFERENCES)
def test_gcs_reference_resolves_to_the_in_stack_bucket(
    eu_residency: PolicyPack, props: dict[str, Any], path: str
) -> None:
    trigger = gcp(BUILD_TRIGGER, "ci", {"name": "ci", **props})
    assert blocking(eu_residency, [gcs_bucket("build-logs", "europe-west1"), trigger]) == []
    foreign = [m for m in blocking(eu_residency, [trigger]) if f": {path} = " in m]
    assert any("bucket 'build-logs' is not a bucket of this stack" in m for m in foreign), foreign
    us = blocking(eu_residency, [gcs_bucket("build-logs", "us-central1"), trigger])
    assert any(f": {path} = " in m and "'us-central1' is not allowed" in m for m in us), us


def test_logging_sink_to_a_bucket_of_this_stack(eu_residency: PolicyPack) -> None:
    sink = gcp(LOG_SINK, "sink", {"name": "s", "destination": "storage.googleapis.com/audit"})
    assert blocking(eu_residency, [gcs_bucket("audit", "EU"), sink]) == []
    found = blocking(eu_residency, [gcs_bucket("audit", "ASIA"), sink])
    assert any("destination = 'storage.googleapis.com/audit'" in m for m in found), found


def test_a_log_sink_is_judged_by_its_destination_only(eu_residency: PolicyPack) -> None:
    # A router rule keeps no entry itself: it is reviewed as placement-neutral, so the whole pack
    # passes a sink to an allowed bucket, and only the flow blocks one to a foreign bucket.
    sink = gcp(LOG_SINK, "sink", {"name": "s", "destination": "storage.googleapis.com/audit"})
    mandatory = [
        d
        for d in eu_residency.preview([gcs_bucket("audit", "EU"), sink])
        if d.enforcement_level == "mandatory"
    ]
    assert mandatory == [], [d.message for d in mandatory]
    blocked = {
        d.policy
        for d in eu_residency.preview([gcs_bucket("audit", "US"), sink])
        if d.enforcement_level == "mandatory" and d.urn == sink.urn
    }
    assert blocked == {RULE}


@pytest.mark.parametrize(
    ("key", "bad", "good"),
    [
        ("region", "us-central1", "europe-west1"),
        ("zone", "us-central1-a", "europe-west1-b"),
        ("locations", ["europe-west1", "asia-east1"], ["europe-west1", "europe-west4"]),
        ("replicaLocation", "US", "EU"),
    ],
)
def test_nested_gcp_location_fields_are_judged_as_gcp_locations(
    eu_residency: PolicyPack, key: str, bad: Any, good: Any
) -> None:
    def cluster(value: Any) -> AnalyzedResource:
        # A Dataproc cluster in Belgium whose nested settings name another place.
        config = {"gceClusterConfig": {"settings": {key: value}}}
        return gcp(
            "gcp:dataproc/cluster:Cluster",
            "c",
            {"name": "c", "region": "europe-west1", "clusterConfig": config},
        )

    found = blocking(eu_residency, [cluster(bad)])
    assert any("clusterConfig.gceClusterConfig.settings." in m for m in found), found
    assert all(GCP_ALLOW_LIST in m for m in found), found
    assert blocking(eu_residency, [cluster(good)]) == []


def test_own_gcp_placement_is_left_to_the_placement_rule(eu_residency: PolicyPack) -> None:
    # The instance's own zone is gcp-resource-location-allowed's to judge, not a flow.
    vm = gcp("gcp:compute/instance:Instance", "vm", {"name": "vm", "zone": "us-central1-a"})
    assert blocking(eu_residency, [vm]) == []


@pytest.mark.parametrize(
    ("value", "foreign"),
    [
        ("projects/p/locations/{}/keyRings/k/cryptoKeys/c", True),
        ("https://www.googleapis.com/compute/v1/projects/p/regions/{}/subnetworks/s", True),
        ("projects/p/zones/{}-b/instances/vm", True),
        ("https://{}-aiplatform.googleapis.com/v1/x", True),
        ("https://{}-p.cloudfunctions.net/hook", True),
        ("projects/p/global/networks/default", False),
        ("pubsub.googleapis.com", False),
    ],
)
def test_gcp_resource_names_and_self_links_are_placed_by_their_location(
    eu_residency: PolicyPack, value: str, foreign: bool
) -> None:
    def thing(region: str) -> AnalyzedResource:
        return gcp("gcp:newservice/thing:Thing", "t", {"spec": {"ref": value.format(region)}})

    assert blocking(eu_residency, [thing("europe-west1")]) == []
    found = blocking(eu_residency, [thing("us-central1")])
    if foreign:
        assert any("spec.ref = " in m and "us-central1" in m for m in found), found
    else:
        assert found == []


def test_oauth_scopes_and_service_names_stay_harmless_in_gcp(eu_residency: PolicyPack) -> None:
    vm = gcp(
        "gcp:compute/instance:Instance",
        "vm",
        {
            "name": "vm",
            "serviceAccount": {"scopes": ["https://www.googleapis.com/auth/cloud-platform"]},
        },
    )
    api = gcp("gcp:projects/service:Service", "api", {"service": "storage.googleapis.com"})
    assert blocking(eu_residency, [vm, api]) == []


def test_narrowed_gcp_allow_list_blocks_a_flow_to_an_allowed_default(
    eu_residency: PolicyPack,
) -> None:
    trigger = gcp(BUILD_TRIGGER, "ci", {"name": "ci", "build": {"logsBucket": "gs://build-logs"}})
    stack = [gcs_bucket("build-logs", "europe-west1"), trigger]
    assert blocking(eu_residency, stack) == []
    eu_residency.configure({RULE: {"allowedGcpLocations": ["europe-north1"]}})
    found = blocking(eu_residency, stack)
    assert any(
        "build.logsBucket" in m
        and "'europe-west1' is not allowed" in m
        and f"{GCP_ALLOW_LIST}europe-north1)" in m
        for m in found
    ), found


@pytest.mark.parametrize(
    ("key", "value"),
    [("timeZone", "America/New_York"), ("managedZone", "corp-internal"), ("zone", "us-east4-b-r1")],
)
def test_a_gcp_zone_field_is_a_place_only_when_it_names_a_compute_zone(
    eu_residency: PolicyPack, key: str, value: str
) -> None:
    agent = gcp("gcp:newservice/thing:Thing", "t", {"spec": {key: value}})
    found = blocking(eu_residency, [agent])
    if value.startswith("us-east4"):
        # Oracle Database@Google Cloud's zone ``us-east4-b-r1`` is in zone us-east4-b.
        assert any("'us-east4-b' is a zone of region 'us-east4'" in m for m in found), found
    else:
        assert found == [], "a time zone or a DNS managed zone is no place"


def test_access_level_regions_are_request_origins_not_places(eu_residency: PolicyPack) -> None:
    # `regions` of an Access Context Manager condition are ISO 3166 country codes a request may
    # come from (https://cloud.google.com/access-context-manager/docs/access-level-attributes),
    # a rule about who reaches data; the level keeps no data anywhere.
    policy = gcp(
        "gcp:accesscontextmanager/accessPolicy:AccessPolicy",
        "policy",
        {"parent": "organizations/123456789", "title": "eu"},
    )
    levels = gcp(
        "gcp:accesscontextmanager/accessLevels:AccessLevels",
        "levels",
        {
            "parent": UNKNOWN,
            "accessLevels": [
                {
                    "name": UNKNOWN,
                    "title": "eu-only",
                    "basic": {"conditions": [{"regions": ["CH", "IT", "US"]}]},
                }
            ],
        },
        parent=(policy.urn,),
        accessLevels=(policy.urn,),
    )
    assert blocking(eu_residency, [policy, levels]) == []
    # The same words elsewhere still name a place.
    topic = gcp("gcp:newservice/thing:Thing", "t", {"basic": {"conditions": [{"regions": ["US"]}]}})
    assert blocking(eu_residency, [topic])


# -- A region name is a place in any field; providers' endpoints; global processing -------------

FOREIGN_REGION_LITERAL = st.sampled_from(
    [
        "us-east-1",
        "us-east-1a",
        "ap-southeast-2",
        "East US",
        "eastus2",
        "us-central1",
        "asia-east1-b",
    ]
)


@_SETTINGS
@given(tree=FOREIGN_REGION_LITERAL.flatmap(hide))
def test_a_foreign_region_name_in_any_field_blocks(eu_residency: PolicyPack, tree: Any) -> None:
    for resource_type, provider in (
        ("aws:newservice/thing:Thing", DUBLIN),
        ("azure-native:newservice:Thing", AZURE),
    ):
        resource = eu_resource(resource_type, "thing", {"spec": tree}, provider=provider)
        assert blocking(eu_residency, [RG, resource]), (resource_type, tree)


ALLOWED_REGION_LITERAL = st.sampled_from(["eu-west-1", "eu-west-1b", "North Europe", "westeurope"])


@_SETTINGS
@given(tree=ALLOWED_REGION_LITERAL.flatmap(hide))
def test_an_allowed_region_name_in_any_field_passes(eu_residency: PolicyPack, tree: Any) -> None:
    resource = aws("aws:newservice/thing:Thing", "thing", {"spec": tree})
    assert blocking(eu_residency, [resource]) == [], tree


def test_an_image_replicated_to_a_region_named_in_a_list_of_names_blocks(
    eu_residency: PolicyPack,
) -> None:
    def version(*targets: str) -> AnalyzedResource:
        return azure(
            "azure-native:compute:GalleryImageVersion",
            "v1",
            {
                "resourceGroupName": "rg",
                "galleryName": "g",
                "publishingProfile": {"targetRegions": [{"name": t} for t in targets]},
            },
        )

    (message,) = blocking(eu_residency, [RG, version("North Europe", "East US")])
    assert "publishingProfile.targetRegions[1].name = 'East US'" in message
    assert "location 'eastus' is not allowed" in message
    assert blocking(eu_residency, [RG, version("North Europe", "West Europe")]) == []


def test_region_names_in_tags_and_descriptions_are_not_flows(eu_residency: PolicyPack) -> None:
    props = {
        "name": "q",
        "tags": {"source-region": "us-east-1"},
        "description": "us-east-1",
        "alarmDescription": "Fails over to the standby in us-east-1 when Dublin is down",
        "rules": [{"comment": "mirrors the us-east-1 setup", "action": "allow"}],
    }
    assert blocking(eu_residency, [aws(QUEUE, "q", props)]) == []
    # The same words in a setting are a place.
    setting = {"name": "q", "rules": [{"target": "standby in us-east-1"}]}
    assert blocking(eu_residency, [aws(QUEUE, "q", setting)])


def test_names_shaped_like_regions_are_not_regions(eu_residency: PolicyPack) -> None:
    props = {"name": "my-app-1", "spec": {"value": "ab-cd-2", "other": "us-east-9"}}
    assert blocking(eu_residency, [aws("aws:newservice/thing:Thing", "thing", props)]) == []


def aws_provider(**props: Any) -> AnalyzedResource:
    return eu_resource("pulumi:providers:aws", "custom", {"region": "eu-west-1", **props})


def test_a_provider_endpoint_outside_the_stack_blocks(eu_residency: PolicyPack) -> None:
    provider = aws_provider(endpoints='[{"s3":"https://s3.us-west-004.backblazeb2.com"}]')
    (message,) = blocking(eu_residency, [provider])
    assert "endpoints[0].s3 = 'https://s3.us-west-004.backblazeb2.com'" in message
    assert "not a declared external resource" in message
    regional = aws_provider(endpoints=[{"dynamodb": "https://dynamodb.us-east-1.amazonaws.com"}])
    (message,) = blocking(eu_residency, [regional])
    assert "region 'us-east-1' is not allowed" in message


def test_provider_endpoints_in_region_and_on_loopback_pass(eu_residency: PolicyPack) -> None:
    provider = aws_provider(
        endpoints=[
            {"s3": "https://s3.eu-west-1.amazonaws.com"},
            {"sqs": "http://localhost:4566", "sns": "http://127.0.0.1:4566"},
        ]
    )
    assert blocking(eu_residency, [provider]) == []


def test_provider_credentials_and_plugin_metadata_are_not_flows(eu_residency: PolicyPack) -> None:
    key = {
        "type": "service_account",
        "token_uri": "https://oauth2.googleapis.com/token",
        "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",
        "client_x509_cert_url": "https://www.example.com/robot/v1/metadata/x509/sa",
    }
    gcp = eu_resource(
        "pulumi:providers:gcp",
        "gcp",
        {
            "project": "p",
            "region": "europe-west1",
            "credentials": json.dumps(key),
            "pluginDownloadURL": "https://plugins.example.com/gcp",
        },
    )
    kubernetes = eu_resource(
        "pulumi:providers:kubernetes",
        "k8s",
        {"kubeconfig": json.dumps({"clusters": [{"cluster": {"server": "https://34.1.2.3"}}]})},
    )
    assert blocking(eu_residency, [gcp, kubernetes]) == []


def test_a_loopback_url_is_the_resource_itself(eu_residency: PolicyPack) -> None:
    function = aws(
        "aws:lambda/function:Function",
        "fn",
        {"environment": {"variables": {"SECRETS_URL": "http://localhost:2773/secretsmanager"}}},
    )
    assert blocking(eu_residency, [function]) == []


BEDROCK_AGENT = "aws:bedrock/agentAgent:AgentAgent"
EU_PROFILE = "eu.anthropic.claude-sonnet-4-20250514-v1:0"
BEDROCK_EU = ["eu-central-1", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-3"]


@pytest.mark.parametrize(
    "model",
    [
        "us.anthropic.claude-sonnet-4-20250514-v1:0",
        "global.anthropic.claude-sonnet-4-20250514-v1:0",
        "apac.amazon.nova-pro-v1:0",
        f"arn:aws:bedrock:eu-west-1:{ACCOUNT}:inference-profile/global.anthropic.claude-v2",
    ],
)
def test_a_cross_region_inference_profile_outside_europe_blocks(
    eu_residency: PolicyPack, model: str
) -> None:
    agent = aws(BEDROCK_AGENT, "agent", {"agentName": "a", "foundationModel": model})
    (message,) = blocking(eu_residency, [agent])
    assert f"foundationModel = {model!r}" in message
    assert "outside Europe" in message


def test_an_eu_inference_profile_is_judged_by_every_region_it_routes_to(
    eu_residency: PolicyPack,
) -> None:
    agent = aws(BEDROCK_AGENT, "agent", {"agentName": "a", "foundationModel": EU_PROFILE})
    eu_residency.configure({RULE: {"allowedRegions": ["eu-west-1", "eu-north-1"]}})
    (message,) = blocking(eu_residency, [agent])  # one violation naming every region not allowed
    for region in ("eu-central-1", "eu-south-1", "eu-south-2", "eu-west-3"):
        assert f"region {region!r} is not allowed" in message
    eu_residency.configure({RULE: {"allowedRegions": BEDROCK_EU}})
    assert blocking(eu_residency, [agent]) == []
    in_region = aws(
        BEDROCK_AGENT,
        "agent",
        {"agentName": "a", "foundationModel": "anthropic.claude-3-haiku-20240307-v1:0"},
    )
    eu_residency.configure({})
    assert blocking(eu_residency, [in_region]) == []


@pytest.mark.parametrize(
    ("sku", "blocked"),
    [
        ("GlobalStandard", True),
        ("GlobalProvisionedManaged", True),
        ("GlobalBatch", True),
        ("DataZoneStandard", False),
        ("Standard", False),
    ],
)
def test_a_global_ai_deployment_type_blocks(
    eu_residency: PolicyPack, sku: str, blocked: bool
) -> None:
    deployment = azure(
        "azure-native:cognitiveservices:Deployment",
        "gpt",
        {"accountName": "ai", "resourceGroupName": "rg", "sku": {"name": sku, "capacity": 10}},
    )
    found = blocking(eu_residency, [RG, deployment])
    assert bool(found) is blocked, found
    if blocked:
        assert "processes prompts in any Azure region worldwide" in found[0]


# -- Values computed from outputs the evidence run gave a stand-in ----------------------------

DIGEST = "0123456789abcdef"


def _stand_in_hook() -> AnalyzedResource:
    return aws(
        "aws:cloudwatch/eventApiDestination:EventApiDestination",
        "hook",
        {"httpMethod": "POST", "invocationEndpoint": UNKNOWN},
        invocationEndpoint=(),
    )


@pytest.mark.parametrize(
    ("computed", "region", "blocked"),
    [
        (f"https://apiendpoint.{DIGEST}.stand-in.invalid/hook", "eu-west-1", False),
        (f"apiendpoint.{DIGEST}.stand-in.invalid/hook", "eu-west-1", False),
        (f"https://apiendpoint.{DIGEST}.stand-in.invalid/hook", "us-east-1", True),
        (f"apiendpoint.{DIGEST}.stand-in.invalid/hook", "us-east-1", True),
        # Built from the in-stack API, but sent to another host: judged by that host.
        (
            f"https://collector.example.com/?from=apiendpoint.{DIGEST}.stand-in.invalid",
            "eu-west-1",
            True,
        ),
        # A stand-in naming no resource of this stack proves nothing.
        ("https://apiendpoint.fedcba9876543210.stand-in.invalid/hook", "eu-west-1", True),
    ],
)
def test_a_value_computed_from_a_stand_in_output_is_placed_at_its_resource(
    eu_residency: PolicyPack, computed: str, region: str, blocked: bool
) -> None:
    api = aws("aws:apigatewayv2/api:Api", "api", {"protocolType": "HTTP", "region": region})
    hook = _stand_in_hook()
    eu_residency.configure_evidence(
        {
            "provenOutputs": {},
            "computedValues": {
                "inputs": {hook.urn: {"invocationEndpoint": computed}},
                "bucketNames": {},
                "standIns": {DIGEST: api.urn},
            },
        }
    )
    found = [m for m in blocking(eu_residency, [api, hook]) if m.startswith(hook.urn)]
    assert bool(found) is blocked, found


@pytest.mark.parametrize(
    ("host", "blocked"),
    [
        ("https://logs.z6.web.core.windows.net/", False),  # a static website of the stack's account
        ("logs.z6.web.core.windows.net", False),
        ("https://elsewhere.z6.web.core.windows.net/", True),
    ],
)
def test_a_static_website_host_names_its_account(
    eu_residency: PolicyPack, host: str, blocked: bool
) -> None:
    endpoint = azure(
        "azure-native:cdn:Endpoint",
        "cdn",
        {"resourceGroupName": "rg", "origins": [{"name": "web", "hostName": host}]},
    )
    found = [m for m in blocking(eu_residency, [RG, ACCOUNT_EU, endpoint]) if "origins" in m]
    assert bool(found) is blocked, found


# -- Places inside free text, and settings named as buckets ------------------------------------

BROKERS = "b-1.k.c3.kafka.{r}.amazonaws.com:9094,b-2.k.c3.kafka.{r}.amazonaws.com:9094"
SCRIPT_US = "#!/bin/bash\naws s3 sync /var/exports s3://drop/exports --region us-east-1\n"
SCRIPT_EU = (
    "#!/bin/bash\ncurl -fsSL https://mirror.example.com/agent.sh | bash\n"
    "aws s3 ls --region eu-west-1\n"
)


@pytest.mark.parametrize(
    ("resource_type", "props", "blocked"),
    [
        (
            "aws:glue/connection:Connection",
            {
                "connectionProperties": {
                    "JDBC_CONNECTION_URL": "jdbc:postgresql://db.c1.{r}.rds.amazonaws.com:5432/x"
                }
            },
            True,
        ),
        (
            "aws:lambda/function:Function",
            {"environment": {"variables": {"BROKERS": BROKERS}}},
            True,
        ),
        (
            "aws:mq/configuration:Configuration",
            {"data": '<networkConnector uri="static:(ssl://b-1.mq.{r}.amazonaws.com:61617)"/>'},
            True,
        ),
        (
            "aws:ec2/launchTemplate:LaunchTemplate",
            {"userData": "base64:" + SCRIPT_US},
            True,
        ),
        (
            "aws:ec2/launchTemplate:LaunchTemplate",
            {"userData": "base64+gzip:" + SCRIPT_US},
            True,
        ),
    ],
)
def test_a_cloud_endpoint_or_region_inside_text_is_a_place(
    eu_residency: PolicyPack, resource_type: str, props: dict[str, Any], blocked: bool
) -> None:
    def render(region: str) -> dict[str, Any]:
        text = json.dumps(props).replace("{r}", region)
        rendered: dict[str, Any] = json.loads(text)
        user_data = rendered.get("userData")
        if isinstance(user_data, str) and user_data.startswith(("base64:", "base64+gzip:")):
            how, _, script = user_data.partition(":")
            data = script.replace("us-east-1", region).encode()
            # cloud-init takes gzip-compressed user data as well.
            data = gzip.compress(data) if how == "base64+gzip" else data
            rendered["userData"] = base64.b64encode(data).decode()
        return rendered

    assert blocking(eu_residency, [aws(resource_type, "it", render("us-east-1"))]), props
    assert blocking(eu_residency, [aws(resource_type, "it", render("eu-west-1"))]) == []


def test_other_hosts_in_a_script_prove_no_place_and_pass(eu_residency: PolicyPack) -> None:
    user_data = base64.b64encode(SCRIPT_EU.encode()).decode()
    template = aws("aws:ec2/launchTemplate:LaunchTemplate", "lt", {"userData": user_data})
    assert blocking(eu_residency, [template]) == []


@pytest.mark.parametrize(
    ("variables", "blocked"),
    [
        ({"EXPORT_BUCKET": "partner-drop-use1"}, True),  # no bucket of this stack
        ({"EXPORT_BUCKET": "ours"}, False),
        ({"exportBucketName": "ours"}, False),
        ({"BUCKET_PREFIX": "exports/"}, False),  # a prefix, not a bucket
    ],
)
def test_a_setting_named_as_a_bucket_must_be_a_bucket_of_the_stack(
    eu_residency: PolicyPack, variables: dict[str, str], blocked: bool
) -> None:
    function = aws("aws:lambda/function:Function", "fn", {"environment": {"variables": variables}})
    found = blocking(eu_residency, [bucket("ours"), function])
    assert bool(found) is blocked, found
    if blocked:
        assert "is not a bucket of this stack" in found[0]


@pytest.mark.parametrize(
    ("address", "blocked"),
    [("203.0.113.10", True), ("8.8.8.8", True), ("10.20.0.1", False), ("192.168.1.1", False)],
)
def test_a_vpn_peer_on_a_public_address_is_not_proven(
    eu_residency: PolicyPack, address: str, blocked: bool
) -> None:
    gateway = aws(
        "aws:ec2/customerGateway:CustomerGateway", "dc", {"bgpAsn": "65000", "ipAddress": address}
    )
    found = blocking(eu_residency, [gateway])
    assert bool(found) is blocked, found
    if blocked:
        assert "is a public address outside this stack" in found[0]


def test_a_resource_on_an_outpost_is_where_the_outpost_stands(eu_residency: PolicyPack) -> None:
    outpost = f"arn:aws:outposts:eu-west-1:{ACCOUNT}:outpost/op-0ab12cd34ef567890"
    volume = aws("aws:ebs/volume:Volume", "cache", {"outpostArn": outpost, "size": 10})
    (message,) = blocking(eu_residency, [volume])
    assert "is an AWS Outpost, which stands in a facility of its own" in message
    # Declared with the country it stands in, it is placed there.
    declared = {
        "id": "dublin-outpost",
        "resource": outpost,
        "cloud": "aws",
        "region": "eu-west-1",
        "reason": "our Outpost rack in the Dublin data centre",
        "vouchedBy": "dpo@example.com",
        "expires": "2999-12-31",
    }
    eu_residency.configure({"external-resource-declarations": {"externalResources": [declared]}})
    assert blocking(eu_residency, [volume]) == []


def test_step_functions_service_integrations_are_no_destinations(eu_residency: PolicyPack) -> None:
    definition = {
        "StartAt": "Get",
        "States": {
            "Get": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:getItem",
                "Parameters": {"TableName": "profiles"},
                "Next": "Send",
            },
            "Send": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {"QueueUrl": "https://sqs.eu-west-1.amazonaws.com/1/q"},
                "End": True,
            },
        },
    }
    machine = aws(
        "aws:sfn/stateMachine:StateMachine", "sync", {"definition": json.dumps(definition)}
    )
    assert blocking(eu_residency, [machine]) == []


@pytest.mark.parametrize(
    ("resource_type", "own_id"),
    [
        ("gcp:artifactregistry/repository:Repository", "repositoryId"),
        ("gcp:serviceaccount/account:Account", "accountId"),
    ],
)
def test_the_resource_s_own_id_computed_at_preview_is_no_destination(
    eu_residency: PolicyPack, resource_type: str, own_id: str
) -> None:
    # `repository_id=suffix.result.apply(lambda s: f"app-{s}")` names the repository being
    # created, in its own location; it refers to nothing elsewhere.
    own = gcp(resource_type, "own", {own_id: UNKNOWN, "location": "europe-west1"})
    assert blocking(eu_residency, [own]) == []
    # Another resource's id in a field named as an id is still a reference to judge.
    other = gcp(
        "gcp:cloudrunv2/service:Service", "svc", {"serviceAccountId": UNKNOWN, "location": "x"}
    )
    assert blocking(eu_residency, [other])


def test_a_helm_chart_repository_is_where_the_chart_comes_from_not_where_data_goes(
    eu_residency: PolicyPack,
) -> None:
    release = eu_resource(
        "kubernetes:helm.sh/v3:Release",
        "ingress",
        {"chart": "nginx-ingress", "repositoryOpts": {"repo": "https://helm.nginx.com/stable"}},
    )
    chart = eu_resource(
        "kubernetes:helm.sh/v4:Chart",
        "pg",
        {
            "chart": "cloudnative-pg",
            "repositoryOpts": {"repo": "https://cloudnative-pg.github.io/charts"},
        },
    )
    oci = eu_resource(
        "kubernetes:helm.sh/v4:Chart", "oci", {"chart": "oci://ghcr.io/acme/charts/app"}
    )
    assert blocking(eu_residency, [release, chart, oci]) == []


def test_a_chart_s_values_are_still_judged(eu_residency: PolicyPack) -> None:
    chart = eu_resource(
        "kubernetes:helm.sh/v4:Chart",
        "loki",
        {
            "chart": "loki",
            "repositoryOpts": {"repo": "https://grafana.github.io/helm-charts"},
            "values": {"loki": {"storage": {"s3": {"region": "us-east-1"}}}},
        },
    )
    (found,) = blocking(eu_residency, [chart])
    assert "values.loki.storage.s3.region = 'us-east-1'" in found


@pytest.mark.parametrize("path", ["source", "sources"])
def test_an_argo_cd_application_s_git_source_is_where_manifests_come_from(
    eu_residency: PolicyPack, path: str
) -> None:
    source = {"repoURL": "https://github.com/argoproj/argocd-example-apps", "path": "guestbook"}
    app = eu_resource(
        "kubernetes:argoproj.io/v1alpha1:Application",
        "guestbook",
        {"spec": {path: source if path == "source" else [source]}},
    )
    assert blocking(eu_residency, [app]) == []
    # A destination among the application's Helm values is still one.
    leaking = {
        **source,
        "helm": {"values": "logs:\n  endpoint: https://logs.us-east-1.amazonaws.com"},
    }
    app = eu_resource(
        "kubernetes:argoproj.io/v1alpha1:Application",
        "guestbook",
        {"spec": {path: leaking if path == "source" else [leaking]}},
    )
    assert blocking(eu_residency, [app])


@pytest.mark.parametrize(
    ("url", "blocked"),
    [
        # The user information is no host: the host after it is judged.
        ("postgres://app:pw@db.c1.us-east-1.rds.amazonaws.com:5432/app", True),
        ("postgres://app:pw@db.c1.eu-west-1.rds.amazonaws.com:5432/app", False),
        # No host at all: a local socket, which sends nothing elsewhere.
        ("postgres://app:S3cret!@/app?host=/var/run/postgresql", False),
    ],
)
def test_a_url_s_user_information_is_not_its_host(
    eu_residency: PolicyPack, url: str, blocked: bool
) -> None:
    function = aws(
        "aws:lambda/function:Function", "fn", {"environment": {"variables": {"DB": url}}}
    )
    assert bool(blocking(eu_residency, [function])) is blocked


@pytest.mark.parametrize(
    ("props", "blocked"),
    [
        ({"gatewayAddress": "203.0.113.10"}, True),  # a VPN peer on the internet: anywhere
        ({"gatewayFqdn": "vpn.partner.example.com"}, True),
        ({"gatewayAddress": "10.20.0.1"}, False),  # inside the network, as for AWS
    ],
)
def test_a_classic_azure_vpn_peer_on_the_internet_is_unproven(
    eu_residency: PolicyPack, props: dict[str, Any], blocked: bool
) -> None:
    gateway = eu_resource(
        "azure:network/localNetworkGateway:LocalNetworkGateway",
        "partner",
        {"location": "westeurope", "resourceGroupName": "rg", "addressSpaces": [], **props},
    )
    assert bool(blocking(eu_residency, [gateway])) is blocked


@pytest.mark.parametrize(
    ("options", "blocked"),
    [
        # A log router's output host: a SaaS intake outside the stack, proven nowhere.
        ({"Name": "datadog", "Host": "http-intake.logs.datadoghq.com"}, True),
        ({"Name": "http", "serverUrl": "logs.vendor.example.com"}, True),
        # Names that resolve only inside a network send nothing outside it.
        ({"Name": "forward", "Host": "fluentd.logging.svc"}, False),
        ({"Name": "forward", "Host": "collector.corp.internal"}, False),
        # A dotted value under a key that names no host is not an endpoint.
        ({"Name": "datadog", "dd_service": "orders.api"}, False),
    ],
)
def test_a_bare_host_under_a_key_that_names_a_host_is_an_endpoint(
    eu_residency: PolicyPack, options: dict[str, str], blocked: bool
) -> None:
    definitions = [
        {
            "name": "app",
            "image": "public.ecr.aws/docker/library/nginx:1.27",
            "logConfiguration": {"logDriver": "awsfirelens", "options": options},
        }
    ]
    task = aws(
        "aws:ecs/taskDefinition:TaskDefinition",
        "app",
        {"family": "app", "containerDefinitions": json.dumps(definitions)},
    )
    found = blocking(eu_residency, [task])
    assert bool(found) is blocked, found


@pytest.mark.parametrize(
    ("type_", "key", "value", "public"),
    [
        ("aws:ecs/taskDefinition:TaskDefinition", "Host", "http-intake.logs.datadoghq.com", True),
        ("aws:ecs/taskDefinition:TaskDefinition", "Host", "collector.corp.internal", False),
        # What a Kubernetes object serves (an Ingress rule's host), not where it sends data.
        ("kubernetes:networking.k8s.io/v1:Ingress", "host", "portal.acme.example", False),
    ],
)
def test_which_bare_hosts_are_endpoints(
    eu_residency_modules: dict[str, Any], type_: str, key: str, value: str, public: bool
) -> None:
    names = eu_residency_modules["data_flow"]._names_a_public_host
    assert names(type_, key, value) is public


ASSET_SIG = "4dabf18193072939515e22adb298388d"


@pytest.mark.parametrize(("region", "blocked"), [("us-east-1", True), ("eu-west-1", False)])
def test_a_function_s_inline_code_is_read_as_text(
    eu_residency: PolicyPack, region: str, blocked: bool
) -> None:
    # `code=pulumi.AssetArchive({"app.py": pulumi.StringAsset(source)})`, as the engine sends it.
    source = f'urlopen("https://a1b2c3.execute-api.{region}.amazonaws.com/prod/contacts")'
    code = {
        ASSET_SIG: "0def7320c3a5731c473e5ecbe6d01bc7",
        "assets": {"app.py": {ASSET_SIG: "c44067f5952c0a294b673a41bacd8c17", "text": source}},
    }
    function = aws("aws:lambda/function:Function", "fn", {"code": code, "runtime": "python3.12"})
    found = blocking(eu_residency, [function])
    assert bool(found) is blocked, found
    if blocked:
        assert "code.assets.app.py.text" in found[0]


def test_a_file_or_remote_archive_is_where_code_comes_from(eu_residency: PolicyPack) -> None:
    code = {ASSET_SIG: "0def7320c3a5731c473e5ecbe6d01bc7", "uri": "https://example.com/app.zip"}
    function = aws("aws:lambda/function:Function", "fn", {"code": code, "runtime": "python3.12"})
    assert blocking(eu_residency, [function]) == []


@pytest.mark.parametrize(
    ("uri", "blocked"),
    [
        ("https://router.kindpond-1a2b.northeurope.azurecontainerapps.io/alerts", False),
        ("https://router.kindpond-1a2b.eastus.azurecontainerapps.io/alerts", True),
        ("https://alerts.westeurope.cloudapp.azure.com/hook", False),
        ("https://alerts.westus2.azurecontainer.io/hook", True),
        # A regional domain with no region in the host proves nothing.
        ("https://router.kindpond-1a2b.azurecontainerapps.io/alerts", True),
    ],
)
def test_an_azure_host_that_names_its_region_is_placed_there(
    eu_residency: PolicyPack, uri: str, blocked: bool
) -> None:
    group = azure(
        "azure-native:monitor:ActionGroup",
        "on-call",
        {
            "location": "northeurope",
            "resourceGroupName": "rg",
            "groupShortName": "oncall",
            "enabled": True,
            "webhookReceivers": [{"name": "router", "serviceUri": uri}],
        },
    )
    found = blocking(eu_residency, [group])
    assert bool(found) is blocked, found


@pytest.mark.parametrize(
    ("uri", "blocked"),
    [
        # Cloud Run's deterministic URL names the region.
        ("https://ingest-123456789.europe-west1.run.app/events", False),
        ("https://ingest-123456789.us-central1.run.app/events", True),
        # The older URL abbreviates the region: nothing proves where it is.
        ("https://ingest-3fkz2a-ew.a.run.app/events", True),
        ("https://europe-west4-acme.cloudfunctions.net/ingest", False),
        ("https://us-east4-acme.cloudfunctions.net/ingest", True),
    ],
)
def test_a_google_host_that_names_its_region_is_placed_there(
    eu_residency: PolicyPack, uri: str, blocked: bool
) -> None:
    topic = f"arn:aws:sns:eu-west-1:{ACCOUNT}:signups"
    subscription = aws(
        SNS_SUBSCRIPTION, "push", {"topic": topic, "protocol": "https", "endpoint": uri}
    )
    found = blocking(eu_residency, [subscription])
    assert bool(found) is blocked, found


@pytest.mark.parametrize(
    ("host", "blocked"),
    [
        ("https://ingest-123456789.us-central1.run.app/v1", True),
        ("https://ingest-123456789.europe-north1.run.app/v1", False),
        ("https://us-central1-aiplatform.googleapis.com/v1/projects/p", True),
        ("us-docker.pkg.dev/acme/images/worker:1", True),
        ("europe-west1-docker.pkg.dev/acme/images/worker:1", False),
        ("https://alerts.eastus.cloudapp.azure.com/hook", True),
        # Hosts that name no region are left to the fields that hold destinations.
        ("https://ingest-3fkz2a-ew.a.run.app/v1", False),
        ("https://pubsub.googleapis.com/v1/projects/p/topics/t", False),
    ],
)
def test_regional_hosts_in_inline_code_are_places(
    eu_residency: PolicyPack, host: str, blocked: bool
) -> None:
    source = f'requests.post("{host}", json=event)\n'
    code = {
        ASSET_SIG: "0def7320c3a5731c473e5ecbe6d01bc7",
        "assets": {"app.py": {ASSET_SIG: "c44067f5952c0a294b673a41bacd8c17", "text": source}},
    }
    function = aws("aws:lambda/function:Function", "fn", {"code": code, "runtime": "python3.12"})
    found = blocking(eu_residency, [function])
    assert bool(found) is blocked, found


@pytest.mark.parametrize(
    ("value", "blocked"),
    [
        # One setting holding several endpoints: the first one proves nothing about the rest.
        (
            "https://sqs.eu-west-1.amazonaws.com/1/crm-events,"
            "https://sqs.us-east-1.amazonaws.com/1/crm-audit",
            True,
        ),
        (
            "https://sqs.eu-west-1.amazonaws.com/1/crm-events,"
            "https://sqs.eu-north-1.amazonaws.com/1/crm-audit",
            False,
        ),
        (
            f"arn:aws:sns:eu-west-1:{ACCOUNT}:crm-audit,arn:aws:sns:us-east-1:{ACCOUNT}:audit",
            True,
        ),
        (f"arn:aws:sns:eu-west-1:{ACCOUNT}:crm-audit,arn:aws:sns:eu-west-1:{ACCOUNT}:audit", False),
    ],
)
def test_every_place_a_value_names_is_judged_not_only_its_first(
    eu_residency: PolicyPack, value: str, blocked: bool
) -> None:
    function = aws(
        "aws:lambda/function:Function",
        "fanout",
        {"runtime": "python3.12", "environment": {"variables": {"SINKS": value}}},
    )
    found = blocking(eu_residency, [function])
    assert bool(found) is blocked, found
    if blocked:
        assert "environment.variables.SINKS" in found[0]
        assert "us-east-1" in found[0]


@pytest.mark.parametrize(
    ("uri", "blocked"),
    [
        # Lambda function URLs name their region under on.aws.
        ("https://abcdefgh12345.lambda-url.eu-west-1.on.aws/ingest", False),
        ("https://abcdefgh12345.lambda-url.us-east-1.on.aws/ingest", True),
        # SQS's classic queue URLs are US East.
        (f"https://queue.amazonaws.com/{ACCOUNT}/inventory", True),
        # ElastiCache abbreviates the region.
        ("rediss://master.sessions.x1y2z3.euw1.cache.amazonaws.com:6379", False),
        ("rediss://master.sessions.x1y2z3.use1.cache.amazonaws.com:6379", True),
        # Azure service hosts that carry their region, with an instance number or not.
        ("https://westeurope-5.in.applicationinsights.azure.com/", False),
        ("https://eastus-8.in.applicationinsights.azure.com/", True),
        ("https://crm-events.westeurope-1.eventgrid.azure.net/api/events", False),
        ("https://acmerender.eastus.batch.azure.com", True),
        # Google's regional endpoints name the region as a label.
        ("https://storage.europe-west1.rep.googleapis.com/storage/v1/b", False),
        ("https://storage.us-central1.rep.googleapis.com/storage/v1/b", True),
    ],
)
def test_hosts_that_name_their_region(eu_residency: PolicyPack, uri: str, blocked: bool) -> None:
    function = aws(
        "aws:lambda/function:Function",
        "sync",
        {"runtime": "python3.12", "environment": {"variables": {"SINK_URL": uri}}},
    )
    found = blocking(eu_residency, [function])
    assert bool(found) is blocked, found


@pytest.mark.parametrize(
    ("text", "blocked"),
    [
        # In a script: only hosts that name a place count.
        ("aws sqs send-message --queue-url https://queue.amazonaws.com/1/inventory", True),
        (
            "InstrumentationKey=k;IngestionEndpoint=https://eastus-8.in.applicationinsights.azure.com/",
            True,
        ),
        (
            "InstrumentationKey=k;IngestionEndpoint=https://westeurope-5.in.applicationinsights.azure.com/",
            False,
        ),
        ("curl https://abc.lambda-url.us-west-2.on.aws/", True),
        ("curl https://login.microsoftonline.com/ https://management.azure.com/", False),
    ],
)
def test_hosts_that_name_their_region_inside_text(
    eu_residency: PolicyPack, text: str, blocked: bool
) -> None:
    document = aws(
        "aws:ssm/document:Document",
        "runbook",
        {"documentType": "Command", "content": json.dumps({"mainSteps": [{"run": text}]})},
    )
    found = blocking(eu_residency, [document])
    assert bool(found) is blocked, found


def test_a_scheduler_universal_target_is_judged_by_its_input(eu_residency: PolicyPack) -> None:
    def schedule(region: str) -> AnalyzedResource:
        queue = f"https://sqs.{region}.amazonaws.com/{ACCOUNT}/orders"
        target = {
            "arn": "arn:aws:scheduler:::aws-sdk:sqs:sendMessage",
            "roleArn": ROLE,
            "input": json.dumps({"QueueUrl": queue, "MessageBody": "tick"}),
        }
        return aws(
            "aws:scheduler/schedule:Schedule",
            f"tick-{region}",
            {
                "scheduleExpression": "rate(1 hour)",
                "flexibleTimeWindow": {"mode": "OFF"},
                "target": target,
            },
        )

    assert blocking(eu_residency, [schedule("eu-west-1")]) == []
    found = blocking(eu_residency, [schedule("us-east-1")])
    assert len(found) == 1
    assert "target.input" in found[0]


def test_a_cosmos_regional_endpoint_is_its_account_and_its_region(eu_residency: PolicyPack) -> None:
    account = azure(
        "azure-native:documentdb:DatabaseAccount",
        "orders",
        {
            "accountName": "acme-orders",
            "location": "westeurope",
            "resourceGroupName": "rg",
            "databaseAccountOfferType": "Standard",
            "locations": [{"locationName": "westeurope"}],
        },
    )

    def app(endpoint: str) -> AnalyzedResource:
        return azure(
            "azure-native:web:WebApp",
            "api",
            {
                "location": "westeurope",
                "resourceGroupName": "rg",
                "siteConfig": {"appSettings": [{"name": "COSMOS", "value": endpoint}]},
            },
        )

    regional = "https://acme-orders-{}.documents.azure.com:443/"
    assert blocking(eu_residency, [account, app(regional.format("westeurope"))]) == []
    found = blocking(eu_residency, [account, app(regional.format("eastus"))])
    assert any("eastus" in f for f in found), found


SPLIT_ENDPOINTS = [
    # Step Functions intrinsic
    "{{\"QueueUrl.$\": \"States.Format('https://sqs.{{}}-{{}}-1.amazonaws.com/1/q', '{area}', "
    "'{direction}')\"}}",
    # Logic Apps / ARM expression
    "@{{concat('https://sqs.{area}-', '{direction}-1.amazonaws.com/1/q')}}",
    # CloudFormation tag, nested
    "Endpoint: !Join [':', ['arn:aws:sqs', !Join ['-', ['{area}', '{direction}', '1']], '1', 'q']]",
    # Python, JavaScript, Workflows
    'QUEUE = "https://sqs." + "{area}-" + "{direction}-1" + ".amazonaws.com/1/q"',
]


@pytest.mark.parametrize("template", SPLIT_ENDPOINTS)
@pytest.mark.parametrize(
    ("area", "direction", "blocked"), [("eu", "west", False), ("us", "east", True)]
)
def test_an_endpoint_joined_from_literals_is_judged_whole(
    eu_residency: PolicyPack, template: str, area: str, direction: str, blocked: bool
) -> None:
    text = template.format(area=area, direction=direction)
    document = aws(
        "aws:ssm/document:Document", "runbook", {"documentType": "Command", "content": text}
    )
    found = blocking(eu_residency, [document])
    assert bool(found) is blocked, (text, found)
    if blocked:
        assert "us-east-1" in found[0]


@pytest.mark.parametrize(
    "text",
    [
        # Pieces put together from values the pack cannot see: nothing proves the region.
        "States.Format('https://sqs.{}-{}-1.amazonaws.com/1/q', $.area, $.direction)",
        '${"https://" + area + "-" + "central1-acme.cloudfunctions.net/sync"}',
    ],
)
def test_an_endpoint_assembled_at_run_time_is_unproven(eu_residency: PolicyPack, text: str) -> None:
    document = aws(
        "aws:ssm/document:Document", "runbook", {"documentType": "Command", "content": text}
    )
    found = blocking(eu_residency, [document])
    assert len(found) == 1, found
    assert "assembled from pieces at run time" in found[0]


def test_a_region_substituted_whole_is_no_fragment(eu_residency: PolicyPack) -> None:
    # The function's own region, filled in by its code: no piece of a region name is left.
    code = "url = f\"https://sqs.{os.environ['AWS_REGION']}.amazonaws.com/{account}/orders\"\n"
    document = aws(
        "aws:ssm/document:Document", "runbook", {"documentType": "Command", "content": code}
    )
    assert blocking(eu_residency, [document]) == []


@pytest.mark.parametrize(
    ("location", "blocked"),
    [
        ("[concat('north', 'europe')]", False),
        ("[concat('east', 'us')]", True),
        # Read from a parameter at deployment: nothing here proves where.
        ("[parameters('archiveLocation')]", True),
    ],
)
def test_an_arm_template_location_joined_from_literals_is_that_location(
    eu_residency: PolicyPack, location: str, blocked: bool
) -> None:
    template = {
        "$schema": "https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#",
        "contentVersion": "1.0.0.0",
        "resources": [
            {
                "type": "Microsoft.Storage/storageAccounts",
                "apiVersion": "2023-01-01",
                "name": "archive",
                "location": location,
                "kind": "StorageV2",
                "sku": {"name": "Standard_ZRS"},
            }
        ],
    }
    deployment = azure(
        "azure-native:resources:Deployment",
        "archive",
        {"resourceGroupName": "rg", "properties": {"mode": "Incremental", "template": template}},
    )
    found = blocking(eu_residency, [deployment])
    assert bool(found) is blocked, found


@pytest.mark.parametrize(
    ("image", "blocked"),
    [
        (f"{ACCOUNT}.dkr.ecr.eu-west-1.amazonaws.com/crm-api:1.4.2", False),
        (f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/crm-api:1.4.2", True),
        ("1.dkr.ecr.eu-west-1.amazonaws.com/crm-api:1", False),
    ],
)
def test_a_registry_host_starting_with_its_account_is_no_fragment(
    eu_residency: PolicyPack, image: str, blocked: bool
) -> None:
    definitions = json.dumps([{"name": "api", "image": image, "essential": True}])
    task = aws(
        "aws:ecs/taskDefinition:TaskDefinition",
        "api",
        {"family": "api", "containerDefinitions": definitions},
    )
    found = blocking(eu_residency, [task])
    assert bool(found) is blocked, found
    assert not any("assembled from pieces" in f for f in found), found


@pytest.mark.parametrize(
    ("value", "blocked"),
    [
        # A Cognito user pool id is `<region>_<id>`.
        ("us-east-1_Xk8fQ2LmN", True),
        ("eu-west-1_Xk8fQ2LmN", False),
        # Cognito hosted UI domains name their region.
        ("https://acme.auth.us-east-1.amazoncognito.com/oauth2/authorize", True),
        ("https://acme.auth.eu-west-1.amazoncognito.com/oauth2/authorize", False),
        # Kubernetes service DNS stays inside the cluster.
        ("postgresql://crm@crm-db.default.svc.cluster.local:5432/crm", False),
        # Container Registry hosts are multi-regions; Google's public builder images are pulled.
        ("gcr.io/acme-eu/crm-seeded:1", True),
        ("eu.gcr.io/acme-eu/crm-seeded:1", False),
        ("gcr.io/cloud-builders/docker", False),
        ("gcr.io/google-samples/gb-frontend:v4", False),
        ("us-docker.pkg.dev/cloudrun/container/hello", False),
        ("us-docker.pkg.dev/acme-eu/apps/crm:1", True),
        # An Azure Storage connection string names its account, which is not in the stack.
        ("DefaultEndpointsProtocol=https;AccountName=acmeexportsus;AccountKey=abc==", True),
    ],
)
def test_more_forms_that_name_a_place(eu_residency: PolicyPack, value: str, blocked: bool) -> None:
    function = aws(
        "aws:lambda/function:Function",
        "api",
        {"runtime": "python3.12", "environment": {"variables": {"SETTING": value}}},
    )
    found = blocking(eu_residency, [function])
    assert bool(found) is blocked, found


def test_a_connection_string_of_an_in_stack_account_is_that_account(
    eu_residency: PolicyPack,
) -> None:
    def account(location: str) -> AnalyzedResource:
        return azure(
            STORAGE,
            "archive",
            {
                "accountName": "acmearchive",
                "location": location,
                "resourceGroupName": "rg",
                "kind": "StorageV2",
                "sku": {"name": "Standard_ZRS"},
            },
        )

    setting = "DefaultEndpointsProtocol=https;AccountName=acmearchive;AccountKey=abc=="
    app = azure(
        "azure-native:web:WebApp",
        "api",
        {
            "location": "westeurope",
            "resourceGroupName": "rg",
            "siteConfig": {"appSettings": [{"name": "ARCHIVE", "value": setting}]},
        },
    )
    assert blocking(eu_residency, [account("westeurope"), app]) == []
    found = blocking(eu_residency, [account("eastus"), app])
    assert any("::api " in f and "eastus" in f for f in found), found


def test_a_random_password_in_a_password_field_is_no_place(eu_residency: PolicyPack) -> None:
    # Only a destination made from a random string is unproven (tests/test_check_evidence.py).
    instance = aws(
        "aws:rds/instance:Instance",
        "db",
        {"engine": "postgres", "instanceClass": "db.t4g.micro", "password": "s3cr3t-eu-west-1"},
    )
    assert blocking(eu_residency, [instance]) == []


@pytest.mark.parametrize(
    ("name", "blocked"),
    [("crm-cache--euw1-az1--x-s3", False), ("crm-cache--use1-az4--x-s3", True)],
)
def test_a_directory_bucket_is_in_the_zone_its_name_ends_with(
    eu_residency: PolicyPack, name: str, blocked: bool
) -> None:
    function = aws(
        "aws:lambda/function:Function",
        "cache",
        {"runtime": "python3.12", "environment": {"variables": {"CACHE_BUCKET": name}}},
    )
    found = blocking(eu_residency, [function])
    assert bool(found) is blocked, found


@pytest.mark.parametrize(
    ("resource_type", "spec", "blocked"),
    [
        (
            "kubernetes:storage.cnrm.cloud.google.com/v1beta1:StorageBucket",
            {"location": "US"},
            True,
        ),
        (
            "kubernetes:storage.cnrm.cloud.google.com/v1beta1:StorageBucket",
            {"location": "EU"},
            False,
        ),
        ("kubernetes:s3.services.k8s.aws/v1alpha1:Bucket", {"region": "us-west-2"}, True),
        ("kubernetes:storage.azure.com/v1api20230101:StorageAccount", {"location": "eastus"}, True),
        (
            "kubernetes:storage.azure.com/v1api20230101:StorageAccount",
            {"location": "westeurope"},
            False,
        ),
    ],
)
def test_custom_resources_of_cloud_operators_name_places_in_their_cloud_s_words(
    eu_residency: PolicyPack, resource_type: str, spec: dict[str, Any], blocked: bool
) -> None:
    # Config Connector, AWS Controllers for Kubernetes, Azure Service Operator: the resource is
    # created in the cloud, where its spec says; the cluster rule places only the manifest.
    custom = eu_resource(resource_type, "archive", {"metadata": {"name": "archive"}, "spec": spec})
    found = blocking(eu_residency, [custom])
    assert bool(found) is blocked, found


@pytest.mark.parametrize(
    ("url", "blocked"),
    [
        # Azure Maps' Europe geography keeps requests in its European regions.
        ("https://eu.atlas.microsoft.com/search/address/json?api-version=1.0", False),
        ("https://us.atlas.microsoft.com/search/address/json?api-version=1.0", True),
        # The global endpoint routes to the nearest geography: unproven.
        ("https://atlas.microsoft.com/search/address/json?api-version=1.0", True),
    ],
)
def test_azure_maps_geographic_endpoints(eu_residency: PolicyPack, url: str, blocked: bool) -> None:
    app = azure(
        "azure-native:web:WebApp",
        "geo",
        {
            "location": "westeurope",
            "resourceGroupName": "rg",
            "siteConfig": {"appSettings": [{"name": "MAPS_ENDPOINT", "value": url}]},
        },
    )
    found = blocking(eu_residency, [app])
    assert bool(found) is blocked, found


@pytest.mark.parametrize(
    ("env", "args", "blocked"),
    [
        # Dependent variables are expanded as the kubelet expands them before the URL is judged.
        ([("GEO", "eu-west"), ("SINK", "https://sqs.$(GEO)-1.amazonaws.com/1/q")], [], False),
        ([("GEO", "us-east"), ("SINK", "https://sqs.$(GEO)-1.amazonaws.com/1/q")], [], True),
        ([("GEO", "us-east")], ["--sink=https://sqs.$(GEO)-1.amazonaws.com/1/q"], True),
        ([("GEO", "eu-north")], ["--sink=https://sqs.$(GEO)-1.amazonaws.com/1/q"], False),
        # A reference to nothing defined before it stays as written: unproven.
        ([("SINK", "https://sqs.$(GEO)-1.amazonaws.com/1/q"), ("GEO", "eu-west")], [], True),
        # `$$` escapes: the literal text is not a region.
        ([("GEO", "eu-west"), ("SINK", "https://sqs.$$(GEO)-1.amazonaws.com/1/q")], [], True),
    ],
)
def test_kubernetes_container_variables_are_expanded(
    eu_residency: PolicyPack, env: list[tuple[str, str]], args: list[str], blocked: bool
) -> None:
    container = {
        "name": "forwarder",
        "image": "ghcr.io/acme/forwarder:1.0",
        "env": [{"name": n, "value": v} for n, v in env],
        "args": args,
    }
    deployment = eu_resource(
        "kubernetes:apps/v1:Deployment",
        "forwarder",
        {"spec": {"template": {"spec": {"containers": [container]}}}},
    )
    found = blocking(eu_residency, [deployment])
    assert bool(found) is blocked, found


@pytest.mark.parametrize(
    ("default", "given", "location", "blocked"),
    [
        ("northeurope", None, "[parameters('archiveLocation')]", False),
        ("eastus", None, "[parameters('archiveLocation')]", True),
        # The value the deployment passes wins over the template's default.
        ("northeurope", "eastus", "[parameters('archiveLocation')]", True),
        ("westeurope", "northeurope", "[parameters('ARCHIVELOCATION')]", False),
        ("northeurope", None, "[variables('where')]", False),
        # A default that is itself an expression stays unproven.
        ("[resourceGroup().location]", None, "[parameters('archiveLocation')]", True),
        ("northeurope", None, "[parameters('undeclared')]", True),
    ],
)
def test_arm_template_parameters_are_substituted(
    eu_residency: PolicyPack, default: str, given: str | None, location: str, blocked: bool
) -> None:
    template = {
        "parameters": {"archiveLocation": {"type": "string", "defaultValue": default}},
        "variables": {"where": default},
        "resources": [
            {
                "type": "Microsoft.Storage/storageAccounts",
                "name": "acmearchive",
                "location": location,
                "kind": "StorageV2",
            }
        ],
    }
    properties: dict[str, Any] = {"mode": "Incremental", "template": template}
    if given is not None:
        properties["parameters"] = {"archiveLocation": {"value": given}}
    deployment = azure(
        "azure-native:resources:Deployment",
        "archive",
        {"resourceGroupName": "rg", "properties": properties},
    )
    found = blocking(eu_residency, [deployment])
    assert bool(found) is blocked, found


@pytest.mark.parametrize(("region", "blocked"), [("eu-west-1", False), ("us-east-1", True)])
def test_an_aws_native_bucket_is_a_bucket_of_the_stack(
    eu_residency: PolicyPack, region: str, blocked: bool
) -> None:
    """aws-native names a bucket by ``bucketName``; a trail delivering to it is placed there."""
    native = eu_resource(
        "aws-native:s3:Bucket",
        "logs",
        {"bucketName": "acme-trail-logs"},
        provider=eu_aws_provider(region, name="native"),
    )
    trail = aws("aws:cloudtrail/trail:Trail", "audit", {"s3BucketName": "acme-trail-logs"})
    found = [m for m in blocking(eu_residency, [native, trail]) if trail.urn in m]
    assert bool(found) is blocked, found


@pytest.mark.parametrize(
    ("query", "blocked"),
    [
        (
            "EXPORT DATA OPTIONS (uri = 'gs://partner-exports/crm/*.parquet', format = 'PARQUET') "
            "AS SELECT email FROM crm.customers",
            True,
        ),
        ("UNLOAD ('select * from customers') TO 's3://partner-dump/customers_' IAM_ROLE 'x'", True),
        ("CREATE TABLE t WITH (external_location = 's3://acme-eu-exports/t/') AS SELECT 1", False),
        # Reading from storage is not a destination.
        ("SELECT * FROM EXTERNAL_QUERY('gs://partner-exports/x')", False),
    ],
)
def test_a_query_that_exports_to_storage_names_its_destination(
    eu_residency: PolicyPack, query: str, blocked: bool
) -> None:
    exports = bucket("acme-eu-exports")
    athena = aws("aws:athena/namedQuery:NamedQuery", "export", {"database": "crm", "query": query})
    found = [m for m in blocking(eu_residency, [exports, athena]) if athena.urn in m]
    assert bool(found) is blocked, found


def test_an_azure_resource_type_is_no_host(eu_residency: PolicyPack) -> None:
    topic = azure(
        "azure-native:eventgrid:SystemTopic",
        "uploads",
        {
            "location": "northeurope",
            "resourceGroupName": "rg",
            "source": arm("Storage", "storageAccounts", "uploads"),
            "topicType": "Microsoft.Storage.StorageAccounts",
        },
    )
    account = azure(
        "azure-native:storage:StorageAccount",
        "uploads",
        {"accountName": "uploads", "location": "northeurope", "resourceGroupName": "rg"},
    )
    assert blocking(eu_residency, [account, topic]) == []


def test_a_log_delivery_source_is_where_logs_come_from(eu_residency: PolicyPack) -> None:
    source = aws(
        "aws:cloudwatch/logDeliverySource:LogDeliverySource",
        "sso",
        {"logType": "ERROR_LOGS", "resourceArn": "arn:aws:sso:::instance/ssoins-6987a1b2c3d4e5f6"},
    )
    assert blocking(eu_residency, [source]) == []


@pytest.mark.parametrize(
    ("sink", "blocked"), [("acme-eu-archive", False), ("acme-group-archive", True)]
)
def test_a_storage_transfer_job_is_placed_by_its_source_and_sink(
    eu_residency: PolicyPack, sink: str, blocked: bool
) -> None:
    source, archive = (
        gcs_bucket("acme-uploads", "EUROPE-WEST1"),
        gcs_bucket("acme-eu-archive", "EU"),
    )
    job = gcp(
        "gcp:storage/transferJob:TransferJob",
        "nightly",
        {
            "description": "nightly archive",
            "transferSpec": {
                "gcsDataSource": {"bucketName": "acme-uploads"},
                "gcsDataSink": {"bucketName": sink},
            },
        },
    )
    found = [
        d
        for d in eu_residency.preview([source, archive, job])
        if d.enforcement_level == "mandatory" and d.urn == job.urn
    ]
    assert bool(found) is blocked, [d.message for d in found]


@pytest.mark.parametrize(
    ("name", "blocked"),
    [
        # A name/value pair is read under its name: a topic from another stack is unproven.
        ("ANALYTICS_TOPIC", True),
        # A value under a name that says nothing of a destination is not judged as one.
        ("LOG_LEVEL", False),
    ],
)
def test_a_name_value_pair_is_read_under_its_name(
    eu_residency: PolicyPack, name: str, blocked: bool
) -> None:
    value = "stackref-topicid.0123456789abcdef.stand-in.invalid"
    container = {
        "name": "api",
        "image": "ghcr.io/acme/api:1",
        "env": [{"name": name, "value": value}],
    }
    deployment = eu_resource(
        "kubernetes:apps/v1:Deployment",
        "api",
        {"spec": {"template": {"spec": {"containers": [container]}}}},
    )
    found = blocking(eu_residency, [deployment])
    assert bool(found) is blocked, found


@pytest.mark.parametrize(
    ("table", "blocked"),
    [
        ("p.crm.events", False),  # this stack's project and dataset
        ("p:crm.events", False),
        ("crm.events", False),
        ("acme-analytics-global.crm.events", True),  # another project
        ("p.elsewhere.events", True),  # a dataset the stack does not hold
    ],
)
def test_a_bigquery_table_is_placed_by_its_dataset(
    eu_residency: PolicyPack, table: str, blocked: bool
) -> None:
    dataset = gcp(
        "gcp:bigquery/dataset:Dataset", "crm", {"datasetId": "crm", "location": "europe-west1"}
    )
    subscription = gcp(
        "gcp:pubsub/subscription:Subscription",
        "to-bq",
        {"name": "to-bq", "topic": "clicks", "bigqueryConfig": {"table": table}},
    )
    found = [m for m in blocking(eu_residency, [dataset, subscription]) if "bigqueryConfig" in m]
    assert bool(found) is blocked, found


@pytest.mark.parametrize(
    ("uri", "blocked"),
    [
        ("bq://p.crm", False),  # this stack's project and dataset
        ("bq://p.crm.predictions", False),
        ("BQ://p.crm.predictions", False),
        ("bq://acme-analytics-global.crm.predictions", True),  # another project
        ("bq://p.elsewhere", True),  # a dataset the stack does not hold
        ("bq://not a dataset", True),
    ],
)
def test_a_bigquery_uri_is_placed_by_its_dataset(
    eu_residency: PolicyPack, uri: str, blocked: bool
) -> None:
    dataset = gcp(
        "gcp:bigquery/dataset:Dataset", "crm", {"datasetId": "crm", "location": "europe-west1"}
    )
    endpoint = gcp(
        "gcp:vertex/aiEndpoint:AiEndpoint",
        "scoring",
        {
            "location": "europe-west1",
            "predictRequestResponseLoggingConfig": {
                "enabled": True,
                "bigqueryDestination": {"outputUri": uri},
            },
        },
    )
    found = [m for m in blocking(eu_residency, [dataset, endpoint]) if "outputUri" in m]
    assert bool(found) is blocked, found


def test_a_bigquery_uri_of_a_dataset_in_the_us_blocks(eu_residency: PolicyPack) -> None:
    dataset = gcp("gcp:bigquery/dataset:Dataset", "crm", {"datasetId": "crm", "location": "US"})
    store = gcp(
        "gcp:healthcare/fhirStore:FhirStore",
        "patients",
        {
            "name": "patients",
            "dataset": "projects/p/locations/europe-west4/datasets/clinical",
            "streamConfigs": [{"bigqueryDestination": {"datasetUri": "bq://p.crm"}}],
        },
    )
    (found,) = [m for m in blocking(eu_residency, [dataset, store]) if "datasetUri" in m]
    assert "datasetUri = 'bq://p.crm'" in found, found
    assert "location 'US' is the US multi-region, which is not allowed" in found, found


@pytest.mark.parametrize(("location", "blocked"), [("EUROPE-WEST1", False), ("US", True)])
def test_a_bucket_name_of_a_cloud_storage_bucket_of_the_stack_is_that_bucket(
    eu_residency: PolicyPack, location: str, blocked: bool
) -> None:
    # An AWS function hands the name to a GCS client: no S3 bucket of the stack has it.
    exports = gcs_bucket("acme-bi-exports", location)
    function = aws(
        "aws:lambda/function:Function",
        "export",
        {"environment": {"variables": {"EXPORT_BUCKET": "acme-bi-exports"}}},
    )
    found = [m for m in blocking(eu_residency, [exports, function]) if "EXPORT_BUCKET" in m]
    assert bool(found) is blocked, found


def test_resource_hooks_the_check_saw_block_their_resource(eu_residency: PolicyPack) -> None:
    payroll, other = bucket("payroll"), bucket("other")
    assert blocking(eu_residency, [payroll, other]) == []
    eu_residency.configure(
        {RULE: {"resourceHooks": {payroll.urn: ["after_create:replicate"], "urn:gone": ["x"]}}}
    )
    (found,) = blocking(eu_residency, [payroll, other])
    assert found.startswith(payroll.urn)
    assert "runs resource hooks at deployment (after_create:replicate)" in found
