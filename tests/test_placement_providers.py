"""The placement the offline check shows for aws-native, classic Azure and Google Cloud."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from clover import facts
from clover.__main__ import main
from clover.placement import (
    GCP_DEFAULT_LOCATIONS,
    Placer,
    gcp_country,
    gcp_placement_arguments,
    normalise_gcp_location,
)
from clover.standin.engine import UNKNOWN
from clover.standin.recorded import RecordedResource

ROOT = Path(__file__).resolve().parents[1]
RESIDENCY = ROOT / "policy_packs" / "eu_residency"
PROGRAMS = ROOT / "tests" / "data" / "programs"
CLEAN = ROOT / "tests" / "data" / "clean_programs"


def recorded(
    type_: str,
    name: str,
    inputs: dict[str, Any],
    provider: RecordedResource | None = None,
    proofs: dict[str, str] | None = None,
) -> RecordedResource:
    return RecordedResource(
        urn=f"urn:pulumi:test::p::{type_}::{name}",
        type=type_,
        name=name,
        custom=True,
        inputs=inputs,
        provider=f"{provider.urn}::id" if provider is not None else None,
        parent=None,
        protect=False,
        retain_on_delete=False,
        dependencies=(),
        property_dependencies={},
        id=None,
        proofs=proofs or {},
    )


def place(resource: RecordedResource, *others: RecordedResource, **config: str) -> Any:
    placer = Placer(None, {k.replace("__", ":"): v for k, v in config.items()})
    for other in (*others, resource):
        placer.add(other)
    return placer.place(resource)


def test_aws_native_shows_the_default_provider_region() -> None:
    bucket = recorded("aws-native:s3:Bucket", "b", {})
    placed = place(bucket, **{"aws-native__region": "eu-west-1"})
    assert (placed.region, placed.location, placed.country) == ("eu-west-1", None, "IE")
    # What the packs are sent stays as the program gave it: the type takes no region.
    assert "region" not in placed.properties


def test_aws_native_shows_an_explicit_provider_region() -> None:
    virginia = recorded("pulumi:providers:aws-native", "virginia", {"region": "us-east-1"})
    placed = place(recorded("aws-native:s3:Bucket", "b", {}, virginia), virginia)
    assert placed.region == "us-east-1"
    assert placed.country is None  # the facts know European regions only


@pytest.mark.parametrize("config", [{}, {"aws-native__region": ""}])
def test_aws_native_without_a_region_is_unknown(config: dict[str, str]) -> None:
    assert place(recorded("aws-native:s3:Bucket", "b", {}), **config).region == UNKNOWN


def test_sns_subscription_shows_its_topic_region() -> None:
    sub = recorded("aws-native:sns:Subscription", "s", {"region": "eu-north-1"})
    assert place(sub, **{"aws-native__region": "eu-west-1"}).region == "eu-north-1"


@pytest.mark.parametrize(
    ("given", "shown"), [("West Europe", "westeurope"), ("eastus", "eastus"), (UNKNOWN, UNKNOWN)]
)
def test_classic_azure_shows_its_own_location_normalised(given: str, shown: str) -> None:
    placed = place(recorded("azure:storage/account:Account", "a", {"location": given}))
    assert (placed.region, placed.location) == (None, shown)
    assert placed.properties["location"] == given


def test_classic_azure_without_a_location_shows_none() -> None:
    assert place(recorded("azure:storage/container:Container", "c", {})).location is None


def test_the_check_lists_both_providers_with_their_placement(
    capsys: pytest.CaptureFixture[str],
) -> None:
    shown = {}
    for program in ("azure-classic-storage-eastus", "aws-native-bucket-us-east-1"):
        main(
            [
                "check",
                "--cwd",
                str(ROOT / "tests" / "data" / "programs" / program),
                "--stack",
                "test",
                "--policy-pack",
                str(RESIDENCY),
                "--format",
                "json",
            ]
        )
        for r in json.loads(capsys.readouterr().out)["resources"]:
            shown[r["name"]] = (r["region"], r["location"], r["country"])
    assert shown["exports"] == (None, "eastus", None)
    assert shown["data"] == (None, "westeurope", "NL")
    assert shown["customer-exports"] == ("us-east-1", None, None)
    assert shown["eu-exports"] == ("eu-west-1", None, "IE")


def test_azure_native_takes_its_resource_group_s_location_whatever_the_case() -> None:
    """ARM resource-group names are case-insensitive, and the residency pack matches them so."""
    group = recorded(
        "azure-native:resources:ResourceGroup",
        "data",
        {"resourceGroupName": "rg-Data", "location": "westeurope"},
    )
    account = recorded(
        "azure-native:storage:StorageAccount", "records", {"resourceGroupName": "RG-DATA"}
    )
    placed = place(account, group)
    assert (placed.location, placed.country) == ("westeurope", "NL")


# -- classic Azure: a location from the resource group ---------------------------------------------

CLASSIC_GROUP = "azure:core/resourceGroup:ResourceGroup"
CLASSIC_ACCOUNT = "azure:storage/account:Account"


def test_classic_azure_takes_its_resource_group_s_location_by_name() -> None:
    group = recorded(CLASSIC_GROUP, "data", {"name": "rg-data", "location": "West Europe"})
    # ARM names are case-insensitive; the provider reads the group's location from Azure.
    account = recorded(CLASSIC_ACCOUNT, "records", {"resourceGroupName": "RG-Data"})
    placed = place(account, group)
    assert (placed.location, placed.country) == ("westeurope", "NL")
    assert "location" not in placed.properties  # what the packs are sent is unchanged


def test_a_classic_group_without_a_location_takes_the_stack_s_azure_location() -> None:
    # pulumi-azure defaults azurerm_resource_group's location from the provider's `location`
    # (the stack's azure:location for the default provider), and the engine sends it.
    group = recorded(CLASSIC_GROUP, "data", {"name": "rg-data"})
    placed = place(group, azure__location="North Europe")
    assert (placed.location, placed.country) == ("northeurope", "IE")
    assert placed.properties["location"] == "northeurope"
    account = recorded(CLASSIC_ACCOUNT, "records", {"resourceGroupName": "rg-data"})
    assert place(account, group, azure__location="northeurope").location == "northeurope"


def test_a_classic_group_under_an_explicit_provider_does_not_take_the_stack_s_location() -> None:
    # `location` is provider configuration of the default provider only (pulumi-azure's
    # Provider takes no `location` argument): an explicit provider's groups must name their own.
    explicit = recorded("pulumi:providers:azure", "explicit", {"features": "{}"})
    group = recorded(CLASSIC_GROUP, "data", {"name": "rg-data"}, explicit)
    assert place(group, explicit, azure__location="northeurope").location == UNKNOWN


def test_a_classic_group_without_any_location_is_unknown() -> None:
    placed = place(recorded(CLASSIC_GROUP, "data", {"name": "rg-data"}))
    assert (placed.location, placed.properties["location"]) == (UNKNOWN, UNKNOWN)
    # Only the group takes the provider's location; other types inherit the group's.
    account = recorded(CLASSIC_ACCOUNT, "records", {"resourceGroupName": "elsewhere"})
    assert place(account, azure__location="northeurope").location == UNKNOWN


def test_classic_azure_takes_the_group_its_name_output_is() -> None:
    group = recorded(CLASSIC_GROUP, "data", {"location": "swedencentral"})
    account = recorded(
        CLASSIC_ACCOUNT,
        "records",
        {"resourceGroupName": UNKNOWN},
        proofs={"resourceGroupName": f"{group.urn}#name"},
    )
    assert place(account, group).location == "swedencentral"


@pytest.mark.parametrize(
    ("inputs", "proofs"),
    [
        ({"resourceGroupName": "rg-elsewhere"}, {}),  # not in this stack: read from Azure
        ({"resourceGroupName": UNKNOWN}, {}),  # computed from something else
        ({}, {}),  # no group at all
    ],
)
def test_classic_azure_without_a_provable_group_is_unknown(
    inputs: dict[str, Any], proofs: dict[str, str]
) -> None:
    group = recorded(CLASSIC_GROUP, "data", {"name": "rg-data", "location": "westeurope"})
    account = recorded(CLASSIC_ACCOUNT, "records", inputs, proofs=proofs)
    placed = place(account, group)
    assert (placed.location, placed.country) == (UNKNOWN, None)


def test_classic_azure_group_id_output_is_no_name() -> None:
    group = recorded(CLASSIC_GROUP, "data", {"location": "westeurope"})
    account = recorded(
        CLASSIC_ACCOUNT,
        "records",
        {"resourceGroupName": UNKNOWN},
        proofs={"resourceGroupName": f"{group.urn}#id"},
    )
    assert place(account, group).location == UNKNOWN


# -- Google Cloud ------------------------------------------------------------------------------

BUCKET = "gcp:storage/bucket:Bucket"
DATASET = "gcp:bigquery/dataset:Dataset"
INSTANCE = "gcp:compute/instance:Instance"
SUBNET = "gcp:compute/subnetwork:Subnetwork"


@pytest.mark.parametrize(
    ("given", "shown", "country"),
    [
        ("europe-west1", "europe-west1", "BE"),
        ("EUROPE-NORTH1", "europe-north1", "FI"),
        ("eu", "EU", "EU multi-region"),
        ("US", "US", "US multi-region"),
        ("eur4", "EUR4", "FI, NL"),
        ("us-central1", "us-central1", None),  # the facts know European regions only
        (UNKNOWN, UNKNOWN, None),
    ],
)
def test_gcp_shows_its_own_location(given: str, shown: str, country: str | None) -> None:
    placed = place(recorded(BUCKET, "b", {"location": given}), gcp__region="europe-west4")
    assert (placed.region, placed.location, placed.gcp_location) == (None, None, shown)
    assert (placed.place, placed.country) == (shown, country)
    assert placed.properties == {"location": given}  # the pack reads it itself


def test_a_zone_is_in_its_region_s_country() -> None:
    placed = place(recorded(INSTANCE, "vm", {"zone": "europe-west4-a"}))
    assert (placed.gcp_location, placed.country) == ("europe-west4-a", "NL")


def test_gcp_without_its_own_takes_the_default_provider_s_region() -> None:
    placed = place(
        recorded(SUBNET, "s", {}), gcp__region="europe-west1", gcp__zone="europe-west3-b"
    )
    assert (placed.gcp_location, placed.country) == ("europe-west1", "BE")


def test_a_zonal_type_takes_the_provider_s_zone_first() -> None:
    frankfurt = recorded(
        "pulumi:providers:gcp", "frankfurt", {"region": "europe-west1", "zone": "europe-west3-b"}
    )
    placed = place(recorded(INSTANCE, "vm", {}, frankfurt), frankfurt)
    assert (placed.gcp_location, placed.country) == ("europe-west3-b", "DE")
    # With only a region the zonal type is still placed in that region.
    warsaw = recorded("pulumi:providers:gcp", "warsaw", {"region": "europe-central2"})
    assert place(recorded(INSTANCE, "vm", {}, warsaw), warsaw).gcp_location == "europe-central2"


def test_an_explicit_provider_replaces_the_stack_config() -> None:
    iowa = recorded("pulumi:providers:gcp", "iowa", {"region": "us-central1"})
    placed = place(recorded(SUBNET, "s", {}, iowa), iowa, gcp__region="europe-west1")
    assert placed.gcp_location == "us-central1"


def test_a_dataset_without_a_location_is_in_the_us_whatever_the_provider_says() -> None:
    placed = place(recorded(DATASET, "d", {"datasetId": "d"}), gcp__region="europe-west1")
    assert (placed.gcp_location, placed.country) == ("US", "US multi-region")


@pytest.mark.parametrize("config", [{}, {"gcp__region": ""}])
def test_gcp_without_any_region_is_unknown(config: dict[str, str]) -> None:
    assert place(recorded(SUBNET, "s", {}), **config).gcp_location == UNKNOWN


def test_a_provider_region_unknown_at_preview_is_unknown() -> None:
    later = recorded("pulumi:providers:gcp", "later", {"region": UNKNOWN})
    assert place(recorded(SUBNET, "s", {}, later), later).gcp_location == UNKNOWN


def test_a_gcp_type_placed_by_a_nested_field_has_no_place_of_its_own() -> None:
    # Pub/Sub topics are placed by messageStoragePolicy, which the residency pack reads.
    placed = place(recorded("gcp:pubsub/topic:Topic", "t", {}), gcp__region="europe-west1")
    assert (placed.gcp_location, placed.place) == (None, None)


def test_the_placement_tables_are_the_residency_pack_s() -> None:
    arguments = json.loads((RESIDENCY / "gcp_placement_types.json").read_text())
    assert gcp_placement_arguments() == {
        t: tuple(a) for t, a in arguments["placementArguments"].items()
    }
    source = (RESIDENCY / "placement_gcp.py").read_text()
    for type_, default in GCP_DEFAULT_LOCATIONS.items():
        assert f'"{type_}": "{default}"' in source


# -- GCP locations as the report and the outputs show them ---------------------------------------


@pytest.mark.parametrize("value", ["europe\u2010west1", "e\u212au", "../eu", "eu west"])
def test_a_gcp_location_look_alike_is_in_no_list(value: str) -> None:
    # A non-ASCII hyphen, KELVIN SIGN (lowered to "k"), a path, a space: never a location.
    shown = normalise_gcp_location(value)
    assert shown == value
    assert gcp_country(shown) is None
    assert shown.lower() not in facts.EEA_GCP_LOCATIONS


@pytest.mark.parametrize(
    ("value", "shown", "country"),
    [
        ("EUROPE-WEST1", "europe-west1", "BE"),
        ("europe-west4-a", "europe-west4-a", "NL"),
        ("eu", "EU", "EU multi-region"),
        ("europe", "EUROPE", "Europe multi-region"),
        ("eur4", "EUR4", "FI, NL"),
        ("eur5", "EUR5", "BE, GB"),  # the dual-region; London holds a copy
        ("us-central1", "us-central1", None),
    ],
)
def test_gcp_locations_are_written_as_google_writes_them(
    value: str, shown: str, country: str | None
) -> None:
    assert normalise_gcp_location(value) == shown
    assert gcp_country(shown) == country


# -- through the check -------------------------------------------------------------------------


def _check(capsys: pytest.CaptureFixture[str], project: Path, fmt: str) -> tuple[int, str]:
    code = main(
        [
            "check",
            "--cwd",
            str(project),
            "--stack",
            "test",
            "--policy-pack",
            str(RESIDENCY),
            "--format",
            fmt,
            # The text view lists each resource's placement with --table.
            *(["--table"] if fmt == "text" else []),
        ]
    )
    return code, capsys.readouterr().out


def _row(text: str, name: str) -> list[str]:
    line = next(line for line in text.splitlines() if re.match(rf"│ {re.escape(name)} ", line))
    return [cell.strip() for cell in line.strip("│").split("│")]


def test_the_text_table_shows_gcp_places(capsys: pytest.CaptureFixture[str]) -> None:
    code, text = _check(capsys, CLEAN / "gcp-bucket-eu", "text")
    assert code == 0, text
    assert _row(text, "analytics")[2:5] == ["gcp", "europe-west1", "BE"]
    assert _row(text, "eu-exports")[2:5] == ["gcp", "EU", "EU multi-region"]
    code, text = _check(capsys, PROGRAMS / "gcp-bucket-us", "text")
    assert code == 1, text
    assert _row(text, "us-exports")[2:5] == ["gcp", "US", "US multi-region"]


def test_the_json_shows_gcp_places(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _check(capsys, CLEAN / "gcp-bucket-eu", "json")
    assert code == 0
    shown = {r["name"]: r for r in json.loads(out)["resources"]}
    analytics = shown["analytics"]
    assert (analytics["region"], analytics["location"], analytics["country"]) == (
        "europe-west1",
        None,
        "BE",
    )
    assert analytics["assessment"] == "placed"
    assert (shown["eu-exports"]["region"], shown["eu-exports"]["country"]) == (
        "EU",
        "EU multi-region",
    )
    # The provider's European region does not move a dataset without a location.
    code, out = _check(capsys, PROGRAMS / "gcp-bigquery-default-location", "json")
    assert code == 1
    report = json.loads(out)
    (dataset,) = [r for r in report["resources"] if r["type"] == DATASET]
    assert (dataset["region"], dataset["country"]) == ("US", "US multi-region")
    assert [d["urn"] for d in report["diagnostics"]] == [dataset["urn"]]


def test_the_sarif_lists_every_resource_with_its_place(capsys: pytest.CaptureFixture[str]) -> None:
    _, out = _check(capsys, CLEAN / "gcp-bucket-eu", "sarif")
    run = json.loads(out)["runs"][0]
    places = {
        loc["name"]: (loc["properties"]["cloud"], loc["properties"]["place"])
        for loc in run["logicalLocations"]
    }
    assert places == {"analytics": ("gcp", "europe-west1"), "eu-exports": ("gcp", "EU")}
    _, out = _check(capsys, PROGRAMS / "gcp-bucket-us", "sarif")
    run = json.loads(out)["runs"][0]
    (result,) = run["results"]
    (where,) = result["locations"][0]["logicalLocations"]
    resource = run["logicalLocations"][where["index"]]
    assert resource["fullyQualifiedName"] == where["fullyQualifiedName"]
    assert resource["properties"] | {"type": None} == {
        "type": None,
        "cloud": "gcp",
        "place": "US",
        "country": "US multi-region",
        "assessment": "placed",
    }


def test_classic_azure_shows_west_europe_as_westeurope_in_the_netherlands(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, text = _check(capsys, CLEAN / "azure-classic-clean", "text")
    assert code == 0, text
    assert _row(text, "data")[2:5] == ["azure", "westeurope", "NL"]
    # The account has no location of its own: its resource group's.
    assert _row(text, "records")[2:5] == ["azure", "westeurope", "NL"]
    assert _row(text, "net")[2:5] == ["azure", "northeurope", "IE"]
    _, out = _check(capsys, CLEAN / "azure-classic-clean", "json")
    shown = {
        r["name"]: (r["region"], r["location"], r["country"]) for r in json.loads(out)["resources"]
    }
    assert shown["data"] == shown["records"] == (None, "westeurope", "NL")


_CHILD_PROGRAM = """\
import pulumi
import pulumi_gcp as gcp

