"""People read European user data only through gateway roles.

An identity a person uses is an IAM user, an IAM group, or a role whose trust policy admits AWS
principals (accounts, roles, users) or federated ones (SAML, OIDC): anything but AWS services. When
such an identity's permissions allow reading data (``s3:GetObject``, ``kms:Decrypt``,
``secretsmanager:GetSecretValue``, DynamoDB item reads, ... by name or by a wildcard that covers
them), it must be a *gateway role*:

- a role (never a user or a group: people assume the gateway role, they hold no data access of
  their own), tagged ``access-gateway = "true"`` or listed in ``gatewayRoleArns``;
- every statement that allows a read carries the endpoint condition, ``aws:SourceVpce`` (or
  ``aws:SourceVpc``) of the site's network, or for key use on a service's behalf
  ``kms:ViaService``, and the region condition, ``aws:RequestedRegion`` naming only regions the
  stack deploys to. The gateway is then the only door, and it opens only in the site's region.

Roles that only AWS services assume (execution roles) are the application's own identities, not
people's; what they may reach is bounded by the resource policies and the trust rule.

Permissions are read wherever the stack gives them: a role's inline and managed policies, role,
user and group policies and their attachments (pulumi-aws v7 and aws-native), in-stack managed
policies, and a reviewed table of AWS managed policies that read data (``AdministratorAccess``,
``ReadOnlyAccess``, ``AmazonS3ReadOnlyAccess``, ...). A policy whose content is unknown (a customer
managed policy of another stack, a document unknown without the check's evidence) attached to a
person's identity fails closed, as does a policy attached to a role the stack does not define
(its trust cannot be seen).
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
)

if TYPE_CHECKING:
    from policy_packs.eu_access.access_common import (
        ARN_LIST_SCHEMA,
        PROVEN_OUTPUTS,
        PROVEN_OUTPUTS_SCHEMA,
        DocumentError,
        Principal,
        ProvenOutput,
        StackInputs,
        Statement,
        bounded_to,
        built_on_stack_output,
        config_strings,
        grants,
        parse_document,
        schema,
        show,
        stack_output_source,
        tag_map,
        urn_type,
    )
    from policy_packs.eu_access.resource_policies import DATA_READ_ACTIONS
    from policy_packs.eu_access.rulekit import stack_rule
else:
    from access_common import (
        ARN_LIST_SCHEMA,
        PROVEN_OUTPUTS,
        PROVEN_OUTPUTS_SCHEMA,
        DocumentError,
        Principal,
        ProvenOutput,
        StackInputs,
        Statement,
        bounded_to,
        built_on_stack_output,
        config_strings,
        grants,
        parse_document,
        schema,
        show,
        stack_output_source,
        tag_map,
        urn_type,
    )
    from resource_policies import DATA_READ_ACTIONS
    from rulekit import stack_rule

RULE: Final = "aws-data-readers-are-gateway-roles"
GATEWAY_TAG: Final = "access-gateway"

IDENTITY_READS: Final = (
    *DATA_READ_ACTIONS,
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
)
"""Actions that hand a store's content to the caller (see ``DATA_READ_ACTIONS``), and DynamoDB's
item reads, which an identity policy grants directly."""

# Identity type -> (kind, name input, trust input or None, inline policies input and the document
# key inside each, managed policy ARNs input).
IDENTITIES: Final = {
    "aws:iam/role:Role": ("role", "name", "assumeRolePolicy", ("inlinePolicies", "policy")),
    "aws:iam/user:User": ("user", "name", None, None),
    "aws:iam/group:Group": ("group", "name", None, None),
    "aws-native:iam:Role": (
        "role",
        "roleName",
        "assumeRolePolicyDocument",
        ("policies", "policyDocument"),
    ),
    "aws-native:iam:User": ("user", "userName", None, ("policies", "policyDocument")),
    "aws-native:iam:Group": ("group", "groupName", None, ("policies", "policyDocument")),
}
MANAGED_POLICY_ARNS: Final = "managedPolicyArns"

# Attachment type -> (kind, identity input, document input or None, policy ARN input or None).
ATTACHMENTS: Final = {
    "aws:iam/rolePolicy:RolePolicy": ("role", "role", "policy", None),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ("role", "role", None, "policyArn"),
    "aws:iam/userPolicy:UserPolicy": ("user", "user", "policy", None),
    "aws:iam/userPolicyAttachment:UserPolicyAttachment": ("user", "user", None, "policyArn"),
    "aws:iam/groupPolicy:GroupPolicy": ("group", "group", "policy", None),
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment": ("group", "group", None, "policyArn"),
    "aws-native:iam:RolePolicy": ("role", "roleName", "policyDocument", None),
    "aws-native:iam:UserPolicy": ("user", "userName", "policyDocument", None),
    "aws-native:iam:GroupPolicy": ("group", "groupName", "policyDocument", None),
}
# Managed policies attached to lists of identities: type -> (document input, {kind: input}).
SHARED_ATTACHMENTS: Final = {
    "aws:iam/policyAttachment:PolicyAttachment": (
        None,
        {"role": "roles", "user": "users", "group": "groups"},
    ),
    "aws-native:iam:ManagedPolicy": (
        "policyDocument",
        {"role": "roles", "user": "users", "group": "groups"},
    ),
}
MANAGED_POLICIES: Final = {"aws:iam/policy:Policy": "policy"}
# Data stores' resource policies: type -> the input holding the document.
RESOURCE_POLICIES: Final = {
    "aws:s3/bucketPolicy:BucketPolicy": "policy",
    "aws:s3/bucket:Bucket": "policy",
    "aws:kms/key:Key": "policy",
    "aws:kms/keyPolicy:KeyPolicy": "policy",
    "aws:secretsmanager/secretPolicy:SecretPolicy": "policy",
    "aws:secretsmanager/secret:Secret": "policy",
    "aws:sqs/queuePolicy:QueuePolicy": "policy",
    "aws:sqs/queue:Queue": "policy",
    "aws:sns/topicPolicy:TopicPolicy": "policy",
    "aws:sns/topic:Topic": "policy",
    "aws:dynamodb/resourcePolicy:ResourcePolicy": "policy",
    "aws-native:s3:BucketPolicy": "policyDocument",
    "aws-native:kms:Key": "keyPolicy",
    "aws-native:sqs:QueueInlinePolicy": "policyDocument",
    "aws-native:sns:TopicInlinePolicy": "policyDocument",
    "aws-native:secretsmanager:ResourcePolicy": "resourcePolicy",
}
"""A resource policy that names a role or user as its principal grants it access on its own, in
the same account, whatever the identity's policies say: a read granted there is judged as one
in the identity's policies. (Grants to ``*`` and to whole accounts are
aws-s3-bucket-policy-no-foreign-principals's.)"""
_ASSUMED_ROLE: Final = re.compile(r"^arn:aws[a-z-]*:sts::\d{12}:assumed-role/([^/]+)/")

