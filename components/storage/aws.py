"""Site storage on AWS: a data bucket reachable only from inside the site's VPC, a log bucket for
its server access logs, and an audit bucket under Object Lock for the site's CloudTrail files and
VPC flow logs; the data bucket has the site's data key, the two log buckets its log key."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

ObjectLockMode = Literal["GOVERNANCE", "COMPLIANCE"]

ACCESS_LOG_PREFIX = "s3-access/"
"""Where the data bucket's server access logs land in the log bucket."""
FLOW_LOG_PREFIX = "vpc-flow-logs/"
"""Where the site's VPC flow logs land in the audit bucket."""
CLOUDTRAIL_PREFIX = "cloudtrail"
"""The CloudTrail ``S3KeyPrefix`` of the site's trail (CloudTrail adds the slash)."""

DATA_ACTIONS = (
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:ListBucket",
    "s3:ListBucketMultipartUploads",
    "s3:ListBucketVersions",
    "s3:ListMultipartUploadParts",
    "s3:PutObject",
    "s3:RestoreObject",
)
"""Actions that read or change user data; from outside the site's VPC they are denied."""

MANAGEMENT_ACTIONS = (
    "s3:DeleteBucketPolicy",
    "s3:PutBucketObjectLockConfiguration",
    "s3:PutBucketPolicy",
    "s3:PutBucketVersioning",
    "s3:PutLifecycleConfiguration",
    "s3:PutReplicationConfiguration",
)
"""Actions that change who may reach the data bucket, where it is copied or how long versions
are kept: only the stack's administrators (who deploy it) and the break-glass role."""

DESTRUCTIVE_ACTIONS = ("s3:BypassGovernanceRetention", "s3:DeleteObjectVersion")
"""Actions that destroy data for good (a version, a retention): only the break-glass role, with
MFA."""


def bucket_arn(partition: pulumi.Input[str], bucket_name: pulumi.Input[str]) -> pulumi.Output[str]:
    """A bucket's ARN, known as soon as its name is (S3 ARNs carry no region or account)."""
    return pulumi.Output.concat("arn:", partition, ":s3:::", bucket_name)


def deny_insecure_transport(arn: pulumi.Input[str]) -> dict[str, Any]:
    """The bucket-policy statement that refuses every request not made over TLS.
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/security-best-practices.html
    """
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [arn, pulumi.Output.concat(arn, "/*")],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


@dataclass(frozen=True)
class HardenedBucket:
    """The settings resources :func:`harden_bucket` attached to a bucket."""

    versioning: aws.s3.BucketVersioning
    encryption: aws.s3.BucketServerSideEncryptionConfiguration
    public_access_block: aws.s3.BucketPublicAccessBlock
    ownership: aws.s3.BucketOwnershipControls


def harden_bucket(
    parent: pulumi.Resource,
    name: str,
    bucket: aws.s3.Bucket,
    *,
    kms_key_arn: pulumi.Input[str],
) -> HardenedBucket:
    """Attach Clover's baseline to ``bucket``: versioning, default encryption (SSE-KMS with the
    customer-managed key ``kms_key_arn`` and an S3 Bucket Key), a public access block with all four
    flags, and ``BucketOwnerEnforced`` ownership (ACLs disabled). Children are ``<name>-*``.

    There is deliberately no SSE-S3 variant: with an AWS-owned key Clover could not restrict, audit
    or revoke decryption, and the eu-data-protection pack refuses it for every bucket."""
    child = pulumi.ResourceOptions(parent=parent)
    versioning = aws.s3.BucketVersioning(
        f"{name}-versioning",
        bucket=bucket.bucket,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
            status="Enabled"
        ),
        opts=child,
    )
    by_default = (
        aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs
    )
    # An S3 Bucket Key cuts KMS request traffic and cost by up to 99%.
    # https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html
    # The key is named by ARN, never by id or alias: log deliverers (VPC flow logs) and
    # cross-account callers resolve an id or alias in their own account.
    # https://docs.aws.amazon.com/AmazonS3/latest/API/API_ServerSideEncryptionByDefault.html
    rule = aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
        apply_server_side_encryption_by_default=by_default(
            sse_algorithm="aws:kms", kms_master_key_id=kms_key_arn
        ),
        bucket_key_enabled=True,
    )
    encryption = aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-encryption", bucket=bucket.bucket, rules=[rule], opts=child
    )
    public_access_block = aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access-block",
        bucket=bucket.bucket,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        opts=child,
    )
    ownership = aws.s3.BucketOwnershipControls(
        f"{name}-ownership",
        bucket=bucket.bucket,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
        opts=child,
    )
    return HardenedBucket(
        versioning=versioning,
        encryption=encryption,
        public_access_block=public_access_block,
        ownership=ownership,
    )


