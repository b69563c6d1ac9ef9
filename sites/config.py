"""Typed stack configuration, read once and validated before any resource is registered.

Every refusal is a :class:`ConfigError` whose message names the offending key (as written in the
stack file, e.g. ``clover:sites.hamar.aws.vpcCidr``) and value. ``ConfigError`` is a
``pulumi.RunError`` so that ``pulumi up`` prints that one message instead of a stack trace.
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import jsonschema
import pulumi

from clover.facts import AZURE_STORAGE_SKUS, geo_redundant_storage_sku
from sites.catalog import (
    APPROVED,
    REGIONS,
    SITES,
    Cloud,
    Placement,
    normalise_azure_location,
)

NAMESPACE: Final = "clover"

# Trust-policy principals: an account root, an IAM role or user, optionally with a path.
# https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-arns
_IAM_PRINCIPAL_ARN: Final = re.compile(
    r"^arn:aws:iam::\d{12}:(root|(role|user)(/[A-Za-z0-9+=,.@_-]+)*/[A-Za-z0-9+=,.@_-]{1,64})$"
)
_ENTRA_OBJECT_ID: Final = re.compile(
    r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.IGNORECASE
)
GEO_REDUNDANT_SKUS: Final = frozenset(s for s in AZURE_STORAGE_SKUS if geo_redundant_storage_sku(s))
LOCAL_SKUS: Final = AZURE_STORAGE_SKUS - GEO_REDUNDANT_SKUS


BACKUP_NONCURRENT_VERSION_DAYS: Final = 90
"""How long a cross-site backup keeps a noncurrent version; the shortest Object Lock allowed."""


class ConfigError(pulumi.RunError):
    """The stack configuration is invalid; the message names the key and the value."""


_AWS_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["vpcCidr", "gatewayPrincipals", "keyAdminRoleArns"],
    "properties": {
        "region": {"type": "string"},
        "allowNearestRegion": {"type": "boolean"},
        "vpcCidr": {"type": "string"},
        "gatewayPrincipals": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "breakGlassRoleArn": {"type": "string"},
        "keyAdminRoleArns": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        # Locks the backup copies this site receives: at least as long as the backup keeps a
        # noncurrent version (AwsCrossSiteBackupArgs.noncurrent_version_expiration_days).
        "objectLockDays": {
            "type": "integer",
            "minimum": BACKUP_NONCURRENT_VERSION_DAYS,
            "maximum": 36500,
        },
    },
}
_AZURE_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["vnetCidr", "gatewayPrincipalIds"],
    "properties": {
        "location": {"type": "string"},
        "vnetCidr": {"type": "string"},
        "gatewayPrincipalIds": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "storageSku": {"type": "string"},
    },
}
_SITES_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "minProperties": 1,
    "additionalProperties": {
        "type": "object",
        "additionalProperties": False,
        "minProperties": 1,
        "properties": {"aws": _AWS_SCHEMA, "azure": _AZURE_SCHEMA},
    },
}
_BACKUPS_SCHEMA: Final[dict[str, Any]] = {
    "type": "array",
    "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["cloud", "from", "to"],
        "properties": {
            "cloud": {"type": "string"},
            "from": {"type": "string"},
            "to": {"type": "string"},
        },
    },
}


@dataclass(frozen=True, kw_only=True)
class AwsSiteConfig:
    placement: Placement
    vpc_cidr: ipaddress.IPv4Network
    gateway_principals: tuple[str, ...]
    """IAM principal ARNs that may assume the site's data-access role."""
    break_glass_role_arn: str | None
    """A role that may reach the data bucket from outside the site's VPC endpoint, for incidents."""
    key_admin_role_arns: tuple[str, ...]
    """IAM roles that administer the site's KMS keys (policy, rotation, deletion); the account root
    only reads them."""
    object_lock_days: int | None
    """Object Lock retention for the site's backup bucket; None leaves Object Lock off."""

    @property
    def region(self) -> str:
        return self.placement.region


@dataclass(frozen=True, kw_only=True)
class AzureSiteConfig:
    placement: Placement
    vnet_cidr: ipaddress.IPv4Network
    gateway_principal_ids: tuple[str, ...]
    """Entra object ids that may act as the site's gateway identity."""
    storage_sku: str

    @property
    def location(self) -> str:
        return self.placement.region


