"""KMS key policies: the account root does not administer the key, and grants go to AWS resources.

A key policy that gives the account root ``kms:*`` (the default key policy), ``kms:CreateGrant`` or
``kms:PutKeyPolicy`` lets any IAM identity of the account that an identity policy allows take the
key over: rewrite its policy or grant its use to anyone, including another account.
https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html
A grant not bound by ``kms:GrantIsForAWSResource`` can hand key use to any principal.
https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

if TYPE_CHECKING:
    from policy_packs.eu_access.access_common import (
        ARN_LIST_SCHEMA,
        DocumentError,
        Statement,
        bounded_to,
        config_strings,
        grants,
        grants_everything_of,
        is_root,
        parse_document,
        read_property,
        schema,
    )
    from policy_packs.eu_access.rulekit import resource_rule
else:
    from access_common import (
        ARN_LIST_SCHEMA,
        DocumentError,
        Statement,
        bounded_to,
        config_strings,
        grants,
        grants_everything_of,
        is_root,
        parse_document,
        read_property,
        schema,
    )
    from rulekit import resource_rule

ROOT_NOT_ADMIN: Final = "aws-kms-key-policy-root-not-admin"
KEY_TYPES: Final = frozenset({"aws:kms/key:Key", "aws:kms/keyPolicy:KeyPolicy"})
ADMIN_ACTIONS: Final = ("kms:CreateGrant", "kms:PutKeyPolicy")


def _grant_bound(statement: Statement) -> bool:
    """``Bool`` ``kms:GrantIsForAWSResource`` is true (an IfExists form passes when absent)."""
    values = statement.conditions.get("bool", {}).get("kms:grantisforawsresource", ())
    return bool(values) and all(
        v is True or (isinstance(v, str) and v.lower() == "true") for v in values
    )


def key_findings(statements: list[Statement], key_admins: frozenset[str]) -> list[str]:
    findings: list[str] = []
    for statement in statements:
        if not statement.allow:
            continue
        where = f"statement {statement.label}"
        dangerous = [a for a in ADMIN_ACTIONS if grants(statement, a)]
        if grants_everything_of(statement, "kms"):
            dangerous.insert(0, "kms:*")
        root = statement.broad or any(
            p.kind == "AWS" and is_root(p.value) for p in statement.principals
        )
        if dangerous and root:
            # The root principal stands for every identity of the account; only a condition
            # naming the configured key-admin roles narrows it to them.
            to_admins = bool(key_admins) and bounded_to(
                statement, "aws:PrincipalArn", lambda v: v in key_admins
            )
            if not to_admins:
                fix = (
                    "narrow the statement with aws:PrincipalArn to the roles in keyAdminRoleArns"
                    if key_admins
                    else "configure keyAdminRoleArns and give these actions only to those roles"
                )
                findings.append(
                    f"{where} gives the account root {', '.join(dangerous)}: any identity of the "
                    f"account could take the key over; {fix}"
                )
        if grants(statement, "kms:CreateGrant") and not _grant_bound(statement):
            findings.append(
                f"{where} allows kms:CreateGrant without the condition "
                "Bool kms:GrantIsForAWSResource = true: a grant could hand key use to anyone"
            )
    return findings


def validate_root_not_admin(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type not in KEY_TYPES:
        return
    config: Any = args.get_config()
    head = f"{ROOT_NOT_ADMIN}: {args.resource_type} {args.name}"
    document = read_property(args, "policy")
    if document is None or document == "":
        # A key without a policy gets the default key policy, which gives the root kms:*.
        report(
            f"{head}: policy is not set, so KMS applies the default key policy, which gives "
            "the account root kms:*; write a key policy that names the key-admin roles",
            None,
        )
        return
    try:
        statements = parse_document(document)
    except DocumentError as err:
        report(f"{head}: {err}; treated as giving the root kms:* (fail closed)", None)
        return
    for finding in key_findings(statements, frozenset(config_strings(config, "keyAdminRoleArns"))):
        report(f"{head}: {finding}.", None)


POLICIES: Final = [
    resource_rule(
        ROOT_NOT_ADMIN,
        description=(
            "KMS key policies give the account root neither kms:*, kms:CreateGrant nor "
            "kms:PutKeyPolicy (only roles listed in keyAdminRoleArns administer the key), and "
            "every kms:CreateGrant requires kms:GrantIsForAWSResource. Mandatory: either opens "
            "the key that protects European user data to any identity."
        ),
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.HIGH,
        remediation_steps=(
            "List the key-admin roles in keyAdminRoleArns and give administrative actions only "
            "to them (by Principal, or the root with an aws:PrincipalArn condition naming them); "
            "list admin actions explicitly instead of kms:Create*/kms:Put*; put kms:CreateGrant "
            "in its own statement with Bool kms:GrantIsForAWSResource = true."
        ),
        config_schema=schema(
            keyAdminRoleArns={
                **ARN_LIST_SCHEMA,
                "description": "Roles that may administer keys (an aws:PrincipalArn condition).",
            }
        ),
        validate=validate_root_not_admin,
    )
]
