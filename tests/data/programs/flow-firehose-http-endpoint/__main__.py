"""A Firehose stream in Dublin delivering records to an HTTP endpoint outside the stack."""

import pulumi
import pulumi_aws as aws

dublin = aws.Provider("dublin", region="eu-west-1")
opts = pulumi.ResourceOptions(provider=dublin)
backup = aws.s3.Bucket("firehose-backup", bucket="firehose-backup-dublin", opts=opts)
role = aws.iam.Role(
    "firehose",
    assume_role_policy=(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole",'
        '"Principal":{"Service":"firehose.amazonaws.com"}}]}'
    ),
    opts=opts,
)
aws.kinesis.FirehoseDeliveryStream(
    "clickstream",
    destination="http_endpoint",
    http_endpoint_configuration=aws.kinesis.FirehoseDeliveryStreamHttpEndpointConfigurationArgs(
        url="https://collector.analytics.example.com/v1/ingest",
        name="analytics",
        role_arn=role.arn,
        s3_configuration=aws.kinesis.FirehoseDeliveryStreamHttpEndpointConfigurationS3ConfigurationArgs(
            bucket_arn=backup.arn,
            role_arn=role.arn,
        ),
    ),
    opts=opts,
)
