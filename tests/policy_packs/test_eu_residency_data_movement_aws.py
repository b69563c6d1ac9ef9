"""AWS copy paths: every replica, copy and replication destination must be in an allowed region."""

from __future__ import annotations

from typing import Any

import pytest

from clover.analyzer import UNKNOWN, AnalyzedResource, PolicyPack
from tests.policy_packs.conftest import eu_aws_provider, eu_only, eu_resource

BUCKET = "aws:s3/bucket:Bucket"
REPLICATION = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
MRAP = "aws:s3control/multiRegionAccessPoint:MultiRegionAccessPoint"
S3_RULE = "aws-s3-bucket-replication-destination-allowed"
MRAP_RULE = "aws-s3control-multi-region-access-point-region-allowed"
VAULT_EU = "arn:aws:backup:eu-north-1:123456789012:backup-vault:copies"
VAULT_AP = "arn:aws:backup:ap-southeast-1:123456789012:backup-vault:copies"
KEY_EU = "arn:aws:kms:eu-west-1:123456789012:key/mrk-1234"
DECLARATIONS = "external-resource-declarations"


def declare(pack: PolicyPack, resource: str, region: str, expires: str = "2999-12-31") -> None:
    """Configure the pack with one declared external resource, as clover.pack_config compiles
    policy_packs/config/external-resources.yaml."""
    entry = {
        "id": "partner",
        "resource": resource,
        "cloud": "aws",
        "region": region,
        "reason": "the partner's archive, under contract",
        "vouchedBy": "dpo@example.com",
        "expires": expires,
    }
    pack.configure({DECLARATIONS: {"externalResources": [entry]}})


def diagnostics(pack: PolicyPack, policy: str, resources: list[AnalyzedResource]) -> list[str]:
    found = eu_only(pack.preview(resources), policy)
    for d in found:
        assert d.enforcement_level == "mandatory", d.message
        assert d.urn in d.message
    return [d.message for d in found]


def one(resource_type: str, props: dict[str, Any], region: Any = "eu-west-1") -> AnalyzedResource:
    return eu_resource(resource_type, "r", props, provider=eu_aws_provider(region))


# Per resource rule: (policy, type, compliant props, violating props, missing props, unknown props)
CASES: list[tuple[str, str, dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]] = [
    (
        "aws-dynamodb-table-replica-region-allowed",
        "aws:dynamodb/table:Table",
        {"replicas": [{"regionName": "eu-central-1"}]},
        {"replicas": [{"regionName": "eu-central-1"}, {"regionName": "us-west-2"}]},
        {"replicas": [{"kmsKeyArn": KEY_EU}]},
        {"replicas": [{"regionName": UNKNOWN}]},
    ),
    (
        "aws-dynamodb-table-replica-region-allowed",
        "aws:dynamodb/tableReplica:TableReplica",
        {"region": "eu-north-1"},
        {"region": "us-west-2"},
        {"region": ""},
        {"region": UNKNOWN},
    ),
    (
        "aws-secretsmanager-secret-replica-region-allowed",
        "aws:secretsmanager/secret:Secret",
        {"replicas": [{"region": "eu-central-1"}]},
        {"replicas": [{"region": "us-east-1"}]},
        {"replicas": [{"kmsKeyId": "alias/x"}]},
        {"replicas": UNKNOWN},
    ),
    (
        "aws-ecr-replication-destination-region-allowed",
        "aws:ecr/replicationConfiguration:ReplicationConfiguration",
        {"replicationConfiguration": {"rules": [{"destinations": [{"region": "eu-north-1"}]}]}},
        {"replicationConfiguration": {"rules": [{"destinations": [{"region": "us-east-2"}]}]}},
        {"replicationConfiguration": {"rules": [{"destinations": [{"registryId": "1"}]}]}},
        {"replicationConfiguration": {"rules": [{"destinations": UNKNOWN}]}},
    ),
    (
        "aws-backup-plan-copy-destination-allowed",
        "aws:backup/plan:Plan",
        {"rules": [{"copyActions": [{"destinationVaultArn": VAULT_EU}]}]},
        {"rules": [{"copyActions": [{"destinationVaultArn": VAULT_AP}]}]},
        {"rules": [{"copyActions": [{"lifecycle": {}}]}]},
        {"rules": [{"copyActions": [{"destinationVaultArn": UNKNOWN}]}]},
    ),
    (
        "aws-rds-instance-automated-backups-replication-region-allowed",
        "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication",
        {"region": "eu-central-1"},
        {"region": "us-east-1"},
        {"region": None},
        {"region": UNKNOWN},
    ),
    (
        "aws-kms-replica-key-region-allowed",
        "aws:kms/replicaKey:ReplicaKey",
        {"region": "eu-north-1", "primaryKeyArn": KEY_EU},
        {"region": "us-east-1", "primaryKeyArn": KEY_EU},
        {"region": "eu-north-1"},
        {"region": "eu-north-1", "primaryKeyArn": UNKNOWN},
    ),
    (
        "aws-kms-key-multi-region-disallowed",
        "aws:kms/key:Key",
        {"multiRegion": False},
        {"multiRegion": True},
        {"multiRegion": "yes"},
        {"multiRegion": UNKNOWN},
    ),
]
IDS = [f"{c[0]}:{c[1].rsplit(':', 1)[1]}" for c in CASES]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_compliant(eu_residency: PolicyPack, case: tuple[Any, ...]) -> None:
    policy, resource_type, good, *_ = case
    assert diagnostics(eu_residency, policy, [one(resource_type, good)]) == []


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_violating(eu_residency: PolicyPack, case: tuple[Any, ...]) -> None:
    policy, resource_type, _, bad, *_ = case
    (message,) = diagnostics(eu_residency, policy, [one(resource_type, bad)])
    assert "allowed regions:" in message or "multi-Region" in message


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_missing_value_fails_closed(eu_residency: PolicyPack, case: tuple[Any, ...]) -> None:
    policy, resource_type, _, _, missing, _ = case
    provider_region = None if "region" in missing else "eu-west-1"
    assert diagnostics(eu_residency, policy, [one(resource_type, missing, provider_region)])


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_unknown_value_stays_mandatory(eu_residency: PolicyPack, case: tuple[Any, ...]) -> None:
    policy, resource_type, *_, unknown = case
    assert diagnostics(eu_residency, policy, [one(resource_type, unknown)])


