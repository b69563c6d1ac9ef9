"""A trail in Dublin delivering every API event to a bucket that is not in this stack."""

import pulumi
import pulumi_aws as aws

dublin = aws.Provider("dublin", region="eu-west-1")
aws.cloudtrail.Trail(
    "audit",
    s3_bucket_name="central-audit-logs-us",
    include_global_service_events=True,
    opts=pulumi.ResourceOptions(provider=dublin),
)
