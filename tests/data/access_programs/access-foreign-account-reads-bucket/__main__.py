"""A partner account is granted read access to the customer bucket."""

import json

import pulumi
import pulumi_aws as aws

bucket = aws.s3.Bucket("customer-data")
aws.s3.BucketPolicy(
    "partner-read",
    bucket=bucket.id,
    policy=bucket.arn.apply(
        lambda arn: json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"AWS": "arn:aws:iam::999988887777:root"},
                        "Action": ["s3:GetObject"],
                        "Resource": f"{arn}/*",
                    }
                ],
            }
        )
    ),
)
pulumi.export("bucket", bucket.id)
