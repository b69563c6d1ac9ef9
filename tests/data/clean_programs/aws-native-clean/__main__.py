"""AWS Cloud Control in Europe: a bucket on the default provider, a role, an explicit provider."""

import json

import pulumi
import pulumi_aws_native as aws_native

aws_native.s3.Bucket("exports")
aws_native.iam.Role(
    "reader",
    assume_role_policy_document=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    ),
)
stockholm = aws_native.Provider("stockholm", region="eu-north-1")
aws_native.s3.Bucket("archive", opts=pulumi.ResourceOptions(provider=stockholm))
