"""Declared external resources: reviewed facts about where resources outside the stack are.

A replication target in another stack, an existing resource group, a partner's bucket: their
region cannot be proven from the program (an S3 bucket ARN carries none, an Azure id outside the
stack names no location, an https endpoint says nothing of where it keeps data), so the
fail-closed rules block them. The data-protection owners may state the fact instead, in the
reviewed file ``policy_packs/config/external-resources.yaml``: the resource (an S3 bucket ARN or
``s3://`` URL, another ARN, an Azure resource id, a ``gs://`` bucket or a GCP dataset or topic
name, an https URL or host), its cloud, its region or location, why it is used, who vouched for
it and the last day the statement holds. clover/pack_config.py compiles a stack's declarations
into the config of the rule ``external-resource-declarations`` (:data:`RULE`), so they reach the
pack through ``Configure`` under ``pulumi preview --policy-pack-config``, a Pulumi Cloud policy
group or the offline check alike.

They are read once per ``Configure`` for the whole pack (residency_common.wrap_configure), and
consulted only where a destination is otherwise unproven: a destination of this stack is placed
by the resource itself, never by a declaration. A declared region is then judged against the
allow-list like a literal one: declaring a bucket in ``us-east-1`` blocks it with that reason.
An expired or malformed declaration proves nothing, and the message says why; the advisory rule
:data:`RULE` reports those and the declarations no value of the stack refers to (stale).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import regions
from google.protobuf import json_format
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    Severity,
    StackValidationArgs,
)
from residency_common import stack_resources
from rulekit import is_unknown, stack_rule

RULE: Final = "external-resource-declarations"
CONFIG_KEY: Final = "externalResources"
CLOUDS: Final = ("aws", "azure", "gcp")
_DATE: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_FIELDS: Final = ("id", "resource", "cloud", "region", "reason", "vouchedBy", "expires")

ENTRY_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "properties": {
        "id": {"type": "string", "minLength": 1},
        "resource": {"type": "string", "minLength": 1},
        "cloud": {"enum": list(CLOUDS)},
        "region": {"type": "string", "minLength": 1},
        "reason": {"type": "string", "minLength": 1},
        "vouchedBy": {"type": "string", "minLength": 1},
        "expires": {"type": "string", "pattern": _DATE.pattern},
    },
    "required": list(_FIELDS),
    "additionalProperties": False,
}
PROPERTY: Final[dict[str, Any]] = {
    "type": "array",
    "items": ENTRY_SCHEMA,
    "default": [],
    "description": (
        "Reviewed facts about resources outside the stack, compiled from "
        "policy_packs/config/external-resources.yaml by clover.pack_config: each names the "
        "resource (S3 bucket ARN or s3:// URL, ARN, Azure resource id, gs:// bucket, GCP dataset "
        "or topic, https URL or host), its cloud and region, a reason, who vouched for it and "
        "the last day it holds (expires, YYYY-MM-DD)."
    ),
}

_S3_ARN: Final = re.compile(r"^arn:aws[a-z-]*:s3:::(?P<bucket>[^/\s]+)$")
_S3_URL: Final = re.compile(r"^s3://(?P<bucket>[^/\s]+)/?$", re.I)
_GS_URL: Final = re.compile(r"^gs://(?P<bucket>[^/\s]+)/?$", re.I)
_GCP_NAME: Final = re.compile(
    r"^(?://[a-z0-9.-]+\.googleapis\.com/)?projects/(?P<project>[^/\s]+)/"
    r"(?P<collection>buckets|datasets|topics)/(?P<name>[^/\s]+)$",
    re.I,
)
_URL: Final = re.compile(
    r"^(?P<scheme>https?)://(?P<host>[^/:?#\s]+)(?::\d+)?(?P<path>/[^?#\s]*)?$"
)
_HOST: Final = re.compile(r"^(?=.{4,253}$)(?:[a-z0-9-]+\.)+[a-z]{2,}$", re.I)
_ANY_URL: Final = re.compile(r"^(?P<scheme>[a-z][a-z0-9+.-]*)://(?P<host>[^/:?#\s]*)(?P<rest>.*)$")


@dataclass(frozen=True)
class Key:
    """What a declaration designates, in the form references are compared in."""

    kind: str  # "s3", "arn", "azure", "gcp", "url"
    value: str  # bucket name, ARN, lower-case Azure id, "<collection>/<name>", host
    path: str = ""  # "url": the path prefix the declaration covers ("" for the whole host)


def _patterned(text: str) -> tuple[str, Key] | None:
    """(the cloud it belongs to, key) for the forms that say their own cloud."""
    s3 = _S3_ARN.match(text) or _S3_URL.match(text)
    if s3 is not None:
        return "aws", Key("s3", s3.group("bucket"))
    gs = _GS_URL.match(text)
    if gs is not None:
        return "gcp", Key("gcp", f"buckets/{gs.group('bucket')}")
    named = _GCP_NAME.match(text)
    if named is not None:
        return "gcp", Key("gcp", f"{named.group('collection').lower()}/{named.group('name')}")
    return None


def resource_key(resource: str, cloud: str) -> tuple[Key | None, str]:
    """The key of a declared resource, or (None, why it is not one this pack can match)."""
    text = resource.strip()
    patterned = _patterned(text)
    key: Key | None = None
    why = ""
    if patterned is not None:
        expected, key = patterned
    elif text.startswith("arn:"):
        parts = text.split(":", 5)
        expected, key = "aws", Key("arn", text)
        if len(parts) < 6 or not parts[2] or not parts[5]:
            key, why = None, "not a complete ARN (arn:partition:service:region:account:resource)"
    elif text.lower().startswith("/subscriptions/"):
        segments = [s for s in text.lower().split("/") if s]
        expected, key = "azure", Key("azure", "/" + "/".join(segments))
        if len(segments) < 2 or len(segments) % 2:
            key, why = None, "not a complete Azure resource id (/subscriptions/<id>/...)"
    else:
        url = _URL.match(text)
        expected = cloud  # an endpoint may be anyone's
        if url is not None:
            key = Key("url", url.group("host").lower(), (url.group("path") or "").rstrip("/"))
        elif _HOST.match(text):
            key = Key("url", text.lower())
        else:
            why = (
                "not an S3 bucket ARN or s3:// URL, an ARN, an Azure resource id, a gs:// "
                "bucket, a GCP projects/<p>/buckets|datasets|topics/<name>, nor an http(s) URL "
                "or host name"
            )
    if key is not None and cloud != expected:
        return None, f"it is an {expected} resource, not {cloud}"
    return key, why


def region_problem(cloud: str, region: str) -> str | None:
    """Why ``region`` is not a region or location name of ``cloud``; None when it is one."""
    if cloud == "aws":
        ok = regions.is_aws_region_code(region)
        shape = "an AWS region code such as eu-west-1"
    elif cloud == "azure":
        ok = regions.normalise_azure_location(region) is not None
        shape = "an Azure location such as northeurope"
    else:
        ok = regions.normalise_gcp_location(region) is not None
        shape = "a GCP location such as europe-west1 or EU"
    return None if ok else f"{region!r} is not {shape}"


@dataclass(frozen=True, kw_only=True)
class Declaration:
    """One declared external resource."""

    id: str
    resource: str
    cloud: str
    region: str
    reason: str
    vouched_by: str
    expires: datetime.date | None
    key: Key | None
    problem: str | None = None
    """Why the declaration proves nothing (a malformed entry); None when it is well formed."""

    def active(self, today: datetime.date) -> bool:
        return self.problem is None and self.expires is not None and today <= self.expires

    def why_not(self, today: datetime.date) -> str:
        """Why an inactive declaration proves nothing."""
        if self.problem is not None:
            return f"declaration {self.id} is malformed ({self.problem})"
        return (
            f"declaration {self.id} expired on {self.expires} (today is {today.isoformat()}); "
            "re-confirm where the resource is and renew it in "
            "policy_packs/config/external-resources.yaml"
        )

    @property
    def via(self) -> str:
        return f"declared external resource {self.id}, vouched for by {self.vouched_by}"


def parse(index: int, raw: Any) -> Declaration:
    """An entry of the ``externalResources`` setting; a malformed one carries its problem."""
    entry = raw if isinstance(raw, Mapping) else {}
    texts: dict[str, str] = {}
    for field in _FIELDS:
        value = entry.get(field)
        texts[field] = value if isinstance(value, str) else ""
    ident = texts["id"] or f"#{index}"
    problem: str | None = None
    key: Key | None = None
    expires: datetime.date | None = None
    missing = [k for k, v in texts.items() if not v]
    extra = sorted(str(k) for k in entry if k not in _FIELDS)
    if not isinstance(raw, Mapping):
        problem = "not an object"
    elif missing:
        problem = f"missing {', '.join(missing)}"
    elif extra:
        problem = f"unknown key {extra[0]}"
    elif texts["cloud"] not in CLOUDS:
        problem = f"cloud {texts['cloud']!r} is not one of {', '.join(CLOUDS)}"
    else:
        problem = region_problem(texts["cloud"], texts["region"])
        if problem is None:
            key, why = resource_key(texts["resource"], texts["cloud"])
            problem = why or None
        if problem is None:
            try:
                if not _DATE.match(texts["expires"]):
                    raise ValueError
                expires = datetime.date.fromisoformat(texts["expires"])
            except ValueError:
                problem = f"expires {texts['expires']!r} is not a date (YYYY-MM-DD)"
    return Declaration(
        id=ident,
        resource=texts["resource"],
        cloud=texts["cloud"],
        region=texts["region"],
        reason=texts["reason"],
        vouched_by=texts["vouchedBy"],
        expires=expires,
        key=key if problem is None else None,
        problem=problem,
    )


def _azure_covers(declared: str, reference: str) -> bool:
    """Whether a declared Azure id covers ``reference`` (both lower case): itself, or a child of
    a declared resource (``.../storageAccounts/a/blobServices/default``), which Azure keeps with
    its parent. A declared resource group or subscription covers only itself: the resources in
    a group may each be in any location."""
    if reference == declared:
        return True
    return "/providers/" in declared and reference.startswith(declared + "/")


class Declarations:
    """The declarations the pack was configured with, and their look-ups."""

    def __init__(
        self,
        entries: Sequence[Declaration] = (),
        today: Callable[[], datetime.date] = datetime.date.today,
    ) -> None:
        self.entries = tuple(entries)
        self._today = today

    @classmethod
    def of(cls, raw: Any, today: Callable[[], datetime.date] = datetime.date.today) -> Declarations:
        listed = raw if isinstance(raw, list) else []
        return cls([parse(i, e) for i, e in enumerate(listed)], today)

    def today(self) -> datetime.date:
        return self._today()

    def _find(self, test: Callable[[Key], bool]) -> Declaration | None:
        """The first matching declaration, an active one before an inactive one."""
        found = [d for d in self.entries if d.key is not None and test(d.key)]
        today = self.today()
        return next((d for d in found if d.active(today)), found[0] if found else None)

    def s3_bucket(self, name: str) -> Declaration | None:
        return self._find(lambda k: k.kind == "s3" and k.value == name)

    def arn(self, arn: str) -> Declaration | None:
        return self._find(lambda k: k.kind == "arn" and k.value == arn)

    def azure_id(self, value: str) -> Declaration | None:
        reference = "/" + "/".join(s for s in value.lower().split("/") if s)
        return self._find(lambda k: k.kind == "azure" and _azure_covers(k.value, reference))

    def azure_named(self, kind: str, name: str) -> Declaration | None:
        """A declared Azure resource of this singular type (``storageaccount``) and name."""

        def test(key: Key) -> bool:
            segments = key.value.split("/")
            if key.kind != "azure" or "providers" not in segments or len(segments) < 2:
                return False
            type_, own = segments[-2], segments[-1]
            singular = type_[:-1] if type_.endswith("s") else type_
            return own == name.lower() and singular in (kind, kind.rstrip("s"))

        return self._find(test)

    def resource_group(self, name: str) -> Declaration | None:
        """A declared resource group of this name (ARM names are case-insensitive)."""
        wanted = name.lower()
        return self._find(
            lambda k: (
                k.kind == "azure"
                and len(k.value.split("/")) == 5  # "", subscriptions, <id>, resourcegroups, <name>
                and k.value.split("/")[3] == "resourcegroups"
                and k.value.split("/")[4] == wanted
            )
        )

    def gcp(self, collection: str, name: str) -> Declaration | None:
        return self._find(lambda k: k.kind == "gcp" and k.value == f"{collection}/{name}")

    def url(self, value: str) -> Declaration | None:
        """A declared host or URL covering ``value`` (same host; a declared path is a prefix
        at a segment boundary)."""
        match = _ANY_URL.match(value)
        host = (match.group("host") if match else value).lower()
        rest = match.group("rest") if match else ""
        path = re.sub(r"^:\d+", "", rest).split("?", 1)[0].split("#", 1)[0].rstrip("/")

        def test(key: Key) -> bool:
            if key.kind != "url" or key.value != host:
                return False
            return not key.path or path == key.path or path.startswith(key.path + "/")

        return self._find(test)


_declarations = Declarations()


def pack_declarations() -> Declarations:
    return _declarations


def set_pack_declarations(declarations: Declarations) -> None:
    global _declarations  # noqa: PLW0603 - the engine configures a pack process, not a call
    _declarations = declarations


def declarations_of(policy_config: Mapping[str, Any]) -> Declarations:
    """The declarations in a decoded ``Configure`` request (the rule :data:`RULE`'s setting)."""
    entry = policy_config.get(RULE)
    raw = entry.get(CONFIG_KEY) if isinstance(entry, Mapping) else None
    return Declarations.of(raw)


def wrap_configure(configure: Callable[[Any, Any, Any], Any]) -> Callable[[Any, Any, Any], Any]:
    """Wrap the SDK servicer's ``Configure`` so every rule sees the declarations it carries.

    Decoded as the SDK decodes each ``PolicyConfig.properties`` (``MessageToDict``), as
    residency_common.wrap_configure reads the allow-lists. A request that cannot be decoded
    leaves no declaration: every external destination then stays unproven (fail closed).
    """

    def run(servicer: Any, request: Any, context: Any) -> Any:
        try:
            decoded = {
                str(name): json_format.MessageToDict(entry.properties)
                for name, entry in request.policyConfig.items()
            }
            declarations = declarations_of(decoded)
        except Exception:  # noqa: BLE001 - fail closed, see docstring
            declarations = Declarations()
        set_pack_declarations(declarations)
        return configure(servicer, request, context)

    return run


# -- The advisory rule: expired, malformed and stale declarations -------------------------------


def _strings(value: Any, depth: int = 0) -> Iterator[str]:
    if depth > 48:
        return
    if isinstance(value, str) and not is_unknown(value):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item, depth + 1)


