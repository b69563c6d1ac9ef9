"""AwsSiteStorage: hardened data and log buckets."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from clover.standin.engine import UNKNOWN, Recording
from clover.standin.recorded import RecordedResource
from components.storage.aws import (
    DATA_ACTIONS,
    DESTRUCTIVE_ACTIONS,
    MANAGEMENT_ACTIONS,
    AwsSiteStorage,
    AwsSiteStorageArgs,
)
from tests.components.aws_helpers import (
    ACCOUNT,
    AUDIT_BUCKET,
    AUDIT_BUCKET_ARN,
    BREAK_GLASS_ROLE,
    DATA_BUCKET,
    DATA_BUCKET_ARN,
    KEY_ADMIN_ROLE,
    LOG_BUCKET,
    LOG_BUCKET_ARN,
    PROVIDER_NAME,
    REGION,
    TAGS,
    TRAIL_ARN,
    as_list,
    assert_all_on_provider,
    document,
    lint,
    statement,
)
from tests.conftest import RunProgram

KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/site-key"
LOG_KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/site-log-key"
S3_ENDPOINT = "vpce-0a1b2c3d4e5f60718"
SITE_KEYS = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/*"
REPLICATION_ROLE = f"arn:aws:iam::{ACCOUNT}:role/replication"
BUCKET = "aws:s3/bucket:Bucket"


def storage_args(**changes: Any) -> AwsSiteStorageArgs:
    values: dict[str, Any] = {
        "region": REGION,
        "data_bucket_name": DATA_BUCKET,
        "log_bucket_name": LOG_BUCKET,
        "audit_bucket_name": AUDIT_BUCKET,
        "kms_key_arn": KEY_ARN,
        "log_kms_key_arn": LOG_KEY_ARN,
        "s3_endpoint_id": S3_ENDPOINT,
        "trail_arn": TRAIL_ARN,
        "break_glass_role_arn": BREAK_GLASS_ROLE,
        "replication_role_arns": [REPLICATION_ROLE],
        "admin_role_arns": [KEY_ADMIN_ROLE],
        "tags": TAGS,
    }
    values.update(changes)
    return AwsSiteStorageArgs(**values)


def build(
    run: RunProgram, args: AwsSiteStorageArgs | None = None, *, preview: bool = False
) -> Recording:
    def program() -> None:
        provider = aws.Provider(PROVIDER_NAME, region=REGION)
        AwsSiteStorage(
            "site", args or storage_args(), opts=pulumi.ResourceOptions(providers=[provider])
        )

    return run(program, preview=preview)


def build_in_preview_with_a_new_key(run: RunProgram) -> Recording:
    """Storage as a first ``pulumi preview`` sees it: the site keys are created in the same run,
    so their ARNs are unknown."""

    def program() -> None:
        provider = aws.Provider(PROVIDER_NAME, region=REGION)
        key = aws.kms.Key("key", opts=pulumi.ResourceOptions(provider=provider))
        log_key = aws.kms.Key("log-key", opts=pulumi.ResourceOptions(provider=provider))
        AwsSiteStorage(
            "site",
            storage_args(kms_key_arn=key.arn, log_kms_key_arn=log_key.arn),
            opts=pulumi.ResourceOptions(providers=[provider]),
        )

    return run(program, preview=True)


def for_bucket(recording: Recording, type_: str, bucket: str) -> RecordedResource:
    found = [r for r in recording.of_type(type_) if r.inputs.get("bucket") == bucket]
    assert len(found) == 1, f"expected one {type_} for {bucket}, found {[r.urn for r in found]}"
    return found[0]


@pytest.fixture
def recording(run: RunProgram) -> Recording:
    return build(run)


@pytest.mark.parametrize("bucket", [DATA_BUCKET, LOG_BUCKET])
def test_buckets_are_versioned(recording: Recording, bucket: str) -> None:
    versioning = for_bucket(recording, "aws:s3/bucketVersioning:BucketVersioning", bucket)
    assert versioning.inputs["versioningConfiguration"] == {"status": "Enabled"}, versioning.urn


@pytest.mark.parametrize("bucket", [DATA_BUCKET, LOG_BUCKET])
def test_buckets_block_all_public_access(recording: Recording, bucket: str) -> None:
    block = for_bucket(recording, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", bucket)
    for flag in (
        "blockPublicAcls",
        "blockPublicPolicy",
        "ignorePublicAcls",
        "restrictPublicBuckets",
    ):
        assert block.inputs[flag] is True, f"{block.urn}: {flag}"


@pytest.mark.parametrize("bucket", [DATA_BUCKET, LOG_BUCKET])
def test_buckets_enforce_bucket_owner(recording: Recording, bucket: str) -> None:
    ownership = for_bucket(
        recording, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", bucket
    )
    assert ownership.inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}, ownership.urn


@pytest.mark.parametrize(("bucket", "key"), [(DATA_BUCKET, KEY_ARN), (LOG_BUCKET, LOG_KEY_ARN)])
def test_buckets_are_encrypted_with_their_own_site_key_and_a_bucket_key(
    recording: Recording, bucket: str, key: str
) -> None:
    sse = for_bucket(
        recording,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        bucket,
    )
    assert sse.inputs["rules"] == [
        {
            "applyServerSideEncryptionByDefault": {
                "sseAlgorithm": "aws:kms",
                "kmsMasterKeyId": key,
            },
            "bucketKeyEnabled": True,
        }
    ], sse.urn


def test_the_log_bucket_needs_another_key_than_the_data_bucket() -> None:
    with pytest.raises(ValueError, match="log_kms_key_arn must be another key than kms_key_arn"):
        storage_args(log_kms_key_arn=KEY_ARN)


@pytest.mark.parametrize("bucket", [DATA_BUCKET, LOG_BUCKET])
def test_lifecycle_expires_noncurrent_versions_and_aborts_uploads(
    recording: Recording, bucket: str
) -> None:
    lifecycle = for_bucket(
        recording, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", bucket
    )
    [rule] = lifecycle.inputs["rules"]
    assert rule["status"] == "Enabled", lifecycle.urn
    assert rule["filter"] == {}, lifecycle.urn
    assert rule["noncurrentVersionExpiration"] == {"noncurrentDays": 90}, lifecycle.urn
    assert rule["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}, lifecycle.urn


def test_noncurrent_expiration_days_are_configurable(run: RunProgram) -> None:
    recording = build(run, storage_args(noncurrent_version_expiration_days=30))
    lifecycle = for_bucket(
        recording, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", DATA_BUCKET
    )
    assert lifecycle.inputs["rules"][0]["noncurrentVersionExpiration"] == {"noncurrentDays": 30}


@pytest.mark.parametrize("protect", [True, False])
def test_buckets_are_retained_and_protected_as_asked(run: RunProgram, protect: bool) -> None:
    recording = build(run, storage_args(protect=protect))
    buckets = recording.of_type(BUCKET)
    assert {b.inputs["bucket"] for b in buckets} == {DATA_BUCKET, LOG_BUCKET, AUDIT_BUCKET}
    for bucket in buckets:
        assert bucket.protect is protect, bucket.urn
        assert bucket.retain_on_delete is True, bucket.urn
        assert bucket.inputs.get("forceDestroy") is not True, bucket.urn
        assert bucket.inputs["tags"] == TAGS, bucket.urn


LOCK = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"


def test_no_object_lock_on_the_data_bucket_by_default(recording: Recording) -> None:
    data = for_bucket(recording, BUCKET, DATA_BUCKET)
    assert data.inputs.get("objectLockEnabled") is False, data.urn
    assert [lock.inputs["bucket"] for lock in recording.of_type(LOCK)] == [AUDIT_BUCKET]


@pytest.mark.parametrize(("days", "mode"), [(365, "GOVERNANCE"), (2557, "COMPLIANCE")])
def test_trail_files_and_flow_logs_are_kept_under_object_lock(
    run: RunProgram, days: int, mode: str
) -> None:
    recording = build(run, storage_args(audit_retention_days=days, audit_retention_mode=mode))
    audit = for_bucket(recording, BUCKET, AUDIT_BUCKET)
    assert audit.inputs["objectLockEnabled"] is True, audit.urn
    lock = for_bucket(recording, LOCK, AUDIT_BUCKET)
    assert lock.inputs["rule"] == {"defaultRetention": {"mode": mode, "days": days}}, lock.urn
    # No noncurrent audit version is expired while it is still locked.
    (rule,) = for_bucket(
        recording, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", AUDIT_BUCKET
    ).inputs["rules"]
    assert rule["noncurrentVersionExpiration"]["noncurrentDays"] >= days
    # The access-log bucket stays without a default retention, which S3 logging refuses.
    log = for_bucket(recording, BUCKET, LOG_BUCKET)
    assert not log.inputs.get("objectLockEnabled"), log.urn


def test_audit_log_versions_are_destroyed_only_by_break_glass_with_mfa(
    recording: Recording,
) -> None:
    doc = audit_policy(recording)
    destroy = statement(doc, "DenyDataDestructionExceptBreakGlass")
    assert destroy["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": BREAK_GLASS_ROLE}}
    assert destroy["Resource"] == f"{AUDIT_BUCKET_ARN}/*"
    mfa = statement(doc, "DenyDataDestructionWithoutMfa")
    assert mfa["Condition"] == {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
    manage = statement(doc, "DenyBucketManagementExceptAdministrators")
    assert "s3:PutBucketObjectLockConfiguration" in manage["Action"]
    assert manage["Condition"] == {
        "ArnNotEquals": {"aws:PrincipalArn": [KEY_ADMIN_ROLE, BREAK_GLASS_ROLE]}
    }


@pytest.mark.parametrize("mode", ["GOVERNANCE", "COMPLIANCE"])
def test_object_lock_is_enabled_at_creation_with_default_retention(
    run: RunProgram, mode: str
) -> None:
    recording = build(run, storage_args(object_lock_days=365, object_lock_mode=mode))
    data = for_bucket(recording, BUCKET, DATA_BUCKET)
    assert data.inputs["objectLockEnabled"] is True, data.urn
    log = for_bucket(recording, BUCKET, LOG_BUCKET)
    assert not log.inputs.get("objectLockEnabled"), f"{log.urn}: access-log targets refuse it"
    lock = for_bucket(
        recording,
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
        DATA_BUCKET,
    )
    assert lock.inputs["rule"] == {"defaultRetention": {"mode": mode, "days": 365}}, lock.urn


@pytest.mark.parametrize(
    ("change", "key"),
    [
        ({"object_lock_days": 0}, "object_lock_days"),
        ({"object_lock_mode": "LEGAL"}, "object_lock_mode"),
        ({"noncurrent_version_expiration_days": 0}, "noncurrent_version_expiration_days"),
        ({"abort_incomplete_multipart_upload_days": 0}, "abort_incomplete_multipart_upload_days"),
        ({"audit_retention_days": 0}, "audit_retention_days"),
        ({"audit_retention_mode": "LEGAL"}, "audit_retention_mode"),
    ],
)
def test_invalid_retention_is_refused(change: dict[str, Any], key: str) -> None:
    with pytest.raises(ValueError, match=key):
        storage_args(**change)


def test_data_bucket_logs_server_access_to_the_log_bucket(recording: Recording) -> None:
    logging = only_logging(recording)
    assert logging.inputs["bucket"] == DATA_BUCKET, logging.urn
    assert logging.inputs["targetBucket"] == LOG_BUCKET, logging.urn
    assert logging.inputs["targetPrefix"] == "s3-access/", logging.urn
    log_policy = for_bucket(recording, "aws:s3/bucketPolicy:BucketPolicy", LOG_BUCKET)
    assert log_policy.urn in logging.dependencies, "logging must wait for the delivery grant"


def only_logging(recording: Recording) -> RecordedResource:
    [logging] = recording.of_type("aws:s3/bucketLogging:BucketLogging")
    return logging


def data_policy(recording: Recording) -> dict[str, Any]:
    return document(for_bucket(recording, "aws:s3/bucketPolicy:BucketPolicy", DATA_BUCKET))


def log_policy(recording: Recording) -> dict[str, Any]:
    return document(for_bucket(recording, "aws:s3/bucketPolicy:BucketPolicy", LOG_BUCKET))


def audit_policy(recording: Recording) -> dict[str, Any]:
    return document(for_bucket(recording, "aws:s3/bucketPolicy:BucketPolicy", AUDIT_BUCKET))


@pytest.mark.parametrize(
    ("policy", "arn"),
    [
        (data_policy, DATA_BUCKET_ARN),
        (log_policy, LOG_BUCKET_ARN),
        (audit_policy, AUDIT_BUCKET_ARN),
    ],
)
def test_buckets_deny_requests_without_tls(recording: Recording, policy: Any, arn: str) -> None:
    deny = statement(policy(recording), "DenyInsecureTransport")
    assert deny["Effect"] == "Deny"
    assert deny["Principal"] == "*"
    assert deny["Action"] == "s3:*"
    assert deny["Resource"] == [arn, f"{arn}/*"]
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_data_bucket_denies_puts_with_other_encryption(recording: Recording) -> None:
    deny = statement(data_policy(recording), "DenyEncryptionOtherThanKms")
    assert deny["Effect"] == "Deny"
    assert deny["Action"] == "s3:PutObject"
    assert deny["Resource"] == f"{DATA_BUCKET_ARN}/*"
    assert deny["Condition"] == {
        "StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}
    }


def test_data_bucket_denies_puts_with_a_key_outside_the_site_region_and_account(
    recording: Recording,
) -> None:
    deny = statement(data_policy(recording), "DenyKeysOutsideSiteRegionAndAccount")
    assert deny["Effect"] == "Deny"
    assert deny["Principal"] == "*"
    assert deny["Action"] == "s3:PutObject"
    assert deny["Resource"] == f"{DATA_BUCKET_ARN}/*"
    assert deny["Condition"] == {
        "ArnNotLikeIfExists": {"s3:x-amz-server-side-encryption-aws-kms-key-id": SITE_KEYS}
    }


def test_data_access_from_outside_the_site_vpc_is_denied_except_exempt_roles(
    recording: Recording,
) -> None:
    deny = statement(data_policy(recording), "DenyDataAccessOutsideSiteNetwork")
    assert deny["Effect"] == "Deny"
    assert deny["Principal"] == "*"
    assert set(deny["Action"]) == set(DATA_ACTIONS)
    for action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject", "s3:ListBucket"):
        assert action in deny["Action"]
    assert deny["Resource"] == [DATA_BUCKET_ARN, f"{DATA_BUCKET_ARN}/*"]
    assert deny["Condition"] == {
        "StringNotEquals": {"aws:SourceVpce": S3_ENDPOINT},
        "ArnNotEquals": {"aws:PrincipalArn": [REPLICATION_ROLE, BREAK_GLASS_ROLE]},
    }


def test_without_exempt_roles_the_network_rule_has_no_exception(run: RunProgram) -> None:
    recording = build(run, storage_args(break_glass_role_arn=None, replication_role_arns=()))
    deny = statement(data_policy(recording), "DenyDataAccessOutsideSiteNetwork")
    assert deny["Condition"] == {"StringNotEquals": {"aws:SourceVpce": S3_ENDPOINT}}


@pytest.mark.parametrize("endpoint", ["", "10.20.0.0/16", "vpc-0a1b2c3d", "s3.eu-west-1"])
def test_an_s3_endpoint_id_that_is_not_one_is_refused(endpoint: str) -> None:
    with pytest.raises(ValueError, match="s3_endpoint_id"):
        storage_args(s3_endpoint_id=endpoint)


@pytest.mark.parametrize("bucket", [DATA_BUCKET, LOG_BUCKET, AUDIT_BUCKET])
def test_bucket_policies_are_known_at_preview_with_a_new_key(run: RunProgram, bucket: str) -> None:
    """No key ARN appears in a bucket policy: with the endpoint's id given, every policy is known
    in a first preview although the keys are created in the same run. (In the site the endpoint
    is created in the same run too: its id is what the offline check's evidence proves,
    tests/policy_packs/test_eu_data_protection.py.)"""
    recording = build_in_preview_with_a_new_key(run)
    policy = for_bucket(recording, "aws:s3/bucketPolicy:BucketPolicy", bucket)
    assert policy.inputs.get("policy", UNKNOWN) is not UNKNOWN, policy.urn
    assert statement(document(policy), "DenyInsecureTransport")["Effect"] == "Deny"
    sse = for_bucket(
        recording,
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        bucket,
    )
    key_name = "key" if bucket == DATA_BUCKET else "log-key"
    key_urn = next(r.urn for r in recording.of_type("aws:kms/key:Key") if r.name == key_name)
    assert key_urn in sse.property_dependencies.get("rules", ()), sse.urn


def test_only_administrators_and_break_glass_change_the_bucket_s_guards(
    recording: Recording,
) -> None:
    deny = statement(data_policy(recording), "DenyBucketManagementExceptAdministrators")
    assert deny["Effect"] == "Deny"
    assert deny["Principal"] == "*"
    assert deny["Resource"] == DATA_BUCKET_ARN
    assert deny["Action"] == list(MANAGEMENT_ACTIONS)
    for action in ("s3:PutBucketPolicy", "s3:PutReplicationConfiguration"):
        assert action in deny["Action"]
    assert deny["Condition"] == {
        "ArnNotEquals": {"aws:PrincipalArn": [KEY_ADMIN_ROLE, BREAK_GLASS_ROLE]}
    }


def test_only_the_break_glass_role_with_mfa_destroys_versions(recording: Recording) -> None:
    policy = data_policy(recording)
    others = statement(policy, "DenyDataDestructionExceptBreakGlass")
    assert others["Action"] == list(DESTRUCTIVE_ACTIONS)
    assert "s3:DeleteObjectVersion" in others["Action"]
    assert "s3:BypassGovernanceRetention" in others["Action"]
    assert others["Resource"] == f"{DATA_BUCKET_ARN}/*"
    assert others["Condition"] == {"ArnNotEquals": {"aws:PrincipalArn": BREAK_GLASS_ROLE}}
    mfa = statement(policy, "DenyDataDestructionWithoutMfa")
    assert mfa["Action"] == list(DESTRUCTIVE_ACTIONS)
    assert mfa["Condition"] == {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}


def test_without_a_break_glass_role_nobody_destroys_versions(run: RunProgram) -> None:
    recording = build(run, storage_args(break_glass_role_arn=None))
    policy = data_policy(recording)
    deny = statement(policy, "DenyDataDestructionExceptBreakGlass")
    assert "Condition" not in deny
    managers = statement(policy, "DenyBucketManagementExceptAdministrators")["Condition"]
    assert managers == {"ArnNotEquals": {"aws:PrincipalArn": [KEY_ADMIN_ROLE]}}
    assert "DenyDataDestructionWithoutMfa" not in {s["Sid"] for s in policy["Statement"]}


def test_data_bucket_policy_has_no_allow(recording: Recording) -> None:
    assert {s["Effect"] for s in data_policy(recording)["Statement"]} == {"Deny"}


def test_log_bucket_admits_server_access_logs_from_the_data_bucket_only(
    recording: Recording,
) -> None:
    grant = statement(log_policy(recording), "S3ServerAccessLogsWrite")
    assert grant["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert grant["Action"] == "s3:PutObject"
    assert grant["Resource"] == f"{LOG_BUCKET_ARN}/s3-access/*"
    assert grant["Condition"] == {
        "ArnLike": {"aws:SourceArn": DATA_BUCKET_ARN},
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
    }


def test_audit_bucket_admits_flow_logs_of_this_account_and_region(recording: Recording) -> None:
    doc = audit_policy(recording)
    sources = f"arn:aws:logs:{REGION}:{ACCOUNT}:*"
    acl = statement(doc, "FlowLogsAclCheck")
    assert acl["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    assert acl["Action"] == "s3:GetBucketAcl"
    assert acl["Condition"]["ArnLike"] == {"aws:SourceArn": sources}
    write = statement(doc, "FlowLogsWrite")
    assert write["Resource"] == f"{AUDIT_BUCKET_ARN}/vpc-flow-logs/AWSLogs/{ACCOUNT}/*"
    assert write["Condition"] == {
        "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": sources},
    }


def test_audit_bucket_admits_the_site_trail_only(recording: Recording) -> None:
    doc = audit_policy(recording)
    acl = statement(doc, "CloudTrailAclCheck")
    assert acl["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert acl["Condition"] == {"StringEquals": {"aws:SourceArn": TRAIL_ARN}}
    write = statement(doc, "CloudTrailWrite")
    assert write["Resource"] == f"{AUDIT_BUCKET_ARN}/cloudtrail/AWSLogs/{ACCOUNT}/*"
    assert write["Condition"] == {
        "StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": TRAIL_ARN}
    }


@pytest.mark.parametrize(
    ("policy", "arn", "sids"),
    [
        (log_policy, LOG_BUCKET_ARN, {"S3ServerAccessLogsWrite"}),
        (
            audit_policy,
            AUDIT_BUCKET_ARN,
            {"FlowLogsAclCheck", "FlowLogsWrite", "CloudTrailAclCheck", "CloudTrailWrite"},
        ),
    ],
)
def test_log_buckets_allow_only_their_service_principals(
    recording: Recording, policy: Any, arn: str, sids: set[str]
) -> None:
    allowed = [entry for entry in policy(recording)["Statement"] if entry["Effect"] == "Allow"]
    assert {entry["Sid"] for entry in allowed} == sids
    for entry in allowed:
        principal = entry["Principal"]
        assert set(principal) == {"Service"}, entry["Sid"]
        assert entry["Condition"], f"{entry['Sid']} must pin its source"
        for resource in as_list(entry["Resource"]):
            assert resource.startswith(arn), entry["Sid"]


def test_no_trail_statements_without_a_trail(run: RunProgram) -> None:
    sids = {s["Sid"] for s in audit_policy(build(run, storage_args(trail_arn=None)))["Statement"]}
    assert not {"CloudTrailAclCheck", "CloudTrailWrite"} & sids


def test_every_resource_uses_the_explicit_provider(recording: Recording) -> None:
    assert_all_on_provider(recording, PROVIDER_NAME)


def test_bucket_policies_pass_parliament(recording: Recording) -> None:
    for policy in recording.of_type("aws:s3/bucketPolicy:BucketPolicy"):
        assert lint(policy.inputs["policy"]) == [], policy.urn
