"""An S3 bucket through an explicit provider in us-east-1."""

import pulumi
import pulumi_aws as aws

us = aws.Provider("us", region="us-east-1")
aws.s3.Bucket("customer-exports", opts=pulumi.ResourceOptions(provider=us))
