"""AzureSite: placement, providers, tags, protection and validation across the whole site."""

from __future__ import annotations

from typing import Any

import pytest

from clover.standin.engine import Recording
from clover.standin.recorded import RecordedResource
from components.site.azure import AzureSiteArgs
from tests.components.azure_helpers import (
    SITE_ARGS,
    TAGS,
    azure_resources,
    one,
    site_program,
)
from tests.conftest import RunProgram

SITE_LOCATION = "northeurope"
GLOBAL_TYPES = {
    "azure-native:privatedns:PrivateZone",
    "azure-native:privatedns:VirtualNetworkLink",
    "azure-native:monitor:PrivateLinkScope",
}
LOCATED_TYPES = {
    "azure-native:resources:ResourceGroup",
    "azure-native:network:VirtualNetwork",
    "azure-native:network:NetworkSecurityGroup",
    "azure-native:network:PrivateEndpoint",
    "azure-native:keyvault:Vault",
    "azure-native:managedidentity:UserAssignedIdentity",
    "azure-native:storage:StorageAccount",
    "azure-native:operationalinsights:Workspace",
    *GLOBAL_TYPES,
}
"""Every type the site registers that takes a ``location`` input."""
TAGGED_TYPES = LOCATED_TYPES | {"azure-native:keyvault:Key"}
"""Every type the site registers that takes ``tags``."""


@pytest.fixture
def site(run: RunProgram) -> Recording:
    return run(site_program())


def test_every_resource_uses_the_explicit_provider(site: Recording) -> None:
    (provider,) = site.of_type("pulumi:providers:azure-native")
    assert provider.inputs["location"] == SITE_LOCATION
    for resource in azure_resources(site):
        bound = site.provider_of(resource)
        assert bound is not None, f"{resource.urn} uses a default provider"
        assert bound.urn == provider.urn, f"{resource.urn} uses {bound.urn}"


def test_children_inherit_the_provider_through_their_parents(site: Recording) -> None:
    by_urn = site.by_urn()
    (site_component,) = site.of_type("clover:site:AzureSite")
    for resource in azure_resources(site):
        chain = []
        parent = resource.parent
        while parent and parent in by_urn:
            chain.append(parent)
            parent = by_urn[parent].parent
        assert site_component.urn in chain, f"{resource.urn} is not inside the site component"


def test_every_located_resource_is_in_the_site_location(site: Recording) -> None:
    seen = set()
    for resource in azure_resources(site):
        if "location" not in resource.inputs:
            assert resource.type not in LOCATED_TYPES, f"{resource.urn} has no location"
            continue
        seen.add(resource.type)
        expected = "global" if resource.type in GLOBAL_TYPES else SITE_LOCATION
        assert resource.inputs["location"] == expected, resource.urn
    assert seen == LOCATED_TYPES


def test_every_taggable_resource_carries_the_site_tags(site: Recording) -> None:
    tagged = set()
    for resource in azure_resources(site):
        if resource.type in TAGGED_TYPES:
            assert resource.inputs.get("tags") == dict(TAGS), resource.urn
            tagged.add(resource.type)
    assert tagged == TAGGED_TYPES


def _depends_on(resource: RecordedResource, target: RecordedResource) -> bool:
    found = set(resource.dependencies)
    for urns in resource.property_dependencies.values():
        found.update(urns)
    return target.urn in found


def test_every_resource_is_placed_in_the_site_resource_group(site: Recording) -> None:
    group = one(site, "azure-native:resources:ResourceGroup")
    for resource in azure_resources(site):
        if "resourceGroupName" in resource.inputs:
            assert resource.inputs["resourceGroupName"] == "dublin-rg"
            assert _depends_on(resource, group), resource.urn


def test_storage_waits_for_the_key_access_grant(site: Recording) -> None:
    storage_component = one(site, "clover:storage:AzureSiteStorage")
    grant = site.named("dublin-keys-storage-key-user")
    assert grant.urn in storage_component.dependencies


def test_private_endpoints_follow_the_boundary_and_the_data_stores(site: Recording) -> None:
    blob = site.named("dublin-gateway-blob-endpoint")
    vault = site.named("dublin-gateway-vault-endpoint")
    subnet = site.named("dublin-network-endpoints")
    assert _depends_on(blob, one(site, "azure-native:storage:StorageAccount"))
    assert _depends_on(vault, one(site, "azure-native:keyvault:Vault"))
    assert _depends_on(blob, subnet)
    assert _depends_on(vault, subnet)


