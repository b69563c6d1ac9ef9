"""Encryption at rest and in transit.

Why these rules exist: European user data must stay readable only by keys Clover controls (so a key
can be revoked, rotated or destroyed on Clover's schedule, and crypto-shredding works), and must
never cross a network in clear text.

Each validator is a plain function ``(args, report_violation) -> None`` so it can be imported and
timed in-process; the ``POLICIES`` list at the end wraps them for ``PolicyPack``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
    StackValidationArgs,
)

# The CLI runs the pack with this directory first on sys.path, so sibling modules are imported
# as top-level modules; the type checker sees the repository layout instead.
if TYPE_CHECKING:
    from policy_packs.eu_data_protection.bucket_links import Settings, check_buckets
    from policy_packs.eu_data_protection.props import (
        MISSING,
        UNKNOWN,
        as_bool,
        as_number,
        as_str,
        get,
        iter_dicts,
        lower,
        parse_json_document,
        plain,
        show,
    )
    from policy_packs.eu_data_protection.rulekit import resource_rule, stack_rule
else:
    from bucket_links import Settings, check_buckets
    from props import (
        MISSING,
        UNKNOWN,
        as_bool,
        as_number,
        as_str,
        get,
        iter_dicts,
        lower,
        parse_json_document,
        plain,
        show,
    )
    from rulekit import resource_rule, stack_rule

# Type tokens, checked against the installed pulumi-aws v7 and pulumi-azure-native v3 by the tests:
# a stale token never matches and the rule silently never fires.
S3_SSE_TYPES: Final = frozenset(
    {
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
    }
)
S3_BUCKET_POLICY: Final = "aws:s3/bucketPolicy:BucketPolicy"
KMS_KEY: Final = "aws:kms/key:Key"
# Resources whose outputs identify a customer-managed KMS key (an alias resource can only point at a
# customer key: AWS reserves ``alias/aws/*`` for its own managed keys).
KMS_KEY_SOURCES: Final = frozenset(
    {
        KMS_KEY,
        "aws:kms/replicaKey:ReplicaKey",
        "aws:kms/externalKey:ExternalKey",
        "aws:kms/replicaExternalKey:ReplicaExternalKey",
        "aws:kms/alias:Alias",
    }
)
AZURE_STORAGE_ACCOUNT: Final = "azure-native:storage:StorageAccount"
AZURE_KEY_VAULT: Final = "azure-native:keyvault:Vault"
AZURE_KEY_VAULT_KEY: Final = "azure-native:keyvault:Key"

S3_KMS_ENCRYPTION = "aws-s3-bucket-require-kms-encryption"
S3_TLS_POLICY = "aws-s3-bucket-require-tls-only-policy"
KMS_ROTATION = "aws-kms-key-require-rotation"
STORAGE_CMK = "azure-native-storage-account-require-customer-managed-key"
STORAGE_INFRA_ENCRYPTION = "azure-native-storage-account-require-infrastructure-encryption"
STORAGE_TLS = "azure-native-storage-account-require-minimum-tls12"
STORAGE_HTTPS = "azure-native-storage-account-require-https"
VAULT_PURGE_PROTECTION = "azure-native-keyvault-vault-require-purge-protection"
VAULT_SOFT_DELETE = "azure-native-keyvault-vault-require-soft-delete"
VAULT_RBAC = "azure-native-keyvault-vault-require-rbac-authorization"
KEY_ROTATION_POLICY = "azure-native-keyvault-key-require-rotation-policy"

_AWS_MANAGED_KEY = re.compile(r"(^|:)alias/aws/")

DEFAULT_MAX_ROTATION_DAYS: Final = 365
DEFAULT_MIN_SOFT_DELETE_DAYS: Final = 90
# Azure's documented default when softDeleteRetentionInDays is not set (keyvault VaultProperties).
AZURE_SOFT_DELETE_DEFAULT_DAYS: Final = 90


def _unknown_note(value: Any) -> str:
    return (
        " (unknown during preview: a data-protection rule fails closed)" if value is UNKNOWN else ""
    )


# -- AWS S3: SSE-KMS with a customer key and bucket keys (stack) -----------------------------------


def sse_problems(settings: Settings) -> list[str]:
    """Problems of one ``BucketServerSideEncryptionConfiguration`` (empty when compliant)."""
    rules = get(settings.props, "rules")
    if rules is UNKNOWN:
        return [f"`rules` is {show(UNKNOWN)}{_unknown_note(UNKNOWN)}"]
    entries = list(iter_dicts(rules))
    if not entries:
        return ["has no `rules`, so S3 would fall back to SSE-S3 with an AWS-owned key"]
    key_from_stack = bool(settings.dependency_types("rules") & KMS_KEY_SOURCES)
    problems: list[str] = []
    for index, rule in enumerate(entries):
        where = f"rules[{index}]"
        if rule is UNKNOWN:
            problems.append(f"`{where}` is {show(UNKNOWN)}{_unknown_note(UNKNOWN)}")
            continue
        default = get(rule, "applyServerSideEncryptionByDefault")
        algorithm = get(default, "sseAlgorithm")
        if algorithm != "aws:kms":
            problems.append(
                f"`{where}.applyServerSideEncryptionByDefault.sseAlgorithm` is {show(algorithm)}"
                f"{_unknown_note(algorithm)}"
            )
        key = get(default, "kmsMasterKeyId")
        if key is UNKNOWN and not key_from_stack:
            problems.append(
                f"`{where}.applyServerSideEncryptionByDefault.kmsMasterKeyId` is unknown during "
                "preview and not computed from a KMS key or alias in this stack"
            )
        elif key is not UNKNOWN:
            key_text = as_str(key)
            if not isinstance(key_text, str) or not key_text.strip():
                problems.append(
                    f"`{where}.applyServerSideEncryptionByDefault.kmsMasterKeyId` is "
                    f"{show(key)}, so the AWS-managed key aws/s3 would be used"
                )
            elif _AWS_MANAGED_KEY.search(key_text.strip()):
                problems.append(
                    f"`{where}.applyServerSideEncryptionByDefault.kmsMasterKeyId` is the "
                    f"AWS-managed key {key_text!r}"
                )
        bucket_key = as_bool(get(rule, "bucketKeyEnabled"))
        if bucket_key is not True:
            problems.append(
                f"`{where}.bucketKeyEnabled` is {show(bucket_key)}{_unknown_note(bucket_key)}"
            )
    return problems


def validate_s3_kms_encryption(
    args: StackValidationArgs, report_violation: ReportViolation
) -> None:
    check_buckets(
        args.resources,
        report_violation,
        rule=S3_KMS_ENCRYPTION,
        settings_types=S3_SSE_TYPES,
        kind="BucketServerSideEncryptionConfiguration",
        evaluate=sse_problems,
        expected=(
            "a BucketServerSideEncryptionConfiguration whose every rule has sseAlgorithm "
            "'aws:kms', a customer-managed kmsMasterKeyId (not alias/aws/s3) and "
            "bucketKeyEnabled true"
        ),
    )


# -- AWS S3: TLS-only bucket policy (stack) --------------------------------------------------------


def _as_list_of_str(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _applies_to_everyone_and_all_objects(statement: dict[str, Any]) -> bool:
    """Principal ``*``, every S3 action, and the bucket's objects among the resources."""
    principal = get(statement, "Principal")
    principals = (
        _as_list_of_str(get(principal, "AWS"))
        if isinstance(principal, dict)
        else _as_list_of_str(principal)
    )
    actions = {a.lower() for a in _as_list_of_str(get(statement, "Action"))}
    resources = _as_list_of_str(get(statement, "Resource"))
    return (
        "*" in principals
        and bool(actions & {"s3:*", "*"})
        and any(r == "*" or r.endswith("/*") for r in resources)
    )


