"""Plumbing shared by the eu-access rules: safe reads, policy-document parsing, principals.

Validators never raise on a property bag: any exception aborts the whole preview, and an
``UnknownValueError`` is reported by the SDK as an ADVISORY "can't run policy" even for a mandatory
rule (pulumi_policy/policy.py). :func:`plain` copies the SDK's proxy into dicts and lists with
unknowns replaced by :data:`UNKNOWN`, and the rule kit (rulekit.py) registers each rule so that
an unexpected error becomes a violation. A policy document that is unknown, unparsable or of a
shape IAM would not accept grants something the rule cannot see, so it is a violation (fail
closed).

IAM policy grammar: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from pulumi_policy import PolicyConfigSchema
from pulumi_policy.proxy import UnknownValueError

if TYPE_CHECKING:
    from policy_packs.eu_access.rulekit import (
        UNKNOWN_MARKER,
        UNKNOWN_SENTINELS,
    )
else:
    from rulekit import UNKNOWN_MARKER, UNKNOWN_SENTINELS

UNKNOWN_NOTE: Final = (
    "unknown during preview (it holds a value another resource produces): the offline check can "
    "verify it only once it knows which output that value is, and the pack under `pulumi up` sees "
    "the resolved document; until then an access rule fails closed"
)


UNKNOWN: Final = UNKNOWN_MARKER
"""A value not known until apply (the rule kit's one marker)."""
_MAX_DEPTH: Final = 64
_log = logging.getLogger(__name__)


def plain(value: Any, depth: int = 0) -> Any:
    """Copy ``value`` (possibly an SDK proxy) into dicts and lists; unknowns become ``UNKNOWN``."""
    if depth > _MAX_DEPTH:
        return UNKNOWN
    if isinstance(value, str):
        return UNKNOWN if value in UNKNOWN_SENTINELS else value
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key in list(value):
            out[str(key)] = plain(_read(value, key), depth + 1)
        return out
    if isinstance(value, Sequence) and not isinstance(value, (bytes, bytearray)):
        return [plain(_read(value, i), depth + 1) for i in range(len(value))]
    return value


def _read(container: Any, key: Any) -> Any:
    try:
        return container[key]
    except UnknownValueError:
        return UNKNOWN
    except (KeyError, IndexError, TypeError):
        return None


def show(value: Any) -> str:
    if value is UNKNOWN:
        return repr(value)
    return repr(value) if isinstance(value, str) else json.dumps(value, default=repr)


# -- config ----------------------------------------------------------------------------------------

ACCOUNT_ID: Final = re.compile(r"^\d{12}$")


def config_strings(config: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = config.get(key) if isinstance(config, Mapping) else None
    if not isinstance(value, (list, tuple)):
        return ()
    return tuple(v.strip() for v in value if isinstance(v, str) and v.strip())


def provider_account_ids(provider: Any) -> tuple[str, ...]:
    """The provider's ``allowedAccountIds`` input (a list, or the JSON text the engine may send
    for a list-typed provider input); () when unset, unknown or malformed."""
    if provider is None:
        return ()
    try:
        props = plain(provider.props)
    except Exception:  # noqa: BLE001 - a provider without readable inputs has no list
        return ()
    value = props.get("allowedAccountIds") if isinstance(props, dict) else None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return ()
    if not isinstance(value, list):
        return ()
    return tuple(v for v in value if isinstance(v, str) and ACCOUNT_ID.match(v))


def allowed_accounts(config: Mapping[str, Any], provider: Any) -> tuple[frozenset[str], str]:
    """The allowed accounts and where they come from (for messages).

    The rule's ``allowedAccountIds`` and the resource's provider's ``allowedAccountIds``: the
    provider refuses credentials of any account outside its list (pulumi-aws checks them when it
    is configured, before any preview step), so the resource lives in one of them and they are the
    stack's own accounts, never foreign to it. With neither, no account is allowed: the stack's
    own ARNs are outputs the engine does not send at preview, so an account derived from them
    would pass exactly what the rule cannot see.
    """
    configured = frozenset(
        a for a in config_strings(config, "allowedAccountIds") if ACCOUNT_ID.match(a)
    )
    from_provider = frozenset(provider_account_ids(provider)) - configured
    sources = [
        name
        for name, accounts in (
            ("the rule's allowedAccountIds", configured),
            ("the provider's allowedAccountIds", from_provider),
        )
        if accounts
    ]
    if not sources:
        return frozenset(), "none: set allowedAccountIds in the rule's config or on the provider"
    return configured | from_provider, " and ".join(sources)


ALLOWED_ACCOUNTS_SCHEMA: Final = {
    "type": "array",
    "items": {"type": "string", "pattern": r"^\d{12}$"},
    "default": [],
    "description": (
        "AWS accounts that may be granted access, besides the provider's allowedAccountIds (the "
        "accounts the resource is deployed in); with neither, every explicit account is a "
        "violation."
    ),
}
ARN_LIST_SCHEMA: Final = {"type": "array", "items": {"type": "string"}, "default": []}


COMPUTED_VALUES: Final = "computedValues"
COMPUTED_VALUES_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "description": (
        "What inputs unknown at preview compute to when the program runs with every output "
        "known ({inputs: {urn: {property path: value}}}), written by `python -m clover check`: "
        "a policy document that holds another resource's output is judged as it will be."
    ),
}


def schema(**properties: dict[str, Any]) -> PolicyConfigSchema:
    """A rule's config schema; every rule also takes the check's ``computedValues``."""
    return PolicyConfigSchema(properties={**properties, COMPUTED_VALUES: COMPUTED_VALUES_SCHEMA})


# -- policy documents ------------------------------------------------------------------------------


class DocumentError(ValueError):
    """A policy document the rule cannot read: the message says why."""


@dataclass(frozen=True)
class Principal:
    kind: str
    """``*`` (everyone), ``AWS``, ``Service``, ``Federated`` or ``CanonicalUser``."""
    value: str


@dataclass(frozen=True)
class Statement:
    label: str
    """``Sid`` or the statement's index, for messages."""
    allow: bool
    principals: tuple[Principal, ...]
    """Empty when the statement has no principal (identity policies)."""
    broad: bool
    """Everyone: ``"*"``, ``{"AWS": "*"}`` or any ``NotPrincipal`` (everyone but a few)."""
    actions: tuple[str, ...]
    not_action: bool
    conditions: Mapping[str, Mapping[str, tuple[Any, ...]]]
    """Operator (lower case) -> condition key (lower case) -> values."""


def _strings(value: Any, what: str) -> tuple[str, ...]:
    if value is UNKNOWN:
        raise DocumentError(f"{what} is {UNKNOWN_NOTE}")
    items = value if isinstance(value, list) else [value]
    out: list[str] = []
    for item in items:
        if item is UNKNOWN:
            raise DocumentError(f"{what} holds a value {UNKNOWN_NOTE}")
        if not isinstance(item, str):
            raise DocumentError(f"{what} holds {show(item)}, not a string")
        out.append(item)
    return tuple(out)


def _principals(value: Any, what: str) -> tuple[tuple[Principal, ...], bool]:
    if value is UNKNOWN:
        raise DocumentError(f"{what} is {UNKNOWN_NOTE}")
    if value == "*":
        return (Principal("*", "*"),), True
    if not isinstance(value, dict) or not value:
        raise DocumentError(f'{what} is {show(value)}, not "*" or a map of principal types')
    found: list[Principal] = []
    broad = False
    for kind, values in value.items():
        if kind not in ("AWS", "Service", "Federated", "CanonicalUser"):
            raise DocumentError(f"{what} has the unknown principal type {kind!r}")
        for item in _strings(values, f"{what}.{kind}"):
            found.append(Principal(kind, item.strip()))
            broad = broad or (kind == "AWS" and item.strip() == "*")
    return tuple(found), broad


def _conditions(value: Any, label: str) -> dict[str, dict[str, tuple[Any, ...]]]:
    if value is None:
        return {}
    if value is UNKNOWN:
        raise DocumentError(f"statement {label}: Condition is {UNKNOWN_NOTE}")
    if not isinstance(value, dict):
        raise DocumentError(f"statement {label}: Condition is {show(value)}, not a map")
    out: dict[str, dict[str, tuple[Any, ...]]] = {}
    for operator, block in value.items():
        if not isinstance(block, dict):
            raise DocumentError(f"statement {label}: Condition {operator} is not a map")
        keys: dict[str, tuple[Any, ...]] = {}
        for key, values in block.items():
            items = tuple(values) if isinstance(values, list) else (values,)
            keys[str(key).lower()] = items
        out[str(operator).lower()] = keys
    return out


def parse_document(value: Any) -> list[Statement]:
    """The statements of a policy document given as JSON text or as an object.

    Raises :class:`DocumentError` for anything IAM would not accept or the rule cannot see:
    unknown at preview, invalid JSON, no ``Statement``, an unknown ``Effect`` or principal shape.
    """
    if value is UNKNOWN:
        raise DocumentError(f"the policy document is {UNKNOWN_NOTE}")
    if isinstance(value, str):
        try:
            value = plain(json.loads(value))
        except (ValueError, RecursionError) as err:
            raise DocumentError(f"the policy document is not valid JSON ({err})") from None
    if not isinstance(value, dict):
        raise DocumentError(f"the policy document is {show(value)}, not a JSON object")
    raw = value.get("Statement")
    if raw is UNKNOWN:
        raise DocumentError(f"Statement is {UNKNOWN_NOTE}")
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        raise DocumentError("the policy document has no Statement")
    return [_statement(item, index) for index, item in enumerate(raw)]


def _statement(item: Any, index: int) -> Statement:
    if not isinstance(item, dict):
        raise DocumentError(f"statement {index} is {show(item)}, not an object")
    sid = item.get("Sid")
    label = repr(sid) if isinstance(sid, str) and sid else str(index)
    effect = item.get("Effect")
    if effect is UNKNOWN:
        raise DocumentError(f"statement {label}: Effect is {UNKNOWN_NOTE}")
    if effect not in ("Allow", "Deny"):
        raise DocumentError(f"statement {label}: Effect is {show(effect)}, not Allow or Deny")
    principals: tuple[Principal, ...] = ()
    broad = False
    if "NotPrincipal" in item:
        # NotPrincipal with Allow grants to everyone except the named principals.
        principals, _ = _principals(item["NotPrincipal"], f"statement {label}: NotPrincipal")
        broad = True
    elif "Principal" in item:
        principals, broad = _principals(item["Principal"], f"statement {label}: Principal")
    if "NotAction" in item:
        actions, not_action = _strings(item["NotAction"], f"statement {label}: NotAction"), True
    elif "Action" in item:
        actions, not_action = _strings(item["Action"], f"statement {label}: Action"), False
    else:
        raise DocumentError(f"statement {label} has neither Action nor NotAction")
    return Statement(
        label=label,
        allow=effect == "Allow",
        principals=principals,
        broad=broad,
        actions=actions,
        not_action=not_action,
        conditions=_conditions(item.get("Condition"), label),
    )


def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text),
        re.IGNORECASE,
    )