@dataclass(frozen=True, kw_only=True)
class SiteConfig:
    name: str
    aws: AwsSiteConfig | None
    azure: AzureSiteConfig | None


@dataclass(frozen=True, kw_only=True)
class BackupRoute:
    """A cross-site copy of a site's data bucket or storage account."""

    cloud: Cloud
    source: str
    destination: str


@dataclass(frozen=True, kw_only=True)
class StackConfig:
    environment: str
    protect_data_stores: bool
    data_classification: str
    sites: tuple[SiteConfig, ...]
    backups: tuple[BackupRoute, ...]

    def site(self, name: str) -> SiteConfig:
        return next(s for s in self.sites if s.name == name)


def _key(*parts: str | int) -> str:
    head, *rest = parts
    text = f"{NAMESPACE}:{head}"
    for part in rest:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _check_schema(name: str, value: Any, schema: Mapping[str, Any]) -> None:
    error = jsonschema.exceptions.best_match(
        jsonschema.Draft202012Validator(schema).iter_errors(value)
    )
    if error is None:
        return
    key = _key(name, *error.absolute_path)
    if error.validator == "additionalProperties":
        allowed = ", ".join(sorted(error.schema.get("properties", {}))) or "none"
        raise ConfigError(f"{key}: {error.message}; allowed keys: {allowed}")
    if error.validator == "required":
        raise ConfigError(f"{key}: {error.message}")
    raise ConfigError(f"{key} = {json.dumps(error.instance)}: {error.message}")


def _read_object(raw: Mapping[str, str], name: str, default: Any) -> Any:
    text = raw.get(f"{NAMESPACE}:{name}")
    if text is None:
        if default is None:
            raise ConfigError(f"{_key(name)} is required but not set in the stack configuration")
        return default
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ConfigError(f"{_key(name)} is not valid structured config: {err}") from None


def _read_bool(raw: Mapping[str, str], name: str, default: bool) -> bool:
    text = raw.get(f"{NAMESPACE}:{name}")
    if text is None:
        return default
    if text.lower() in {"true", "false"}:
        return text.lower() == "true"
    raise ConfigError(f"{_key(name)} = {text!r}: expected true or false")


def _network(key: str, text: str) -> ipaddress.IPv4Network:
    try:
        network = ipaddress.IPv4Network(text, strict=True)
    except ValueError as err:
        raise ConfigError(f"{key} = {text!r} is not a valid IPv4 CIDR: {err}") from None
    if not network.is_private:
        raise ConfigError(f"{key} = {text!r} is not a private range (RFC 1918)")
    if not 16 <= network.prefixlen <= 24:
        raise ConfigError(f"{key} = {text!r}: the prefix must be between /16 and /24")
    return network


def _placement(site: str, cloud: Cloud, key: str, body: Mapping[str, Any]) -> Placement:
    catalog_site = SITES[site]
    field = "region" if cloud is Cloud.AWS else "location"
    approved = sorted(APPROVED[cloud])
    requested = body.get(field)
    if requested is None:
        if cloud in catalog_site.regions:
            requested = catalog_site.regions[cloud]
        elif cloud in catalog_site.nearest and body.get("allowNearestRegion") is True:
            requested = catalog_site.nearest[cloud]
        else:
            nearest = catalog_site.nearest.get(cloud)
            hint = (
                f"; to place {site}'s {cloud.value} data in {nearest} "
                f"({REGIONS[cloud][nearest].country}) set {key}.allowNearestRegion: true"
                if nearest
                else ""
            )
            raise ConfigError(
                f"{key}: {cloud.value} has no region in {catalog_site.country} "
                f"for site {site}{hint}"
            )
    if cloud is Cloud.AZURE:
        requested = normalise_azure_location(requested)
    if requested not in APPROVED[cloud]:
        raise ConfigError(
            f"{key}.{field} = {requested!r} is not an approved European {cloud.value} "
            f"{field}; allowed: {', '.join(approved)}"
        )
    placement = catalog_site.placement(cloud, requested)
    if not placement.in_site_country:
        opted_in = body.get("allowNearestRegion") is True
        if not (opted_in and requested == catalog_site.nearest.get(cloud)):
            in_country = catalog_site.regions.get(cloud)
            allowed = (
                in_country or f"none in {catalog_site.country} (opt in with allowNearestRegion)"
            )
            raise ConfigError(
                f"{key}.{field} = {requested!r} is in {placement.country}, outside site "
                f"{site}'s country {catalog_site.country}; allowed: {allowed}"
            )
    return placement