AWS_MANAGED_READERS: Final = frozenset(
    {
        "AdministratorAccess",
        "PowerUserAccess",
        "ReadOnlyAccess",
        "AmazonS3FullAccess",
        "AmazonS3ReadOnlyAccess",
        "AmazonDynamoDBFullAccess",
        "AmazonDynamoDBFullAccess_v2",
        "AmazonDynamoDBReadOnlyAccess",
        "SecretsManagerReadWrite",
        "AmazonSQSFullAccess",
        "AmazonSNSFullAccess",
        "AmazonRDSDataFullAccess",
        "AmazonAthenaFullAccess",
        "job-function/DataScientist",
        "job-function/DatabaseAdministrator",
        "job-function/SystemAdministrator",
    }
)
"""AWS managed policies that allow data reads (objects, items, secrets, messages, decryption) on
every resource without conditions; reviewed against the policies' published documents
(https://docs.aws.amazon.com/aws-managed-policy/latest/reference/). Other AWS managed policies
are taken not to read data."""

_AWS_MANAGED: Final = re.compile(r"^arn:aws[a-z-]*:iam::aws:policy/(?:service-role/)?(.+)$")
_CUSTOMER_POLICY: Final = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:policy/(?:.*/)?([^/]+)$")
_IDENTITY_ARN: Final = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:(role|user|group)/(?:.*/)?([^/]+)$")
_REGION: Final = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")
_VIA_SERVICE: Final = re.compile(r"^[a-z0-9-]+\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com$")