def _mentions(declaration: Declaration, values: Iterable[str]) -> bool:
    """Whether any value of the stack refers to the declared resource (loosely: by its bucket,
    id, name or host appearing in a value), so that only a declaration nothing refers to is
    called stale."""
    key = declaration.key
    if key is None:
        return True
    needle = key.value.rsplit("/", 1)[-1] if key.kind in ("azure", "gcp") else key.value
    needle = needle.lower()
    return any(needle in v.lower() for v in values)


def check_declarations(
    stack: Sequence[Any], declarations: Declarations
) -> list[tuple[str | None, str]]:
    """(None, message) for every declaration that is malformed, expired or refers to nothing."""
    today = declarations.today()
    values = [s for r in stack for s in _strings(dict(r.props))]
    findings: list[tuple[str | None, str]] = []
    for declaration in declarations.entries:
        if not declaration.active(today):
            findings.append(
                (
                    None,
                    f"{declaration.why_not(today)}: references to {declaration.resource!r} are "
                    "not proven and block",
                )
            )
        elif not _mentions(declaration, values):
            findings.append(
                (
                    None,
                    f"declaration {declaration.id} ({declaration.resource!r}) is stale: no "
                    "resource of this stack refers to it; remove it from "
                    "policy_packs/config/external-resources.yaml",
                )
            )
    return findings


def _validate(args: StackValidationArgs, report: ReportViolation) -> None:
    for _, message in check_declarations(stack_resources(args), pack_declarations()):
        report(message, None)


POLICIES: Final = [
    stack_rule(
        RULE,
        description=(
            "Carries the reviewed declared external resources the residency rules resolve "
            "otherwise unproven destinations against, and reports expired, malformed and stale "
            "declarations."
        ),
        validate=_validate,
        enforcement_level=EnforcementLevel.ADVISORY,
        severity=Severity.LOW,
        remediation_steps=(
            "Renew an expired declaration after re-confirming the resource's region, fix a "
            "malformed one, remove a stale one (policy_packs/config/external-resources.yaml, "
            "then `python -m clover.pack_config`)."
        ),
        config_schema=PolicyConfigSchema(properties={CONFIG_KEY: PROPERTY}),
    ),
]
