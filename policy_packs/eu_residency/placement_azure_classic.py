"""Placement of classic Azure (pulumi-azure, ``azure:`` tokens) resources: every location allowed.

pulumi-azure takes the ``location`` argument as given (display names such as "West Europe" and
names such as ``westeurope`` alike, normalised by Azure). When a type that takes ``location`` is
given none, the provider fills it from the resource group named by ``resourceGroupName``, read
from Azure, and leaves it unknown while that name is unknown (``defaultAzureLocation`` in
https://github.com/pulumi/pulumi-azure/blob/master/provider/resources.go). Its provider has no
``location`` of its own (``pulumi_azure.Provider`` takes none), so nothing else can place it.

* The per-resource rule checks every own ``location``; a missing one with a ``resourceGroupName``
  is left to the stack rule, which can see the resource group (in this stack, found by property
  dependency or by name, case-insensitively as ARM does). A group outside the stack is read by
  the provider from Azure, which an offline check cannot do: it fails closed.
* Types without a ``location`` argument live in their parent. Those that hold data in a storage
  account (containers, queues, shares, tables, blobs, Data Lake filesystems) are placed by that
  account, which must be in the stack and allowed; the rest are child settings of a located
  parent, or global metadata reviewed in :data:`LOCATIONLESS_GLOBAL`.
* Geo-redundant storage (``accountReplicationType`` GRS, RAGRS, GZRS, RAGZRS) copies the data
  to the location's pair (https://learn.microsoft.com/azure/storage/common/storage-redundancy),
  which must be allowed too.

``azure_classic_location_types.json`` lists the types that take ``location`` (regenerate with
``tools/generate_azure_classic_location_types.py``);
``tests/policy_packs/test_eu_residency_placement_azure_classic.py`` keeps the lists here true
against the installed SDK.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

import global_services as gs
import regions
import residency_common
from placement_azure import location_problem
from pulumi_policy import (
    ReportViolation,
    ResourceValidationArgs,
    Severity,
    StackValidationArgs,
)
from residency_common import (
    REGION_PAIRS_SCHEMA,
    StackResource,
    allowed_azure_locations,
    azure_pairs,
    azure_schema,
    config_strings,
    describe,
    mapping,
    plain,
    report_all,
    report_all_at,
    stack_resources,
)
from rulekit import is_unknown, resource_rule, stack_rule

PACKAGE: Final = "azure"
RESOURCE_GROUP: Final = "azure:core/resourceGroup:ResourceGroup"
STORAGE_ACCOUNT: Final = "azure:storage/account:Account"

LOCATION_TYPES: Final = frozenset(
    json.loads(
        Path(__file__).with_name("azure_classic_location_types.json").read_text(encoding="utf-8")
    )["typesWithLocation"]
)

STORAGE_CHILDREN: Final[Mapping[str, tuple[str, ...]]] = MappingProxyType(
    {
        # type -> the properties that name its storage account (an id or a name).
        "azure:storage/blob:Blob": ("storageAccountName",),
        "azure:storage/container:Container": ("storageAccountId", "storageAccountName"),
        "azure:storage/dataLakeGen2Filesystem:DataLakeGen2Filesystem": ("storageAccountId",),
        "azure:storage/dataLakeGen2Path:DataLakeGen2Path": ("storageAccountId",),
        "azure:storage/queue:Queue": ("storageAccountId", "storageAccountName"),
        "azure:storage/share:Share": ("storageAccountId", "storageAccountName"),
        "azure:storage/table:Table": ("storageAccountId", "storageAccountName"),
        "azure:storage/zipBlob:ZipBlob": ("storageAccountName",),
    }
)
"""Types without ``location`` that hold data inside a storage account: placed by the account."""

GLOBAL_TYPES_DEFAULT: Final[Mapping[str, str]] = MappingProxyType(
    {
        "azure:monitoring/actionGroup:ActionGroup": gs.NOTIFICATIONS,
        "azure:monitoring/activityLogAlert:ActivityLogAlert": gs.NOTIFICATIONS,
    }
)
"""Types that take a ``location`` and may be at ``global`` (alert routing and rules, no data)."""

LOCATIONLESS_GLOBAL: Final[Mapping[str, str]] = MappingProxyType(
    {
        "azure:authorization/assignment:Assignment": gs.IDENTITY,
        "azure:authorization/roleDefinition:RoleDefinition": gs.IDENTITY,
        "azure:dns/zone:Zone": gs.DNS,
        "azure:management/group:Group": gs.ORGANIZATION,
        "azure:management/lock:Lock": "a deletion or write lock on a resource; no data",
        "azure:network/trafficManagerProfile:TrafficManagerProfile": (
            "DNS-based routing: answers with endpoint names, no request passes through it"
        ),
        "azure:policy/definition:Definition": gs.ORGANIZATION,
        "azure:policy/policySetDefinition:PolicySetDefinition": gs.ORGANIZATION,
        "azure:privatedns/zone:Zone": gs.DNS,
        "azure:privatedns/zoneVirtualNetworkLink:ZoneVirtualNetworkLink": (
            "links a private zone to a network; no data"
        ),
    }
)
"""Reviewed global types without a ``location`` argument: metadata only, placed nowhere.
(Entra ID objects belong to the ``azuread`` package, not this one.)"""


def takes_location(resource_type: str, props: Mapping[str, Any]) -> bool:
    return resource_type.startswith(f"{PACKAGE}:") and (
        resource_type in LOCATION_TYPES or props.get("location") is not None
    )


def _set(value: Any) -> bool:
    return value is not None and value != ""


def _hint(allowed: Collection[str]) -> str:
    return f"allowed locations: {', '.join(sorted(allowed))}"


def check_resource_location(
    *, resource_type: str, urn: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> list[str]:
    """Per-resource check; a location the provider takes from the resource group is deferred."""
    if not takes_location(resource_type, props):
        return []
    allowed = allowed_azure_locations(config)
    location = props.get("location")
    if not _set(location):
        if props.get("resourceGroupName") is not None:
            return []  # the stack rule resolves it from the resource group
        problem: str | None = (
            "no location is set and there is no resourceGroupName the provider could take one from"
        )
    else:
        problem = location_problem(
            location,
            allowed,
            resource_type=resource_type,
            global_types=config_strings(config, "globalTypes", tuple(GLOBAL_TYPES_DEFAULT)),
        )
    return [] if problem is None else [f"{urn}: {problem}; {_hint(allowed)}."]


def _lower_name(value: Any) -> str | None:
    return value.lower() if isinstance(value, str) and value and not is_unknown(value) else None


@dataclass(frozen=True)
class ClassicIndex:
    """The stack's resource groups and storage accounts by URN and by name, built once."""

    by_urn: Mapping[str, StackResource]
    groups: Mapping[str, StackResource]
    accounts: Mapping[str, StackResource]

    @classmethod
    def of(cls, stack: Iterable[StackResource]) -> ClassicIndex:
        by_urn: dict[str, StackResource] = {}
        groups: dict[str, StackResource] = {}
        accounts: dict[str, StackResource] = {}
        for resource in stack:
            if resource.type not in (RESOURCE_GROUP, STORAGE_ACCOUNT):
                continue
            by_urn[resource.urn] = resource
            # Without a ``name`` input the provider auto-names from the logical name.
            own = resource.props.get("name")
            name = _lower_name(own) if own is not None else resource.name.lower()
            if name is not None:
                (groups if resource.type == RESOURCE_GROUP else accounts).setdefault(name, resource)
        return cls(by_urn=by_urn, groups=groups, accounts=accounts)

    def dependency(
        self, resource: StackResource, keys: Sequence[str], resource_type: str
    ) -> StackResource | None:
        for key in keys:
            for urn in resource.property_dependencies.get(key, ()):
                found = self.by_urn.get(urn)
                if found is not None and found.type == resource_type:
                    return found
        return None


