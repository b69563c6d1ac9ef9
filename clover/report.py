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
and an inline SVG schematic of Europe, nothing fetched when it is opened.
"""

from __future__ import annotations

import html
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

from clover import __version__
from clover.catalog import (
    APPROVED_AWS_REGIONS,
    APPROVED_AZURE_LOCATIONS,
    APPROVED_GCP_LOCATIONS,
    AWS_REGIONS,
    AZURE_REGIONS,
    GCP,
    GCP_MULTI_REGIONS,
    GCP_REGIONS,
    SITES,
    gcp_country,
    gcp_zone_region,
    normalise_azure_location,
    normalise_gcp_location,
)
from clover.check import CheckResult
from clover.formats import NEUTRAL, PLACED, Assessor, cloud_of, site_of, sites_by_provider
from clover.pack_flows import PackFlow, pack_flows
from clover.placement import AWS_PACKAGE, AZURE_PACKAGE, Placed, package_of
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

_TEMPLATE: Final = Path(__file__).with_name("report_template.html")


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
    if cloud == "aws" and region in AWS_REGIONS:
        return AWS_REGIONS[region].country
    if cloud == "azure" and region in AZURE_REGIONS:
        return AZURE_REGIONS[region].country
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
    return name in lowered or gcp_zone_region(name) in lowered


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
    r"insights/DiagnosticSetting|monitor/DiagnosticSetting|storage/(BlobServiceProperties|"
    r"ObjectReplicationPolicy|FileServiceProperties|QueueServiceProperties|"
    r"TableServiceProperties|ManagementPolicy)|keyvault/AccessPolicy)$"
)

_GRS_SKUS: Final = frozenset({"Standard_GRS", "Standard_RAGRS", "Standard_GZRS", "Standard_RAGZRS"})


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
        if sku not in _GRS_SKUS:
            return
        location = item.location or "unknown"
        pair = AZURE_REGIONS[location].pair if location in AZURE_REGIONS else None
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
    (``allowedRegions``, ``allowedLocations``, ``allowedGcpLocations``), else the catalog's
    approved (EEA) places, which the pack's own defaults cover."""
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
    approved_gcp = {normalise_gcp_location(code) for code in APPROVED_GCP_LOCATIONS}
    return {
        "aws": tuple(sorted(APPROVED_AWS_REGIONS if aws is None else aws)),
        "azure": tuple(sorted(APPROVED_AZURE_LOCATIONS if azure is None else azure)),
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
    return "resource" if item.resource.custom else "component"


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
    assessor = Assessor(result)
    resources = []
    for item in result.placed:
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
        site_country = SITES[site].country if site is not None and site in SITES else None
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
    for flow in found or ():
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
    order = [s for s in SITES if s in groups] + sorted(set(groups) - set(SITES))
    site_of_urn = {r.urn: r.site or NO_SITE for r in report.cloud_resources}
    summaries = []
    for site in order:
        members = groups[site]
        out = [f for f in report.flows if site_of_urn.get(f.source.urn or "") == site]
        summaries.append(
            SiteSummary(
                site=site,
                country=SITES[site].country if site in SITES else None,
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
# The picture: a schematic of Europe drawn from a few coastline points, no map data fetched
# ---------------------------------------------------------------------------------------------

REGION_POSITIONS: Final = {
    # (latitude, longitude) of the city each catalog region is named after.
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
    # Google Cloud: the town each region's data centres are in (catalog.GCP_REGIONS).
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

SITE_POSITIONS: Final = {"dublin": (53.35, -6.26), "hamar": (60.79, 11.07)}

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

# Simplified coastlines as (longitude, latitude): a schematic, not a survey.
_LAND: Final = (
    # Ireland
    ((-6.2, 53.3), (-6.0, 52.2), (-7.0, 52.1), (-8.5, 51.6), (-9.8, 51.5), (-10.3, 52.1),
     (-9.4, 52.6), (-9.9, 53.4), (-10.1, 54.2), (-8.5, 54.3), (-8.2, 55.2), (-7.3, 55.35),
     (-6.1, 55.2), (-5.5, 54.5), (-6.1, 54.0)),
    # Great Britain
    ((-5.7, 50.05), (-4.2, 50.35), (-3.0, 50.7), (-1.3, 50.75), (0.3, 50.8), (1.4, 51.15),
     (0.9, 51.5), (1.7, 52.6), (0.3, 53.1), (0.1, 53.6), (-0.5, 54.5), (-1.6, 55.6),
     (-2.5, 56.0), (-2.4, 56.6), (-1.8, 57.5), (-3.3, 57.7), (-4.0, 57.9), (-3.1, 58.6),
     (-5.0, 58.6), (-5.5, 58.0), (-5.7, 57.0), (-5.6, 56.3), (-5.5, 55.6), (-4.9, 55.0),
     (-5.0, 54.8), (-3.4, 54.9), (-3.6, 54.5), (-2.9, 54.1), (-3.0, 53.4), (-4.6, 53.3),
     (-4.2, 52.9), (-4.1, 52.3), (-5.1, 51.8), (-4.1, 51.6), (-3.0, 51.5), (-4.2, 51.2),
     (-5.2, 50.9)),
    # Scandinavia and Finland, cut at the Russian border
    ((11.9, 57.7), (12.6, 56.2), (12.9, 55.4), (14.2, 55.4), (14.4, 56.0), (16.0, 56.2),
     (16.6, 57.0), (16.7, 57.9), (18.0, 59.0), (18.6, 60.1), (17.3, 60.7), (17.3, 61.8),
     (17.9, 62.7), (19.8, 63.7), (21.5, 65.0), (22.3, 65.8), (24.2, 65.8), (25.2, 65.0),
     (24.0, 64.2), (21.5, 62.9), (21.4, 61.5), (21.4, 60.7), (22.3, 60.1), (24.0, 60.0),
     (25.0, 60.2), (26.9, 60.4), (28.7, 60.6), (29.5, 61.3), (31.3, 63.0), (30.0, 64.5),
     (29.8, 66.5), (29.0, 68.0), (28.5, 69.0), (30.8, 69.8), (28.5, 70.9), (25.8, 71.15),
     (23.5, 70.6), (19.0, 70.1), (16.0, 69.2), (14.0, 68.0), (12.5, 66.0), (11.0, 64.8),
     (10.0, 63.9), (8.5, 63.4), (6.5, 62.6), (5.0, 61.9), (5.0, 60.5), (5.5, 59.3),
     (5.7, 59.0), (5.8, 58.5), (7.0, 58.0), (8.0, 58.1), (9.5, 58.9), (10.4, 59.3),
     (11.0, 59.2), (11.4, 58.9), (11.2, 58.3)),
    # Continental Europe with Jutland, cut east at the edge of the picture
    ((8.6, 54.9), (8.9, 54.0), (8.2, 53.5), (7.0, 53.4), (6.0, 53.45), (4.8, 53.0), (4.5, 52.4),
     (4.0, 51.95), (3.4, 51.4), (2.5, 51.1), (1.6, 50.9), (1.6, 50.2), (0.2, 49.7),
     (-1.2, 49.4), (-1.9, 49.7), (-1.6, 48.7), (-3.0, 48.8), (-4.7, 48.4), (-4.3, 47.8),
     (-2.5, 47.3), (-1.2, 46.2), (-1.2, 44.6), (-1.5, 43.4), (-3.8, 43.45), (-5.9, 43.6),
     (-8.0, 43.7), (-9.3, 43.0), (-8.9, 42.0), (-8.7, 41.2), (-9.4, 38.7), (-8.8, 37.9),
     (-8.9, 37.0), (-7.4, 37.2), (-6.3, 36.8), (-5.6, 36.0), (-4.4, 36.7), (-2.1, 36.7),
     (-0.7, 37.6), (-0.5, 38.3), (0.2, 38.8), (-0.3, 39.5), (0.9, 40.8), (2.2, 41.4),
     (3.2, 42.0), (3.0, 42.9), (4.0, 43.5), (5.4, 43.3), (6.6, 43.1), (7.5, 43.8), (8.8, 44.4),
     (10.2, 43.9), (11.1, 42.4), (12.4, 41.7), (14.0, 40.8), (15.7, 40.0), (15.6, 38.0),
     (16.6, 38.4), (17.1, 39.0), (16.5, 39.7), (17.2, 40.4), (18.4, 39.8), (18.5, 40.4),
     (17.0, 41.1), (16.0, 41.9), (14.7, 42.1), (13.6, 43.5), (12.3, 44.5), (12.4, 45.4),
     (13.8, 45.6), (13.6, 45.1), (14.5, 45.3), (15.5, 44.0), (16.4, 43.5), (18.1, 42.6),
     (19.4, 41.9), (19.3, 40.4), (20.0, 39.6), (21.1, 38.3), (21.7, 36.8), (22.5, 36.4),
     (23.2, 36.5), (24.0, 38.0), (22.9, 39.4), (22.9, 40.6), (24.4, 40.9), (26.0, 40.8),
     (26.6, 41.6), (28.0, 42.0), (27.9, 43.2), (28.6, 43.8), (28.8, 44.5), (29.7, 45.2),
     (30.7, 46.5), (32.0, 46.6), (32.0, 59.9), (30.2, 59.9), (28.0, 59.5), (24.8, 59.5),
     (23.5, 59.2), (24.3, 58.3), (24.1, 57.0), (22.6, 57.6), (21.6, 57.4), (21.0, 56.5),
     (21.1, 55.7), (20.5, 54.9), (19.6, 54.4), (18.6, 54.4), (18.5, 54.8), (17.0, 54.7),
     (16.0, 54.25), (14.2, 53.9), (13.4, 54.6), (12.1, 54.2), (11.0, 54.0), (10.1, 54.35),
     (9.9, 54.8), (9.7, 55.2), (9.8, 55.6), (10.2, 56.0), (10.9, 56.4), (10.5, 57.2),
     (10.6, 57.7), (9.9, 57.6), (8.6, 57.1), (8.1, 56.6), (8.1, 55.5)),
    # Zealand and Funen
    ((11.1, 55.3), (12.1, 55.1), (12.6, 55.7), (12.3, 56.1), (11.2, 55.9), (10.9, 55.5)),
    ((9.8, 55.5), (10.8, 55.6), (10.6, 55.0), (10.0, 55.1)),
    # Sicily, Sardinia, Corsica, Crete
    ((12.5, 38.0), (13.4, 38.2), (15.6, 38.3), (15.1, 37.5), (15.2, 36.7), (14.4, 36.8),
     (12.6, 37.6)),
    ((8.2, 41.0), (9.2, 41.2), (9.8, 40.5), (9.6, 39.2), (9.0, 39.0), (8.4, 39.0), (8.4, 40.6)),
    ((9.4, 43.0), (9.6, 42.2), (9.2, 41.4), (8.6, 41.9), (8.6, 42.6)),
    ((23.5, 35.3), (24.5, 35.4), (26.3, 35.2), (25.8, 35.0), (24.0, 35.1)),
)  # fmt: skip

_COUNTRY_LABELS: Final = (
    ("IE", 53.0, -8.2), ("GB", 52.6, -1.8), ("NO", 65.3, 13.4), ("SE", 63.2, 15.6),
    ("FI", 63.2, 26.5), ("DK", 56.2, 9.1), ("NL", 52.4, 5.8), ("BE", 50.5, 4.5),
    ("DE", 51.0, 10.4), ("PL", 52.0, 19.3), ("FR", 46.6, 2.4), ("ES", 39.6, -4.0),
    ("PT", 39.6, -8.2), ("IT", 42.8, 12.6), ("CH", 46.8, 8.2), ("AT", 47.6, 14.2),
    ("CZ", 49.8, 15.3), ("EE", 58.7, 25.8), ("LV", 56.9, 25.8), ("LT", 55.3, 24.0),
    ("GR", 39.4, 22.0), ("RO", 45.9, 24.9), ("BG", 42.7, 25.3), ("HU", 47.1, 19.4),
)  # fmt: skip

_LON_MIN, _LON_MAX, _LAT_MIN, _LAT_MAX = -14.0, 32.0, 34.6, 71.6
_SCALE: Final = 24.0
_COS: Final = math.cos(math.radians(53.0))
_MAP_X, _MAP_Y = 16.0, 56.0
MAP_WIDTH: Final = (_LON_MAX - _LON_MIN) * _COS * _SCALE
MAP_HEIGHT: Final = (_LAT_MAX - _LAT_MIN) * _SCALE
_PANEL_X: Final = _MAP_X + MAP_WIDTH + 36
_PANEL_W: Final = 290.0
SVG_WIDTH: Final = _PANEL_X + _PANEL_W + 16

OK_COLOUR: Final = "#2e7d32"
WARN_COLOUR: Final = "#c62828"
AWS_COLOUR: Final = "#b35c00"
AZURE_COLOUR: Final = "#0a5fb4"
GCP_COLOUR: Final = "#00838f"
CLOUD_COLOURS: Final = {"aws": AWS_COLOUR, "azure": AZURE_COLOUR, GCP: GCP_COLOUR}
CLOUD_NAMES: Final = {"aws": "AWS", "azure": "Azure", GCP: "Google Cloud"}
SITE_COLOUR: Final = "#6a1b9a"
_DASH: Final = {REPLICATION: "", BACKUP_COPY: "9 5", LOG_DELIVERY: "2 4"}


def project(lat: float, lon: float) -> tuple[float, float]:
    """Map latitude/longitude to picture coordinates (equirectangular, scaled at 53°N)."""
    x = _MAP_X + (lon - _LON_MIN) * _COS * _SCALE
    y = _MAP_Y + (_LAT_MAX - lat) * _SCALE
    return round(x, 1), round(y, 1)


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
    return html.escape(str(value), quote=True)


def _layout(report: Report) -> dict[tuple[str | None, str], _Node]:
    """One node per (cloud, region) in use; European ones on the map, the rest in the panel."""
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
    by_position: dict[tuple[float, float], list[_Node]] = {}
    panel: list[_Node] = []
    for item in nodes.values():
        position = _position(item)
        if position is not None:
            x, y = project(*position)
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
        region = gcp_zone_region(item.region)
        if region is not None and region in GCP_REGIONS:
            return REGION_POSITIONS.get(region)
    return None


def _node_svg(item: _Node) -> str:
    colour = CLOUD_COLOURS.get(item.cloud or "", AZURE_COLOUR) if item.allowed else WARN_COLOUR
    cloud = CLOUD_NAMES.get(item.cloud or "", "cloud")
    if item.on_map:
        country = _country(item.cloud, item.region) or "?"
        title = f"{cloud} {item.region} ({country}): {item.resources} resource(s)"
        if item.cloud == "aws":
            shape = (
                f'<rect x="{item.x - 7}" y="{item.y - 7}" width="14" height="14" rx="2" '
                f'fill="{colour}" stroke="#fff" stroke-width="1.5"/>'
            )
        elif item.cloud == GCP:
            shape = _diamond(item.x, item.y, colour)
        else:
            shape = (
                f'<circle cx="{item.x}" cy="{item.y}" r="7.5" fill="{colour}" stroke="#fff" '
                f'stroke-width="1.5"/>'
            )
        # AWS names above the square, Azure names right of the circle, Google Cloud names left
        # of the diamond: where clouds have a region in one city the labels never meet.
        if item.cloud == "aws":
            at = f'x="{item.x}" y="{item.y - 13}" text-anchor="middle"'
        elif item.cloud == GCP:
            # Google Cloud names left of the diamond, clear of the other two.
            at = f'x="{item.x - 12}" y="{item.y + 4}" text-anchor="end"'
        else:
            at = f'x="{item.x + 12}" y="{item.y + 4}" text-anchor="start"'
        label = f'<text {at} class="node-label" fill="{colour}">{_e(item.region)}</text>'

        return (
            f'<g class="region" data-region="{_e(item.region)}" data-cloud="{_e(item.cloud)}" '
            f'data-allowed="{str(item.allowed).lower()}"><title>{_e(title)}</title>'
            f"{shape}{label}</g>"
        )
    if item.region == "unknown":
        heading = f"{cloud}: region unknown"
        detail = "cannot be proven at preview"
    else:
        city, _, country = OUTSIDE_EUROPE.get(item.region, ("", None, ""))
        if item.cloud == GCP and item.region.lower() in GCP_MULTI_REGIONS:
            city, country = "", GCP_MULTI_REGIONS[item.region.lower()]
        elif item.cloud == GCP and not country:
            country = _country(item.cloud, item.region) or ""
        heading = f"{cloud} {item.region}"
        detail = ", ".join(v for v in (city, country) if v) or "no position known"
        if not item.allowed:
            detail += " · outside allow-list"
    width, height = _PANEL_W - 28, 46
    return (
        f'<g class="region off-map" data-region="{_e(item.region)}" data-cloud="{_e(item.cloud)}" '
        f'data-allowed="{str(item.allowed).lower()}"><title>{_e(heading)}: {_e(detail)}</title>'
        f'<rect x="{item.x}" y="{item.y - height / 2}" width="{width}" height="{height}" rx="6" '
        f'fill="{"#fdecea" if not item.allowed else "#eef5ee"}" stroke="{colour}" '
        f'stroke-width="1.5"/>'
        f'<text x="{item.x + 10}" y="{item.y - 4}" class="panel-title" fill="{colour}">'
        f"{_e(heading)}</text>"
        f'<text x="{item.x + 10}" y="{item.y + 13}" class="panel-detail">{_e(detail)}</text>'
        f"</g>"
    )


def _flow_paths(report: Report, nodes: Mapping[tuple[str | None, str], _Node]) -> list[str]:
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
        colour = OK_COLOUR if flow.in_allow_list else WARN_COLOUR
        marker = "arrow-ok" if flow.in_allow_list else "arrow-warn"
        dash = _DASH.get(flow.kind, "")
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        width = 2.0 if flow.in_allow_list else 2.6
        if source is target:
            k = loop_count[source.key]
            loop_count[source.key] += 1
            d, lx, ly = _loop(source, k, loops[source.key])
        else:
            k = pair_count[(source.key, target.key)]
            pair_count[(source.key, target.key)] += 1
            d, lx, ly = _curve(source, target, k)
        title = (
            f"{flow.id} {flow.kind}: {flow.what}: {flow.source.label} "
            f"({flow.source.region}) → {flow.destination.label} ({flow.destination.region})"
            + ("" if flow.in_allow_list else " — OUTSIDE THE ALLOW-LIST")
        )
        paths.append(
            f'<g class="flow-group"><title>{_e(title)}</title>'
            f'<path class="flow" data-flow="{_e(flow.id)}" data-kind="{_e(flow.kind)}" '
            f'data-allowed="{str(flow.in_allow_list).lower()}" d="{d}" fill="none" '
            f'stroke="{colour}" stroke-width="{width}"{dash_attr} marker-end="url(#{marker})"/>'
            f'<text x="{lx}" y="{ly}" class="flow-label" fill="{colour}">{_e(flow.id)}</text></g>'
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


def _away(item: _Node) -> float:
    """The direction from the middle of the map to a node: loops fan out that way, into space."""
    # Seen from a point over the Baltic, Clover's regions lie to the south-west: loops then fan
    # over the Atlantic and the North Sea, clear of the site labels above the site rings.
    cx, cy = _MAP_X + MAP_WIDTH * 0.62, _MAP_Y + MAP_HEIGHT * 0.22
    return math.atan2(item.y - cy, item.x - cx)


def _loop(item: _Node, k: int, total: int) -> tuple[str, float, float]:
    """A flow that stays in its region: a loop out of the node and back, fanned by index."""
    per_tier = 5
    tier, slot = divmod(k, per_tier)
    in_tier = min(per_tier, total - tier * per_tier)
    angle = _away(item) + item.fan + math.radians(24) * (slot - (in_tier - 1) / 2)
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


def _site_label(name: str, x: float, y: float, nodes: Iterable[_Node], loops: set[str]) -> str:
    """Above the ring, unless the loops of a region inside the ring fan upwards: then left."""
    upward = any(
        n.on_map
        and n.region in loops
        and math.hypot(n.x - x, n.y - y) < 30
        and abs(math.degrees(_away(n)) + 90) < 60
        for n in nodes
    )
    text = f"{name.capitalize()} site ({SITES[name].country})"
    if upward:
        return (
            f'<text x="{x - 32}" y="{y + 4}" text-anchor="end" class="site-label">{_e(text)}</text>'
        )
    return f'<text x="{x}" y="{y - 32}" text-anchor="middle" class="site-label">{_e(text)}</text>'


def map_svg(report: Report) -> str:
    """The inline SVG: Europe, the sites, the regions in use and an arrow per data flow."""
    nodes = _layout(report)
    loops = {
        f.source.region
        for f in report.flows
        if _drawn(f)
        and (f.source.cloud, f.source.region) == (f.destination.cloud, f.destination.region)
    }
    land = "".join(
        '<path class="land" d="M'
        + " L".join("{:.1f},{:.1f}".format(*project(lat, lon)) for lon, lat in shape)
        + ' Z"/>'
        for shape in _LAND
    )
    countries = "".join(
        f'<text class="country" x="{x}" y="{y}">{code}</text>'
        for code, x, y in ((c, *project(lat, lon)) for c, lat, lon in _COUNTRY_LABELS)
    )
    sites = []
    in_use = {r.site for r in report.cloud_resources}
    for name, (lat, lon) in SITE_POSITIONS.items():
        x, y = project(lat, lon)
        used = name in in_use
        sites.append(
            f'<g class="site" data-site="{_e(name)}" opacity="{1 if used else 0.45}">'
            f"<title>site {_e(name)} ({_e(SITES[name].country)})</title>"
            f'<circle cx="{x}" cy="{y}" r="26" fill="#f6effb" fill-opacity="0.55" '
            f'stroke="{SITE_COLOUR}" stroke-width="1.6" stroke-dasharray="4 3"/>'
            f"{_site_label(name, x, y, nodes.values(), loops)}</g>"
        )
    links = []
    for name, (lat, lon) in SITE_POSITIONS.items():
        # A site's data held in a region outside its ring (Hamar's AWS data in Stockholm).
        x, y = project(lat, lon)
        placed_in = {
            (r.cloud, r.region) for r in report.cloud_resources if r.site == name and r.region
        }
        for key in sorted(placed_in, key=str):
            target = nodes.get(key)
            if target is None or not target.on_map or math.hypot(target.x - x, target.y - y) < 30:
                continue
            links.append(
                f'<line class="site-link" x1="{x}" y1="{y}" x2="{target.x}" y2="{target.y}" '
                f'stroke="{SITE_COLOUR}" stroke-width="1.4" stroke-dasharray="1 4" '
                f'stroke-linecap="round"><title>site {_e(name)} keeps data in '
                f"{_e(target.cloud)} {_e(target.region)}</title></line>"
            )
    panel_nodes = [n for n in nodes.values() if not n.on_map]
    panel = ""
    legend_top = _MAP_Y + 18
    if panel_nodes:
        bottom = max(n.y for n in panel_nodes) + 40
        panel = (
            f'<rect x="{_PANEL_X - 8}" y="{_MAP_Y + 18}" width="{_PANEL_W}" '
            f'height="{bottom - _MAP_Y - 18}" rx="8" class="panel"/>'
            f'<text x="{_PANEL_X + 4}" y="{_MAP_Y + 38}" class="panel-heading">'
            f"Multi-regions, outside Europe or unknown</text>"
        )
        legend_top = bottom + 24
    defs = "".join(
        f'<marker id="{name}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="11" '
        f'markerHeight="11" markerUnits="userSpaceOnUse" orient="auto-start-reverse">'
        f'<path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
        for name, colour in (("arrow-ok", OK_COLOUR), ("arrow-warn", WARN_COLOUR))
    )
    height = max(MAP_HEIGHT + _MAP_Y + 16, legend_top + 330)
    title = f"Where the data of stack {report.stack} sits and where it flows"
    return (
        f'<svg viewBox="0 0 {SVG_WIDTH:.0f} {height:.0f}" '
        f'width="{SVG_WIDTH:.0f}" height="{height:.0f}" role="img" '
        f'aria-label="{_e(title)}" class="map">'
        f"<title>{_e(title)}</title><defs>{defs}</defs>"
        f'<rect x="{_MAP_X}" y="{_MAP_Y}" width="{MAP_WIDTH:.1f}" height="{MAP_HEIGHT:.1f}" '
        f'class="sea" rx="8"/>'
        f'<text x="{_MAP_X}" y="{_MAP_Y - 30}" class="map-title">{_e(title)}</text>'
        f'<text x="{_MAP_X}" y="{_MAP_Y - 12}" class="map-subtitle">Schematic outline of Europe; '
        f"positions are the cities the regions are named after.</text>"
        f"{land}{countries}{''.join(links)}{''.join(sites)}{panel}"
        f"{''.join(_flow_paths(report, nodes))}"
        f"{''.join(_node_svg(n) for n in nodes.values())}"
        f"{_legend(_PANEL_X, legend_top)}</svg>"
    )


def _diamond(x: float, y: float, colour: str) -> str:
    """Google Cloud's symbol: a square standing on its corner, as wide as the others."""
    return (
        f'<path d="M{x:.1f},{y - 8.5:.1f} L{x + 8.5:.1f},{y:.1f} L{x:.1f},{y + 8.5:.1f} '
        f'L{x - 8.5:.1f},{y:.1f} Z" fill="{colour}" stroke="#fff" stroke-width="1.5"/>'
    )


def _legend(x: float, top: float) -> str:
    """A vertical key beside the map: one row per symbol, 26 px apart."""

    def symbol(i: int) -> str:
        y = top + 8 + i * 26
        mid = y + 7
        shapes = [
            f'<rect x="{x}" y="{y}" width="14" height="14" rx="2" fill="{AWS_COLOUR}"/>',
            f'<circle cx="{x + 7}" cy="{mid}" r="7.5" fill="{AZURE_COLOUR}"/>',
            _diamond(x + 7, mid, GCP_COLOUR),
            f'<circle cx="{x + 7}" cy="{mid}" r="10" fill="#f6effb" stroke="{SITE_COLOUR}" '
            f'stroke-dasharray="4 3" stroke-width="1.6"/>',
            f'<rect x="{x}" y="{y}" width="14" height="14" rx="2" fill="{WARN_COLOUR}"/>',
        ]
        if i < len(shapes):
            return shapes[i]
        kind = (REPLICATION, BACKUP_COPY, LOG_DELIVERY, "")[i - len(shapes)]
        colour, marker = (WARN_COLOUR, "arrow-warn") if not kind else (OK_COLOUR, "arrow-ok")
        dash = _DASH.get(kind, "")
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        return (
            f'<line x1="{x - 4}" y1="{mid}" x2="{x + 34}" y2="{mid}" stroke="{colour}" '
            f'stroke-width="{2.6 if not kind else 2}"{dash_attr} marker-end="url(#{marker})"/>'
        )

    labels = (
        ("AWS region", None),
        ("Azure region", None),
        ("Google Cloud region", None),
        ("site", None),
        ("region outside the allow-list", WARN_COLOUR),
        ("replication", None),
        ("backup copy", None),
        ("log delivery", None),
        ("flow leaving the allow-list or unknown", WARN_COLOUR),
    )
    out = [f'<text x="{x - 4}" y="{top - 8}" class="panel-heading">Key</text>']
    for i, (label, colour) in enumerate(labels):
        fill = f' fill="{colour}"' if colour else ""
        y = top + 8 + i * 26
        out.append(
            f'{symbol(i)}<text x="{x + 48}" y="{y + 12}" class="legend"{fill}>{_e(label)}</text>'
        )
    notes = (
        "Arrows carry the flow ids of the",
        "data-flow table. A loop is a flow",
        "that stays in its region. A dotted",
        "purple line joins a site to a",
        "region outside its ring.",
    )
    base = top + 8 + len(labels) * 26 + 10
    out.extend(
        f'<text x="{x - 4}" y="{base + i * 16}" class="legend-note">{_e(line)}</text>'
        for i, line in enumerate(notes)
    )
    return f'<g class="legend-box">{"".join(out)}</g>'


# ---------------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------------


def _badge(text: str, kind: str) -> str:
    return f'<span class="badge {kind}">{_e(text)}</span>'


def _assessed_region_cell(r: ResourceFacts) -> str:
    if r.assessment == NOT_ASSESSED:
        return f'<span class="unknown">{NOT_ASSESSED}</span>'
    if r.assessment == NEUTRAL:
        return '<span class="na">placement-neutral</span>'
    return _region_cell(r.region, r.in_allow_list)


def _region_cell(region: str | None, allowed: bool | None) -> str:
    if region is None:
        return '<span class="na">n/a (not regional)</span>'
    if region == GLOBAL:
        return '<code>global</code> <span class="na">(not regional)</span>'
    if region == "unknown":
        return f'<span class="unknown">{UNKNOWN_AT_PREVIEW}</span>'
    shown = f"<code>{_e(region)}</code>"
    return shown if allowed else f"{shown} {_badge('outside allow-list', 'warn')}"


def _key_cell(text: str) -> str:
    if text == UNKNOWN_AT_PREVIEW:
        return f'<span class="unknown">{_e(text)}</span>'
    if text in {NOT_APPLICABLE, NOT_ASSESSED}:
        return f'<span class="na">{_e(text)}</span>'
    return _e(text)


def _endpoint_text(endpoint: Endpoint) -> str:
    where = (
        f'<span class="unknown">region {UNKNOWN_AT_PREVIEW}</span>'
        if endpoint.region == "unknown"
        else f"<code>{_e(endpoint.region)}</code>"
        + (f" ({_e(endpoint.country)})" if endpoint.country else "")
    )
    return f'<span class="name">{_e(endpoint.label)}</span><br>{where}'


def _verdict_cell(resource: ResourceFacts) -> str:
    if not resource.findings:
        return _badge("no findings", "ok")
    parts = []
    if resource.mandatory:
        parts.append(_badge(f"{resource.mandatory} mandatory", "warn"))
    if resource.advisory:
        parts.append(_badge(f"{resource.advisory} advisory", "note"))
    names = "".join(
        f"<li><code>{_e(f.policy)}</code></li>"
        for f in sorted(
            resource.findings, key=lambda f: (f.enforcement_level != "mandatory", f.policy)
        )
    )
    return " ".join(parts) + f'<ul class="plain type">{names}</ul>'


def _flows_cell(
    resource: ResourceFacts, flows: Mapping[str, Flow], declared: Sequence[Flow]
) -> str:
    rows = []
    for flow_id in resource.targets:
        flow = flows[flow_id]
        colour = "ok" if flow.in_allow_list else "warn"
        where = (
            UNKNOWN_AT_PREVIEW if flow.destination.region == "unknown" else flow.destination.region
        )
        rows.append(
            f"<li>{_badge(flow.id, colour)} {_e(flow.kind)} → "
            f"<b>{_e(flow.destination.label)}</b> (<code>{_e(where)}</code>)</li>"
        )
    for flow in declared:
        if flow.id in resource.targets:
            continue
        colour = "ok" if flow.in_allow_list else "warn"
        rows.append(f"<li>declares {_badge(flow.id, colour)} {_e(flow.what)}</li>")
    return f'<ul class="plain">{"".join(rows)}</ul>' if rows else '<span class="na">none</span>'


def _summary_html(report: Report) -> str:
    data = to_json(report)["summary"]
    word = {"failed": "FAILED", "incomplete": "INCOMPLETE"}.get(data["verdict"], "PASSED")
    why = (
        f'<div class="why">The program ended before it finished: {_e(report.incomplete)}. '
        "Only what it registered until then was checked.</div>"
        if report.incomplete
        else ""
    )

    def figure(n: int, label: str, bad: bool = False) -> str:
        cls = "n bad" if bad and n else "n"
        return (
            f'<div class="figure"><span class="{cls}">{n}</span>'
            f'<span class="l">{label}</span></div>'
        )

    return (
        f'<div class="verdict {data["verdict"]}" data-verdict="{data["verdict"]}">'
        f'<div class="word">{word}</div><div class="figures">'
        + figure(data["resources"], "cloud resources")
        + figure(data["resourcesOutsideAllowList"], "resources outside allow-list", bad=True)
        + figure(data["flows"], "data flows")
        + figure(data["flowsOutsideAllowList"], "flows outside allow-list", bad=True)
        + figure(data["mandatory"], "mandatory violations", bad=True)
        + figure(data["advisory"], "advisory findings")
        + "</div>"
        + why
        + "</div>"
    )


def _sites_html(report: Report) -> str:
    rows = []
    for site in report.sites:
        warn = site.flows_outside_allow_list or site.mandatory
        rows.append(
            f'<tr class="{"warn" if warn else ""}" data-site="{_e(site.site)}" '
            f'data-count="{site.resources}">'
            f'<td class="name">{_e(site.site)}</td><td>{_e(site.country or "—")}</td>'
            f'<td class="num">{site.resources}</td>'
            f"<td>{_e(', '.join(site.clouds) or '—')}</td>"
            f"<td>{', '.join(f'<code>{_e(r)}</code>' for r in site.regions) or '—'}</td>"
            f"<td>{_e(', '.join(site.countries) or '—')}</td>"
            f'<td class="num">{site.flows_out}</td>'
            f'<td class="num">{site.flows_outside_allow_list}</td>'
            f'<td class="num">{site.mandatory}</td><td class="num">{site.advisory}</td></tr>'
        )
    return (
        "<table><thead><tr><th>site</th><th>site country</th><th>resources</th><th>clouds</th>"
        "<th>regions</th><th>countries holding data</th><th>flows out</th>"
        "<th>flows outside allow-list</th><th>mandatory</th><th>advisory</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _flows_html(report: Report) -> str:
    if not report.flows:
        return "<p>The program declares no replication, backup copy or log delivery.</p>"
    names = {r.urn: r.name for r in report.resources}
    rows = []
    for flow in report.flows:
        status = (
            _badge("in allow-list", "ok")
            if flow.in_allow_list
            else _badge(
                "region unknown" if flow.destination.region == "unknown" else "outside allow-list",
                "warn",
            )
        )
        declared = ", ".join(_e(names.get(u, u)) for u in flow.declared_by)
        proven = _e(flow.proven) if flow.proven else '<span class="na">—</span>'
        rows.append(
            f'<tr class="{"" if flow.in_allow_list else "warn"}" data-flow="{_e(flow.id)}">'
            f'<td class="name">{_e(flow.id)}</td><td>{_e(flow.kind)}<div class="type">'
            f"{_e(flow.what)}</div></td><td>{_endpoint_text(flow.source)}</td>"
            f"<td>{_endpoint_text(flow.destination)}</td><td>{declared}</td>"
            f'<td class="mono">{proven}</td><td>{status}</td></tr>'
        )
    return (
        "<table><thead><tr><th>id</th><th>kind</th><th>from</th><th>to</th>"
        "<th>declared by</th><th>how the data-flow rule proved it</th><th>allow-list</th>"
        "</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _resources_html(report: Report) -> str:
    flows = {f.id: f for f in report.flows}
    declared: dict[str, list[Flow]] = {}
    for flow in report.flows:
        for urn in flow.declared_by:
            declared.setdefault(urn, []).append(flow)
    groups: dict[str, list[ResourceFacts]] = {}
    for resource in report.cloud_resources:
        groups.setdefault(resource.site or NO_SITE, []).append(resource)
    rows = []
    for site in [s.site for s in report.sites]:
        members = groups.get(site, [])
        label = f"site {site}" if site != NO_SITE else site
        rows.append(
            f'<tr class="site-head"><td colspan="7">{_e(label)} · '
            f"{len(members)} resources</td></tr>"
        )
        for r in members:
            bad = r.in_allow_list is False or r.mandatory
            cloud = _badge(r.cloud, r.cloud) if r.cloud else '<span class="na">—</span>'
            country = _e(r.country or "—")
            if r.outside_site_country:
                country += " " + _badge("outside the site's country", "note")
            inferred = (
                '<div class="type">no site tag: the site of the other resources on its '
                "provider</div>"
                if r.site_from == "provider"
                else ""
            )
            rows.append(
                f'<tr class="{"warn" if bad else ""}" data-urn="{_e(r.urn)}">'
                f'<td><div class="name">{_e(r.name)}</div><div class="type">{_e(r.type)}</div>'
                f'<div class="urn mono">{_e(r.urn)}</div>{inferred}</td>'
                f"<td>{cloud}</td><td>{_assessed_region_cell(r)}</td>"
                f"<td>{country}</td><td>{_key_cell(r.encryption)}</td>"
                f"<td>{_flows_cell(r, flows, declared.get(r.urn, []))}</td>"
                f"<td>{_verdict_cell(r)}</td></tr>"
            )
    return (
        "<table><thead><tr><th>resource</th><th>cloud</th><th>region</th><th>country</th>"
        "<th>encryption key</th><th>replication, backup and log targets</th>"
        "<th>policy verdict</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _others_html(report: Report) -> str:
    others = [r for r in report.resources if r.kind != "resource"]
    if not others:
        return ""
    rows = "".join(
        f'<tr data-urn="{_e(r.urn)}"><td class="name">{_e(r.name)}</td><td>{_e(r.kind)}</td>'
        f'<td class="type">{_e(r.type)}</td><td class="urn mono">{_e(r.urn)}</td></tr>'
        for r in others
    )
    return (
        '<h2>Providers and components</h2><p class="lead">They hold no data themselves; the '
        "providers fix the regions of the resources above.</p>"
        "<table><thead><tr><th>name</th><th>kind</th><th>type</th><th>URN</th></tr></thead>"
        f"<tbody>{rows}</tbody></table>"
    )


def _findings_html(report: Report) -> str:
    if not report.findings:
        return "<p>No policy reported a violation.</p>"
    names = {r.urn: r.name for r in report.resources}
    ordered = sorted(
        report.findings,
        key=lambda f: (f.enforcement_level != "mandatory", f.policy_pack, f.policy, f.urn),
    )
    rows = []
    for f in ordered:
        level = _badge(
            f.enforcement_level, "warn" if f.enforcement_level == "mandatory" else "note"
        )
        description, _, detail = f.message.rpartition("\n")
        more = (
            f"<details><summary>policy description</summary>{_e(description)}</details>"
            if description
            else ""
        )
        rows.append(
            f'<tr class="{"warn" if f.enforcement_level == "mandatory" else ""}">'
            f"<td>{level}</td><td><code>{_e(f.policy)}</code>"
            f'<div class="type">{_e(f.policy_pack)} · {_e(f.severity or "no severity")}</div></td>'
            f'<td class="name">{_e(names.get(f.urn, f.urn or "(stack)"))}</td>'
            f'<td class="finding-msg">{_e(detail)}{more}</td></tr>'
        )
    return (
        "<table><thead><tr><th>level</th><th>policy</th><th>resource</th><th>finding</th>"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _loosened_html(report: Report) -> str:
    if not report.loosened:
        return '<p class="loosened">Pack configs: the strict base, loosened nowhere.</p>'
    items = "".join(f"<li>{_e(line)}</li>" for line in report.loosened)
    intro = "<p>This stack loosens the strict base pack configs:</p>"
    return f'{intro}<ul class="loosened">{items}</ul>'


def to_html(report: Report) -> str:
    """One self-contained page: inline CSS and SVG, no script, nothing loaded from anywhere."""
    packs = ", ".join(
        f"{_e(pack)}" + (f" (<code>{_e(config)}</code>)" if config else " (defaults)")
        for pack, config in report.packs
    )
    allow = "; ".join(
        f"{_e(CLOUD_NAMES.get(cloud, cloud))}: " + ", ".join(f"<code>{_e(c)}</code>" for c in codes)
        for cloud, codes in report.allow_list.items()
    )
    revision = (
        f'<span>revision <b class="mono">{_e(report.revision)}</b></span>'
        if report.revision
        else ""
    )
    body = (
        f"<h1>Residency evidence report · stack {_e(report.stack)}</h1>"
        f'<p class="lead">Project <b>{_e(report.project)}</b>. Where every resource of the stack '
        "keeps its data, which key encrypts it, where copies and logs go, and what the policy "
        "packs decided.</p>"
        f'<div class="meta"><span>generated <b>{_e(report.generated_at)}</b></span>'
        f"<span>by <b>clover {_e(__version__)}</b> (offline preview)</span>{revision}"
        f"<span>policy packs <b>{packs or 'none'}</b></span>"
        f'<span data-edge-services="{_e(" ".join(report.edge_services))}">edge services opted '
        f"in <b>{_e(', '.join(report.edge_services)) or 'none'}</b></span></div>"
        f"{_loosened_html(report)}"
        f"{_summary_html(report)}"
        "<h2>Map</h2>"
        f'<div class="map-wrap">{map_svg(report)}</div>'
        "<h2>Sites</h2>"
        f"{_sites_html(report)}"
        "<h2>Data flows</h2>"
        '<p class="lead">Every replication, backup copy and log delivery the program declares, '
        "and every other outbound reference the data-flow rule resolved (kind "
        "<i>reference</i>; drawn on the map only when the rule blocked it), with how the rule "
        "proved where each one goes. A destination whose region cannot be proven before "
        "deployment counts as outside the allow-list.</p>"
        f"{_flows_html(report)}"
        "<h2>Resources</h2>"
        f"{_resources_html(report)}"
        "<h2>Policy findings</h2>"
        f"{_findings_html(report)}"
        f"{_others_html(report)}"
        f"<footer><p><b>Allow-list.</b> {allow}.</p><p><b>Method.</b> The program was run as "
        "<code>pulumi preview</code> would run it, without cloud credentials; regions and "
        "locations are filled in as the providers fill them in. Values the engine cannot know "
        "before deployment are shown as <i>unknown at preview</i> and treated as outside the "
        "allow-list. Encryption keys are read from the declared properties and, where a value is "
        "not yet known, from the key resource it depends on.</p></footer>"
    )
    template = _TEMPLATE.read_text(encoding="utf-8")
    # The template holds CSS only; str.replace keeps its braces and dollar-free text untouched.
    return (
        template.replace("$generator", _e(f"clover {__version__}"))
        .replace("$title", _e(f"Residency evidence · {report.project} · {report.stack}"))
        .replace("$body", body)
    )