def _conditions_on_insecure_transport(condition: Any) -> bool:
    """``{"Bool": {"aws:SecureTransport": "false"}}`` (keys compared case-insensitively)."""
    if not isinstance(condition, dict):
        return False
    for operator, clauses in condition.items():
        if operator.lower() not in ("bool", "boolifexists") or not isinstance(clauses, dict):
            continue
        for key, value in clauses.items():
            values = value if isinstance(value, list) else [value]
            if key.lower() == "aws:securetransport" and any(
                v is False or (isinstance(v, str) and v.lower() == "false") for v in values
            ):
                return True
    return False


def _denies_insecure_transport(statement: dict[str, Any]) -> bool:
    """A statement ``Deny`` for everyone, all S3 actions, objects included, when not over TLS."""
    return (
        lower(get(statement, "Effect")) == "deny"
        and _applies_to_everyone_and_all_objects(statement)
        and _conditions_on_insecure_transport(get(statement, "Condition"))
    )


COMPUTED_VALUES: Final = "computedValues"
COMPUTED_VALUES_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "default": {},
    "description": (
        "What inputs unknown at preview compute to when the program runs with every output "
        "known ({inputs: {urn: {property path: value}}}), written by `python -m clover check`: "
        "a bucket policy that holds another resource's output (the site endpoint's id) is "
        "judged as it will be."
    ),
}


