"""A support assistant in Dublin whose model is a global cross-region inference profile: each
prompt may be processed in any commercial region."""

import json

import pulumi_aws as aws

role = aws.iam.Role(
    "assistant",
    assume_role_policy=json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "bedrock.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    ),
)
aws.bedrock.AgentAgent(
    "tickets",
    agent_name="tickets",
    agent_resource_role_arn=role.arn,
    foundation_model="global.anthropic.claude-sonnet-4-20250514-v1:0",
)
