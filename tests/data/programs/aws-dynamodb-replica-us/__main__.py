"""A global table in Dublin with a replica in Oregon."""

import pulumi
import pulumi_aws as aws

eu = aws.Provider("eu", region="eu-west-1")
aws.dynamodb.Table(
    "sessions",
    hash_key="id",
    attributes=[aws.dynamodb.TableAttributeArgs(name="id", type="S")],
    billing_mode="PAY_PER_REQUEST",
    stream_enabled=True,
    stream_view_type="NEW_AND_OLD_IMAGES",
    replicas=[aws.dynamodb.TableReplicaArgs(region_name="us-west-2")],
    opts=pulumi.ResourceOptions(provider=eu),
)