@pytest.mark.parametrize("case", CASES[:-1], ids=IDS[:-1])
def test_config_narrows_regions(eu_residency: PolicyPack, case: tuple[Any, ...]) -> None:
    policy, resource_type, good, *_ = case
    eu_residency.configure({policy: {"allowedRegions": ["eu-west-3"]}})
    assert diagnostics(eu_residency, policy, [one(resource_type, good)])
    eu_residency.configure(
        {policy: {"allowedRegions": ["eu-west-3"], "enforcementLevel": "advisory"}}
    )
    downgraded = eu_only(eu_residency.preview([one(resource_type, good)]), policy)
    assert downgraded
    assert {d.enforcement_level for d in downgraded} == {"advisory"}


def test_absent_replicas_are_compliant(eu_residency: PolicyPack) -> None:
    table = one("aws:dynamodb/table:Table", {"name": "t"})
    assert diagnostics(eu_residency, "aws-dynamodb-table-replica-region-allowed", [table]) == []


def test_legacy_global_table_replicas(eu_residency: PolicyPack) -> None:
    legacy = one(
        "aws:dynamodb/globalTable:GlobalTable", {"replicas": [{"regionName": "us-west-2"}]}
    )
    assert diagnostics(eu_residency, "aws-dynamodb-table-replica-region-allowed", [legacy])


def test_multi_region_keys_allowed_by_config(eu_residency: PolicyPack) -> None:
    policy = "aws-kms-key-multi-region-disallowed"
    eu_residency.configure({policy: {"allowMultiRegionKeys": True}})
    assert diagnostics(eu_residency, policy, [one("aws:kms/key:Key", {"multiRegion": True})]) == []


def test_replica_of_a_key_from_outside(eu_residency: PolicyPack) -> None:
    props = {"region": "eu-west-1", "primaryKeyArn": "arn:aws:kms:us-east-1:1:key/mrk-9"}
    (message,) = diagnostics(
        eu_residency,
        "aws-kms-replica-key-region-allowed",
        [one("aws:kms/replicaKey:ReplicaKey", props)],
    )
    assert "'us-east-1'" in message


# -- S3 replication (stack rule) ---------------------------------------------------------------


