"""AzureObjectReplication: Dublin's data copied to a Hamar replica, policies in Azure's order."""

from __future__ import annotations

from typing import Any

import pytest
from pulumi_azure_native import Provider

from clover.standin.engine import FAKE_AZURE_SUBSCRIPTION_ID, Recording
from components.backup.azure import AzureObjectReplication, AzureObjectReplicationArgs
from tests.components.azure_helpers import one
from tests.conftest import RunProgram

SUBSCRIPTION = f"/subscriptions/{FAKE_AZURE_SUBSCRIPTION_ID}"
ACCOUNTS = "providers/Microsoft.Storage/storageAccounts"
SOURCE_ID = f"{SUBSCRIPTION}/resourceGroups/dublin-rg/{ACCOUNTS}/cloverdublin"
DESTINATION_ID = f"{SUBSCRIPTION}/resourceGroups/hamar-rg/{ACCOUNTS}/cloverhamar"
PLAIN_ARGS: dict[str, Any] = {
    "source_account_name": "cloverdublin",
    "source_resource_group_name": "dublin-rg",
    "source_account_id": SOURCE_ID,
    "source_container_name": "data",
    "source_location": "northeurope",
    "destination_account_name": "cloverhamar",
    "destination_resource_group_name": "hamar-rg",
    "destination_account_id": DESTINATION_ID,
    "destination_location": "norwayeast",
}


def _program(**overrides: Any) -> Any:
    def program() -> None:
        dublin = Provider("dublin-azure", location="northeurope")
        hamar = Provider("hamar-azure", location="norwayeast")
        AzureObjectReplication(
            "dublin-to-hamar",
            AzureObjectReplicationArgs(
                **{
                    **PLAIN_ARGS,
                    "source_provider": dublin,
                    "destination_provider": hamar,
                    **overrides,
                }
            ),
        )

    return program


@pytest.fixture
def replication(run: RunProgram) -> Recording:
    return run(_program())


def _provider_location(recording: Recording, name: str) -> str:
    provider = recording.provider_of(recording.named(name))
    assert provider is not None, f"{name} uses a default provider"
    location: str = provider.inputs["location"]
    return location


def test_replica_container_is_private_in_the_destination_account(replication: Recording) -> None:
    replica = replication.named("dublin-to-hamar-replica")
    assert replica.inputs["accountName"] == "cloverhamar"
    assert replica.inputs["resourceGroupName"] == "hamar-rg"
    assert replica.inputs["containerName"] == "replica"
    assert replica.inputs["publicAccess"] == "None"
    assert replica.protect is True
    assert _provider_location(replication, "dublin-to-hamar-replica") == "norwayeast"


def test_destination_policy_comes_first_as_default(replication: Recording) -> None:
    policy = replication.named("dublin-to-hamar-destination-policy")
    assert policy.inputs["accountName"] == "cloverhamar"
    assert policy.inputs["resourceGroupName"] == "hamar-rg"
    assert policy.inputs["objectReplicationPolicyId"] == "default"
    assert policy.inputs["sourceAccount"] == SOURCE_ID
    assert policy.inputs["destinationAccount"] == DESTINATION_ID
    (rule,) = policy.inputs["rules"]
    assert rule == {"sourceContainer": "data", "destinationContainer": "replica"}
    replica = replication.named("dublin-to-hamar-replica")
    assert replica.urn in policy.property_dependencies["rules"]
    assert _provider_location(replication, "dublin-to-hamar-destination-policy") == "norwayeast"


def test_source_policy_reuses_the_destination_policy_and_rule_ids(replication: Recording) -> None:
    destination = replication.named("dublin-to-hamar-destination-policy")
    source = replication.named("dublin-to-hamar-source-policy")
    assert source.inputs["accountName"] == "cloverdublin"
    assert source.inputs["resourceGroupName"] == "dublin-rg"
    assert destination.urn in source.dependencies
    assert destination.urn in source.property_dependencies["objectReplicationPolicyId"]
    policy_id = source.inputs["objectReplicationPolicyId"]
    assert policy_id not in (None, "default")
    assert source.inputs["sourceAccount"] == SOURCE_ID
    assert source.inputs["destinationAccount"] == DESTINATION_ID
    (rule,) = source.inputs["rules"]
    assert rule["ruleId"]
    assert (rule["sourceContainer"], rule["destinationContainer"]) == ("data", "replica")
    assert _provider_location(replication, "dublin-to-hamar-source-policy") == "northeurope"


def test_prefix_filter_applies_to_both_policies(run: RunProgram) -> None:
    recording = run(_program(prefix_match=["users/"]))
    for side in ("destination", "source"):
        (rule,) = recording.named(f"dublin-to-hamar-{side}-policy").inputs["rules"]
        assert rule["filters"] == {"prefixMatch": ["users/"]}


def test_replica_protection_can_be_turned_off(run: RunProgram) -> None:
    recording = run(_program(protect=False))
    assert recording.named("dublin-to-hamar-replica").protect is False


def test_policies_have_no_location_of_their_own(replication: Recording) -> None:
    for name in ("destination-policy", "source-policy", "replica"):
        assert "location" not in replication.named(f"dublin-to-hamar-{name}").inputs
    assert one(replication, "clover:backup:AzureObjectReplication").inputs == {}


@pytest.mark.parametrize(
    ("field", "location"),
    [("source_location", "uksouth"), ("destination_location", "eastus")],
)
def test_unapproved_locations_are_refused(field: str, location: str) -> None:
    provider: Any = object()
    with pytest.raises(ValueError, match=f"{field} '{location}'"):
        AzureObjectReplicationArgs(
            **{
                **PLAIN_ARGS,
                field: location,
                "source_provider": provider,
                "destination_provider": provider,
            }
        )
