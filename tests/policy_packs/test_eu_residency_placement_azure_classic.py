"""Classic Azure (pulumi-azure) placement over the analyzer protocol, and its lists vs. the SDK."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from clover.analyzer import UNKNOWN, AnalyzedResource, PolicyPack, ProviderRef
from tests.modules import module_from_file
from tests.policy_packs.conftest import EU_RESIDENCY_DIR, eu_only, eu_resource, eu_urn

RULE = "azure-resource-location-allowed"
INHERITED = "azure-resource-inherited-location-allowed"
GEO = "azure-storage-account-geo-replication-pair-allowed"
ACCOUNT = "azure:storage/account:Account"
GROUP = "azure:core/resourceGroup:ResourceGroup"
CONTAINER = "azure:storage/container:Container"

PROVIDER = ProviderRef(
    type="pulumi:providers:azure",
    name="default",
    urn=eu_urn("pulumi:providers:azure", "default"),
    properties={},
)


def resource(
    resource_type: str,
    name: str,
    props: dict[str, Any],
    deps: dict[str, tuple[str, ...]] | None = None,
) -> AnalyzedResource:
    return eu_resource(resource_type, name, props, provider=PROVIDER, property_dependencies=deps)


def account(location: Any = "westeurope", name: str = "account", **extra: Any) -> AnalyzedResource:
    props: dict[str, Any] = {
        "resourceGroupName": "rg",
        "accountTier": "Standard",
        "accountReplicationType": "LRS",
        **extra,
    }
    if location is not None:
        props["location"] = location
    return resource(ACCOUNT, name, props)


def group(location: Any, name: str = "rg", *, logical: str = "rg") -> AnalyzedResource:
    props: dict[str, Any] = {"name": name}
    if location is not None:
        props["location"] = location
    return resource(GROUP, logical, props)


def analyze(pack: PolicyPack, item: AnalyzedResource) -> list[str]:
    found = eu_only(pack.analyze(item), RULE)
    for d in found:
        assert d.enforcement_level == "mandatory"
        assert d.severity == "critical"
        assert item.urn in d.message
    return [d.message for d in found]


def stack(pack: PolicyPack, items: list[AnalyzedResource], policy: str = INHERITED) -> list[str]:
    found = eu_only(pack.analyze_stack(items), policy)
    for d in found:
        assert d.enforcement_level == "mandatory"
        assert d.urn in d.message
    return [d.message for d in found]


@pytest.mark.parametrize(
    "location", ["westeurope", "West Europe", "North Europe", "NorwayEast", "swedencentral"]
)
def test_compliant(eu_residency: PolicyPack, location: str) -> None:
    assert analyze(eu_residency, account(location)) == []


@pytest.mark.parametrize(
    ("location", "fragment"),
    [
        ("East US", "'East US' is not allowed"),
        ("eastus", "'eastus' is not allowed"),
        ("UK South", "'UK South' is not allowed"),
        ("switzerlandnorth", "not allowed"),
        ("west-europe", "not an Azure location name"),
        ("West\u00a0Europe", "not an Azure location name"),  # a no-break space
        ("w\u0435steurope", "not an Azure location name"),  # Cyrillic e
        (["westeurope"], "not a location name"),
    ],
)
def test_violating(eu_residency: PolicyPack, location: Any, fragment: str) -> None:
    (message,) = analyze(eu_residency, account(location))
    assert fragment in message
    assert "allowed locations: austriaeast" in message


def test_unknown_location_stays_mandatory(eu_residency: PolicyPack) -> None:
    (message,) = analyze(eu_residency, account(UNKNOWN))
    assert "not known until apply" in message


def test_resource_groups_are_checked(eu_residency: PolicyPack) -> None:
    assert analyze(eu_residency, group("East US"))
    assert analyze(eu_residency, group("northeurope")) == []
    (message,) = analyze(eu_residency, group(None))
    assert "no location is set" in message


def test_missing_location_is_deferred_to_the_stack_rule(eu_residency: PolicyPack) -> None:
    assert analyze(eu_residency, account(None)) == []


def test_missing_location_without_a_group_fails_closed(eu_residency: PolicyPack) -> None:
    policy = resource(
        "azure:core/subscriptionPolicyAssignment:SubscriptionPolicyAssignment", "p", {}
    )
    (message,) = analyze(eu_residency, policy)
    assert "no resourceGroupName" in message


def test_global_location(eu_residency: PolicyPack) -> None:
    alerts = resource(
        "azure:monitoring/actionGroup:ActionGroup",
        "ag",
        {"location": "global", "resourceGroupName": "rg"},
    )
    assert analyze(eu_residency, alerts) == []
    (message,) = analyze(eu_residency, account("global"))
    assert "globalTypes" in message


def test_config_overrides(eu_residency: PolicyPack) -> None:
    eu_residency.configure({RULE: {"allowedLocations": ["West Europe"], "globalTypes": []}})
    assert analyze(eu_residency, account("westeurope")) == []
    (message,) = analyze(eu_residency, account("northeurope"))
    assert "allowed locations: westeurope." in message
    alerts = resource("azure:monitoring/actionGroup:ActionGroup", "ag", {"location": "global"})
    assert analyze(eu_residency, alerts)


def test_pack_wide_allow_list_narrows_this_rule(eu_residency: PolicyPack) -> None:
    eu_residency.configure(
        {"azure-native-resource-location-allowed": {"allowedLocations": ["northeurope"]}}
    )
    (message,) = analyze(eu_residency, account("westeurope"))
    assert "allowed locations: northeurope." in message


def test_other_packages_are_ignored(eu_residency: PolicyPack) -> None:
    native = eu_resource("azure-native:storage:StorageAccount", "n", {"location": "West Europe"})
    assert eu_only(eu_residency.analyze(native), RULE) == []
    assert eu_only(eu_residency.analyze(resource("random:index:RandomId", "x", {})), RULE) == []


# -- the stack rule: the resource group's location, and storage data in its account ----------


def test_inherits_an_allowed_group_location(eu_residency: PolicyPack) -> None:
    assert stack(eu_residency, [group("West Europe"), account(None)]) == []
    # ARM names are case-insensitive.
    assert stack(eu_residency, [group("northeurope", name="RG"), account(None)]) == []


def test_inherits_a_disallowed_group_location(eu_residency: PolicyPack) -> None:
    item = account(None)
    (message,) = stack(eu_residency, [group("East US"), item])
    assert f"{item.urn}: " in message
    assert "'East US' is not allowed" in message
    assert "inherited from its resource group" in message


def test_group_found_by_property_dependency(eu_residency: PolicyPack) -> None:
    rg = group("eastus", name=UNKNOWN)
    item = resource(ACCOUNT, "a", {"resourceGroupName": UNKNOWN}, {"resourceGroupName": (rg.urn,)})
    assert stack(eu_residency, [rg, item])
    ok = group("westeurope", name=UNKNOWN)
    item = resource(ACCOUNT, "a", {"resourceGroupName": UNKNOWN}, {"resourceGroupName": (ok.urn,)})
    assert stack(eu_residency, [ok, item]) == []


@pytest.mark.parametrize(
    ("group_name", "fragment"),
    [("rg-external", "not managed in this stack"), (UNKNOWN, "not known until apply")],
)
def test_unresolved_group_fails_closed(
    eu_residency: PolicyPack, group_name: str, fragment: str
) -> None:
    item = resource(ACCOUNT, "a", {"resourceGroupName": group_name})
    (message,) = stack(eu_residency, [group("westeurope"), item])
    assert fragment in message


def test_container_is_placed_by_its_account(eu_residency: PolicyPack) -> None:
    us = account("East US", name="us")
    eu = account("westeurope", name="eu")
    in_us = resource(CONTAINER, "c", {"storageAccountId": UNKNOWN}, {"storageAccountId": (us.urn,)})
    in_eu = resource(CONTAINER, "c", {"storageAccountId": UNKNOWN}, {"storageAccountId": (eu.urn,)})
    (message,) = stack(eu_residency, [us, in_us])
    assert f"{in_us.urn}: " in message
    assert f"placed in its storage account {us.urn}" in message
    assert stack(eu_residency, [eu, in_eu]) == []


def test_container_found_by_account_id_or_name(eu_residency: PolicyPack) -> None:
    eu = account("westeurope", name="eu")
    arm_id = "/subscriptions/0/resourceGroups/rg/providers/Microsoft.Storage/storageAccounts/eu"
    assert stack(eu_residency, [eu, resource(CONTAINER, "c", {"storageAccountId": arm_id})]) == []
    assert stack(eu_residency, [eu, resource(CONTAINER, "c", {"storageAccountName": "EU"})]) == []


def test_container_account_inherits_the_group_location(eu_residency: PolicyPack) -> None:
    item = resource(CONTAINER, "c", {"storageAccountName": "account"})
    messages = stack(eu_residency, [group("eastus"), account(None), item])
    assert any(f"{item.urn}: " in m and "inherited from its resource group" in m for m in messages)


@pytest.mark.parametrize(
    "props",
    [
        {"storageAccountName": "elsewhere"},
        {"storageAccountId": UNKNOWN},
        {},
    ],
)
def test_container_outside_the_stack_fails_closed(
    eu_residency: PolicyPack, props: dict[str, Any]
) -> None:
    (message,) = stack(eu_residency, [account("westeurope"), resource(CONTAINER, "c", props)])
    assert "storage account" in message


@pytest.mark.parametrize(
    "resource_type",
    [
        "azure:authorization/assignment:Assignment",
        "azure:dns/zone:Zone",
        "azure:network/subnet:Subnet",
    ],
)
def test_types_without_location_are_placed_by_their_parent(
    eu_residency: PolicyPack, resource_type: str
) -> None:
    item = resource(resource_type, "x", {"resourceGroupName": "rg-elsewhere"})
    found = eu_residency.preview([item])
    assert eu_only(found, RULE) == []
    assert eu_only(found, INHERITED) == []


# -- geo-redundant replication ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "location"),
    [
        ("LRS", "italynorth"),
        ("ZRS", "polandcentral"),
        ("GRS", "North Europe"),
        ("RAGZRS", "westeurope"),
    ],
)
def test_geo_compliant(eu_residency: PolicyPack, kind: str, location: str) -> None:
    assert stack(eu_residency, [account(location, accountReplicationType=kind)], GEO) == []


@pytest.mark.parametrize(
    ("kind", "location", "fragment"),
    [
        ("GRS", "italynorth", "has no paired region"),
        ("RAGRS", "polandcentral", "has no paired region"),
        ("GZRS", "eastus", "its own location cannot be accepted"),
        ("LRS ", "westeurope", "copies are not known"),
        (UNKNOWN, "westeurope", "copies are not known"),
        (None, "westeurope", "copies are not known"),
    ],
)
def test_geo_violating(eu_residency: PolicyPack, kind: Any, location: str, fragment: str) -> None:
    item = account(location)
    props = dict(item.properties)
    props.pop("accountReplicationType")
    if kind is not None:
        props["accountReplicationType"] = kind
    (message,) = stack(eu_residency, [resource(ACCOUNT, "account", props)], GEO)
    assert fragment in message


def test_geo_pair_of_an_inherited_location(eu_residency: PolicyPack) -> None:
    items = [group("swedencentral"), account(None, accountReplicationType="GRS")]
    assert stack(eu_residency, items, GEO) == []
    eu_residency.configure({GEO: {"allowedLocations": ["swedencentral"]}})
    (message,) = stack(eu_residency, items, GEO)
    assert "'swedensouth'" in message


# -- the reviewed lists, kept true against the installed pulumi_azure -------------------------


def _resource_modules() -> dict[str, tuple[str, str]]:
    init = Path(importlib.import_module("pulumi_azure").__file__ or "").read_text(encoding="utf-8")
    match = re.search(r'resource_modules="""(.*?)"""', init, re.S)
    assert match, "pulumi_azure no longer registers its resource modules this way"
    return {
        token: (entry["fqn"], name)
        for entry in json.loads(match.group(1))
        for token, name in entry["classes"].items()
    }


def _takes(token: str, tokens: dict[str, tuple[str, str]], argument: str) -> bool:
    """As clover/standin/provider_defaults.py ``takes_argument``: the class's init parameters."""
    fqn, name = tokens[token]
    init = getattr(importlib.import_module(fqn), name)._internal_init
    return argument in inspect.signature(init).parameters


