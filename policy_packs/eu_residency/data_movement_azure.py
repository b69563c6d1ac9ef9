"""Copies of Azure data outside the resource's location: each copy must land in an allowed location.

Geo-redundant storage, SQL backups and Recovery Services vaults copy data to the location's paired
region (https://learn.microsoft.com/azure/reliability/cross-region-replication-azure), so the pair
must be allowed too; a location without a pair cannot be assumed to offer geo-redundancy. Cosmos DB
replicates to every entry of ``locations``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any, Final

import regions
from placement_azure import location_problem, resolve_location
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
    describe,
    items,
    mapping,
    plain,
    report_all,
    report_all_at,
    stack_resources,
)
from rulekit import is_unknown, resource_rule, stack_rule

STORAGE_ACCOUNT: Final = "azure-native:storage:StorageAccount"
SQL_BACKUP_TYPES: Final = frozenset(
    {"azure-native:sql:Database", "azure-native:sql:ManagedInstance"}
)
RECOVERY_VAULT: Final = "azure-native:recoveryservices:Vault"
COSMOS_ACCOUNT: Final = "azure-native:cosmosdb:DatabaseAccount"


def _hint(allowed: Collection[str]) -> str:
    return f"allowed locations: {', '.join(sorted(allowed))}"


def pair_problem(
    resource: StackResource,
    stack: Sequence[StackResource],
    allowed: Collection[str],
    pairs: Mapping[str, str],
) -> str | None:
    """Why the geo-redundant copy of this resource's data may land outside ``allowed``."""
    location, why = resolve_location(resource, stack)
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


def check_storage_geo_replication(
    stack: Sequence[StackResource], config: Mapping[str, Any]
) -> list[tuple[str, str]]:
    allowed = allowed_azure_locations(config)
    pairs = azure_pairs(config)
    findings: list[tuple[str, str]] = []
    for resource in stack:
        if resource.type != STORAGE_ACCOUNT:
            continue
        sku = resource.props.get("sku")
        name = sku if is_unknown(sku) else mapping(sku).get("name")
        if (
            isinstance(name, str)
            and not is_unknown(name)
            and not regions.geo_redundant_storage_sku(name)
        ):
            continue
        if not isinstance(name, str) or is_unknown(name):
            problem: str | None = f"sku.name is {describe(name)}, so its redundancy is not known"
        else:
            found = pair_problem(resource, stack, allowed, pairs)
            problem = None if found is None else f"sku {name!r} is geo-redundant: {found}"
        if problem is not None:
            findings.append((resource.urn, f"{resource.urn}: {problem}; {_hint(allowed)}."))
    return findings


