"""S3 replication from Dublin to a bucket outside the stack: its region cannot be proven."""

import pulumi
import pulumi_aws as aws

eu = aws.Provider("eu", region="eu-west-1")
opts = pulumi.ResourceOptions(provider=eu)
source = aws.s3.Bucket("source", opts=opts)
role = aws.iam.Role(
    "replication",
    assume_role_policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"sts:AssumeRole"}]}',
    opts=opts,
)
aws.s3.BucketReplicationConfig(
    "source-replication",
    bucket=source.id,
    role=role.arn,
    rules=[
        aws.s3.BucketReplicationConfigRuleArgs(
            id="everything",
            status="Enabled",
            destination=aws.s3.BucketReplicationConfigRuleDestinationArgs(
                bucket="arn:aws:s3:::someone-elses-bucket-in-virginia"
            ),
        )
    ],
    opts=opts,
)
