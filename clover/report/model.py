"""The evidence report's facts: resources, flows, findings, sites, as plain data."""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from clover import facts
from clover.output.common import PLACED
from clover.placement import gcp_country
from clover.standin.engine import UNKNOWN

UNKNOWN_AT_PREVIEW: Final = "unknown at preview"
GLOBAL: Final = "global"
"""Azure's location for non-regional resources (Private DNS zones, Front Door)."""
NOT_APPLICABLE: Final = "n/a"
NOT_ASSESSED: Final = "not assessed"

REPLICATION: Final = "replication"
BACKUP_COPY: Final = "backup copy"
LOG_DELIVERY: Final = "log delivery"

RESIDENCY_PACK: Final = "eu_residency"
GCP: Final = "gcp"


# ---------------------------------------------------------------------------------------------
# The facts
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class Endpoint:
    """One end of a data flow: a resource of the stack, or something outside it."""

    label: str
    """The resource's logical name, or what the program names outside the stack (an ARN)."""
    cloud: str | None
    region: str
    """The region or location, or ``unknown`` when it cannot be proven."""
    country: str | None
    urn: str | None = None
    """The resource's URN when it is part of this stack."""

    def as_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "urn": self.urn,
            "cloud": self.cloud,
            "region": self.region,
            "country": self.country,
        }


@dataclass(frozen=True, kw_only=True)
class Flow:
    """Data leaving one resource for another place: a replica, a backup copy or a log stream."""

    id: str
    kind: str
    """``replication``, ``backup copy`` or ``log delivery``."""
    what: str
    """What moves, in words: "S3 replication rule everything", "VPC flow logs"."""
    source: Endpoint
    destination: Endpoint
    declared_by: tuple[str, ...]
    """URNs of the resources that declare the flow (two Azure policies declare one replication)."""
    in_allow_list: bool
    """True only when the destination's region is known and on the allow-list, and the data-flow
    rule found nothing wrong with it."""
    proven: str = ""
    """How the residency pack's data-flow rule resolved the destination (``as written``,
    ``exactly the output <urn>#<output>``, ``computed as <value>``); empty when it did not see
    it (a geo-redundant pair, a Cosmos location: placement rules, not references)."""

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "what": self.what,
            "source": self.source.as_json(),
            "destination": self.destination.as_json(),
            "declaredBy": list(self.declared_by),
            "inAllowList": self.in_allow_list,
            "proven": self.proven,
        }


@dataclass(frozen=True, kw_only=True)
class Finding:
    policy_pack: str
    policy: str
    enforcement_level: str
    severity: str
    urn: str
    message: str

    def as_json(self) -> dict[str, Any]:
        return {
            "policyPack": self.policy_pack,
            "policy": self.policy,
            "enforcementLevel": self.enforcement_level,
            "severity": self.severity,
            "urn": self.urn,
            "message": self.message,
        }


@dataclass(frozen=True, kw_only=True)
class ResourceFacts:
    urn: str
    type: str
    name: str
    kind: str
    """``resource`` (a cloud resource), ``provider`` or ``component``."""
    site: str | None
    site_from: str | None
    """How the site is known: ``tag`` (the resource's or its provider's ``residency-site`` tag)
    or ``provider`` (every tagged resource on the same provider names this one site)."""
    cloud: str | None
    region: str | None
    """Region or location; ``unknown`` when it cannot be proven; ``global`` for a non-regional
    Azure resource; None where placement does not apply (providers, components, IAM)."""
    country: str | None
    in_allow_list: bool | None
    """None where placement does not apply (providers, components, global services)."""
    outside_site_country: bool
    """Placed outside its site's country (an explicit opt-in such as Hamar on AWS Stockholm)."""
    encryption: str
    targets: tuple[str, ...]
    """Ids of the flows whose source is this resource."""
    findings: tuple[Finding, ...]
    assessment: str = PLACED
    """``placed``, ``neutral`` or ``not assessed`` (see :class:`clover.output.common.Assessor`)."""

    @property
    def mandatory(self) -> int:
        return sum(1 for f in self.findings if f.enforcement_level == "mandatory")

    @property
    def advisory(self) -> int:
        return sum(1 for f in self.findings if f.enforcement_level != "mandatory")

    def as_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "kind": self.kind,
            "site": self.site,
            "siteFrom": self.site_from,
            "cloud": self.cloud,
            "region": self.region,
            "country": self.country,
            "inAllowList": self.in_allow_list,
            "outsideSiteCountry": self.outside_site_country,
            "encryptionKey": self.encryption,
            "targets": list(self.targets),
            "verdict": {"mandatory": self.mandatory, "advisory": self.advisory},
            "assessment": self.assessment,
        }