def grants(statement: Statement, action: str) -> bool:
    """Whether the statement's Action/NotAction covers ``action`` (IAM wildcards, any case)."""
    matched = any(_pattern(a).fullmatch(action) for a in statement.actions)
    return not matched if statement.not_action else matched


def grants_everything_of(statement: Statement, service: str) -> bool:
    """Whether the statement grants all of ``service``: ``*``, ``service:*`` or any NotAction."""
    if statement.not_action:
        return True
    return any(a.strip() in ("*", f"{service}:*") for a in statement.actions)


# IfExists operators pass when the key is absent, so they bound nothing on their own.
_EQUALS_OPERATORS: Final = frozenset(
    {
        "stringequals",
        "stringlike",
        "arnequals",
        "arnlike",
        "forallvalues:stringequals",
        "foranyvalue:stringequals",
        "foranyvalue:stringlike",
        "foranyvalue:arnequals",
        "foranyvalue:arnlike",
    }
)


def condition_values(statement: Statement, key: str) -> list[tuple[Any, ...]]:
    """The value lists of every positive (equality or like) test of ``key`` in the statement."""
    key = key.lower()
    return [
        block[key]
        for operator, block in statement.conditions.items()
        if operator in _EQUALS_OPERATORS and key in block
    ]


def has_key(statement: Statement, key: str) -> bool:
    return any(key.lower() in block for block in statement.conditions.values())


