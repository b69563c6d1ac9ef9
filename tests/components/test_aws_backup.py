"""AwsCrossSiteBackup: replication from Dublin (eu-west-1) into Hamar's AWS region (eu-north-1)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from clover.standin.engine import Recording
from clover.standin.recorded import RecordedResource
from components.backup.aws import (
    AwsCrossSiteBackup,
    AwsCrossSiteBackupArgs,
    replication_role_name,
)
from components.site.aws import AwsSite
from tests.components.aws_helpers import (
    ACCOUNT,
    DATA_BUCKET,
    DATA_BUCKET_ARN,
    KEY_ADMIN_ROLE,
    PROVIDER_NAME,
    REGION,
    REPLICATION_ROLE_NAME,
    SITE_ARGS,
    TRUST_POLICY_ALLOWED,
    as_list,
    document,
    lint,
    only,
    statement,
)
from tests.conftest import RunProgram

DESTINATION_PROVIDER = "hamar-aws"
DESTINATION_REGION = "eu-north-1"
HAMAR_TAGS = {"residency-site": "hamar", "data-classification": "personal"}
DESTINATION_BUCKET = f"clover-hamar-test-from-dublin-{ACCOUNT}"
DESTINATION_BUCKET_ARN = f"arn:aws:s3:::{DESTINATION_BUCKET}"
SOURCE_KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/dublin-keys-key-id"
REPLICA_KEY_ARN = f"arn:aws:kms:{DESTINATION_REGION}:{ACCOUNT}:key/backup-replica-key-key-id"
BACKUP_TYPE = "clover:backup:AwsCrossSiteBackup"


def build(run: RunProgram, **changes: Any) -> Recording:
    def program() -> None:
        dublin = aws.Provider(PROVIDER_NAME, region=REGION)
        hamar = aws.Provider(DESTINATION_PROVIDER, region=DESTINATION_REGION)
        site = AwsSite("dublin", SITE_ARGS, opts=pulumi.ResourceOptions(providers=[dublin]))
        args = AwsCrossSiteBackupArgs(
            source_site="dublin",
            source_region=REGION,
            source_bucket_name=site.data_bucket_name,
            source_bucket_arn=site.data_bucket_arn,
            source_key_arn=site.key_arn,
            source_provider=dublin,
            site="hamar",
            region=DESTINATION_REGION,
            replication_role_name=replication_role_name("dublin", "hamar", pulumi.get_stack()),
            key_admin_role_arns=[KEY_ADMIN_ROLE],
            tags=HAMAR_TAGS,
        )
        backup = AwsCrossSiteBackup(
            "backup", replace(args, **changes), opts=pulumi.ResourceOptions(providers=[hamar])
        )
        pulumi.export("placement", backup.placement)
        pulumi.export("bucket_name", backup.bucket_name)

    return run(program)


@pytest.fixture
def recording(run: RunProgram) -> Recording:
    return build(run)


def in_backup(recording: Recording) -> list[RecordedResource]:
    """The backup's custom resources (those under the backup component, at any depth)."""
    by_urn = recording.by_urn()
    backup = only(recording, BACKUP_TYPE)
    found = []
    for resource in recording.resources:
        ancestor = resource
        while ancestor.parent in by_urn and ancestor.parent != backup.urn:
            ancestor = by_urn[ancestor.parent]
        if ancestor.parent == backup.urn and resource.custom:
            found.append(resource)
    return found


def backup_of_type(recording: Recording, type_: str) -> RecordedResource:
    found = [r for r in in_backup(recording) if r.type == type_]
    assert len(found) == 1, f"expected one {type_} in the backup, found {[r.urn for r in found]}"
    return found[0]


def provider_name(recording: Recording, resource: RecordedResource) -> str | None:
    provider = recording.provider_of(resource)
    return provider.name if provider else None


def test_replication_role_name_matches_what_the_source_site_admits() -> None:
    assert replication_role_name("dublin", "hamar", "test") == REPLICATION_ROLE_NAME


def test_everything_but_the_replication_config_uses_the_destination_provider(
    recording: Recording,
) -> None:
    resources = in_backup(recording)
    assert len(resources) >= 10
    for resource in resources:
        expected = (
            PROVIDER_NAME
            if resource.type == "aws:s3/bucketReplicationConfig:BucketReplicationConfig"
            else DESTINATION_PROVIDER
        )
        assert provider_name(recording, resource) == expected, resource.urn


def test_replica_key_is_single_region_rotating_in_the_destination(recording: Recording) -> None:
    key = backup_of_type(recording, "aws:kms/key:Key")
    assert provider_name(recording, key) == DESTINATION_PROVIDER
    assert key.inputs["multiRegion"] is False, key.urn
    assert key.inputs["enableKeyRotation"] is True, key.urn
    assert key.inputs["customerMasterKeySpec"] == "SYMMETRIC_DEFAULT", key.urn
    assert key.inputs["deletionWindowInDays"] == 30, key.urn
    assert key.inputs["tags"] == HAMAR_TAGS, key.urn
    assert key.protect is True, key.urn
    use = statement(document(key), "NamedRolesUseKeyThroughS3")
    assert use["Condition"]["StringEquals"]["kms:ViaService"] == (
        f"s3.{DESTINATION_REGION}.amazonaws.com"
    )
    assert use["Condition"]["ArnEquals"]["aws:PrincipalArn"] == [
        f"arn:aws:iam::{ACCOUNT}:role/{REPLICATION_ROLE_NAME}"
    ]
    alias = backup_of_type(recording, "aws:kms/alias:Alias")
    assert alias.inputs["name"] == "alias/clover-hamar-replica-of-dublin", alias.urn


