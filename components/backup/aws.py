"""Cross-site backup on AWS: S3 replication of a site's data bucket into another site's region,
re-encrypted there with a key that never leaves that region."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.keys.aws import AwsSiteKey, AwsSiteKeyArgs
from components.site.aws import (
    aws_placement,
    backup_bucket_stem,
    name_stem,
    validate_site_region,
    validate_tags,
)
from components.storage.aws import (
    ObjectLockMode,
    bucket_arn,
    deny_insecure_transport,
    harden_bucket,
    lifecycle_rule,
    object_lock_configuration,
    validate_retention,
)


def replication_role_name(source_site: str, destination_site: str, stack: str) -> str:
    """The replication role's name. The source site needs it up front (pass it in
    ``AwsSiteArgs.replication_role_names``) because its key and bucket policies name the role."""
    return f"{name_stem(source_site, stack)}-to-{destination_site}"


@dataclass(frozen=True, kw_only=True)
class AwsCrossSiteBackupArgs:
    """Inputs of :class:`AwsCrossSiteBackup`."""

    source_site: str
    """The catalog site whose data bucket is replicated."""
    source_region: str
    """The source bucket's region: scopes the replication role's use of the source key."""
    source_bucket_name: pulumi.Input[str]
    """The source data bucket's name (``AwsSite.data_bucket_name``; versioning must be on)."""
    source_bucket_arn: pulumi.Input[str]
    """The source data bucket's ARN."""
    source_key_arn: pulumi.Input[str]
    """The source site key; it must admit the replication role (:func:`replication_role_name`)."""
    source_provider: pulumi.ProviderResource
    """The source site's provider. The replication configuration lives on the source bucket, so it
    alone is registered with this provider; everything else uses the destination provider that the
    caller passes in ``opts`` (``providers`` or ``provider``)."""
    site: str
    """The destination catalog site."""
    region: str
    """The destination region: must be the destination site's AWS region."""
    replication_role_name: str
    """Name of the IAM role S3 assumes to replicate; see :func:`replication_role_name`."""
    tags: Mapping[str, str]
    """Tags for the replica key, the destination bucket and the role; ``residency-site`` must be
    the destination site, where the replica lives."""
    protect_data_stores: bool = True
    """Protect the replica key and the destination bucket from deletion by Pulumi."""
    key_admin_role_arns: Sequence[str]
    """IAM roles that administer the replica key; the destination site's key admins."""
    break_glass_role_arn: str | None = None
    """A role that may decrypt replicas through S3 for a restore; ``None`` for none."""
    noncurrent_version_expiration_days: int = 90
    """Days after which a noncurrent replica version is deleted."""
    object_lock_days: int | None = None
    """Default Object Lock retention of the destination bucket in days; none when ``None``."""
    object_lock_mode: ObjectLockMode = "GOVERNANCE"
    """Object Lock mode when ``object_lock_days`` is set."""

    def __post_init__(self) -> None:
        validate_site_region(self.source_site, self.source_region)
        validate_site_region(self.site, self.region)
        if self.region == self.source_region:
            raise ValueError(
                f"region {self.region!r} is the source region: a cross-site backup must leave it"
            )
        validate_tags(self.site, self.tags)
        validate_retention(
            noncurrent_version_expiration_days=self.noncurrent_version_expiration_days,
            abort_incomplete_multipart_upload_days=7,
            object_lock_days=self.object_lock_days,
            object_lock_mode=self.object_lock_mode,
        )
        if (
            self.object_lock_days is not None
            and self.object_lock_days < self.noncurrent_version_expiration_days
        ):
            # A replica version that is overwritten at the source becomes noncurrent here; the
            # lock must hold it as long as the lifecycle keeps it, or it could be deleted early.
            raise ValueError(
                f"object_lock_days {self.object_lock_days} is shorter than"
                f" noncurrent_version_expiration_days {self.noncurrent_version_expiration_days}:"
                " a backup version must stay locked as long as it is kept"
            )


