"""One Clover site on AWS: network boundary, site key, storage and access gateway, wired."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.gateway.aws import (
    AwsAccessGateway,
    AwsAccessGatewayArgs,
    validate_principal_arns,
)
from components.keys.aws import AwsSiteKey, AwsSiteKeyArgs
from components.network.aws import AwsNetworkBoundary, AwsNetworkBoundaryArgs
from components.storage.aws import (
    AwsSiteStorage,
    AwsSiteStorageArgs,
    ObjectLockMode,
    bucket_arn,
    validate_retention,
)
from sites.catalog import AWS_REGIONS, SITES, Cloud

REQUIRED_TAGS = ("residency-site", "data-classification")
"""Tags every site data store and key must carry."""

_NAME_STEM = re.compile(r"^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$")
_ACCOUNT_ID_LENGTH = 12
_BUCKET_NAME_MAX = 63


def aws_placement(site: str, region: str) -> dict[str, str | bool]:
    """Where a site's AWS data sits, as an export: cloud, region, country, site, in_site_country,
    and a ``note`` when the region lies outside the site's country."""
    placement = SITES[site].placement(Cloud.AWS, region)
    result: dict[str, str | bool] = {
        "cloud": placement.cloud.value,
        "region": placement.region,
        "country": placement.country,
        "site": placement.site,
        "in_site_country": placement.in_site_country,
    }
    if not placement.in_site_country:
        result["note"] = (
            f"AWS has no region in {SITES[site].country}: the {site} site's AWS data sits in"
            f" {placement.describe()}, outside {SITES[site].country}"
        )
    return result


def validate_site_region(site: str, region: str) -> None:
    """Raise ``ValueError`` unless ``region`` is the site's AWS region, or the nearest EEA region
    the catalog names for a site whose country has no AWS region."""
    if site not in SITES:
        raise ValueError(f"site {site!r} is not in the catalog: use one of {sorted(SITES)}")
    allowed = {
        r for r in (SITES[site].regions.get(Cloud.AWS), SITES[site].nearest.get(Cloud.AWS)) if r
    }
    if region not in allowed or region not in AWS_REGIONS:
        raise ValueError(
            f"region {region!r} is not allowed for site {site!r}: use one of {sorted(allowed)}"
        )


def validate_tags(site: str, tags: Mapping[str, str]) -> None:
    """Raise ``ValueError`` unless ``tags`` carry the residency tags, naming this site."""
    missing = [key for key in REQUIRED_TAGS if not tags.get(key)]
    if missing:
        raise ValueError(f"tags must carry {list(REQUIRED_TAGS)}; missing {missing}")
    if tags["residency-site"] != site:
        raise ValueError(
            f"tags['residency-site'] is {tags['residency-site']!r} but the site is {site!r}"
        )


def name_stem(site: str, stack: str) -> str:
    """The stem of the site's physical names (buckets, roles, trail): ``clover-<site>-<stack>``.

    Bucket names are global, lower-case DNS labels of at most 63 characters, so the stem must leave
    room for ``-data-`` (the longest role suffix) and a 12-digit account id.
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html
    """
    stem = f"clover-{site}-{stack}"
    longest = len(stem) + len("-data-") + _ACCOUNT_ID_LENGTH
    if not _NAME_STEM.match(stem) or longest > _BUCKET_NAME_MAX:
        raise ValueError(
            f"the stack name {stack!r} makes the name stem {stem!r}, which is not usable in bucket"
            " names: use lower-case letters, digits and hyphens, and keep bucket names within 63"
            " characters"
        )
    return stem