def bounded_to(statement: Statement, key: str, accept: Callable[[str], bool]) -> bool:
    """Whether some positive test of ``key`` admits only known, non-wildcard values ``accept``s."""
    for values in condition_values(statement, key):
        if values and all(
            isinstance(v, str) and "*" not in v and "?" not in v and accept(v) for v in values
        ):
            return True
    return False


# -- principals and accounts -----------------------------------------------------------------------

_ARN: Final = re.compile(r"^arn:aws[a-z-]*:(iam|sts)::(\d{12}):(.*)$")
_ANY_ARN: Final = re.compile(r"^arn:aws[a-z-]*:[^:]*:[^:]*:([^:]*):")


def principal_account(value: str) -> str | None:
    """The account of an AWS principal (an account id or an IAM/STS ARN); None if not one."""
    if ACCOUNT_ID.match(value):
        return value
    match = _ARN.match(value)
    return match.group(2) if match else None


def is_root(value: str) -> bool:
    """The account principal: ``123456789012`` or ``arn:aws:iam::123456789012:root``."""
    match = _ARN.match(value)
    return bool(
        ACCOUNT_ID.match(value) or (match and match.group(1) == "iam" and match.group(3) == "root")
    )


def arn_account(value: str) -> str | None:
    """The account field of any ARN ('' for ARNs without one, like S3 buckets); None if no ARN."""
    match = _ANY_ARN.match(value)
    return match.group(1) if match else None


