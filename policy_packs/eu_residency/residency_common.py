"""Plumbing shared by the rule modules: safe property access, unknowns, config and schemas.

Validators here never raise on a property bag: an exception in a validator aborts the whole
preview (pulumi_policy/policy.py only catches ``UnknownValueError``), and the SDK reports an
``UnknownValueError`` as an ADVISORY "can't run policy during preview" even for a mandatory policy.
So each validator first copies the bag with :func:`plain`, which turns every unknown back into its
sentinel string, and residency rules treat a sentinel as a violation themselves.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TypeVar

import code_files
import pulumi
import regions
from google.protobuf import json_format
from pulumi_policy import PolicyConfigSchema, ReportViolation, StackValidationArgs
from pulumi_policy.proxy import UnknownValueError
from rulekit import is_unknown

UNKNOWN: Final = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

T = TypeVar("T")


def _asset(value: Any, depth: int) -> dict[str, Any] | None:
    """An asset or archive as what it holds: a string asset's text (a function's inline code
    may name an endpoint), a file's or a file archive's text files (code_files.py), an
    archive's members; a remote URI is where the content comes from, not where data goes, and
    holds nothing to read here. None for any other value."""
    if isinstance(value, pulumi.StringAsset):
        return {"text": value.text}
    if isinstance(value, pulumi.FileAsset):
        text = code_files.file_text(value.path)
        return {} if text is None else {"text": text}
    if isinstance(value, pulumi.FileArchive):
        members = code_files.archive_texts(value.path)
        return {"assets": {name: {"text": text} for name, text in members.items()}}
    if isinstance(value, pulumi.RemoteAsset | pulumi.RemoteArchive):
        return {}
    if isinstance(value, pulumi.AssetArchive):
        return {"assets": {str(k): plain(v, depth + 1) for k, v in value.assets.items()}}
    return None


def plain(value: Any, depth: int = 0) -> Any:
    """Copy a (possibly proxied) property value into dicts and lists; unknowns become sentinels,
    assets and archives dicts of what they hold."""
    if depth > 64:
        return UNKNOWN  # a bag this deep is not a cloud resource; refuse to reason about it
    asset = _asset(value, depth)
    if asset is not None:
        return asset
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key in list(value):
            try:
                item = value[key]
            except UnknownValueError as exc:
                item = exc.unknown_type_sentinel
            except (KeyError, TypeError):
                continue
            out[str(key)] = plain(item, depth + 1)
        return out
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        items: list[Any] = []
        for index in range(len(value)):
            try:
                element = value[index]
            except UnknownValueError as exc:
                element = exc.unknown_type_sentinel
            except (IndexError, TypeError):
                continue
            items.append(plain(element, depth + 1))
        return items
    return value


def mapping(value: Any) -> Mapping[str, Any]:
    """``value`` if it is an object, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def items(value: Any) -> list[Any]:
    """``value`` if it is a list, else an empty one (a single object counts as a one-item list)."""
    if isinstance(value, list):
        return value
    if isinstance(value, Mapping):
        return [value]
    return []


def describe(value: Any) -> str:
    """How a value reads in a message: unknowns are named as such."""
    if value is None:
        return "nothing"
    if is_unknown(value):
        return "a value not known until apply"
    return repr(value)


def config_strings(config: Mapping[str, Any], key: str, default: Sequence[str]) -> tuple[str, ...]:
    """A list-of-strings config value; the pack's default when absent or malformed.

    The engine applies schema defaults and validates before ``Configure``, so a malformed value
    only reaches here from a caller that bypassed it; falling back to the default keeps the
    validator from raising.
    """
    value = config.get(key)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return tuple(default)


def config_bool(config: Mapping[str, Any], key: str, default: bool) -> bool:
    value = config.get(key)
    return value if isinstance(value, bool) else default


@dataclass(frozen=True)
class PackAllowLists:
    """The pack-wide allow-lists: the intersection of every policy's own list, per cloud."""

    aws_regions: frozenset[str] | None
    azure_locations: frozenset[str] | None
    gcp_locations: frozenset[str] | None = None


_pack_allow_lists = PackAllowLists(aws_regions=None, azure_locations=None)
"""None until ``Configure`` arrives; each ``Configure`` replaces it whole, in one assignment."""


def _own_aws_regions(config: Mapping[str, Any]) -> frozenset[str]:
    return frozenset(config_strings(config, "allowedRegions", regions.EEA_AWS_REGIONS))


def _own_azure_locations(config: Mapping[str, Any]) -> frozenset[str]:
    return regions.normalise_azure_locations(
        config_strings(config, "allowedLocations", regions.EEA_AZURE_LOCATIONS)
    )


def _own_gcp_locations(config: Mapping[str, Any]) -> frozenset[str]:
    return regions.normalise_gcp_locations(
        config_strings(config, "allowedGcpLocations", regions.EEA_GCP_LOCATIONS)
    )


