"""An AWS Cloud Control bucket created through an explicit provider in us-east-1."""

import pulumi
import pulumi_aws_native as aws_native

virginia = aws_native.Provider("virginia", region="us-east-1")
aws_native.s3.Bucket("customer-exports", opts=pulumi.ResourceOptions(provider=virginia))
aws_native.s3.Bucket("eu-exports")  # the default provider: aws-native:region eu-west-1
