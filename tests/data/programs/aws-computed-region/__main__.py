"""A provider whose region is computed from another resource: unknown at preview."""

import pulumi
import pulumi_aws as aws

eu = aws.Provider("eu", region="eu-west-1")
marker = aws.ssm.Parameter(
    "target-region", type="String", value="eu-west-1", opts=pulumi.ResourceOptions(provider=eu)
)
computed = aws.Provider("computed", region=marker.arn.apply(lambda arn: arn.split(":")[3]))
aws.s3.Bucket("wherever", opts=pulumi.ResourceOptions(provider=computed))