def _group_of(resource: StackResource, index: ClassicIndex) -> tuple[StackResource | None, str]:
    group = index.dependency(resource, ("resourceGroupName",), RESOURCE_GROUP)
    if group is not None:
        return group, ""
    name = resource.props.get("resourceGroupName")
    lowered = _lower_name(name)
    if lowered is None:
        return None, f"its resource group name is {describe(name)}"
    group = index.groups.get(lowered)
    if group is None:
        return None, (
            f"its resource group {name!r} is not managed in this stack (the provider would "
            "read its location from Azure)"
        )
    return group, ""


def resolve_location(resource: StackResource, index: ClassicIndex) -> tuple[Any, str]:
    """The location pulumi-azure gives the resource: its own, else its resource group's."""
    own = resource.props.get("location")
    if _set(own) or resource.type == RESOURCE_GROUP:
        return (own if _set(own) else None), ""
    group, why = _group_of(resource, index)
    if group is None:
        return None, why
    inherited = group.props.get("location")
    if not _set(inherited):
        return None, f"its resource group {group.urn} has no location"
    return inherited, f"inherited from its resource group {group.urn}"


def _account_of(resource: StackResource, index: ClassicIndex) -> tuple[StackResource | None, str]:
    keys = STORAGE_CHILDREN[resource.type]
    account = index.dependency(resource, keys, STORAGE_ACCOUNT)
    if account is not None:
        return account, ""
    for key in keys:
        value = resource.props.get(key)
        if value is None:
            continue
        # An account id ends with ``/storageAccounts/<name>`` (ARM ids are case-insensitive).
        lowered = _lower_name(value)
        name = lowered.rsplit("/storageaccounts/", 1)[-1] if lowered is not None else None
        found = index.accounts.get(name) if name else None
        if found is None:
            return (
                None,
                f"its storage account ({key} {describe(value)}) is not managed in this stack",
            )
        return found, ""
    return None, f"it names no storage account ({' or '.join(keys)})"


