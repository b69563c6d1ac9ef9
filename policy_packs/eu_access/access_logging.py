"""Access to the data is logged, in the data's region.

Every read of European user data must leave a trace that an auditor can follow, kept where the data
is. Two stack rules:

- ``aws-data-bucket-access-logged``: every S3 bucket that may hold user data has its object reads
  and writes recorded as CloudTrail data events by a trail (or CloudTrail Lake event data store) of
  this stack that runs in the bucket's region or in every region. S3 records data events in the
  bucket's region, and a single-region trail sees only its own region's events.
  https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html
  Where the trail delivers is judged by ``eu-residency`` (its ``s3BucketName`` is a data flow).
- ``azure-native-data-store-access-logged``: every storage account's blob service (and its file,
  queue or table service when the stack keeps a share, queue or table there) sends its read,
  write and delete logs, and every key vault and managed HSM its audit events, to a sink through a
  diagnostic setting (where the sink is is judged by ``eu-residency``). Blob logs belong to the
  blob service (``<account id>/blobServices/default``), not to the account.
  https://learn.microsoft.com/azure/storage/blobs/monitor-blob-storage#collection-and-routing

Not data stores here: buckets that receive logs (a trail's destination, a server access logging
target: logging their object events into a trail that writes to them would loop) and resources
whose ``data-classification`` tag is one of ``exemptClassifications`` (visible in review). Anything
the rule cannot prove (a selector or destination unknown without the check's evidence, a filter it
cannot read) fails closed with the reason in the message.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

if TYPE_CHECKING:
    from policy_packs.eu_access.access_common import (
        PROVEN_OUTPUTS,
        PROVEN_OUTPUTS_SCHEMA,
        UNKNOWN,
        ProvenOutput,
        StackInputs,
        plain,
        schema,
        show,
        tag_map,
    )
    from policy_packs.eu_access.rulekit import stack_rule
else:
    from access_common import (
        PROVEN_OUTPUTS,
        PROVEN_OUTPUTS_SCHEMA,
        UNKNOWN,
        ProvenOutput,
        StackInputs,
        plain,
        schema,
        show,
        tag_map,
    )
    from rulekit import stack_rule

AWS_RULE: Final = "aws-data-bucket-access-logged"
AZURE_RULE: Final = "azure-native-data-store-access-logged"

# Buckets and the input that names them.
BUCKETS: Final = {
    "aws:s3/bucket:Bucket": "bucket",
    "aws:s3/bucketV2:BucketV2": "bucket",
    "aws-native:s3:Bucket": "bucketName",
}
TRAILS: Final = frozenset({"aws:cloudtrail/trail:Trail", "aws-native:cloudtrail:Trail"})
EVENT_DATA_STORES: Final = frozenset(
    {"aws:cloudtrail/eventDataStore:EventDataStore", "aws-native:cloudtrail:EventDataStore"}
)
# Where server access logs of a bucket go (the target is a log sink, not a data store).
ACCESS_LOG_TARGETS: Final = {
    "aws:s3/bucketLogging:BucketLogging": ("targetBucket",),
    "aws:s3/bucketLoggingV2:BucketLoggingV2": ("targetBucket",),
    "aws:s3/bucket:Bucket": ("logging", "targetBucket"),
    "aws:s3/bucketV2:BucketV2": ("logging", "targetBucket"),
    "aws-native:s3:Bucket": ("loggingConfiguration", "destinationBucketName"),
}

STORAGE_ACCOUNT: Final = "azure-native:storage:StorageAccount"
VAULTS: Final = {
    "azure-native:keyvault:Vault": "vaultName",
    "azure-native:keyvault:ManagedHsm": "name",
}
DIAGNOSTIC_SETTINGS: Final = frozenset(
    {"azure-native:monitor:DiagnosticSetting", "azure-native:insights:DiagnosticSetting"}
)
# Storage services beyond blobs: a resource of these types holds data in the account's service,
# whose logs belong to that service (``<account id>/fileServices/default`` and so on).
STORAGE_SERVICES: Final = {
    "azure-native:storage:FileShare": "fileservices",
    "azure-native:storage:Queue": "queueservices",
    "azure-native:storage:Table": "tableservices",
}
DIAGNOSTIC_SINKS: Final = (
    "workspaceId",
    "storageAccountId",
    "eventHubAuthorizationRuleId",
    "marketplacePartnerId",
)
# https://learn.microsoft.com/azure/azure-monitor/reference/supported-logs/microsoft-storage-storageaccounts-blobservices-logs
BLOB_CATEGORIES: Final = ("StorageRead", "StorageWrite", "StorageDelete")
# https://learn.microsoft.com/azure/key-vault/general/logging (AuditEvent, in the "audit" group);
# a managed HSM logs the same category.
VAULT_CATEGORIES: Final = ("AuditEvent",)

CLASSIFICATION_TAG: Final = "data-classification"
EXEMPT_CLASSIFICATIONS_DEFAULT: Final = ("public",)

READ: Final = "reads"
WRITE: Final = "writes"
BOTH: Final = frozenset({READ, WRITE})

_S3_ARN: Final = re.compile(r"^arn:aws[a-z-]*:s3:::([^/]*)(/.*)?$")
_ARN_PARTITION: Final = re.compile(r"^arn:aws[a-z-]*:")
_OPERATORS: Final = {
    "equals": "equals",
    "startsWith": "startsWith",
    "startsWiths": "startsWith",
    "endsWith": "endsWith",
    "endsWiths": "endsWith",
    "notEquals": "notEquals",
    "notStartsWith": "notStartsWith",
    "notStartsWiths": "notStartsWith",
    "notEndsWith": "notEndsWith",
    "notEndsWiths": "notEndsWith",
}


# -- reading the stack -----------------------------------------------------------------------------


def _exempt_classification(props: Mapping[str, Any], config: Mapping[str, Any]) -> str | None:
    value = tag_map(props).get(CLASSIFICATION_TAG)
    exempt = config.get("exemptClassifications", list(EXEMPT_CLASSIFICATIONS_DEFAULT))
    if isinstance(value, str) and isinstance(exempt, list) and value in exempt:
        return value
    return None


def _region(resource: PolicyResource, props: Mapping[str, Any]) -> Any:
    """The resource's ``region``, else its provider's (pulumi-aws v7 resources take a ``region``
    that overrides the provider's); None when neither is set."""
    own = props.get("region")
    if own not in (None, ""):
        return own
    provider = getattr(resource, "provider", None)
    try:
        provider_props = plain(provider.props) if provider is not None else {}
    except Exception:  # noqa: BLE001 - an unreadable provider gives no region
        return None
    inherited = provider_props.get("region") if isinstance(provider_props, dict) else None
    return inherited if inherited not in (None, "") else None


def _at(value: Any, *steps: str) -> Any:
    for step in steps:
        if isinstance(value, list):
            # A block sent as a one-element list (max-items-one blocks of older schemas).
            value = value[0] if len(value) == 1 else None
        value = value.get(step) if isinstance(value, dict) else None
    return value


# -- AWS -------------------------------------------------------------------------------------------


@dataclass
class _Buckets:
    """The stack's buckets and the names each is known by (given, or computed by the check)."""

    urns: set[str] = field(default_factory=set)
    names: dict[str, set[str]] = field(default_factory=dict)
    by_name: dict[str, str] = field(default_factory=dict)

    def add(self, urn: str, name: Any) -> None:
        self.urns.add(urn)
        if isinstance(name, str) and name:
            self.names.setdefault(urn, set()).add(name)
            self.by_name.setdefault(name, urn)

    def resolve(self, value: Any) -> str | None:
        """The URN of the stack's bucket a value names (a name, an ARN, a proven output)."""
        if isinstance(value, ProvenOutput):
            if value.source in self.urns and value.output in ("id", "bucket", "bucketName", "arn"):
                return value.source
            return None
        if not isinstance(value, str):
            return None
        match = _S3_ARN.match(value)
        return self.by_name.get(match.group(1) if match else value)


def _buckets(stack: StackInputs) -> _Buckets:
    found = _Buckets()
    for resource in stack.resources:
        key = BUCKETS.get(resource.resource_type)
        if key is not None:
            found.add(resource.urn, stack.of(resource).get(key))
    for name, urn in stack.computed("bucketNames").items():
        if urn in found.urns:
            found.add(urn, name)
    return found


def _log_sinks(stack: StackInputs, buckets: _Buckets) -> set[str]:
    """Buckets that receive a trail's files or server access logs."""
    sinks: set[str] = set()
    for resource in stack.resources:
        props = stack.of(resource)
        targets: list[Any] = []
        if resource.resource_type in TRAILS:
            targets.append(props.get("s3BucketName"))
        path = ACCESS_LOG_TARGETS.get(resource.resource_type)
        if path is not None:
            targets.append(_at(props, *path))
        sinks.update(urn for urn in map(buckets.resolve, targets) if urn is not None)
    return sinks


@dataclass(frozen=True)
class _Coverage:
    kinds: frozenset[str]
    why_not: str | None = None


def _object_space(name: str) -> str:
    return f"arn:aws:s3:::{name}/"


def _normal_arn(value: str) -> str:
    return _ARN_PARTITION.sub("arn:aws:", value)


def _prefix_covers(prefix: Any, names: set[str], bucket_urn: str) -> bool | None:
    """Whether ARN prefix ``prefix`` spans all of the bucket's objects; None when unknown."""
    if isinstance(prefix, ProvenOutput):
        # Exactly the bucket's ARN (no slash): every object ARN starts with it.
        return prefix.source == bucket_urn and prefix.output == "arn"
    if not isinstance(prefix, str):
        return None
    text = _normal_arn(prefix)
    if text in ("arn:aws:s3", "arn:aws:s3:", "arn:aws:s3:::"):
        return True
    return any(_object_space(name).startswith(text) for name in names)


def _overlaps(value: Any, names: set[str]) -> bool:
    """Whether an excluded ARN or prefix touches the bucket's objects (unknown: it may)."""
    if not isinstance(value, str):
        return True
    text = _normal_arn(value)
    return any(
        text.startswith(_object_space(name)) or _object_space(name).startswith(text)
        for name in names
    )


def _field_selectors(selector: Mapping[str, Any]) -> dict[str, dict[str, list[Any]]] | str:
    fields: dict[str, dict[str, list[Any]]] = {}
    selectors = selector.get("fieldSelectors")
    if not isinstance(selectors, list):
        return f"its field selectors are {show(selectors)}"
    for item in selectors:
        if not isinstance(item, dict) or not isinstance(item.get("field"), str):
            return f"a field selector is {show(item)}"
        ops = fields.setdefault(item["field"], {})
        for key, values in item.items():
            operator = _OPERATORS.get(key)
            if operator is None or values is None:
                continue
            if not isinstance(values, list):
                return f"{item['field']} {key} is {show(values)}"
            ops.setdefault(operator, []).extend(values)
    return fields


def _advanced(  # noqa: PLR0911, PLR0912 - one branch per field CloudTrail filters on
    selector: Any, names: set[str], bucket_urn: str
) -> _Coverage:
    """What one advanced event selector records of the bucket's object events."""
    if not isinstance(selector, dict):
        return _Coverage(frozenset(), f"an advanced event selector is {show(selector)}")
    fields = _field_selectors(selector)
    if isinstance(fields, str):
        return _Coverage(frozenset(), fields)
    category = fields.pop("eventCategory", {})
    if set(category) != {"equals"} or "Data" not in category["equals"]:
        return _Coverage(frozenset())  # management or other events: not about the bucket
    kind = fields.pop("resources.type", {})
    if set(kind) != {"equals"} or "AWS::S3::Object" not in kind["equals"]:
        return _Coverage(frozenset())
    kinds = BOTH
    read_only = fields.pop("readOnly", None)
    if read_only is not None:
        values = read_only.get("equals") if set(read_only) == {"equals"} else None
        if values is None or any(v not in ("true", "false") for v in values):
            return _Coverage(frozenset(), f"readOnly is filtered as {show(read_only)}")
        kinds = frozenset(
            {READ} if values == ["true"] else {WRITE} if values == ["false"] else BOTH
        )
    source = fields.pop("eventSource", None)
    if source is not None and source != {"equals": ["s3.amazonaws.com"]}:
        return _Coverage(frozenset(), f"eventSource is filtered as {show(source)}")
    arn = fields.pop("resources.ARN", {})
    if fields:
        return _Coverage(
            frozenset(),
            f"it filters on {', '.join(sorted(fields))}, so some object events go unrecorded",
        )
    if {"equals", "endsWith", "notEndsWith"} & set(arn):
        return _Coverage(frozenset(), "resources.ARN selects some objects, not all of them")
    for operator in ("notStartsWith", "notEquals"):
        excluded = [v for v in arn.get(operator, []) if _overlaps(v, names)]
        if excluded:
            return _Coverage(
                frozenset(), f"resources.ARN {operator} {show(excluded[0])} leaves objects out"
            )
    prefixes = arn.get("startsWith")
    if prefixes is None:
        return _Coverage(kinds)  # every bucket the trail sees
    answers = [_prefix_covers(p, names, bucket_urn) for p in prefixes]
    if any(answers):
        return _Coverage(kinds)
    if None in answers:
        return _Coverage(
            frozenset(),
            "resources.ARN startsWith holds a value unknown at preview that the check could not "
            "resolve to the bucket",
        )
    return _Coverage(frozenset())


def _basic(selector: Any, names: set[str], bucket_urn: str) -> _Coverage:
    """What one (basic) event selector records of the bucket's object events."""
    if not isinstance(selector, dict):
        return _Coverage(frozenset(), f"an event selector is {show(selector)}")
    read_write = selector.get("readWriteType") or "All"
    kinds = {"All": BOTH, "ReadOnly": frozenset({READ}), "WriteOnly": frozenset({WRITE})}.get(
        read_write if isinstance(read_write, str) else ""
    )
    if kinds is None:
        return _Coverage(frozenset(), f"readWriteType is {show(read_write)}")
    resources = selector.get("dataResources") or []
    unknown = False
    for resource in resources if isinstance(resources, list) else []:
        if not isinstance(resource, dict) or resource.get("type") != "AWS::S3::Object":
            continue
        values = resource.get("values")
        answers = [_prefix_covers(v, names, bucket_urn) for v in values or []]
        if any(answers):
            return _Coverage(kinds)
        unknown = unknown or None in answers or not isinstance(values, list)
    why = "a data resource value is unknown at preview and unresolved" if unknown else None
    return _Coverage(frozenset(), why)


@dataclass(frozen=True)
class _Recorder:
    """A trail or event data store of the stack."""

    resource: PolicyResource
    props: Mapping[str, Any]

    @property
    def label(self) -> str:
        return f"{self.resource.resource_type.rsplit(':', 1)[-1]} {self.resource.name!r}"

    def records(self, bucket_region: Any, names: set[str], bucket_urn: str) -> _Coverage:
        props = self.props
        native = self.resource.resource_type.startswith("aws-native:")
        if self.resource.resource_type in TRAILS:
            logging = props.get("isLogging") if native else props.get("enableLogging", True)
            if logging is not True and not (logging is None and not native):
                return _Coverage(frozenset(), f"its logging is {show(logging)}")
            everywhere = props.get("isMultiRegionTrail") is True
        else:
            # pulumi-aws suspends ingestion with suspend = "true"; aws-native stops it with
            # ingestionEnabled = false. Either way nothing new is recorded.
            suspended = props.get("suspend")
            ingesting = props.get("ingestionEnabled", True)
            if suspended not in (None, "false", False) or ingesting is not True:
                return _Coverage(
                    frozenset(),
                    f"its ingestion is off (suspend {show(suspended)}, ingestionEnabled "
                    f"{show(ingesting)})",
                )
            everywhere = props.get("multiRegionEnabled", True) is True
        region = _region(self.resource, props)
        if not everywhere and (not isinstance(bucket_region, str) or region != bucket_region):
            return _Coverage(
                frozenset(),
                f"it records events of region {show(region)} only, the bucket is in "
                f"{show(bucket_region)}",
            )
        advanced = props.get("advancedEventSelectors")
        basic = props.get("eventSelectors")
        if isinstance(advanced, list) and len(advanced) > 0:
            selectors, judge = list(advanced), _advanced
        elif advanced is UNKNOWN or basic is UNKNOWN:
            return _Coverage(frozenset(), "its event selectors are unknown at preview")
        elif isinstance(basic, list) and len(basic) > 0:
            selectors, judge = list(basic), _basic
        else:
            return _Coverage(frozenset(), "it records management events only")
        kinds: set[str] = set()
        reasons: list[str] = []
        for selector in selectors:
            coverage = judge(selector, names, bucket_urn)
            kinds.update(coverage.kinds)
            if coverage.why_not:
                reasons.append(coverage.why_not)
        return _Coverage(frozenset(kinds), "; ".join(reasons) or None)


def _describe(names: set[str], urn: str) -> str:
    return show(sorted(names)[0]) if names else f"(its name is unknown at preview; {urn})"


def validate_aws_access_logged(args: StackValidationArgs, report: ReportViolation) -> None:
    config: Any = args.get_config()
    stack = StackInputs(
        list(args.resources), config if isinstance(config, Mapping) else {}, _AWS_TYPES
    )
    buckets = _buckets(stack)
    sinks = _log_sinks(stack, buckets)
    recorders = [
        _Recorder(r, stack.of(r))
        for r in stack.resources
        if r.resource_type in TRAILS or r.resource_type in EVENT_DATA_STORES
    ]
    for resource in stack.resources:
        if resource.urn not in buckets.urns or resource.urn in sinks:
            continue
        props = stack.of(resource)
        if _exempt_classification(props, stack.config) is not None:
            continue
        names = buckets.names.get(resource.urn, set())
        region = _region(resource, props)
        kinds: set[str] = set()
        reasons: list[str] = []
        for recorder in recorders:
            coverage = recorder.records(region, names, resource.urn)
            kinds.update(coverage.kinds)
            if coverage.why_not:
                reasons.append(f"{recorder.label}: {coverage.why_not}")
        missing = sorted(BOTH - kinds)
        if not missing:
            continue
        found = (
            "; ".join(reasons)
            if reasons
            else (
                "no trail of this stack selects its object events"
                if recorders
                else "the stack has no CloudTrail trail or event data store"
            )
        )
        report(
            f"{AWS_RULE}: {resource.resource_type} {resource.name} (bucket "
            f"{_describe(names, resource.urn)}, region {show(region)}): object "
            f"{' and '.join(missing)} are not recorded as CloudTrail data events ({found}). "
            f"Add a trail of this stack in {show(region)} (or a multi-region one) with logging "
            "on and an advanced event selector eventCategory = Data, resources.type = "
            "AWS::S3::Object, resources.ARN startsWith the bucket's ARN followed by '/' (no "
            "readOnly filter), delivered to a bucket in an allowed region; or tag the bucket "
            f"{CLASSIFICATION_TAG} with one of {_exempt_list(stack.config)} if it holds no user "
            "data.",
            resource.urn,
        )


def _exempt_list(config: Mapping[str, Any]) -> str:
    exempt = config.get("exemptClassifications", list(EXEMPT_CLASSIFICATIONS_DEFAULT))
    return json.dumps(exempt if isinstance(exempt, list) else [])


# -- Azure -----------------------------------------------------------------------------------------


def _arm_target(value: Any) -> tuple[str, str, str] | None:
    """(provider type, name, sub-path) of an ARM id, lower-cased: ``/subscriptions/../providers/
    Microsoft.Storage/storageAccounts/acct/blobServices/default`` gives
    ``("microsoft.storage/storageaccounts", "acct", "blobservices/default")``."""
    if not isinstance(value, str):
        return None
    segments = [s for s in value.lower().split("/") if s]
    if "providers" not in segments:
        return None
    at = segments.index("providers")
    if at + 3 >= len(segments):
        return None
    kind = f"{segments[at + 1]}/{segments[at + 2]}"
    return kind, segments[at + 3], "/".join(segments[at + 4 :])


_ARM_KINDS: Final = {
    STORAGE_ACCOUNT: ("microsoft.storage/storageaccounts", "accountName"),
    "azure-native:keyvault:Vault": ("microsoft.keyvault/vaults", "vaultName"),
    "azure-native:keyvault:ManagedHsm": ("microsoft.keyvault/managedhsms", "name"),
}


def _enabled_categories(logs: Any) -> set[str]:
    found: set[str] = set()
    for item in logs if isinstance(logs, list) else []:
        if not isinstance(item, dict) or item.get("enabled") is not True:
            continue
        for key in ("category", "categoryGroup"):
            value = item.get(key)
            if isinstance(value, str):
                found.add(value.lower())
    return found


def _has_sink(props: Mapping[str, Any]) -> bool:
    return any(props.get(key) not in (None, "") for key in DIAGNOSTIC_SINKS)


def _needed(resource_type: str) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    """(categories, groups that hold them all, sub-resource the setting belongs to)."""
    if resource_type == STORAGE_ACCOUNT:
        return BLOB_CATEGORIES, ("allLogs",), "blobservices/default"
    return VAULT_CATEGORIES, ("audit", "allLogs"), ""


def _azure_stores(stack: StackInputs) -> dict[str, tuple[PolicyResource, str, str]]:
    """Data stores by URN: (resource, ARM kind, lower-cased name). A name not given is the one
    the engine autonames from the resource's name (offline: the logical name)."""
    stores: dict[str, tuple[PolicyResource, str, str]] = {}
    for resource in stack.resources:
        entry = _ARM_KINDS.get(resource.resource_type)
        if entry is None:
            continue
        kind, key = entry
        name = stack.of(resource).get(key)
        stores[resource.urn] = (
            resource,
            kind,
            (name if isinstance(name, str) and name else resource.name).lower(),
        )
    return stores


@dataclass
class _Settings:
    """What the stack's diagnostic settings log, per (data store URN, sub-resource path)."""

    logged: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    notes: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    unresolved: list[str] = field(default_factory=list)


def _target(props: Mapping[str, Any], stores: Mapping[str, Any], by_name: Any) -> Any:
    """(store URN, sub-resource path) the setting's ``resourceUri`` names; None if no store of the
    stack, UNKNOWN if unresolved."""
    uri = props.get("resourceUri")
    if isinstance(uri, ProvenOutput):
        return (uri.source, "") if uri.output == "id" and uri.source in stores else None
    target = _arm_target(uri)
    if target is None:
        return UNKNOWN if uri is UNKNOWN else None
    urn = by_name.get(target[:2])
    return (urn, target[2]) if urn is not None else None


def _settings(
    stack: StackInputs, stores: Mapping[str, tuple[PolicyResource, str, str]]
) -> _Settings:
    by_name = {(kind, name): urn for urn, (_, kind, name) in stores.items()}
    found = _Settings()
    for resource in stack.resources:
        if resource.resource_type not in DIAGNOSTIC_SETTINGS:
            continue
        props = stack.of(resource)
        target = _target(props, stores, by_name)
        if target is UNKNOWN:
            found.unresolved.append(resource.name)
            continue
        if target is None:
            continue
        if not _has_sink(props):
            found.notes.setdefault(target, []).append(
                f"setting {resource.name!r} has no destination"
            )
            continue
        found.logged.setdefault(target, set()).update(_enabled_categories(props.get("logs")))
    return found


def _services_used(
    stack: StackInputs, stores: Mapping[str, tuple[PolicyResource, str, str]]
) -> Any:
    """The storage services beyond blobs each account of the stack holds data in (a file share,
    queue or table of the stack naming the account by name or as its proven output), and the
    shares, queues and tables whose account cannot be told (fail closed)."""
    accounts = {
        name: urn for urn, (r, _, name) in stores.items() if r.resource_type == STORAGE_ACCOUNT
    }
    used: dict[str, set[str]] = {}
    unknown: list[PolicyResource] = []
    for resource in stack.resources:
        service = STORAGE_SERVICES.get(resource.resource_type)
        if service is None:
            continue
        named = stack.of(resource).get("accountName")
        if isinstance(named, ProvenOutput) and named.source in stores:
            urn: str | None = named.source
        else:
            urn = accounts.get(named.lower()) if isinstance(named, str) else None
        if urn is not None:
            used.setdefault(urn, set()).add(service)
        elif named is UNKNOWN or isinstance(named, ProvenOutput):
            unknown.append(resource)
    return used, unknown


def _required(
    resource: PolicyResource, services: set[str]
) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """(sub-resource path, categories, groups that hold them all) a store must log."""
    if resource.resource_type != STORAGE_ACCOUNT:
        return [("", VAULT_CATEGORIES, ("audit", "allLogs"))]
    return [
        (f"{service}/default", BLOB_CATEGORIES, ("allLogs",))
        for service in ("blobservices", *sorted(services))
    ]


_SERVICE_NAMES: Final = {
    "blobservices": "blobServices",
    "fileservices": "fileServices",
    "queueservices": "queueServices",
    "tableservices": "tableServices",
}


def validate_azure_access_logged(args: StackValidationArgs, report: ReportViolation) -> None:
    config: Any = args.get_config()
    stack = StackInputs(
        list(args.resources), config if isinstance(config, Mapping) else {}, _AZURE_TYPES
    )
    stores = _azure_stores(stack)
    settings = _settings(stack, stores)
    used, unplaced = _services_used(stack, stores)
    for resource in unplaced:
        report(
            f"{AZURE_RULE}: {resource.resource_type} {resource.name}: its accountName is unknown "
            "at preview and not proven to be an account of this stack, so whether that account "
            "logs the service's reads, writes and deletes cannot be verified. Pass the account's "
            "name output itself (the offline check proves it) or a literal name.",
            resource.urn,
        )
    for urn, (resource, _, name) in stores.items():
        if _exempt_classification(stack.of(resource), stack.config) is not None:
            continue
        for sub, categories, groups in _required(resource, used.get(urn, set())):
            enabled = settings.logged.get((urn, sub), set())
            if any(g.lower() in enabled for g in groups):
                continue
            missing = [c for c in categories if c.lower() not in enabled]
            if missing:
                _report_unlogged(
                    report,
                    resource,
                    name=name,
                    sub=sub,
                    missing=missing,
                    categories=categories,
                    groups=groups,
                    why=[*settings.notes.get((urn, sub), []), *_unresolved(settings)],
                    config=stack.config,
                )


def _unresolved(settings: _Settings) -> list[str]:
    if not settings.unresolved:
        return []
    return [
        "diagnostic settings whose resourceUri is unknown at preview and unresolved: "
        + ", ".join(sorted(settings.unresolved))
    ]


def _report_unlogged(
    report: ReportViolation,
    resource: PolicyResource,
    *,
    name: str,
    sub: str,
    missing: list[str],
    categories: tuple[str, ...],
    groups: tuple[str, ...],
    why: list[str],
    config: Mapping[str, Any],
) -> None:
    service = sub.split("/", 1)[0]
    where = f"its id + '/{_SERVICE_NAMES.get(service, service)}/default'" if sub else "its id"
    report(
        f"{AZURE_RULE}: {resource.resource_type} {resource.name} ({name}): its access is not "
        f"logged: no diagnostic setting of this stack on {where} enables "
        f"{', '.join(missing)}" + (f" ({'; '.join(why)})" if why else "") + ". Add a "
        f"DiagnosticSetting with resourceUri = {where}, logs {', '.join(categories)} (or the "
        f"category group {' or '.join(groups)}) enabled, sent to a Log Analytics workspace or "
        "storage account in an allowed location; or tag it "
        f"{CLASSIFICATION_TAG} with one of {_exempt_list(config)} if it holds no user data.",
        resource.urn,
    )


_AWS_TYPES: Final = frozenset({*BUCKETS, *TRAILS, *EVENT_DATA_STORES, *ACCESS_LOG_TARGETS})
_AZURE_TYPES: Final = frozenset({*_ARM_KINDS, *DIAGNOSTIC_SETTINGS, *STORAGE_SERVICES})

_EXEMPT_SCHEMA: Final[dict[str, Any]] = {
    "type": "array",
    "items": {"type": "string", "minLength": 1},
    "default": list(EXEMPT_CLASSIFICATIONS_DEFAULT),
    "description": (
        f"Values of the {CLASSIFICATION_TAG} tag that mark a store as holding no user data, so "
        "its access need not be logged."
    ),
}


def _policy(name: str, description: str, remediation: str, validate: Any) -> StackValidationPolicy:
    return stack_rule(
        name,
        description=description,
        enforcement_level=EnforcementLevel.MANDATORY,
        severity=Severity.HIGH,
        remediation_steps=remediation,
        config_schema=schema(
            exemptClassifications=_EXEMPT_SCHEMA, **{PROVEN_OUTPUTS: PROVEN_OUTPUTS_SCHEMA}
        ),
        validate=validate,
    )


def _names(items: Iterable[str]) -> str:
    return ", ".join(items)


POLICIES: Final = [
    _policy(
        AWS_RULE,
        "Every S3 bucket that may hold user data has its object reads and writes recorded as "
        "CloudTrail data events by a trail or event data store of this stack in its region (or "
        "in every region). Log sinks and buckets classified as holding no user data are exempt. "
        "Mandatory: access to the data must leave a trace kept in Europe.",
        "Add an in-stack aws.cloudtrail.Trail in the bucket's region with an advanced event "
        "selector (eventCategory = Data, resources.type = AWS::S3::Object, resources.ARN "
        "startsWith '<bucket ARN>/') and logging on.",
        validate_aws_access_logged,
    ),
    _policy(
        AZURE_RULE,
        "Every storage account's blob service logs "
        f"{_names(BLOB_CATEGORIES)} and every key vault and managed HSM logs "
        f"{_names(VAULT_CATEGORIES)} through a diagnostic setting of this stack with a "
        "destination. Mandatory: access to the data must leave a trace kept in Europe.",
        "Add an azure-native monitor.DiagnosticSetting on '<account id>/blobServices/default' "
        "(logs StorageRead, StorageWrite, StorageDelete) and on each vault (AuditEvent), sent "
        "to an in-region Log Analytics workspace.",
        validate_azure_access_logged,
    ),
]