def lifecycle_rule(
    *, noncurrent_days: int, abort_multipart_days: int
) -> aws.s3.BucketLifecycleConfigurationRuleArgs:
    """Expire noncurrent versions and abort stale multipart uploads, for every object."""
    return aws.s3.BucketLifecycleConfigurationRuleArgs(
        id="expire-noncurrent-abort-multipart",
        status="Enabled",
        # An empty filter applies the rule to the whole bucket.
        # https://docs.aws.amazon.com/AmazonS3/latest/userguide/intro-lifecycle-filters.html
        filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(),
        noncurrent_version_expiration=(
            aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                noncurrent_days=noncurrent_days
            )
        ),
        abort_incomplete_multipart_upload=(
            aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                days_after_initiation=abort_multipart_days
            )
        ),
    )


@dataclass(frozen=True)
class SiteBucket:
    """A bucket made by :func:`site_bucket` and the settings it was given."""

    resource: aws.s3.Bucket
    hardening: HardenedBucket


def site_bucket(
    parent: pulumi.Resource,
    name: str,
    bucket_name: pulumi.Input[str],
    *,
    kms_key_arn: pulumi.Input[str],
    lifecycle: aws.s3.BucketLifecycleConfigurationRuleArgs,
    tags: Mapping[str, str],
    protect: bool,
    object_lock: tuple[ObjectLockMode, int] | None = None,
) -> SiteBucket:
    """A site bucket: retained, protected as asked, hardened (:func:`harden_bucket`), with its
    lifecycle, and under Object Lock with a default retention when ``object_lock`` is
    ``(mode, days)`` (Object Lock can only be switched on when a bucket is created:
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lock-configure.html)."""
    bucket = aws.s3.Bucket(
        name,
        bucket=bucket_name,
        force_destroy=False,
        object_lock_enabled=object_lock is not None,
        tags=dict(tags),
        opts=pulumi.ResourceOptions(parent=parent, protect=protect, retain_on_delete=True),
    )
    hardening = harden_bucket(parent, name, bucket, kms_key_arn=kms_key_arn)
    aws.s3.BucketLifecycleConfiguration(
        f"{name}-lifecycle",
        bucket=bucket.bucket,
        rules=[lifecycle],
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[hardening.versioning]),
    )
    if object_lock is not None:
        mode, days = object_lock
        object_lock_configuration(parent, name, bucket, mode=mode, days=days)
    return SiteBucket(resource=bucket, hardening=hardening)


