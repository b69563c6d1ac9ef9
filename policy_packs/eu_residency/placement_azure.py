"""Placement of azure-native resources: every resource's location must be allowed.

pulumi-azure-native v3 fills a missing ``location`` from the provider's ``location`` and then from
the resource group's location (https://www.pulumi.com/registry/packages/azure-native/installation-
configuration/#set-configuration-using-pulumi-config). The per-resource rule checks what it can see
(the resource's own or its provider's location) and leaves the resource-group case to the stack
rule, which can see the resource group, so nothing is reported twice.

Types whose args take no ``location`` (blob containers, role assignments, subnets) live wherever
their parent lives and are not placement-bearing; ``azure_location_types.json`` lists the types
that do take one (regenerate with ``tools/generate_azure_location_types.py``).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import external_resources
import regions
import residency_common
from global_services import METADATA_ONLY_AZURE
from pulumi_policy import (
    ReportViolation,
    ResourceValidationArgs,
    Severity,
    StackValidationArgs,
)
from residency_common import (
    StackResource,
    allowed_azure_locations,
    azure_schema,
    config_strings,
    describe,
    mapping,
    pack_evidence,
    plain,
    report_all,
    report_all_at,
    stack_resources,
)
from rulekit import is_unknown, resource_rule, stack_rule

RESOURCE_GROUP: Final = "azure-native:resources:ResourceGroup"

LOCATION_TYPES: Final = frozenset(
    json.loads(Path(__file__).with_name("azure_location_types.json").read_text(encoding="utf-8"))[
        "typesWithLocation"
    ]
)

# Name resolution and DNS-based routing: ``global`` by nature, holding names and addresses but no
# user data (reviewed in global_services.py). Front Door and CDN profiles are also ``global`` but
# serve content from edges worldwide: they stay blocked here, and edge_services.py names the opt-in.
GLOBAL_TYPES_DEFAULT: Final = tuple(METADATA_ONLY_AZURE)


def is_placement_bearing(resource_type: str, props: Mapping[str, Any]) -> bool:
    return resource_type.startswith("azure-native:") and (
        resource_type in LOCATION_TYPES or props.get("location") is not None
    )


def _set(value: Any) -> bool:
    return value is not None and value != ""


def own_or_provider_location(props: Mapping[str, Any], provider_props: Mapping[str, Any]) -> Any:
    """The location Azure would use before looking at the resource group; None if neither."""
    own = props.get("location")
    if _set(own):
        return own
    inherited = provider_props.get("location")
    return inherited if _set(inherited) else None


def location_problem(  # noqa: PLR0911 - one return per reason, each with its message
    location: Any, allowed: Collection[str], *, resource_type: str, global_types: Collection[str]
) -> str | None:
    """Why ``location`` cannot be accepted for this type, or None when it is allowed."""
    if location is None:
        return "no location is set on the resource, its provider or its resource group"
    if is_unknown(location):
        return "the location is not known until apply, so residency cannot be proven at preview"
    if not isinstance(location, str):
        return f"location {describe(location)} is not a location name"
    name = regions.normalise_azure_location(location)
    if name is None:
        return f"location {location!r} is not an Azure location name (ASCII letters, digits)"
    if name == regions.GLOBAL_LOCATION:
        if resource_type in global_types:
            return None
        return "location 'global' is allowed only for the reviewed types in globalTypes"
    if name not in allowed:
        return f"location {location!r} is not allowed"
    return None


def _hint(allowed: Collection[str]) -> str:
    return f"allowed locations: {', '.join(sorted(allowed))}"


def check_resource_location(
    *,
    resource_type: str,
    urn: str,
    props: Mapping[str, Any],
    provider_props: Mapping[str, Any],
    config: Mapping[str, Any],
) -> list[str]:
    """Per-resource check; a resource whose location comes from its resource group is deferred."""
    if not is_placement_bearing(resource_type, props):
        return []
    location = own_or_provider_location(props, provider_props)
    if location is None:
        return []  # the stack rule resolves it from the resource group
    allowed = allowed_azure_locations(config)
    problem = location_problem(
        location,
        allowed,
        resource_type=resource_type,
        global_types=config_strings(config, "globalTypes", GLOBAL_TYPES_DEFAULT),
    )
    return [] if problem is None else [f"{urn}: {problem}; {_hint(allowed)}."]


def _resource_group_of(
    resource: StackResource, stack: Sequence[StackResource]
) -> tuple[StackResource | None, str]:
    """Find the resource group a resource is created in; (None, why) if it is not in the stack.

    A group name not known until apply is that group's only when it is exactly the group's
    ``name`` output, or computes to the group's name (the offline check's evidence,
    residency_common.PackEvidence): ``Output.concat(rg.name, "-shared")`` depends on the group yet
    names another one, which this stack does not manage.
    """
    groups = [r for r in stack if r.type == RESOURCE_GROUP]
    name = resource.props.get("resourceGroupName")
    if is_unknown(name):
        evidence = pack_evidence()
        source = evidence.source(resource.urn, "resourceGroupName")
        if source is not None and source[1] == "name":
            found = [g for g in groups if g.urn == source[0]]
            if found:
                return found[0], ""
        name = evidence.computed_value(resource.urn, "resourceGroupName")
        if not isinstance(name, str) or not name:
            return None, (
                "its resource group name is not known until apply and is not proven to be the "
                "name of a resource group of this stack"
            )
    if isinstance(name, str) and not is_unknown(name) and name:
        for group in groups:
            own = group.props.get("resourceGroupName")
            # Resource-group names are case-insensitive in ARM.
            if (isinstance(own, str) and own.lower() == name.lower()) or (
                own is None and group.name.lower() == name.lower()
            ):
                return group, ""
        return None, f"its resource group {name!r} is not managed in this stack"
    return None, f"its resource group name is {describe(name)}"


def resolve_location(resource: StackResource, stack: Sequence[StackResource]) -> tuple[Any, str]:
    """Resolve a resource's location as Azure would: own, provider, resource group.

    Returns (location or None, explanation when None).
    """
    location = own_or_provider_location(resource.props, resource.provider_props)
    if location is not None or resource.type == RESOURCE_GROUP:
        return location, ""
    group, why = _resource_group_of(resource, stack)
    if group is None:
        return _declared_group_location(resource, why)
    inherited = own_or_provider_location(group.props, group.provider_props)
    if inherited is None:
        return None, f"its resource group {group.urn} has no location"
    return inherited, ""


def _declared_group_location(resource: StackResource, why: str) -> tuple[Any, str]:
    """An existing resource group outside the stack, declared with its location in
    policy_packs/config/external-resources.yaml (external_resources.py): the resource inherits
    that location; undeclared, expired or malformed, it stays unproven with the reason."""
    name = resource.props.get("resourceGroupName")
    if is_unknown(name):
        name = pack_evidence().computed_value(resource.urn, "resourceGroupName")
    if not isinstance(name, str) or not name or is_unknown(name):
        return None, why
    declarations = external_resources.pack_declarations()
    declared = declarations.resource_group(name)
    if declared is None:
        return None, f"{why} nor a declared external resource"
    today = declarations.today()
    if not declared.active(today):
        return None, f"{why}; {declared.why_not(today)}"
    return declared.region, ""


def check_inherited_locations(
    stack: Sequence[StackResource], config: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """Stack check for the resources the per-resource rule deferred."""
    allowed = allowed_azure_locations(config)
    global_types = config_strings(config, "globalTypes", GLOBAL_TYPES_DEFAULT)
    findings: list[tuple[str, str]] = []
    for resource in stack:
        if not is_placement_bearing(resource.type, resource.props):
            continue
        if own_or_provider_location(resource.props, resource.provider_props) is not None:
            continue  # checked by the per-resource rule
        location, why = resolve_location(resource, stack)
        problem = location_problem(
            location, allowed, resource_type=resource.type, global_types=global_types
        )
        if problem is None:
            continue
        detail = f"{problem} ({why})" if why else f"{problem} (inherited from its resource group)"
        findings.append((resource.urn, f"{resource.urn}: {detail}; {_hint(allowed)}."))
    return findings


def _validate_location(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not args.resource_type.startswith("azure-native:"):
        return
    provider = args.provider
    report_all(
        report,
        check_resource_location(
            resource_type=args.resource_type,
            urn=args.urn,
            props=mapping(plain(args.props)),
            provider_props=mapping(plain(provider.props)) if provider is not None else {},
            config=args.get_config(),
        ),
    )


def _validate_inherited(args: StackValidationArgs, report: ReportViolation) -> None:
    report_all_at(report, check_inherited_locations(stack_resources(args), args.get_config()))


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


LOCATION_ALLOWED = "azure-native-resource-location-allowed"
INHERITED_LOCATION_ALLOWED = "azure-native-resource-inherited-location-allowed"
_REMEDIATION = (
    "Set `location` to one of `allowedLocations` (display names such as 'North Europe' are "
    "accepted), or use an explicit azure-native provider whose `location` is allowed. A resource "
    "without a location inherits its resource group's, which must be in this stack and allowed."
)

residency_common.register_placed_package("azure-native")

POLICIES: Final = [
    resource_rule(
        LOCATION_ALLOWED,
        description="Azure resources (and resource groups) must be in an allowed location.",
        validate=_validate_location,
        severity=Severity.CRITICAL,
        remediation_steps=_REMEDIATION,
        config_schema=_schema(),
    ),
    stack_rule(
        INHERITED_LOCATION_ALLOWED,
        description=(
            "Azure resources without their own or their provider's location inherit their "
            "resource group's location, which must be allowed."
        ),
        validate=_validate_inherited,
        severity=Severity.CRITICAL,
        remediation_steps=_REMEDIATION,
        config_schema=_schema(),
    ),
]