dataset = gcp.healthcare.Dataset("clinical", name="clinical", location="{location}")
gcp.healthcare.FhirStore("patients", name="patients", dataset={parent}, version="R4")
"""


@pytest.mark.parametrize(
    ("location", "parent", "blocked"),
    [
        # Exactly the dataset's id: the store lives in the dataset, which is judged itself.
        ("europe-west4", "dataset.id", set()),
        ("us-central1", "dataset.id", {"clinical"}),
        # Not exactly an output of the stack: where the store lives is not proven.
        ("europe-west4", "dataset.id.apply(lambda i: i)", {"patients"}),
        # A project places nothing: it is no parent that holds the store somewhere.
        (
            "europe-west4",
            "gcp.organizations.Project('p', name='p', project_id='p').id",
            {"patients"},
        ),
    ],
)
def test_a_gcp_child_is_placed_in_its_parent_of_the_stack(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    location: str,
    parent: str,
    blocked: set[str],
) -> None:
    (tmp_path / "Pulumi.yaml").write_text("name: child\nruntime: python\n", encoding="utf-8")
    (tmp_path / "Pulumi.test.yaml").write_text(
        "config:\n  gcp:project: acme-eu\n  gcp:region: europe-west1\n", encoding="utf-8"
    )
    program = _CHILD_PROGRAM.format(location=location, parent=parent)
    (tmp_path / "__main__.py").write_text(program, encoding="utf-8")
    code, out = _check(capsys, tmp_path, "json")
    found = {
        d["urn"].rsplit("::", 1)[-1]
        for d in json.loads(out)["diagnostics"]
        if d["policy"] == "gcp-resource-location-allowed"
    }
    assert found == blocked, out
    assert code == (1 if blocked else 0)
