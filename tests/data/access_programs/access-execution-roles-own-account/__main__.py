"""Execution roles as every tutorial writes them, and grants that stay in the stack's account and
its gateway: none of this reaches the data from outside."""

import json

import pulumi
import pulumi_aws as aws

me = aws.get_caller_identity()


def service_role(name: str, service: str) -> aws.iam.Role:
    return aws.iam.Role(
        name,
        assume_role_policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": service},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )


lambda_role = service_role("handler", "lambda.amazonaws.com")
service_role("task", "ecs-tasks.amazonaws.com")
service_role("node", "ec2.amazonaws.com")
service_role("build", "codebuild.amazonaws.com")
aws.iam.Role(
    "delivery",
    assume_role_policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "firehose.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"sts:ExternalId": me.account_id}},
                }
            ],
        }
    ),
)
aws.iam.Role(
    "operators",
    assume_role_policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{me.account_id}:root"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
                }
            ],
        }
    ),
)
bucket = aws.s3.Bucket("customer-data")
aws.s3.BucketPolicy(
    "gateway-read",
    bucket=bucket.id,
    policy=pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": lambda_role.arn},
                    "Action": "s3:GetObject",
                    "Resource": pulumi.Output.concat(bucket.arn, "/*"),
                },
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{me.account_id}:root"},
                    "Action": "s3:GetObject",
                    "Resource": pulumi.Output.concat(bucket.arn, "/*"),
                    "Condition": {"StringEquals": {"aws:SourceVpce": "vpce-0a1b2c3d4e5f60718"}},
                },
            ],
        }
    ),
)

# Every read and write of the customer bucket's objects is recorded by a trail of the stack in
# the bucket's region; the trail's own bucket is a log sink, not a data store.
trail_logs = aws.s3.Bucket("trail-logs")
aws.cloudtrail.Trail(
    "customer-data-events",
    s3_bucket_name=trail_logs.id,
    advanced_event_selectors=[
        aws.cloudtrail.TrailAdvancedEventSelectorArgs(
            name="customer objects",
            field_selectors=[
                aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs(
                    field="eventCategory", equals=["Data"]
                ),
                aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs(
                    field="resources.type", equals=["AWS::S3::Object"]
                ),
                aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs(
                    field="resources.ARN", starts_withs=[bucket.arn.apply(lambda a: f"{a}/")]
                ),
            ],
        )
    ],
)
