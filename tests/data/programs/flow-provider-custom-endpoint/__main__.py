"""An aws provider whose S3 endpoint is a storage service outside AWS: every object written
through it goes there, whatever the provider's region says."""

import pulumi
import pulumi_aws as aws

cold = aws.Provider(
    "cold-storage",
    region="eu-west-1",
    skip_credentials_validation=True,
    s3_use_path_style=True,
    endpoints=[aws.ProviderEndpointArgs(s3="https://s3.us-west-004.backblazeb2.com")],
)
aws.s3.BucketV2("statements", opts=pulumi.ResourceOptions(provider=cold))