def bucket(name: str, region: Any, logical: str | None = None) -> AnalyzedResource:
    return eu_resource(
        BUCKET, logical or name, {"bucket": name, "region": region}, provider=eu_aws_provider()
    )


def replication(
    destination: Any, *, deps: tuple[str, ...] = (), source: str = "src"
) -> AnalyzedResource:
    return eu_resource(
        REPLICATION,
        "replication",
        {
            "bucket": source,
            "role": "arn:aws:iam::123456789012:role/replication",
            "rules": [{"id": "all", "status": "Enabled", "destination": {"bucket": destination}}],
        },
        provider=eu_aws_provider(),
        property_dependencies={"rules": deps, "bucket": (bucket(source, "eu-west-1").urn,)},
    )


def s3(pack: PolicyPack, resources: list[AnalyzedResource]) -> list[str]:
    return diagnostics(pack, S3_RULE, resources)


def test_replication_to_managed_bucket_in_allowed_region(eu_residency: PolicyPack) -> None:
    resources = [bucket("src", "eu-west-1"), bucket("dst", "eu-north-1")]
    assert s3(eu_residency, [*resources, replication("arn:aws:s3:::dst")]) == []


def test_replication_to_managed_bucket_elsewhere(eu_residency: PolicyPack) -> None:
    resources = [bucket("src", "eu-west-1"), bucket("dst", "us-east-1")]
    (message,) = s3(eu_residency, [*resources, replication("arn:aws:s3:::dst")])
    assert "'us-east-1' is not allowed" in message


def test_replication_to_external_bucket(eu_residency: PolicyPack) -> None:
    resources = [bucket("src", "eu-west-1"), replication("arn:aws:s3:::someone-elses")]
    (message,) = s3(eu_residency, resources)
    assert "not a bucket managed in this stack nor a declared external resource" in message
    assert "external-resources.yaml" in message


def test_replication_to_declared_external_bucket(eu_residency: PolicyPack) -> None:
    resources = [bucket("src", "eu-west-1"), replication("arn:aws:s3:::someone-elses")]
    declare(eu_residency, "arn:aws:s3:::someone-elses", "eu-central-1")
    assert s3(eu_residency, resources) == []
    declare(eu_residency, "s3://someone-elses", "us-east-1")
    (message,) = s3(eu_residency, resources)
    assert "declared external resource partner" in message
    assert "'us-east-1' is not allowed" in message


def test_expired_declaration_proves_nothing(eu_residency: PolicyPack) -> None:
    resources = [bucket("src", "eu-west-1"), replication("arn:aws:s3:::someone-elses")]
    declare(eu_residency, "arn:aws:s3:::someone-elses", "eu-central-1", expires="2020-01-31")
    (message,) = s3(eu_residency, resources)
    assert "declaration partner expired on 2020-01-31" in message


def test_declaration_of_another_bucket_proves_nothing(eu_residency: PolicyPack) -> None:
    declare(eu_residency, "arn:aws:s3:::someone-elses-too", "eu-central-1")
    resources = [bucket("src", "eu-west-1"), replication("arn:aws:s3:::someone-elses")]
    assert s3(eu_residency, resources)


def test_unknown_destination_is_not_proven_by_a_dependency(eu_residency: PolicyPack) -> None:
    # ``replica.arn.apply(lambda a: override or a)`` depends on the replica as ``replica.arn``
    # does: the dependency the engine reports proves nothing.
    dst_ok = bucket("dst", "eu-north-1")
    ok = [bucket("src", "eu-west-1"), dst_ok, replication(UNKNOWN, deps=(dst_ok.urn,))]
    (message,) = s3(eu_residency, ok)
    assert "a dependency proves nothing" in message


def test_unknown_destination_proven_by_the_offline_check(eu_residency: PolicyPack) -> None:
    dst = bucket("dst", "eu-north-1")
    repl = replication(UNKNOWN, deps=(dst.urn,))
    resources = [bucket("src", "eu-west-1"), dst, repl]
    path = "rules[0].destination.bucket"
    eu_residency.configure_evidence({"provenOutputs": {repl.urn: {path: f"{dst.urn}#arn"}}})
    assert s3(eu_residency, resources) == []
    far = bucket("dst", "us-west-2")
    eu_residency.configure_evidence({"provenOutputs": {repl.urn: {path: f"{far.urn}#arn"}}})
    (message,) = s3(eu_residency, [bucket("src", "eu-west-1"), far, repl])
    assert far.urn in message
    assert "'us-west-2' is not allowed" in message