def source_bound(statement: Statement, accounts: frozenset[str]) -> bool:
    """A service principal acts only for the allowed accounts' resources (confused deputy):
    ``aws:SourceAccount`` names allowed accounts, or ``aws:SourceArn`` names ARNs whose account
    field is allowed or empty (an S3 bucket's ARN has none).
    https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html"""
    if bounded_to(statement, "aws:SourceAccount", lambda v: v in accounts):
        return True
    return bounded_to(
        statement,
        "aws:SourceArn",
        lambda v: (
            (account := arn_account(v)) is not None and (account == "" or account in accounts)
        ),
    )


def principal_finding(
    statement: Statement,
    principal: Principal,
    accounts: frozenset[str],
    exempt_services: frozenset[str],
    verb: str,
) -> str | None:
    """Why a named principal of an Allow statement is not admitted; None when it is.

    ``verb`` says what the statement does for it ("grants to", "trusts"). Listed principals are
    the caller's to skip.
    """
    where = f"statement {statement.label} {verb}"
    if principal.kind == "AWS":
        account = principal_account(principal.value)
        if account is None:
            return (
                f"{where} {principal.value!r}, whose account cannot be told "
                "(name it by ARN or list it in allowedPrincipals)"
            )
        if account not in accounts:
            return (
                f"{where} {principal.value!r} of account {account}, which is not allowed "
                f"(allowed: {describe_accounts(accounts)})"
            )
        return None
    if principal.kind == "Service":
        if principal.value in exempt_services or source_bound(statement, accounts):
            return None
        return (
            f"{where} the service {principal.value!r} without aws:SourceAccount or "
            f"aws:SourceArn of an allowed account (allowed: {describe_accounts(accounts)}): the "
            "service could act for another account's resource (confused deputy; list it in "
            "exemptServicePrincipals only where AWS sends neither key)"
        )
    return (
        f"{where} the {principal.kind} principal {principal.value!r}, which belongs to no "
        "allowed account (list it in allowedPrincipals)"
    )


def describe_accounts(accounts: Iterable[str]) -> str:
    listed = sorted(accounts)
    return ", ".join(listed) if listed else "none"


def read_inputs(args: Any) -> dict[str, Any]:
    """Every input of the resource, each read as :func:`read_property` reads it; empty when the
    SDK cannot list them."""
    try:
        names = [str(name) for name in args.props]
    except Exception:  # noqa: BLE001 - inputs the SDK cannot list hold nothing readable
        return {}
    return {name: read_property(args, name) for name in names}


