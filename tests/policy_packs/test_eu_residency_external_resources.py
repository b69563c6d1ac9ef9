"""Declared external resources: the residency rules resolve otherwise unproven destinations
against the reviewed declarations (external_resources.py), over the analyzer protocol.

A declaration states where a resource outside the stack is; its region is then judged like a
literal one. An undeclared, expired or malformed one proves nothing, and the record rule
external-resource-declarations reports expired, malformed and stale declarations.
"""

from __future__ import annotations

from typing import Any

import pytest

from clover.analyzer import AnalyzedResource, PolicyConfigError, PolicyPack
from tests.policy_packs.conftest import eu_aws_provider, eu_azure_provider, eu_only, eu_resource

RULE = "data-flow-destination-allowed"
RECORD = "external-resource-declarations"
DUBLIN = eu_aws_provider("eu-west-1")
ACCOUNT_ID = (
    "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/partner/providers/"
    "Microsoft.Storage/storageAccounts/partnerlogs"
)


def entry(resource: str, cloud: str, region: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": "partner",
        "resource": resource,
        "cloud": cloud,
        "region": region,
        "reason": "the partner's archive, under contract",
        "vouchedBy": "dpo@example.com",
        "expires": "2999-12-31",
        **extra,
    }


def declare(pack: PolicyPack, *entries: dict[str, Any]) -> None:
    pack.configure({RECORD: {"externalResources": list(entries)}})


def blocking(pack: PolicyPack, resources: list[AnalyzedResource]) -> list[str]:
    return [d.message for d in eu_only(pack.preview(resources), RULE)]


def records(pack: PolicyPack, resources: list[AnalyzedResource]) -> list[str]:
    found = [d for d in pack.preview(resources) if d.policy == RECORD]
    assert all(d.enforcement_level == "advisory" for d in found)
    return [d.message for d in found]


def firehose_to(url: str) -> AnalyzedResource:
    return eu_resource(
        "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream",
        "stream",
        {
            "destination": "http_endpoint",
            "httpEndpointConfiguration": {
                "url": url,
                "roleArn": "arn:aws:iam::123456789012:role/delivery",
            },
        },
        provider=DUBLIN,
    )


def diagnostic_to(storage_account_id: str) -> AnalyzedResource:
    return eu_resource(
        "azure-native:monitor:DiagnosticSetting",
        "diag",
        {"storageAccountId": storage_account_id},
        provider=eu_azure_provider("northeurope"),
    )


def trail_to(bucket: str) -> AnalyzedResource:
    return eu_resource(
        "aws:cloudtrail/trail:Trail", "trail", {"s3BucketName": bucket}, provider=DUBLIN
    )


def test_an_undeclared_endpoint_blocks_and_says_how_to_declare_it(
    eu_residency: PolicyPack,
) -> None:
    (message,) = blocking(eu_residency, [firehose_to("https://ingest.partner.example/v1")])
    assert "not a declared external resource" in message
    assert "external-resources.yaml" in message


@pytest.mark.parametrize(
    ("declared", "used"),
    [
        ("https://ingest.partner.example/v1", "https://ingest.partner.example/v1/events"),
        ("ingest.partner.example", "https://ingest.partner.example:8443/any"),
    ],
)
def test_a_declared_endpoint_in_an_allowed_region_passes(
    eu_residency: PolicyPack, declared: str, used: str
) -> None:
    declare(eu_residency, entry(declared, "aws", "eu-central-1"))
    assert blocking(eu_residency, [firehose_to(used)]) == []
    assert records(eu_residency, [firehose_to(used)]) == []


def test_a_declared_path_covers_only_its_own_subtree(eu_residency: PolicyPack) -> None:
    declare(eu_residency, entry("https://ingest.partner.example/v1", "aws", "eu-central-1"))
    assert blocking(eu_residency, [firehose_to("https://ingest.partner.example/v10")])
    assert blocking(eu_residency, [firehose_to("https://other.partner.example/v1")])


def test_a_declared_region_outside_the_allow_list_blocks_with_the_declaration(
    eu_residency: PolicyPack,
) -> None:
    declare(eu_residency, entry("ingest.partner.example", "aws", "us-east-1"))
    (message,) = blocking(eu_residency, [firehose_to("https://ingest.partner.example/")])
    assert "'us-east-1'" in message
    assert "declared external resource partner, vouched for by dpo@example.com" in message


def test_an_expired_declaration_proves_nothing_and_is_reported(eu_residency: PolicyPack) -> None:
    declare(eu_residency, entry("ingest.partner.example", "aws", "eu-west-1", expires="2021-03-01"))
    stack = [firehose_to("https://ingest.partner.example/")]
    (message,) = blocking(eu_residency, stack)
    assert "declaration partner expired on 2021-03-01" in message
    (record,) = records(eu_residency, stack)
    assert "expired on 2021-03-01" in record


