"""AwsAccessGateway: the data-access role and the site's data-event trail."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws
import pytest

from clover.standin.engine import Recording
from components.gateway.aws import AwsAccessGateway, AwsAccessGatewayArgs
from tests.components.aws_helpers import (
    ACCOUNT,
    APP_ROLE,
    DATA_BUCKET_ARN,
    LOG_BUCKET,
    PROVIDER_NAME,
    REGION,
    TAGS,
    TRUST_POLICY_ALLOWED,
    assert_all_on_provider,
    document,
    lint,
    only,
    statement,
)
from tests.conftest import RunProgram

KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/site-key"
LOG_KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/site-log-key"
ENDPOINT = "vpce-0123456789abcdef0"
OPERATOR = f"arn:aws:iam::{ACCOUNT}:user/operator"
ROLE = "aws:iam/role:Role"
TRAIL = "aws:cloudtrail/trail:Trail"


def gateway_args(**changes: Any) -> AwsAccessGatewayArgs:
    values: dict[str, Any] = {
        "region": REGION,
        "role_name": "clover-dublin-test-gateway",
        "trusted_principal_arns": [APP_ROLE, OPERATOR],
        "data_bucket_arn": DATA_BUCKET_ARN,
        "kms_key_arn": KEY_ARN,
        "trail_kms_key_arn": LOG_KEY_ARN,
        "s3_endpoint_id": ENDPOINT,
        "trail_name": "clover-dublin-test-data-events",
        "log_bucket_name": LOG_BUCKET,
        "trail_s3_key_prefix": "cloudtrail",
        "tags": TAGS,
    }
    values.update(changes)
    return AwsAccessGatewayArgs(**values)


def build(run: RunProgram, args: AwsAccessGatewayArgs | None = None) -> Recording:
    def program() -> None:
        provider = aws.Provider(PROVIDER_NAME, region=REGION)
        AwsAccessGateway(
            "site", args or gateway_args(), opts=pulumi.ResourceOptions(providers=[provider])
        )

    return run(program)


@pytest.fixture
def recording(run: RunProgram) -> Recording:
    return build(run)


def test_role_trusts_exactly_the_listed_principals(recording: Recording) -> None:
    role = only(recording, ROLE)
    doc = document(role, "assumeRolePolicy")
    [trust] = doc["Statement"]
    assert trust["Effect"] == "Allow", role.urn
    assert trust["Action"] == "sts:AssumeRole", role.urn
    assert trust["Principal"] == {"AWS": sorted([APP_ROLE, OPERATOR])}, role.urn
    assert "*" not in json.dumps(trust["Principal"]), role.urn


def test_role_sessions_last_at_most_an_hour(recording: Recording) -> None:
    role = only(recording, ROLE)
    assert role.inputs["maxSessionDuration"] == 3600, role.urn
    assert role.inputs["name"] == "clover-dublin-test-gateway", role.urn
    # Marked as the gateway role people read data through (eu-access gateway-role rule).
    assert role.inputs["tags"] == {**TAGS, "access-gateway": "true"}, role.urn
    assert not role.inputs.get("managedPolicyArns"), role.urn


@pytest.mark.parametrize(
    "principals",
    [
        [],
        ["*"],
        ["arn:aws:iam::123456789012:role/*"],
        ["arn:aws:iam::*:root"],
        ["app"],
        ["arn:aws:s3:::bucket"],
    ],
)
def test_wildcard_or_malformed_principals_are_refused(principals: list[str]) -> None:
    with pytest.raises(ValueError, match="trusted_principal_arns"):
        gateway_args(trusted_principal_arns=principals)


def test_a_single_string_is_not_taken_for_a_list() -> None:
    with pytest.raises(ValueError, match="trusted_principal_arns"):
        gateway_args(trusted_principal_arns=APP_ROLE)


def permissions(recording: Recording) -> dict[str, Any]:
    return document(only(recording, "aws:iam/rolePolicy:RolePolicy"))


def test_s3_permissions_are_the_data_bucket_through_the_endpoint_in_region(
    recording: Recording,
) -> None:
    doc = permissions(recording)
    expected = {"StringEquals": {"aws:SourceVpce": ENDPOINT, "aws:RequestedRegion": REGION}}
    listing = statement(doc, "ListSiteDataBucket")
    assert listing["Resource"] == DATA_BUCKET_ARN
    assert listing["Condition"] == expected
    objects = statement(doc, "ReadWriteSiteData")
    assert objects["Resource"] == f"{DATA_BUCKET_ARN}/*"
    assert objects["Condition"] == expected
    assert {"s3:GetObject", "s3:PutObject", "s3:DeleteObject"} <= set(objects["Action"])


def test_key_permissions_are_the_site_key_through_s3_in_region(recording: Recording) -> None:
    use = statement(permissions(recording), "UseSiteKeyThroughS3")
    assert use["Resource"] == KEY_ARN
    assert set(use["Action"]) == {"kms:Decrypt", "kms:GenerateDataKey"}
    assert use["Condition"] == {
        "StringEquals": {
            "kms:ViaService": f"s3.{REGION}.amazonaws.com",
            "aws:RequestedRegion": REGION,
        }
    }


def test_puts_naming_another_key_than_the_site_key_are_denied(recording: Recording) -> None:
    deny = statement(permissions(recording), "DenyPutsWithAnotherKey")
    assert deny["Effect"] == "Deny"
    assert deny["Action"] == "s3:PutObject"
    assert deny["Resource"] == f"{DATA_BUCKET_ARN}/*"
    assert deny["Condition"] == {
        "ArnNotEqualsIfExists": {"s3:x-amz-server-side-encryption-aws-kms-key-id": KEY_ARN}
    }


def test_permissions_name_no_wildcard_resource_or_action(recording: Recording) -> None:
    allows = [s for s in permissions(recording)["Statement"] if s["Effect"] == "Allow"]
    assert {s["Effect"] for s in permissions(recording)["Statement"]} == {"Allow", "Deny"}
    for entry in allows:
        assert entry["Resource"] != "*", entry["Sid"]
        assert all("*" not in action for action in entry["Action"]), entry["Sid"]
        assert entry["Condition"], entry["Sid"]


def test_trail_is_single_region_validated_and_encrypted(recording: Recording) -> None:
    trail = only(recording, TRAIL)
    assert trail.inputs["isMultiRegionTrail"] is False, trail.urn
    assert trail.inputs["includeGlobalServiceEvents"] is False, trail.urn
    assert trail.inputs["enableLogFileValidation"] is True, trail.urn
    assert trail.inputs["kmsKeyId"] == LOG_KEY_ARN, trail.urn  # the log key, never the data key
    assert trail.inputs["s3BucketName"] == LOG_BUCKET, trail.urn
    assert trail.inputs["s3KeyPrefix"] == "cloudtrail", trail.urn
    assert trail.inputs["name"] == "clover-dublin-test-data-events", trail.urn
    assert trail.inputs["tags"] == TAGS, trail.urn


def test_trail_records_object_events_of_the_data_bucket_only(recording: Recording) -> None:
    trail = only(recording, TRAIL)
    [selector] = trail.inputs["advancedEventSelectors"]
    fields = {f["field"]: f for f in selector["fieldSelectors"]}
    assert fields["eventCategory"]["equals"] == ["Data"], trail.urn
    assert fields["resources.type"]["equals"] == ["AWS::S3::Object"], trail.urn
    assert fields["resources.ARN"]["startsWiths"] == [f"{DATA_BUCKET_ARN}/"], trail.urn
    assert not trail.inputs.get("eventSelectors"), trail.urn


def test_trail_also_records_the_backup_buckets_kept_in_the_site(run: RunProgram) -> None:
    backup = "arn:aws:s3:::clover-hamar-test-from-dublin-123456789012"
    trail = only(build(run, gateway_args(backup_bucket_arns=[backup])), TRAIL)
    [selector] = trail.inputs["advancedEventSelectors"]
    fields = {f["field"]: f for f in selector["fieldSelectors"]}
    assert fields["resources.ARN"]["startsWiths"] == [f"{DATA_BUCKET_ARN}/", f"{backup}/"]


def test_every_resource_uses_the_explicit_provider(recording: Recording) -> None:
    assert_all_on_provider(recording, PROVIDER_NAME)


@pytest.mark.parametrize(
    ("change", "key"),
    [({"role_name": "has space"}, "role_name"), ({"trail_name": "-bad"}, "trail_name")],
)
def test_invalid_names_are_refused(change: dict[str, Any], key: str) -> None:
    with pytest.raises(ValueError, match=key):
        gateway_args(**change)


def test_permissions_policy_passes_parliament(recording: Recording) -> None:
    policy = only(recording, "aws:iam/rolePolicy:RolePolicy")
    assert lint(policy.inputs["policy"]) == [], policy.urn


def test_trust_policy_passes_parliament(recording: Recording) -> None:
    role = only(recording, ROLE)
    assert lint(role.inputs["assumeRolePolicy"], allow=TRUST_POLICY_ALLOWED) == [], role.urn
