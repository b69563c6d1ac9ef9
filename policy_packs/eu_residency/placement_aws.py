"""Placement of AWS resources: every resource's effective region and zones must be allowed.

In pulumi-aws v7 a resource's region is its own ``region`` input, else its provider's ``region``
(for the default provider: the stack config ``aws:region``), see
https://www.pulumi.com/registry/packages/aws/how-to-guides/enhanced-region-support/ . A region that
only comes from the ``AWS_REGION`` environment variable is invisible here: it is treated as missing.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any, Final

import regions
from global_services import GLOBAL_EDGE_TYPES_AWS, METADATA_ONLY_AWS
from pulumi_policy import (
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
)
from residency_common import (
    allowed_aws_regions,
    aws_schema,
    config_strings,
    describe,
    guarded,
    is_unknown,
    mapping,
    plain,
    report_all,
)

EXEMPT_TYPES_DEFAULT: Final = (
    # Types that take no ``region`` argument in pulumi-aws v7, reviewed one by one in
    # global_services.py: metadata-only global services, and edge services, which the edge rule
    # (edge_services.py) blocks unless the stack opts in. KMS, ACM and S3 Multi-Region Access
    # Points do take a region and hold or route data, so they are deliberately absent.
    *METADATA_ONLY_AWS,
    *GLOBAL_EDGE_TYPES_AWS,
)
"""Types the region rule skips by default; a stack may narrow or extend the list."""

ZONE_FIELDS: Final = (
    "availabilityZone",
    "availabilityZones",
    "availabilityZoneId",
    "preferredAvailabilityZones",
)
"""Top-level inputs that pin a resource to zones (subnets, volumes, instances, clusters)."""


def effective_region(props: Mapping[str, Any], provider_props: Mapping[str, Any]) -> Any:
    """The resource's ``region``, else its provider's; None when neither is set."""
    own = props.get("region")
    if own is not None and own != "":
        return own
    inherited = provider_props.get("region")
    return inherited if inherited != "" else None


def region_problem(region: Any, allowed: Collection[str]) -> str | None:
    """Why ``region`` cannot be accepted, or None if it is an allowed region code."""
    if region is None:
        return (
            "no region is set on the resource or its provider (a region taken only from the "
            "AWS_REGION environment variable cannot be checked)"
        )
    if is_unknown(region):
        return "the region is not known until apply, so residency cannot be proven at preview"
    if not isinstance(region, str) or not regions.is_aws_region_code(region):
        return f"region {describe(region)} is not an exact AWS region code"
    if region not in allowed:
        return f"region {region!r} is not allowed"
    return None


def zone_problems(props: Mapping[str, Any], allowed: Collection[str]) -> list[str]:
    problems: list[str] = []
    for field in ZONE_FIELDS:
        value = props.get(field)
        if value is None:
            continue
        for zone in value if isinstance(value, list) else [value]:
            if is_unknown(zone) or not isinstance(zone, str):
                problems.append(f"{field} is {describe(zone)}, so its country cannot be proven")
                continue
            placed = regions.aws_zone_placement(zone)
            if placed is None:
                problems.append(f"{field} {zone!r} is not a zone in a known region or Local Zone")
                continue
            parent, country = placed
            if parent not in allowed:
                problems.append(f"{field} {zone!r} is in region {parent!r}, which is not allowed")
            elif country is not None and country not in regions.EEA_COUNTRIES:
                problems.append(
                    f"{field} {zone!r} is a Local Zone in {country}, outside the EEA "
                    "(Local Zones carry their parent region's code)"
                )
    return problems


def check_resource_region(
    *,
    resource_type: str,
    urn: str,
    props: Mapping[str, Any],
    provider_props: Mapping[str, Any],
    config: Mapping[str, Any],
) -> list[str]:
    """Messages for every placement problem of one AWS resource (empty when compliant)."""
    if not resource_type.startswith("aws:"):
        return []
    if resource_type in config_strings(config, "exemptTypes", EXEMPT_TYPES_DEFAULT):
        return []
    allowed = allowed_aws_regions(config)
    problems = []
    region_issue = region_problem(effective_region(props, provider_props), allowed)
    if region_issue is not None:
        problems.append(region_issue)
    problems.extend(zone_problems(props, allowed))
    hint = f"allowed regions: {', '.join(sorted(allowed))}"
    return [f"{urn}: {p}; {hint}." for p in problems]


def _validate_region(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not args.resource_type.startswith("aws:"):
        return
    provider = args.provider
    report_all(
        report,
        check_resource_region(
            resource_type=args.resource_type,
            urn=args.urn,
            props=mapping(plain(args.props)),
            provider_props=mapping(plain(provider.props)) if provider is not None else {},
            config=args.get_config(),
        ),
    )


REGION_ALLOWED = "aws-resource-region-allowed"

POLICIES: Final = [
    ResourceValidationPolicy(
        name=REGION_ALLOWED,
        description="AWS resources must be placed in an allowed region (and EEA zones).",
        validate=guarded(REGION_ALLOWED, _validate_region),
        severity=Severity.CRITICAL,
        remediation_steps=(
            "Set the resource's `region` argument, or use an explicit provider whose `region` is "
            "one of `allowedRegions`. For zones, pick an availability zone of an allowed region; "
            "Local Zones must be in an EEA country (not eu-central-1-ist-1, Istanbul)."
        ),
        config_schema=aws_schema(
            exemptTypes={
                "type": "array",
                "items": {"type": "string"},
                "uniqueItems": True,
                "description": "Global-service types that take no region and hold no user data.",
                "default": list(EXEMPT_TYPES_DEFAULT),
            }
        ),
    ),
]