def object_lock_configuration(
    parent: pulumi.Resource, name: str, bucket: aws.s3.Bucket, *, mode: ObjectLockMode, days: int
) -> aws.s3.BucketObjectLockConfiguration:
    """Default retention for every new object version of a bucket created with Object Lock."""
    return aws.s3.BucketObjectLockConfiguration(
        f"{name}-object-lock",
        bucket=bucket.bucket,
        object_lock_enabled="Enabled",
        rule=aws.s3.BucketObjectLockConfigurationRuleArgs(
            default_retention=aws.s3.BucketObjectLockConfigurationRuleDefaultRetentionArgs(
                mode=mode, days=days
            )
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def validate_retention(
    *,
    noncurrent_version_expiration_days: int,
    abort_incomplete_multipart_upload_days: int,
    object_lock_days: int | None,
    object_lock_mode: str,
) -> None:
    """Raise ``ValueError`` for lifecycle or Object Lock settings S3 would refuse."""
    if noncurrent_version_expiration_days < 1:
        raise ValueError(
            f"noncurrent_version_expiration_days {noncurrent_version_expiration_days} must be >= 1"
        )
    if abort_incomplete_multipart_upload_days < 1:
        raise ValueError(
            f"abort_incomplete_multipart_upload_days {abort_incomplete_multipart_upload_days}"
            " must be >= 1"
        )
    if object_lock_days is not None and object_lock_days < 1:
        raise ValueError(f"object_lock_days {object_lock_days} must be >= 1 or None")
    if object_lock_mode not in ("GOVERNANCE", "COMPLIANCE"):
        raise ValueError(
            f"object_lock_mode {object_lock_mode!r} is not allowed: use GOVERNANCE or COMPLIANCE"
        )


@dataclass(frozen=True, kw_only=True)
class AwsSiteStorageArgs:
    """Inputs of :class:`AwsSiteStorage`."""

    region: str
    """The site's region (the provider's region); scopes the log-delivery conditions and the keys
    that puts may name."""
    data_bucket_name: pulumi.Input[str]
    """Name of the bucket for user data. Chosen by the caller so that the VPC endpoint policy,
    built before the bucket, can name it; the bucket policies are built from it too, so that they
    are known at preview."""
    log_bucket_name: pulumi.Input[str]
    """Name of the bucket for the data bucket's server access logs (S3 refuses to deliver them
    to a bucket with a default Object Lock retention, so this one has none)."""
    audit_bucket_name: pulumi.Input[str]
    """Name of the bucket for CloudTrail files and VPC flow logs, kept under Object Lock."""
    kms_key_arn: pulumi.Input[str]
    """The site's data key: default encryption (SSE-KMS with a Bucket Key) of the data bucket."""
    log_kms_key_arn: pulumi.Input[str]
    """The site's log key, another key than the data key: default encryption of the log bucket.
    Its policy must admit the log deliverers (see :class:`components.keys.aws.AwsSiteKeyArgs`,
    ``purpose="logs"``)."""
    s3_endpoint_id: pulumi.Input[str]
    """The site's S3 gateway endpoint (``vpce-...``): data access must come through it
    (``aws:SourceVpce``)."""
    tags: Mapping[str, str]
    """Tags for both buckets (residency site, data classification)."""
    trail_arn: pulumi.Input[str] | None = None
    """The site's CloudTrail trail, admitted to write into the log bucket; none if ``None``."""
    break_glass_role_arn: str | None = None
    """An administrator role exempt from the site-network rule, for recovery, and the only one
    that may delete object versions or bypass a retention, with MFA; none if ``None``."""
    admin_role_arns: Sequence[pulumi.Input[str]] = ()
    """The roles that administer the stack (the site's key admins, the deployer): with the
    break-glass role, the only ones that may change the data bucket's policy, versioning,
    lifecycle, Object Lock or replication. Empty: only the break-glass role (or, without one,
    nobody but the account root user, which the bucket policy cannot bind)."""
    replication_role_arns: Sequence[pulumi.Input[str]] = ()
    """Roles S3 replication assumes to copy the data bucket elsewhere. Replication does not pass
    through the VPC endpoint, so these roles are exempt from the site-network rule (their own IAM
    policy limits them to replication actions)."""
    noncurrent_version_expiration_days: int = 90
    """Days after which a noncurrent object version is deleted."""
    abort_incomplete_multipart_upload_days: int = 7
    """Days after which an unfinished multipart upload is aborted."""
    object_lock_days: int | None = None
    """Default Object Lock retention of the data bucket in days; no Object Lock when ``None``.
    Object Lock can only be enabled when the bucket is created."""
    object_lock_mode: ObjectLockMode = "GOVERNANCE"
    """Object Lock mode: GOVERNANCE (bypassable with ``s3:BypassGovernanceRetention``) or
    COMPLIANCE (nobody, not even the root user, can shorten it)."""
    audit_retention_days: int = 365
    """Default Object Lock retention of the audit bucket in days: no trail file or flow log can be
    deleted or overwritten sooner; noncurrent audit versions expire no earlier."""
    audit_retention_mode: ObjectLockMode = "GOVERNANCE"
    """Object Lock mode of the audit bucket (only the break-glass role, with MFA, may bypass a
    GOVERNANCE retention)."""
    protect: bool = True
    """Protect both buckets from deletion by Pulumi. Buckets are always retained on delete."""

    def __post_init__(self) -> None:
        if isinstance(self.kms_key_arn, str) and self.kms_key_arn == self.log_kms_key_arn:
            raise ValueError(
                "log_kms_key_arn must be another key than kms_key_arn: whoever may deliver or "
                "read logs must not hold the personal-data key"
            )
        if isinstance(self.s3_endpoint_id, str) and not self.s3_endpoint_id.startswith("vpce-"):
            raise ValueError(
                f"s3_endpoint_id {self.s3_endpoint_id!r} is not a VPC endpoint id (vpce-...)"
            )
        validate_retention(
            noncurrent_version_expiration_days=self.noncurrent_version_expiration_days,
            abort_incomplete_multipart_upload_days=self.abort_incomplete_multipart_upload_days,
            object_lock_days=self.object_lock_days,
            object_lock_mode=self.object_lock_mode,
        )
        if self.audit_retention_days < 1:
            raise ValueError(
                f"audit_retention_days {self.audit_retention_days} must be >= 1: the audit "
                "bucket is always under Object Lock"
            )
        if self.audit_retention_mode not in ("GOVERNANCE", "COMPLIANCE"):
            raise ValueError(
                f"audit_retention_mode {self.audit_retention_mode!r} is not allowed: use "
                "GOVERNANCE or COMPLIANCE"
            )


class AwsSiteStorage(pulumi.ComponentResource):
    """The site's data bucket and log bucket, hardened.

    The data bucket is encrypted with the site's data key, the log bucket with its log key (SSE-KMS
    with a Bucket Key). The data bucket
    refuses non-TLS requests, puts naming another encryption or a key outside the site's region and
    account, and data access that does not come from inside the site's VPC (except the break-glass
    and replication roles). It logs server access to the log bucket.

    The data bucket's policy denies data access that does not come through the site's S3 endpoint
    (``aws:SourceVpce``, the endpoint's id), so another VPC of the account, whatever its
    addresses, is refused as well. The endpoint's id is generated by AWS, so the document is
    unknown at preview: the offline check runs the program a second time with every output known
    and hands the packs what the document computes to (``computedValues``, clover/evidence.py),
    which is how ``python -m clover check`` and ``pulumi preview`` with the configs it writes
    (``--write-pack-configs``) prove it TLS-only; at ``pulumi up`` the packs see it resolved.
    Puts naming a key outside the site's region and account are refused to every principal; the
    exact site key is enforced by the gateway role's permissions
    (:func:`components.gateway.aws.data_access_policy`).
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies-vpc-endpoint.html

    The log bucket uses SSE-KMS with the site's log key; that key's policy admits the S3 logging
    service and VPC flow log delivery for this bucket only. AWS CDK dropped its SSE-S3-only check
    for access-log targets after integration tests showed delivery works with a customer-managed
    key whose policy admits ``logging.s3.amazonaws.com``
    (https://github.com/aws/aws-cdk/pull/25350); the S3 user guide still says default SSE-KMS is
    not supported on a target bucket
    (https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html), so
    check that access logs arrive after the first deploy. CloudTrail data events on the data
    bucket (the gateway's trail) record object access either way. The log bucket never gets Object
    Lock, which server access logging refuses.
    """

    data_bucket_name: pulumi.Output[str]
    """Resolves once versioning is on, which replication and Object Lock depend on."""
    data_bucket_arn: pulumi.Output[str]
    log_bucket_name: pulumi.Output[str]
    """Resolves once the log bucket policy admits the log deliverers, which they check on setup."""
    log_bucket_arn: pulumi.Output[str]
    audit_bucket_name: pulumi.Output[str]
    """Where the trail writes; resolves once the audit bucket policy admits CloudTrail."""
    audit_bucket_arn: pulumi.Output[str]
    flow_log_destination_arn: pulumi.Output[str]
    """Where VPC flow logs go (audit bucket ARN plus prefix); resolves after its policy."""
    cloudtrail_prefix: str

    def __init__(
        self, name: str, args: AwsSiteStorageArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("clover:storage:AwsSiteStorage", name, None, opts)
        invoke_opts = pulumi.InvokeOptions(parent=self)
        account_id = aws.get_caller_identity_output(opts=invoke_opts).account_id
        partition = aws.get_partition_output(opts=invoke_opts).partition
        lifecycle = lifecycle_rule(
            noncurrent_days=args.noncurrent_version_expiration_days,
            abort_multipart_days=args.abort_incomplete_multipart_upload_days,
        )

        log_bucket = site_bucket(
            self,
            f"{name}-log",
            args.log_bucket_name,
            kms_key_arn=args.log_kms_key_arn,
            lifecycle=lifecycle,
            tags=args.tags,
            protect=args.protect,
        )
        # CloudTrail and flow log delivery write into an Object Lock bucket; S3 server access
        # logging does not (https://docs.aws.amazon.com/AmazonS3/latest/userguide/
        # enable-server-access-logging.html: no default retention on the destination), hence
        # two log buckets.
        audit_bucket = site_bucket(
            self,
            f"{name}-audit",
            args.audit_bucket_name,
            kms_key_arn=args.log_kms_key_arn,
            lifecycle=lifecycle_rule(
                noncurrent_days=max(
                    args.noncurrent_version_expiration_days, args.audit_retention_days
                ),
                abort_multipart_days=args.abort_incomplete_multipart_upload_days,
            ),
            tags=args.tags,
            protect=args.protect,
            object_lock=(args.audit_retention_mode, args.audit_retention_days),
        )
        data_bucket = site_bucket(
            self,
            f"{name}-data",
            args.data_bucket_name,
            kms_key_arn=args.kms_key_arn,
            lifecycle=lifecycle,
            tags=args.tags,
            protect=args.protect,
            object_lock=(
                None
                if args.object_lock_days is None
                else (args.object_lock_mode, args.object_lock_days)
            ),
        )
        log_arn = bucket_arn(partition, log_bucket.resource.bucket)
        data_arn = bucket_arn(partition, data_bucket.resource.bucket)
        # The policies name the buckets by their chosen names, not by the buckets' outputs, so that
        # the documents are known at preview and the policy pack can read them.
        log_policy = aws.s3.BucketPolicy(
            f"{name}-log-policy",
            bucket=log_bucket.resource.bucket,
            policy=pulumi.Output.json_dumps(
                log_bucket_policy(
                    account_id=account_id,
                    log_bucket_arn=bucket_arn(partition, args.log_bucket_name),
                    data_bucket_arn=bucket_arn(partition, args.data_bucket_name),
                )
            ),
            # S3 rejects concurrent changes to one bucket's settings with OperationAborted.
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[log_bucket.hardening.public_access_block]
            ),
        )
        audit_policy = aws.s3.BucketPolicy(
            f"{name}-audit-policy",
            bucket=audit_bucket.resource.bucket,
            policy=pulumi.Output.json_dumps(
                audit_bucket_policy(
                    partition=partition,
                    account_id=account_id,
                    region=args.region,
                    audit_bucket_arn=bucket_arn(partition, args.audit_bucket_name),
                    trail_arn=args.trail_arn,
                    admin_role_arns=list(args.admin_role_arns),
                    break_glass_role_arn=args.break_glass_role_arn,
                )
            ),
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[audit_bucket.hardening.public_access_block]
            ),
        )
        exempt: list[pulumi.Input[str]] = list(args.replication_role_arns)
        if args.break_glass_role_arn is not None:
            exempt.append(args.break_glass_role_arn)
        aws.s3.BucketPolicy(
            f"{name}-data-policy",
            bucket=data_bucket.resource.bucket,
            policy=pulumi.Output.json_dumps(
                data_bucket_policy(
                    partition=partition,
                    account_id=account_id,
                    region=args.region,
                    data_bucket_arn=bucket_arn(partition, args.data_bucket_name),
                    s3_endpoint_id=args.s3_endpoint_id,
                    exempt_role_arns=exempt,
                    admin_role_arns=list(args.admin_role_arns),
                    break_glass_role_arn=args.break_glass_role_arn,
                )
            ),
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[data_bucket.hardening.public_access_block]
            ),
        )
        aws.s3.BucketLogging(
            f"{name}-data-access-logging",
            bucket=data_bucket.resource.bucket,
            target_bucket=log_policy.bucket,
            target_prefix=ACCESS_LOG_PREFIX,
            opts=pulumi.ResourceOptions(parent=self),
        )

        self.data_bucket_name = data_bucket.hardening.versioning.bucket
        self.data_bucket_arn = data_arn
        self.log_bucket_name = log_policy.bucket
        self.log_bucket_arn = log_arn
        self.audit_bucket_name = audit_policy.bucket
        self.audit_bucket_arn = bucket_arn(partition, audit_bucket.resource.bucket)
        self.flow_log_destination_arn = pulumi.Output.concat(
            bucket_arn(partition, audit_policy.bucket), "/", FLOW_LOG_PREFIX
        )
        self.cloudtrail_prefix = CLOUDTRAIL_PREFIX
        self.register_outputs(
            {
                "data_bucket_name": self.data_bucket_name,
                "data_bucket_arn": self.data_bucket_arn,
                "log_bucket_name": self.log_bucket_name,
                "log_bucket_arn": self.log_bucket_arn,
                "audit_bucket_name": self.audit_bucket_name,
                "audit_bucket_arn": self.audit_bucket_arn,
                "flow_log_destination_arn": self.flow_log_destination_arn,
                "cloudtrail_prefix": self.cloudtrail_prefix,
            }
        )


