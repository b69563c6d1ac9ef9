"""The data key lets a role of another account decrypt."""

import json

import pulumi_aws as aws

me = aws.get_caller_identity()
aws.kms.Key(
    "data-key",
    policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Admins",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{me.account_id}:role/key-admin"},
                    "Action": ["kms:Describe*", "kms:Enable*", "kms:ScheduleKeyDeletion"],
                    "Resource": "*",
                },
                {
                    "Sid": "AnalyticsVendor",
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:aws:iam::444455556666:role/analytics"},
                    "Action": ["kms:Decrypt", "kms:DescribeKey"],
                    "Resource": "*",
                },
            ],
        }
    ),
)