def check_sql_backup_redundancy(
    stack: Sequence[StackResource], config: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """Azure SQL keeps backups in geo-redundant storage unless told otherwise.

    https://learn.microsoft.com/azure/azure-sql/database/automated-backups-overview#backup-storage-redundancy
    """
    allowed = allowed_azure_locations(config)
    pairs = azure_pairs(config)
    findings: list[tuple[str, str]] = []
    for resource in stack:
        if resource.type not in SQL_BACKUP_TYPES:
            continue
        redundancy = resource.props.get("requestedBackupStorageRedundancy")
        if redundancy in ("Local", "Zone"):
            continue
        if is_unknown(redundancy) or (redundancy is not None and not isinstance(redundancy, str)):
            problem: str | None = (
                f"requestedBackupStorageRedundancy is {describe(redundancy)}, so backups may be "
                "geo-redundant"
            )
        else:
            found = pair_problem(resource, stack, allowed, pairs)
            shown = redundancy or "unset (Azure's default is Geo)"
            problem = (
                None if found is None else f"backup redundancy {shown} copies to the pair: {found}"
            )
        if problem is not None:
            findings.append((resource.urn, f"{resource.urn}: {problem}; {_hint(allowed)}."))
    return findings


def check_recovery_vault_redundancy(
    stack: Sequence[StackResource], config: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """Recovery Services vaults default to geo-redundant storage; cross-region restore needs it.

    https://learn.microsoft.com/azure/backup/backup-create-recovery-services-vault#set-storage-redundancy
    """
    allowed = allowed_azure_locations(config)
    pairs = azure_pairs(config)
    findings: list[tuple[str, str]] = []
    for resource in stack:
        if resource.type != RECOVERY_VAULT:
            continue
        properties = resource.props.get("properties")
        settings = (
            properties if is_unknown(properties) else mapping(properties).get("redundancySettings")
        )
        redundancy = (
            settings
            if is_unknown(settings)
            else mapping(settings).get("standardTierStorageRedundancy")
        )
        restore = None if is_unknown(settings) else mapping(settings).get("crossRegionRestore")
        if redundancy in ("LocallyRedundant", "ZoneRedundant") and restore != "Enabled":
            continue
        if is_unknown(redundancy) or is_unknown(restore):
            problem: str | None = "redundancy settings are not known until apply"
        else:
            found = pair_problem(resource, stack, allowed, pairs)
            shown = (
                describe(redundancy) if redundancy is not None else "unset (default GeoRedundant)"
            )
            problem = None if found is None else f"storage redundancy {shown}: {found}"
        if problem is not None:
            findings.append((resource.urn, f"{resource.urn}: {problem}; {_hint(allowed)}."))
    return findings


def check_cosmos_locations(
    *, resource_type: str, urn: str, props: Mapping[str, Any], config: Mapping[str, Any]
) -> list[str]:
    if resource_type != COSMOS_ACCOUNT:
        return []
    allowed = allowed_azure_locations(config)
    locations = props.get("locations")
    problems: list[str] = []
    if is_unknown(locations):
        problems.append("locations are not known until apply")
    elif not items(locations):
        problems.append("locations is empty or missing, so the replicas' regions are not known")
    for index, entry in enumerate(items(locations)):
        problem = location_problem(
            mapping(entry).get("locationName"),
            allowed,
            resource_type=resource_type,
            global_types=(),
        )
        if problem is not None:
            problems.append(f"locations[{index}].locationName: {problem}")
    return [f"{urn}: {p}; {_hint(allowed)}." for p in problems]


def _validate_cosmos(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != COSMOS_ACCOUNT:
        return
    report_all(
        report,
        check_cosmos_locations(
            resource_type=args.resource_type,
            urn=args.urn,
            props=mapping(plain(args.props)),
            config=args.get_config(),
        ),
    )


def _stack_rule(check: Any) -> Any:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        report_all_at(report, check(stack_resources(args), args.get_config()))

    return validate


STORAGE_GEO = "azure-native-storage-account-geo-replication-pair-allowed"
SQL_BACKUP = "azure-native-sql-database-backup-redundancy-pair-allowed"
VAULT_REDUNDANCY = "azure-native-recoveryservices-vault-redundancy-pair-allowed"
COSMOS_LOCATIONS = "azure-native-cosmosdb-database-account-locations-allowed"

_PAIR_SCHEMA = {"regionPairs": REGION_PAIRS_SCHEMA}

POLICIES: Final = [
    stack_rule(
        STORAGE_GEO,
        description="Geo-redundant storage accounts must have an allowed paired region.",
        validate=_stack_rule(check_storage_geo_replication),
        severity=Severity.CRITICAL,
        remediation_steps=(
            "Use a locally or zone-redundant SKU (Standard_LRS, Standard_ZRS), or place the "
            "account in a location whose pair is in `allowedLocations` (northeurope ↔ westeurope, "
            "norwayeast ↔ norwaywest)."
        ),
        config_schema=azure_schema(**_PAIR_SCHEMA),
    ),
    stack_rule(
        SQL_BACKUP,
        description=(
            "Azure SQL databases and managed instances with geo backups need an allowed pair."
        ),
        validate=_stack_rule(check_sql_backup_redundancy),
        severity=Severity.HIGH,
        remediation_steps=(
            "Set `requestedBackupStorageRedundancy` to Local or Zone, or use a location whose pair "
            "is in `allowedLocations`. Unset means Geo."
        ),
        config_schema=azure_schema(**_PAIR_SCHEMA),
    ),
    stack_rule(
        VAULT_REDUNDANCY,
        description="Geo-redundant Recovery Services vaults must have an allowed paired region.",
        validate=_stack_rule(check_recovery_vault_redundancy),
        severity=Severity.HIGH,
        remediation_steps=(
            "Set `properties.redundancySettings.standardTierStorageRedundancy` to LocallyRedundant "
            "or ZoneRedundant with cross-region restore disabled, or use a location whose pair is "
            "in `allowedLocations`."
        ),
        config_schema=azure_schema(**_PAIR_SCHEMA),
    ),
    resource_rule(
        COSMOS_LOCATIONS,
        description="Cosmos DB accounts may only replicate to allowed locations.",
        validate=_validate_cosmos,
        severity=Severity.CRITICAL,
        remediation_steps="Set every `locations[].locationName` to one of `allowedLocations`.",
        config_schema=azure_schema(),
    ),
]
