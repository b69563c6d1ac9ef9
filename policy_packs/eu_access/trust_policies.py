"""IAM role trust policies admit only the allowed accounts, listed principals and bound services.

Whoever may assume a role holds its permissions; a role that can read or decrypt a data store and
is assumable from another account, by anyone (``"*"``), or by a service acting for any account's
resource (confused deputy) opens European user data to the world.
https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Final

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

if TYPE_CHECKING:
    from policy_packs.eu_access.access_common import (
        ALLOWED_ACCOUNTS_SCHEMA,
        ARN_LIST_SCHEMA,
        DocumentError,
        Principal,
        Statement,
        allowed_accounts,
        bounded_to,
        config_strings,
        describe_accounts,
        parse_document,
        principal_account,
        principal_finding,
        read_property,
        schema,
        stack_principals,
    )
    from policy_packs.eu_access.rulekit import resource_rule
else:
    from access_common import (
        ALLOWED_ACCOUNTS_SCHEMA,
        ARN_LIST_SCHEMA,
        DocumentError,
        Principal,
        Statement,
        allowed_accounts,
        bounded_to,
        config_strings,
        describe_accounts,
        parse_document,
        principal_account,
        principal_finding,
        read_property,
        schema,
        stack_principals,
    )
    from rulekit import resource_rule

TRUST_RESTRICTED: Final = "aws-iam-role-trust-restricted"
ROLE: Final = "aws:iam/role:Role"
TRUST_DOCUMENTS: Final = {
    ROLE: "assumeRolePolicy",
    "aws-native:iam:Role": "assumeRolePolicyDocument",
}
"""Role type -> the input that holds its trust policy (pulumi-aws v7, aws-native)."""

PASSED_ROLE_SERVICES: Final = (
    "apigateway.amazonaws.com",
    "appsync.amazonaws.com",
    "backup.amazonaws.com",
    "batch.amazonaws.com",
    "build.apprunner.amazonaws.com",
    "codebuild.amazonaws.com",
    "codedeploy.amazonaws.com",
    "codepipeline.amazonaws.com",
    "dms.amazonaws.com",
    "ec2.amazonaws.com",
    "ecs-tasks.amazonaws.com",
    "edgelambda.amazonaws.com",
    "eks-fargate-pods.amazonaws.com",
    "eks.amazonaws.com",
    "elasticmapreduce.amazonaws.com",
    "glue.amazonaws.com",
    "lambda.amazonaws.com",
    "monitoring.rds.amazonaws.com",
    "pods.eks.amazonaws.com",
    "redshift.amazonaws.com",
    "sagemaker.amazonaws.com",
    "spotfleet.amazonaws.com",
    "states.amazonaws.com",
    "tasks.apprunner.amazonaws.com",
)
"""The reviewed default of ``exemptServicePrincipals``: execution roles. Each of these services
uses a role only after a principal of the role's own account handed it over with ``iam:PassRole``
(creating the function, task definition, instance profile, project, state machine, ...), which
another account cannot do, so the confused deputy that ``aws:SourceAccount``/``aws:SourceArn``
guard against is already excluded; EC2, Lambda and ECS tasks do not send those keys when they
assume an execution role. Services that act on resources of their own (delivery, replication,
notification roles) are not in the list and still need the keys.
https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_use_passrole.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html"""


def _admits(value: str, accounts: frozenset[str], listed: frozenset[str]) -> bool:
    return value in listed or principal_account(value) in accounts


_REGIONAL_SERVICE: Final = re.compile(
    r"^([a-z0-9-]+)\.[a-z]{2}(?:-gov)?-[a-z]+-\d+\.amazonaws\.com$"
)


def _service_name(value: str) -> str:
    """A regional service principal (``states.eu-west-1.amazonaws.com``, which older
    documentation uses) names the same service as its global form."""
    match = _REGIONAL_SERVICE.match(value.strip().lower())
    return f"{match.group(1)}.amazonaws.com" if match else value


def _external_id_bound(
    statement: Statement, principal: Principal, accounts: frozenset[str]
) -> bool:
    """A service bound by ``sts:ExternalId`` naming an allowed account: the form Kinesis Data
    Firehose documents for its delivery role, which it assumes sending the stream's account as
    the external id, so another account's stream cannot use the role.
    https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html"""
    return principal.kind == "Service" and bounded_to(
        statement, "sts:ExternalId", lambda v: v in accounts
    )


def trust_findings(
    statements: list[Statement],
    accounts: frozenset[str],
    listed: frozenset[str],
    exempt_services: frozenset[str],
) -> list[str]:
    findings: list[str] = []
    for statement in statements:
        if not statement.allow:
            continue
        where = f"statement {statement.label}"
        if statement.broad:
            # "*" is acceptable only when a condition narrows the callers to admitted principals.
            narrowed = bounded_to(
                statement, "aws:PrincipalArn", lambda v: _admits(v, accounts, listed)
            ) or bounded_to(statement, "aws:PrincipalAccount", lambda v: v in accounts)
            if not narrowed:
                findings.append(
                    f'{where} lets every AWS principal ("*" or NotPrincipal) assume the role '
                    "without an aws:PrincipalArn or aws:PrincipalAccount condition naming only "
                    f"allowed accounts (allowed: {describe_accounts(accounts)})"
                )
            continue
        if not statement.principals:
            findings.append(f"{where} has no Principal, which a trust policy needs")
        for principal in statement.principals:
            if principal.value in listed or _external_id_bound(statement, principal, accounts):
                continue
            if principal.kind == "Service" and _service_name(principal.value) in exempt_services:
                continue
            finding = principal_finding(statement, principal, accounts, exempt_services, "trusts")
            if finding is not None:
                findings.append(finding)
    return findings


def validate_trust_restricted(args: ResourceValidationArgs, report: ReportViolation) -> None:
    key = TRUST_DOCUMENTS.get(args.resource_type)
    if key is None:
        return
    config: Any = args.get_config()
    accounts, source = allowed_accounts(config, args.provider)
    head = f"{TRUST_RESTRICTED}: {args.resource_type} {args.name}"
    document = read_property(args, key)
    if document is None or document == "":
        report(f"{head}: {key} is not set", None)
        return
    try:
        statements = parse_document(document)
    except DocumentError as err:
        report(f"{head}: {err}; treated as trusting anyone (fail closed)", None)
        return
    for finding in trust_findings(
        statements,
        accounts,
        frozenset(config_strings(config, "allowedPrincipals")) | stack_principals(args, statements),
        frozenset(
            config_strings(config, "exemptServicePrincipals")
            if "exemptServicePrincipals" in config
            else PASSED_ROLE_SERVICES
        ),
    ):
        report(f"{head}: {finding}. Allowed accounts from {source}.", None)


POLICIES: Final = [
    resource_rule(
        TRUST_RESTRICTED,
        description=(
            "IAM role trust policies admit only principals of the allowed accounts, listed "
            "principals, and AWS services bound by aws:SourceAccount or aws:SourceArn; never "
            "every principal without a condition. Mandatory: whoever assumes a role holds its "
            "access to the data."
        ),
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.CRITICAL,
        remediation_steps=(
            "Trust principals of the allowed accounts (allowedAccountIds or the provider's) or "
            "list them in allowedPrincipals; add aws:SourceAccount/aws:SourceArn to service "
            'principals; replace "*" with the principals, or narrow it with aws:PrincipalArn.'
        ),
        config_schema=schema(
            allowedAccountIds=ALLOWED_ACCOUNTS_SCHEMA,
            allowedPrincipals={
                **ARN_LIST_SCHEMA,
                "description": "Principals (ARNs, federated providers) trusted in any account.",
            },
            exemptServicePrincipals={
                **ARN_LIST_SCHEMA,
                "default": list(PASSED_ROLE_SERVICES),
                "description": (
                    "Service principals trusted without aws:SourceAccount/SourceArn. Default: "
                    "services that use a role only when a principal of its own account passes it "
                    "(iam:PassRole): execution roles of Lambda, ECS tasks, EC2, CodeBuild, ..."
                ),
            },
        ),
        validate=validate_trust_restricted,
    )
]
