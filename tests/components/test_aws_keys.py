"""AwsSiteKey: a single-region, rotating, symmetric key that only named roles and services use."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from clover.standin.engine import Recording
from components.keys.aws import (
    ACCOUNT_READ_ACTIONS,
    KEY_ADMIN_ACTIONS,
    AwsSiteKey,
    AwsSiteKeyArgs,
)
from tests.components.aws_helpers import (
    ACCOUNT,
    DATA_BUCKET_ARN,
    GATEWAY_ROLE_ARN,
    LOG_BUCKET_ARN,
    PROVIDER_NAME,
    REGION,
    TAGS,
    TRAIL_ARN,
    assert_all_on_provider,
    document,
    lint,
    only,
    statement,
)
from tests.conftest import RunProgram

KEY = "aws:kms/key:Key"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
ADMIN_ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/clover-key-admins"


def key_args(**changes: object) -> AwsSiteKeyArgs:
    values: dict[str, object] = {
        "site": "dublin",
        "region": REGION,
        "admin_role_arns": [ADMIN_ROLE_ARN],
        "user_role_arns": [GATEWAY_ROLE_ARN],
        "cloudtrail_trail_arn": TRAIL_ARN,
        "log_bucket_arn": LOG_BUCKET_ARN,
        "access_logged_bucket_arns": [DATA_BUCKET_ARN],
        "purpose": "logs",
        "tags": TAGS,
    }
    values.update(changes)
    return AwsSiteKeyArgs(**values)  # type: ignore[arg-type]


def build(run: RunProgram, args: AwsSiteKeyArgs | None = None) -> Recording:
    def program() -> None:
        provider = aws.Provider(PROVIDER_NAME, region=REGION)
        AwsSiteKey("site", args or key_args(), opts=pulumi.ResourceOptions(providers=[provider]))

    return run(program)


def test_key_is_symmetric_single_region_rotating_with_30_day_window(run: RunProgram) -> None:
    key = only(build(run), KEY)
    assert key.inputs["customerMasterKeySpec"] == "SYMMETRIC_DEFAULT", key.urn
    assert key.inputs["keyUsage"] == "ENCRYPT_DECRYPT", key.urn
    assert key.inputs["multiRegion"] is False, key.urn
    assert key.inputs["enableKeyRotation"] is True, key.urn
    assert key.inputs["deletionWindowInDays"] == 30, key.urn
    assert key.inputs["tags"] == TAGS, key.urn


DATA_KEY = {
    "purpose": "data",
    "cloudtrail_trail_arn": None,
    "log_bucket_arn": None,
    "access_logged_bucket_arns": (),
}


@pytest.mark.parametrize(("changes", "alias"), [({}, "logs"), (DATA_KEY, "data")])
def test_alias_names_the_site_and_purpose(
    run: RunProgram, changes: dict[str, Any], alias: str
) -> None:
    recording = build(run, key_args(**changes))
    found = only(recording, "aws:kms/alias:Alias")
    assert found.inputs["name"] == f"alias/clover-dublin-{alias}", found.urn
    assert found.inputs["targetKeyId"] == f"arn:aws:kms:{REGION}:{ACCOUNT}:key/site-key-id"
    description = only(recording, KEY).inputs["description"]
    assert description == f"Clover dublin site {alias} key ({REGION})"


@pytest.mark.parametrize(
    "logs",
    [
        {"cloudtrail_trail_arn": TRAIL_ARN},
        {"log_bucket_arn": LOG_BUCKET_ARN, "access_logged_bucket_arns": [DATA_BUCKET_ARN]},
    ],
)
def test_a_data_key_encrypts_no_logs(logs: dict[str, Any]) -> None:
    # Log deliverers (CloudTrail, S3 logging, flow logs) never hold the personal-data key.
    with pytest.raises(ValueError, match="a data key encrypts no logs"):
        key_args(**{**DATA_KEY, **logs})


def test_an_unknown_purpose_is_refused() -> None:
    with pytest.raises(ValueError, match="purpose 'backups' is not allowed"):
        key_args(purpose="backups")


def test_only_named_roles_administer_the_key_and_none_can_use_it(run: RunProgram) -> None:
    key = only(build(run), KEY)
    policy = document(key)
    admin = statement(policy, "NamedRolesAdministerKey")
    assert admin["Principal"] == {"AWS": [ADMIN_ROLE_ARN]}, key.urn
    assert admin["Action"] == list(KEY_ADMIN_ACTIONS), key.urn
    for crypto in ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*", "kms:*"):
        assert crypto not in admin["Action"], key.urn
    # A grant hands key use to another principal outside the key policy: nobody may create one
    # through the admin statement, and no admin action is a wildcard a later KMS release widens.
    assert "kms:CreateGrant" not in admin["Action"], key.urn
    assert not [a for a in admin["Action"] if "*" in a], key.urn


def test_the_account_root_only_reads_the_key(run: RunProgram) -> None:
    key = only(build(run), KEY)
    policy = document(key)
    read = statement(policy, "AccountReadsKeyMetadata")
    assert read["Principal"] == {"AWS": ROOT}, key.urn
    assert read["Action"] == list(ACCOUNT_READ_ACTIONS), key.urn
    assert all(a.startswith(("kms:Describe", "kms:Get", "kms:List")) for a in read["Action"])
    # Any other statement for the root is narrowed to named roles by aws:PrincipalArn.
    for entry in policy["Statement"]:
        if entry is not read and entry["Principal"] == {"AWS": ROOT}:
            assert "aws:PrincipalArn" in str(entry["Condition"]), entry["Sid"]


@pytest.mark.parametrize("admins", [[], (), "arn:aws:iam::123456789012:role/one"])
def test_a_key_without_named_admin_roles_is_refused(admins: object) -> None:
    with pytest.raises(ValueError, match="admin_role_arns must name at least one key-admin role"):
        key_args(admin_role_arns=admins)


def test_named_roles_use_the_key_only_through_s3_in_the_site_region(run: RunProgram) -> None:
    key = only(build(run), KEY)
    use = statement(document(key), "NamedRolesUseKeyThroughS3")
    assert use["Principal"] == {"AWS": ROOT}, key.urn
    assert use["Condition"]["ArnEquals"] == {"aws:PrincipalArn": [GATEWAY_ROLE_ARN]}, key.urn
    assert use["Condition"]["StringEquals"] == {
        "kms:ViaService": f"s3.{REGION}.amazonaws.com",
        "kms:CallerAccount": ACCOUNT,
    }, key.urn


def test_cloudtrail_may_encrypt_only_for_the_site_trail(run: RunProgram) -> None:
    doc = document(only(build(run), KEY))
    encrypt = statement(doc, "CloudTrailEncryptsSiteTrail")
    assert encrypt["Principal"] == {"Service": "cloudtrail.amazonaws.com"}
    assert encrypt["Action"] == "kms:GenerateDataKey*"
    assert encrypt["Condition"]["StringEquals"] == {"aws:SourceArn": TRAIL_ARN}
    assert encrypt["Condition"]["StringLike"] == {
        "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{ACCOUNT}:trail/*"
    }
    describe = statement(doc, "CloudTrailDescribesKey")
    assert describe["Condition"]["StringEquals"] == {"aws:SourceArn": TRAIL_ARN}


def test_s3_access_logging_may_only_generate_keys_for_the_log_bucket(run: RunProgram) -> None:
    grant = statement(document(only(build(run), KEY)), "S3ServerAccessLogsEncrypt")
    assert grant["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert grant["Action"] == "kms:GenerateDataKey"
    assert grant["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": [DATA_BUCKET_ARN]},
        "StringLike": {"kms:EncryptionContext:aws:s3:arn": [LOG_BUCKET_ARN, f"{LOG_BUCKET_ARN}/*"]},
    }


def test_flow_log_delivery_may_use_the_key_for_this_account_and_region(run: RunProgram) -> None:
    grant = statement(document(only(build(run), KEY)), "FlowLogsEncrypt")
    assert grant["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    assert set(grant["Action"]) == {
        "kms:Decrypt",
        "kms:DescribeKey",
        "kms:Encrypt",
        "kms:GenerateDataKey*",
        "kms:ReEncrypt*",
    }
    assert grant["Condition"] == {
        "StringEquals": {"aws:SourceAccount": ACCOUNT},
        "ArnLike": {"aws:SourceArn": f"arn:aws:logs:{REGION}:{ACCOUNT}:*"},
    }


def test_no_access_log_statement_without_logged_buckets(run: RunProgram) -> None:
    doc = document(only(build(run, key_args(access_logged_bucket_arns=())), KEY))
    sids = [s["Sid"] for s in doc["Statement"]]
    assert "S3ServerAccessLogsEncrypt" not in sids
    assert "FlowLogsEncrypt" in sids


def test_logged_buckets_need_a_log_bucket() -> None:
    with pytest.raises(ValueError, match="log_bucket_arn"):
        key_args(log_bucket_arn=None)


def test_no_user_trail_or_log_statements_when_none_are_named(run: RunProgram) -> None:
    args = key_args(
        user_role_arns=(),
        cloudtrail_trail_arn=None,
        log_bucket_arn=None,
        access_logged_bucket_arns=(),
    )
    doc = document(only(build(run, args), KEY))
    assert [s["Sid"] for s in doc["Statement"]] == [
        "AccountReadsKeyMetadata",
        "NamedRolesAdministerKey",
    ]


def test_no_statement_allows_anyone_else(run: RunProgram) -> None:
    doc = document(only(build(run), KEY))
    for entry in doc["Statement"]:
        assert entry["Effect"] == "Allow"
        assert entry["Principal"] in (
            {"AWS": ROOT},
            {"AWS": [ADMIN_ROLE_ARN]},
            {"Service": "cloudtrail.amazonaws.com"},
            {"Service": "logging.s3.amazonaws.com"},
            {"Service": "delivery.logs.amazonaws.com"},
        ), entry["Sid"]
        if "Service" in entry["Principal"]:
            assert "aws:SourceArn" in str(entry["Condition"]), f"{entry['Sid']} must pin its source"


@pytest.mark.parametrize("protect", [True, False])
def test_protect_follows_the_argument(run: RunProgram, protect: bool) -> None:
    key = only(build(run, key_args(protect=protect)), KEY)
    assert key.protect is protect, key.urn
    # Deleting a key makes everything it encrypted unreadable: a protected key is also retained.
    assert key.retain_on_delete is protect, key.urn


def test_key_and_alias_use_the_explicit_provider(run: RunProgram) -> None:
    recording = build(run)
    assert_all_on_provider(recording, PROVIDER_NAME)


@pytest.mark.parametrize("alias", ["clover-data", "alias/aws/s3"])
def test_invalid_alias_is_refused(alias: str) -> None:
    with pytest.raises(ValueError, match="alias_name"):
        key_args(alias_name=alias)


def test_key_policy_passes_parliament(run: RunProgram) -> None:
    key = only(build(run), KEY)
    assert lint(key.inputs["policy"]) == [], key.urn
