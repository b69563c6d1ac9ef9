"""Every principal of the stack's own account may read the bucket, from anywhere."""

import pulumi
import pulumi_aws as aws

me = aws.get_caller_identity()
bucket = aws.s3.Bucket("customer-data")
aws.s3.BucketPolicy(
    "account-read",
    bucket=bucket.id,
    policy=pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{me.account_id}:root"},
                    "Action": "s3:*",
                    "Resource": [bucket.arn, pulumi.Output.concat(bucket.arn, "/*")],
                }
            ],
        }
    ),
)
