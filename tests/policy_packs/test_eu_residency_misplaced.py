"""A stack of deliberately misplaced resources: each one is blocked by a mandatory diagnostic."""

from __future__ import annotations

import pytest

from clover.analyzer import AnalyzedResource, Diagnostic, PolicyPack
from tests.policy_packs.conftest import eu_aws_provider, eu_azure_provider, eu_resource

DUBLIN = eu_aws_provider("eu-west-1")
AP_VAULT = "arn:aws:backup:ap-southeast-1:123456789012:backup-vault:x"
SRC = eu_resource("aws:s3/bucket:Bucket", "src", {"bucket": "src"}, provider=DUBLIN)

# (resource, policy that must block it)
MISPLACED: list[tuple[AnalyzedResource, str]] = [
    (
        eu_resource(
            "aws:s3/bucket:Bucket",
            "us-bucket",
            {"bucket": "us", "region": "us-east-1"},
            provider=DUBLIN,
        ),
        "aws-resource-region-allowed",
    ),
    (
        eu_resource(
            "aws:backup/plan:Plan",
            "plan",
            {"rules": [{"copyActions": [{"destinationVaultArn": AP_VAULT}]}]},
            provider=DUBLIN,
        ),
        "aws-backup-plan-copy-destination-allowed",
    ),
    (
        eu_resource(
            "aws:ec2/subnet:Subnet",
            "istanbul",
            {"availabilityZone": "eu-central-1-ist-1a", "cidrBlock": "10.0.9.0/24"},
            provider=eu_aws_provider("eu-central-1", name="frankfurt"),
        ),
        "aws-resource-region-allowed",
    ),
    (
        eu_resource(
            "azure-native:storage:StorageAccount",
            "eastus-account",
            {"location": "eastus", "resourceGroupName": "rg", "sku": {"name": "Standard_LRS"}},
            provider=eu_azure_provider(),
        ),
        "azure-native-resource-location-allowed",
    ),
    (
        eu_resource(
            "azure-native:cosmosdb:DatabaseAccount",
            "cosmos",
            {
                "location": "northeurope",
                "resourceGroupName": "rg",
                "locations": [{"locationName": "northeurope"}, {"locationName": "westus"}],
            },
            provider=eu_azure_provider(),
        ),
        "azure-native-cosmosdb-database-account-locations-allowed",
    ),
    (
        eu_resource(
            "azure-native:storage:StorageAccount",
            "grs-italy",
            {"location": "italynorth", "resourceGroupName": "rg", "sku": {"name": "Standard_GRS"}},
            provider=eu_azure_provider(),
        ),
        "azure-native-storage-account-geo-replication-pair-allowed",
    ),
    (
        eu_resource(
            "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
            "to-external",
            {
                "bucket": "src",
                "role": "arn:aws:iam::1:role/r",
                "rules": [
                    {"status": "Enabled", "destination": {"bucket": "arn:aws:s3:::not-ours"}}
                ],
            },
            provider=DUBLIN,
            property_dependencies={"bucket": (SRC.urn,)},
        ),
        "aws-s3-bucket-replication-destination-allowed",
    ),
    (
        eu_resource("aws:kms/key:Key", "mrk", {"multiRegion": True}, provider=DUBLIN),
        "aws-kms-key-multi-region-disallowed",
    ),
    (
        eu_resource(
            "aws:dynamodb/table:Table",
            "table",
            {"replicas": [{"regionName": "us-west-2"}]},
            provider=DUBLIN,
        ),
        "aws-dynamodb-table-replica-region-allowed",
    ),
    (
        eu_resource(
            "aws:secretsmanager/secret:Secret",
            "secret",
            {"replicas": [{"region": "us-east-1"}]},
            provider=DUBLIN,
        ),
        "aws-secretsmanager-secret-replica-region-allowed",
    ),
    (
        eu_resource(
            "aws:acm/certificate:Certificate",
            "cert",
            {"domainName": "x.example"},
            provider=eu_aws_provider("us-east-1", name="virginia"),
        ),
        "aws-resource-region-allowed",
    ),
    (
        eu_resource(
            "azure-native:cdn:Profile",
            "frontdoor",
            {"location": "global", "resourceGroupName": "rg"},
            provider=eu_azure_provider(),
        ),
        "azure-native-resource-location-allowed",
    ),
]


@pytest.fixture(scope="module")
def previewed(eu_residency_pack: PolicyPack) -> list[Diagnostic]:
    eu_residency_pack.configure()
    rg = eu_resource(
        "azure-native:resources:ResourceGroup",
        "rg",
        {"resourceGroupName": "rg", "location": "northeurope"},
        provider=eu_azure_provider(),
    )
    return eu_residency_pack.preview([SRC, rg, *(r for r, _ in MISPLACED)])


@pytest.mark.parametrize(("resource", "policy"), MISPLACED, ids=[r.name for r, _ in MISPLACED])
def test_blocked(previewed: list[Diagnostic], resource: AnalyzedResource, policy: str) -> None:
    blocking = [
        d
        for d in previewed
        if d.urn == resource.urn and d.policy == policy and d.enforcement_level == "mandatory"
    ]
    assert blocking, f"{resource.urn} not blocked by {policy}"
    assert all(resource.urn in d.message for d in blocking)


def test_nothing_else_is_blocked(previewed: list[Diagnostic]) -> None:
    misplaced = {r.urn for r, _ in MISPLACED}
    assert {d.urn for d in previewed} == misplaced