@dataclass
class _Identity:
    resource: PolicyResource | None
    kind: str
    label: str
    person: str | None
    """Why a person uses it (None for a role only services assume)."""
    gateway: bool = False
    grants: list[tuple[str, Any]] = field(default_factory=list)
    """(where, policy document or an :class:`_Opaque`) of every permission it holds."""


@dataclass(frozen=True)
class _Opaque:
    """Permissions the rule cannot read."""

    why: str


@dataclass(frozen=True)
class _Parsed:
    """Statements already read (a resource policy's grant to the identity)."""

    statements: tuple[Statement, ...]


@dataclass(frozen=True)
class _Managed:
    """An AWS managed policy from the reviewed table."""

    name: str


_READ: Final = frozenset(
    {*IDENTITIES, *ATTACHMENTS, *SHARED_ATTACHMENTS, *MANAGED_POLICIES, *RESOURCE_POLICIES}
)


# Web identity providers through which an application's own users or workloads, not the
# organisation's people, assume roles: Cognito identity pools, public web identity providers.
# https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_oidc.html
WEB_IDENTITY_PROVIDERS: Final = frozenset(
    {
        "cognito-identity.amazonaws.com",
        "accounts.google.com",
        "graph.facebook.com",
        "www.amazon.com",
    }
)
_OIDC_PROVIDER: Final = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:oidc-provider/")
PROVIDER_TYPES: Final = {
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": False,
    "aws:iam/samlProvider:SamlProvider": True,
    "aws-native:iam:OidcProvider": False,
    "aws-native:iam:SamlProvider": True,
}
"""In-stack identity providers, and whether people sign in through them (SAML: the workforce's
single sign-on) or workloads do (OIDC: Kubernetes service accounts, CI jobs)."""


_WEB_IDENTITY_ACTIONS: Final = frozenset({"sts:assumerolewithwebidentity", "sts:tagsession"})


def _web_identity_only(statement: Statement) -> bool:
    """Whether the statement lets its principals assume the role only with a web identity
    token (OIDC: Kubernetes service accounts, CI jobs, an app's users), never with SAML."""
    actions = {a.lower() for a in statement.actions}
    return (
        not statement.not_action
        and "sts:assumerolewithwebidentity" in actions
        and actions <= _WEB_IDENTITY_ACTIONS
    )


def _person(trust: Any, principal_is_person: Callable[[Principal], bool]) -> str | None:
    """Why a role is a person's; None if only services or workloads assume it. Unknown or
    unreadable trust is a person's (fail closed)."""
    try:
        statements = parse_document(_marked(trust))
    except DocumentError as err:
        return f"its trust policy cannot be read ({err})"
    for statement in statements:
        if not statement.allow:
            continue
        if statement.broad:
            return "its trust policy admits every AWS principal"
        for principal in statement.principals:
            if principal.kind == "Federated" and _web_identity_only(statement):
                continue
            if principal.kind in ("*", "CanonicalUser") or (
                principal.kind in ("AWS", "Federated") and principal_is_person(principal)
            ):
                return f"its trust policy admits {principal.kind} principal {principal.value!r}"
    return None