def data_bucket_policy(
    *,
    partition: pulumi.Input[str],
    account_id: pulumi.Input[str],
    region: str,
    data_bucket_arn: pulumi.Input[str],
    s3_endpoint_id: pulumi.Input[str],
    exempt_role_arns: Sequence[pulumi.Input[str]],
    admin_role_arns: Sequence[pulumi.Input[str]] = (),
    break_glass_role_arn: pulumi.Input[str] | None = None,
) -> dict[str, Any]:
    """The data bucket's policy document (values may be Outputs: see :class:`AwsSiteStorage` for
    how a document holding the endpoint's id is judged at preview)."""
    objects = pulumi.Output.concat(data_bucket_arn, "/*")
    site_keys = pulumi.Output.concat("arn:", partition, ":kms:", region, ":", account_id, ":key/*")
    # aws:SourceVpce is present only on requests that came through a VPC endpoint; a negated
    # operator matches when the key is absent, so requests from the internet, and through any
    # other endpoint (another VPC of the account, whatever its addresses), are denied too.
    # https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies-vpc-endpoint.html
    outside_site_network: dict[str, Any] = {"StringNotEquals": {"aws:SourceVpce": s3_endpoint_id}}
    if exempt_role_arns:
        # Conditions under one Deny are ANDed: denied when outside the site AND not exempt.
        outside_site_network["ArnNotEquals"] = {"aws:PrincipalArn": list(exempt_role_arns)}
    return {
        "Version": "2012-10-17",
        "Statement": [
            deny_insecure_transport(data_bucket_arn),
            {
                # IfExists lets a put without encryption headers through: the bucket default (the
                # site key) then applies. https://docs.aws.amazon.com/AmazonS3/latest/userguide/specifying-kms-encryption.html
                "Sid": "DenyEncryptionOtherThanKms",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": objects,
                "Condition": {
                    "StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}
                },
            },
            {
                # S3 compares the key it will use, as a key ARN, so a key of another account or
                # region is refused whether named by id, alias or ARN. The exact site key is
                # enforced in the gateway role's policy (its ARN is unknown at preview).
                # https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies.html#example-bucket-policies-encryption
                "Sid": "DenyKeysOutsideSiteRegionAndAccount",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:PutObject",
                "Resource": objects,
                "Condition": {
                    "ArnNotLikeIfExists": {
                        "s3:x-amz-server-side-encryption-aws-kms-key-id": site_keys
                    }
                },
            },
            {
                # https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies-vpc-endpoint.html
                "Sid": "DenyDataAccessOutsideSiteNetwork",
                "Effect": "Deny",
                "Principal": "*",
                "Action": list(DATA_ACTIONS),
                "Resource": [data_bucket_arn, objects],
                "Condition": outside_site_network,
            },
            *management_statements(data_bucket_arn, admin_role_arns, break_glass_role_arn),
        ],
    }


