"""The site keys on AWS: single-region, rotating KMS keys that only the site's services may use.

A site has two: one for personal data (the data bucket, used by the gateway role through S3) and
one for logs (CloudTrail files, VPC flow logs, S3 server access logs), so that a principal that
may read or deliver logs can never decrypt user data with the same key, and the two can be
rotated, audited and, after an incident, disabled apart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
import pulumi_aws as aws

ACCOUNT_READ_ACTIONS = (
    "kms:DescribeKey",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListGrants",
    "kms:ListKeyPolicies",
    "kms:ListKeyRotations",
    "kms:ListResourceTags",
)
"""What the account root (every identity whose IAM policy allows it) may do: read the key's
metadata and policy, for audit and inventory. Nothing that changes the key or uses it."""

KEY_ADMIN_ACTIONS = tuple(
    sorted(
        {
            *ACCOUNT_READ_ACTIONS,
            "kms:CancelKeyDeletion",
            "kms:CreateAlias",
            "kms:DeleteAlias",
            "kms:DisableKey",
            "kms:DisableKeyRotation",
            "kms:EnableKey",
            "kms:EnableKeyRotation",
            "kms:PutKeyPolicy",
            "kms:RevokeGrant",
            "kms:RotateKeyOnDemand",
            "kms:ScheduleKeyDeletion",
            "kms:TagResource",
            "kms:UntagResource",
            "kms:UpdateAlias",
            "kms:UpdateKeyDescription",
        }
    )
)
"""What the named key-admin roles may do to the key: read it as the account does, and manage it;
never encrypt or decrypt with it, and never create grants (a grant hands key use to another
principal outside the key policy). Listed one by one, without ``kms:Create*``/``kms:Put*``
wildcards that would take in actions a later KMS release adds.
https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-administrators
"""

KEY_USE_ACTIONS = (
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey*",
    "kms:ReEncrypt*",
)
"""What S3 needs on a caller's behalf for SSE-KMS objects and bucket keys."""


KeyPurpose = Literal["data", "logs"]
"""What a site key encrypts: personal data, or the site's logs."""


def default_alias(site: str, purpose: KeyPurpose = "data") -> str:
    """The alias of a site's data or log key."""
    return f"alias/clover-{site}-{purpose}"


@dataclass(frozen=True, kw_only=True)
class AwsSiteKeyArgs:
    """Inputs of :class:`AwsSiteKey`."""

    site: str
    """The catalog site the key belongs to; names the default alias."""
    region: str
    """The key's region (the provider's region): S3 may use the key only from this region."""
    tags: Mapping[str, str]
    """Tags for the key (residency site, data classification)."""
    purpose: KeyPurpose = "data"
    """``data`` for the data bucket's key, ``logs`` for the log key; names the default alias."""
    admin_role_arns: Sequence[pulumi.Input[str]]
    """The IAM roles that administer the key (its policy, rotation, deletion, aliases, tags), named
    as principals; the account root only reads the key's metadata. KMS checks that these roles
    exist when the policy is set, so pass roles created first, and refuses a policy that would not
    let the caller change it again, so the role that deploys the key must be one of them.
    https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#prevent-unmanageable-key"""
    user_role_arns: Sequence[pulumi.Input[str]] = ()
    """IAM roles of this account that may use the key, and only through S3 in ``region``: the
    access gateway role, a break-glass role, replication roles. Named by ARN in a condition, so a
    role may be created after the key (KMS rejects a policy whose principals do not exist yet)."""
    cloudtrail_trail_arn: pulumi.Input[str] | None = None
    """The one CloudTrail trail that may encrypt its log files with the key, if any."""
    log_bucket_arn: pulumi.Input[str] | None = None
    """The site's log bucket, encrypted with this key by default. When set, VPC flow log delivery
    for this account and ``region`` may use the key, and so may S3 server access logging for
    ``access_logged_bucket_arns``, only to write into this bucket. Nothing when ``None``."""
    access_logged_bucket_arns: Sequence[pulumi.Input[str]] = ()
    """Buckets of this account whose server access logs go to ``log_bucket_arn``."""
    alias_name: str | None = None
    """The key's alias; ``alias/clover-<site>-<purpose>`` by default."""
    description: str | None = None
    """The key's description; names the site by default."""
    protect: bool = True
    """Protect the key from deletion by Pulumi: losing it makes what it encrypted unreadable."""

    def __post_init__(self) -> None:
        if isinstance(self.admin_role_arns, str) or not self.admin_role_arns:
            raise ValueError(
                "admin_role_arns must name at least one key-admin role: without one, nobody could"
                " change the key's policy, and KMS refuses such a policy"
            )
        if self.access_logged_bucket_arns and self.log_bucket_arn is None:
            raise ValueError("access_logged_bucket_arns needs log_bucket_arn, where the logs go")
        if self.purpose not in ("data", "logs"):
            raise ValueError(f"purpose {self.purpose!r} is not allowed: use 'data' or 'logs'")
        if self.purpose == "data" and (
            self.cloudtrail_trail_arn is not None or self.log_bucket_arn is not None
        ):
            raise ValueError(
                "a data key encrypts no logs: give cloudtrail_trail_arn and log_bucket_arn to the "
                "site's log key (purpose='logs'), so log deliverers never hold the data key"
            )
        alias = self.alias_name or default_alias(self.site, self.purpose)
        if not alias.startswith("alias/") or alias.startswith("alias/aws/"):
            raise ValueError(
                f"alias_name {alias!r} is not allowed:"
                " use 'alias/<name>', not the reserved 'alias/aws/'"
            )