@dataclass(frozen=True, kw_only=True)
class SiteSummary:
    site: str
    """The site's name, or ``(no site tag)``."""
    country: str | None
    resources: int
    clouds: tuple[str, ...]
    regions: tuple[str, ...]
    countries: tuple[str, ...]
    flows_out: int
    flows_outside_allow_list: int
    mandatory: int
    advisory: int

    def as_json(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "country": self.country,
            "resources": self.resources,
            "clouds": list(self.clouds),
            "regions": list(self.regions),
            "countries": list(self.countries),
            "flowsOut": self.flows_out,
            "flowsOutsideAllowList": self.flows_outside_allow_list,
            "mandatory": self.mandatory,
            "advisory": self.advisory,
        }


NO_SITE: Final = "(no site tag)"

SITES_EXPORT: Final = "placements"
"""The export in which a project describes its sites to the report (see :func:`declared_sites`)."""


@dataclass(frozen=True, kw_only=True)
class DeclaredSite:
    """A site as the checked project describes it: the report knows no site of its own."""

    name: str
    country: str | None
    """ISO 3166-1 alpha-2 code of the site's country."""
    position: tuple[float, float] | None
    """(latitude, longitude) where the map draws the site's ring; None draws no ring."""


def declared_sites(outputs: Mapping[str, Any]) -> tuple[DeclaredSite, ...]:
    """The sites the program describes in its ``placements`` export, in its order: a list of
    entries naming a ``site`` with its ``site_country`` and, optionally, ``site_position``
    (``[latitude, longitude]``); Clover's program exports one entry per (site, cloud). A project
    without it still gets its sites from the ``residency-site`` tags, without country or ring;
    a malformed entry describes nothing."""
    entries = outputs.get(SITES_EXPORT)
    found: dict[str, DeclaredSite] = {}
    for entry in entries if isinstance(entries, list) else ():
        name = entry.get("site") if isinstance(entry, Mapping) else None
        if not isinstance(name, str) or not name or name in found:
            continue
        country = entry.get("site_country")
        position = entry.get("site_position")
        found[name] = DeclaredSite(
            name=name,
            country=country if isinstance(country, str) and len(country) == 2 else None,
            position=(
                (float(position[0]), float(position[1]))
                if isinstance(position, list | tuple)
                and len(position) == 2
                and all(
                    isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                    for v in position
                )
                and -90 <= position[0] <= 90
                and -180 <= position[1] <= 180
                else None
            ),
        )
    return tuple(found.values())


@dataclass(frozen=True, kw_only=True)
class Report:
    project: str
    stack: str
    generated_at: str
    revision: str | None
    packs: tuple[tuple[str, str | None], ...]
    """(pack directory name, config file name or None) per policy pack that ran."""
    allow_list: Mapping[str, tuple[str, ...]]
    resources: tuple[ResourceFacts, ...]
    flows: tuple[Flow, ...]
    findings: tuple[Finding, ...]
    sites: tuple[SiteSummary, ...] = field(default=())
    declared_sites: tuple[DeclaredSite, ...] = ()
    """The sites the project describes (:func:`declared_sites`): countries and map rings."""
    incomplete: str | None = None
    """Why the program ended before it finished; the report then certifies nothing clean."""
    edge_services: tuple[str, ...] = ()
    loosened: tuple[str, ...] = ()
    """One line per way the stack's pack configs are looser than the packs' strict bases."""
    """Edge-service kinds the residency pack's config opted into (``allowEdgeServices``)."""

    @property
    def mandatory(self) -> int:
        return sum(1 for f in self.findings if f.enforcement_level == "mandatory")

    @property
    def advisory(self) -> int:
        return len(self.findings) - self.mandatory

    @property
    def cloud_resources(self) -> list[ResourceFacts]:
        return [r for r in self.resources if r.kind == "resource"]

    def site_country(self, site: str) -> str | None:
        return next((d.country for d in self.declared_sites if d.name == site), None)


# -- helpers the report's parts share ---------------------------------------------------------