class AwsCrossSiteBackup(pulumi.ComponentResource):
    """A replica key and a hardened destination bucket in the destination site's region, an IAM
    replication role with least privilege, and the replication configuration on the source bucket.

    Objects encrypted with the source key are replicated (``sseKmsEncryptedObjects``) and
    re-encrypted with the replica key; delete markers are not replicated, so a deletion at the
    source never hides the backup's copy. The destination bucket
    has the storage baseline (versioning, SSE-KMS with a Bucket Key, public access block, owner
    enforced, TLS-only policy, optional Object Lock), protected and always retained on delete.
    """

    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    key_id: pulumi.Output[str]
    key_arn: pulumi.Output[str]
    replication_role_arn: pulumi.Output[str]
    placement: dict[str, str | bool]

    def __init__(
        self, name: str, args: AwsCrossSiteBackupArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("clover:backup:AwsCrossSiteBackup", name, None, opts)
        invoke_opts = pulumi.InvokeOptions(parent=self)
        account_id = aws.get_caller_identity_output(opts=invoke_opts).account_id
        partition = aws.get_partition_output(opts=invoke_opts).partition
        tags = dict(args.tags)
        bucket_stem = backup_bucket_stem(args.site, args.source_site, pulumi.get_stack())
        role_arn = pulumi.Output.concat(
            "arn:", partition, ":iam::", account_id, ":role/", args.replication_role_name
        )

        key_users: list[pulumi.Input[str]] = [role_arn]
        if args.break_glass_role_arn is not None:
            key_users.append(args.break_glass_role_arn)
        replica_key = AwsSiteKey(
            f"{name}-replica-key",
            AwsSiteKeyArgs(
                site=args.site,
                region=args.region,
                admin_role_arns=args.key_admin_role_arns,
                user_role_arns=key_users,
                alias_name=f"alias/clover-{args.site}-replica-of-{args.source_site}",
                description=f"Clover {args.source_site} replica in {args.site} ({args.region})",
                protect=args.protect_data_stores,
                tags=args.tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

        bucket_name = pulumi.Output.concat(bucket_stem, account_id)
        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=bucket_name,
            force_destroy=False,
            object_lock_enabled=args.object_lock_days is not None,
            tags=tags,
            opts=pulumi.ResourceOptions(
                parent=self, protect=args.protect_data_stores, retain_on_delete=True
            ),
        )
        hardening = harden_bucket(self, f"{name}-bucket", bucket, kms_key_arn=replica_key.key_arn)
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-bucket-lifecycle",
            bucket=bucket.bucket,
            rules=[
                lifecycle_rule(
                    noncurrent_days=args.noncurrent_version_expiration_days, abort_multipart_days=7
                )
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[hardening.versioning]),
        )
        if args.object_lock_days is not None:
            object_lock_configuration(
                self,
                f"{name}-bucket",
                bucket,
                mode=args.object_lock_mode,
                days=args.object_lock_days,
            )
        destination_arn = bucket_arn(partition, bucket.bucket)
        aws.s3.BucketPolicy(
            f"{name}-bucket-policy",
            bucket=bucket.bucket,
            # Built from the chosen name, not the bucket's output, so it is known at preview.
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [deny_insecure_transport(bucket_arn(partition, bucket_name))],
                }
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[hardening.public_access_block]),
        )

        role = aws.iam.Role(
            f"{name}-role",
            name=args.replication_role_name,
            description=f"S3 replication of Clover {args.source_site} data to {args.site}",
            assume_role_policy=pulumi.Output.json_dumps(
                replication_trust_policy(
                    account_id=account_id, source_bucket_arn=args.source_bucket_arn
                )
            ),
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        role_policy = aws.iam.RolePolicy(
            f"{name}-role-policy",
            role=role.id,
            policy=pulumi.Output.json_dumps(
                replication_policy(
                    source_bucket_arn=args.source_bucket_arn,
                    source_key_arn=args.source_key_arn,
                    source_region=args.source_region,
                    destination_bucket_arn=destination_arn,
                    destination_key_arn=replica_key.key_arn,
                    destination_region=args.region,
                )
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        rule = aws.s3.BucketReplicationConfigRuleArgs(
            id=f"to-{args.site}",
            status="Enabled",
            # A filter selects the current replication schema, which delete-marker replication
            # requires; an empty one matches every object.
            # https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-add-config.html
            filter=aws.s3.BucketReplicationConfigRuleFilterArgs(),
            # Delete markers stay at the source: a deletion there, by mistake or by an attacker,
            # leaves the backup's current version readable. (S3 never replicates the deletion of
            # a specific version either.)
            # https://docs.aws.amazon.com/AmazonS3/latest/userguide/delete-marker-replication.html
            delete_marker_replication=aws.s3.BucketReplicationConfigRuleDeleteMarkerReplicationArgs(
                status="Disabled"
            ),
            source_selection_criteria=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaArgs(
                sse_kms_encrypted_objects=(
                    aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaSseKmsEncryptedObjectsArgs(
                        status="Enabled"
                    )
                )
            ),
            destination=aws.s3.BucketReplicationConfigRuleDestinationArgs(
                bucket=destination_arn,
                encryption_configuration=(
                    aws.s3.BucketReplicationConfigRuleDestinationEncryptionConfigurationArgs(
                        replica_kms_key_id=replica_key.key_arn
                    )
                ),
            ),
        )
        aws.s3.BucketReplicationConfig(
            f"{name}-replication",
            bucket=args.source_bucket_name,
            role=role.arn,
            rules=[rule],
            # The one child on the source provider: the configuration belongs to the source bucket.
            # S3 checks the destination's versioning and the role when it is put.
            opts=pulumi.ResourceOptions(
                parent=self,
                provider=args.source_provider,
                depends_on=[hardening.versioning, role_policy],
            ),
        )

        self.bucket_name = hardening.versioning.bucket
        self.bucket_arn = destination_arn
        self.key_id = replica_key.key_id
        self.key_arn = replica_key.key_arn
        self.replication_role_arn = role.arn
        self.placement = aws_placement(args.site, args.region)
        self.register_outputs(
            {
                "bucket_name": self.bucket_name,
                "bucket_arn": self.bucket_arn,
                "key_id": self.key_id,
                "key_arn": self.key_arn,
                "replication_role_arn": self.replication_role_arn,
                "placement": self.placement,
            }
        )


def replication_trust_policy(
    *, account_id: pulumi.Input[str], source_bucket_arn: pulumi.Input[str]
) -> dict[str, Any]:
    """S3 may assume the role, only for the source bucket of this account (confused deputy).
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/setting-repl-config-perm-overview.html
    """
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "S3ReplicatesSourceBucket",
                "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {"aws:SourceArn": source_bucket_arn},
                },
            }
        ],
    }


