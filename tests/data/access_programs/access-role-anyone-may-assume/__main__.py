"""A support role with a trust policy open to every AWS principal."""

import json

import pulumi_aws as aws

role = aws.iam.Role(
    "support",
    assume_role_policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
            ],
        }
    ),
)
aws.iam.RolePolicyAttachment(
    "support-read",
    role=role.name,
    policy_arn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess",
)