def pack_allow_lists(policy_config: Mapping[str, Any]) -> PackAllowLists:
    """Intersect the allow-lists of every policy in one ``Configure`` request's config.

    The pack has ONE allow-list per cloud, yet the engine can only carry it per policy: a
    ``--policy-pack-config`` document (and a Pulumi Cloud policy group, which sends the same
    ``Configure`` RPC) has policy names or ``all`` as its top-level keys, and ``all`` takes only an
    enforcement level. The engine reconciles the document per policy (schema defaults filled in,
    one ``PolicyConfig`` per policy), and ``pulumi_policy/policy.py``
    ``_PolicyAnalyzerServicer.Configure`` stores one dict per policy and hands each validator only
    its own. A pack-level key therefore has nowhere to live. Intersecting every list the operator
    gave makes narrowing any one of them narrow them all, and makes widening one widen none (the
    others keep the EEA default from their schemas). A policy whose config has no such key
    contributes nothing; a disabled policy's narrowed list still counts, since narrowing is the
    safe direction.
    """
    aws: frozenset[str] | None = None
    azure: frozenset[str] | None = None
    gcp: frozenset[str] | None = None
    for value in policy_config.values():
        if not isinstance(value, Mapping):
            continue
        if "allowedRegions" in value:
            own = _own_aws_regions(value)
            aws = own if aws is None else aws & own
        if "allowedLocations" in value:
            own = _own_azure_locations(value)
            azure = own if azure is None else azure & own
        if "allowedGcpLocations" in value:
            own = _own_gcp_locations(value)
            gcp = own if gcp is None else gcp & own
    return PackAllowLists(aws_regions=aws, azure_locations=azure, gcp_locations=gcp)


def set_pack_allow_lists(allow_lists: PackAllowLists) -> None:
    global _pack_allow_lists  # noqa: PLW0603 - the engine configures a pack process, not a call
    _pack_allow_lists = allow_lists


@dataclass(frozen=True)
class PackEvidence:
    """What the offline check proved about values unknown at preview (clover/evidence.py), for
    every rule: ``provenOutputs`` (urn -> path -> ``<urn>#<output>``, None when not given: under
    ``pulumi preview`` nothing is proven) and ``computedValues``' inputs (urn -> path -> value)."""

    proven: Mapping[str, Mapping[str, str]] | None = None
    computed: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    bucket_names: Mapping[str, str] = field(default_factory=dict)
    """``computedValues``' stand-in bucket names (name -> urn): a computed ARN names one."""

    def source(self, urn: str, path: str) -> tuple[str, str] | None:
        """(urn, output) of the resource whose output the value at ``path`` exactly is."""
        found = (self.proven or {}).get(urn, {}).get(path)
        if not isinstance(found, str) or "#" not in found:
            return None
        source, output = found.rsplit("#", 1)
        return source, output

    def computed_value(self, urn: str, path: str) -> Any:
        return self.computed.get(urn, {}).get(path)


_pack_evidence = PackEvidence()


def pack_evidence() -> PackEvidence:
    return _pack_evidence


def _evidence_of(policy_config: Mapping[str, Any]) -> PackEvidence:
    proven: Mapping[str, Mapping[str, str]] | None = None
    computed: Mapping[str, Mapping[str, Any]] = {}
    bucket_names: Mapping[str, str] = {}
    for value in policy_config.values():
        if not isinstance(value, Mapping):
            continue
        if isinstance(value.get("provenOutputs"), Mapping):
            proven = value["provenOutputs"]
        given = value.get("computedValues")
        if isinstance(given, Mapping) and isinstance(given.get("inputs"), Mapping):
            computed = given["inputs"]
        if isinstance(given, Mapping) and isinstance(given.get("bucketNames"), Mapping):
            bucket_names = given["bucketNames"]
    return PackEvidence(proven=proven, computed=computed, bucket_names=bucket_names)


def wrap_configure(configure: Callable[[Any, Any, Any], Any]) -> Callable[[Any, Any, Any], Any]:
    """Wrap the SDK servicer's ``Configure`` so the pack-wide allow-lists follow every request.

    The SDK keeps the request's config private and gives each validator only its own policy's
    entry, so the request is read here, decoded as the SDK decodes it (``MessageToDict`` of each
    ``PolicyConfig.properties``), before the SDK stores it. If the request cannot be decoded the
    pack-wide lists become empty: every residency rule then blocks, naming no allowed region.
    """

    def run(servicer: Any, request: Any, context: Any) -> Any:
        try:
            decoded = {
                str(name): json_format.MessageToDict(entry.properties)
                for name, entry in request.policyConfig.items()
            }
            allow_lists = pack_allow_lists(decoded)
            evidence = _evidence_of(decoded)
        except Exception:  # noqa: BLE001 - fail closed, see docstring
            allow_lists = PackAllowLists(
                aws_regions=frozenset(), azure_locations=frozenset(), gcp_locations=frozenset()
            )
            evidence = PackEvidence()
        set_pack_allow_lists(allow_lists)
        global _pack_evidence  # noqa: PLW0603 - as the allow-lists: one per Configure
        _pack_evidence = evidence
        return configure(servicer, request, context)

    return run