@pytest.mark.parametrize(
    "data_store",
    [
        "azure-native:storage:StorageAccount",
        "azure-native:storage:BlobContainer",
        "azure-native:keyvault:Vault",
        "azure-native:keyvault:Key",
    ],
)
@pytest.mark.parametrize("protect", [True, False])
def test_data_stores_follow_protect_data_stores(
    run: RunProgram, data_store: str, protect: bool
) -> None:
    recording = run(site_program(protect_data_stores=protect))
    found = recording.of_type(data_store)
    assert found, data_store
    for resource in found:
        assert resource.protect is protect, resource.urn
        # Protected data stores also stay in Azure when they leave the stack.
        assert resource.retain_on_delete is protect, resource.urn


LOCK = "azure-native:authorization:ManagementLockAtResourceGroupLevel"


def test_a_protected_site_locks_its_resource_group_against_deletion(run: RunProgram) -> None:
    recording = run(site_program(protect_data_stores=True))
    (lock,) = recording.of_type(LOCK)
    group = one(recording, "azure-native:resources:ResourceGroup")
    assert lock.inputs["level"] == "CanNotDelete", lock.urn
    assert group.urn in lock.property_dependencies["resourceGroupName"], lock.urn


def test_an_unprotected_site_has_no_lock(run: RunProgram) -> None:
    assert run(site_program(protect_data_stores=False)).of_type(LOCK) == []


def test_only_data_stores_are_protected(site: Recording) -> None:
    protected = {r.type for r in site.resources if r.protect}
    assert protected == {
        "azure-native:storage:StorageAccount",
        "azure-native:storage:BlobContainer",
        "azure-native:keyvault:Vault",
        "azure-native:keyvault:Key",
    }


def test_outputs_name_the_site_resources(run: RunProgram) -> None:
    outputs: dict[str, Any] = {}

    def program() -> None:
        site = site_program()()
        outputs["placement"] = site.placement
        for key in ("account_name", "container_name", "vault_uri", "key_name"):
            getattr(site, key).apply(lambda value, key=key: outputs.__setitem__(key, value))

    run(program)
    assert outputs["placement"] == {
        "cloud": "azure",
        "region": SITE_LOCATION,
        "country": "IE",
        "site": "dublin",
        "in_site_country": True,
    }
    assert outputs["account_name"] == SITE_ARGS["account_name"]
    assert outputs["container_name"] == "data"
    assert outputs["vault_uri"] == f"https://{SITE_ARGS['vault_name']}.vault.azure.net/"
    assert outputs["key_name"]


def test_hamar_site_stays_in_norway(run: RunProgram) -> None:
    recording = run(
        site_program(
            "hamar-azure",
            site="hamar",
            location="norwayeast",
            account_name="cloverhamardata",
            vault_name="clover-hamar-kv",
            storage_sku="Standard_GZRS",
            tags={"residency-site": "hamar", "data-classification": "personal"},
        )
    )
    for resource in azure_resources(recording):
        if "location" in resource.inputs and resource.type not in GLOBAL_TYPES:
            assert resource.inputs["location"] == "norwayeast", resource.urn


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"site": "oslo"}, "site 'oslo'"),
        ({"location": "uksouth"}, "location 'uksouth'"),
        ({"location": "eastus"}, "location 'eastus'"),
        ({"tags": {"residency-site": "dublin"}}, "data-classification"),
        ({"tags": {**TAGS, "residency-site": "hamar"}}, "residency-site 'hamar'"),
        ({"vnet_cidr": "8.8.0.0/16"}, "vnet_cidr '8.8.0.0/16'"),
        ({"account_name": "Clover-Dublin"}, "account_name 'Clover-Dublin'"),
        ({"vault_name": "1vault"}, "vault_name '1vault'"),
        ({"storage_sku": "Standard_GRS", "location": "italynorth"}, "'Standard_GRS'"),
        ({"gateway_principal_ids": ["bob"]}, "'bob' is not an Entra object id"),
        ({"gateway_principal_type": "Robot"}, "principal_type 'Robot'"),
        ({"log_retention_days": 3650}, "log_retention_days 3650"),
    ],
)
def test_invalid_args_are_refused_before_anything_is_registered(
    overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        AzureSiteArgs(**{**SITE_ARGS, **overrides})


def test_geo_redundancy_without_an_approved_pair_registers_nothing(run: RunProgram) -> None:
    with pytest.raises(ValueError, match="italynorth"):
        run(site_program(location="italynorth", storage_sku="Standard_RAGZRS"))


def test_preview_registers_the_same_resources(run: RunProgram, site: Recording) -> None:
    preview = run(site_program(), preview=True)
    assert sorted(r.urn for r in preview.resources) == sorted(r.urn for r in site.resources)
    account = one(preview, "azure-native:storage:StorageAccount")
    assert account.inputs["encryption"]["keySource"] == "Microsoft.Keyvault"