def test_destination_bucket_is_hardened(recording: Recording) -> None:
    bucket = backup_of_type(recording, "aws:s3/bucket:Bucket")
    assert bucket.inputs["bucket"] == DESTINATION_BUCKET, bucket.urn
    assert bucket.protect is True, bucket.urn
    assert bucket.retain_on_delete is True, bucket.urn
    assert bucket.inputs.get("forceDestroy") is not True, bucket.urn
    assert bucket.inputs["tags"] == HAMAR_TAGS, bucket.urn
    versioning = backup_of_type(recording, "aws:s3/bucketVersioning:BucketVersioning")
    assert versioning.inputs["versioningConfiguration"] == {"status": "Enabled"}
    sse = backup_of_type(
        recording,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    )
    assert sse.inputs["rules"] == [
        {
            "applyServerSideEncryptionByDefault": {
                "sseAlgorithm": "aws:kms",
                "kmsMasterKeyId": REPLICA_KEY_ARN,
            },
            "bucketKeyEnabled": True,
        }
    ]
    block = backup_of_type(recording, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    for flag in (
        "blockPublicAcls",
        "blockPublicPolicy",
        "ignorePublicAcls",
        "restrictPublicBuckets",
    ):
        assert block.inputs[flag] is True, flag
    ownership = backup_of_type(recording, "aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    assert ownership.inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    lifecycle = backup_of_type(
        recording, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"
    )
    assert lifecycle.inputs["rules"][0]["noncurrentVersionExpiration"] == {"noncurrentDays": 90}


def test_destination_bucket_refuses_requests_without_tls(recording: Recording) -> None:
    policy = backup_of_type(recording, "aws:s3/bucketPolicy:BucketPolicy")
    deny = statement(document(policy), "DenyInsecureTransport")
    assert deny["Effect"] == "Deny"
    assert deny["Resource"] == [DESTINATION_BUCKET_ARN, f"{DESTINATION_BUCKET_ARN}/*"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_replication_config_on_the_source_bucket(recording: Recording) -> None:
    config = backup_of_type(recording, "aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    assert provider_name(recording, config) == PROVIDER_NAME, config.urn
    assert config.inputs["bucket"] == DATA_BUCKET, config.urn
    assert config.inputs["role"] == f"arn:aws:iam::{ACCOUNT}:role/{REPLICATION_ROLE_NAME}"
    [rule] = config.inputs["rules"]
    assert rule["status"] == "Enabled"
    assert rule["filter"] == {}
    # A deletion at the source does not reach the backup.
    assert rule["deleteMarkerReplication"] == {"status": "Disabled"}
    assert rule["sourceSelectionCriteria"] == {"sseKmsEncryptedObjects": {"status": "Enabled"}}
    assert rule["destination"]["bucket"] == DESTINATION_BUCKET_ARN
    assert rule["destination"]["encryptionConfiguration"] == {"replicaKmsKeyId": REPLICA_KEY_ARN}


def test_replication_waits_for_destination_versioning_and_role_policy(
    recording: Recording,
) -> None:
    config = backup_of_type(recording, "aws:s3/bucketReplicationConfig:BucketReplicationConfig")
    versioning = backup_of_type(recording, "aws:s3/bucketVersioning:BucketVersioning")
    role_policy = backup_of_type(recording, "aws:iam/rolePolicy:RolePolicy")
    assert versioning.urn in config.dependencies
    assert role_policy.urn in config.dependencies
    source_versioning = next(
        r
        for r in recording.of_type("aws:s3/bucketVersioning:BucketVersioning")
        if r.inputs["bucket"] == DATA_BUCKET
    )
    assert source_versioning.urn in config.dependencies, "the source must be versioned first"


def test_replication_role_trusts_s3_for_the_source_bucket_only(recording: Recording) -> None:
    role = backup_of_type(recording, "aws:iam/role:Role")
    assert role.inputs["name"] == REPLICATION_ROLE_NAME
    [trust] = document(role, "assumeRolePolicy")["Statement"]
    assert trust["Principal"] == {"Service": "s3.amazonaws.com"}
    assert trust["Action"] == "sts:AssumeRole"
    assert trust["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": DATA_BUCKET_ARN},
    }


def test_replication_policy_is_least_privilege(recording: Recording) -> None:
    doc = document(backup_of_type(recording, "aws:iam/rolePolicy:RolePolicy"))
    source = statement(doc, "ReadSourceConfiguration")
    assert source["Resource"] == DATA_BUCKET_ARN
    versions = statement(doc, "ReadSourceVersions")
    assert versions["Resource"] == f"{DATA_BUCKET_ARN}/*"
    assert "s3:GetObjectVersionForReplication" in versions["Action"]
    write = statement(doc, "WriteReplicas")
    assert write["Resource"] == f"{DESTINATION_BUCKET_ARN}/*"
    assert set(write["Action"]) == {"s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"}
    decrypt = statement(doc, "DecryptWithSourceKey")
    assert decrypt["Resource"] == SOURCE_KEY_ARN
    assert decrypt["Condition"]["StringEquals"] == {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}
    assert decrypt["Condition"]["StringLike"]["kms:EncryptionContext:aws:s3:arn"] == [
        DATA_BUCKET_ARN,
        f"{DATA_BUCKET_ARN}/*",
    ]
    encrypt = statement(doc, "EncryptWithReplicaKey")
    assert encrypt["Resource"] == REPLICA_KEY_ARN
    assert encrypt["Condition"]["StringEquals"] == {
        "kms:ViaService": f"s3.{DESTINATION_REGION}.amazonaws.com"
    }
    for entry in doc["Statement"]:
        assert entry["Effect"] == "Allow"
        for resource in as_list(entry["Resource"]):
            assert resource != "*", entry["Sid"]


def test_source_site_admits_the_replication_role(recording: Recording) -> None:
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/{REPLICATION_ROLE_NAME}"
    source_key = next(
        r for r in recording.of_type("aws:kms/key:Key") if r.name == "dublin-keys-key"
    )
    users = statement(document(source_key), "NamedRolesUseKeyThroughS3")["Condition"]["ArnEquals"]
    assert role_arn in users["aws:PrincipalArn"]
    data_policy = next(
        r
        for r in recording.of_type("aws:s3/bucketPolicy:BucketPolicy")
        if r.inputs["bucket"] == DATA_BUCKET
    )
    deny = statement(document(data_policy), "DenyDataAccessOutsideSiteNetwork")
    assert role_arn in deny["Condition"]["ArnNotEquals"]["aws:PrincipalArn"]


def test_placement_reports_the_destination_outside_norway(recording: Recording) -> None:
    placement = recording.outputs["placement"]
    assert placement["site"] == "hamar"
    assert placement["region"] == DESTINATION_REGION
    assert placement["in_site_country"] is False
    assert "outside NO" in placement["note"]
    assert recording.outputs["bucket_name"] == DESTINATION_BUCKET


@pytest.mark.parametrize("protect", [True, False])
def test_protect_follows_the_argument(run: RunProgram, protect: bool) -> None:
    recording = build(run, protect_data_stores=protect)
    assert backup_of_type(recording, "aws:s3/bucket:Bucket").protect is protect
    assert backup_of_type(recording, "aws:kms/key:Key").protect is protect
    assert backup_of_type(recording, "aws:s3/bucket:Bucket").retain_on_delete is True


def test_object_lock_on_the_destination(run: RunProgram) -> None:
    recording = build(run, object_lock_days=90)
    bucket = backup_of_type(recording, "aws:s3/bucket:Bucket")
    assert bucket.inputs["objectLockEnabled"] is True
    lock = backup_of_type(
        recording, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
    )
    assert lock.inputs["rule"] == {"defaultRetention": {"mode": "GOVERNANCE", "days": 90}}


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"region": REGION, "site": "dublin"}, "source region"),
        (
            {"object_lock_days": 30},
            "object_lock_days 30 is shorter than noncurrent_version_expiration_days 90",
        ),
        (
            {"object_lock_days": 60, "noncurrent_version_expiration_days": 61},
            "object_lock_days 60 is shorter than noncurrent_version_expiration_days 61",
        ),
        ({"region": "eu-central-1"}, "region"),
        ({"tags": {"residency-site": "dublin", "data-classification": "x"}}, "residency-site"),
    ],
)
def test_invalid_backup_arguments_are_refused(changes: dict[str, Any], key: str) -> None:
    base: dict[str, Any] = {
        "source_site": "dublin",
        "source_region": REGION,
        "source_bucket_name": DATA_BUCKET,
        "source_bucket_arn": DATA_BUCKET_ARN,
        "source_key_arn": SOURCE_KEY_ARN,
        "source_provider": None,
        "site": "hamar",
        "region": DESTINATION_REGION,
        "replication_role_name": REPLICATION_ROLE_NAME,
        "key_admin_role_arns": [KEY_ADMIN_ROLE],
        "tags": HAMAR_TAGS,
    }
    base.update(changes)
    with pytest.raises(ValueError, match=key):
        AwsCrossSiteBackupArgs(**base)


def test_backup_policies_pass_parliament(recording: Recording) -> None:
    for resource in in_backup(recording):
        for key in ("policy", "assumeRolePolicy"):
            raw = resource.inputs.get(key)
            if isinstance(raw, str):
                allow = TRUST_POLICY_ALLOWED if key == "assumeRolePolicy" else None
                assert lint(raw, allow=allow) == [], f"{resource.urn} {key}"