def test_location_types_data_is_current() -> None:
    tool = module_from_file(
        "generate_azure_classic_location_types",
        EU_RESIDENCY_DIR / "tools" / "generate_azure_classic_location_types.py",
    )
    root = Path(importlib.import_module("pulumi_azure").__file__ or "").parent
    with_location, without = tool.scan(root)
    assert len(with_location) > 300
    assert len(without) > 500
    committed = json.loads((EU_RESIDENCY_DIR / "azure_classic_location_types.json").read_text())
    assert committed["typesWithLocation"] == with_location, (
        "rerun tools/generate_azure_classic_location_types.py"
    )
    tokens = _resource_modules()
    for token in (ACCOUNT, GROUP, "azure:monitoring/actionGroup:ActionGroup"):
        assert token in with_location, token
        assert _takes(token, tokens, "location"), token
    assert CONTAINER in without
    assert not _takes(CONTAINER, tokens, "location")


def test_reviewed_lists_match_the_sdk(eu_residency_modules: dict[str, ModuleType]) -> None:
    rule = eu_residency_modules["placement_azure_classic"]
    tokens = _resource_modules()
    for token in [*rule.LOCATIONLESS_GLOBAL, *rule.STORAGE_CHILDREN]:
        assert token in tokens, token
        assert not _takes(token, tokens, "location"), token
    for token, keys in rule.STORAGE_CHILDREN.items():
        for key in keys:
            snake = re.sub(r"(?<!^)(?=[A-Z])", "_", key).lower()
            assert _takes(token, tokens, snake), (token, key)
    for token in rule.GLOBAL_TYPES_DEFAULT:
        assert token in rule.LOCATION_TYPES, token
    for token in (rule.RESOURCE_GROUP, rule.STORAGE_ACCOUNT):
        assert _takes(token, tokens, "location"), token
        assert _takes(token, tokens, "name"), token
    assert _takes(rule.STORAGE_ACCOUNT, tokens, "account_replication_type")
    # The classic provider has no location of its own: nothing but the resource group places.
    assert (
        "location"
        not in inspect.signature(
            importlib.import_module("pulumi_azure").Provider._internal_init
        ).parameters
    )


