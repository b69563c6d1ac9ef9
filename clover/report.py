"""The residency evidence report: where every resource sits and where its data goes, for auditors.

Built from the same run as ``python -m clover check`` (:func:`clover.check.check`): the program's
resources as the engine would see them at preview, with their effective regions, and the policy
packs' verdicts. From those facts it derives, best effort but never guessing:

- each resource's site, cloud, region and country, and the encryption key that protects it
  (read from its properties, or from the resource its properties depend on when the value itself
  is not known until the resource is created);
- every data flow the program declares: replication (S3 replication, Azure object replication,
  geo-redundant storage, DynamoDB and Cosmos DB replicas, KMS replica keys), backup copies and log
  delivery (VPC flow logs, CloudTrail, S3 server access logs, Azure diagnostic settings), with the
  destination's region when it can be proven and "unknown" when it cannot (fail closed).

:func:`to_json` gives the facts as JSON and :func:`to_html` one self-contained HTML page: inline CSS
and an inline SVG map (Natural Earth borders from clover/assets/, zoomed to the regions in use),
rendered by the jinja2 template clover/report_template.html with autoescaping; nothing is fetched
when it is opened.
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import jinja2
import markupsafe

from clover import __version__, facts
from clover.check import CheckResult
from clover.formats import NEUTRAL, PLACED, Assessor, cloud_of, site_of, sites_by_provider
from clover.pack_flows import PackFlow, pack_flows
from clover.placement import (
    AWS_PACKAGE,
    AZURE_PACKAGE,
    Placed,
    gcp_country,
    gcp_multi_region_label,
    normalise_azure_location,
    normalise_gcp_location,
    package_of,
)
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
    """``placed``, ``neutral`` or ``not assessed`` (see :class:`clover.formats.Assessor`)."""

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


# ---------------------------------------------------------------------------------------------
# Deriving the facts from a check run
# ---------------------------------------------------------------------------------------------


def _type_name(type_: str) -> str:
    """``aws:s3/bucketV2:BucketV2`` -> ``s3/Bucket``; ``azure-native:storage:StorageAccount`` ->
    ``storage/StorageAccount``. V2 aliases are the same resource to the report."""
    parts = [*type_.split(":"), "", ""]
    module = parts[1].split("/")[0]
    return f"{module}/{parts[2].removesuffix('V2')}"


def _known(value: Any) -> bool:
    return value is not None and value not in (UNKNOWN, "")


def _where(value: str | None) -> str | None:
    if value is None:
        return None
    return "unknown" if value == UNKNOWN or not value else value


def _country(cloud: str | None, region: str | None) -> str | None:
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


def _arn_region(arn: Any) -> str | None:
    """The region field of an ARN (``arn:aws:backup:ap-southeast-1:...``), if it has one."""
    if not isinstance(arn, str) or not arn.startswith("arn:"):
        return None
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else None


def _s3_bucket_name(value: Any) -> str | None:
    """``arn:aws:s3:::name/prefix`` or ``name`` -> ``name``."""
    if not isinstance(value, str) or not _known(value):
        return None
    if value.startswith("arn:"):
        value = value.split(":::", 1)[-1]
    return value.split("/", 1)[0] or None


def _items(value: Any) -> list[Mapping[str, Any]]:
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def _get(value: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def _short(value: str, keep: int = 64) -> str:
    return value if len(value) <= keep else value[: keep - 1] + "…"


class _Index:
    """Look-ups over one check run: resources by URN, by name, and through property dependencies."""

    def __init__(self, placed: Sequence[Placed]) -> None:
        self.placed = placed
        self.by_urn = {p.resource.urn: p for p in placed}

    def linked(self, item: Placed, prop: str, *names: str) -> list[Placed]:
        """Resources of the given type names that ``item``'s property ``prop`` depends on."""
        found = []
        for urn in item.resource.property_dependencies.get(prop, ()):
            other = self.by_urn.get(urn)
            if other is not None and (not names or _type_name(other.resource.type) in names):
                found.append(other)
        return found

    def of_type(self, *names: str) -> list[Placed]:
        return [p for p in self.placed if _type_name(p.resource.type) in names]

    def bucket_named(self, name: str | None) -> Placed | None:
        if name is None:
            return None
        for bucket in self.of_type(*S3_BUCKETS):
            if bucket.properties.get("bucket") == name:
                return bucket
        return None

    def endpoint(self, item: Placed) -> Endpoint:
        cloud = cloud_of(item)
        region = _where(item.place) or "unknown"
        return Endpoint(
            label=item.resource.name,
            cloud=cloud,
            region=region,
            country=item.country,
            urn=item.resource.urn,
        )


S3_BUCKETS: Final = ("s3/Bucket",)
KMS_KEYS: Final = ("kms/Key", "kms/ReplicaKey")
AZURE_KEYS: Final = ("keyvault/Key", "keyvault/Vault")

