"""The placement the offline check shows for aws-native and classic Azure resources."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from clover.__main__ import main
from clover.placement import Placer
from clover.standin.engine import UNKNOWN, RecordedResource

ROOT = Path(__file__).resolve().parents[1]
RESIDENCY = ROOT / "policy_packs" / "eu_residency"


def recorded(
    type_: str, name: str, inputs: dict[str, Any], provider: RecordedResource | None = None
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
    assert placed.country is None  # the catalog knows European regions only


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
