"""A European provider, but the bucket overrides its region (pulumi-aws v7 per-resource region)."""

import pulumi
import pulumi_aws as aws

eu = aws.Provider("eu", region="eu-west-1")
aws.s3.Bucket("replica-store", region="ap-southeast-1", opts=pulumi.ResourceOptions(provider=eu))
