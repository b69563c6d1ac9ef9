"""Azure copy paths: geo-redundant pairs, SQL backups, Recovery Services vaults, Cosmos DB."""

from __future__ import annotations

from typing import Any

import pytest

from clover.analyzer import UNKNOWN, AnalyzedResource, PolicyPack
from tests.policy_packs.conftest import eu_azure_provider, eu_only, eu_resource

GROUP = "azure-native:resources:ResourceGroup"
STORAGE = "azure-native-storage-account-geo-replication-pair-allowed"
SQL = "azure-native-sql-database-backup-redundancy-pair-allowed"
VAULT = "azure-native-recoveryservices-vault-redundancy-pair-allowed"
COSMOS = "azure-native-cosmosdb-database-account-locations-allowed"


def found(pack: PolicyPack, policy: str, resources: list[AnalyzedResource]) -> list[str]:
    diags = eu_only(pack.preview(resources), policy)
    for d in diags:
        assert d.enforcement_level == "mandatory", d.message
        assert d.urn in d.message
    return [d.message for d in diags]


def account(sku: Any, location: Any = "northeurope", **extra: Any) -> AnalyzedResource:
    props: dict[str, Any] = {"resourceGroupName": "rg", **extra}
    if location is not None:
        props["location"] = location
    if sku is not None:
        props["sku"] = {"name": sku}
    return eu_resource("azure-native:storage:StorageAccount", "account", props)


@pytest.mark.parametrize(
    ("sku", "location"),
    [
        ("Standard_LRS", "italynorth"),  # no pair, but nothing leaves the region
        ("Premium_ZRS", "polandcentral"),
        ("Standard_GRS", "northeurope"),  # pair westeurope
        ("Standard_RAGZRS", "Norway East"),  # pair norwaywest
    ],
)
def test_storage_compliant(eu_residency: PolicyPack, sku: str, location: str) -> None:
    assert found(eu_residency, STORAGE, [account(sku, location)]) == []


@pytest.mark.parametrize(
    ("sku", "location", "fragment"),
    [
        ("Standard_GRS", "italynorth", "has no paired region"),  # regions without a pair fail
        ("Standard_RAGRS", "polandcentral", "has no paired region"),
        ("StandardV2_GZRS", "spaincentral", "has no paired region"),
        ("Standard_GRS", "eastus", "its own location cannot be accepted"),
    ],
)
def test_storage_violating(
    eu_residency: PolicyPack, sku: str, location: str, fragment: str
) -> None:
    (message,) = found(eu_residency, STORAGE, [account(sku, location)])
    assert fragment in message


def test_storage_missing_and_unknown(eu_residency: PolicyPack) -> None:
    assert found(eu_residency, STORAGE, [account(None)])
    assert found(eu_residency, STORAGE, [account(UNKNOWN)])
    assert found(eu_residency, STORAGE, [account("Standard_GRS", UNKNOWN)])


def test_storage_location_from_resource_group(eu_residency: PolicyPack) -> None:
    rg = eu_resource(GROUP, "rg", {"resourceGroupName": "rg", "location": "swedencentral"})
    assert found(eu_residency, STORAGE, [rg, account("Standard_GRS", None)]) == []
    eu_residency.configure({STORAGE: {"allowedLocations": ["swedencentral"]}})
    (message,) = found(eu_residency, STORAGE, [rg, account("Standard_GRS", None)])
    assert "'swedensouth'" in message


def test_storage_config_override(eu_residency: PolicyPack) -> None:
    eu_residency.configure({STORAGE: {"allowedLocations": ["northeurope"]}})
    (message,) = found(eu_residency, STORAGE, [account("Standard_GRS", "northeurope")])
    assert "pair 'westeurope', which is not allowed" in message
    eu_residency.configure({STORAGE: {"regionPairs": {"italynorth": "northeurope"}}})
    assert found(eu_residency, STORAGE, [account("Standard_GRS", "italynorth")]) == []


def database(location: Any = "northeurope", **props: Any) -> AnalyzedResource:
    base: dict[str, Any] = {"resourceGroupName": "rg", "serverName": "sql"}
    if location is not None:
        base["location"] = location
    return eu_resource("azure-native:sql:Database", "db", {**base, **props})


def test_sql_backups(eu_residency: PolicyPack) -> None:
    assert found(eu_residency, SQL, [database()]) == []  # unset = Geo; northeurope's pair allowed
    assert (
        found(eu_residency, SQL, [database("italynorth", requestedBackupStorageRedundancy="Local")])
        == []
    )
    (message,) = found(eu_residency, SQL, [database("italynorth")])  # unset = Geo, no pair
    assert "Azure's default is Geo" in message
    assert found(
        eu_residency, SQL, [database("austriaeast", requestedBackupStorageRedundancy="GeoZone")]
    )
    assert found(eu_residency, SQL, [database(requestedBackupStorageRedundancy=UNKNOWN)])
    assert found(eu_residency, SQL, [database(None)])  # no location and no resource group in stack
    eu_residency.configure({SQL: {"allowedLocations": ["northeurope"]}})
    assert found(eu_residency, SQL, [database()])


def vault(location: Any = "norwayeast", settings: Any = None) -> AnalyzedResource:
    props: dict[str, Any] = {"resourceGroupName": "rg", "location": location}
    if settings is not None:
        props["properties"] = {"redundancySettings": settings}
    return eu_resource("azure-native:recoveryservices:Vault", "vault", props)


def test_recovery_vaults(eu_residency: PolicyPack) -> None:
    assert found(eu_residency, VAULT, [vault()]) == []
    local = {"standardTierStorageRedundancy": "LocallyRedundant"}
    assert found(eu_residency, VAULT, [vault("denmarkeast", local)]) == []
    (message,) = found(eu_residency, VAULT, [vault("denmarkeast")])  # default GeoRedundant
    assert "default GeoRedundant" in message
    restore = {"standardTierStorageRedundancy": "ZoneRedundant", "crossRegionRestore": "Enabled"}
    assert found(eu_residency, VAULT, [vault("belgiumcentral", restore)])
    assert found(eu_residency, VAULT, [vault("northeurope", UNKNOWN)])
    assert found(eu_residency, VAULT, [vault(None)])
    eu_residency.configure({VAULT: {"allowedLocations": ["norwayeast"]}})
    assert found(eu_residency, VAULT, [vault()])


def cosmos(*locations: Any, props: dict[str, Any] | None = None) -> AnalyzedResource:
    body = props if props is not None else {"locations": [{"locationName": n} for n in locations]}
    return eu_resource(
        "azure-native:cosmosdb:DatabaseAccount",
        "cosmos",
        {"resourceGroupName": "rg", "location": "northeurope", **body},
        provider=eu_azure_provider(),
    )


def test_cosmos_locations(eu_residency: PolicyPack) -> None:
    assert found(eu_residency, COSMOS, [cosmos("North Europe", "westeurope")]) == []
    (message,) = found(eu_residency, COSMOS, [cosmos("northeurope", "westus")])
    assert "locations[1].locationName" in message
    assert found(eu_residency, COSMOS, [cosmos(props={})])  # missing
    assert found(eu_residency, COSMOS, [cosmos(props={"locations": [{"failoverPriority": 0}]})])
    assert found(eu_residency, COSMOS, [cosmos(UNKNOWN)])
    assert found(eu_residency, COSMOS, [cosmos(props={"locations": UNKNOWN})])
    eu_residency.configure({COSMOS: {"allowedLocations": ["northeurope"]}})
    assert found(eu_residency, COSMOS, [cosmos("northeurope", "westeurope")])
