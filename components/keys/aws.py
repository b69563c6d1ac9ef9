"""The site key on AWS: a single-region, rotating KMS key that only the site's services may use."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

KEY_ADMIN_ACTIONS = (
    "kms:CancelKeyDeletion",
    "kms:Create*",
    "kms:Delete*",
    "kms:Describe*",
    "kms:Disable*",
    "kms:Enable*",
    "kms:Get*",
    "kms:List*",
    "kms:Put*",
    "kms:Revoke*",
    "kms:RotateKeyOnDemand",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:Update*",
)
"""What the account may do to the key through IAM: manage it, never encrypt or decrypt with it.
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


def default_alias(site: str) -> str:
    """The alias of a site's data key."""
    return f"alias/clover-{site}-data"


@dataclass(frozen=True, kw_only=True)
class AwsSiteKeyArgs:
    """Inputs of :class:`AwsSiteKey`."""

    site: str
    """The catalog site the key belongs to; names the default alias."""
    region: str
    """The key's region (the provider's region): S3 may use the key only from this region."""
    tags: Mapping[str, str]
    """Tags for the key (residency site, data classification)."""
    user_role_arns: Sequence[pulumi.Input[str]] = ()
    """IAM roles of this account that may use the key, and only through S3 in ``region``: the
    access gateway role, a break-glass role, replication roles. Named by ARN in a condition, so a
    role may be created after the key (KMS rejects a policy whose principals do not exist yet)."""
    cloudtrail_trail_arn: pulumi.Input[str] | None = None
    """The one CloudTrail trail that may encrypt its log files with the key, if any."""
    alias_name: str | None = None
    """The key's alias; ``alias/clover-<site>-data`` by default."""
    description: str | None = None
    """The key's description; names the site by default."""
    protect: bool = True
    """Protect the key from deletion by Pulumi: losing it makes what it encrypted unreadable."""

    def __post_init__(self) -> None:
        alias = self.alias_name or default_alias(self.site)
        if not alias.startswith("alias/") or alias.startswith("alias/aws/"):
            raise ValueError(
                f"alias_name {alias!r} is not allowed:"
                " use 'alias/<name>', not the reserved 'alias/aws/'"
            )


class AwsSiteKey(pulumi.ComponentResource):
    """A symmetric, single-region KMS key with yearly rotation and a 30-day deletion window.

    The key policy lets the account administer the key but not use it; use is limited to the named
    roles through S3 in the site's region, and to the site's CloudTrail trail. VPC flow logs are not
    encrypted with this key: they land in the log bucket, which S3 server access logging forces to
    SSE-S3 (see :mod:`components.storage.aws`).
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
            description=args.description or f"Clover {args.site} site data key ({args.region})",
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
                    user_role_arns=args.user_role_arns,
                    cloudtrail_trail_arn=args.cloudtrail_trail_arn,
                )
            ),
            tags=dict(args.tags),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        alias = aws.kms.Alias(
            f"{name}-alias",
            name=args.alias_name or default_alias(args.site),
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
    user_role_arns: Sequence[pulumi.Input[str]],
    cloudtrail_trail_arn: pulumi.Input[str] | None,
) -> dict[str, Any]:
    """The key policy document (values may be Outputs; serialise with ``Output.json_dumps``)."""
    root = pulumi.Output.concat("arn:", partition, ":iam::", account_id, ":root")
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AccountAdministersKey",
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": list(KEY_ADMIN_ACTIONS),
            "Resource": "*",
        }
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
    return {"Version": "2012-10-17", "Statement": statements}
