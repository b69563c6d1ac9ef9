"""Governance of data stores: every store says what it holds and where, and production stores are
protected from deletion.

"Data store" means a resource that holds user data or the keys to it. The lists below are reviewed
by hand: a type missing here is simply not checked, so add new stores when a component starts using
one (the tests check every token against the installed provider SDKs).

Each validator is a plain function ``(args, report_violation) -> None`` so it can be imported and
timed in-process; the ``POLICIES`` list at the end wraps them for ``PolicyPack``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

# The CLI runs the pack with this directory first on sys.path, so sibling modules are imported
# as top-level modules; the type checker sees the repository layout instead.
if TYPE_CHECKING:
    from policy_packs.eu_data_protection.props import (
        MISSING,
        UNKNOWN,
        as_dict,
        get,
        parse_json_document,
        plain,
        show,
    )
    from policy_packs.eu_data_protection.rulekit import resource_rule
else:
    from props import (
        MISSING,
        UNKNOWN,
        as_dict,
        get,
        parse_json_document,
        plain,
        show,
    )
    from rulekit import resource_rule

AWS_DATA_STORES: Final = frozenset(
    {
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketV2:BucketV2",
        "aws:kms/key:Key",
        "aws:dynamodb/table:Table",
        "aws:rds/instance:Instance",
        "aws:rds/cluster:Cluster",
        "aws:docdb/cluster:Cluster",
        "aws:redshift/cluster:Cluster",
        "aws:elasticache/replicationGroup:ReplicationGroup",
        "aws:opensearch/domain:Domain",
        "aws:ebs/volume:Volume",
        "aws:efs/fileSystem:FileSystem",
        "aws:backup/vault:Vault",
    }
)
AZURE_DATA_STORES: Final = frozenset(
    {
        "azure-native:storage:StorageAccount",
        "azure-native:keyvault:Vault",
        "azure-native:keyvault:ManagedHsm",
        "azure-native:sql:Server",
        "azure-native:dbforpostgresql:Server",
        "azure-native:dbformysql:Server",
        "azure-native:cosmosdb:DatabaseAccount",
    }
)
AWS_PROVIDER: Final = "pulumi:providers:aws"

AWS_TAGS = "aws-data-store-require-tags"
AZURE_TAGS = "azure-native-data-store-require-tags"
AWS_PROTECT = "aws-data-store-require-protect"
AZURE_PROTECT = "azure-native-data-store-require-protect"

DEFAULT_REQUIRED_TAGS: Final = ("data-classification", "residency-site")


def _required_tags(args: ResourceValidationArgs) -> list[str]:
    configured = args.get_config().get("requiredTags")
    if isinstance(configured, list) and all(isinstance(t, str) for t in configured):
        return list(configured)
    return list(DEFAULT_REQUIRED_TAGS)


def _provider_default_tags(args: ResourceValidationArgs) -> Any:
    """The AWS provider's ``defaultTags.tags``: a dict, UNKNOWN, or MISSING.

    Provider inputs reach the analyzer as the engine stores them: object-valued provider settings
    are JSON-encoded strings (``"defaultTags": "{\\"tags\\": {...}}"``), so both forms are read.
    """
    provider = args.provider
    if provider is None or getattr(provider, "resource_type", None) != AWS_PROVIDER:
        return MISSING
    default_tags = parse_json_document(get(plain(provider.props), "defaultTags"))
    if default_tags is UNKNOWN:
        return UNKNOWN
    return as_dict(get(default_tags, "tags"))


def _tag_problems(tags: Any, required: list[str], *, case_insensitive: bool) -> list[str]:
    if tags is UNKNOWN:
        return [f"`tags` is {show(UNKNOWN)} during preview"]
    present = tags if isinstance(tags, dict) else {}
    if case_insensitive:
        present = {k.lower(): v for k, v in present.items()}
    problems = []
    for tag in required:
        value = present.get(tag.lower() if case_insensitive else tag, MISSING)
        if value is UNKNOWN:
            problems.append(f"tag {tag!r} is {show(UNKNOWN)} during preview")
        elif not isinstance(value, str) or not value.strip():
            problems.append(f"tag {tag!r} is {show(value)}")
    return problems


def _report_tags(
    args: ResourceValidationArgs, report_violation: ReportViolation, rule: str, problems: list[str]
) -> None:
    if problems:
        report_violation(
            f"{rule}: data store {args.name!r} ({args.resource_type}): {'; '.join(problems)}. "
            f"Required non-empty tags: {', '.join(_required_tags(args))}.",
            None,
        )


def validate_aws_data_store_tags(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type not in AWS_DATA_STORES:
        return
    own = get(plain(args.props), "tags")
    defaults = _provider_default_tags(args)
    if own is UNKNOWN:
        merged: Any = UNKNOWN
    else:
        # Resource tags override the provider's default tags (pulumi-aws defaultTags semantics).
        # A tag that is absent locally may still come from unknown defaults: fail closed on it.
        merged = dict(defaults) if isinstance(defaults, dict) else {}
        if defaults is UNKNOWN:
            merged = dict.fromkeys(_required_tags(args), UNKNOWN)
        merged.update(own if isinstance(own, dict) else {})
    _report_tags(
        args,
        report_violation,
        AWS_TAGS,
        _tag_problems(merged, _required_tags(args), case_insensitive=False),
    )


def validate_azure_data_store_tags(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type not in AZURE_DATA_STORES:
        return
    # Azure tag names are case-insensitive (Azure Resource Manager tag documentation).
    _report_tags(
        args,
        report_violation,
        AZURE_TAGS,
        _tag_problems(get(plain(args.props), "tags"), _required_tags(args), case_insensitive=True),
    )


def _report_unprotected(
    args: ResourceValidationArgs, report_violation: ReportViolation, rule: str
) -> None:
    opts = getattr(args, "opts", None)
    if getattr(opts, "protect", False) is not True:
        report_violation(
            f"{rule}: data store {args.name!r} ({args.resource_type}) is not protected; "
            "required: the `protect` resource option, so that neither `pulumi destroy` nor a "
            "replacing change can delete it.",
            None,
        )


def validate_aws_data_store_protect(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type in AWS_DATA_STORES:
        _report_unprotected(args, report_violation, AWS_PROTECT)


def validate_azure_data_store_protect(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type in AZURE_DATA_STORES:
        _report_unprotected(args, report_violation, AZURE_PROTECT)


def _tags_schema() -> PolicyConfigSchema:
    return PolicyConfigSchema(
        properties={
            "requiredTags": {
                "type": "array",
                "items": {"type": "string", "minLength": 1},
                "minItems": 1,
                "uniqueItems": True,
                "default": list(DEFAULT_REQUIRED_TAGS),
                "description": "Tags every data store must carry with a non-empty value.",
            }
        }
    )


_TAGS_WHY = (
    "Advisory by default: tags can also be applied outside the program (tag inheritance and "
    "tag policies), which this pack cannot see; production stacks make it mandatory in their "
    "policy config, since the tags are how Clover records what data is kept where."
)
_PROTECT_WHY = (
    "Advisory by default: the pack cannot tell a production stack from a scratch one, and "
    "development stacks must stay destroyable; production stacks make it mandatory in their "
    "policy config."
)

POLICIES: Final[list[Policy]] = [
    resource_rule(
        AWS_TAGS,
        description=(
            "AWS data stores (S3 buckets, KMS keys, DynamoDB tables, RDS/DocumentDB/Redshift "
            "clusters, ElastiCache, OpenSearch, EBS, EFS, Backup vaults) carry the required tags, "
            "directly or through the provider's defaultTags. " + _TAGS_WHY
        ),
        validate=validate_aws_data_store_tags,
        enforcement_level=EnforcementLevel.ADVISORY,
        severity=Severity.MEDIUM,
        config_schema=_tags_schema(),
        remediation_steps=(
            "Add tags={'data-classification': ..., 'residency-site': ...} to the resource, or "
            "set them once in the explicit provider's default_tags."
        ),
    ),
    resource_rule(
        AZURE_TAGS,
        description=(
            "Azure data stores (storage accounts, key vaults, managed HSMs, SQL, PostgreSQL and "
            "MySQL servers, Cosmos DB accounts) carry the required tags. " + _TAGS_WHY
        ),
        validate=validate_azure_data_store_tags,
        enforcement_level=EnforcementLevel.ADVISORY,
        severity=Severity.MEDIUM,
        config_schema=_tags_schema(),
        remediation_steps=(
            "Add tags={'data-classification': ..., 'residency-site': ...} to the resource."
        ),
    ),
    resource_rule(
        AWS_PROTECT,
        description=(
            "AWS data stores are created with the `protect` resource option. " + _PROTECT_WHY
        ),
        validate=validate_aws_data_store_protect,
        enforcement_level=EnforcementLevel.ADVISORY,
        severity=Severity.HIGH,
        remediation_steps=(
            "Pass opts=pulumi.ResourceOptions(protect=True) to the component that owns the store "
            "(children inherit it through parent)."
        ),
    ),
    resource_rule(
        AZURE_PROTECT,
        description=(
            "Azure data stores are created with the `protect` resource option. " + _PROTECT_WHY
        ),
        validate=validate_azure_data_store_protect,
        enforcement_level=EnforcementLevel.ADVISORY,
        severity=Severity.HIGH,
        remediation_steps=(
            "Pass opts=pulumi.ResourceOptions(protect=True) to the component that owns the store "
            "(children inherit it through parent)."
        ),
    ),
]
