"""Data shared by naming a grantee: KMS grants, snapshot and image permissions, RAM shares, ...

Besides policy documents, AWS lets a resource hand data to another principal through a plain
input: a KMS grant's grantee decrypts with the key, an account in a snapshot's ``sharedAccounts``
restores the database, a RAM association shares whatever the share holds, a peering connection
opens a network path to another account's VPC. Each such input is listed in :data:`GRANTEES`
(a meta-test keeps the table true to the installed pulumi-aws); a grantee outside the allowed
accounts, everyone (``"*"``, ``all``), a whole organization, or a value the rule cannot tell (or
that is unknown at preview) is a violation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, Final

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)

if TYPE_CHECKING:
    from policy_packs.eu_access.access_common import (
        ACCOUNT_ID,
        ALLOWED_ACCOUNTS_SCHEMA,
        ARN_LIST_SCHEMA,
        PROVEN_OUTPUTS,
        PROVEN_OUTPUTS_SCHEMA,
        UNKNOWN,
        UNKNOWN_NOTE,
        allowed_accounts,
        arn_account,
        built_on_stack_output,
        config_strings,
        describe_accounts,
        proven_output,
        read_inputs,
        read_property,
        schema,
        show,
    )
    from policy_packs.eu_access.rulekit import resource_rule
else:
    from access_common import (
        ACCOUNT_ID,
        ALLOWED_ACCOUNTS_SCHEMA,
        ARN_LIST_SCHEMA,
        PROVEN_OUTPUTS,
        PROVEN_OUTPUTS_SCHEMA,
        UNKNOWN,
        UNKNOWN_NOTE,
        allowed_accounts,
        arn_account,
        built_on_stack_output,
        config_strings,
        describe_accounts,
        proven_output,
        read_inputs,
        read_property,
        schema,
        show,
    )
    from rulekit import resource_rule

SHARED_ONLY_WITHIN: Final = "aws-data-shared-only-with-allowed-accounts"

GRANTEES: Final[dict[str, tuple[str, ...]]] = {
    # Whoever a grant names uses the key (decrypts) or retires the grant.
    "aws:kms/grant:Grant": ("granteePrincipal", "retiringPrincipal"),
    # Who may invoke the function (and get what it returns).
    "aws:lambda/permission:Permission": ("principal", "principalOrgId"),
    # Accounts that may restore or copy the snapshot; "all" makes it public.
    "aws:rds/snapshot:Snapshot": ("sharedAccounts",),
    "aws:rds/clusterSnapshot:ClusterSnapshot": ("sharedAccounts",),
    "aws:rds/snapshotCopy:SnapshotCopy": ("sharedAccounts",),
    "aws:rds/clusterSnapshotCopy:ClusterSnapshotCopy": ("sharedAccounts",),
    "aws:ec2/snapshotCreateVolumePermission:SnapshotCreateVolumePermission": ("accountId",),
    "aws:ec2/amiLaunchPermission:AmiLaunchPermission": (
        "accountId",
        "group",
        "organizationArn",
        "organizationalUnitArn",
    ),
    # Whatever the resource share holds goes to the associated principal.
    "aws:ram/principalAssociation:PrincipalAssociation": ("principal",),
    "aws:lakeformation/permissions:Permissions": ("principal",),
    # A network path between the site's VPC and another account's network.
    "aws:ec2/vpcPeeringConnection:VpcPeeringConnection": ("peerOwnerId",),
    "aws:ec2transitgateway/peeringAttachment:PeeringAttachment": ("peerAccountId",),
    "aws:redshift/endpointAuthorization:EndpointAuthorization": ("account",),
    "aws:redshift/dataShareAuthorization:DataShareAuthorization": ("consumerIdentifier",),
    # Who may connect to an endpoint service, and through it to what sits behind it.
    "aws:ec2/vpcEndpointService:VpcEndpointService": ("allowedPrincipals",),
    "aws:ec2/vpcEndpointServiceAllowedPrinciple:VpcEndpointServiceAllowedPrinciple": (
        "principalArn",
    ),
}
"""Type token -> the inputs that name who else gets the resource's data (pulumi-aws v7)."""

_EVERYONE: Final = frozenset({"*", "all"})
_SERVICE: Final = re.compile(r"^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$")


def _values(value: Any) -> Iterator[Any]:
    if isinstance(value, list):
        yield from value
    elif value is not None and value != "":
        yield value


