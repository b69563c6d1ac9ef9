"""A KMS key on the default provider, whose region comes from the stack config."""

import pulumi_aws as aws

aws.kms.Key("customer-key", enable_key_rotation=True)