def test_unknown_destination_judged_by_what_it_computes_to(eu_residency: PolicyPack) -> None:
    dst = bucket("dst", "eu-north-1")
    repl = replication(UNKNOWN, deps=(dst.urn,))
    resources = [bucket("src", "eu-west-1"), dst, repl]
    path = "rules[0].destination.bucket"
    computed: dict[str, dict[str, Any]] = {
        "inputs": {repl.urn: {path: "arn:aws:s3:::override"}},
        "bucketNames": {},
    }
    eu_residency.configure_evidence({"provenOutputs": {}, "computedValues": computed})
    (message,) = s3(eu_residency, resources)
    assert "'arn:aws:s3:::override'" in message
    computed = {
        "inputs": {repl.urn: {path: "arn:aws:s3:::stand-in-7"}},
        "bucketNames": {"stand-in-7": dst.urn},
    }
    eu_residency.configure_evidence({"provenOutputs": {}, "computedValues": computed})
    assert s3(eu_residency, resources) == []


def test_unknown_destination_without_dependency(eu_residency: PolicyPack) -> None:
    (message,) = s3(eu_residency, [bucket("src", "eu-west-1"), replication(UNKNOWN)])
    assert "cannot be proven" in message


def test_missing_destination(eu_residency: PolicyPack) -> None:
    (message,) = s3(eu_residency, [replication(None)])
    assert "nothing" in message


def test_replication_config_override(eu_residency: PolicyPack) -> None:
    resources = [
        bucket("src", "eu-west-1"),
        bucket("dst", "eu-north-1"),
        replication("arn:aws:s3:::dst"),
    ]
    eu_residency.configure({S3_RULE: {"allowedRegions": ["eu-west-1"]}})
    assert s3(eu_residency, resources)


def test_inline_bucket_replication(eu_residency: PolicyPack) -> None:
    inline = eu_resource(
        BUCKET,
        "src",
        {
            "bucket": "src",
            "region": "eu-west-1",
            "replicationConfiguration": {
                "role": "arn:aws:iam::1:role/r",
                "rules": [{"status": "Enabled", "destination": {"bucket": "arn:aws:s3:::far"}}],
            },
        },
        provider=eu_aws_provider(),
    )
    far = bucket("far", "ap-southeast-2")
    assert s3(eu_residency, [inline, far])


# -- Multi-Region Access Points (stack rule) ---------------------------------------------------


def mrap(*buckets: Any, deps: tuple[str, ...] = ()) -> AnalyzedResource:
    return eu_resource(
        MRAP,
        "mrap",
        {"details": {"name": "mrap", "regions": [{"bucket": b} for b in buckets]}},
        provider=eu_aws_provider(),
        property_dependencies={"details": deps} if deps else None,
    )


def test_mrap_over_allowed_buckets(eu_residency: PolicyPack) -> None:
    resources = [bucket("a", "eu-west-1"), bucket("b", "eu-central-1"), mrap("a", "b")]
    assert diagnostics(eu_residency, MRAP_RULE, resources) == []


def test_mrap_with_bucket_elsewhere(eu_residency: PolicyPack) -> None:
    resources = [bucket("a", "eu-west-1"), bucket("b", "us-east-1"), mrap("a", "b")]
    (message,) = diagnostics(eu_residency, MRAP_RULE, resources)
    assert "'us-east-1'" in message


def test_mrap_missing_unknown_and_override(eu_residency: PolicyPack) -> None:
    assert diagnostics(eu_residency, MRAP_RULE, [eu_resource(MRAP, "m", {"details": {}})])
    b = bucket("a", "eu-west-1")
    assert diagnostics(eu_residency, MRAP_RULE, [b, mrap(UNKNOWN, deps=(b.urn,))])
    assert diagnostics(eu_residency, MRAP_RULE, [mrap(UNKNOWN)])
    assert diagnostics(eu_residency, MRAP_RULE, [mrap("external")])
    declare(eu_residency, "arn:aws:s3:::external", "eu-west-3")
    assert diagnostics(eu_residency, MRAP_RULE, [mrap("external")]) == []