def backup_bucket_stem(site: str, source_site: str, stack: str) -> str:
    """The name of the bucket that keeps ``source_site``'s backup at ``site``, without the
    account id that ends it: ``clover-<site>-<stack>-from-<source>-``. The destination site's
    trail names it before it exists (:class:`AwsSiteArgs` ``backup_sources``)."""
    stem = f"{name_stem(site, stack)}-from-{source_site}-"
    if len(stem) + _ACCOUNT_ID_LENGTH > _BUCKET_NAME_MAX:
        raise ValueError(
            f"the backup bucket name {stem}<account> would exceed 63 characters: use a shorter "
            "stack name"
        )
    return stem


@dataclass(frozen=True, kw_only=True)
class AwsSiteArgs:
    """Inputs of :class:`AwsSite`."""

    site: str
    """The catalog site (``dublin``, ``hamar``)."""
    region: str
    """The site's AWS region; must equal the explicit provider's region, which the caller passes
    in ``opts.providers`` (or ``opts.provider``)."""
    vpc_cidr: str
    """The site VPC's IPv4 CIDR block."""
    gateway_principals: Sequence[str]
    """IAM principal ARNs allowed to assume the gateway role; explicit, never ``*``."""
    break_glass_role_arn: str | None
    """An administrator role that may reach site data outside the VPC endpoint and use the site
    key through S3, for recovery; ``None`` for no such role."""
    key_admin_role_arns: Sequence[str]
    """IAM roles that administer the site key (see :class:`components.keys.aws.AwsSiteKeyArgs`);
    the role that deploys the stack must be one of them."""
    tags: Mapping[str, str]
    """Tags for every taggable resource; must carry ``residency-site`` (equal to ``site``) and
    ``data-classification``."""
    protect_data_stores: bool = True
    """Protect the buckets and the key from deletion by Pulumi."""
    object_lock_days: int | None = None
    """Default Object Lock retention of the data bucket, in days; no Object Lock when ``None``."""
    object_lock_mode: ObjectLockMode = "GOVERNANCE"
    """Object Lock mode when ``object_lock_days`` is set."""
    noncurrent_version_expiration_days: int = 90
    """Days after which a noncurrent object version is deleted."""
    az_count: int = 2
    """Availability zones with a private subnet; at least two."""
    replication_role_names: Sequence[str] = ()
    """Names of this account's IAM roles that replicate the data bucket to another site (see
    :class:`components.backup.aws.AwsCrossSiteBackup`): admitted to the site key through S3 and
    exempt from the data bucket's VPC-endpoint rule."""
    backup_sources: Sequence[str] = ()
    """Sites whose data bucket is backed up into this site's region (see
    :class:`components.backup.aws.AwsCrossSiteBackup`): the site's trail records the object
    events of their backup buckets, named by :func:`backup_bucket_stem`."""

    def __post_init__(self) -> None:
        validate_site_region(self.site, self.region)
        validate_tags(self.site, self.tags)
        validate_principal_arns("gateway_principals", self.gateway_principals)
        if self.break_glass_role_arn is not None:
            validate_principal_arns("break_glass_role_arn", [self.break_glass_role_arn])
        validate_principal_arns("key_admin_role_arns", self.key_admin_role_arns)
        validate_retention(
            noncurrent_version_expiration_days=self.noncurrent_version_expiration_days,
            abort_incomplete_multipart_upload_days=7,
            object_lock_days=self.object_lock_days,
            object_lock_mode=self.object_lock_mode,
        )


