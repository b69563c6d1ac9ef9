"""Two buckets, Dublin replicating to Stockholm, a key, a VPC; one bucket's name is markup.
The `placements` export describes the two sites to the report: countries, where to draw them."""

import pulumi
import pulumi_aws as aws

dublin = aws.Provider(
    "dublin", region="eu-west-1", default_tags={"tags": {"residency-site": "dublin"}}
)
stockholm = aws.Provider(
    "stockholm", region="eu-north-1", default_tags={"tags": {"residency-site": "hamar"}}
)
key = aws.kms.Key("records-key", opts=pulumi.ResourceOptions(provider=dublin))
records = aws.s3.Bucket("<script>alert(1)</script>", opts=pulumi.ResourceOptions(provider=dublin))
aws.s3.BucketServerSideEncryptionConfiguration(
    "records-sse",
    bucket=records.id,
    rules=[
        {
            "apply_server_side_encryption_by_default": {
                "sse_algorithm": "aws:kms",
                "kms_master_key_id": key.arn,
            }
        }
    ],
    opts=pulumi.ResourceOptions(provider=dublin),
)
replica = aws.s3.Bucket("records-replica", opts=pulumi.ResourceOptions(provider=stockholm))
aws.s3.BucketReplicationConfig(
    "records-replication",
    bucket=records.id,
    role="arn:aws:iam::123456789012:role/replication",
    rules=[{"id": "everything", "status": "Enabled", "destination": {"bucket": replica.arn}}],
    opts=pulumi.ResourceOptions(provider=dublin),
)
aws.ec2.Vpc("network", cidr_block="10.0.0.0/16", opts=pulumi.ResourceOptions(provider=dublin))

pulumi.export(
    "placements",
    [
        {"site": "dublin", "site_country": "IE", "site_position": [53.35, -6.26]},
        {"site": "hamar", "site_country": "NO", "site_position": [60.79, 11.07]},
    ],
)
