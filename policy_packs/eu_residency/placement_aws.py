"""Placement of AWS resources: every resource's effective region and zones must be allowed.

In pulumi-aws v7 a resource's region is its own ``region`` input, else its provider's ``region``
(for the default provider: the stack config ``aws:region``), see
https://www.pulumi.com/registry/packages/aws/how-to-guides/enhanced-region-support/ . A region that
only comes from the ``AWS_REGION`` environment variable is invisible here: it is treated as missing.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Mapping
from typing import Any, Final

import regions
import residency_common
from global_services import GLOBAL_EDGE_TYPES_AWS, METADATA_ONLY_AWS
from pulumi_policy import (
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)
from residency_common import (
    allowed_aws_regions,
    aws_schema,
    config_strings,
    describe,
    mapping,
    plain,
    report_all,
)
from rulekit import is_unknown, resource_rule

EXEMPT_TYPES_DEFAULT: Final = (
    # Types that take no ``region`` argument in pulumi-aws v7, reviewed one by one in
    # global_services.py: metadata-only global services, and edge services, which the edge rule
    # (edge_services.py) blocks unless the stack opts in. KMS, ACM and S3 Multi-Region Access
    # Points do take a region and hold or route data, so they are deliberately absent.
    *METADATA_ONLY_AWS,
    *GLOBAL_EDGE_TYPES_AWS,
)
"""Types the region rule skips by default; a stack may narrow or extend the list."""

ZONE_FIELD: Final = re.compile(r"(?i)(?:availabilityzone(?:s|id|ids|name|names)?|azs)\Z")
"""Property names that hold zones at any depth (``availabilityZone``,
``preferredAvailabilityZones``, a launch template's ``placement.availabilityZone``,
``replicaAvailabilityZones``, ``preferredCacheClusterAzs``...). Their string values must be zones
this pack can place. Siblings such as ``availabilityZoneRebalancing`` ("ENABLED"),
``availabilityZoneCount`` or ``multiAz`` do not end with these words and hold settings."""

ZONE_LIKE: Final = re.compile(
    r"(?:us|eu|ap|sa|ca|me|af|il|mx|cn|eusc)(?:-[a-z]{2,4})?"
    r"-(?:north|south|east|west|central|northeast|northwest|southeast|southwest)-[0-9]+"
    r"(?:-[a-z]{3}-[0-9][a-z]|-wl[0-9]-[a-z]{3}-wlz-[0-9]|[a-z])"
    r"|(?:us|eu|ap|sa|ca|me|af|il|mx|cn|usg)[a-z]{0,3}[0-9]-(?:[a-z]{3}[0-9]-)?az[0-9]+"
)
"""A string that reads as a zone name, Local or Wavelength Zone, or zone ID, whatever field holds
it (``zone``, ``subnetMapping``, a fleet's ``launchSpecifications``...). The region part must
start with a real AWS region prefix and direction, so that names like ``app-1a`` are not zones."""

NOT_PLACEMENT: Final = frozenset({"tags", "tagsAll"})
"""Subtrees whose strings are labels, not placements: a tag ``az=us-east-1a`` moves nothing."""


def _zone_problem(path: str, zone: Any, allowed: Collection[str]) -> str | None:
    if is_unknown(zone) or not isinstance(zone, str):
        # Fail closed even when the resource's own region is allowed: most AWS APIs require the
        # zone to lie in the resource's region, but a Local Zone carries its parent region's code
        # (eu-central-1-ist-1a is an eu-central-1 zone in Istanbul), so a zone not known at
        # preview is not proven to be in the EEA.
        return f"{path} is {describe(zone)}, so its country cannot be proven"
    placed = regions.aws_zone_placement(zone)
    if placed is None:
        return f"{path} {zone!r} is not a zone in a known region or Local Zone"
    parent, country = placed
    if parent not in allowed:
        return f"{path} {zone!r} is in region {parent!r}, which is not allowed"
    if country is not None and country not in regions.EEA_COUNTRIES:
        return (
            f"{path} {zone!r} is a Local Zone in {country}, outside the EEA "
            "(Local Zones carry their parent region's code)"
        )
    return None


@functools.lru_cache(maxsize=4096)
def _is_zone_field(key: str) -> bool:
    return key not in NOT_PLACEMENT and ZONE_FIELD.search(key) is not None


def _render(path: Any) -> str:
    """A path kept as nested (parent, segment) pairs, rendered only for a message."""
    segments: list[str] = []
    while path is not None:
        path, segment = path
        segments.append(segment)
    return "".join(reversed(segments)).removeprefix(".")


ZONE_OUTPUTS: Final = frozenset({"availabilityzone", "availabilityzoneid"})
"""Outputs that are a resource's own zone: a value that is exactly one of them (``provenOutputs``)
is in that resource's zone, which its own placement is judged by. A zone AWS picks for a resource
given none is one of its region's standard zones, never an opt-in Local Zone
(https://docs.aws.amazon.com/local-zones/latest/ug/getting-started.html)."""


def _unknown_zone_problem(
    urn: str, path: str, problem: str, allowed: Collection[str]
) -> str | None:
    """A zone not known at preview, judged by the offline check's evidence: exactly another
    resource's zone output is that resource's (judged on it); a computed one by what it computes
    to; anything else stays unproven (``problem``)."""
    evidence = residency_common.pack_evidence()
    source = evidence.source(urn, path)
    # The output as the SDK names it (``availability_zone``) or as the engine does.
    if source is not None and source[1].replace("_", "").lower() in ZONE_OUTPUTS:
        return None
    computed = evidence.computed_value(urn, path)
    if isinstance(computed, str) and not is_unknown(computed):
        found = _zone_problem(path, computed, allowed)
        return None if found is None else f"{found} (computed from in-stack outputs)"
    return problem


def zone_problems(props: Mapping[str, Any], allowed: Collection[str], urn: str = "") -> list[str]:
    """Every zone in the (plain) property tree, at any depth, that is not in an allowed place.

    Iterative, over dicts, lists and strings only, so no property shape can raise (``plain``
    already bounds the depth). A value under a zone-named field must be a placeable zone; anywhere
    else only strings that read as zones are checked. Paths are built only for a problem: this
    runs on every property of every AWS resource.
    """
    problems: list[str] = []
    # (path, value, under a zone-named field); a path is (parent path, segment) or None.
    pending: list[tuple[Any, Any, bool]] = [(None, dict(props), False)]
    while pending:
        path, value, zone_field = pending.pop()
        # ``plain`` made every object a dict and every array a list (exact types are cheap to test).
        if isinstance(value, dict):
            for key, item in value.items():
                name = str(key)
                if name not in NOT_PLACEMENT:
                    pending.append(((path, "." + name), item, _is_zone_field(name)))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                pending.append(((path, f"[{index}]"), item, zone_field))
        # Numbers and booleans under a zone-named field are settings, not zones.
        elif isinstance(value, str) and (zone_field or ZONE_LIKE.fullmatch(value) is not None):
            rendered = _render(path)
            problem = _zone_problem(rendered, value, allowed)
            if problem is not None and is_unknown(value):
                problem = _unknown_zone_problem(urn, rendered, problem, allowed)
            if problem is not None:
                problems.append(problem)
    problems.reverse()  # the stack visits the last property first
    return problems


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


def check_resource_region(
    *,
    resource_type: str,
    urn: str,
    props: Mapping[str, Any],
    provider_props: Mapping[str, Any],
    config: Mapping[str, Any],
    provider_type: str | None = None,
) -> list[str]:
    """Messages for every placement problem of one AWS resource (empty when compliant): a
    pulumi-aws resource, or a reviewed remote component sent with the aws provider its children
    inherit (remote_components.json), placed by that provider's region."""
    remote = residency_common.remote_component_package(resource_type, provider_type) == "aws"
    if not resource_type.startswith("aws:") and not remote:
        return []
    if resource_type in config_strings(config, "exemptTypes", EXEMPT_TYPES_DEFAULT):
        return []
    allowed = allowed_aws_regions(config)
    problems = []
    region_issue = region_problem(effective_region(props, provider_props), allowed)
    if region_issue is not None:
        problems.append(region_issue)
    problems.extend(zone_problems(props, allowed, urn))
    hint = f"allowed regions: {', '.join(sorted(allowed))}"
    return [f"{urn}: {p}; {hint}." for p in problems]


def _validate_region(args: ResourceValidationArgs, report: ReportViolation) -> None:
    provider = args.provider
    report_all(
        report,
        check_resource_region(
            resource_type=args.resource_type,
            urn=args.urn,
            props=mapping(plain(args.props)),
            provider_props=mapping(plain(provider.props)) if provider is not None else {},
            config=args.get_config(),
            provider_type=provider.resource_type if provider is not None else None,
        ),
    )


REGION_ALLOWED = "aws-resource-region-allowed"

residency_common.register_placed_package("aws")

POLICIES: Final = [
    resource_rule(
        REGION_ALLOWED,
        description="AWS resources must be placed in an allowed region (and EEA zones).",
        validate=_validate_region,
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