class AwsSite(pulumi.ComponentResource):
    """A site's AWS footprint, built network, keys, storage, gateway.

    Physical names are fixed up front (``clover-<site>-<stack>-data-<account>``,
    ``...-logs-<account>``, ``...-audit-<account>``, role ``clover-<site>-<stack>-gateway``, trail
    ``clover-<site>-<stack>-data-events``) so every policy can name what it protects before that
    exists. In particular the key policy admits the gateway role by ``aws:PrincipalArn`` (composed
    from the account id and the role name), so the key does not wait for the role and no cycle
    arises. The one back edge, flow logs into the log bucket built after the network, is a
    deferred output resolved once storage exists.

    All children inherit the caller's explicit provider (``opts.providers``/``opts.provider``)
    through ``parent``; no child reads an ambient region.
    """

    data_bucket_name: pulumi.Output[str]
    data_bucket_arn: pulumi.Output[str]
    log_bucket_name: pulumi.Output[str]
    """The data bucket's server access logs."""
    audit_bucket_name: pulumi.Output[str]
    """CloudTrail files and VPC flow logs, under Object Lock."""
    log_bucket_arn: pulumi.Output[str]
    key_id: pulumi.Output[str]
    key_arn: pulumi.Output[str]
    """The site's data key."""
    log_key_arn: pulumi.Output[str]
    """The site's log key: CloudTrail files, flow logs and access logs."""
    vpc_id: pulumi.Output[str]
    subnet_ids: list[pulumi.Output[str]]
    s3_endpoint_id: pulumi.Output[str]
    kms_endpoint_id: pulumi.Output[str]
    sts_endpoint_id: pulumi.Output[str]
    gateway_role_arn: pulumi.Output[str]
    trail_arn: pulumi.Output[str]
    placement: dict[str, str | bool]

    def __init__(
        self, name: str, args: AwsSiteArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("clover:site:AwsSite", name, None, opts)
        invoke_opts = pulumi.InvokeOptions(parent=self)
        account_id = aws.get_caller_identity_output(opts=invoke_opts).account_id
        partition = aws.get_partition_output(opts=invoke_opts).partition
        stem = name_stem(args.site, pulumi.get_stack())
        data_bucket_name = pulumi.Output.concat(stem, "-data-", account_id)
        log_bucket_name = pulumi.Output.concat(stem, "-logs-", account_id)
        audit_bucket_name = pulumi.Output.concat(stem, "-audit-", account_id)
        gateway_role_name = f"{stem}-gateway"
        trail_name = f"{stem}-data-events"

        def role_arn(role_name: str) -> pulumi.Output[str]:
            return pulumi.Output.concat(
                "arn:", partition, ":iam::", account_id, ":role/", role_name
            )

        trail_arn = pulumi.Output.concat(
            "arn:", partition, ":cloudtrail:", args.region, ":", account_id, ":trail/", trail_name
        )
        replication_role_arns = [role_arn(n) for n in args.replication_role_names]

        flow_log_destination: pulumi.Output[str]
        resolve_flow_log_destination: Callable[[pulumi.Output[str]], None]
        flow_log_destination, resolve_flow_log_destination = pulumi.deferred_output()
        network = AwsNetworkBoundary(
            f"{name}-network",
            AwsNetworkBoundaryArgs(
                region=args.region,
                vpc_cidr=args.vpc_cidr,
                az_count=args.az_count,
                bucket_arns=[bucket_arn(partition, data_bucket_name)],
                log_bucket_arns=[
                    bucket_arn(partition, log_bucket_name),
                    bucket_arn(partition, audit_bucket_name),
                ],
                flow_log_destination_arn=flow_log_destination,
                tags=args.tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        key_users: list[pulumi.Input[str]] = [role_arn(gateway_role_name), *replication_role_arns]
        if args.break_glass_role_arn is not None:
            key_users.append(args.break_glass_role_arn)
        key = AwsSiteKey(
            f"{name}-keys",
            AwsSiteKeyArgs(
                site=args.site,
                region=args.region,
                admin_role_arns=args.key_admin_role_arns,
                user_role_arns=key_users,
                protect=args.protect_data_stores,
                tags=args.tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        # Logs get a key of their own: the services that deliver them and the people who read
        # them never hold the key of the personal data. Reading logs through S3 is for the
        # break-glass role; the deliverers are admitted by the key policy, each for its source.
        log_key = AwsSiteKey(
            f"{name}-log-keys",
            AwsSiteKeyArgs(
                site=args.site,
                region=args.region,
                purpose="logs",
                admin_role_arns=args.key_admin_role_arns,
                user_role_arns=[args.break_glass_role_arn] if args.break_glass_role_arn else [],
                cloudtrail_trail_arn=trail_arn,
                log_bucket_arn=bucket_arn(partition, log_bucket_name),
                access_logged_bucket_arns=[bucket_arn(partition, data_bucket_name)],
                protect=args.protect_data_stores,
                tags=args.tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        storage = AwsSiteStorage(
            f"{name}-storage",
            AwsSiteStorageArgs(
                region=args.region,
                data_bucket_name=data_bucket_name,
                log_bucket_name=log_bucket_name,
                audit_bucket_name=audit_bucket_name,
                kms_key_arn=key.key_arn,
                log_kms_key_arn=log_key.key_arn,
                s3_endpoint_id=network.s3_endpoint_id,
                trail_arn=trail_arn,
                break_glass_role_arn=args.break_glass_role_arn,
                admin_role_arns=args.key_admin_role_arns,
                replication_role_arns=replication_role_arns,
                noncurrent_version_expiration_days=args.noncurrent_version_expiration_days,
                object_lock_days=args.object_lock_days,
                object_lock_mode=args.object_lock_mode,
                protect=args.protect_data_stores,
                tags=args.tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        resolve_flow_log_destination(storage.flow_log_destination_arn)
        gateway = AwsAccessGateway(
            f"{name}-gateway",
            AwsAccessGatewayArgs(
                region=args.region,
                role_name=gateway_role_name,
                trusted_principal_arns=args.gateway_principals,
                data_bucket_arn=storage.data_bucket_arn,
                kms_key_arn=key.key_arn,
                trail_kms_key_arn=log_key.key_arn,
                s3_endpoint_id=network.s3_endpoint_id,
                trail_name=trail_name,
                log_bucket_name=storage.audit_bucket_name,
                trail_s3_key_prefix=storage.cloudtrail_prefix,
                backup_bucket_arns=[
                    bucket_arn(
                        partition,
                        pulumi.Output.concat(
                            backup_bucket_stem(args.site, source, pulumi.get_stack()), account_id
                        ),
                    )
                    for source in args.backup_sources
                ],
                tags=args.tags,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )

        self.data_bucket_name = storage.data_bucket_name
        self.data_bucket_arn = storage.data_bucket_arn
        self.log_bucket_name = storage.log_bucket_name
        self.audit_bucket_name = storage.audit_bucket_name
        self.log_bucket_arn = storage.log_bucket_arn
        self.key_id = key.key_id
        self.key_arn = key.key_arn
        self.log_key_arn = log_key.key_arn
        self.vpc_id = network.vpc_id
        self.subnet_ids = network.subnet_ids
        self.s3_endpoint_id = network.s3_endpoint_id
        self.kms_endpoint_id = network.kms_endpoint_id
        self.sts_endpoint_id = network.sts_endpoint_id
        self.gateway_role_arn = gateway.role_arn
        self.trail_arn = gateway.trail_arn
        self.placement = aws_placement(args.site, args.region)
        self.register_outputs(
            {
                "data_bucket_name": self.data_bucket_name,
                "data_bucket_arn": self.data_bucket_arn,
                "log_bucket_name": self.log_bucket_name,
                "audit_bucket_name": self.audit_bucket_name,
                "log_bucket_arn": self.log_bucket_arn,
                "key_id": self.key_id,
                "key_arn": self.key_arn,
                "log_key_arn": self.log_key_arn,
                "vpc_id": self.vpc_id,
                "subnet_ids": self.subnet_ids,
                "s3_endpoint_id": self.s3_endpoint_id,
                "kms_endpoint_id": self.kms_endpoint_id,
                "sts_endpoint_id": self.sts_endpoint_id,
                "gateway_role_arn": self.gateway_role_arn,
                "trail_arn": self.trail_arn,
                "placement": self.placement,
            }
        )
