"""Placement of Google Cloud resources: every ``gcp:`` resource's location must be allowed.

A pulumi-gcp resource is placed by its own ``location``, ``region`` or ``zone`` argument (which of
them a type takes is read from the SDK into ``gcp_placement_types.json``), else by its provider's
``region``/``zone`` (for the default provider: the stack config ``gcp:region``/``gcp:zone``), as
the provider fills them in (https://www.pulumi.com/registry/packages/gcp/installation-configuration/).
BigQuery datasets are the documented exception: without a ``location`` a dataset is created in the
``US`` multi-region (https://cloud.google.com/bigquery/docs/locations), whatever the provider says.

Some data-holding types are placed by a nested field instead (a topic's message storage policy, a
Spanner instance's ``config``, a secret's replicas, a Bigtable instance's clusters); the rule
reads those itself. A type without any of these is placement-neutral only if it is reviewed in
``gcp_global_types.py``; otherwise it is not assessed and blocked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Mapping
from pathlib import Path
from typing import Any, Final

import regions
import residency_common
from gcp_global_types import PLACEMENT_NEUTRAL_GCP, is_iam_type
from global_services import GLOBAL_EDGE_TYPES_GCP
from pulumi_policy import (
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    Severity,
)
from residency_common import (
    allowed_gcp_locations,
    config_strings,
    describe,
    items,
    mapping,
    plain,
    report_all,
)
from rulekit import is_unknown, resource_rule

PLACEMENT_ARGUMENTS: Final[Mapping[str, tuple[str, ...]]] = {
    token: tuple(arguments)
    for token, arguments in json.loads(
        (Path(__file__).resolve().parent / "gcp_placement_types.json").read_text(encoding="utf-8")
    )["placementArguments"].items()
}
"""Every pulumi-gcp type that takes ``location``, ``region`` or ``zone``, and which of them."""

DOCUMENTED_DEFAULTS: Final = {
    # "If you don't specify a location, the dataset is created in the US multi-region."
    # (https://cloud.google.com/bigquery/docs/datasets#create-dataset); pulumi-gcp's ``location``
    # doc: "The default value is multi-regional location `US`".
    "gcp:bigquery/dataset:Dataset": "US",
}
"""Where a type lands when its location is absent, when that is not the provider's region."""

EXTRA_LOCATION_FIELDS: Final = {
    # Custom dual-regions: ``location`` names the multi-region, the data lives in these two.
    "gcp:storage/bucket:Bucket": ("customPlacementConfig", "dataLocations"),
    # A regional cluster's nodes may be pinned to zones; each must be in an allowed region.
    "gcp:container/cluster:Cluster": ("nodeLocations",),
    "gcp:container/nodePool:NodePool": ("nodeLocations",),
    # A snapshot's data is stored in its storage locations, not in its source disk's zone.
    "gcp:compute/snapshot:Snapshot": ("storageLocations",),
}
"""Fields holding further locations of types that also take a placement argument."""

EXEMPT_TYPES_DEFAULT: Final = tuple(sorted({*PLACEMENT_NEUTRAL_GCP, *GLOBAL_EDGE_TYPES_GCP}))
"""Reviewed types without user data of their own, and the edge types the edge rule owns
(gcp-edge-service-opt-in-required blocks them unless the stack opts in)."""

Problem = str


def location_problem(path: str, value: Any, allowed: Collection[str]) -> Problem | None:  # noqa: PLR0911
    """Why the location ``value`` found at ``path`` cannot be accepted, or None if allowed."""
    if is_unknown(value):
        return f"{path} is not known until apply, so residency cannot be proven at preview"
    if not isinstance(value, str):
        return f"{path} {describe(value)} is not a GCP location"
    omni = _OMNI_LOCATION.match(value.strip().lower())
    if omni is not None:
        return _omni_problem(path, value, omni.group("cloud"), omni.group("region"))
    name = regions.normalise_gcp_location(value)
    if name is None:
        return f"{path} {value!r} is not a GCP location name"
    if name in allowed:
        return None
    zone_region = regions.gcp_zone_region(name)
    if zone_region is not None:
        if zone_region in allowed:
            return None
        return f"{path} {value!r} is a zone of region {zone_region!r}, which is not allowed"
    spans = regions.gcp_location_regions(name)
    if spans is not None:
        return f"{path} {value!r} (data in {', '.join(spans)}) is not allowed"
    area = regions.GCP_MULTI_LOCATIONS.get(name)
    if area is not None:
        return f"{path} {value!r} is the {area} multi-region, which is not allowed"
    if regions.is_gcp_region(name):
        return f"{path} {value!r} is not allowed"
    return f"{path} {value!r} is not a GCP location this pack can place"


