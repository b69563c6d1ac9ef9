"""Data-store resource policies grant nothing outside the allowed accounts and the gateways.

A resource policy can admit principals of any AWS account, and ``"*"`` admits every principal in
the world; the data of a European site must be reached only by the site's own accounts and through
its gateways (issue 12). Deny statements grant nothing and are not judged here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Final

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

# The CLI runs the pack with this directory first on sys.path, so sibling modules are imported
# as top-level modules; the type checker sees the repository layout instead.
if TYPE_CHECKING:
    from policy_packs.eu_access.access_common import (
        ALLOWED_ACCOUNTS_SCHEMA,
        ARN_LIST_SCHEMA,
        UNKNOWN,
        DocumentError,
        Statement,
        allowed_accounts,
        bounded_to,
        built_on_stack_output,
        config_strings,
        grants,
        has_key,
        is_root,
        parse_document,
        principal_account,
        principal_finding,
        read_inputs,
        read_property,
        schema,
        stack_principals,
    )
    from policy_packs.eu_access.rulekit import resource_rule
else:
    from access_common import (
        ALLOWED_ACCOUNTS_SCHEMA,
        ARN_LIST_SCHEMA,
        UNKNOWN,
        DocumentError,
        Statement,
        allowed_accounts,
        bounded_to,
        built_on_stack_output,
        config_strings,
        grants,
        has_key,
        is_root,
        parse_document,
        principal_account,
        principal_finding,
        read_inputs,
        read_property,
        schema,
        stack_principals,
    )
    from rulekit import resource_rule

NO_FOREIGN_PRINCIPALS: Final = "aws-s3-bucket-policy-no-foreign-principals"

# Type token -> whether the policy input is required (a dedicated policy resource) or optional
# (an inline policy; absent means the store has no resource policy, which grants nothing).
POLICY_TYPES: Final = {
    "aws:s3/bucketPolicy:BucketPolicy": True,
    "aws:s3/bucket:Bucket": False,
    "aws:kms/key:Key": False,
    "aws:kms/keyPolicy:KeyPolicy": True,
    "aws:secretsmanager/secretPolicy:SecretPolicy": True,
    "aws:secretsmanager/secret:Secret": False,
    "aws:sqs/queuePolicy:QueuePolicy": True,
    "aws:sqs/queue:Queue": False,
    "aws:sns/topicPolicy:TopicPolicy": True,
    "aws:sns/topic:Topic": False,
}


def gateway_bound(
    statement: Statement,
    gateway_roles: frozenset[str],
    stack_output: Callable[[str], bool] = lambda _: False,
) -> bool:
    """A gateway condition: ``aws:SourceVpce`` names endpoints (``vpce-...``, or the id of an
    endpoint of this stack, which the offline check computed: ``stack_output``), or
    ``aws:PrincipalArn`` names only listed gateway roles. ``aws:VpcSourceIp`` is an address range,
    not an endpoint: any VPC with an overlapping CIDR matches it, so it is not one."""
    if bounded_to(statement, "aws:SourceVpce", lambda v: v.startswith("vpce-") or stack_output(v)):
        return True
    return bool(gateway_roles) and bounded_to(
        statement, "aws:PrincipalArn", lambda v: v in gateway_roles
    )


DATA_READ_ACTIONS: Final = (
    "s3:GetObject",
    "s3:GetObjectVersion",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:GenerateDataKey",
    "secretsmanager:GetSecretValue",
    "sqs:ReceiveMessage",
    "sns:Subscribe",
)
"""Actions that hand a store's content (objects, plaintext or data keys, secret values, messages) to
the caller; a statement granting any of them, by name or by a wildcard that covers it, reads data.
Metadata (listing, describing, tags) is not content."""


def _reads_data(statement: Statement) -> list[str]:
    return [action for action in DATA_READ_ACTIONS if grants(statement, action)]


def _narrowed_to_named_principals(statement: Statement, accounts: frozenset[str]) -> bool:
    """``aws:PrincipalArn`` names only exact principals of the allowed accounts: the grant to the
    account then reaches those identities, not every principal of the account."""
    return bounded_to(
        statement,
        "aws:PrincipalArn",
        lambda v: "*" not in v and "?" not in v and principal_account(v) in accounts,
    )


def account_wide_reads(
    statement: Statement,
    accounts: frozenset[str],
    gateway_roles: frozenset[str],
    stack_output: Callable[[str], bool] = lambda _: False,
) -> str | None:
    """Why a grant to whole allowed accounts (the account principal stands for every identity in
    it) reads data from anywhere; None when it does not. Reading must come through a gateway:
    ``aws:SourceVpce`` of an endpoint, or ``aws:PrincipalArn`` naming the identities."""
    accounts_named = sorted(
        {
            principal.value
            for principal in statement.principals
            if principal.kind == "AWS"
            and is_root(principal.value)
            and principal_account(principal.value) in accounts
        }
    )
    if not accounts_named:
        return None
    reads = _reads_data(statement)
    if not reads:
        return None
    if gateway_bound(statement, gateway_roles, stack_output) or _narrowed_to_named_principals(
        statement, accounts
    ):
        return None
    return (
        f"statement {statement.label} lets every principal of {', '.join(accounts_named)} "
        f"read the data ({', '.join(reads)}) from anywhere: add aws:SourceVpce of the site's "
        "endpoint, or name the roles (aws:PrincipalArn, or as principals) that read through the "
        "gateway"
    )


def foreign_grants(
    statements: list[Statement],
    accounts: frozenset[str],
    listed: frozenset[str],
    gateway_roles: frozenset[str],
    exempt_services: frozenset[str],
    *,
    endpoint: bool = False,
    stack_output: Callable[[str], bool] = lambda _: False,
) -> list[str]:
    """What each Allow statement grants outside the allowed accounts and the gateways.

    An ``endpoint`` policy bounds what passes through a VPC endpoint, which is the gateway
    itself: there ``"*"`` narrowed to the allowed accounts (``aws:PrincipalAccount``, the account
    perimeter) is the expected form, and reads through it need no further condition.
    """
    findings: list[str] = []
    for statement in statements:
        if not statement.allow:
            continue
        where = f"statement {statement.label}"
        if statement.broad:
            if endpoint and bounded_to(statement, "aws:PrincipalAccount", lambda v: v in accounts):
                continue
            if not gateway_bound(statement, gateway_roles, stack_output):
                vpc_ip = (
                    " (aws:VpcSourceIp alone is not a gateway condition)"
                    if has_key(statement, "aws:VpcSourceIp")
                    else ""
                )
                findings.append(
                    f'{where} allows every principal ("*" or NotPrincipal) without a gateway '
                    f"condition{vpc_ip}; require aws:SourceVpce of the site's endpoint or an "
                    "aws:PrincipalArn naming a listed gateway role (gatewayRoleArns)"
                )
            continue
        if not statement.principals:
            findings.append(f"{where} has no Principal, which a resource policy needs")
        for principal in statement.principals:
            if principal.value in listed:
                continue
            finding = principal_finding(
                statement, principal, accounts, exempt_services, "grants to"
            )
            if finding is not None:
                findings.append(finding)
        account_wide = (
            None
            if endpoint
            else account_wide_reads(statement, accounts, gateway_roles, stack_output)
        )
        if account_wide is not None:
            findings.append(account_wide)
    return findings


RESOURCE_POLICY_KEYS: Final = frozenset(
    {"policy", "accessPolicy", "accessPolicies", "resourcePolicy", "policyDocument", "policyText"}
)
"""Input names that hold a resource policy on any AWS type (ECR, EFS, Backup, Glacier, OpenSearch,
Glue, EventBridge, CloudWatch Logs, API Gateway, DynamoDB, S3 access points, ...): a value there
that is unknown at preview is judged as a grant to anyone (fail closed)."""
ENDPOINT_TYPES: Final = frozenset(
    {"aws:ec2/vpcEndpoint:VpcEndpoint", "aws:ec2/vpcEndpointPolicy:VpcEndpointPolicy"}
)
"""VPC endpoint policies: judged as the gateway's perimeter, not as a data store's policy."""
_SKIPPED_PREFIXES: Final = ("aws:iam/", "aws-native:iam:")
"""IAM identity policies name no principal; a role's trust policy is the trust rule's."""


def embedded_documents(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every resource policy in a resource's inputs, at any depth, with its property path: JSON
    text or an object whose statements name a Principal or NotPrincipal, and every unknown value
    under a key of :data:`RESOURCE_POLICY_KEYS`."""
    key = path.rsplit(".", 1)[-1].split("[", 1)[0]
    if value is UNKNOWN:
        if key in RESOURCE_POLICY_KEYS:
            yield path, value
        return
    if isinstance(value, str):
        text = value.strip()
        if not (text.startswith("{") and "Statement" in text and "rincipal" in text):
            return
        try:
            parsed = json.loads(text)
        except (ValueError, RecursionError):
            if key in RESOURCE_POLICY_KEYS:
                yield path, value
            return
        if _names_principals(parsed):
            yield path, value
        return
    if isinstance(value, dict):
        if _names_principals(value):
            yield path, value
            return
        for name, item in value.items():
            yield from embedded_documents(item, f"{path}.{name}" if path else name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from embedded_documents(item, f"{path}[{index}]")


def _names_principals(document: Any) -> bool:
    if not isinstance(document, dict):
        return False
    statements = document.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    # IAM's statement shape: an Effect and a Principal. Other languages that borrow the words (an
    # SNS data protection policy's statements have a Principal and an Operation, no Effect) are
    # not access policies.
    return isinstance(statements, list) and any(
        isinstance(s, dict) and "Effect" in s and ("Principal" in s or "NotPrincipal" in s)
        for s in statements
    )


def _documents(args: ResourceValidationArgs) -> list[tuple[str, Any]]:
    """The resource policies to judge: the known policy input of the data stores (required or
    optional), and on every other AWS type each resource policy found in its inputs."""
    required = POLICY_TYPES.get(args.resource_type)
    if required is not None:
        document = read_property(args, "policy")
        if document is None or document == "":
            return [("policy", None)] if required else []
        return [("policy", document)]
    if not args.resource_type.startswith(("aws:", "aws-native:")) or (
        args.resource_type.startswith(_SKIPPED_PREFIXES)
    ):
        return []
    found: list[tuple[str, Any]] = []
    for name, value in read_inputs(args).items():
        found.extend(embedded_documents(value, name))
    return found


def validate_no_foreign_principals(args: ResourceValidationArgs, report: ReportViolation) -> None:
    documents = _documents(args)
    if not documents:
        return
    config: Any = args.get_config()
    accounts, source = allowed_accounts(config, args.provider)
    head = f"{NO_FOREIGN_PRINCIPALS}: {args.resource_type} {args.name}"
    for path, document in documents:
        where = head if args.resource_type in POLICY_TYPES else f"{head}: {path}"
        if document is None:
            report(f"{where}: policy is not set; a policy resource needs a document", None)
            continue
        try:
            statements = parse_document(document)
        except DocumentError as err:
            report(f"{where}: {err}; treated as a grant to anyone (fail closed)", None)
            continue
        findings = foreign_grants(
            statements,
            accounts,
            frozenset(config_strings(config, "allowedPrincipals"))
            | stack_principals(args, statements),
            frozenset(config_strings(config, "gatewayRoleArns")),
            frozenset(config_strings(config, "exemptServicePrincipals")),
            endpoint=args.resource_type in ENDPOINT_TYPES,
            stack_output=lambda value: built_on_stack_output(args, value),
        )
        for finding in findings:
            report(f"{where}: {finding}. Allowed accounts from {source}.", None)


POLICIES: Final = [
    resource_rule(
        NO_FOREIGN_PRINCIPALS,
        description=(
            "Resource policies of data stores (S3 buckets, KMS keys, Secrets Manager secrets, SQS "
            "queues, SNS topics) grant nothing to principals outside the allowed accounts, "
            "nothing to every principal without a gateway condition (aws:SourceVpce, or "
            "aws:PrincipalArn of a listed gateway role), and no data reads to a whole account "
            "without aws:SourceVpce or aws:PrincipalArn naming its readers. Mandatory: such a "
            "grant reaches European user data from outside the site or its gateways."
        ),
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.CRITICAL,
        remediation_steps=(
            "Name only principals of the allowed accounts (allowedAccountIds, or the provider's "
            "allowedAccountIds); bind service principals with aws:SourceAccount or aws:SourceArn; "
            'give "*" only with aws:SourceVpce of the site\'s endpoint or aws:PrincipalArn of a '
            "gateway role listed in gatewayRoleArns; grant reads to named roles, not to the "
            "account principal."
        ),
        config_schema=schema(
            allowedAccountIds=ALLOWED_ACCOUNTS_SCHEMA,
            allowedPrincipals={
                **ARN_LIST_SCHEMA,
                "description": "Principals (exact ARNs or names) admitted whatever their account.",
            },
            gatewayRoleArns={
                **ARN_LIST_SCHEMA,
                "description": 'Gateway roles an aws:PrincipalArn condition may name for "*".',
            },
            exemptServicePrincipals={
                **ARN_LIST_SCHEMA,
                "description": "Service principals admitted without aws:SourceAccount/SourceArn.",
            },
        ),
        validate=validate_no_foreign_principals,
    )
]