def urn_type(urn: str) -> str:
    """The resource type a URN names (the last type of its parent chain); '' if not a URN."""
    parts = urn.split("::")
    return parts[-2].rsplit("$", 1)[-1] if len(parts) >= 4 else ""


def read_property(args: Any, name: str) -> Any:
    """One top-level input, copied by :func:`plain`; None when absent.

    A value unknown at preview (a document holding another resource's output) is read as the
    offline check computed it, when it did (``computedValues``, clover/evidence.py): only the
    unknown parts are filled in, never a known value replaced.
    """
    try:
        props = args.props
        value = plain(props[name]) if name in props else None
    except UnknownValueError:
        value = UNKNOWN
    except (KeyError, TypeError):
        return None
    return _computed(args, name, value)


_STEP: Final = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def _computed(args: Any, name: str, value: Any) -> Any:
    try:
        config = args.get_config()
        given = config.get(COMPUTED_VALUES) if isinstance(config, Mapping) else None
        inputs = given.get("inputs") if isinstance(given, Mapping) else None
        values = inputs.get(args.urn) if isinstance(inputs, Mapping) else None
    except Exception:  # noqa: BLE001 - no evidence is no evidence: the value stays unknown
        return value
    if not isinstance(values, Mapping):
        return value
    holder: dict[str, Any] = {name: value}
    for path, computed in values.items():
        steps: list[str | int] = [k or int(i) for k, i in _STEP.findall(str(path))]
        if steps and steps[0] == name:
            _fill(holder, steps, plain(computed))
    return holder[name]


def _fill(holder: Any, steps: Sequence[str | int], computed: Any) -> None:
    """Put ``computed`` at ``steps`` where an unknown is."""
    for step in steps[:-1]:
        if not _has(holder, step):
            return
        holder = holder[step]
    last = steps[-1]
    if _has(holder, last) and holder[last] is UNKNOWN:
        holder[last] = computed


def _has(holder: Any, step: str | int) -> bool:
    if isinstance(step, str):
        return isinstance(holder, dict) and step in holder
    return isinstance(holder, list) and step < len(holder)


# -- outputs of the stack's own resources ----------------------------------------------------------

PROVEN_OUTPUTS: Final = "provenOutputs"
PROVEN_OUTPUTS_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "description": (
        "Which inputs unknown at preview are exactly an output of a resource of this stack "
        "({urn: {property path: '<urn>#<output>'}}), written by `python -m clover check`."
    ),
    "additionalProperties": {"type": "object", "additionalProperties": {"type": "string"}},
}
_STAND_IN: Final = re.compile(r"^[a-z0-9_]+\.([0-9a-f]{16})\.stand-in\.invalid(?:[/:]|$)")


def proven_output(args: Any, path: str) -> tuple[str, str] | None:
    """(source URN, output) when the offline check proved the input at ``path`` to be exactly
    that output of a resource of this stack; None otherwise."""
    try:
        config = args.get_config()
    except Exception:  # noqa: BLE001 - no config is no proof
        return None
    proofs = config.get(PROVEN_OUTPUTS) if isinstance(config, Mapping) else None
    entry = proofs.get(args.urn) if isinstance(proofs, Mapping) else None
    proof = entry.get(path) if isinstance(entry, Mapping) else None
    if not isinstance(proof, str) or "#" not in proof:
        return None
    source, output = proof.rsplit("#", 1)
    return source, output


def stack_output_source(args: Any, value: Any) -> str | None:
    """The URN of the resource of this stack whose output's stand-in a value the check computed
    starts with (``<output>.<digest>.stand-in.invalid``, the digest naming the resource in
    ``computedValues.standIns``); None otherwise. A StackReference's outputs belong to another
    stack, whatever account that is in, so they name none."""
    if not isinstance(value, str):
        return None
    match = _STAND_IN.match(value)
    if match is None:
        return None
    try:
        config = args.get_config()
        given = config.get(COMPUTED_VALUES) if isinstance(config, Mapping) else None
        stand_ins = given.get("standIns") if isinstance(given, Mapping) else None
    except Exception:  # noqa: BLE001 - no evidence is no evidence
        return None
    urn = stand_ins.get(match.group(1)) if isinstance(stand_ins, Mapping) else None
    if not isinstance(urn, str) or urn_type(urn) == "pulumi:pulumi:StackReference":
        return None
    return urn