# Resources that hold no data of their own: configuration, identity and network plumbing.
_NO_DATA: Final = re.compile(
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


class _Derive:
    """Derives encryption keys and data flows for one check run."""

    def __init__(self, result: CheckResult, allow_list: Mapping[str, frozenset[str]]) -> None:
        self.result = result
        self.index = _Index(result.placed)
        self.allow_list = allow_list
        self._flows: dict[tuple[str, ...], dict[str, Any]] = {}

    # -- encryption -----------------------------------------------------------------------------

    def _key_name(self, key: Placed) -> str:
        where = _where(key.place)
        kind = "KMS key" if package_of(key.resource.type) == AWS_PACKAGE else "Key Vault key"
        if _type_name(key.resource.type) == "keyvault/Vault":
            kind = "key in Key Vault"
        if _type_name(key.resource.type) == "keyvault/Key":
            # A Key Vault key has no location of its own: it lives in its vault.
            vaults = self.index.linked(key, "vaultName", "keyvault/Vault")
            if vaults:
                vault = vaults[0]
                inside = _where(vault.location) or "unknown"
                return f"{kind} {key.resource.name} in vault {vault.resource.name} ({inside})"
        return f"{kind} {key.resource.name} ({where or 'location not known'})"

    def _aws_key(self, item: Placed, prop: str, value: Any) -> str:
        """A KMS key reference: the stack's key it depends on, else the value, else unknown."""
        keys = self.index.linked(item, prop, *KMS_KEYS)
        if keys:
            return "; ".join(self._key_name(k) for k in keys)
        if _known(value):
            return f"KMS key {value}"
        return UNKNOWN_AT_PREVIEW

    def encryption(self, item: Placed) -> str:  # noqa: PLR0911, PLR0912 - one branch per service
        name = _type_name(item.resource.type)
        props = item.properties
        package = package_of(item.resource.type)
        if package not in {AWS_PACKAGE, AZURE_PACKAGE} or not item.resource.custom:
            return NOT_APPLICABLE
        if name == "s3/Bucket":
            return self._bucket_key(item)
        if name == "s3/BucketServerSideEncryptionConfiguration":
            return self._sse_key(item)
        if name == "kms/Key":
            multi = " (multi-Region)" if props.get("multiRegion") is True else ""
            return f"is a customer-managed KMS key{multi}"
        if name == "kms/ReplicaKey":
            return "is a KMS replica key"
        if name in {"cloudtrail/Trail", "cloudwatch/LogGroup"}:
            value = props.get("kmsKeyId")
            if value is None and not item.resource.property_dependencies.get("kmsKeyId"):
                default = "SSE-S3 on the log bucket" if name == "cloudtrail/Trail" else "AWS-owned"
                return f"no KMS key declared ({default})"
            return self._aws_key(item, "kmsKeyId", value)
        if name == "backup/Vault":
            value = props.get("kmsKeyArn")
            if value is None and not item.resource.property_dependencies.get("kmsKeyArn"):
                return "AWS Backup default key (aws/backup)"
            return self._aws_key(item, "kmsKeyArn", value)
        if name == "dynamodb/Table":
            sse = props.get("serverSideEncryption")
            if not isinstance(sse, Mapping) or sse.get("enabled") is not True:
                return "AWS-owned key (no customer-managed key declared)"
            return self._aws_key(item, "serverSideEncryption", sse.get("kmsKeyArn"))
        if name == "storage/StorageAccount":
            return self._storage_account_key(item)
        if name == "storage/BlobContainer":
            accounts = self.index.linked(item, "accountName", "storage/StorageAccount")
            if accounts:
                account = accounts[0]
                return f"{self._storage_account_key(account)}, via account {account.resource.name}"
            return "the storage account's key (account outside this stack)"
        if name == "keyvault/Vault":
            return "is a key store (Key Vault)"
        if name == "keyvault/Key":
            return "is a Key Vault key"
        if name == "operationalinsights/Workspace":
            return "Microsoft-managed key (no customer-managed key declared)"
        if name == "documentdb/DatabaseAccount":
            value = props.get("keyVaultKeyUri")
            if value is None:
                return "Microsoft-managed key (no customer-managed key declared)"
            keys = self.index.linked(item, "keyVaultKeyUri", *AZURE_KEYS)
            if keys:
                return "; ".join(self._key_name(k) for k in keys)
            return f"Key Vault key {value}" if _known(value) else UNKNOWN_AT_PREVIEW
        if _NO_DATA.match(name):
            return NOT_APPLICABLE
        return self._generic_key(item)

    def _bucket_key(self, bucket: Placed) -> str:
        configs = [
            c
            for c in self.index.of_type("s3/BucketServerSideEncryptionConfiguration")
            if self._applies_to(c, "bucket", bucket)
        ]
        if configs:
            return "; ".join(self._sse_key(c) for c in configs)
        inline = _get(bucket.properties, "serverSideEncryptionConfiguration", "rule")
        if isinstance(inline, Mapping):
            by_default = inline.get("applyServerSideEncryptionByDefault")
            if isinstance(by_default, Mapping):
                return self._sse_rule(bucket, "serverSideEncryptionConfiguration", by_default)
        # S3 encrypts every new object with SSE-S3 since January 2023.
        # https://docs.aws.amazon.com/AmazonS3/latest/userguide/default-encryption-faq.html
        return "no KMS key declared (S3 default SSE-S3)"

    def _applies_to(self, config: Placed, prop: str, bucket: Placed) -> bool:
        if bucket.resource.urn in config.resource.property_dependencies.get(prop, ()):
            return True
        name = config.properties.get(prop)
        return _known(name) and name == bucket.properties.get("bucket")

    def _sse_key(self, config: Placed) -> str:
        texts = []
        for rule in _items(config.properties.get("rules")):
            by_default = rule.get("applyServerSideEncryptionByDefault")
            if isinstance(by_default, Mapping):
                texts.append(self._sse_rule(config, "rules", by_default))
        return "; ".join(texts) or UNKNOWN_AT_PREVIEW

    def _sse_rule(self, item: Placed, prop: str, by_default: Mapping[str, Any]) -> str:
        algorithm = by_default.get("sseAlgorithm")
        if algorithm == "AES256":
            return "S3-managed key (SSE-S3)"
        key = by_default.get("kmsMasterKeyId")
        if key is None and _known(algorithm):
            return f"AWS-managed KMS key aws/s3 ({algorithm})"
        return self._aws_key(item, prop, key)

    def _storage_account_key(self, account: Placed) -> str:
        encryption = account.properties.get("encryption")
        if not isinstance(encryption, Mapping):
            return "Microsoft-managed key (no customer-managed key declared)"
        source = encryption.get("keySource")
        if isinstance(source, str) and source.lower() == "microsoft.storage":
            return "Microsoft-managed key"
        vault_props = encryption.get("keyVaultProperties")
        keys = self.index.linked(account, "encryption", "keyvault/Key")
        if keys:
            return "; ".join(self._key_name(k) for k in keys)
        if isinstance(vault_props, Mapping):
            key_name = vault_props.get("keyName")
            uri = vault_props.get("keyVaultUri")
            vaults = self.index.linked(account, "encryption", "keyvault/Vault")
            vault = vaults[0].resource.name if vaults else (uri if _known(uri) else None)
            if _known(key_name) and vault:
                return f"Key Vault key {key_name} in {vault}"
            if vault:
                return f"a key in Key Vault {vault}"
        return UNKNOWN_AT_PREVIEW

    def _generic_key(self, item: Placed) -> str:
        """Any property that names a KMS or Key Vault key, for types the report has no rule for."""
        for key, value in _walk(item.properties):
            lowered = key.lower()
            if ("kms" in lowered or "keyvaultkey" in lowered) and (
                lowered.endswith(("keyid", "keyarn", "keyuri", "masterkeyid"))
            ):
                top = next(iter(key.split(".")), key)
                return self._aws_key(item, top, value)
        return NOT_ASSESSED

    # -- flows ----------------------------------------------------------------------------------

    def _destination(self, cloud: str | None, region: str | None, label: str) -> Endpoint:
        where = region if region and region != UNKNOWN else "unknown"
        if cloud == "azure" and where != "unknown":
            where = normalise_azure_location(where)
        return Endpoint(label=label, cloud=cloud, region=where, country=_country(cloud, where))

    def _add(
        self,
        *,
        kind: str,
        what: str,
        source: Endpoint,
        destination: Endpoint,
        declared_by: Placed,
        key: tuple[str, ...] | None = None,
    ) -> None:
        """Record a flow; flows with the same key (two halves of one replication) merge."""
        dedupe = key or (
            kind,
            what,
            source.urn or source.label,
            declared_by.resource.urn,
            str(len(self._flows)),
        )
        entry = self._flows.get(dedupe)
        if entry is not None:
            entry["declared_by"].append(declared_by.resource.urn)
            return
        self._flows[dedupe] = {
            "kind": kind,
            "what": what,
            "source": source,
            "destination": destination,
            "declared_by": [declared_by.resource.urn],
        }

    def flows(self) -> list[Flow]:
        for item in self.index.placed:
            handler = _FLOW_HANDLERS.get(_type_name(item.resource.type))
            if handler is not None and package_of(item.resource.type) in {
                AWS_PACKAGE,
                AZURE_PACKAGE,
            }:
                handler(self, item)
        flows = []
        # Registration order varies between runs; ids must not, so that reports compare.
        entries = sorted(
            self._flows.values(),
            key=lambda e: (
                e["source"].cloud or "",
                e["source"].region,
                e["kind"],
                e["source"].label,
                e["destination"].label,
                e["what"],
            ),
        )
        for i, entry in enumerate(entries, start=1):
            destination: Endpoint = entry["destination"]
            flows.append(
                Flow(
                    id=f"F{i}",
                    kind=entry["kind"],
                    what=entry["what"],
                    source=entry["source"],
                    destination=destination,
                    declared_by=tuple(dict.fromkeys(entry["declared_by"])),
                    in_allow_list=self.allowed(destination.cloud, destination.region),
                )
            )
        return flows

    def allowed(self, cloud: str | None, region: str | None) -> bool:
        return in_allow_list(cloud, region, self.allow_list)

    def _bucket_endpoint(
        self, item: Placed, prop: str, value: Any, skip: Placed | None
    ) -> Endpoint:
        """Where an S3 bucket reference points: a bucket of this stack, else outside it."""
        bucket = self.index.bucket_named(_s3_bucket_name(value))
        if bucket is None:
            candidates = [b for b in self.index.linked(item, prop, *S3_BUCKETS) if b is not skip]
            bucket = candidates[0] if len(candidates) == 1 else None
        if bucket is not None:
            return self.index.endpoint(bucket)
        # An S3 ARN carries no region: a bucket outside the stack cannot be placed from it.
        label = _short(str(value)) if _known(value) else "a bucket outside this stack"
        return self._destination("aws", None, label)

    def s3_replication(self, item: Placed) -> None:
        source = self._source_bucket(item, "bucket")
        for rule in _items(item.properties.get("rules")):
            if rule.get("status") not in (None, "Enabled"):
                continue
            target = _get(rule, "destination", "bucket")
            destination = self._bucket_endpoint(item, "rules", target, None)
            self._add(
                kind=REPLICATION,
                what=f"S3 replication rule {rule.get('id') or ''}".strip(),
                source=source,
                destination=destination,
                declared_by=item,
            )

    def _source_bucket(self, item: Placed, prop: str) -> Endpoint:
        buckets = self.index.linked(item, prop, *S3_BUCKETS)
        if not buckets:
            named = self.index.bucket_named(_s3_bucket_name(item.properties.get(prop)))
            buckets = [named] if named is not None else []
        return self.index.endpoint(buckets[0] if buckets else item)

    def s3_logging(self, item: Placed) -> None:
        source = self._source_bucket(item, "bucket")
        skip = self.index.by_urn.get(source.urn or "")
        target = item.properties.get("targetBucket")
        self._add(
            kind=LOG_DELIVERY,
            what="S3 server access logs",
            source=source,
            destination=self._bucket_endpoint(item, "targetBucket", target, skip),
            declared_by=item,
        )

    def backup_plan(self, item: Placed) -> None:
        for rule in _items(item.properties.get("rules")):
            targets = self.index.linked(item, "rules", "backup/Vault")
            primary = next(
                (v for v in targets if v.properties.get("name") == rule.get("targetVaultName")),
                targets[0] if targets else None,
            )
            source = self.index.endpoint(primary or item)
            others = [v for v in targets if v is not primary]
            copies = _items(rule.get("copyActions"))
            for i, copy_action in enumerate(copies):
                arn = copy_action.get("destinationVaultArn")
                vault = others[i] if not _known(arn) and len(others) == len(copies) else None
                if vault is not None:
                    destination = self.index.endpoint(vault)
                else:
                    label = _short(str(arn)) if _known(arn) else "a vault outside this stack"
                    destination = self._destination("aws", _arn_region(arn), label)
                self._add(
                    kind=BACKUP_COPY,
                    what=f"AWS Backup copy ({rule.get('ruleName') or 'rule'})",
                    source=source,
                    destination=destination,
                    declared_by=item,
                )

    def dynamodb_replicas(self, item: Placed) -> None:
        for replica in _items(item.properties.get("replicas")):
            region = replica.get("regionName")
            label = f"replica in {region}" if _known(region) else "replica"
            self._add(
                kind=REPLICATION,
                what="DynamoDB global table replica",
                source=self.index.endpoint(item),
                destination=self._destination("aws", region if _known(region) else None, label),
                declared_by=item,
            )

    def kms_replica(self, item: Placed) -> None:
        primaries = self.index.linked(item, "primaryKeyArn", "kms/Key")
        arn = item.properties.get("primaryKeyArn")
        if primaries:
            source = self.index.endpoint(primaries[0])
        else:
            label = _short(str(arn)) if _known(arn) else "a key outside this stack"
            source = self._destination("aws", _arn_region(arn), label)
        self._add(
            kind=REPLICATION,
            what="KMS multi-Region replica key",
            source=source,
            destination=self.index.endpoint(item),
            declared_by=item,
        )

    def flow_log(self, item: Placed) -> None:
        captured = [
            *self.index.linked(item, "vpcId"),
            *self.index.linked(item, "subnetId"),
            *self.index.linked(item, "eniId"),
            *self.index.linked(item, "transitGatewayId"),
        ]
        source = self.index.endpoint(captured[0] if captured else item)
        props = item.properties
        destination_type = props.get("logDestinationType") or "cloud-watch-logs"
        value = props.get("logDestination")
        if destination_type == "s3":
            destination = self._bucket_endpoint(item, "logDestination", value, None)
        else:
            groups = [
                *self.index.linked(item, "logDestination"),
                *self.index.linked(item, "logGroupName"),
            ]
            if groups:
                destination = self.index.endpoint(groups[0])
            else:
                # A log group named without an ARN is in the flow log's own region.
                region = _arn_region(value) or (
                    item.region if _known(props.get("logGroupName")) else None
                )
                label = _short(str(value or props.get("logGroupName") or "log destination"))
                destination = self._destination("aws", region, label)
        self._add(
            kind=LOG_DELIVERY,
            what=f"VPC flow logs ({destination_type})",
            source=source,
            destination=destination,
            declared_by=item,
        )

    def cloudtrail(self, item: Placed) -> None:
        source = self.index.endpoint(item)
        bucket = item.properties.get("s3BucketName")
        self._add(
            kind=LOG_DELIVERY,
            what="CloudTrail log files",
            source=source,
            destination=self._bucket_endpoint(item, "s3BucketName", bucket, None),
            declared_by=item,
        )
        group = item.properties.get("cloudWatchLogsGroupArn")
        if group is not None:
            groups = self.index.linked(item, "cloudWatchLogsGroupArn")
            destination = (
                self.index.endpoint(groups[0])
                if groups
                else self._destination("aws", _arn_region(group), _short(str(group)))
            )
            self._add(
                kind=LOG_DELIVERY,
                what="CloudTrail to CloudWatch Logs",
                source=source,
                destination=destination,
                declared_by=item,
            )

    def _azure_target(self, item: Placed, prop: str, *names: str) -> Endpoint | None:
        value = item.properties.get(prop)
        linked = self.index.linked(item, prop, *names)
        if linked:
            return self.index.endpoint(linked[0])
        if value is None:
            return None
        # An ARM id names no location; a resource outside the stack cannot be placed from it.
        label = _short(str(value)) if _known(value) else f"{prop} outside this stack"
        return self._destination("azure", None, label)

    def object_replication(self, item: Placed) -> None:
        accounts = ("storage/StorageAccount",)
        source = self._azure_target(item, "sourceAccount", *accounts)
        destination = self._azure_target(item, "destinationAccount", *accounts)
        if source is None or destination is None:
            return
        self._add(
            kind=REPLICATION,
            what="Azure blob object replication",
            source=source,
            destination=destination,
            declared_by=item,
            # The destination and the source account each carry one policy for one replication.
            key=(
                REPLICATION,
                "object",
                source.urn or source.label,
                destination.urn or destination.label,
            ),
        )

    def diagnostic_setting(self, item: Placed) -> None:
        resources = self.index.linked(item, "resourceUri")
        source = (
            self.index.endpoint(resources[0])
            if resources
            else self._destination("azure", None, _short(str(item.properties.get("resourceUri"))))
        )
        for prop, what in (
            ("workspaceId", "Log Analytics workspace"),
            ("storageAccountId", "storage account"),
            ("eventHubAuthorizationRuleId", "event hub"),
            ("marketplacePartnerId", "partner solution"),
        ):
            destination = self._azure_target(item, prop)
            if destination is None:
                continue
            self._add(
                kind=LOG_DELIVERY,
                what=f"diagnostic logs to {what}",
                source=source,
                destination=destination,
                declared_by=item,
            )

    def geo_redundancy(self, item: Placed) -> None:
        sku = _get(item.properties, "sku", "name")
        if sku not in facts.AZURE_STORAGE_SKUS or not facts.geo_redundant_storage_sku(sku):
            return
        location = item.location or "unknown"
        pair = facts.AZURE_PAIRS.get(location)
        self._add(
            kind=REPLICATION,
            what=f"geo-redundant storage ({sku}) to the paired region",
            source=self.index.endpoint(item),
            destination=self._destination("azure", pair, f"paired region of {location}"),
            declared_by=item,
        )

    def cosmos_locations(self, item: Placed) -> None:
        home = item.location
        for location in _items(item.properties.get("locations")):
            name = location.get("locationName")
            where = (
                normalise_azure_location(name) if isinstance(name, str) and _known(name) else None
            )
            if where is not None and where == home:
                continue
            self._add(
                kind=REPLICATION,
                what="Cosmos DB replica region",
                source=self.index.endpoint(item),
                destination=self._destination("azure", where, f"replica in {where or 'unknown'}"),
                declared_by=item,
            )


_FLOW_HANDLERS: Final = {
    "s3/BucketReplicationConfig": _Derive.s3_replication,
    "s3/BucketLogging": _Derive.s3_logging,
    "backup/Plan": _Derive.backup_plan,
    "dynamodb/Table": _Derive.dynamodb_replicas,
    "kms/ReplicaKey": _Derive.kms_replica,
    "ec2/FlowLog": _Derive.flow_log,
    "cloudtrail/Trail": _Derive.cloudtrail,
    "storage/ObjectReplicationPolicy": _Derive.object_replication,
    "insights/DiagnosticSetting": _Derive.diagnostic_setting,
    "monitor/DiagnosticSetting": _Derive.diagnostic_setting,
    "storage/StorageAccount": _Derive.geo_redundancy,
    "documentdb/DatabaseAccount": _Derive.cosmos_locations,
}


def _walk(value: Any, prefix: str = "") -> Iterable[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key, inner in value.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            yield path, inner
            yield from _walk(inner, path)
    elif isinstance(value, list):
        for inner in value:
            yield from _walk(inner, prefix)


# ---------------------------------------------------------------------------------------------
# Assembling the report
# ---------------------------------------------------------------------------------------------


def allow_list(result: CheckResult) -> dict[str, tuple[str, ...]]:
    """Where data may go, per cloud: the residency pack's configured lists for this run
    (``allowedRegions``, ``allowedLocations``, ``allowedGcpLocations``), else the EEA's
    places (clover/facts.py), the pack's own defaults."""
    aws: set[str] | None = None
    azure: set[str] | None = None
    gcp: set[str] | None = None
    for run in result.packs:
        if run.directory.name != RESIDENCY_PACK or run.config_file is None:
            continue
        try:
            config = json.loads(run.config_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # the check itself has already refused an unreadable config
        for policy in config.values() if isinstance(config, dict) else ():
            if not isinstance(policy, Mapping):
                continue
            regions = policy.get("allowedRegions")
            if isinstance(regions, list):
                aws = set(regions) if aws is None else aws & set(regions)
            locations = policy.get("allowedLocations")
            if isinstance(locations, list):
                wanted = {normalise_azure_location(str(v)) for v in locations}
                azure = wanted if azure is None else azure & wanted
            # gcp-resource-location-allowed's allowedGcpLocations (default: the EEA regions, EU,
            # EUR4, eur3), case-insensitive like the pack's residency_common.allowed_gcp_locations.
            gcp_locations = policy.get("allowedGcpLocations")
            if isinstance(gcp_locations, list):
                wanted = {normalise_gcp_location(str(v)) for v in gcp_locations}
                gcp = wanted if gcp is None else gcp & wanted
    approved_gcp = {normalise_gcp_location(code) for code in facts.EEA_GCP_LOCATIONS}
    return {
        "aws": tuple(sorted(facts.EEA_AWS_REGIONS if aws is None else aws)),
        "azure": tuple(sorted(facts.EEA_AZURE_LOCATIONS if azure is None else azure)),
        GCP: tuple(sorted(approved_gcp if gcp is None else gcp)),
    }


def edge_services(result: CheckResult) -> tuple[str, ...]:
    """The edge-service kinds the residency pack was configured to allow for this run.

    Each kind is a loosening of residency (copies at edge locations worldwide), so the report
    names every one the config lists, from whichever rule lists it.
    """
    kinds: set[str] = set()
    for run in result.packs:
        if run.directory.name != RESIDENCY_PACK or run.config_file is None:
            continue
        try:
            config = json.loads(run.config_file.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # the check itself has already refused an unreadable config
        for policy in config.values() if isinstance(config, dict) else ():
            allowed = policy.get("allowEdgeServices") if isinstance(policy, Mapping) else None
            if isinstance(allowed, list):
                kinds.update(str(kind) for kind in allowed)
    return tuple(sorted(kinds))


def _kind(item: Placed) -> str:
    if item.resource.is_provider:
        return "provider"
    return "resource" if item.resource.placed_as_resource else "component"


def build(result: CheckResult, *, now: datetime | None = None) -> Report:
    """Derive the report's facts from one check run."""
    allowed = allow_list(result)
    derive = _Derive(result, {cloud: frozenset(codes) for cloud, codes in allowed.items()})
    flows = _with_pack_flows(derive.flows(), pack_flows(result), derive.index)
    findings = tuple(
        Finding(
            policy_pack=d.policy_pack,
            policy=d.policy,
            enforcement_level=d.enforcement_level,
            severity=d.severity,
            urn=d.urn,
            message=d.message,
        )
        for d in result.diagnostics
    )
    by_urn: dict[str, list[Finding]] = {}
    for finding in findings:
        by_urn.setdefault(finding.urn, []).append(finding)
    provider_sites = sites_by_provider(result.placed)
    declared = declared_sites(result.outputs)
    countries = {d.name: d.country for d in declared}
    assessor = Assessor(result)
    resources = []
    # Registration order varies between runs of an async program; the report's does not.
    for item in sorted(result.placed, key=lambda p: p.resource.urn):
        kind = _kind(item)
        assessment = assessor.of(item)
        # A kubernetes resource is placed where its cluster is; a resource the packs could not
        # place, or one placed nowhere, has no region to draw.
        where = assessor.placement(item)
        placed = kind == "resource" and assessment == PLACED
        cloud = cloud_of(where) if placed else None
        region = _where(where.place) if placed else None
        site, site_from = site_of(item), "tag"
        if site is None and kind == "resource":
            site = provider_sites.get(item.resource.provider_urn or "")
            site_from = "provider"
        site_country = countries.get(site) if site is not None else None
        resources.append(
            ResourceFacts(
                urn=item.resource.urn,
                type=item.resource.type,
                name=item.resource.name,
                kind=kind,
                site=site,
                site_from=site_from if site is not None else None,
                cloud=cloud,
                region=region,
                country=where.country if placed else None,
                in_allow_list=(None if region in {None, GLOBAL} else derive.allowed(cloud, region)),
                outside_site_country=bool(
                    site_country and item.country and item.country != site_country
                ),
                encryption=derive.encryption(item) if kind == "resource" else NOT_APPLICABLE,
                targets=tuple(f.id for f in flows if f.source.urn == item.resource.urn),
                findings=tuple(by_urn.get(item.resource.urn, ())),
                assessment=assessment,
            )
        )
    packs = tuple(
        (run.directory.name, run.config_file.name if run.config_file else None)
        for run in result.packs
    )
    report = Report(
        project=result.project.name,
        stack=result.stack,
        generated_at=(now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M:%S UTC"),
        revision=os.environ.get("GITHUB_SHA") or None,
        packs=packs,
        loosened=tuple(item.describe() for run in result.packs for item in run.loosened),
        allow_list=allowed,
        resources=tuple(resources),
        flows=tuple(flows),
        findings=findings,
        incomplete=result.incomplete,
        edge_services=edge_services(result),
        declared_sites=declared,
    )
    return Report(**{**report.__dict__, "sites": _site_summaries(report)})


REFERENCE: Final = "reference"
"""The kind of a flow only the data-flow rule found (a log group, a subscription endpoint...)."""


def _with_pack_flows(
    flows: list[Flow], found: Sequence[PackFlow] | None, index: _Index
) -> list[Flow]:
    """The report's flows with every flow the data-flow rule resolved: one it already has is
    marked with how the rule proved it (and outside the allow-list if the rule blocked it), any
    other is added, so the picture and the verdict cannot disagree (clover/pack_flows.py)."""
    merged = list(flows)
    # In a fixed order, so that the ids of the added flows do not depend on registration order.
    ordered = sorted(
        found or (),
        key=lambda f: (f.source, f.path, f.destination or "", str(f.value), f.how),
    )
    for flow in ordered:
        source = index.by_urn.get(flow.source)
        if source is None:
            continue
        target = index.by_urn.get(flow.destination or "")
        if target is not None:
            destination = index.endpoint(target)
        else:
            where = flow.place or "unknown"
            destination = Endpoint(
                label=_short(str(flow.value)),
                cloud=flow.cloud,
                region=where,
                country=_country(flow.cloud, where),
            )
        same = next(
            (
                i
                for i, f in enumerate(merged)
                if flow.source in f.declared_by
                and (f.destination.urn or f.destination.label)
                == (destination.urn or destination.label)
            ),
            None,
        )
        if same is not None:
            known = merged[same]
            merged[same] = Flow(
                **{
                    **known.__dict__,
                    "in_allow_list": known.in_allow_list and flow.allowed,
                    "proven": known.proven or f"{flow.path}: {flow.how}",
                }
            )
            continue
        merged.append(
            Flow(
                id=f"F{len(merged) + 1}",
                kind=REFERENCE,
                what=flow.path,
                source=index.endpoint(source),
                destination=destination,
                declared_by=(flow.source,),
                in_allow_list=flow.allowed,
                proven=flow.how,
            )
        )
    return merged


def _drawn(flow: Flow) -> bool:
    """Whether the map draws the flow: a reference the rule allowed (a bucket's versioning naming
    its bucket, a role assignment naming its vault) is listed with how it was proven, not drawn,
    or the arrows that matter would drown among them; one the rule blocked is drawn."""
    return not (flow.kind == REFERENCE and flow.in_allow_list)


def _site_summaries(report: Report) -> tuple[SiteSummary, ...]:
    groups: dict[str, list[ResourceFacts]] = {}
    for resource in report.cloud_resources:
        groups.setdefault(resource.site or NO_SITE, []).append(resource)
    named = [d.name for d in report.declared_sites]
    order = [s for s in named if s in groups] + sorted(set(groups) - set(named))
    site_of_urn = {r.urn: r.site or NO_SITE for r in report.cloud_resources}
    summaries = []
    for site in order:
        members = groups[site]
        out = [f for f in report.flows if site_of_urn.get(f.source.urn or "") == site]
        summaries.append(
            SiteSummary(
                site=site,
                country=report.site_country(site),
                resources=len(members),
                clouds=tuple(sorted({r.cloud for r in members if r.cloud})),
                regions=tuple(
                    sorted({r.region for r in members if r.region and r.region != GLOBAL})
                ),
                countries=tuple(sorted({r.country for r in members if r.country})),
                flows_out=len(out),
                flows_outside_allow_list=sum(1 for f in out if not f.in_allow_list),
                mandatory=sum(r.mandatory for r in members),
                advisory=sum(r.advisory for r in members),
            )
        )
    return tuple(summaries)


def to_json(report: Report) -> dict[str, Any]:
    return {
        "project": report.project,
        "stack": report.stack,
        "generatedAt": report.generated_at,
        "generatedBy": f"clover {__version__}",
        "revision": report.revision,
        "policyPacks": [{"pack": pack, "config": config} for pack, config in report.packs],
        "loosened": list(report.loosened),
        "allowList": {cloud: list(codes) for cloud, codes in report.allow_list.items()},
        "edgeServicesAllowed": list(report.edge_services),
        "complete": report.incomplete is None,
        "incomplete": report.incomplete,
        "summary": {
            # A run that ended early is never "passed": what it did not register was not seen.
            "verdict": "failed"
            if report.mandatory
            else "incomplete"
            if report.incomplete
            else "passed",
            "resources": len(report.cloud_resources),
            "providersAndComponents": len(report.resources) - len(report.cloud_resources),
            "flows": len(report.flows),
            "flowsOutsideAllowList": sum(1 for f in report.flows if not f.in_allow_list),
            "resourcesOutsideAllowList": sum(
                1 for r in report.cloud_resources if r.in_allow_list is False
            ),
            "mandatory": report.mandatory,
            "advisory": report.advisory,
        },
        "sites": [s.as_json() for s in report.sites],
        "resources": [r.as_json() for r in report.resources],
        "flows": [f.as_json() for f in report.flows],
        "findings": [f.as_json() for f in report.findings],
    }


def render_json(report: Report) -> str:
    return json.dumps(to_json(report), indent=2, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------------------------
# The picture: Natural Earth borders, zoomed to the regions in use, no map data fetched
# ---------------------------------------------------------------------------------------------

REGION_POSITIONS: Final = {
    # (latitude, longitude) of the city each European region is named after (clover/facts.py).
    "eu-west-1": (53.35, -6.26),
    "eu-north-1": (59.33, 18.07),
    "eu-central-1": (50.11, 8.68),
    "eu-west-3": (48.86, 2.35),
    "eu-south-1": (45.46, 9.19),
    "eu-south-2": (41.65, -0.88),
    "eu-west-2": (51.51, -0.13),
    "eu-central-2": (47.37, 8.54),
    "northeurope": (53.35, -6.26),
    "westeurope": (52.37, 4.90),
    "norwayeast": (59.91, 10.75),
    "norwaywest": (58.97, 5.73),
    "swedencentral": (60.67, 17.14),
    "swedensouth": (55.60, 13.00),
    "germanywestcentral": (50.11, 8.68),
    "germanynorth": (52.52, 13.40),
    "francecentral": (48.86, 2.35),
    "francesouth": (43.30, 5.37),
    "italynorth": (45.46, 9.19),
    "polandcentral": (52.23, 21.01),
    "spaincentral": (40.42, -3.70),
    "austriaeast": (48.21, 16.37),
    "belgiumcentral": (50.85, 4.35),
    "denmarkeast": (55.68, 12.57),
    "uksouth": (51.51, -0.13),
    "ukwest": (51.48, -3.18),
    "switzerlandnorth": (47.37, 8.54),
    "switzerlandwest": (46.20, 6.14),
    # Google Cloud: the town each region's data centres are in (facts.GCP_EUROPE_CITIES).
    "europe-west1": (50.45, 3.82),
    "europe-west2": (51.51, -0.13),
    "europe-west3": (50.11, 8.68),
    "europe-west4": (53.44, 6.83),
    "europe-west6": (47.37, 8.54),
    "europe-west8": (45.46, 9.19),
    "europe-west9": (48.86, 2.35),
    "europe-west10": (52.52, 13.40),
    "europe-west12": (45.07, 7.69),
    "europe-central2": (52.23, 21.01),
    "europe-north1": (60.57, 27.20),
    "europe-north2": (59.33, 18.07),
    "europe-southwest1": (40.42, -3.70),
}

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

OK_COLOUR: Final = "#2e7d32"
WARN_COLOUR: Final = "#c62828"
AWS_COLOUR: Final = "#b35c00"
AZURE_COLOUR: Final = "#0a5fb4"
GCP_COLOUR: Final = "#00838f"
CLOUD_COLOURS: Final = {"aws": AWS_COLOUR, "azure": AZURE_COLOUR, GCP: GCP_COLOUR}
CLOUD_NAMES: Final = {"aws": "AWS", "azure": "Azure", GCP: "Google Cloud"}
SITE_COLOUR: Final = "#6a1b9a"
_DASH: Final = {REPLICATION: "", BACKUP_COPY: "9 5", LOG_DELIVERY: "2 4"}

ATLAS_FILE: Final = Path(__file__).with_name("assets") / "europe.json"
"""Natural Earth borders and coastlines, built by tools/build_map.py (source noted inside)."""

MAP_WIDTH: Final = 820.0
MAP_HEIGHT: Final = 680.0
"""The map's frame; the view inside it is fitted to the places in use."""
_MAP_X, _MAP_Y = 16.0, 56.0
_PANEL_X: Final = _MAP_X + MAP_WIDTH + 36
_PANEL_W: Final = 290.0
SVG_WIDTH: Final = _PANEL_X + _PANEL_W + 16
DEFAULT_VIEW: Final = (-11.0, 35.0, 31.0, 71.0)
"""(west, south, east, north) in degrees: the EEA's mainland, when no place is on the map."""
_PAD: Final = 2.5
"""Degrees of margin around the places in use, so a ring or a loop is not cut by the frame."""
_MIN_SPAN: Final = 9.0
"""Degrees of latitude the view spans at least: one region is shown with its neighbours."""


@dataclass(frozen=True)
class Country:
    code: str | None
    name: str
    rings: tuple[tuple[tuple[tuple[float, float], ...], ...], ...]
    """Polygons, each an outer ring and its holes, as (longitude, latitude)."""
    label: tuple[float, float]
    """(longitude, latitude) inside the country's largest polygon."""
    bbox: tuple[float, float, float, float]


@dataclass(frozen=True)
class Atlas:
    source: str
    licence: str
    extent: tuple[float, float, float, float]
    names: Mapping[str, str]
    countries: tuple[Country, ...]


@functools.cache
def atlas() -> Atlas:
    """The committed Natural Earth asset, decoded once per process."""
    data = json.loads(ATLAS_FILE.read_text(encoding="utf-8"))
    scale = float(data["scale"])
    countries = []
    for entry in data["countries"]:
        # Each ring is stored flat: [lon0, lat0, lon1, lat1, ...] in hundredths of a degree.
        polygons = tuple(
            tuple(
                tuple(zip(flat[0::2], flat[1::2], strict=True))
                for flat in ([v / scale for v in ring] for ring in polygon)
            )
            for polygon in entry["polygons"]
        )
        lons = [lon for polygon in polygons for ring in polygon for lon, _ in ring]
        lats = [lat for polygon in polygons for ring in polygon for _, lat in ring]
        countries.append(
            Country(
                code=entry["code"],
                name=entry["name"],
                rings=polygons,
                label=(entry["label"][0] / scale, entry["label"][1] / scale),
                bbox=(min(lons), min(lats), max(lons), max(lats)),
            )
        )
    west, south, east, north = (float(v) for v in data["extent"])
    return Atlas(
        source=str(data["source"]),
        licence=str(data["licence"]),
        extent=(west, south, east, north),
        names=dict(data["names"]),
        countries=tuple(countries),
    )


def country_name(code: str | None) -> str | None:
    """The English short name of an ISO 3166 alpha-2 code (Natural Earth's and ISO's names);
    None for anything else (a GCP multi-region's "EU multi-region")."""
    return atlas().names.get(code or "")


@dataclass(frozen=True)
class MapView:
    """An equirectangular view of (west, south, east, north) degrees in the map's frame, scaled
    at its middle latitude; the frame's width fixes the scale, its height follows."""

    west: float
    south: float
    east: float
    north: float

    @property
    def cos(self) -> float:
        return math.cos(math.radians((self.south + self.north) / 2))

    @property
    def scale(self) -> float:
        return MAP_WIDTH / ((self.east - self.west) * self.cos)

    @property
    def height(self) -> float:
        return (self.north - self.south) * self.scale

    def project(self, lat: float, lon: float) -> tuple[float, float]:
        """Latitude/longitude to picture coordinates."""
        x = _MAP_X + (lon - self.west) * self.cos * self.scale
        y = _MAP_Y + (self.north - lat) * self.scale
        return round(x, 1), round(y, 1)

    def shows(self, lat: float, lon: float) -> bool:
        return self.west <= lon <= self.east and self.south <= lat <= self.north

    def attribute(self) -> str:
        return f"{self.west:.2f} {self.south:.2f} {self.east:.2f} {self.north:.2f}"

    @classmethod
    def parse(cls, text: str) -> MapView:
        west, south, east, north = (float(v) for v in text.split())
        return cls(west, south, east, north)


def fit_view(points: Iterable[tuple[float, float]]) -> MapView:
    """The view that shows every (latitude, longitude) with a margin, at the frame's proportions,
    kept inside the atlas where it can be."""
    found = list(points)
    if not found:
        west, south, east, north = DEFAULT_VIEW
    else:
        south = min(lat for lat, _ in found) - _PAD
        north = max(lat for lat, _ in found) + _PAD
        if north - south < _MIN_SPAN:
            middle = (south + north) / 2
            south, north = middle - _MIN_SPAN / 2, middle + _MIN_SPAN / 2
        cos = math.cos(math.radians((south + north) / 2))
        west = min(lon for _, lon in found) - _PAD / cos
        east = max(lon for _, lon in found) + _PAD / cos
    cos = math.cos(math.radians((south + north) / 2))
    ratio = MAP_WIDTH / MAP_HEIGHT
    wide, tall = (east - west) * cos, north - south
    if wide / tall < ratio:
        grow = (ratio * tall / cos - (east - west)) / 2
        west, east = west - grow, east + grow
    else:
        grow = (wide / ratio - tall) / 2
        south, north = south - grow, north + grow
    a_west, a_south, a_east, a_north = atlas().extent
    # Slide a view that pokes out of the atlas back in, without changing its size.
    for low, high, lo, hi in ((west, east, a_west, a_east), (south, north, a_south, a_north)):
        shift = 0.0
        if high - low <= hi - lo:
            shift = max(lo - low, 0.0) + min(hi - high, 0.0)
        if (low, high) == (west, east):
            west, east = west + shift, east + shift
        else:
            south, north = south + shift, north + shift
    return MapView(round(west, 2), round(south, 2), round(east, 2), round(north, 2))


@dataclass
class _Node:
    cloud: str | None
    region: str
    allowed: bool
    x: float = 0.0
    y: float = 0.0
    on_map: bool = True
    resources: int = 0
    fan: float = 0.0
    """Turn, in radians, of this node's loops away from those of a node in the same city: the
    left node's loops turn west, the right node's south, so neither crosses the other."""

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.cloud, self.region)


def _e(value: object) -> str:
    """Escape as the template does (markupsafe, jinja2's autoescaping)."""
    return str(markupsafe.escape(str(value)))


def _nodes(report: Report) -> dict[tuple[str | None, str], _Node]:
    """One node per (cloud, region) in use."""
    allowed = {cloud: set(codes) for cloud, codes in report.allow_list.items()}
    nodes: dict[tuple[str | None, str], _Node] = {}

    def node(cloud: str | None, region: str) -> _Node:
        key = (cloud, region)
        if key not in nodes:
            nodes[key] = _Node(
                cloud=cloud, region=region, allowed=in_allow_list(cloud, region, allowed)
            )
        return nodes[key]

    for resource in report.cloud_resources:
        if resource.region not in {None, GLOBAL}:
            node(resource.cloud, str(resource.region)).resources += 1
    for flow in report.flows:
        if _drawn(flow):
            node(flow.source.cloud, flow.source.region)
            node(flow.destination.cloud, flow.destination.region)
    return nodes


def _site_positions(report: Report) -> dict[str, tuple[float, float]]:
    return {d.name: d.position for d in report.declared_sites if d.position is not None}


def _sites_in_use(report: Report) -> list[str]:
    used = {r.site for r in report.cloud_resources}
    return [name for name in _site_positions(report) if name in used]


def view_of(report: Report) -> MapView:
    """The map zooms to the regions in use and the sites that hold the stack's data."""
    positions = [_position(n) for n in _nodes(report).values()]
    points = [p for p in positions if p is not None]
    positions_of = _site_positions(report)
    points += [positions_of[s] for s in _sites_in_use(report)]
    return fit_view(points)


def _layout(report: Report, view: MapView) -> dict[tuple[str | None, str], _Node]:
    """European nodes on the map, the rest (outside Europe, multi-region, unknown) in the panel."""
    nodes = _nodes(report)
    by_position: dict[tuple[float, float], list[_Node]] = {}
    panel: list[_Node] = []
    for item in nodes.values():
        position = _position(item)
        if position is not None:
            x, y = view.project(*position)
            by_position.setdefault((x, y), []).append(item)
        else:
            item.on_map = False
            panel.append(item)
    for (x, y), group in by_position.items():
        # AWS left of Azure, Azure left of Google Cloud, where clouds share a city.
        group.sort(key=lambda n: (n.cloud or "", n.region))
        for i, item in enumerate(group):
            item.x = x + (i - (len(group) - 1) / 2) * 20
            item.y = y
            item.fan = math.radians(80) * ((len(group) - 1) / 2 - i)
    panel.sort(key=lambda n: (n.region == "unknown", n.cloud or "", n.region))
    for i, item in enumerate(panel):
        item.x = _PANEL_X + 14
        item.y = _MAP_Y + 70 + i * 64
    return nodes


def _position(item: _Node) -> tuple[float, float] | None:
    """Where a node sits on the map: its region's city (a GCP zone at its region's); None for a
    place with no position (outside Europe, a multi-region, unknown), drawn in the panel."""
    if item.region in REGION_POSITIONS:
        return REGION_POSITIONS[item.region]
    if item.cloud == GCP:
        region = facts.gcp_zone_region(item.region)
        if region is not None and region in facts.GCP_EUROPE_REGIONS:
            return REGION_POSITIONS.get(region)
    return None


def _place_text(code: str | None) -> str:
    """``NO`` -> ``NO, Norway``; anything without a name as it is."""
    name = country_name(code)
    return f"{code}, {name}" if name else (code or "")


def _node_model(item: _Node) -> dict[str, Any]:
    colour = CLOUD_COLOURS.get(item.cloud or "", AZURE_COLOUR) if item.allowed else WARN_COLOUR
    cloud = CLOUD_NAMES.get(item.cloud or "", "cloud")
    model: dict[str, Any] = {
        "region": item.region,
        "cloud": item.cloud,
        "allowed": item.allowed,
        "colour": colour,
        "x": item.x,
        "y": item.y,
        "on_map": item.on_map,
    }
    if item.on_map:
        country = _country(item.cloud, item.region)
        model["title"] = (
            f"{cloud} {item.region} ({_place_text(country) or '?'}): {item.resources} resource(s)"
        )
        model["shape"] = {"aws": "square", GCP: "diamond"}.get(item.cloud or "", "circle")
        model["diamond"] = _diamond(item.x, item.y)
        # AWS names above the square, Azure names right of the circle, Google Cloud names left
        # of the diamond: where clouds have a region in one city the labels never meet.
        if item.cloud == "aws":
            model["label"] = {"x": item.x, "y": round(item.y - 13, 1), "anchor": "middle"}
        elif item.cloud == GCP:
            model["label"] = {
                "x": round(item.x - 12, 1),
                "y": round(item.y + 4, 1),
                "anchor": "end",
            }
        else:
            model["label"] = {
                "x": round(item.x + 12, 1),
                "y": round(item.y + 4, 1),
                "anchor": "start",
            }
        return model
    if item.region == "unknown":
        heading = f"{cloud}: region unknown"
        detail = "cannot be proven at preview"
    else:
        city, _, country = OUTSIDE_EUROPE.get(item.region, ("", None, ""))
        if item.cloud == GCP and item.region.lower() in facts.GCP_MULTI_LOCATIONS:
            city, country = "", gcp_multi_region_label(item.region.lower())
        elif item.cloud == GCP and not country:
            country = _country(item.cloud, item.region) or ""
        heading = f"{cloud} {item.region}"
        detail = ", ".join(v for v in (city, country_name(country) or country) if v)
        detail = detail or "no position known"
        if not item.allowed:
            detail += " · outside allow-list"
    width, height = _PANEL_W - 28, 46
    model.update(
        heading=heading,
        detail=detail,
        box={"y": item.y - height / 2, "width": width, "height": height},
        fill="#fdecea" if not item.allowed else "#eef5ee",
    )
    return model


def _flow_paths(
    report: Report, nodes: Mapping[tuple[str | None, str], _Node], view: MapView
) -> list[dict[str, Any]]:
    paths = []
    pair_count: Counter[tuple[tuple[str | None, str], tuple[str | None, str]]] = Counter()
    loop_count: Counter[tuple[str | None, str]] = Counter()
    drawn = [f for f in report.flows if _drawn(f)]
    loops = Counter(
        (f.source.cloud, f.source.region)
        for f in drawn
        if (f.source.cloud, f.source.region) == (f.destination.cloud, f.destination.region)
    )
    for flow in drawn:
        source = nodes[(flow.source.cloud, flow.source.region)]
        target = nodes[(flow.destination.cloud, flow.destination.region)]
        if source is target:
            k = loop_count[source.key]
            loop_count[source.key] += 1
            d, lx, ly = _loop(source, k, loops[source.key], view)
        else:
            k = pair_count[(source.key, target.key)]
            pair_count[(source.key, target.key)] += 1
            d, lx, ly = _curve(source, target, k)
        paths.append(
            {
                "id": flow.id,
                "kind": flow.kind,
                "allowed": flow.in_allow_list,
                "d": d,
                "colour": OK_COLOUR if flow.in_allow_list else WARN_COLOUR,
                "marker": "arrow-ok" if flow.in_allow_list else "arrow-warn",
                "dash": _DASH.get(flow.kind, ""),
                "width": 2.0 if flow.in_allow_list else 2.6,
                "lx": lx,
                "ly": ly,
                "title": (
                    f"{flow.id} {flow.kind}: {flow.what}: {flow.source.label} "
                    f"({flow.source.region}) → {flow.destination.label} "
                    f"({flow.destination.region})"
                    + ("" if flow.in_allow_list else " — OUTSIDE THE ALLOW-LIST")
                ),
            }
        )
    return paths


def _edge_point(item: _Node, towards: tuple[float, float]) -> tuple[float, float]:
    if not item.on_map:
        width = _PANEL_W - 28
        # Arrive on the box's left edge, leave from it likewise.
        x = item.x if towards[0] <= item.x + width / 2 else item.x + width
        return x, item.y
    dx, dy = towards[0] - item.x, towards[1] - item.y
    length = math.hypot(dx, dy) or 1.0
    return item.x + dx / length * 10, item.y + dy / length * 10


def _curve(source: _Node, target: _Node, k: int) -> tuple[str, float, float]:
    sx, sy = source.x, source.y
    tx, ty = target.x, target.y
    mx, my = (sx + tx) / 2, (sy + ty) / 2
    dx, dy = tx - sx, ty - sy
    length = math.hypot(dx, dy) or 1.0
    # Bow to the left of the direction of travel: eastward arrows arch north, clear of a
    # neighbouring node in the same city.
    bend = (0.2 * length + 10) * (1 + 0.6 * (k // 2)) * (-1 if k % 2 == 0 else 1)
    cx, cy = mx - dy / length * bend, my + dx / length * bend
    start = _edge_point(source, (cx, cy))
    end = _edge_point(target, (cx, cy))
    if not target.on_map:
        end = (target.x - 2, target.y)
    d = f"M{start[0]:.1f},{start[1]:.1f} Q{cx:.1f},{cy:.1f} {end[0]:.1f},{end[1]:.1f}"
    # The label sits on the curve's midpoint (t = 0.5 of the quadratic Bézier).
    lx = 0.25 * start[0] + 0.5 * cx + 0.25 * end[0]
    ly = 0.25 * start[1] + 0.5 * cy + 0.25 * end[1]
    return d, round(lx + 4, 1), round(ly - 4, 1)


def _away(item: _Node, view: MapView) -> float:
    """The direction from a point north-east of the view's middle to a node: loops fan out that
    way, over the sea west and south of the continent, clear of the site labels above the rings."""
    cx, cy = _MAP_X + MAP_WIDTH * 0.62, _MAP_Y + view.height * 0.22
    return math.atan2(item.y - cy, item.x - cx)


def _loop(item: _Node, k: int, total: int, view: MapView) -> tuple[str, float, float]:
    """A flow that stays in its region: a loop out of the node and back, fanned by index."""
    per_tier = 5
    tier, slot = divmod(k, per_tier)
    in_tier = min(per_tier, total - tier * per_tier)
    angle = _away(item, view) + item.fan + math.radians(24) * (slot - (in_tier - 1) / 2)
    reach = 84 + 30 * tier
    spread = math.radians(9)
    r = 10.0

    def at(theta: float, distance: float) -> tuple[float, float]:
        return item.x + math.cos(theta) * distance, item.y + math.sin(theta) * distance

    start, end = at(angle - spread, r), at(angle + spread, r)
    c1, c2 = at(angle - spread * 2.0, reach), at(angle + spread * 2.0, reach)
    d = (
        f"M{start[0]:.1f},{start[1]:.1f} C{c1[0]:.1f},{c1[1]:.1f} "
        f"{c2[0]:.1f},{c2[1]:.1f} {end[0]:.1f},{end[1]:.1f}"
    )
    lx, ly = at(angle, reach * 0.82 + 8)
    return d, round(lx - 7, 1), round(ly + 4, 1)


def _site_label(
    site: DeclaredSite,
    x: float,
    y: float,
    nodes: Iterable[_Node],
    loops: set[str],
    *,
    view: MapView,
) -> dict[str, Any]:
    """Above the ring, unless the loops of a region inside the ring fan upwards: then left."""
    upward = any(
        n.on_map
        and n.region in loops
        and math.hypot(n.x - x, n.y - y) < 30
        and abs(math.degrees(_away(n, view)) + 90) < 60
        for n in nodes
    )
    text = f"{site.name.capitalize()} site{_site_country_text(site.country)}"
    if upward:
        return {"x": round(x - 32, 1), "y": round(y + 4, 1), "anchor": "end", "text": text}
    return {"x": x, "y": round(y - 32, 1), "anchor": "middle", "text": text}


def _site_country_text(code: str | None) -> str:
    return f" ({code}, {country_name(code) or code})" if code else ""


def _ring_path(ring: Sequence[tuple[float, float]], view: MapView) -> str:
    points = []
    last = None
    for lon, lat in ring:
        x, y = view.project(lat, lon)
        if (x, y) != last:
            points.append(f"{x:.1f},{y:.1f}")
        last = (x, y)
    return "M" + " L".join(points) + " Z"


def _countries(report: Report, view: MapView) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The Natural Earth countries the view shows (its shapes and a label each); the countries
    that hold the stack's data are shaded and named in full."""
    held = {r.country for r in report.cloud_resources if r.country}
    # Shapes up to a few degrees beyond the frame are drawn (and clipped to it), the rest skipped.
    margin = 3.0
    shapes, labels = [], []
    for country in atlas().countries:
        west, south, east, north = country.bbox
        if (
            east < view.west - margin
            or west > view.east + margin
            or north < view.south - margin
            or south > view.north + margin
        ):
            continue
        d = " ".join(_ring_path(ring, view) for polygon in country.rings for ring in polygon)
        name = country.name
        shapes.append({"code": country.code, "name": name, "d": d, "held": country.code in held})
        lon, lat = country.label
        inset = 0.6
        if view.shows(lat, lon) and (
            view.west + inset < lon < view.east - inset
            and view.south + inset < lat < view.north - inset
        ):
            x, y = view.project(lat, lon)
            is_held = country.code in held
            labels.append(
                {"x": x, "y": y, "text": name if is_held else (country.code or ""), "held": is_held}
            )
    return shapes, [label for label in labels if label["text"]]


def _diamond(x: float, y: float) -> str:
    """Google Cloud's symbol: a square standing on its corner, as wide as the others."""
    return (
        f"M{x:.1f},{y - 8.5:.1f} L{x + 8.5:.1f},{y:.1f} L{x:.1f},{y + 8.5:.1f} "
        f"L{x - 8.5:.1f},{y:.1f} Z"
    )


_LEGEND: Final = (
    ("aws", "AWS region", None),
    ("azure", "Azure region", None),
    (GCP, "Google Cloud region", None),
    ("site", "site", None),
    ("warn-region", "region outside the allow-list", WARN_COLOUR),
    (REPLICATION, "replication", None),
    (BACKUP_COPY, "backup copy", None),
    (LOG_DELIVERY, "log delivery", None),
    ("warn-flow", "flow leaving the allow-list or unknown", WARN_COLOUR),
)
_LEGEND_NOTES: Final = (
    "Arrows carry the flow ids of the",
    "data-flow table. A loop is a flow",
    "that stays in its region. A dotted",
    "purple line joins a site to a",
    "region outside its ring. Shaded:",
    "countries holding the stack's data.",
)


def _legend(x: float, top: float) -> dict[str, Any]:
    """A vertical key beside the map: one row per symbol, 26 px apart."""
    rows = []
    for i, (kind, label, colour) in enumerate(_LEGEND):
        y = top + 8 + i * 26
        line = kind in {REPLICATION, BACKUP_COPY, LOG_DELIVERY, "warn-flow"}
        rows.append(
            {
                "kind": kind,
                "label": label,
                "label_colour": colour,
                "y": y,
                "mid": y + 7,
                "line": line,
                "dash": _DASH.get(kind, ""),
                "colour": WARN_COLOUR if kind == "warn-flow" else OK_COLOUR,
                "marker": "arrow-warn" if kind == "warn-flow" else "arrow-ok",
                "width": 2.6 if kind == "warn-flow" else 2,
                "diamond": _diamond(x + 7, y + 7),
            }
        )
    base = top + 8 + len(_LEGEND) * 26 + 10
    notes = [{"y": base + i * 16, "text": text} for i, text in enumerate(_LEGEND_NOTES)]
    return {"x": x, "top": top, "rows": rows, "notes": notes}


def map_model(report: Report) -> dict[str, Any]:
    """What the template draws: Natural Earth countries in a view zoomed to the regions in use,
    the sites, one node per region and an arrow per data flow; places without a position in the
    panel beside it."""
    view = view_of(report)
    nodes = _layout(report, view)
    loops = {
        f.source.region
        for f in report.flows
        if _drawn(f)
        and (f.source.cloud, f.source.region) == (f.destination.cloud, f.destination.region)
    }
    shapes, labels = _countries(report, view)
    in_use = set(_sites_in_use(report))
    sites = []
    links = []
    for site in report.declared_sites:
        if site.position is None or not view.shows(*site.position):
            continue
        name = site.name
        x, y = view.project(*site.position)
        sites.append(
            {
                "name": name,
                "x": x,
                "y": y,
                "used": name in in_use,
                "title": f"site {name}{_site_country_text(site.country)}",
                "label": _site_label(site, x, y, nodes.values(), loops, view=view),
            }
        )
        # A site's data held in a region outside its ring (Hamar's AWS data in Stockholm).
        placed_in = {
            (r.cloud, r.region) for r in report.cloud_resources if r.site == name and r.region
        }
        for key in sorted(placed_in, key=str):
            target = nodes.get(key)
            if target is None or not target.on_map or math.hypot(target.x - x, target.y - y) < 30:
                continue
            links.append(
                {
                    "x1": x,
                    "y1": y,
                    "x2": target.x,
                    "y2": target.y,
                    "title": f"site {name} keeps data in {target.cloud} {target.region}",
                }
            )
    panel_nodes = [n for n in nodes.values() if not n.on_map]
    panel = None
    legend_top = _MAP_Y + 18
    if panel_nodes:
        bottom = max(n.y for n in panel_nodes) + 40
        panel = {"x": _PANEL_X - 8, "y": _MAP_Y + 18, "height": bottom - _MAP_Y - 18}
        legend_top = bottom + 24
    map_height = round(view.height, 1)
    height = max(map_height + _MAP_Y + 34, legend_top + 360)
    ordered = sorted(nodes.values(), key=lambda n: (not n.on_map, n.cloud or "", n.region))
    return {
        "view": view.attribute(),
        "width": round(SVG_WIDTH),
        "height": round(height),
        "title": f"Where the data of stack {report.stack} sits and where it flows",
        "frame": {"x": _MAP_X, "y": _MAP_Y, "width": MAP_WIDTH, "height": map_height},
        "panel_x": _PANEL_X,
        "panel_width": _PANEL_W,
        "countries": shapes,
        "labels": labels,
        "sites": sites,
        "links": links,
        "panel": panel,
        "flows": _flow_paths(report, nodes, view),
        "nodes": [_node_model(n) for n in ordered],
        "legend": _legend(_PANEL_X, legend_top),
        "colours": {
            "ok": OK_COLOUR,
            "warn": WARN_COLOUR,
            "aws": AWS_COLOUR,
            "azure": AZURE_COLOUR,
            "gcp": GCP_COLOUR,
            "site": SITE_COLOUR,
        },
        "source": atlas().source,
    }


# ---------------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------------


def holds_data(resource: ResourceFacts) -> bool:
    """Whether an auditor reads the resource among the data stores: every cloud resource but
    the configuration, identity and network plumbing the report knows to hold no data. A type it
    does not know is shown as a data store, never folded away."""
    return resource.kind == "resource" and not _NO_DATA.match(_type_name(resource.type))


def _needs_eyes(resource: ResourceFacts) -> bool:
    """A folded resource that must not stay folded: blocked, or placed outside the allow-list."""
    return bool(resource.mandatory) or resource.in_allow_list is False


def _groups(report: Report, members: Sequence[ResourceFacts]) -> list[dict[str, Any]]:
    """Resources by site, in the order of the sites table."""
    by_site: dict[str, list[ResourceFacts]] = {}
    for resource in members:
        by_site.setdefault(resource.site or NO_SITE, []).append(resource)
    return [
        {
            "label": f"site {site.site}" if site.site != NO_SITE else site.site,
            "resources": by_site[site.site],
        }
        for site in report.sites
        if site.site in by_site
    ]


_ENVIRONMENT: Final = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).parent),
    # Every value is escaped unless a template marks it safe; none does.
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_TEMPLATE: Final = "report_template.html"


def page_context(report: Report) -> dict[str, Any]:
    """Everything the template shows, already derived: it only lays it out."""
    stores = [r for r in report.cloud_resources if holds_data(r)]
    plumbing = [r for r in report.cloud_resources if not holds_data(r)]
    declared: dict[str, list[Flow]] = {}
    for flow in report.flows:
        for urn in flow.declared_by:
            declared.setdefault(urn, []).append(flow)
    findings = sorted(
        report.findings,
        key=lambda f: (f.enforcement_level != "mandatory", f.policy_pack, f.policy, f.urn),
    )
    return {
        "report": report,
        "version": __version__,
        "summary": to_json(report)["summary"],
        "stores": _groups(report, stores),
        "store_count": len(stores),
        "plumbing": _groups(report, plumbing),
        "plumbing_count": len(plumbing),
        "plumbing_open": any(_needs_eyes(r) for r in plumbing),
        "others": [r for r in report.resources if r.kind != "resource"],
        "flows_by_id": {f.id: f for f in report.flows},
        "declared": declared,
        "names": {r.urn: r.name for r in report.resources},
        "findings": findings,
        "cloud_names": CLOUD_NAMES,
        "map": map_model(report),
        "constants": {
            "unknown_at_preview": UNKNOWN_AT_PREVIEW,
            "not_assessed": NOT_ASSESSED,
            "not_applicable": NOT_APPLICABLE,
            "neutral": NEUTRAL,
            "global": GLOBAL,
        },
    }


def to_html(report: Report) -> str:
    """One self-contained page: inline CSS and SVG, no script, nothing loaded from anywhere."""
    template = _ENVIRONMENT.get_template(_TEMPLATE)
    template.globals["country_name"] = country_name
    return template.render(page_context(report))