def _computed_policies(config: Any) -> dict[str, Any]:
    """URN -> the ``policy`` the offline check computed for it, from ``computedValues``."""
    given = config.get(COMPUTED_VALUES) if isinstance(config, dict) else None
    inputs = given.get("inputs") if isinstance(given, dict) else None
    if not isinstance(inputs, dict):
        return {}
    return {
        str(urn): paths["policy"]
        for urn, paths in inputs.items()
        if isinstance(paths, dict) and isinstance(paths.get("policy"), (str, dict))
    }


def tls_policy_problems(settings: Settings, computed: Any = None) -> list[str]:
    """Problems of one ``BucketPolicy`` (empty when it denies non-TLS access). ``computed`` is
    what the offline check computed for a ``policy`` unknown at preview, if anything."""
    document = parse_json_document(get(settings.props, "policy"))
    judged = ""
    if document is UNKNOWN and computed is not None:
        document = parse_json_document(computed)
        judged = (
            " (judged on the document the offline check computed with every output known; "
            "pulumi preview without the check's evidence sees it unknown and blocks)"
        )
    if document is UNKNOWN:
        return [
            "`policy` is unknown during preview, so it cannot be shown to deny plain HTTP "
            "(build the document from values known at preview, e.g. f'arn:aws:s3:::{name}/*', "
            "or give the packs the offline check's evidence: `clover check "
            "--write-pack-configs`)"
        ]
    if document is MISSING:
        return [f"`policy` is not a JSON policy document{judged}"]
    statements = get(document, "Statement")
    candidates = [statements] if isinstance(statements, dict) else list(iter_dicts(statements))
    if any(isinstance(s, dict) and _denies_insecure_transport(s) for s in candidates):
        return []
    return [
        f"`policy` has no statement denying requests where aws:SecureTransport is false{judged}"
    ]


def validate_s3_tls_policy(args: StackValidationArgs, report_violation: ReportViolation) -> None:
    computed = _computed_policies(args.get_config())
    check_buckets(
        args.resources,
        report_violation,
        rule=S3_TLS_POLICY,
        settings_types={S3_BUCKET_POLICY},
        kind="BucketPolicy",
        evaluate=lambda settings: tls_policy_problems(settings, computed.get(settings.urn)),
        expected=(
            'a BucketPolicy with a statement {"Effect": "Deny", "Principal": "*", '
            '"Action": "s3:*", "Resource": [bucket ARN, bucket ARN + "/*"], '
            '"Condition": {"Bool": {"aws:SecureTransport": "false"}}}'
        ),
    )


# -- AWS KMS: automatic rotation -------------------------------------------------------------------