# BigQuery Omni runs in another cloud's region, named ``aws-<region>`` or ``azure-<location>``
# (https://cloud.google.com/bigquery/docs/locations#omni-loc): judged as that cloud's region.
_OMNI_LOCATION: Final = re.compile(r"^(?P<cloud>aws|azure)-(?P<region>[a-z0-9-]+)$")


def _omni_problem(path: str, value: str, cloud: str, region: str) -> Problem | None:
    if cloud == "aws":
        allowed_aws = residency_common.allowed_aws_regions({})
        if not regions.is_aws_region_code(region):
            return f"{path} {value!r} names no AWS region"
        if region in allowed_aws:
            return None
        return f"{path} {value!r} runs in AWS region {region!r}, which is not allowed"
    allowed_azure = residency_common.allowed_azure_locations({})
    if region not in regions.AZURE_LOCATION_NAMES:
        return f"{path} {value!r} names no Azure location"
    if region in allowed_azure:
        return None
    return f"{path} {value!r} runs in Azure location {region!r}, which is not allowed"


def _set(value: Any) -> bool:
    return value is not None and value != ""


def _provider_placement(
    arguments: tuple[str, ...], provider_props: Mapping[str, Any]
) -> tuple[str, Any] | None:
    """The provider setting that places a resource with none of its own, as (path, value)."""
    # A zonal type falls back to the provider's zone; a regional or located one to its region.
    # Either way the other setting still places the resource at region granularity, which is
    # what residency needs (a zone names its region).
    order = ("zone", "region") if arguments == ("zone",) else ("region", "zone")
    for key in order:
        value = provider_props.get(key)
        if _set(value):
            return f"the provider's {key}", value
    return None


def own_placement_problems(
    resource_type: str,
    props: Mapping[str, Any],
    provider_props: Mapping[str, Any],
    arguments: tuple[str, ...],
    allowed: Collection[str],
) -> list[Problem]:
    """Problems of a type that takes ``location``/``region``/``zone`` arguments."""
    own = [(argument, props[argument]) for argument in arguments if _set(props.get(argument))]
    problems: list[Problem] = []
    if own:
        for argument, value in own:
            problem = location_problem(argument, value, allowed)
            if problem is not None:
                problems.append(problem)
    elif resource_type in DOCUMENTED_DEFAULTS:
        default = DOCUMENTED_DEFAULTS[resource_type]
        problem = location_problem(arguments[0], default, allowed)
        if problem is not None:
            problems.append(
                f"no location is set, so the type's default {default!r} applies: {problem}"
            )
    else:
        inherited = _provider_placement(arguments, provider_props)
        if inherited is None:
            problems.append(
                f"no {' or '.join(arguments)} is set on the resource and its provider has no "
                "region or zone (stack config gcp:region / gcp:zone)"
            )
        else:
            problem = location_problem(*inherited, allowed)
            if problem is not None:
                problems.append(problem)
    extra = EXTRA_LOCATION_FIELDS.get(resource_type)
    if extra is not None:
        problems.extend(_list_problems(props, extra, allowed, required=False))
    return problems


