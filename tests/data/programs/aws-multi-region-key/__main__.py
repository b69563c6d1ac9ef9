"""A multi-region KMS key in Dublin: its replicas could be created anywhere."""

import pulumi
import pulumi_aws as aws

eu = aws.Provider("eu", region="eu-west-1")
aws.kms.Key(
    "global-key",
    multi_region=True,
    enable_key_rotation=True,
    opts=pulumi.ResourceOptions(provider=eu),
)