def _max_rotation_days(args: ResourceValidationArgs) -> float:
    configured = as_number(args.get_config().get("maximumRotationPeriodInDays"))
    return configured if isinstance(configured, float) else float(DEFAULT_MAX_ROTATION_DAYS)


def validate_kms_key_rotation(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != KMS_KEY:
        return
    props = plain(args.props)
    spec = get(props, "customerMasterKeySpec")
    usage = get(props, "keyUsage")
    # AWS rotates only symmetric encryption keys; asymmetric and HMAC keys, and keys in a custom
    # key store, cannot rotate automatically (KMS developer guide, "Rotating AWS KMS keys"). Only a
    # known value exempts a key: an unknown or malformed one might be symmetric (fail closed).
    if (isinstance(spec, str) and spec != "SYMMETRIC_DEFAULT") or (
        isinstance(usage, str) and usage != "ENCRYPT_DECRYPT"
    ):
        return
    store = get(props, "customKeyStoreId")
    if isinstance(store, str) and store.strip():
        return
    rotation = as_bool(get(props, "enableKeyRotation"))
    if rotation is not True:
        report_violation(
            f"{KMS_ROTATION}: KMS key {args.name!r} has enableKeyRotation = {show(rotation)}"
            f"{_unknown_note(rotation)}; symmetric keys must set enableKeyRotation = true.",
            None,
        )
        return
    period = as_number(get(props, "rotationPeriodInDays"))
    limit = _max_rotation_days(args)
    if period is UNKNOWN or (isinstance(period, float) and period > limit):
        report_violation(
            f"{KMS_ROTATION}: KMS key {args.name!r} has rotationPeriodInDays = {show(period)}"
            f"{_unknown_note(period)}; allowed: at most {limit:g} days (unset means AWS's 365).",
            None,
        )


# -- Azure storage accounts: customer-managed keys, double encryption, TLS, HTTPS ------------------


def _storage_props(args: ResourceValidationArgs) -> Any:
    """The account's plain properties, or None when the resource is not a storage account."""
    return plain(args.props) if args.resource_type == AZURE_STORAGE_ACCOUNT else None


def validate_storage_cmk(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = _storage_props(args)
    if props is None:
        return
    source = get(props, "encryption", "keySource")
    # Azure compares keySource case-insensitively (storage KeySource enum documentation).
    if lower(source) != "microsoft.keyvault":
        report_violation(
            f"{STORAGE_CMK}: storage account {args.name!r} has encryption.keySource = "
            f"{show(source)}{_unknown_note(source)}; required: 'Microsoft.Keyvault' with "
            "encryption.keyVaultProperties naming a key in a Clover key vault (unset means "
            "Microsoft-managed keys).",
            None,
        )


def validate_storage_infrastructure_encryption(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    props = _storage_props(args)
    if props is None:
        return
    value = as_bool(get(props, "encryption", "requireInfrastructureEncryption"))
    if value is not True:
        report_violation(
            f"{STORAGE_INFRA_ENCRYPTION}: storage account {args.name!r} has "
            f"encryption.requireInfrastructureEncryption = {show(value)}{_unknown_note(value)}; "
            "required: true (it can only be set when the account is created).",
            None,
        )


def validate_storage_minimum_tls(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    props = _storage_props(args)
    if props is None:
        return
    version = get(props, "minimumTlsVersion")
    # Unset is refused on purpose: the API documents TLS 1.0 as the default interpretation.
    if as_str(version) not in ("TLS1_2", "TLS1_3"):
        report_violation(
            f"{STORAGE_TLS}: storage account {args.name!r} has minimumTlsVersion = "
            f"{show(version)}{_unknown_note(version)}; required: 'TLS1_2' (or 'TLS1_3'), set "
            "explicitly.",
            None,
        )


def validate_storage_https(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    props = _storage_props(args)
    if props is None:
        return
    value = as_bool(get(props, "enableHttpsTrafficOnly"))
    # The service default is true for new accounts, but an explicit value keeps the intent in review
    # and survives a provider or API-version change of defaults.
    if value is not True:
        report_violation(
            f"{STORAGE_HTTPS}: storage account {args.name!r} has enableHttpsTrafficOnly = "
            f"{show(value)}{_unknown_note(value)}; required: true, set explicitly.",
            None,
        )


# -- Azure Key Vault: purge protection, soft delete, RBAC; key rotation policies -------------------


def _vault_props(args: ResourceValidationArgs) -> Any:
    """The vault's ``properties`` (possibly UNKNOWN or MISSING), or None when not a key vault."""
    if args.resource_type != AZURE_KEY_VAULT:
        return None
    vault = get(plain(args.props), "properties")
    return MISSING if vault is None else vault


def validate_vault_purge_protection(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    vault = _vault_props(args)
    if vault is None:
        return
    value = as_bool(get(vault, "enablePurgeProtection"))
    if value is not True:
        report_violation(
            f"{VAULT_PURGE_PROTECTION}: key vault {args.name!r} has "
            f"properties.enablePurgeProtection = {show(value)}{_unknown_note(value)}; "
            "required: true.",
            None,
        )


def _unset(value: Any) -> bool:
    """Absent, or an explicit null (which the provider treats as absent)."""
    return value is MISSING or value is None


def _min_soft_delete_days(args: ResourceValidationArgs) -> float:
    configured = as_number(args.get_config().get("minimumRetentionInDays"))
    return configured if isinstance(configured, float) else float(DEFAULT_MIN_SOFT_DELETE_DAYS)


def validate_vault_soft_delete(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    vault = _vault_props(args)
    if vault is None:
        return
    enabled_raw = get(vault, "enableSoftDelete")
    enabled = as_bool(enabled_raw)
    # Unset means enabled: Azure turns soft delete on for every new vault and it cannot be undone.
    if enabled is UNKNOWN or enabled is False or (enabled is MISSING and not _unset(enabled_raw)):
        report_violation(
            f"{VAULT_SOFT_DELETE}: key vault {args.name!r} has properties.enableSoftDelete = "
            f"{show(enabled_raw)}{_unknown_note(enabled)}; required: true or unset.",
            None,
        )
    days_raw = get(vault, "softDeleteRetentionInDays")
    days = as_number(days_raw)
    minimum = _min_soft_delete_days(args)
    effective = float(AZURE_SOFT_DELETE_DEFAULT_DAYS) if _unset(days_raw) else days
    if not isinstance(effective, float) or effective < minimum:
        report_violation(
            f"{VAULT_SOFT_DELETE}: key vault {args.name!r} has "
            f"properties.softDeleteRetentionInDays = {show(days_raw)}{_unknown_note(days)}; "
            f"required: at least {minimum:g} days (unset means Azure's "
            f"{AZURE_SOFT_DELETE_DEFAULT_DAYS}).",
            None,
        )


def validate_vault_rbac(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
    vault = _vault_props(args)
    if vault is None:
        return
    value = as_bool(get(vault, "enableRbacAuthorization"))
    # Unset means access policies: the API documents false as the default.
    if value is not True:
        report_violation(
            f"{VAULT_RBAC}: key vault {args.name!r} has properties.enableRbacAuthorization = "
            f"{show(value)}{_unknown_note(value)}; required: true (data-plane access through "
            "Azure RBAC role assignments, not vault access policies).",
            None,
        )


def validate_key_rotation_policy(
    args: ResourceValidationArgs, report_violation: ReportViolation
) -> None:
    if args.resource_type != AZURE_KEY_VAULT_KEY:
        return
    props = plain(args.props)
    actions = get(props, "properties", "rotationPolicy", "lifetimeActions")
    found_unknown = actions is UNKNOWN
    for action in iter_dicts(actions):
        if action is UNKNOWN:
            found_unknown = True
            continue
        kind = lower(get(action, "action", "type"))
        trigger = get(action, "trigger")
        has_trigger = any(
            isinstance(get(trigger, t), str) or get(trigger, t) is UNKNOWN
            for t in ("timeAfterCreate", "timeBeforeExpiry")
        )
        if kind == "rotate" and has_trigger:
            return
        found_unknown = found_unknown or kind is UNKNOWN
    report_violation(
        f"{KEY_ROTATION_POLICY}: key vault key {args.name!r} has no rotation policy with a "
        "'rotate' lifetime action and a trigger"
        f"{_unknown_note(UNKNOWN) if found_unknown else ''}; required: "
        "properties.rotationPolicy.lifetimeActions containing "
        "{action: {type: 'rotate'}, trigger: {timeAfterCreate | timeBeforeExpiry}}.",
        None,
    )


# -- The policies ----------------------------------------------------------------------------------

POLICIES: Final[list[Policy]] = [
    stack_rule(
        S3_KMS_ENCRYPTION,
        description=(
            "Every S3 bucket is encrypted at rest with SSE-KMS under a customer-managed key, with "
            "S3 Bucket Keys on. Mandatory: with SSE-S3 or the AWS-managed aws/s3 key Clover cannot "
            "restrict, audit or revoke decryption of user data, and this is only expressible "
            "across resources, so nothing else catches it."
        ),
        validate=validate_s3_kms_encryption,
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.HIGH,
        remediation_steps=(
            "Create an aws.s3.BucketServerSideEncryptionConfiguration for the bucket with "
            "bucket=<bucket>.id and one rule: apply_server_side_encryption_by_default="
            "{sse_algorithm: 'aws:kms', kms_master_key_id: <aws.kms.Key>.arn}, "
            "bucket_key_enabled=True."
        ),
    ),
    stack_rule(
        S3_TLS_POLICY,
        description=(
            "Every S3 bucket has a bucket policy that denies any request not made over TLS. "
            "Mandatory: S3 still accepts plain HTTP on its REST endpoints, and a single clear-text "
            "read exposes user data on the wire."
        ),
        validate=validate_s3_tls_policy,
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.HIGH,
        remediation_steps=(
            "Add an aws.s3.BucketPolicy with bucket=<bucket>.id and a statement "
            '{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": '
            '["arn:aws:s3:::<name>", "arn:aws:s3:::<name>/*"], "Condition": {"Bool": '
            '{"aws:SecureTransport": "false"}}}; build it from the bucket name so it is known at '
            "preview, or give the packs the offline check's evidence (clover check "
            "--write-pack-configs)."
        ),
        config_schema=PolicyConfigSchema(properties={COMPUTED_VALUES: COMPUTED_VALUES_SCHEMA}),
    ),
    resource_rule(
        KMS_ROTATION,
        description=(
            "Symmetric KMS keys rotate their key material automatically, at least yearly by "
            "default. Mandatory: rotation is free to enable, never breaks decryption of old data, "
            "and limits how much data one leaked key version exposes."
        ),
        validate=validate_kms_key_rotation,
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.MEDIUM,
        config_schema=PolicyConfigSchema(
            properties={
                "maximumRotationPeriodInDays": {
                    "type": "integer",
                    "minimum": 90,
                    "maximum": 2560,
                    "default": DEFAULT_MAX_ROTATION_DAYS,
                    "description": "Longest allowed rotationPeriodInDays (AWS allows 90-2560).",
                }
            }
        ),
        remediation_steps=(
            "Set enable_key_rotation=True on the aws.kms.Key (and, if set, rotation_period_in_days "
            "no longer than the configured maximum)."
        ),
    ),
    resource_rule(
        STORAGE_CMK,
        description=(
            "Azure storage accounts encrypt with a customer-managed key from Key Vault. Mandatory: "
            "with Microsoft-managed keys Clover cannot revoke access to the data or prove where "
            "the key lives."
        ),
        validate=validate_storage_cmk,
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.HIGH,
        remediation_steps=(
            "Set encryption={key_source: 'Microsoft.Keyvault', key_vault_properties: {key_name, "
            "key_vault_uri}} with a user-assigned identity that may use the key."
        ),
    ),
    resource_rule(
        STORAGE_INFRA_ENCRYPTION,
        description=(
            "Azure storage accounts enable infrastructure (double) encryption. Mandatory: it can "
            "only be chosen when the account is created, so a miss is costly to fix later."
        ),
        validate=validate_storage_infrastructure_encryption,
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.MEDIUM,
        remediation_steps="Set encryption.require_infrastructure_encryption=True.",
    ),
    resource_rule(
        STORAGE_TLS,
        description=(
            "Azure storage accounts refuse TLS below 1.2, set explicitly. Mandatory: the API "
            "documents TLS 1.0 as the interpretation of an unset value, and TLS 1.0/1.1 are broken."
        ),
        validate=validate_storage_minimum_tls,
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.HIGH,
        remediation_steps="Set minimum_tls_version='TLS1_2' on the storage account.",
    ),
    resource_rule(
        STORAGE_HTTPS,
        description=(
            "Azure storage accounts accept HTTPS only, set explicitly. Mandatory: plain HTTP "
            "would carry user data in clear text; an explicit value does not depend on the "
            "API version's default."
        ),
        validate=validate_storage_https,
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.HIGH,
        remediation_steps="Set enable_https_traffic_only=True on the storage account.",
    ),
    resource_rule(
        VAULT_PURGE_PROTECTION,
        description=(
            "Key vaults have purge protection. Mandatory: without it a deleted vault or key can be "
            "purged at once, which makes every piece of data encrypted under it unreadable."
        ),
        validate=validate_vault_purge_protection,
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.HIGH,
        remediation_steps="Set properties.enable_purge_protection=True (irreversible by design).",
    ),
    resource_rule(
        VAULT_SOFT_DELETE,
        description=(
            "Key vaults keep soft delete on with a retention of at least the configured minimum "
            "(default 90 days). Mandatory: the retention is the window in which a deleted key, and "
            "so the data encrypted with it, can still be recovered."
        ),
        validate=validate_vault_soft_delete,
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.MEDIUM,
        config_schema=PolicyConfigSchema(
            properties={
                "minimumRetentionInDays": {
                    "type": "integer",
                    "minimum": 7,
                    "maximum": 90,
                    "default": DEFAULT_MIN_SOFT_DELETE_DAYS,
                    "description": "Smallest allowed softDeleteRetentionInDays (Azure: 7-90).",
                }
            }
        ),
        remediation_steps=(
            "Leave properties.enable_soft_delete unset or True and set "
            "properties.soft_delete_retention_in_days to at least the configured minimum."
        ),
    ),
    resource_rule(
        VAULT_RBAC,
        description=(
            "Key vaults authorize data-plane access with Azure RBAC, not access policies. "
            "Advisory by default: access policies still work, and switching an existing vault "
            "before role assignments exist locks its users out; production stacks make it "
            "mandatory in their policy config."
        ),
        validate=validate_vault_rbac,
        enforcement_level=EnforcementLevel.ADVISORY,
        severity=Severity.MEDIUM,
        remediation_steps=(
            "Grant 'Key Vault Crypto User' (or narrower) role assignments, then set "
            "properties.enable_rbac_authorization=True."
        ),
    ),
    resource_rule(
        KEY_ROTATION_POLICY,
        description=(
            "Key vault keys carry a rotation policy with a 'rotate' lifetime action. Mandatory: "
            "Key Vault never rotates a key without one, so the same key material would protect "
            "user data indefinitely."
        ),
        validate=validate_key_rotation_policy,
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.MEDIUM,
        remediation_steps=(
            "Set properties.rotation_policy={lifetime_actions: [{action: {type: 'rotate'}, "
            "trigger: {time_after_create: 'P90D'}}], attributes: {expiry_time: 'P1Y'}}."
        ),
    ),
]