def _aws_site(site: str, body: Mapping[str, Any]) -> AwsSiteConfig:
    key = _key("sites", site, "aws")
    principals = tuple(body["gatewayPrincipals"])
    for i, principal in enumerate(principals):
        if not _IAM_PRINCIPAL_ARN.match(principal):
            raise ConfigError(
                f"{key}.gatewayPrincipals[{i}] = {principal!r} is not an IAM role, user or account "
                "root ARN (arn:aws:iam::<12 digits>:role/<name>)"
            )
    break_glass = body.get("breakGlassRoleArn")
    if break_glass is not None and not (
        _IAM_PRINCIPAL_ARN.match(break_glass) and ":role/" in break_glass
    ):
        raise ConfigError(
            f"{key}.breakGlassRoleArn = {break_glass!r} is not an IAM role ARN "
            "(arn:aws:iam::<12 digits>:role/<name>)"
        )
    admins = tuple(body["keyAdminRoleArns"])
    for i, admin in enumerate(admins):
        if not (_IAM_PRINCIPAL_ARN.match(admin) and ":role/" in admin):
            raise ConfigError(
                f"{key}.keyAdminRoleArns[{i}] = {admin!r} is not an IAM role ARN "
                "(arn:aws:iam::<12 digits>:role/<name>)"
            )
    return AwsSiteConfig(
        placement=_placement(site, Cloud.AWS, key, body),
        vpc_cidr=_network(f"{key}.vpcCidr", body["vpcCidr"]),
        gateway_principals=principals,
        break_glass_role_arn=break_glass,
        key_admin_role_arns=admins,
        object_lock_days=body.get("objectLockDays"),
    )


def _azure_site(site: str, body: Mapping[str, Any]) -> AzureSiteConfig:
    key = _key("sites", site, "azure")
    ids = tuple(body["gatewayPrincipalIds"])
    for i, object_id in enumerate(ids):
        if not _ENTRA_OBJECT_ID.match(object_id):
            raise ConfigError(
                f"{key}.gatewayPrincipalIds[{i}] = {object_id!r} is not an Entra object id "
                "(a GUID such as 00000000-0000-0000-0000-000000000000)"
            )
    placement = _placement(site, Cloud.AZURE, key, body)
    sku = body.get("storageSku", "Standard_ZRS")
    if sku in GEO_REDUNDANT_SKUS:
        pair = REGIONS[Cloud.AZURE][placement.region].pair
        if pair is None or pair not in APPROVED[Cloud.AZURE]:
            raise ConfigError(
                f"{key}.storageSku = {sku!r} copies data to the paired region of "
                f"{placement.region} ({pair or 'none'}), which is not approved; "
                f"allowed: {', '.join(sorted(LOCAL_SKUS))}"
            )
    elif sku not in LOCAL_SKUS:
        allowed = ", ".join(sorted(LOCAL_SKUS | GEO_REDUNDANT_SKUS))
        raise ConfigError(f"{key}.storageSku = {sku!r} is not a known SKU; allowed: {allowed}")
    return AzureSiteConfig(
        placement=placement,
        vnet_cidr=_network(f"{key}.vnetCidr", body["vnetCidr"]),
        gateway_principal_ids=ids,
        storage_sku=sku,
    )


def _check_overlaps(sites: tuple[SiteConfig, ...]) -> None:
    networks: list[tuple[str, ipaddress.IPv4Network]] = []
    for site in sites:
        if site.aws:
            networks.append((_key("sites", site.name, "aws", "vpcCidr"), site.aws.vpc_cidr))
        if site.azure:
            networks.append((_key("sites", site.name, "azure", "vnetCidr"), site.azure.vnet_cidr))
    for (key_a, net_a), (key_b, net_b) in itertools.combinations(networks, 2):
        if net_a.overlaps(net_b):
            raise ConfigError(f"{key_b} = {str(net_b)!r} overlaps {key_a} = {str(net_a)!r}")