def built_on_stack_output(args: Any, value: Any) -> bool:
    """Whether a value the check computed is built on an output of a resource of this stack (an
    ARN of the stack's own resource, perhaps with a suffix): see :func:`stack_output_source`."""
    return stack_output_source(args, value) is not None


def stack_principals(args: Any, statements: Sequence[Statement]) -> frozenset[str]:
    """The principals of ``statements`` that are identities of this stack: values the check
    computed from an output of one of its resources (a role's ARN, an origin access identity's
    IAM ARN), which live in the stack's own accounts."""
    return frozenset(
        principal.value
        for statement in statements
        for principal in statement.principals
        if principal.kind in ("AWS", "Federated") and built_on_stack_output(args, principal.value)
    )


def tag_map(props: Mapping[str, Any]) -> dict[str, Any]:
    """A resource's tags as a dict with lower-cased keys (aws-native sends a list of
    ``{key, value}``; Azure and IAM tag names compare case-insensitively)."""
    tags = props.get("tags")
    if isinstance(tags, list):
        tags = {t.get("key"): t.get("value") for t in tags if isinstance(t, dict)}
    return {str(k).lower(): v for k, v in tags.items()} if isinstance(tags, dict) else {}


@dataclass(frozen=True)
class ProvenOutput:
    """An input unknown at preview that the offline check proved to be exactly ``output`` of the
    stack's resource ``source`` (``provenOutputs``)."""

    source: str
    output: str


@dataclass(frozen=True)
class _StackArgs:
    """A stack policy's resource with the config, read as a resource policy's arguments."""

    urn: str
    props: Any
    config: Mapping[str, Any]

    def get_config(self) -> Mapping[str, Any]:
        return self.config


class StackInputs:
    """A stack policy's resources of the types a rule judges, each read once with the check's
    evidence (:func:`read_stack_resource`); a stack may hold thousands of others. ``all`` keeps
    every resource. It also serves as the arguments :func:`stack_output_source` reads."""

    def __init__(
        self, resources: Iterable[Any], config: Mapping[str, Any], types: Collection[str]
    ) -> None:
        self.all = list(resources)
        self.config = config
        self.resources = [r for r in self.all if r.resource_type in types]
        self.props: dict[str, dict[str, Any]] = {}
        for resource in self.resources:
            try:
                self.props[resource.urn] = read_stack_resource(resource, config)
            except Exception:  # noqa: BLE001 - unreadable inputs hold nothing readable
                self.props[resource.urn] = {}

    def of(self, resource: Any) -> dict[str, Any]:
        return self.props.get(resource.urn, {})

    def get_config(self) -> Mapping[str, Any]:
        return self.config

    def computed(self, key: str) -> Mapping[str, Any]:
        """An entry of the check's ``computedValues`` (``bucketNames``, ``standIns``)."""
        given = self.config.get(COMPUTED_VALUES)
        value = given.get(key) if isinstance(given, Mapping) else None
        return value if isinstance(value, Mapping) else {}


def read_stack_resource(resource: Any, config: Mapping[str, Any]) -> dict[str, Any]:
    """Every input of a stack policy's resource with the check's evidence applied: unknowns the
    second run computed are filled in (:func:`read_property`), and unknowns proven to be exactly an
    output of a resource of this stack become :class:`ProvenOutput`; the rest stay ``UNKNOWN``."""
    args = _StackArgs(urn=str(resource.urn), props=resource.props, config=config)
    values = read_inputs(args)
    proofs = config.get(PROVEN_OUTPUTS) if isinstance(config, Mapping) else None
    entry = proofs.get(args.urn) if isinstance(proofs, Mapping) else None
    if isinstance(entry, Mapping):
        for path, proof in entry.items():
            if isinstance(proof, str) and "#" in proof:
                source, output = proof.rsplit("#", 1)
                steps: list[str | int] = [k or int(i) for k, i in _STEP.findall(str(path))]
                if steps:
                    _fill(values, steps, ProvenOutput(source, output))
    return values