def _name_of(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    match = _IDENTITY_ARN.match(value)
    return match.group(2) if match else value


class _Index:
    """The stack's identities and managed policies, found by what references them."""

    def __init__(self, stack: StackInputs) -> None:
        self.stack = stack
        self.identities: dict[str, _Identity] = {}
        self.names: dict[tuple[str, str], str] = {}
        self.external: dict[tuple[str, str], _Identity] = {}
        self.policies: dict[str, Any] = {}
        self.policy_names: dict[str, str] = {}
        gateways = frozenset(config_strings(stack.config, "gatewayRoleArns"))
        gateway_names = {_name_of(arn) for arn in gateways}
        self.external_gateways = gateway_names
        self.workloads = {_name_of(a) for a in config_strings(stack.config, "workloadRoleArns")}
        for resource in stack.resources:
            props = stack.of(resource)
            if resource.resource_type in MANAGED_POLICIES:
                self.policies[resource.urn] = props.get(MANAGED_POLICIES[resource.resource_type])
                name = props.get("name")
                if isinstance(name, str) and name:
                    self.policy_names[name] = resource.urn
            entry = IDENTITIES.get(resource.resource_type)
            if entry is None:
                continue
            kind, name_key, trust_key, _ = entry
            name = props.get(name_key)
            person = (
                None if trust_key is not None else f"it is an IAM {kind}, which people sign in as"
            )
            tagged = str(tag_map(props).get(GATEWAY_TAG, "")).lower() == "true"
            listed = isinstance(name, str) and name in gateway_names
            self.identities[resource.urn] = _Identity(
                resource,
                kind,
                f"{resource.resource_type} {resource.name}",
                person,
                gateway=kind == "role" and (tagged or listed),
            )
            # An unnamed identity is autonamed from its logical name (the engine's autonaming;
            # the offline run names it exactly so).
            known = name if isinstance(name, str) and name else resource.name
            self.names.setdefault((kind, known), resource.urn)

    def judge_trusts(self) -> None:
        """Whose roles are people's: trust admitting accounts, people's roles or users, or a
        SAML provider. A role only services or workloads (OIDC providers, a service role of the
        stack) assume is not."""
        trusts: dict[str, Any] = {}
        for urn, identity in self.identities.items():
            entry = IDENTITIES.get(identity.resource.resource_type) if identity.resource else None
            if entry is not None and entry[2] is not None and identity.resource is not None:
                trusts[urn] = self.stack.of(identity.resource).get(entry[2])
        service_roles = {
            urn for urn, trust in trusts.items() if _person(trust, lambda _: True) is None
        }
        for urn, trust in trusts.items():
            self.identities[urn].person = _person(
                trust, lambda p: self._is_person(p, service_roles)
            )

    def _is_person(self, principal: Principal, service_roles: set[str]) -> bool:
        value = principal.value
        if principal.kind == "Federated":
            source = self._source(value)
            if source is not None:
                return PROVIDER_TYPES.get(urn_type(source), True)
            return not (_OIDC_PROVIDER.match(value) or value in WEB_IDENTITY_PROVIDERS)
        found = self.principal(value)
        return found is None or found.resource is None or found.resource.urn not in service_roles

    def _source(self, value: str) -> str | None:
        """The URN of the in-stack resource a computed or proven value is the output of."""
        if value.startswith(_PROVEN):
            return value[len(_PROVEN) :].rpartition("#")[0]
        return stack_output_source(self.stack, value)

    def identity(self, kind: str, value: Any) -> _Identity:
        """The identity an attachment names; one outside the stack is judged as a person's."""
        if isinstance(value, ProvenOutput) and value.source in self.identities:
            return self.identities[value.source]
        source = stack_output_source(self.stack, value)
        if source is not None and source in self.identities:
            return self.identities[source]
        name = _name_of(value)
        if name is not None and (kind, name) in self.names:
            return self.identities[self.names[(kind, name)]]
        shown = show(value) if not isinstance(value, ProvenOutput) else value.source
        key = (kind, str(shown))
        if key not in self.external:
            person: str | None = (
                f"it is not a role of this stack ({shown}), so who assumes it cannot be seen "
                "(list it in workloadRoleArns if only services or workloads assume it)"
                if kind == "role"
                else f"it is an IAM {kind}, which people sign in as"
            )
            if kind == "role" and name in self.workloads:
                person = None
            self.external[key] = _Identity(
                None,
                kind,
                f"IAM {kind} {shown}",
                person,
                gateway=kind == "role" and name in self.external_gateways,
            )
        return self.external[key]

    def principal(self, value: str) -> _Identity | None:
        """The role or user a resource policy's principal names; None for anything else (an
        account, everyone, a service), which other rules judge."""
        if value.startswith(_PROVEN) or built_on_stack_output(self.stack, value):
            # An output of the stack names one of its identities, or something other rules
            # judge (an origin access identity's IAM ARN, a service-linked principal).
            source = self._source(value)
            return self.identities.get(source) if source is not None else None
        assumed = _ASSUMED_ROLE.match(value)
        if assumed is not None:
            return self.identity("role", assumed.group(1))
        match = _IDENTITY_ARN.match(value)
        if match is None or match.group(1) == "group":
            return None
        return self.identity(match.group(1), value)

    def managed(self, value: Any) -> Any:
        """The document of a managed policy ARN: an in-stack policy's, the reviewed AWS one, or
        :class:`_Opaque`; None for an AWS managed policy that reads no data."""
        if isinstance(value, ProvenOutput):
            if value.source in self.policies and value.output in ("arn", "id"):
                return self.policies[value.source]
            return _Opaque(
                f"policy ARN {value.source}#{value.output} names no policy of this stack"
            )
        if not isinstance(value, str) or not value:
            return _Opaque(f"policy ARN {show(value)} is unknown at preview")
        aws_managed = _AWS_MANAGED.match(value)
        if aws_managed is not None:
            return (
                _Managed(aws_managed.group(1))
                if aws_managed.group(1) in AWS_MANAGED_READERS
                else None
            )
        customer = _CUSTOMER_POLICY.match(value)
        if customer is not None and customer.group(1) in self.policy_names:
            return self.policies[self.policy_names[customer.group(1)]]
        return _Opaque(
            f"policy {value!r} is not a policy of this stack, so what it allows is unseen"
        )

    def all(self) -> Iterator[_Identity]:
        yield from self.identities.values()
        yield from self.external.values()


def _collect(index: _Index) -> None:
    """Every permission the stack gives, on the identity that holds it."""
    stack = index.stack
    for resource in stack.resources:
        props = stack.of(resource)
        kind_entry = IDENTITIES.get(resource.resource_type)
        if kind_entry is not None:
            identity = index.identities[resource.urn]
            inline = kind_entry[3]
            if inline is not None:
                for i, item in enumerate(props.get(inline[0]) or []):
                    document = item.get(inline[1]) if isinstance(item, dict) else item
                    identity.grants.append((f"{inline[0]}[{i}]", document))
            for arn in props.get(MANAGED_POLICY_ARNS) or []:
                identity.grants.append((f"{MANAGED_POLICY_ARNS} {show(arn)}", index.managed(arn)))
        attachment = ATTACHMENTS.get(resource.resource_type)
        if attachment is not None:
            kind, key, document_key, arn_key = attachment
            identity = index.identity(kind, props.get(key))
            where = f"{resource.resource_type} {resource.name}"
            if document_key is not None:
                identity.grants.append((where, props.get(document_key)))
            if arn_key is not None:
                identity.grants.append((where, index.managed(props.get(arn_key))))
        document_key = RESOURCE_POLICIES.get(resource.resource_type)
        if document_key is not None:
            _collect_resource_policy(index, resource, props.get(document_key))
        shared = SHARED_ATTACHMENTS.get(resource.resource_type)
        if shared is not None:
            document_key, members = shared
            document = (
                props.get(document_key)
                if document_key is not None
                else index.managed(props.get("policyArn"))
            )
            for kind, key in members.items():
                for member in props.get(key) or []:
                    identity = index.identity(kind, member)
                    identity.grants.append((f"{resource.resource_type} {resource.name}", document))


def _collect_resource_policy(index: _Index, resource: PolicyResource, document: Any) -> None:
    """Each Allow of a data read to a named role or user, on that identity."""
    if document is None:
        return
    try:
        statements = parse_document(_marked(document))
    except DocumentError:
        return  # unreadable documents are aws-s3-bucket-policy-no-foreign-principals's
    where = f"{resource.resource_type} {resource.name} (resource policy)"
    for statement in statements:
        if not statement.allow or not any(grants(statement, a) for a in IDENTITY_READS):
            continue
        for principal in statement.principals:
            if principal.kind != "AWS":
                continue
            identity = index.principal(principal.value)
            if identity is not None:
                identity.grants.append((where, _Parsed((statement,))))


def _region_of(props: Any) -> Any:
    try:
        return props.get("region") if props is not None else None
    except Exception:  # noqa: BLE001 - a region unknown at preview names no region
        return None


def _stack_regions(stack: StackInputs) -> frozenset[str]:
    """Regions the stack deploys AWS resources to: its providers' and resources' own."""
    regions: set[str] = set()
    providers: set[str] = set()
    for resource in stack.all:
        candidates = [_region_of(resource.props)]
        provider = getattr(resource, "provider", None)
        if provider is not None and provider.urn not in providers:
            providers.add(provider.urn)
            candidates.append(_region_of(provider.props))
        regions.update(r for r in candidates if isinstance(r, str) and _REGION.match(r))
    return frozenset(regions)


_PROVEN: Final = "proven-output:"
ENDPOINTS: Final = frozenset({"aws:ec2/vpcEndpoint:VpcEndpoint", "aws-native:ec2:VpcEndpoint"})
VPCS: Final = frozenset({"aws:ec2/vpc:Vpc", "aws-native:ec2:Vpc"})


def _marked(value: Any) -> Any:
    """A document with each proven output written as ``proven-output:<urn>#<output>``, so that
    conditions holding an in-stack endpoint's or VPC's id can be told from other values."""
    if isinstance(value, ProvenOutput):
        return f"{_PROVEN}{value.source}#{value.output}"
    if isinstance(value, dict):
        return {k: _marked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_marked(v) for v in value]
    return value


def _proven_id(value: str, types: frozenset[str]) -> bool:
    """Whether ``value`` is the proven id of an in-stack resource of one of ``types``."""
    if not value.startswith(_PROVEN):
        return False
    source, _, output = value[len(_PROVEN) :].rpartition("#")
    return output == "id" and urn_type(source) in types


def _conditioned(
    statement: Statement, regions: frozenset[str], stack_output: Callable[[str], bool]
) -> list[str]:
    """What the statement lacks of the gateway's conditions (empty when it has them): the id of
    an endpoint or VPC (AWS's form, or an output of the stack's own, computed or proven)."""
    missing: list[str] = []
    endpoint = bounded_to(
        statement,
        "aws:SourceVpce",
        lambda v: v.startswith("vpce-") or stack_output(v) or _proven_id(v, ENDPOINTS),
    ) or bounded_to(
        statement,
        "aws:SourceVpc",
        lambda v: v.startswith("vpc-") or stack_output(v) or _proven_id(v, VPCS),
    )
    reads = [a for a in IDENTITY_READS if grants(statement, a)]
    if not endpoint and all(a.startswith("kms:") for a in reads):
        endpoint = bounded_to(
            statement,
            "kms:ViaService",
            lambda v: (m := _VIA_SERVICE.match(v)) is not None and m.group(1) in regions,
        )
    if not endpoint:
        missing.append("aws:SourceVpce (or aws:SourceVpc) of the site's network")
    if not bounded_to(statement, "aws:RequestedRegion", lambda v: v in regions):
        missing.append(
            "aws:RequestedRegion naming only the stack's regions "
            f"({', '.join(sorted(regions)) or 'none found'})"
        )
    return missing


def _statements(document: Any) -> list[Statement] | str:
    """The statements a grant holds, or why they cannot be seen (fail closed)."""
    if isinstance(document, _Opaque):
        return f"{document.why} (fail closed)"
    if isinstance(document, _Managed):
        return (
            f"AWS managed policy {document.name} allows data reads on every resource without "
            "conditions"
        )
    if isinstance(document, _Parsed):
        return list(document.statements)
    try:
        return parse_document(_marked(document))
    except DocumentError as err:
        return f"{err}; treated as allowing every read (fail closed)"


def _findings(
    identity: _Identity, regions: frozenset[str], stack_output: Callable[[str], bool]
) -> Iterator[str]:
    for where, document in identity.grants:
        if document is None:
            continue
        statements = _statements(document)
        if isinstance(statements, str):
            yield f"{where}: {statements}"
            continue
        for statement in statements:
            reads = [a for a in IDENTITY_READS if grants(statement, a)] if statement.allow else []
            if not reads:
                continue
            if identity.kind != "role":
                yield (
                    f"{where}: statement {statement.label} allows {', '.join(reads)} to an IAM "
                    f"{identity.kind}; people reach data only by assuming a gateway role"
                )
            elif not identity.gateway:
                yield (
                    f"{where}: statement {statement.label} allows {', '.join(reads)}, but the "
                    f'role is not a gateway role (tag {GATEWAY_TAG} = "true" or '
                    "gatewayRoleArns)"
                )
            elif missing := _conditioned(statement, regions, stack_output):
                yield (
                    f"{where}: statement {statement.label} allows {', '.join(reads)} without "
                    f"{' and '.join(missing)}"
                )


def validate_gateway_roles(args: StackValidationArgs, report: ReportViolation) -> None:
    config: Any = args.get_config()
    stack = StackInputs(args.resources, config if isinstance(config, Mapping) else {}, _READ)
    index = _Index(stack)
    index.judge_trusts()
    _collect(index)
    regions = _stack_regions(stack)
    evidence = stack

    def stack_output(value: str) -> bool:
        return built_on_stack_output(evidence, value)

    for identity in index.all():
        if identity.person is None:
            continue
        findings = list(_findings(identity, regions, stack_output))
        if not findings:
            continue
        report(
            f"{RULE}: {identity.label} is a person's identity ({identity.person}) and reads "
            f"data outside the gateway: {'; '.join(findings)}. Give people a gateway role "
            f'(tag {GATEWAY_TAG} = "true") whose read statements carry aws:SourceVpce of the '
            "site's endpoint and aws:RequestedRegion of the site's region; users and groups "
            "hold no data access.",
            identity.resource.urn if identity.resource is not None else None,
        )


POLICIES: Final = [
    stack_rule(
        RULE,
        description=(
            "Identities people use (IAM users and groups, roles whose trust admits AWS or "
            "federated principals) read data (objects, items, secrets, messages, decryption) "
            'only as gateway roles: roles tagged access-gateway = "true" or listed in '
            "gatewayRoleArns whose read statements carry aws:SourceVpce (or kms:ViaService) and "
            "aws:RequestedRegion of the stack's regions. Mandatory: access to European user data "
            "goes through the security gateways."
        ),
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.HIGH,
        remediation_steps=(
            'Move people\'s data access to a role tagged access-gateway = "true" whose '
            "statements allowing reads have StringEquals aws:SourceVpce (the site's S3 endpoint) "
            "and aws:RequestedRegion (the site's region); remove data access from users, groups "
            "and other roles people assume."
        ),
        config_schema=schema(
            gatewayRoleArns={
                **ARN_LIST_SCHEMA,
                "description": 'Gateway roles besides those tagged access-gateway = "true".',
            },
            workloadRoleArns={
                **ARN_LIST_SCHEMA,
                "description": (
                    "Roles outside the stack that only services or workloads assume (reviewed): "
                    "their data reads are not people's."
                ),
            },
            **{PROVEN_OUTPUTS: PROVEN_OUTPUTS_SCHEMA},
        ),
        validate=validate_gateway_roles,
    )
]