def test_every_storage_type_naming_an_account_is_reviewed(
    eu_residency_modules: dict[str, ModuleType],
) -> None:
    """A new pulumi-azure storage type that keeps data in an account must be reviewed here."""
    rule = eu_residency_modules["placement_azure_classic"]
    tokens = _resource_modules()
    data_words = ("blob", "container", "queue", "share", "table", "filesystem", "path")
    candidates = {
        t
        for t in tokens
        if t.startswith("azure:storage/")
        and t not in rule.LOCATION_TYPES
        and any(w in t.split(":")[2].lower() for w in data_words)
        and (_takes(t, tokens, "storage_account_id") or _takes(t, tokens, "storage_account_name"))
    }
    # Account-wide settings (inventory rules, queue and table service properties), not data.
    reviewed_settings = {
        "azure:storage/accountQueueProperties:AccountQueueProperties",
        "azure:storage/accountTableProperties:AccountTableProperties",
        "azure:storage/blobInventoryPolicy:BlobInventoryPolicy",
    }
    assert candidates - set(rule.STORAGE_CHILDREN) - reviewed_settings == set()


# -- the data-flow rule sees classic placements ----------------------------------------------

FLOW = "data-flow-destination-allowed"


def test_data_flow_to_an_in_stack_account_follows_its_location(eu_residency: PolicyPack) -> None:
    for location, blocked in (("westeurope", False), ("East US", True)):
        target = account(location, name="target")
        item = resource(
            CONTAINER, "c", {"storageAccountId": UNKNOWN}, {"storageAccountId": (target.urn,)}
        )
        proofs = {item.urn: {"storageAccountId": f"{target.urn}#id"}}
        eu_residency.configure({FLOW: {"provenOutputs": proofs}})
        messages = [d.message for d in eu_only(eu_residency.preview([target, item]), FLOW)]
        assert bool(messages) == blocked, (location, messages)


# -- through the check, with programs ---------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]


def _check(capsys: pytest.CaptureFixture[str], program: Path) -> tuple[int, dict[str, Any]]:
    from clover.__main__ import main

    code = main(
        [
            "check",
            "--cwd",
            str(program),
            "--stack",
            "test",
            "--policy-pack",
            str(EU_RESIDENCY_DIR),
            "--format",
            "json",
        ]
    )
    return code, json.loads(capsys.readouterr().out)


def test_misplaced_program_is_blocked(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = _check(capsys, ROOT / "tests/data/programs/azure-classic-storage-eastus")
    assert code == 1
    blocked = {(d["policy"], d["urn"].rsplit("::", 1)[1]) for d in report["diagnostics"]}
    assert (RULE, "exports") in blocked
    assert (INHERITED, "reports") in blocked  # the container lives in the East US account


def test_clean_program_passes(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = _check(capsys, ROOT / "tests/data/clean_programs/azure-classic-clean")
    assert code == 0, report["diagnostics"]
    assert {r["name"] for r in report["resources"]} >= {"data", "records", "reports", "net"}