def _source_bound(args: ResourceValidationArgs, accounts: frozenset[str]) -> bool:
    """A service grantee acts only for the allowed accounts' resources: ``sourceAccount`` or a
    ``sourceArn`` of an allowed account (or an S3 bucket's, which has no account field), or of a
    resource of this stack (exactly its output, or a value the check computed from it)."""
    if any(proven_output(args, key) for key in ("sourceAccount", "sourceArn")):
        return True
    account = read_property(args, "sourceAccount")
    if isinstance(account, str) and account in accounts:
        return True
    arn = read_property(args, "sourceArn")
    if built_on_stack_output(args, arn):
        return True
    owner = arn_account(arn) if isinstance(arn, str) else None
    return owner is not None and (owner == "" or owner in accounts)


def grantee_finding(
    args: ResourceValidationArgs,
    prop: str,
    value: Any,
    accounts: frozenset[str],
    listed: frozenset[str],
) -> str | None:
    """Why ``value`` (one grantee in ``prop``) lies outside the allowed accounts; None if not."""
    if value is UNKNOWN:
        return f"{prop} is {UNKNOWN_NOTE}; treated as shared with anyone (fail closed)"
    if not isinstance(value, str):
        return f"{prop} {show(value)} is not a principal the rule can read (fail closed)"
    if value in listed:
        return None
    why = _outside(args, value, accounts)
    return f"{prop} {show(value)} {why}" if why else None


def _outside(args: ResourceValidationArgs, value: str, accounts: frozenset[str]) -> str | None:
    if value.strip().lower() in _EVERYONE:
        return "shares with everyone"
    if value.startswith("o-") or ":organizations:" in value:
        return "shares with every account of an AWS organization or unit"
    if _SERVICE.match(value):
        bound = _source_bound(args, accounts)
        return (
            None
            if bound
            else (
                "is a service without sourceAccount or sourceArn of an allowed account: it could "
                "act for another account's resource (confused deputy)"
            )
        )
    owner = value if ACCOUNT_ID.match(value) else arn_account(value)
    if owner is None or owner == "":
        return "names no account the rule can tell (list it in allowedPrincipals)"
    if owner in accounts:
        return None
    return (
        f"belongs to account {owner}, which is not allowed (allowed: {describe_accounts(accounts)})"
    )


ACL_TYPES: Final = frozenset({"aws:s3/bucketAcl:BucketAcl", "aws:s3/bucketAclV2:BucketAclV2"})
_OWN_CANNED_ACLS: Final = frozenset(
    {"private", "log-delivery-write", "bucket-owner-read", "bucket-owner-full-control"}
)
_OWN_GROUPS: Final = ("/s3/LogDelivery",)
"""S3's log delivery group writes server access logs into the bucket; it reads nothing."""


BUCKET: Final = "aws:s3/bucket:Bucket"


def _bucket_grants(grants: Any) -> Any:
    """A bucket's inline ``grants`` in the shape of an ACL resource's ``accessControlPolicy``
    (the bucket's owner is not an input: a canonical user is then never the owner)."""
    if grants is None or grants == []:
        return None
    if not isinstance(grants, list):
        return grants
    return {
        "grants": [
            {
                "grantee": {k: g.get(k) for k in ("type", "id", "uri")},
                "permission": g.get("permissions"),
            }
            if isinstance(g, dict)
            else g
            for g in grants
        ]
    }


def acl_findings(acl: Any, policy: Any) -> list[str]:
    """What an S3 ACL grants outside the bucket owner's account: a canned ACL for everyone, a
    grant to a group of everyone, to another canonical user or to an account named by email.
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/acl-overview.html"""
    findings: list[str] = []
    if acl is UNKNOWN or (isinstance(acl, str) and acl and acl not in _OWN_CANNED_ACLS):
        findings.append(f"acl {show(acl)} grants to others than the bucket owner")
    if policy is None or policy == "":
        return findings
    if not isinstance(policy, dict):
        return [*findings, f"accessControlPolicy {show(policy)} cannot be read (fail closed)"]
    owner = policy.get("owner")
    owner_id = owner.get("id") if isinstance(owner, dict) else None
    grants = policy.get("grants")
    for index, grant in enumerate(grants if isinstance(grants, list) else [grants]):
        grantee = grant.get("grantee") if isinstance(grant, dict) else None
        if not isinstance(grantee, dict):
            findings.append(f"grants[{index}] names no grantee the rule can read (fail closed)")
            continue
        kind, uri, ident = grantee.get("type"), grantee.get("uri"), grantee.get("id")
        where = f"grants[{index}] ({show(grant.get('permission'))})"
        if kind == "Group" and isinstance(uri, str) and uri.endswith(_OWN_GROUPS):
            continue
        if kind == "CanonicalUser" and isinstance(ident, str) and ident == owner_id:
            continue
        if kind == "Group":
            findings.append(f"{where} go to the group {show(uri)}: everyone, or every AWS account")
        elif kind == "AmazonCustomerByEmail":
            findings.append(
                f"{where} go to the account of {show(grantee.get('emailAddress'))}, which the "
                "rule cannot tell is allowed"
            )
        else:
            findings.append(
                f"{where} go to the canonical user {show(ident)}, not the bucket owner "
                f"{show(owner_id)}"
            )
    return findings