def allowed_aws_regions(config: Mapping[str, Any]) -> frozenset[str]:
    """The rule's own ``allowedRegions`` intersected with the pack-wide list (see above)."""
    own = _own_aws_regions(config)
    pack = _pack_allow_lists.aws_regions
    return own if pack is None else own & pack


def allowed_azure_locations(config: Mapping[str, Any]) -> frozenset[str]:
    """The rule's own ``allowedLocations`` intersected with the pack-wide list (see above)."""
    own = _own_azure_locations(config)
    pack = _pack_allow_lists.azure_locations
    return own if pack is None else own & pack


def allowed_gcp_locations(config: Mapping[str, Any]) -> frozenset[str]:
    """The rule's own ``allowedGcpLocations`` (normalised) intersected with the pack-wide list."""
    own = _own_gcp_locations(config)
    pack = _pack_allow_lists.gcp_locations
    return own if pack is None else own & pack


def azure_pairs(config: Mapping[str, Any]) -> Mapping[str, str]:
    value = config.get("regionPairs")
    if isinstance(value, Mapping) and all(isinstance(v, str) for v in value.values()):
        return {str(k): v for k, v in value.items()}
    return regions.AZURE_PAIRS


ALLOWED_REGIONS_SCHEMA: Final[dict[str, Any]] = {
    "type": "array",
    "items": {"type": "string", "pattern": "^[a-z]{2,4}(-[a-z]+)+-[0-9]$"},
    "uniqueItems": True,
    "description": "AWS region codes where resources and copies of data may be placed.",
    "default": list(regions.EEA_AWS_REGIONS),
}
ALLOWED_LOCATIONS_SCHEMA: Final[dict[str, Any]] = {
    "type": "array",
    "items": {"type": "string", "minLength": 1},
    "uniqueItems": True,
    "description": "Azure locations (names or display names) where resources and copies may be.",
    "default": list(regions.EEA_AZURE_LOCATIONS),
}
REGION_PAIRS_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "additionalProperties": {"type": "string"},
    "description": "Azure region pairs: where geo-redundant copies of each location's data go.",
    "default": dict(regions.AZURE_PAIRS),
}


def aws_schema(**extra: dict[str, Any]) -> PolicyConfigSchema:
    return PolicyConfigSchema(properties={"allowedRegions": ALLOWED_REGIONS_SCHEMA, **extra})


def azure_schema(**extra: dict[str, Any]) -> PolicyConfigSchema:
    return PolicyConfigSchema(properties={"allowedLocations": ALLOWED_LOCATIONS_SCHEMA, **extra})


def report_all(report: ReportViolation, messages: Sequence[str]) -> None:
    for message in messages:
        report(message, None)


def report_all_at(report: ReportViolation, findings: Sequence[tuple[str, str]]) -> None:
    """Report (urn, message) pairs from a stack validator."""
    for urn, message in findings:
        report(message, urn)


@dataclass(frozen=True, kw_only=True)
class StackResource:
    """A stack resource with plain (unproxied) properties, for stack validators."""

    urn: str
    type: str
    name: str
    props: Mapping[str, Any]
    provider_props: Mapping[str, Any]
    property_dependencies: Mapping[str, tuple[str, ...]]
    provider_type: str = ""
    parent: str = ""
    """The parent's URN; empty for a resource of the stack itself."""


def stack_resources(args: StackValidationArgs) -> list[StackResource]:
    found: list[StackResource] = []
    for resource in args.resources:
        provider = resource.provider
        found.append(
            StackResource(
                urn=resource.urn,
                type=resource.resource_type,
                name=resource.name,
                props=mapping(plain(resource.props)),
                provider_props=mapping(plain(provider.props)) if provider is not None else {},
                provider_type=provider.resource_type if provider is not None else "",
                property_dependencies={
                    key: tuple(dep.urn for dep in deps)
                    for key, deps in resource.property_dependencies.items()
                },
                parent=resource.parent.urn if resource.parent is not None else "",
            )
        )
    return found


REMOTE_COMPONENTS: Final[Mapping[str, Any]] = json.loads(
    Path(__file__).with_name("remote_components.json").read_text(encoding="utf-8")
)["components"]
"""Reviewed multi-language components: type pattern -> the placed package of their children."""


def remote_component_package(resource_type: str, provider_type: str | None) -> str | None:
    """The package a reviewed remote component is judged as, when it comes with that package's
    provider (the one its children inherit, as ``python -m clover check`` sends it); None for any
    other resource."""
    for pattern, entry in REMOTE_COMPONENTS.items():
        if pattern.endswith("*"):
            matches = resource_type.startswith(pattern[:-1])
        else:
            matches = resource_type == pattern
        if matches:
            package = str(entry.get("package", ""))
            return package if provider_type == f"pulumi:providers:{package}" else None
    return None


PLACED_PACKAGES: Final[set[str]] = set()
"""Packages whose resources some placement rule of this pack places (``aws``, ``gcp``, ...); a
rule module adds its package with :func:`register_placed_package` when it is imported."""


def register_placed_package(package: str) -> None:
    PLACED_PACKAGES.add(package)
