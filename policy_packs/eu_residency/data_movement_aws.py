"""Copies of AWS data that leave the resource's region: every destination must be allowed.

A resource in an allowed region can still replicate its data elsewhere (S3 replication, KMS
multi-Region keys, DynamoDB global tables, Secrets Manager replicas, ECR replication, AWS
Backup copy actions, RDS automated-backup replication, S3 Multi-Region Access Points). Each copy
path is its own named rule, checked against the same ``allowedRegions`` list.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, Final

import external_resources
import regions
from placement_aws import effective_region, region_problem
from pulumi_policy import (
    ReportViolation,
    ResourceValidationArgs,
    Severity,
    StackValidationArgs,
)
from residency_common import (
    StackResource,
    allowed_aws_regions,
    aws_schema,
    config_bool,
    describe,
    items,
    mapping,
    pack_evidence,
    plain,
    report_all,
    report_all_at,
    stack_resources,
)
from rulekit import is_unknown, resource_rule, stack_rule

BUCKET_TYPES: Final = frozenset({"aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2"})
REPLICATION_CONFIG: Final = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
MRAP: Final = "aws:s3control/multiRegionAccessPoint:MultiRegionAccessPoint"


def _hint(allowed: Collection[str]) -> str:
    return f"allowed regions: {', '.join(sorted(allowed))}"


def _destination_region(what: str, region: Any, allowed: Collection[str]) -> str | None:
    problem = region_problem(region, allowed)
    return None if problem is None else f"{what}: {problem}"


def _arn_problem(what: str, arn: Any, allowed: Collection[str]) -> str | None:
    if is_unknown(arn) or not isinstance(arn, str):
        return f"{what} is {describe(arn)}, so its region cannot be proven"
    region = regions.arn_region(arn)
    if region is None:
        return f"{what} {arn!r} carries no region"
    return _destination_region(f"{what} {arn!r}", region, allowed)


def _finish(urn: str, problems: Sequence[str | None], allowed: Collection[str]) -> list[str]:
    return [f"{urn}: {p}; {_hint(allowed)}." for p in problems if p is not None]


# -- KMS ---------------------------------------------------------------------------------------


def check_kms_multi_region(
    *, resource_type: str, urn: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> list[str]:
    """A multi-Region primary key can be replicated to any region by kms:ReplicateKey."""
    if resource_type != "aws:kms/key:Key" or config_bool(config, "allowMultiRegionKeys", False):
        return []
    value = props.get("multiRegion")
    if value is None or value is False:
        return []
    return [
        f"{urn}: multiRegion is {describe(value)}; multi-Region keys can be replicated outside the "
        "allowed regions. Use a single-Region key, or set allowMultiRegionKeys for this stack."
    ]


KMS_REPLICA_TYPES: Final = frozenset(
    {"aws:kms/replicaKey:ReplicaKey", "aws:kms/replicaExternalKey:ReplicaExternalKey"}
)


def check_kms_replica(
    *,
    resource_type: str,
    urn: str,
    props: Mapping[str, Any],
    provider_props: Mapping[str, Any],
    config: Mapping[str, Any],
) -> list[str]:
    if resource_type not in KMS_REPLICA_TYPES:
        return []
    allowed = allowed_aws_regions(config)
    problems = [
        _destination_region("replica key region", effective_region(props, provider_props), allowed),
        _arn_problem("primaryKeyArn", props.get("primaryKeyArn"), allowed),
    ]
    return _finish(urn, problems, allowed)


# -- DynamoDB ----------------------------------------------------------------------------------


def check_dynamodb_replicas(
    *,
    resource_type: str,
    urn: str,
    props: Mapping[str, Any],
    provider_props: Mapping[str, Any],
    config: Mapping[str, Any],
) -> list[str]:
    allowed = allowed_aws_regions(config)
    problems: list[str | None] = []
    if resource_type in ("aws:dynamodb/table:Table", "aws:dynamodb/globalTable:GlobalTable"):
        replicas = props.get("replicas")
        if is_unknown(replicas):
            problems.append("replicas are not known until apply")
        for index, replica in enumerate(items(replicas)):
            problems.append(
                _destination_region(
                    f"replicas[{index}].regionName", mapping(replica).get("regionName"), allowed
                )
            )
    elif resource_type == "aws:dynamodb/tableReplica:TableReplica":
        problems.append(
            _destination_region(
                "table replica region", effective_region(props, provider_props), allowed
            )
        )
    return _finish(urn, problems, allowed)


# -- Secrets Manager, ECR, Backup, RDS ---------------------------------------------------------


def check_secret_replicas(
    *, resource_type: str, urn: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> list[str]:
    if resource_type != "aws:secretsmanager/secret:Secret":
        return []
    allowed = allowed_aws_regions(config)
    replicas = props.get("replicas")
    problems: list[str | None] = []
    if is_unknown(replicas):
        problems.append("replicas are not known until apply")
    for index, replica in enumerate(items(replicas)):
        problems.append(
            _destination_region(
                f"replicas[{index}].region", mapping(replica).get("region"), allowed
            )
        )
    return _finish(urn, problems, allowed)


def check_ecr_replication(
    *, resource_type: str, urn: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> list[str]:
    if resource_type != "aws:ecr/replicationConfiguration:ReplicationConfiguration":
        return []
    allowed = allowed_aws_regions(config)
    problems: list[str | None] = []
    configuration = props.get("replicationConfiguration")
    if is_unknown(configuration):
        problems.append("replicationConfiguration is not known until apply")
    rules = mapping(configuration).get("rules")
    if is_unknown(rules):
        problems.append("replication rules are not known until apply")
    for r_index, rule in enumerate(items(rules)):
        destinations = mapping(rule).get("destinations")
        if is_unknown(destinations):
            problems.append(f"rules[{r_index}].destinations are not known until apply")
        for d_index, destination in enumerate(items(destinations)):
            problems.append(
                _destination_region(
                    f"rules[{r_index}].destinations[{d_index}].region",
                    mapping(destination).get("region"),
                    allowed,
                )
            )
    return _finish(urn, problems, allowed)


def check_backup_copy_actions(
    *, resource_type: str, urn: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> list[str]:
    if resource_type != "aws:backup/plan:Plan":
        return []
    allowed = allowed_aws_regions(config)
    problems: list[str | None] = []
    rules = props.get("rules")
    if is_unknown(rules):
        problems.append("rules are not known until apply")
    for r_index, rule in enumerate(items(rules)):
        copies = mapping(rule).get("copyActions")
        if is_unknown(copies):
            problems.append(f"rules[{r_index}].copyActions are not known until apply")
        for c_index, copy in enumerate(items(copies)):
            problems.append(
                _arn_problem(
                    f"rules[{r_index}].copyActions[{c_index}].destinationVaultArn",
                    mapping(copy).get("destinationVaultArn"),
                    allowed,
                )
            )
    return _finish(urn, problems, allowed)


def check_rds_backup_replication(
    *,
    resource_type: str,
    urn: str,
    props: Mapping[str, Any],
    provider_props: Mapping[str, Any],
    config: Mapping[str, Any],
) -> list[str]:
    """The replication resource is created in the destination region (its own region)."""
    if (
        resource_type
        != "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication"
    ):
        return []
    allowed = allowed_aws_regions(config)
    problem = _destination_region(
        "backup replication destination region", effective_region(props, provider_props), allowed
    )
    return _finish(urn, [problem], allowed)


# -- S3 (stack rules: the destination bucket's region is only known from the stack) ------------


def _bucket_name_from_arn(arn: str) -> str | None:
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and parts[2] == "s3" and parts[5]:
        return parts[5].split("/", 1)[0]
    return None


def _bucket_region_problem(bucket: StackResource, allowed: Collection[str]) -> str | None:
    region = effective_region(bucket.props, bucket.provider_props)
    problem = region_problem(region, allowed)
    return None if problem is None else f"bucket {bucket.urn}: {problem}"


def _declared_bucket(what: str, reference: Any, name: str, allowed: Collection[str]) -> list[str]:
    """A bucket outside the stack: its declared region (external_resources.py), else unproven."""
    declarations = external_resources.pack_declarations()
    declared = declarations.s3_bucket(name)
    unproven = (
        f"{what} {reference!r} is not a bucket managed in this stack nor a declared external "
        "resource; a bucket ARN carries no region, so its residency cannot be proven (declare "
        "it with its region in policy_packs/config/external-resources.yaml)"
    )
    if declared is None:
        return [unproven]
    today = declarations.today()
    if not declared.active(today):
        return [f"{unproven}; {declared.why_not(today)}"]
    problem = region_problem(declared.region, allowed)
    return [] if problem is None else [f"{what} {reference!r} ({declared.via}): {problem}"]


def _check_bucket_reference(
    what: str,
    reference: Any,
    *,
    urn: str,
    by_name: Mapping[str, StackResource],
    by_urn: Mapping[str, StackResource],
    allowed: Collection[str],
    as_arn: bool,
) -> list[str]:
    """Check one destination bucket given by ARN (replication) or name (MRAP) at property path
    ``what`` of resource ``urn``.

    A value not known until apply is placed only by what the offline check proved about it
    (residency_common.PackEvidence): exactly an in-stack bucket's output, or what it computes
    to. Depending on a bucket proves nothing: ``replica.arn.apply(lambda a: override or a)``
    depends on the replica exactly as ``replica.arn`` does, and may name any bucket.
    """
    evidence = pack_evidence()
    if is_unknown(reference):
        source = evidence.source(urn, what)
        outputs = ("arn",) if as_arn else ("bucket", "id")
        if source is not None and source[0] in by_urn and source[1] in outputs:
            problem = _bucket_region_problem(by_urn[source[0]], allowed)
            return [] if problem is None else [f"{what} is exactly {'#'.join(source)}: {problem}"]
        computed = evidence.computed_value(urn, what)
        if not isinstance(computed, str) or not computed:
            return [
                f"{what} is not known until apply and is not proven to be exactly an output of "
                "a bucket of this stack (a dependency proves nothing: a value computed from a "
                "bucket can name any bucket), so the destination's region cannot be proven; "
                "pass the bucket's output itself, and run `python -m clover check`, which "
                "proves it"
            ]
        reference = computed
    if not isinstance(reference, str) or not reference:
        return [f"{what} is {describe(reference)}, so the destination's region cannot be proven"]
    name = _bucket_name_from_arn(reference) if as_arn else reference
    if name is None:
        return [f"{what} {reference!r} is not an S3 bucket ARN, so its region cannot be proven"]
    bucket = by_name.get(name) or by_urn.get(evidence.bucket_names.get(name, ""))
    if bucket is None:
        return _declared_bucket(what, reference, name, allowed)
    problem = _bucket_region_problem(bucket, allowed)
    return [] if problem is None else [f"{what} {reference!r} is {problem}"]


def _bucket_index(
    stack: Sequence[StackResource],
) -> tuple[dict[str, StackResource], dict[str, StackResource]]:
    by_urn = {r.urn: r for r in stack if r.type in BUCKET_TYPES}
    by_name: dict[str, StackResource] = {}
    for bucket in by_urn.values():
        name = bucket.props.get("bucket")
        if isinstance(name, str) and not is_unknown(name):
            by_name[name] = bucket
    return by_urn, by_name


def _replication_destinations(resource: StackResource) -> tuple[list[tuple[str, Any]], str, bool]:
    """(path, destination ARN) pairs, the property holding the rules, whether they are unknown."""
    props = resource.props
    if resource.type == REPLICATION_CONFIG:
        key, rules = "rules", props.get("rules")
    elif resource.type == "aws:s3/bucket:Bucket":
        key = "replicationConfiguration"
        block = props.get(key)
        rules = block if is_unknown(block) else mapping(block).get("rules")
    elif resource.type == "aws:s3/bucketV2:BucketV2":
        key = "replicationConfigurations"
        blocks = props.get(key)
        rules = (
            blocks
            if is_unknown(blocks)
            else [rule for block in items(blocks) for rule in items(mapping(block).get("rules"))]
        )
    else:
        return [], "", False
    found: list[tuple[str, Any]] = []
    for prefix, rule in _rules_at(resource.type, key, props.get(key), rules):
        destination = mapping(rule).get("destination")
        if is_unknown(destination):
            found.append((f"{prefix}.destination", destination))
            continue
        found.append((f"{prefix}.destination.bucket", mapping(destination).get("bucket")))
    return found, key, is_unknown(rules)


def _rules_at(resource_type: str, key: str, block: Any, rules: Any) -> list[tuple[str, Any]]:
    """Each replication rule with its property path, as the engine and the offline check's
    evidence name it (``rules[0]``, ``replicationConfiguration.rules[0]``,
    ``replicationConfigurations[1].rules[0]``)."""
    if resource_type == REPLICATION_CONFIG:
        return [(f"rules[{i}]", r) for i, r in enumerate(items(rules))]
    if resource_type == "aws:s3/bucket:Bucket":
        return [(f"{key}.rules[{i}]", r) for i, r in enumerate(items(rules))]
    return [
        (f"{key}[{j}].rules[{i}]", r)
        for j, b in enumerate(items(block))
        for i, r in enumerate(items(mapping(b).get("rules")))
    ]


def check_s3_replication(
    stack: Sequence[StackResource], config: Mapping[str, Any]
) -> list[tuple[str, str]]:
    allowed = allowed_aws_regions(config)
    by_urn, by_name = _bucket_index(stack)
    findings: list[tuple[str, str]] = []
    for resource in stack:
        destinations, key, unknown_rules = _replication_destinations(resource)
        problems: list[str] = []
        if unknown_rules:
            problems.append(f"{key} is not known until apply")
        for path, reference in destinations:
            problems.extend(
                _check_bucket_reference(
                    path,
                    reference,
                    urn=resource.urn,
                    by_name=by_name,
                    by_urn=by_urn,
                    allowed=allowed,
                    as_arn=True,
                )
            )
        findings.extend((resource.urn, f"{resource.urn}: {p}; {_hint(allowed)}.") for p in problems)
    return findings


def check_multi_region_access_points(
    stack: Sequence[StackResource], config: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """A Multi-Region Access Point routes requests to, and can replicate between, its buckets."""
    allowed = allowed_aws_regions(config)
    by_urn, by_name = _bucket_index(stack)
    findings: list[tuple[str, str]] = []
    for resource in stack:
        if resource.type != MRAP:
            continue
        details = resource.props.get("details")
        entries = mapping(details).get("regions")
        problems: list[str] = []
        if is_unknown(details) or is_unknown(entries):
            problems.append("details.regions are not known until apply")
        elif not items(entries):
            problems.append("details.regions is empty or missing")
        for index, entry in enumerate(items(entries)):
            explicit = mapping(entry).get("region")
            if explicit is not None:
                problem = _destination_region(f"details.regions[{index}].region", explicit, allowed)
                if problem is not None:
                    problems.append(problem)
            problems.extend(
                _check_bucket_reference(
                    f"details.regions[{index}].bucket",
                    mapping(entry).get("bucket"),
                    urn=resource.urn,
                    by_name=by_name,
                    by_urn=by_urn,
                    allowed=allowed,
                    as_arn=False,
                )
            )
        findings.extend((resource.urn, f"{resource.urn}: {p}; {_hint(allowed)}.") for p in problems)
    return findings


# -- Wiring ------------------------------------------------------------------------------------


def _resource_rule(check: Any, *, with_provider: bool) -> Any:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if not args.resource_type.startswith("aws:"):
            return
        kwargs: dict[str, Any] = {
            "resource_type": args.resource_type,
            "urn": args.urn,
            "props": mapping(plain(args.props)),
            "config": args.get_config(),
        }
        if with_provider:
            provider = args.provider
            kwargs["provider_props"] = mapping(plain(provider.props)) if provider else {}
        report_all(report, check(**kwargs))

    return validate


def _stack_rule(check: Any) -> Any:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        report_all_at(report, check(stack_resources(args), args.get_config()))

    return validate


S3_REPLICATION = "aws-s3-bucket-replication-destination-allowed"
S3_MRAP = "aws-s3control-multi-region-access-point-region-allowed"
KMS_MULTI_REGION = "aws-kms-key-multi-region-disallowed"
KMS_REPLICA = "aws-kms-replica-key-region-allowed"
DYNAMODB_REPLICA = "aws-dynamodb-table-replica-region-allowed"
SECRET_REPLICA = "aws-secretsmanager-secret-replica-region-allowed"  # noqa: S105 - a name
ECR_REPLICATION = "aws-ecr-replication-destination-region-allowed"
BACKUP_COPY = "aws-backup-plan-copy-destination-allowed"
RDS_BACKUP_REPLICATION = "aws-rds-instance-automated-backups-replication-region-allowed"

POLICIES: Final = [
    stack_rule(
        S3_REPLICATION,
        description="S3 replication may only copy objects to buckets in an allowed region.",
        validate=_stack_rule(check_s3_replication),
        severity=Severity.CRITICAL,
        remediation_steps=(
            "Replicate only to a bucket managed in this stack whose region is allowed, or, after "
            "confirming its region, declare the destination bucket in "
            "policy_packs/config/external-resources.yaml (reviewed)."
        ),
        config_schema=aws_schema(),
    ),
    stack_rule(
        S3_MRAP,
        description="S3 Multi-Region Access Points may only front buckets in allowed regions.",
        validate=_stack_rule(check_multi_region_access_points),
        severity=Severity.HIGH,
        remediation_steps=(
            "List only buckets managed in this stack in allowed regions (or external buckets "
            "declared with their region in policy_packs/config/external-resources.yaml) in "
            "`details.regions`."
        ),
        config_schema=aws_schema(),
    ),
    resource_rule(
        KMS_MULTI_REGION,
        description="KMS keys must be single-Region unless multi-Region keys are allowed.",
        validate=_resource_rule(check_kms_multi_region, with_provider=False),
        severity=Severity.HIGH,
        remediation_steps=(
            "Remove `multiRegion: true` from the key, or set `allowMultiRegionKeys` in this "
            "policy's config after review (replicas are then checked by "
            f"{KMS_REPLICA})."
        ),
        config_schema=aws_schema(
            allowMultiRegionKeys={
                "type": "boolean",
                "description": "Allow multi-Region primary keys (their replicas are checked).",
                "default": False,
            }
        ),
    ),
    resource_rule(
        KMS_REPLICA,
        description="KMS replica keys, and the keys they copy, must be in allowed regions.",
        validate=_resource_rule(check_kms_replica, with_provider=True),
        severity=Severity.CRITICAL,
        remediation_steps="Create replica keys only in allowed regions (`region` or provider).",
        config_schema=aws_schema(),
    ),
    resource_rule(
        DYNAMODB_REPLICA,
        description="DynamoDB global-table replicas must be in allowed regions.",
        validate=_resource_rule(check_dynamodb_replicas, with_provider=True),
        severity=Severity.CRITICAL,
        remediation_steps=(
            "Set every `replicas[].regionName` (and every TableReplica's region) to an allowed "
            "region, or remove the replica."
        ),
        config_schema=aws_schema(),
    ),
    resource_rule(
        SECRET_REPLICA,
        description="Secrets Manager secrets may only be replicated to allowed regions.",
        validate=_resource_rule(check_secret_replicas, with_provider=False),
        severity=Severity.CRITICAL,
        remediation_steps="Set every `replicas[].region` to an allowed region, or remove it.",
        config_schema=aws_schema(),
    ),
    resource_rule(
        ECR_REPLICATION,
        description="ECR registry replication may only target allowed regions.",
        validate=_resource_rule(check_ecr_replication, with_provider=False),
        severity=Severity.HIGH,
        remediation_steps=(
            "Set every `replicationConfiguration.rules[].destinations[].region` to an allowed "
            "region."
        ),
        config_schema=aws_schema(),
    ),
    resource_rule(
        BACKUP_COPY,
        description="AWS Backup copy actions may only copy to vaults in allowed regions.",
        validate=_resource_rule(check_backup_copy_actions, with_provider=False),
        severity=Severity.CRITICAL,
        remediation_steps=(
            "Point every `rules[].copyActions[].destinationVaultArn` at a vault in an allowed "
            "region (the region is the ARN's 4th field)."
        ),
        config_schema=aws_schema(),
    ),
    resource_rule(
        RDS_BACKUP_REPLICATION,
        description="RDS automated backups may only be replicated to allowed regions.",
        validate=_resource_rule(check_rds_backup_replication, with_provider=True),
        severity=Severity.CRITICAL,
        remediation_steps=(
            "Create the InstanceAutomatedBackupsReplication with a `region` (or provider) that is "
            "an allowed region."
        ),
        config_schema=aws_schema(),
    ),
]
