"""The site's access gateway on AWS: the one IAM role that reads and writes site data, and the
CloudTrail trail that records every object-level call on the data bucket."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

MAX_SESSION_SECONDS = 3600

_PRINCIPAL_ARN = re.compile(
    r"^arn:aws(-[a-z]+)*:(iam::\d{12}:(root|role/[\w+=,.@/-]+|user/[\w+=,.@/-]+)"
    r"|sts::\d{12}:assumed-role/[\w+=,.@/-]+)$"
)
_ROLE_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")
_TRAIL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]$")


def validate_principal_arns(key: str, arns: Sequence[str]) -> None:
    """Raise ``ValueError`` unless ``arns`` is a non-empty list of explicit IAM principal ARNs."""
    if isinstance(arns, str) or not arns:
        raise ValueError(f"{key} must list at least one IAM principal ARN, got {arns!r}")
    for arn in arns:
        if "*" in arn or not _PRINCIPAL_ARN.match(arn):
            raise ValueError(
                f"{key} entry {arn!r} is not an explicit IAM principal ARN"
                " (arn:aws:iam::<account>:role/<name>, :user/<name> or :root; no wildcards)"
            )


GATEWAY_TAG = "access-gateway"
"""Tag that marks a gateway role: people read site data only through roles carrying it."""


@dataclass(frozen=True, kw_only=True)
class AwsAccessGatewayArgs:
    """Inputs of :class:`AwsAccessGateway`."""

    region: str
    """The site's region: the only region the role's requests may target."""
    role_name: str
    """The gateway role's name. Chosen by the caller so the site key's policy can name the role
    before it exists."""
    trusted_principal_arns: Sequence[str]
    """The IAM principals allowed to assume the role: explicit ARNs, never ``*``."""
    data_bucket_arn: pulumi.Input[str]
    """The site's data bucket: the only bucket the role may use."""
    kms_key_arn: pulumi.Input[str]
    """The site's data key: the only key the role may use, and only through S3."""
    trail_kms_key_arn: pulumi.Input[str]
    """The site's log key, which encrypts the trail's log files (never the data key)."""
    s3_endpoint_id: pulumi.Input[str]
    """The site's S3 gateway endpoint: the role's S3 calls must come through it."""
    trail_name: str
    """The trail's name. Chosen by the caller so that the key and log bucket policies can name
    the trail before it exists."""
    log_bucket_name: pulumi.Input[str]
    """The bucket the trail writes to (the site's audit bucket), which must already admit
    CloudTrail."""
    trail_s3_key_prefix: str
    """Prefix of the trail's files in the log bucket."""
    tags: Mapping[str, str]
    """Tags for the role and the trail."""
    backup_bucket_arns: Sequence[pulumi.Input[str]] = ()
    """Other sites' backup buckets kept in this site's region: the trail records their object
    events too (the role gets no access to them)."""

    def __post_init__(self) -> None:
        validate_principal_arns("trusted_principal_arns", self.trusted_principal_arns)
        if not _ROLE_NAME.match(self.role_name):
            raise ValueError(f"role_name {self.role_name!r} is not a valid IAM role name")
        if not _TRAIL_NAME.match(self.trail_name):
            raise ValueError(f"trail_name {self.trail_name!r} is not a valid CloudTrail trail name")