def management_statements(
    data_bucket_arn: pulumi.Input[str],
    admin_role_arns: Sequence[pulumi.Input[str]],
    break_glass_role_arn: pulumi.Input[str] | None,
) -> list[dict[str, Any]]:
    """Denies that keep the bucket's guards in the hands of the stack's administrators and data
    destruction in the break-glass role's, with MFA. A Deny binds every principal of the account
    whatever its IAM policy grants; the account root user can still delete the bucket policy."""
    objects = pulumi.Output.concat(data_bucket_arn, "/*")
    managers = [*admin_role_arns, *([break_glass_role_arn] if break_glass_role_arn else [])]
    statements: list[dict[str, Any]] = [
        {
            "Sid": "DenyBucketManagementExceptAdministrators",
            "Effect": "Deny",
            "Principal": "*",
            "Action": list(MANAGEMENT_ACTIONS),
            "Resource": data_bucket_arn,
            **({"Condition": {"ArnNotEquals": {"aws:PrincipalArn": managers}}} if managers else {}),
        }
    ]
    destroy: dict[str, Any] = {
        "Sid": "DenyDataDestructionExceptBreakGlass",
        "Effect": "Deny",
        "Principal": "*",
        "Action": list(DESTRUCTIVE_ACTIONS),
        "Resource": objects,
    }
    if break_glass_role_arn:
        destroy["Condition"] = {"ArnNotEquals": {"aws:PrincipalArn": break_glass_role_arn}}
        statements += [
            destroy,
            {
                # The break-glass role too, unless its session was signed in with MFA.
                # BoolIfExists matches a missing key: no MFA information is no MFA.
                # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-multifactorauthpresent
                "Sid": "DenyDataDestructionWithoutMfa",
                "Effect": "Deny",
                "Principal": "*",
                "Action": list(DESTRUCTIVE_ACTIONS),
                "Resource": objects,
                "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
            },
        ]
    else:
        statements.append(destroy)
    return statements