def location_of(resource: StackResource, index: ClassicIndex) -> tuple[Any, str] | None:
    """Where an in-stack classic resource keeps its data: (location or None, why), or None for a
    type that is placed by nothing of its own (a child setting, a reviewed global type)."""
    if resource.type in STORAGE_CHILDREN:
        account, why = _account_of(resource, index)
        if account is None:
            return None, why
        location, inherited = resolve_location(account, index)
        return location, f"placed in its storage account {account.urn}" + (
            f", {inherited}" if inherited else ""
        )
    if takes_location(resource.type, resource.props):
        return resolve_location(resource, index)
    return None


def check_inherited_locations(
    stack: Sequence[StackResource], config: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """Stack check: locations from resource groups, and storage data placed by its account."""
    allowed = allowed_azure_locations(config)
    global_types = config_strings(config, "globalTypes", tuple(GLOBAL_TYPES_DEFAULT))
    index = ClassicIndex.of(stack)
    findings: list[tuple[str, str]] = []
    for resource in stack:
        if resource.type not in STORAGE_CHILDREN and (
            _set(resource.props.get("location")) or resource.props.get("resourceGroupName") is None
        ):
            continue  # checked (or reported as missing) by the per-resource rule
        found = location_of(resource, index)
        if found is None:
            continue
        location, why = found
        problem = location_problem(
            location, allowed, resource_type=resource.type, global_types=global_types
        )
        if problem is not None:
            detail = f"{problem} ({why})" if why else problem
            findings.append((resource.urn, f"{resource.urn}: {detail}; {_hint(allowed)}."))
    return findings


GEO_REDUNDANT: Final = frozenset({"GRS", "RAGRS", "GZRS", "RAGZRS"})
LOCAL_REDUNDANT: Final = frozenset({"LRS", "ZRS"})


def check_geo_replication(
    stack: Sequence[StackResource], config: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """Geo-redundant accounts copy to the location's pair, which must be allowed."""
    allowed = allowed_azure_locations(config)
    pairs = azure_pairs(config)
    index = ClassicIndex.of(stack)
    findings: list[tuple[str, str]] = []
    for resource in stack:
        if resource.type != STORAGE_ACCOUNT:
            continue
        kind = resource.props.get("accountReplicationType")
        if kind in LOCAL_REDUNDANT:
            continue
        if kind not in GEO_REDUNDANT:
            problem: str | None = (
                f"accountReplicationType is {describe(kind)}, so its copies are not known"
            )
        else:
            problem = _pair_problem(resource, index, allowed, pairs)
            if problem is not None:
                problem = f"accountReplicationType {kind!r} is geo-redundant: {problem}"
        if problem is not None:
            findings.append((resource.urn, f"{resource.urn}: {problem}; {_hint(allowed)}."))
    return findings


def _pair_problem(
    resource: StackResource, index: ClassicIndex, allowed: Collection[str], pairs: Mapping[str, str]
) -> str | None:
    location, why = resolve_location(resource, index)
    problem = location_problem(location, allowed, resource_type=resource.type, global_types=())
    if problem is not None:
        return f"its own location cannot be accepted: {problem}" + (f" ({why})" if why else "")
    name = regions.normalise_azure_location(location) if isinstance(location, str) else None
    pair = pairs.get(name or "")
    if pair is None:
        return f"location {name!r} has no paired region, so geo-redundant copies are not allowed"
    if pair not in allowed:
        return f"geo-redundant copies go to {name!r}'s pair {pair!r}, which is not allowed"
    return None


def _validate_location(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not args.resource_type.startswith(f"{PACKAGE}:"):
        return
    report_all(
        report,
        check_resource_location(
            resource_type=args.resource_type,
            urn=args.urn,
            props=mapping(plain(args.props)),
            config=args.get_config(),
        ),
    )


def _validate_inherited(args: StackValidationArgs, report: ReportViolation) -> None:
    report_all_at(report, check_inherited_locations(stack_resources(args), args.get_config()))


def _validate_geo(args: StackValidationArgs, report: ReportViolation) -> None:
    report_all_at(report, check_geo_replication(stack_resources(args), args.get_config()))


def _schema() -> Any:
    return azure_schema(
        globalTypes={
            "type": "array",
            "items": {"type": "string"},
            "uniqueItems": True,
            "description": "Types allowed at location 'global' (reviewed: no user data).",
            "default": list(GLOBAL_TYPES_DEFAULT),
        }
    )


LOCATION_ALLOWED = "azure-resource-location-allowed"
INHERITED_LOCATION_ALLOWED = "azure-resource-inherited-location-allowed"
GEO_REPLICATION_ALLOWED = "azure-storage-account-geo-replication-pair-allowed"
_REMEDIATION = (
    "Set `location` to one of `allowedLocations` (display names such as 'West Europe' are "
    "accepted). A resource without a location takes its resource group's, which must be in this "
    "stack and allowed; storage containers, queues, shares, tables and blobs live in their "
    "storage account, which must be in this stack and allowed."
)

residency_common.register_placed_package(PACKAGE)

POLICIES: Final = [
    resource_rule(
        LOCATION_ALLOWED,
        description="Classic Azure (pulumi-azure) resources must be in an allowed location.",
        validate=_validate_location,
        severity=Severity.CRITICAL,
        remediation_steps=_REMEDIATION,
        config_schema=_schema(),
    ),
    stack_rule(
        INHERITED_LOCATION_ALLOWED,
        description=(
            "Classic Azure resources without a location take their resource group's, and "
            "storage data lives in its account: that location must be allowed."
        ),
        validate=_validate_inherited,
        severity=Severity.CRITICAL,
        remediation_steps=_REMEDIATION,
        config_schema=_schema(),
    ),
    stack_rule(
        GEO_REPLICATION_ALLOWED,
        description=(
            "Geo-redundant classic Azure storage accounts copy data to the paired region, "
            "which must be allowed."
        ),
        validate=_validate_geo,
        severity=Severity.CRITICAL,
        remediation_steps=(
            "Use `accountReplicationType` LRS or ZRS, or place the account in a location whose "
            "pair is in `allowedLocations` (northeurope/westeurope, swedencentral/swedensouth, "
            "...)."
        ),
        config_schema=azure_schema(regionPairs=REGION_PAIRS_SCHEMA),
    ),
]