def replication_policy(
    *,
    source_bucket_arn: pulumi.Input[str],
    source_key_arn: pulumi.Input[str],
    source_region: str,
    destination_bucket_arn: pulumi.Input[str],
    destination_key_arn: pulumi.Input[str],
    destination_region: str,
) -> dict[str, Any]:
    """Least privilege for replicating SSE-KMS objects: read versions from the source, write
    replicas to the destination, decrypt with the source key and encrypt with the replica key, each
    only through S3 in its own region and for its own bucket.
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html
    """

    def encryption_context(arn: pulumi.Input[str]) -> list[pulumi.Input[str]]:
        # With S3 Bucket Keys the context is the bucket ARN, without them the object ARN.
        return [arn, pulumi.Output.concat(arn, "/*")]

    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadSourceConfiguration",
                "Effect": "Allow",
                "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                "Resource": source_bucket_arn,
            },
            {
                "Sid": "ReadSourceVersions",
                "Effect": "Allow",
                "Action": [
                    "s3:GetObjectVersionAcl",
                    "s3:GetObjectVersionForReplication",
                    "s3:GetObjectVersionTagging",
                ],
                "Resource": pulumi.Output.concat(source_bucket_arn, "/*"),
            },
            {
                "Sid": "WriteReplicas",
                "Effect": "Allow",
                "Action": ["s3:ReplicateDelete", "s3:ReplicateObject", "s3:ReplicateTags"],
                "Resource": pulumi.Output.concat(destination_bucket_arn, "/*"),
            },
            {
                "Sid": "DecryptWithSourceKey",
                "Effect": "Allow",
                "Action": "kms:Decrypt",
                "Resource": source_key_arn,
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"s3.{source_region}.amazonaws.com"},
                    "StringLike": {
                        "kms:EncryptionContext:aws:s3:arn": encryption_context(source_bucket_arn)
                    },
                },
            },
            {
                "Sid": "EncryptWithReplicaKey",
                "Effect": "Allow",
                "Action": ["kms:Encrypt", "kms:GenerateDataKey"],
                "Resource": destination_key_arn,
                "Condition": {
                    "StringEquals": {"kms:ViaService": f"s3.{destination_region}.amazonaws.com"},
                    "StringLike": {
                        "kms:EncryptionContext:aws:s3:arn": encryption_context(
                            destination_bucket_arn
                        )
                    },
                },
            },
        ],
    }