OUTSIDE_EUROPE: Final = {
    # Regions outside Europe, for labels in the off-map panel: (city, cloud, country).
    "us-east-1": ("N. Virginia", "aws", "US"),
    "us-east-2": ("Ohio", "aws", "US"),
    "us-west-1": ("N. California", "aws", "US"),
    "us-west-2": ("Oregon", "aws", "US"),
    "ca-central-1": ("Montréal", "aws", "CA"),
    "sa-east-1": ("São Paulo", "aws", "BR"),
    "ap-southeast-1": ("Singapore", "aws", "SG"),
    "ap-northeast-1": ("Tokyo", "aws", "JP"),
    "eastus": ("Virginia", "azure", "US"),
    "eastus2": ("Virginia", "azure", "US"),
    "westus": ("California", "azure", "US"),
    "westus2": ("Washington", "azure", "US"),
    "centralus": ("Iowa", "azure", "US"),
    "canadacentral": ("Toronto", "azure", "CA"),
    "southeastasia": ("Singapore", "azure", "SG"),
    "us-central1": ("Council Bluffs, Iowa", GCP, "US"),
    "us-east1": ("Moncks Corner, South Carolina", GCP, "US"),
    "us-east4": ("Ashburn, Virginia", GCP, "US"),
    "us-west1": ("The Dalles, Oregon", GCP, "US"),
    "asia-northeast1": ("Tokyo", GCP, "JP"),
    "asia-southeast1": ("Jurong West", GCP, "SG"),
}


def type_name(type_: str) -> str:
    """``aws:s3/bucketV2:BucketV2`` -> ``s3/Bucket``; ``azure-native:storage:StorageAccount`` ->
    ``storage/StorageAccount``. V2 aliases are the same resource to the report."""
    parts = [*type_.split(":"), "", ""]
    module = parts[1].split("/")[0]
    return f"{module}/{parts[2].removesuffix('V2')}"


def is_known(value: Any) -> bool:
    return value is not None and value not in (UNKNOWN, "")


def shown_place(value: str | None) -> str | None:
    if value is None:
        return None
    return "unknown" if value == UNKNOWN or not value else value


def place_country(cloud: str | None, region: str | None) -> str | None:
    if region is None:
        return None
    if cloud == "aws" and region in facts.AWS_EUROPE_REGIONS:
        return facts.AWS_EUROPE_REGIONS[region][1]
    if cloud == "azure" and region in facts.AZURE_EUROPE_LOCATIONS:
        return facts.AZURE_EUROPE_LOCATIONS[region][1]
    if cloud == GCP and region != "unknown":
        found = gcp_country(region)
        if found is not None:
            return found
    return OUTSIDE_EUROPE.get(region, (None, None, ""))[2] or None


def in_allow_list(
    cloud: str | None, region: str | None, allowed: Mapping[str, Iterable[str]]
) -> bool:
    """Whether a place is on the allow-list of its cloud. A GCP location is compared as the
    residency pack compares it (placement_gcp.location_problem): case-insensitively, and a zone
    is allowed when its region is."""
    if cloud is None or region is None or region == "unknown":
        return False
    codes = allowed.get(cloud, ())
    if cloud != GCP:
        return region in codes
    lowered = {c.lower() for c in codes}
    name = region.lower()
    return name in lowered or facts.gcp_zone_region(name) in lowered


def shorten(value: str, keep: int = 64) -> str:
    return value if len(value) <= keep else value[: keep - 1] + "…"


NO_DATA: Final = re.compile(
    r"^(ec2/(Vpc|Subnet|RouteTable|RouteTableAssociation|SecurityGroup|DefaultSecurityGroup|"
    r"VpcEndpoint|InternetGateway|NatGateway|Eip|NetworkAcl|DefaultNetworkAcl|"
    r"DefaultRouteTable|SecurityGroupRule)|"
    r"vpc/\w+|iam/\w+|kms/Alias|"
    r"s3/(BucketPolicy|BucketPublicAccessBlock|BucketVersioning|BucketOwnershipControls|"
    r"BucketLifecycleConfiguration|BucketObjectLockConfiguration|BucketReplicationConfig|"
    r"BucketLogging|BucketNotification|BucketAcl|AccountPublicAccessBlock)|"
    r"backup/(Plan|Selection|VaultPolicy|VaultLockConfiguration)|cloudtrail/\w+Selector|"
    r"ec2/FlowLog|"
    r"resources/ResourceGroup|network/\w+|privatedns/\w+|managedidentity/\w+|authorization/\w+|"
    r"insights/DiagnosticSetting|monitor/DiagnosticSetting|monitor/PrivateLinkScope|"
    r"monitor/PrivateLinkScopedResource|storage/(BlobServiceProperties|"
    r"ObjectReplicationPolicy|FileServiceProperties|QueueServiceProperties|"
    r"TableServiceProperties|ManagementPolicy)|keyvault/AccessPolicy)$"
)
