"""A role people sign in to through the company's identity provider, with AWS's read-only policy:
it reads every object and secret of the account from anywhere."""

import json

import pulumi_aws as aws

saml = aws.iam.SamlProvider(
    "corp",
    saml_metadata_document="<EntityDescriptor xmlns='urn:oasis:names:tc:SAML:2.0:metadata'/>",
)
analysts = aws.iam.Role(
    "analysts",
    assume_role_policy=saml.arn.apply(
        lambda arn: json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Federated": arn},
                        "Action": "sts:AssumeRoleWithSAML",
                        "Condition": {
                            "StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}
                        },
                    }
                ],
            }
        )
    ),
)
aws.iam.RolePolicyAttachment(
    "analysts-read-only",
    role=analysts.name,
    policy_arn="arn:aws:iam::aws:policy/ReadOnlyAccess",
)