class AwsSiteKey(pulumi.ComponentResource):
    """A symmetric, single-region KMS key with yearly rotation and a 30-day deletion window.

    The key policy lets the named admin roles administer the key but not use it, and the account
    root only read its metadata (no ``kms:*``, no grants, no policy changes); use is limited to the
    named roles through S3 in the site's region, to the site's CloudTrail trail, and, when a log
    bucket is named, to the services that deliver S3 server access logs and VPC flow logs into it
    (the log bucket's default encryption is this key, see :mod:`components.storage.aws`).
    """

    key_id: pulumi.Output[str]
    key_arn: pulumi.Output[str]
    alias_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: AwsSiteKeyArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("clover:keys:AwsSiteKey", name, None, opts)
        invoke_opts = pulumi.InvokeOptions(parent=self)
        account_id = aws.get_caller_identity_output(opts=invoke_opts).account_id
        partition = aws.get_partition_output(opts=invoke_opts).partition

        key = aws.kms.Key(
            f"{name}-key",
            description=args.description
            or f"Clover {args.site} site {args.purpose} key ({args.region})",
            customer_master_key_spec="SYMMETRIC_DEFAULT",
            key_usage="ENCRYPT_DECRYPT",
            # A multi-Region key can be replicated to any region, which would carry the key material
            # out of the site: https://docs.aws.amazon.com/kms/latest/developerguide/multi-region-keys-overview.html
            multi_region=False,
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=pulumi.Output.json_dumps(
                key_policy(
                    partition=partition,
                    account_id=account_id,
                    region=args.region,
                    admin_role_arns=args.admin_role_arns,
                    user_role_arns=args.user_role_arns,
                    cloudtrail_trail_arn=args.cloudtrail_trail_arn,
                    log_bucket_arn=args.log_bucket_arn,
                    access_logged_bucket_arns=args.access_logged_bucket_arns,
                )
            ),
            tags=dict(args.tags),
            # A protected key is also kept in AWS when it leaves the stack: deleting it would make
            # everything it encrypted unreadable once the deletion window ends.
            opts=pulumi.ResourceOptions(
                parent=self, protect=args.protect, retain_on_delete=args.protect
            ),
        )
        alias = aws.kms.Alias(
            f"{name}-alias",
            name=args.alias_name or default_alias(args.site, args.purpose),
            target_key_id=key.arn,
            opts=pulumi.ResourceOptions(parent=self),
        )

        self.key_id = key.id
        self.key_arn = key.arn
        self.alias_name = alias.name
        self.register_outputs(
            {"key_id": self.key_id, "key_arn": self.key_arn, "alias_name": self.alias_name}
        )