def log_bucket_policy(
    *,
    account_id: pulumi.Input[str],
    log_bucket_arn: pulumi.Input[str],
    data_bucket_arn: pulumi.Input[str],
) -> dict[str, Any]:
    """The log bucket's policy: TLS only, and writes only by S3 server access logging for the data
    bucket, pinned to this account (confused-deputy protection)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            deny_insecure_transport(log_bucket_arn),
            {
                # https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html#grant-log-delivery-permissions-general
                "Sid": "S3ServerAccessLogsWrite",
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": pulumi.Output.concat(log_bucket_arn, "/", ACCESS_LOG_PREFIX, "*"),
                "Condition": {
                    "ArnLike": {"aws:SourceArn": data_bucket_arn},
                    "StringEquals": {"aws:SourceAccount": account_id},
                },
            },
        ],
    }


def audit_bucket_policy(
    *,
    partition: pulumi.Input[str],
    account_id: pulumi.Input[str],
    region: str,
    audit_bucket_arn: pulumi.Input[str],
    trail_arn: pulumi.Input[str] | None,
    admin_role_arns: Sequence[pulumi.Input[str]] = (),
    break_glass_role_arn: pulumi.Input[str] | None = None,
) -> dict[str, Any]:
    """The audit bucket's policy: TLS only; writes only by the site's flow logs and trail, each
    pinned to this account and its source; its guards changed only by the administrators and the
    break-glass role, and versions deleted or retentions bypassed only by the break-glass role
    with MFA (:func:`management_statements`)."""
    flow_log_sources = pulumi.Output.concat(
        "arn:", partition, ":logs:", region, ":", account_id, ":*"
    )
    statements: list[dict[str, Any]] = [
        deny_insecure_transport(audit_bucket_arn),
        {
            # https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-permissions.html
            "Sid": "FlowLogsAclCheck",
            "Effect": "Allow",
            "Principal": {"Service": "delivery.logs.amazonaws.com"},
            "Action": "s3:GetBucketAcl",
            "Resource": audit_bucket_arn,
            "Condition": {
                "StringEquals": {"aws:SourceAccount": account_id},
                "ArnLike": {"aws:SourceArn": flow_log_sources},
            },
        },
        {
            "Sid": "FlowLogsWrite",
            "Effect": "Allow",
            "Principal": {"Service": "delivery.logs.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": pulumi.Output.concat(
                audit_bucket_arn, "/", FLOW_LOG_PREFIX, "AWSLogs/", account_id, "/*"
            ),
            "Condition": {
                "StringEquals": {
                    "s3:x-amz-acl": "bucket-owner-full-control",
                    "aws:SourceAccount": account_id,
                },
                "ArnLike": {"aws:SourceArn": flow_log_sources},
            },
        },
    ]
    if trail_arn is not None:
        # https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html
        statements += [
            {
                "Sid": "CloudTrailAclCheck",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:GetBucketAcl",
                "Resource": audit_bucket_arn,
                "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}},
            },
            {
                "Sid": "CloudTrailWrite",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": pulumi.Output.concat(
                    audit_bucket_arn, "/", CLOUDTRAIL_PREFIX, "/AWSLogs/", account_id, "/*"
                ),
                "Condition": {
                    "StringEquals": {
                        "s3:x-amz-acl": "bucket-owner-full-control",
                        "aws:SourceArn": trail_arn,
                    }
                },
            },
        ]
    statements += management_statements(audit_bucket_arn, admin_role_arns, break_glass_role_arn)
    return {"Version": "2012-10-17", "Statement": statements}