def _walk(props: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = props
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _list_problems(
    props: Mapping[str, Any], path: tuple[str, ...], allowed: Collection[str], *, required: bool
) -> list[Problem]:
    value = _walk(props, path)
    dotted = ".".join(path)
    if is_unknown(value):
        return [f"{dotted} is not known until apply, so residency cannot be proven at preview"]
    if value is None or value == []:
        return [f"{dotted} is not set"] if required else []
    if not isinstance(value, list):
        return [f"{dotted} {describe(value)} is not a list of GCP locations"]
    return [
        p
        for index, item in enumerate(value)
        if (p := location_problem(f"{dotted}[{index}]", item, allowed)) is not None
    ]


# -- types placed by a nested field ------------------------------------------------------------


def _topic(
    props: Mapping[str, Any], _provider: Mapping[str, Any], allowed: Collection[str]
) -> list[Problem]:
    # Without a message storage policy Pub/Sub stores messages in the region nearest the
    # publisher, anywhere in the world, unless an organisation policy restricts it
    # (https://cloud.google.com/pubsub/docs/resource-location-restriction).
    path = ("messageStoragePolicy", "allowedPersistenceRegions")
    problems = _list_problems(props, path, allowed, required=True)
    if problems == ["messageStoragePolicy.allowedPersistenceRegions is not set"]:
        return [
            "messageStoragePolicy.allowedPersistenceRegions is not set, so Pub/Sub may store "
            "messages in any region near a publisher"
        ]
    return problems


def _spanner_config(value: Any, allowed: Collection[str]) -> Problem | None:
    # ``regional-europe-west1`` is one region; ``eur3``/``nam-eur-asia1`` multi-region configs
    # (https://cloud.google.com/spanner/docs/instance-configurations); a full resource name ends
    # in ``instanceConfigs/<name>``. A custom configuration cannot be placed from its name.
    if not isinstance(value, str) or is_unknown(value):
        return location_problem("config", value, allowed)
    name = value.rsplit("/", 1)[-1]
    if name.lower().startswith("regional-"):
        return location_problem("config", name[len("regional-") :], allowed)
    return location_problem("config", name, allowed)


def _spanner_instance(
    props: Mapping[str, Any], _provider: Mapping[str, Any], allowed: Collection[str]
) -> list[Problem]:
    if not _set(props.get("config")):
        return ["config (the instance configuration, which places every replica) is not set"]
    problem = _spanner_config(props.get("config"), allowed)
    return [] if problem is None else [problem]


def _image(
    props: Mapping[str, Any], _provider: Mapping[str, Any], allowed: Collection[str]
) -> list[Problem]:
    # Without storage locations Compute Engine stores an image in the multi-region nearest its
    # source (https://cloud.google.com/compute/docs/images/create-custom#image_storage_location).
    problems = _list_problems(props, ("storageLocations",), allowed, required=True)
    if problems == ["storageLocations is not set"]:
        return ["storageLocations is not set, so the image is stored near its source, anywhere"]
    return problems


# App Engine's two original location ids name no number
# (https://cloud.google.com/appengine/docs/standard/locations).
_APP_ENGINE_LOCATIONS: Final = {"us-central": "us-central1", "europe-west": "europe-west1"}


def _app_engine(
    props: Mapping[str, Any], _provider: Mapping[str, Any], allowed: Collection[str]
) -> list[Problem]:
    value = props.get("locationId")
    if not _set(value):
        return ["locationId is not set"]
    if isinstance(value, str):
        value = _APP_ENGINE_LOCATIONS.get(value.strip().lower(), value)
    problem = location_problem("locationId", value, allowed)
    return [] if problem is None else [problem]


def _apigee_organization(
    props: Mapping[str, Any], _provider: Mapping[str, Any], allowed: Collection[str]
) -> list[Problem]:
    # Analytics and API consumer data are kept where these name
    # (https://cloud.google.com/apigee/docs/api-platform/get-started/create-org).
    fields = [f for f in ("analyticsRegion", "apiConsumerDataLocation") if _set(props.get(f))]
    if not fields:
        return ["analyticsRegion and apiConsumerDataLocation are not set"]
    return [p for f in fields if (p := location_problem(f, props.get(f), allowed)) is not None]


def _firestore_database(
    props: Mapping[str, Any], _provider: Mapping[str, Any], allowed: Collection[str]
) -> list[Problem]:
    if not _set(props.get("locationId")):
        return ["locationId is not set"]
    problem = location_problem("locationId", props.get("locationId"), allowed)
    return [] if problem is None else [problem]


def _bigtable_instance(
    props: Mapping[str, Any], provider: Mapping[str, Any], allowed: Collection[str]
) -> list[Problem]:
    clusters = props.get("clusters")
    if is_unknown(clusters):
        return ["clusters is not known until apply, so residency cannot be proven at preview"]
    if not items(clusters):
        return ["clusters is not set, so no zone places the instance"]
    problems: list[Problem] = []
    for index, cluster in enumerate(items(clusters)):
        zone = mapping(cluster).get("zone")
        path = f"clusters[{index}].zone"
        if not _set(zone):
            # A cluster without a zone is created in the provider's zone.
            inherited = _provider_placement(("zone",), provider)
            if inherited is None:
                problems.append(f"{path} is not set and the provider has no zone or region")
                continue
            path, zone = f"{path} (absent, so {inherited[0]})", inherited[1]
        problem = location_problem(path, zone, allowed)
        if problem is not None:
            problems.append(problem)
    return problems


def _secret(
    props: Mapping[str, Any], _provider: Mapping[str, Any], allowed: Collection[str]
) -> list[Problem]:
    replication = mapping(props.get("replication"))
    if is_unknown(props.get("replication")):
        return ["replication is not known until apply, so residency cannot be proven at preview"]
    if "auto" in replication:
        # "The Secret will automatically be replicated without any restrictions."
        return ["replication.auto lets Google replicate the secret to any location"]
    path = ("replication", "userManaged", "replicas")
    replicas = _walk(props, path)
    if is_unknown(replicas):
        return ["replication.userManaged.replicas is not known until apply"]
    if not items(replicas):
        return ["replication.userManaged.replicas is not set"]
    return [
        p
        for index, replica in enumerate(items(replicas))
        if (
            p := location_problem(
                f"replication.userManaged.replicas[{index}].location",
                mapping(replica).get("location"),
                allowed,
            )
        )
        is not None
    ]


NESTED_READERS: Final[
    Mapping[str, Callable[[Mapping[str, Any], Mapping[str, Any], Collection[str]], list[Problem]]]
] = {
    "gcp:pubsub/topic:Topic": _topic,
    "gcp:spanner/instance:Instance": _spanner_instance,
    "gcp:firestore/database:Database": _firestore_database,
    "gcp:bigtable/instance:Instance": _bigtable_instance,
    "gcp:secretmanager/secret:Secret": _secret,
    "gcp:compute/image:Image": _image,
    "gcp:appengine/application:Application": _app_engine,
    "gcp:apigee/organization:Organization": _apigee_organization,
}
"""Types with no placement argument whose data is placed by a nested field."""


def placement_neutral(
    resource_type: str, exempt_types: Collection[str] = EXEMPT_TYPES_DEFAULT
) -> bool:
    """Whether a type holds no user data of its own: an IAM binding or a reviewed type (without a
    placement argument or nested reader, which are judged first)."""
    return (
        resource_type not in PLACEMENT_ARGUMENTS
        and resource_type not in NESTED_READERS
        and (is_iam_type(resource_type) or resource_type in exempt_types)
    )


def resource_problems(
    resource_type: str,
    props: Mapping[str, Any],
    provider_props: Mapping[str, Any],
    allowed: Collection[str],
    exempt_types: Collection[str] = EXEMPT_TYPES_DEFAULT,
    *,
    urn: str = "",
) -> list[Problem]:
    """Every placement problem of one GCP resource for the allow-list ``allowed`` (empty when it
    is placed in it, or placement-neutral); a type that is not assessed is a problem."""
    arguments = PLACEMENT_ARGUMENTS.get(resource_type)
    reader = NESTED_READERS.get(resource_type)
    if arguments is not None:
        return own_placement_problems(resource_type, props, provider_props, arguments, allowed)
    if reader is not None:
        return reader(props, provider_props, allowed)
    if placement_neutral(resource_type, exempt_types):
        return []
    parents = _parent_locations(props)
    if parents:
        # Placed in its parent: a FHIR store in its dataset, a Data Catalog entry in its entry
        # group, a DLP trigger under `projects/p/locations/<location>`.
        return [p for path, value in parents if (p := location_problem(path, value, allowed))]
    if urn and _proven_parent(urn, props) is not None:
        # Placed in its parent, which is judged itself: a FHIR store in `dataset=dataset.id`.
        return []
    return [
        f"residency of {resource_type} is not assessed: it takes no location, region or zone "
        "argument, names no parent with a location (nor, by the offline check's provenOutputs, "
        "a parent of this stack), and is not on the reviewed list of placement-neutral GCP types"
    ]


PARENT_OUTPUTS: Final = frozenset({"id", "name", "selfLink", "self_link"})
"""The outputs that identify a GCP resource: an input exactly one of them names that resource."""


def _proven_parent(urn: str, props: Mapping[str, Any]) -> str | None:
    """The in-stack GCP resource a top-level input unknown at preview exactly identifies (its
    ``id``, ``name`` or ``selfLink`` output, by the offline check's ``provenOutputs``), else None.
    A resource with no placement of its own lives in its parent (a FHIR store in its dataset, an
    entry in its entry group), and that parent is judged by its own placement."""
    evidence = residency_common.pack_evidence()
    for key, value in props.items():
        if not is_unknown(value):
            continue
        source = evidence.source(urn, key)
        if source is None:
            continue
        parent, output = source
        parts = parent.split("::")
        parent_type = parts[2].rsplit("$", 1)[-1] if len(parts) >= 4 else ""
        # Only a parent placed by a location of its own holds its children somewhere: a
        # project or a folder (placement-neutral) says nothing of where a child keeps data.
        placed = parent_type in PLACEMENT_ARGUMENTS or parent_type in NESTED_READERS
        if placed and output in PARENT_OUTPUTS:
            return parent
    return None


# A resource name's location segment (https://cloud.google.com/apis/design/resource_names):
# ``projects/p/locations/europe-west4/datasets/d``; ``global`` places nothing.
_PARENT_LOCATION: Final = re.compile(
    r"(?:^|/)projects/[^/]+/(?:locations|regions|zones)/(?P<location>[^/?#\s]+)"
)


def _parent_locations(props: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(input, location) of each top-level input that is the resource name of a parent with a
    location other than ``global``."""
    found: list[tuple[str, str]] = []
    for key, value in props.items():
        if not isinstance(value, str):
            continue
        match = _PARENT_LOCATION.search(value)
        if match is not None and match.group("location").lower() != "global":
            found.append((f"{key} (its parent)", match.group("location")))
    return found


def check_resource_location(
    *,
    resource_type: str,
    urn: str,
    props: Mapping[str, Any],
    provider_props: Mapping[str, Any],
    config: Mapping[str, Any],
) -> list[str]:
    """Messages for every placement problem of one GCP resource (empty when compliant)."""
    if not resource_type.startswith("gcp:"):
        return []
    allowed = allowed_gcp_locations(config)
    problems = resource_problems(
        resource_type,
        props,
        provider_props,
        allowed,
        config_strings(config, "exemptTypes", EXEMPT_TYPES_DEFAULT),
        urn=urn,
    )
    hint = f"allowed GCP locations: {', '.join(sorted(allowed)) or 'none'}"
    return [f"{urn}: {p}; {hint}." for p in problems]


def _validate_location(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if not args.resource_type.startswith("gcp:"):
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


LOCATION_ALLOWED = "gcp-resource-location-allowed"

ALLOWED_GCP_LOCATIONS_SCHEMA: Final[dict[str, Any]] = {
    "type": "array",
    "items": {"type": "string", "pattern": "^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$"},
    "uniqueItems": True,
    "description": (
        "GCP locations (regions, zones' regions, multi-regions such as EU, dual-regions such as "
        "EUR4, Spanner/Firestore configurations such as eur3) where resources may be placed; "
        "case-insensitive."
    ),
    "default": list(regions.EEA_GCP_LOCATIONS),
}

residency_common.register_placed_package("gcp")

POLICIES: Final = [
    resource_rule(
        LOCATION_ALLOWED,
        description="Google Cloud resources must be placed in an allowed location.",
        validate=_validate_location,
        severity=Severity.CRITICAL,
        remediation_steps=(
            "Set the resource's `location`/`region`/`zone` to one of `allowedGcpLocations` (an EEA "
            "region such as europe-west1, the EU multi-region, or EUR4), or give its provider an "
            "allowed `region`/`zone` (stack config `gcp:region`). BigQuery datasets need an "
            "explicit location (absent means US); Pub/Sub topics a messageStoragePolicy; secrets "
            "user-managed replicas; Spanner instances an EEA config such as regional-europe-west1."
        ),
        config_schema=PolicyConfigSchema(
            properties={
                "allowedGcpLocations": ALLOWED_GCP_LOCATIONS_SCHEMA,
                "exemptTypes": {
                    "type": "array",
                    "items": {"type": "string"},
                    "uniqueItems": True,
                    "description": "Reviewed GCP types without a placement that hold no user data.",
                    "default": list(EXEMPT_TYPES_DEFAULT),
                },
            }
        ),
    ),
]
