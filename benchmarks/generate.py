"""Write a synthetic Pulumi Python project with N resources for the check benchmarks.

The program mixes AWS and Azure about evenly, binds everything to a handful of explicit providers
(two AWS regions, two Azure locations), and includes the relationships the rules follow: S3 buckets
with their separate encryption/versioning/public-access resources, KMS keys, cross-region S3
replication, Azure resource groups with storage accounts and containers. Every resource is placed
in an approved region, so the residency verdict is clean; the Azure accounts lack customer-managed
keys, so the data-protection pack reports them, which exercises the reporting path as well.
"""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

PROGRAM = textwrap.dedent(
    '''
    """Synthetic benchmark program: N resources, mixed AWS and Azure."""

    import pulumi
    import pulumi_aws as aws
    import pulumi_azure_native as azure_native

    total = pulumi.Config("bench").require_int("resources")
    aws_providers = [aws.Provider(f"aws-{r}", region=r) for r in ("eu-west-1", "eu-north-1")]
    azure_providers = [
        azure_native.Provider(f"azure-{loc}", location=loc) for loc in ("northeurope", "norwayeast")
    ]
    tags = {"residency-site": "dublin", "data-classification": "personal"}
    created = len(aws_providers) + len(azure_providers)
    i = 0
    while created < total:
        if i % 2 == 0:
            # 8 AWS resources: key, bucket and its settings, replication to the previous bucket.
            p = pulumi.ResourceOptions(provider=aws_providers[i % 4 // 2])
            key = aws.kms.Key(f"key-{i}", enable_key_rotation=True, tags=tags, opts=p)
            bucket = aws.s3.Bucket(f"bucket-{i}", bucket=f"bench-bucket-{i}", tags=tags, opts=p)
            aws.s3.BucketPolicy(
                f"bucket-{i}-policy",
                bucket=bucket.id,
                policy=(
                    '{"Version":"2012-10-17","Statement":[{"Sid":"TlsOnly","Effect":"Deny",'
                    '"Principal":"*","Action":"s3:*","Resource":['
                    f'"arn:aws:s3:::bench-bucket-{i}","arn:aws:s3:::bench-bucket-{i}/*"],'
                    '"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}'
                ),
                opts=p,
            )
            aws.s3.BucketServerSideEncryptionConfiguration(
                f"bucket-{i}-sse",
                bucket=bucket.id,
                rules=[
                    aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                        apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                            sse_algorithm="aws:kms", kms_master_key_id=key.arn
                        ),
                        bucket_key_enabled=True,
                    )
                ],
                opts=p,
            )
            aws.s3.BucketVersioning(
                f"bucket-{i}-versioning",
                bucket=bucket.id,
                versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
                    status="Enabled"
                ),
                opts=p,
            )
            aws.s3.BucketPublicAccessBlock(
                f"bucket-{i}-pab",
                bucket=bucket.id,
                block_public_acls=True,
                block_public_policy=True,
                ignore_public_acls=True,
                restrict_public_buckets=True,
                opts=p,
            )
            role = aws.iam.Role(
                f"bucket-{i}-replication",
                assume_role_policy=(
                    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
                    '"Principal":{"Service":"s3.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
                ),
                opts=p,
            )
            aws.s3.BucketReplicationConfig(
                f"bucket-{i}-replication",
                bucket=bucket.id,
                role=role.arn,
                rules=[
                    aws.s3.BucketReplicationConfigRuleArgs(
                        id="all",
                        status="Enabled",
                        destination=aws.s3.BucketReplicationConfigRuleDestinationArgs(
                            bucket=f"arn:aws:s3:::bench-bucket-{max(i - 2, 0)}"
                        ),
                    )
                ],
                opts=p,
            )
            created += 8
        else:
            # 3 Azure resources: a group, an account placed by its group, a private container.
            p = pulumi.ResourceOptions(provider=azure_providers[i % 4 // 2])
            group = azure_native.resources.ResourceGroup(f"group-{i}", tags=tags, opts=p)
            account = azure_native.storage.StorageAccount(
                f"account{i}",
                resource_group_name=group.name,
                kind="StorageV2",
                sku=azure_native.storage.SkuArgs(name="Standard_ZRS"),
                minimum_tls_version="TLS1_2",
                enable_https_traffic_only=True,
                allow_blob_public_access=False,
                tags=tags,
                opts=p,
            )
            azure_native.storage.BlobContainer(
                f"container-{i}",
                account_name=account.name,
                resource_group_name=group.name,
                public_access=azure_native.storage.PublicAccess.NONE,
                opts=p,
            )
            created += 3
        i += 1
    '''
).lstrip()


def generate(directory: Path, resources: int) -> Path:
    """Write the project into ``directory`` (created if needed) for a stack named ``bench``."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Pulumi.yaml").write_text(
        "name: bench\nruntime: python\ndescription: Synthetic program for the check benchmarks.\n",
        encoding="utf-8",
    )
    (directory / "Pulumi.bench.yaml").write_text(
        f'config:\n  bench:resources: {resources}\n  pulumi:disable-default-providers: ["*"]\n',
        encoding="utf-8",
    )
    (directory / "__main__.py").write_text(PROGRAM, encoding="utf-8")
    return directory


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("directory", type=Path)
    parser.add_argument("--resources", type=int, default=1000)
    args = parser.parse_args()
    print(generate(args.directory, args.resources))


if __name__ == "__main__":
    main()
