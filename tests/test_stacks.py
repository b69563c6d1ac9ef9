"""The repo's own program on its dev and prod stacks, run as `pulumi up` would, under mocks."""

from __future__ import annotations

import json
import runpy
from pathlib import Path

import pytest

from clover.placement import Placer
from clover.project import load_project, stack_config
from clover.standin.engine import Recording, run_program
from sites.catalog import AWS_REGIONS, AZURE_REGIONS, SITES
from sites.config import ConfigError

ROOT = Path(__file__).resolve().parents[1]
PROJECT = load_project(ROOT)
DATA_STORE_TYPES = {
    "aws:s3/bucket:Bucket",
    "aws:kms/key:Key",
    "azure-native:storage:StorageAccount",
    "azure-native:keyvault:Vault",
    "azure-native:keyvault:Key",
}


def _run(
    stack: str, config: dict[str, str] | None = None, into: Recording | None = None
) -> Recording:
    def program() -> None:
        runpy.run_path(str(PROJECT.main), run_name="__main__")

    return run_program(
        program,
        project=PROJECT.name,
        stack=stack,
        config=config if config is not None else stack_config(PROJECT, stack),
        preview=False,
        into=into,
    )


@pytest.fixture(scope="module", params=["dev", "prod"])
def stack(request: pytest.FixtureRequest) -> tuple[str, Recording]:
    return request.param, _run(request.param)


def test_every_resource_uses_an_explicit_provider_of_its_site(stack: tuple[str, Recording]) -> None:
    name, recording = stack
    config = stack_config(PROJECT, name)
    placer = Placer(recording, config)
    for resource in recording.resources:
        if resource.is_provider or not resource.custom:
            continue
        provider = recording.provider_of(resource)
        assert provider is not None, f"{resource.urn} uses a default provider"
        site = provider.name.split("-")[0]
        assert site in SITES, f"{resource.urn}: provider {provider.name} names no site"
        placed = placer.place(resource)
        if placed.region is not None:
            assert placed.region == provider.inputs["region"], resource.urn
            region = AWS_REGIONS[placed.region]
            expected_country = SITES[site].country if site == "dublin" else "SE"
            assert region.country == expected_country, resource.urn
        if placed.location is not None:
            location = resource.inputs.get("location", placed.location)
            if location == "global":
                # Private DNS zones and links, and the Azure Monitor private link scope, are
                # global by Azure's rule; each holds names or links, no data.
                assert resource.type.startswith(
                    ("azure-native:privatedns:", "azure-native:monitor:PrivateLinkScope")
                ), resource.urn
                continue
            assert location == provider.inputs["location"], resource.urn
            assert AZURE_REGIONS[location].country == SITES[site].country, resource.urn


def test_providers_are_built_from_the_catalog(stack: tuple[str, Recording]) -> None:
    name, recording = stack
    regions = {
        p.name: p.inputs.get("region") or p.inputs.get("location")
        for p in recording.resources
        if p.is_provider
    }
    expected = {
        "dublin-aws": "eu-west-1",
        "dublin-azure": "northeurope",
        "hamar-azure": "norwayeast",
    }
    if name == "prod":
        expected["hamar-aws"] = "eu-north-1"
    assert regions == expected


def test_data_stores_are_protected_in_prod_only(stack: tuple[str, Recording]) -> None:
    name, recording = stack
    stores = [r for r in recording.resources if r.type in DATA_STORE_TYPES]
    assert stores
    for store in stores:
        assert store.protect is (name == "prod"), store.urn
    for bucket in recording.of_type("aws:s3/bucket:Bucket"):
        assert bucket.retain_on_delete, bucket.urn


def test_placement_export_says_when_data_leaves_the_country(stack: tuple[str, Recording]) -> None:
    name, recording = stack
    placements = recording.outputs["placements"]
    hamar_aws = [p for p in placements if p["site"] == "hamar" and p["cloud"] == "aws"]
    if name == "dev":
        assert hamar_aws == []
        return
    (entry,) = hamar_aws
    assert entry["region"] == "eu-north-1"
    assert entry["country"] == "SE"
    assert entry["in_site_country"] is False
    assert "outside NO" in entry["description"]
    for other in placements:
        if other is not entry:
            assert other["in_site_country"] is True, other


def test_cross_site_backups_are_wired(stack: tuple[str, Recording]) -> None:
    name, recording = stack
    assert recording.of_type("azure-native:storage:ObjectReplicationPolicy")
    replication = recording.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    assert bool(replication) is (name == "prod")


@pytest.mark.parametrize(
    ("mutate", "key"),
    [
        (lambda s: s.update(paris={}), "clover:sites.paris"),
        (lambda s: s["dublin"]["aws"].update(region="us-east-1"), "clover:sites.dublin.aws.region"),
        (
            lambda s: s["dublin"]["aws"].update(vpcCidr="10.0.0.0/33"),
            "clover:sites.dublin.aws.vpcCidr",
        ),
        (
            lambda s: s["hamar"]["azure"].update(vnetCidr="10.10.0.0/24"),
            "clover:sites.hamar.azure.vnetCidr",
        ),
        (lambda s: s["dublin"]["aws"].pop("gatewayPrincipals"), "clover:sites.dublin.aws"),
        (
            lambda s: s["hamar"]["azure"].update(gatewayPrincipalIds=["bob"]),
            "clover:sites.hamar.azure.gatewayPrincipalIds[0]",
        ),
    ],
)
def test_bad_config_registers_nothing(mutate: object, key: str) -> None:
    config = stack_config(PROJECT, "dev")
    sites = json.loads(config["clover:sites"])
    assert callable(mutate)
    mutate(sites)
    config["clover:sites"] = json.dumps(sites)
    recording = Recording(project=PROJECT.name, stack="dev")
    with pytest.raises(ConfigError) as caught:
        _run("dev", config, into=recording)
    assert key in str(caught.value)
    assert recording.resources == []