@pytest.mark.parametrize(
    ("declaration", "problem"),
    [
        (entry("s3://partner-archive", "azure", "westeurope"), "aws resource, not azure"),
        (entry("arn:aws:s3:::partner-archive", "aws", "Dublin"), "not an AWS region code"),
        (entry("partner archive", "aws", "eu-west-1"), "not an S3 bucket ARN"),
    ],
)
def test_a_malformed_declaration_proves_nothing(
    eu_residency: PolicyPack, declaration: dict[str, Any], problem: str
) -> None:
    # The pack's own reading, for a config not written by clover.pack_config (which refuses
    # these before any pack runs).
    declare(eu_residency, declaration)
    stack = [trail_to("partner-archive")]
    assert blocking(eu_residency, stack)
    (record,) = records(eu_residency, stack)
    assert problem in record


@pytest.mark.parametrize(
    "declaration",
    [
        {**entry("s3://partner-archive", "aws", "eu-west-1"), "expires": "soon"},
        {k: v for k, v in entry("s3://x", "aws", "eu-west-1").items() if k != "vouchedBy"},
        entry("s3://partner-archive", "ibm", "eu-de"),
    ],
)
def test_the_config_schema_refuses_an_incomplete_declaration(
    eu_residency: PolicyPack, declaration: dict[str, Any]
) -> None:
    with pytest.raises(PolicyConfigError, match=RECORD):
        declare(eu_residency, declaration)


def test_a_declared_bucket_places_a_trail_delivering_to_it(eu_residency: PolicyPack) -> None:
    stack = [trail_to("partner-archive")]
    assert blocking(eu_residency, stack)
    declare(eu_residency, entry("arn:aws:s3:::partner-archive", "aws", "eu-north-1"))
    assert blocking(eu_residency, stack) == []


def test_a_declared_azure_resource_covers_its_children_not_its_group(
    eu_residency: PolicyPack,
) -> None:
    declare(eu_residency, entry(ACCOUNT_ID.lower(), "azure", "North Europe"))
    assert blocking(eu_residency, [diagnostic_to(ACCOUNT_ID)]) == []
    child = f"{ACCOUNT_ID}/blobServices/default"
    assert blocking(eu_residency, [diagnostic_to(child)]) == []
    group = ACCOUNT_ID.split("/providers/", maxsplit=1)[0]
    declare(eu_residency, entry(group, "azure", "northeurope"))
    assert blocking(eu_residency, [diagnostic_to(ACCOUNT_ID)])


def test_a_declared_gcp_bucket(eu_residency: PolicyPack) -> None:
    sink = eu_resource(
        "gcp:logging/projectSink:ProjectSink",
        "sink",
        {"destination": "storage.googleapis.com/partner-logs", "project": "p"},
    )
    assert blocking(eu_residency, [sink])
    declare(eu_residency, entry("gs://partner-logs", "gcp", "europe-west1"))
    assert blocking(eu_residency, [sink]) == []
    declare(eu_residency, entry("gs://partner-logs", "gcp", "US"))
    (message,) = blocking(eu_residency, [sink])
    assert "'US'" in message


def test_a_stale_declaration_is_reported(eu_residency: PolicyPack) -> None:
    declare(eu_residency, entry("s3://nobody-uses-this", "aws", "eu-west-1"))
    (record,) = records(eu_residency, [trail_to("partner-archive")])
    assert "stale" in record
    assert "nobody-uses-this" in record


GROUP_ID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/Shared-Data"


def vault_in(group: str) -> AnalyzedResource:
    return eu_resource(
        "azure-native:keyvault:Vault",
        "vault",
        {"resourceGroupName": group, "vaultName": "v"},
        provider=eu_azure_provider(),
    )


INHERITED = "azure-native-resource-inherited-location-allowed"


def test_an_existing_resource_group_is_placed_by_its_declaration(
    eu_residency: PolicyPack,
) -> None:
    stack = [vault_in("shared-data")]
    (message,) = [d.message for d in eu_only(eu_residency.preview(stack), INHERITED)]
    assert "is not managed in this stack nor a declared external resource" in message
    declare(eu_residency, entry(GROUP_ID, "azure", "westeurope"))
    assert eu_only(eu_residency.preview(stack), INHERITED) == []
    assert records(eu_residency, stack) == []
    declare(eu_residency, entry(GROUP_ID, "azure", "eastus"))
    (message,) = [d.message for d in eu_only(eu_residency.preview(stack), INHERITED)]
    assert "'eastus'" in message
    declare(eu_residency, entry(GROUP_ID, "azure", "westeurope", expires="2022-01-01"))
    (message,) = [d.message for d in eu_only(eu_residency.preview(stack), INHERITED)]
    assert "expired on 2022-01-01" in message