class AwsAccessGateway(pulumi.ComponentResource):
    """An IAM role for data access and a single-region CloudTrail trail of its data events.

    The role trusts only the listed principals; sessions last at most an hour. Its permissions
    reach the site's data bucket only through the site's S3 endpoint and in the site's region, and
    the site key only through S3; puts naming any other key are denied. These exact bindings (the
    endpoint id, the key ARN) live here rather than in the bucket policy, which must be known at
    preview (see :class:`components.storage.aws.AwsSiteStorage`). The trust policy carries no
    ``aws:SourceVpce`` condition: STS is often reached outside the VPC, and the permissions policy
    is where the endpoint is enforced.

    The trail records S3 object-level events (reads and writes) of the data bucket only, with log
    file validation, encrypted with the site key, delivered to the site's log bucket.
    """

    role_arn: pulumi.Output[str]
    role_name: pulumi.Output[str]
    trail_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: AwsAccessGatewayArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("clover:gateway:AwsAccessGateway", name, None, opts)
        tags = dict(args.tags)

        role = aws.iam.Role(
            f"{name}-role",
            name=args.role_name,
            description="Clover site data access, through the site VPC endpoint only",
            assume_role_policy=json.dumps(trust_policy(args.trusted_principal_arns)),
            max_session_duration=MAX_SESSION_SECONDS,
            # Marks the one role people may read site data through (eu-access's
            # aws-data-readers-are-gateway-roles judges its conditions).
            tags={**tags, GATEWAY_TAG: "true"},
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicy(
            f"{name}-data-access",
            role=role.id,
            policy=pulumi.Output.json_dumps(
                data_access_policy(
                    region=args.region,
                    data_bucket_arn=args.data_bucket_arn,
                    kms_key_arn=args.kms_key_arn,
                    s3_endpoint_id=args.s3_endpoint_id,
                )
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        trail = aws.cloudtrail.Trail(
            f"{name}-trail",
            name=args.trail_name,
            s3_bucket_name=args.log_bucket_name,
            s3_key_prefix=args.trail_s3_key_prefix,
            kms_key_id=args.trail_kms_key_arn,
            is_multi_region_trail=False,
            include_global_service_events=False,
            enable_log_file_validation=True,
            enable_logging=True,
            advanced_event_selectors=[
                aws.cloudtrail.TrailAdvancedEventSelectorArgs(
                    name="Site data bucket object events",
                    field_selectors=data_event_field_selectors(
                        args.data_bucket_arn, *args.backup_bucket_arns
                    ),
                )
            ],
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self),
        )

        self.role_arn = role.arn
        self.role_name = role.name
        self.trail_arn = trail.arn
        self.register_outputs(
            {"role_arn": self.role_arn, "role_name": self.role_name, "trail_arn": self.trail_arn}
        )


def data_event_field_selectors(
    *bucket_arns: pulumi.Input[str],
) -> list[aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs]:
    """Object-level (data) events, reads and writes, on every object of the given buckets.
    https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html
    """
    selector = aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs
    return [
        selector(field="eventCategory", equals=["Data"]),
        selector(field="resources.type", equals=["AWS::S3::Object"]),
        selector(
            field="resources.ARN",
            starts_withs=[pulumi.Output.concat(arn, "/") for arn in bucket_arns],
        ),
    ]


def trust_policy(principal_arns: Sequence[str]) -> dict[str, Any]:
    """Who may assume the gateway role: exactly the listed principals."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ListedPrincipalsOnly",
                "Effect": "Allow",
                "Principal": {"AWS": sorted(principal_arns)},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def data_access_policy(
    *,
    region: str,
    data_bucket_arn: pulumi.Input[str],
    kms_key_arn: pulumi.Input[str],
    s3_endpoint_id: pulumi.Input[str],
) -> dict[str, Any]:
    """The gateway role's permissions (values may be Outputs)."""
    through_endpoint = {
        "StringEquals": {"aws:SourceVpce": s3_endpoint_id, "aws:RequestedRegion": region}
    }
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ListSiteDataBucket",
                "Effect": "Allow",
                "Action": ["s3:ListBucket", "s3:ListBucketVersions"],
                "Resource": data_bucket_arn,
                "Condition": through_endpoint,
            },
            {
                "Sid": "ReadWriteSiteData",
                "Effect": "Allow",
                "Action": [
                    "s3:AbortMultipartUpload",
                    "s3:DeleteObject",
                    "s3:GetObject",
                    "s3:GetObjectVersion",
                    "s3:ListMultipartUploadParts",
                    "s3:PutObject",
                ],
                "Resource": pulumi.Output.concat(data_bucket_arn, "/*"),
                "Condition": through_endpoint,
            },
            {
                # The data bucket's policy can only bound keys to the site's region and account,
                # because it must be readable at preview; the exact key lives here, where the
                # generated key ARN may stay unknown until apply. S3 compares the key it will use.
                # https://docs.aws.amazon.com/AmazonS3/latest/userguide/example-bucket-policies.html#example-bucket-policies-encryption
                "Sid": "DenyPutsWithAnotherKey",
                "Effect": "Deny",
                "Action": "s3:PutObject",
                "Resource": pulumi.Output.concat(data_bucket_arn, "/*"),
                "Condition": {
                    "ArnNotEqualsIfExists": {
                        "s3:x-amz-server-side-encryption-aws-kms-key-id": kms_key_arn
                    }
                },
            },
            {
                # S3 calls KMS on the role's behalf (a forward access session) from outside the
                # VPC, so aws:SourceVpce is absent there; kms:ViaService pins the call to S3 in the
                # site's region instead.
                # https://docs.aws.amazon.com/IAM/latest/UserGuide/access_forward_access_sessions.html
                "Sid": "UseSiteKeyThroughS3",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": kms_key_arn,
                "Condition": {
                    "StringEquals": {
                        "kms:ViaService": f"s3.{region}.amazonaws.com",
                        "aws:RequestedRegion": region,
                    }
                },
            },
        ],
    }