_FOREIGN_ARN: Final = re.compile(r"^arn:aws[a-z-]*:([a-z0-9-]+):[a-z0-9-]*:(\d{12}):(.*)$")
_DESTINATION_KEY: Final = re.compile(
    r"^arn$|destination|target|sink|deliverystream|stream|bus|queue|topic|bucket|endpoint|"
    r"export|forward|subscri|replica|backup|vault|workspace|collection|domain",
    re.I,
)
_NOT_A_DESTINATION_KEY: Final = re.compile(
    r"role|polic|layer|kms|key|certificate|secret|parameter|image|ami|principal|^source",
    re.I,
)
_DESTINATION_TYPES_SKIPPED: Final = ("aws:iam/", "aws-native:iam:")


def foreign_destinations(
    value: Any, accounts: frozenset[str], path: str = ""
) -> Iterator[tuple[str, str, str]]:
    """(property path, ARN, account) of each ARN of another account held by an input that names
    where data goes (``destinationArn``, ``targetArn``, an event target's ``arn``, a queue, a
    stream, a bucket, ...). Roles, policies, keys, layers and the like are not destinations."""
    key = path.rsplit(".", 1)[-1].split("[", 1)[0]
    if isinstance(value, str):
        match = _FOREIGN_ARN.match(value.strip())
        if (
            match is not None
            and match.group(2) not in accounts
            and _DESTINATION_KEY.search(key)
            and not _NOT_A_DESTINATION_KEY.search(key)
        ):
            yield path, value, match.group(2)
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from foreign_destinations(item, accounts, f"{path}.{name}" if path else name)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from foreign_destinations(item, accounts, f"{path}[{index}]")


def validate_shared_only_within(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not args.resource_type.startswith(("aws:", "aws-native:")):
        return
    config: Any = args.get_config()
    accounts, source = allowed_accounts(config, args.provider)
    head = f"{SHARED_ONLY_WITHIN}: {args.resource_type} {args.name}"
    tail = f"Allowed accounts from {source}."
    findings: list[str] = []
    if not args.resource_type.startswith(_DESTINATION_TYPES_SKIPPED):
        findings += [
            f"{path} sends data to {arn}, a resource of account {account}, which is not "
            f"allowed (allowed: {describe_accounts(accounts)}). {tail}"
            for path, arn, account in foreign_destinations(read_inputs(args), accounts)
        ]
    if args.resource_type in ACL_TYPES or args.resource_type == BUCKET:
        policy = (
            read_property(args, "accessControlPolicy")
            if args.resource_type in ACL_TYPES
            else _bucket_grants(read_property(args, "grants"))
        )
        findings += [f"{f}." for f in acl_findings(read_property(args, "acl"), policy)]
    listed = frozenset(config_strings(config, "allowedPrincipals"))
    for prop in GRANTEES.get(args.resource_type, ()):
        for value in _values(read_property(args, prop)):
            why = grantee_finding(args, prop, value, accounts, listed)
            if why is not None:
                findings.append(f"{why}. {tail}")
    for finding in findings:
        report(f"{head}: {finding}", None)


POLICIES: Final = [
    resource_rule(
        SHARED_ONLY_WITHIN,
        description=(
            "Inputs that hand a resource's data to another principal (KMS grants, snapshot and "
            "image permissions, RAM and Lake Formation grants, Lambda permissions, peering, "
            "Redshift authorizations, endpoint services, S3 ACLs) or send it somewhere (a "
            "destination ARN) name only the allowed accounts: never everyone, a whole "
            "organization, another account or an unbound service. Mandatory: the grantee reads "
            "European user data from outside the site."
        ),
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.CRITICAL,
        remediation_steps=(
            "Share only with the allowed accounts (allowedAccountIds, or the provider's); list a "
            "reviewed outside principal in allowedPrincipals; give service grantees "
            "sourceAccount or sourceArn."
        ),
        config_schema=schema(
            allowedAccountIds=ALLOWED_ACCOUNTS_SCHEMA,
            allowedPrincipals={
                **ARN_LIST_SCHEMA,
                "description": "Grantees (exact values) admitted whatever their account.",
            },
            **{PROVEN_OUTPUTS: PROVEN_OUTPUTS_SCHEMA},
        ),
        validate=validate_shared_only_within,
    )
]