def key_policy(
    *,
    partition: pulumi.Input[str],
    account_id: pulumi.Input[str],
    region: str,
    admin_role_arns: Sequence[pulumi.Input[str]],
    user_role_arns: Sequence[pulumi.Input[str]],
    cloudtrail_trail_arn: pulumi.Input[str] | None,
    log_bucket_arn: pulumi.Input[str] | None = None,
    access_logged_bucket_arns: Sequence[pulumi.Input[str]] = (),
) -> dict[str, Any]:
    """The key policy document (values may be Outputs; serialise with ``Output.json_dumps``)."""
    root = pulumi.Output.concat("arn:", partition, ":iam::", account_id, ":root")
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AccountReadsKeyMetadata",
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": list(ACCOUNT_READ_ACTIONS),
            "Resource": "*",
        },
        {
            # Named principals rather than the root with an aws:PrincipalArn condition: the policy
            # itself then says who administers the key, and no identity policy can add anyone.
            "Sid": "NamedRolesAdministerKey",
            "Effect": "Allow",
            "Principal": {"AWS": list(admin_role_arns)},
            "Action": list(KEY_ADMIN_ACTIONS),
            "Resource": "*",
        },
    ]
    if user_role_arns:
        statements.append(
            {
                "Sid": "NamedRolesUseKeyThroughS3",
                "Effect": "Allow",
                # The account principal plus aws:PrincipalArn admits exactly these roles without KMS
                # validating that they already exist, so the key need not wait for its users.
                # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
                "Principal": {"AWS": root},
                "Action": list(KEY_USE_ACTIONS),
                "Resource": "*",
                "Condition": {
                    "ArnEquals": {"aws:PrincipalArn": list(user_role_arns)},
                    "StringEquals": {
                        "kms:ViaService": f"s3.{region}.amazonaws.com",
                        "kms:CallerAccount": account_id,
                    },
                },
            }
        )
    if cloudtrail_trail_arn is not None:
        # https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html
        statements += [
            {
                "Sid": "CloudTrailEncryptsSiteTrail",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceArn": cloudtrail_trail_arn},
                    "StringLike": {
                        "kms:EncryptionContext:aws:cloudtrail:arn": pulumi.Output.concat(
                            "arn:", partition, ":cloudtrail:*:", account_id, ":trail/*"
                        )
                    },
                },
            },
            {
                "Sid": "CloudTrailDescribesKey",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:DescribeKey",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceArn": cloudtrail_trail_arn}},
            },
        ]
    if log_bucket_arn is not None:
        statements += log_delivery_statements(
            partition=partition,
            account_id=account_id,
            region=region,
            log_bucket_arn=log_bucket_arn,
            access_logged_bucket_arns=access_logged_bucket_arns,
        )
    return {"Version": "2012-10-17", "Statement": statements}


def log_delivery_statements(
    *,
    partition: pulumi.Input[str],
    account_id: pulumi.Input[str],
    region: str,
    log_bucket_arn: pulumi.Input[str],
    access_logged_bucket_arns: Sequence[pulumi.Input[str]],
) -> list[dict[str, Any]]:
    """Key-policy statements for the services that write logs into a log bucket whose default
    encryption is this key, each pinned to this account and its own source (confused deputy)."""
    statements: list[dict[str, Any]] = []
    if access_logged_bucket_arns:
        statements.append(
            {
                # S3 needs only kms:GenerateDataKey to write an SSE-KMS object in one request
                # (server access log files are single puts), and with a Bucket Key the encryption
                # context is the bucket's ARN, so the key serves this log bucket only.
                # https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
                # https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html
                # KMS encryption of access-log targets with this grant: https://github.com/aws/aws-cdk/pull/25350
                "Sid": "S3ServerAccessLogsEncrypt",
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "kms:GenerateDataKey",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {"aws:SourceArn": list(access_logged_bucket_arns)},
                    "StringLike": {
                        "kms:EncryptionContext:aws:s3:arn": [
                            log_bucket_arn,
                            pulumi.Output.concat(log_bucket_arn, "/*"),
                        ]
                    },
                },
            }
        )
    statements.append(
        {
            # The actions and conditions VPC flow logs document for an SSE-KMS destination bucket.
            # https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-s3-permissions.html
            # https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-infrastructure-S3.html#AWS-logs-SSE-KMS-S3
            "Sid": "FlowLogsEncrypt",
            "Effect": "Allow",
            "Principal": {"Service": "delivery.logs.amazonaws.com"},
            "Action": [
                "kms:Decrypt",
                "kms:DescribeKey",
                "kms:Encrypt",
                "kms:GenerateDataKey*",
                "kms:ReEncrypt*",
            ],
            "Resource": "*",
            "Condition": {
                "StringEquals": {"aws:SourceAccount": account_id},
                "ArnLike": {
                    "aws:SourceArn": pulumi.Output.concat(
                        "arn:", partition, ":logs:", region, ":", account_id, ":*"
                    )
                },
            },
        }
    )
    return statements
