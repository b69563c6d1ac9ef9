"""Deriving the report's facts from a check run: each resource's key and site, and every data flow
the program declares (replication, backup copies, log delivery), with the destination's region
when it can be proven and "unknown" when it cannot (fail closed)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from clover import facts
from clover.check import CheckResult
from clover.output.common import cloud_of
from clover.placement import (
    AWS_PACKAGE,
    AZURE_PACKAGE,
    Placed,
    normalise_azure_location,
    package_of,
)
from clover.report.model import (
    BACKUP_COPY,
    LOG_DELIVERY,
    NO_DATA,
    NOT_APPLICABLE,
    NOT_ASSESSED,
    REPLICATION,
    UNKNOWN_AT_PREVIEW,
    Endpoint,
    Flow,
    in_allow_list,
    is_known,
    place_country,
    shorten,
    shown_place,
    type_name,
)
from clover.standin.engine import UNKNOWN

# ---------------------------------------------------------------------------------------------
# Deriving the facts from a check run
# ---------------------------------------------------------------------------------------------


def _arn_region(arn: Any) -> str | None:
    """The region field of an ARN (``arn:aws:backup:ap-southeast-1:...``), if it has one."""
    if not isinstance(arn, str) or not arn.startswith("arn:"):
        return None
    parts = arn.split(":")
    return parts[3] if len(parts) > 3 and parts[3] else None


def _s3_bucket_name(value: Any) -> str | None:
    """``arn:aws:s3:::name/prefix`` or ``name`` -> ``name``."""
    if not isinstance(value, str) or not is_known(value):
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


class ResourceIndex:
    """Look-ups over one check run: resources by URN, by name, and through property dependencies."""

    def __init__(self, placed: Sequence[Placed]) -> None:
        self.placed = placed
        self.by_urn = {p.resource.urn: p for p in placed}

    def linked(self, item: Placed, prop: str, *names: str) -> list[Placed]:
        """Resources of the given type names that ``item``'s property ``prop`` depends on."""
        found = []
        for urn in item.resource.property_dependencies.get(prop, ()):
            other = self.by_urn.get(urn)
            if other is not None and (not names or type_name(other.resource.type) in names):
                found.append(other)
        return found

    def of_type(self, *names: str) -> list[Placed]:
        return [p for p in self.placed if type_name(p.resource.type) in names]

    def bucket_named(self, name: str | None) -> Placed | None:
        if name is None:
            return None
        for bucket in self.of_type(*S3_BUCKETS):
            if bucket.properties.get("bucket") == name:
                return bucket
        return None

    def endpoint(self, item: Placed) -> Endpoint:
        cloud = cloud_of(item)
        region = shown_place(item.place) or "unknown"
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


class Deriver:
    """Derives encryption keys and data flows for one check run."""

    def __init__(self, result: CheckResult, allow_list: Mapping[str, frozenset[str]]) -> None:
        self.result = result
        self.index = ResourceIndex(result.placed)
        self.allow_list = allow_list
        self._flows: dict[tuple[str, ...], dict[str, Any]] = {}

    # -- encryption -----------------------------------------------------------------------------

    def _key_name(self, key: Placed) -> str:
        where = shown_place(key.place)
        kind = "KMS key" if package_of(key.resource.type) == AWS_PACKAGE else "Key Vault key"
        if type_name(key.resource.type) == "keyvault/Vault":
            kind = "key in Key Vault"
        if type_name(key.resource.type) == "keyvault/Key":
            # A Key Vault key has no location of its own: it lives in its vault.
            vaults = self.index.linked(key, "vaultName", "keyvault/Vault")
            if vaults:
                vault = vaults[0]
                inside = shown_place(vault.location) or "unknown"
                return f"{kind} {key.resource.name} in vault {vault.resource.name} ({inside})"
        return f"{kind} {key.resource.name} ({where or 'location not known'})"

    def _aws_key(self, item: Placed, prop: str, value: Any) -> str:
        """A KMS key reference: the stack's key it depends on, else the value, else unknown."""
        keys = self.index.linked(item, prop, *KMS_KEYS)
        if keys:
            return "; ".join(self._key_name(k) for k in keys)
        if is_known(value):
            return f"KMS key {value}"
        return UNKNOWN_AT_PREVIEW

    def encryption(self, item: Placed) -> str:  # noqa: PLR0911, PLR0912 - one branch per service
        name = type_name(item.resource.type)
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
            return f"Key Vault key {value}" if is_known(value) else UNKNOWN_AT_PREVIEW
        if NO_DATA.match(name):
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
        return is_known(name) and name == bucket.properties.get("bucket")

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
        if key is None and is_known(algorithm):
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
            vault = vaults[0].resource.name if vaults else (uri if is_known(uri) else None)
            if is_known(key_name) and vault:
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
        return Endpoint(label=label, cloud=cloud, region=where, country=place_country(cloud, where))

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
            handler = _FLOW_HANDLERS.get(type_name(item.resource.type))
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
        label = shorten(str(value)) if is_known(value) else "a bucket outside this stack"
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
                vault = others[i] if not is_known(arn) and len(others) == len(copies) else None
                if vault is not None:
                    destination = self.index.endpoint(vault)
                else:
                    label = shorten(str(arn)) if is_known(arn) else "a vault outside this stack"
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
            label = f"replica in {region}" if is_known(region) else "replica"
            self._add(
                kind=REPLICATION,
                what="DynamoDB global table replica",
                source=self.index.endpoint(item),
                destination=self._destination("aws", region if is_known(region) else None, label),
                declared_by=item,
            )

    def kms_replica(self, item: Placed) -> None:
        primaries = self.index.linked(item, "primaryKeyArn", "kms/Key")
        arn = item.properties.get("primaryKeyArn")
        if primaries:
            source = self.index.endpoint(primaries[0])
        else:
            label = shorten(str(arn)) if is_known(arn) else "a key outside this stack"
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
                    item.region if is_known(props.get("logGroupName")) else None
                )
                label = shorten(str(value or props.get("logGroupName") or "log destination"))
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
                else self._destination("aws", _arn_region(group), shorten(str(group)))
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
        label = shorten(str(value)) if is_known(value) else f"{prop} outside this stack"
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
            else self._destination("azure", None, shorten(str(item.properties.get("resourceUri"))))
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
                normalise_azure_location(name) if isinstance(name, str) and is_known(name) else None
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
    "s3/BucketReplicationConfig": Deriver.s3_replication,
    "s3/BucketLogging": Deriver.s3_logging,
    "backup/Plan": Deriver.backup_plan,
    "dynamodb/Table": Deriver.dynamodb_replicas,
    "kms/ReplicaKey": Deriver.kms_replica,
    "ec2/FlowLog": Deriver.flow_log,
    "cloudtrail/Trail": Deriver.cloudtrail,
    "storage/ObjectReplicationPolicy": Deriver.object_replication,
    "insights/DiagnosticSetting": Deriver.diagnostic_setting,
    "monitor/DiagnosticSetting": Deriver.diagnostic_setting,
    "storage/StorageAccount": Deriver.geo_redundancy,
    "documentdb/DatabaseAccount": Deriver.cosmos_locations,
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