def _backups(
    raw: list[Mapping[str, str]], sites: tuple[SiteConfig, ...]
) -> tuple[BackupRoute, ...]:
    by_name = {s.name: s for s in sites}
    routes: list[BackupRoute] = []
    for i, item in enumerate(raw):
        key = _key("backups", i)
        try:
            cloud = Cloud(item["cloud"])
        except ValueError:
            allowed = ", ".join(c.value for c in Cloud)
            raise ConfigError(
                f"{key}.cloud = {item['cloud']!r} is not a cloud; allowed: {allowed}"
            ) from None
        for end in ("from", "to"):
            site = by_name.get(item[end])
            if site is None or getattr(site, cloud.value) is None:
                configured = sorted(n for n, s in by_name.items() if getattr(s, cloud.value))
                raise ConfigError(
                    f"{key}.{end} = {item[end]!r} is not a site configured on {cloud.value}; "
                    f"allowed: {', '.join(configured) or 'none'}"
                )
        if item["from"] == item["to"]:
            raise ConfigError(f"{key}: a cross-site backup needs two different sites")
        route = BackupRoute(cloud=cloud, source=item["from"], destination=item["to"])
        if route in routes:
            raise ConfigError(f"{key} repeats an earlier backup route")
        routes.append(route)
    return tuple(routes)


KEYS: Final = frozenset(
    {"environment", "protectDataStores", "dataClassification", "sites", "backups"}
)
"""Every key of the ``clover`` namespace; each is declared with a description in Pulumi.yaml."""


def parse(raw: Mapping[str, str]) -> StackConfig:
    """Validate the raw stack configuration (fully qualified keys, string values)."""
    for full_key in sorted(raw):
        namespace, _, name = full_key.partition(":")
        if namespace == NAMESPACE and name not in KEYS:
            raise ConfigError(
                f"{full_key} is not a Clover setting; allowed: "
                + ", ".join(_key(k) for k in sorted(KEYS))
            )
    environment = raw.get(f"{NAMESPACE}:environment")
    if not environment:
        raise ConfigError(f"{_key('environment')} is required but not set (for example: dev)")
    if not re.fullmatch(r"[a-z][a-z0-9-]{0,15}", environment):
        raise ConfigError(
            f"{_key('environment')} = {environment!r}: use 1-16 lower-case letters, digits, hyphens"
        )
    sites_raw = _read_object(raw, "sites", None)
    _check_schema("sites", sites_raw, _SITES_SCHEMA)
    sites: list[SiteConfig] = []
    for name, body in sites_raw.items():
        if name not in SITES:
            raise ConfigError(
                f"{_key('sites', name)}: unknown site {name!r}; allowed: {', '.join(sorted(SITES))}"
            )
        sites.append(
            SiteConfig(
                name=name,
                aws=_aws_site(name, body["aws"]) if "aws" in body else None,
                azure=_azure_site(name, body["azure"]) if "azure" in body else None,
            )
        )
    site_tuple = tuple(sites)
    _check_overlaps(site_tuple)
    backups_raw = _read_object(raw, "backups", [])
    _check_schema("backups", backups_raw, _BACKUPS_SCHEMA)
    classification = raw.get(f"{NAMESPACE}:dataClassification", "personal")
    if not re.fullmatch(r"[a-z][a-z0-9-]{0,62}", classification):
        raise ConfigError(
            f"{_key('dataClassification')} = {classification!r}: use a lower-case tag value "
            "such as personal"
        )
    return StackConfig(
        environment=environment,
        protect_data_stores=_read_bool(raw, "protectDataStores", True),
        data_classification=classification,
        sites=site_tuple,
        backups=_backups(backups_raw, site_tuple),
    )


def load() -> StackConfig:
    """Read and validate the current stack's configuration."""
    from pulumi.runtime.config import CONFIG  # noqa: PLC0415 - the runtime's raw config map

    return parse(dict(CONFIG.get()))
