"""AwsSite: the composite wires network, key, storage and gateway consistently."""

from __future__ import annotations

import re

import pulumi
import pulumi_aws as aws
import pytest

from clover.standin.engine import UNKNOWN, Recording
from clover.standin.recorded import RecordedResource
from components.site.aws import AwsSite, AwsSiteArgs
from tests.components.aws_helpers import (
    ACCOUNT,
    APP_ROLE,
    AUDIT_BUCKET,
    AUDIT_BUCKET_ARN,
    BREAK_GLASS_ROLE,
    DATA_BUCKET,
    DATA_BUCKET_ARN,
    GATEWAY_ROLE_ARN,
    KEY_ADMIN_ROLE,
    LOG_BUCKET,
    LOG_BUCKET_ARN,
    PROVIDER_NAME,
    REGION,
    REPLICATION_ROLE_NAME,
    TAGS,
    TRAIL_ARN,
    TRUST_POLICY_ALLOWED,
    document,
    lint,
    only,
    policies,
    site_args,
    site_program,
    statement,
)
from tests.conftest import RunProgram

KEY = "aws:kms/key:Key"
ALIAS = "aws:kms/alias:Alias"

HAMAR_TAGS = {"residency-site": "hamar", "data-classification": "personal"}


@pytest.fixture
def recording(run: RunProgram) -> Recording:
    return run(site_program())


@pytest.mark.parametrize("provider_option", ["providers", "provider"])
def test_every_resource_uses_the_explicit_provider(run: RunProgram, provider_option: str) -> None:
    recording = run(site_program(provider_option=provider_option))
    custom = [r for r in recording.resources if r.custom and not r.is_provider]
    assert len(custom) > 30
    for resource in custom:
        provider = recording.provider_of(resource)
        assert provider is not None, f"{resource.urn} would use a default provider"
        assert provider.name == PROVIDER_NAME, resource.urn
        assert provider.inputs["region"] == REGION, resource.urn


def test_every_resource_sits_under_the_site_component(recording: Recording) -> None:
    by_urn = recording.by_urn()
    site = only(recording, "clover:site:AwsSite")
    for resource in recording.resources:
        if resource.is_provider or resource is site:
            continue
        ancestor = resource
        while ancestor.parent in by_urn and ancestor.parent != site.urn:
            ancestor = by_urn[ancestor.parent]
        assert ancestor.parent == site.urn, resource.urn


def test_component_types_and_child_names(recording: Recording) -> None:
    keys = sorted(r.name for r in recording.of_type("clover:keys:AwsSiteKey"))
    assert keys == ["dublin-keys", "dublin-log-keys"]
    types = {r.type: r.name for r in recording.resources if not r.custom and r.name not in keys}
    assert types == {
        "clover:site:AwsSite": "dublin",
        "clover:network:AwsNetworkBoundary": "dublin-network",
        "clover:storage:AwsSiteStorage": "dublin-storage",
        "clover:gateway:AwsAccessGateway": "dublin-gateway",
    }
    for resource in recording.resources:
        if resource.custom and not resource.is_provider:
            assert resource.name.startswith("dublin-"), resource.urn


def test_physical_names_are_deterministic(recording: Recording) -> None:
    buckets = {b.inputs["bucket"] for b in recording.of_type("aws:s3/bucket:Bucket")}
    assert buckets == {DATA_BUCKET, LOG_BUCKET, AUDIT_BUCKET}
    role = only(recording, "aws:iam/role:Role")
    assert role.inputs["name"] == GATEWAY_ROLE_ARN.rsplit("/", 1)[1]
    trail = only(recording, "aws:cloudtrail/trail:Trail")
    assert trail.inputs["name"] == TRAIL_ARN.rsplit("/", 1)[1]


def keys(recording: Recording) -> dict[str, RecordedResource]:
    """The site's two keys by purpose, told apart by their aliases."""
    aliases = {a.inputs["name"]: a.inputs["targetKeyId"] for a in recording.of_type(ALIAS)}
    by_arn = {f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{k.name}-id": k for k in recording.of_type(KEY)}
    assert set(aliases) == {"alias/clover-dublin-data", "alias/clover-dublin-logs"}, aliases
    return {name.rsplit("-", 1)[1]: by_arn[arn] for name, arn in aliases.items()}


def test_personal_data_and_logs_have_keys_of_their_own(recording: Recording) -> None:
    found = keys(recording)
    data, logs = document(found["data"]), document(found["logs"])
    data_sids = {s["Sid"] for s in data["Statement"]}
    # Nothing that delivers or reads logs holds the data key ...
    assert not data_sids & {
        "CloudTrailEncryptsSiteTrail",
        "S3ServerAccessLogsEncrypt",
        "FlowLogsEncrypt",
    }
    # ... and the gateway and replication roles, which read user data, do not hold the log key.
    readers = statement(logs, "NamedRolesUseKeyThroughS3")["Condition"]["ArnEquals"]
    assert readers == {"aws:PrincipalArn": [BREAK_GLASS_ROLE]}
    for key in found.values():
        assert key.protect is True, key.urn
        assert key.inputs["tags"] == TAGS, key.urn


def test_key_policy_admits_the_gateway_role_it_creates(recording: Recording) -> None:
    key = keys(recording)["data"]
    users = statement(document(key), "NamedRolesUseKeyThroughS3")["Condition"]["ArnEquals"]
    role = only(recording, "aws:iam/role:Role")
    role_arn = f"arn:aws:iam::{ACCOUNT}:role/{role.inputs['name']}"
    assert users["aws:PrincipalArn"] == [
        role_arn,
        f"arn:aws:iam::{ACCOUNT}:role/{REPLICATION_ROLE_NAME}",
        BREAK_GLASS_ROLE,
    ]


def test_key_policy_admits_the_trail_it_creates(recording: Recording) -> None:
    key = keys(recording)["logs"]
    trail = only(recording, "aws:cloudtrail/trail:Trail")
    encrypt = statement(document(key), "CloudTrailEncryptsSiteTrail")
    assert encrypt["Condition"]["StringEquals"]["aws:SourceArn"] == (
        f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/{trail.inputs['name']}"
    )


def s3_endpoint_id(recording: Recording) -> str:
    """The site's S3 endpoint's id, as AWS forms it (``vpce-`` and 17 hex digits)."""
    endpoint = next(
        r
        for r in recording.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
        if r.name == "dublin-network-s3-endpoint"
    )
    assert re.fullmatch(r"vpce-[0-9a-f]{17}", endpoint.id or ""), endpoint.id
    return str(endpoint.id)


def test_storage_uses_the_site_keys_and_the_site_network(recording: Recording) -> None:
    key_arns = {
        DATA_BUCKET: f"arn:aws:kms:{REGION}:{ACCOUNT}:key/dublin-keys-key-id",
        LOG_BUCKET: f"arn:aws:kms:{REGION}:{ACCOUNT}:key/dublin-log-keys-key-id",
        AUDIT_BUCKET: f"arn:aws:kms:{REGION}:{ACCOUNT}:key/dublin-log-keys-key-id",
    }
    encrypted = recording.of_type(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    assert {sse.inputs["bucket"] for sse in encrypted} == set(key_arns)
    for sse in encrypted:
        default = sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
        expected = key_arns[sse.inputs["bucket"]]
        assert default == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": expected}, sse.urn
    data_policy = next(
        r
        for r in recording.of_type("aws:s3/bucketPolicy:BucketPolicy")
        if r.inputs["bucket"] == DATA_BUCKET
    )
    deny = statement(document(data_policy), "DenyDataAccessOutsideSiteNetwork")
    # The site's own S3 endpoint, not an address range another VPC of the account could share.
    assert deny["Condition"]["StringNotEquals"] == {"aws:SourceVpce": s3_endpoint_id(recording)}
    assert "NotIpAddress" not in deny["Condition"]


def test_key_policy_admits_log_delivery_into_the_site_log_bucket(recording: Recording) -> None:
    doc = document(keys(recording)["logs"])
    access_logs = statement(doc, "S3ServerAccessLogsEncrypt")["Condition"]
    assert access_logs["ArnLike"] == {"aws:SourceArn": [DATA_BUCKET_ARN]}
    assert access_logs["StringLike"] == {
        "kms:EncryptionContext:aws:s3:arn": [LOG_BUCKET_ARN, f"{LOG_BUCKET_ARN}/*"]
    }
    flow_logs = statement(doc, "FlowLogsEncrypt")["Condition"]
    assert flow_logs["ArnLike"] == {"aws:SourceArn": f"arn:aws:logs:{REGION}:{ACCOUNT}:*"}


def test_gateway_is_scoped_to_the_site_bucket_key_and_endpoint(recording: Recording) -> None:
    doc = document(only(recording, "aws:iam/rolePolicy:RolePolicy"))
    objects = statement(doc, "ReadWriteSiteData")
    assert objects["Resource"] == f"{DATA_BUCKET_ARN}/*"
    assert objects["Condition"]["StringEquals"]["aws:SourceVpce"] == s3_endpoint_id(recording)
    key_arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/dublin-keys-key-id"
    key = statement(doc, "UseSiteKeyThroughS3")
    assert key["Resource"] == key_arn
    other_keys = statement(doc, "DenyPutsWithAnotherKey")["Condition"]
    assert other_keys == {
        "ArnNotEqualsIfExists": {"s3:x-amz-server-side-encryption-aws-kms-key-id": key_arn}
    }
    trust = document(only(recording, "aws:iam/role:Role"), "assumeRolePolicy")
    assert trust["Statement"][0]["Principal"] == {"AWS": [APP_ROLE]}


def test_endpoint_admits_both_site_buckets(recording: Recording) -> None:
    s3 = next(
        r
        for r in recording.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")
        if r.inputs["vpcEndpointType"] == "Gateway"
    )
    doc = document(s3)
    assert statement(doc, "SiteBucketsOnly")["Resource"] == [
        DATA_BUCKET_ARN,
        f"{DATA_BUCKET_ARN}/*",
    ]
    logs = [LOG_BUCKET_ARN, f"{LOG_BUCKET_ARN}/*", AUDIT_BUCKET_ARN, f"{AUDIT_BUCKET_ARN}/*"]
    assert statement(doc, "SiteLogsReadOnly")["Resource"] == logs
    assert statement(doc, "NoLogVersionDeletion")["Resource"] == logs


def test_log_deliveries_wait_for_the_audit_bucket_policy(recording: Recording) -> None:
    log_policy = next(
        r
        for r in recording.of_type("aws:s3/bucketPolicy:BucketPolicy")
        if r.inputs["bucket"] == AUDIT_BUCKET
    )
    flow_log = only(recording, "aws:ec2/flowLog:FlowLog")
    assert flow_log.inputs["logDestination"] == f"{AUDIT_BUCKET_ARN}/vpc-flow-logs/"
    assert log_policy.urn in flow_log.dependencies, flow_log.urn
    trail = only(recording, "aws:cloudtrail/trail:Trail")
    assert log_policy.urn in trail.dependencies, trail.urn


@pytest.mark.parametrize("protect", [True, False])
def test_data_stores_are_protected_as_asked_and_buckets_retained(
    run: RunProgram, protect: bool
) -> None:
    recording = run(site_program(site_args(protect_data_stores=protect)))
    for bucket in recording.of_type("aws:s3/bucket:Bucket"):
        assert bucket.protect is protect, bucket.urn
        assert bucket.retain_on_delete is True, bucket.urn
        assert bucket.inputs.get("forceDestroy") is not True, bucket.urn
    assert len(recording.of_type(KEY)) == 2
    for key in recording.of_type(KEY):
        assert key.protect is protect, key.urn


def test_data_stores_and_key_carry_the_residency_tags(recording: Recording) -> None:
    for type_ in ("aws:s3/bucket:Bucket", "aws:kms/key:Key", "aws:ec2/vpc:Vpc"):
        for resource in recording.of_type(type_):
            assert resource.inputs["tags"] == TAGS, resource.urn


def test_object_lock_reaches_the_data_bucket(run: RunProgram) -> None:
    recording = run(site_program(site_args(object_lock_days=30, object_lock_mode="COMPLIANCE")))
    locks = {
        lock.inputs["bucket"]: lock.inputs["rule"]
        for lock in recording.of_type(
            "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
        )
    }
    assert locks[DATA_BUCKET] == {"defaultRetention": {"mode": "COMPLIANCE", "days": 30}}
    assert set(locks) == {DATA_BUCKET, AUDIT_BUCKET}  # the audit bucket is always locked


def test_outputs_and_in_country_placement(recording: Recording) -> None:
    assert recording.outputs["placement"] == {
        "cloud": "aws",
        "region": "eu-west-1",
        "country": "IE",
        "site": "dublin",
        "in_site_country": True,
    }
    assert recording.outputs["subnet_ids"] == [
        "dublin-network-private-0-id",
        "dublin-network-private-1-id",
    ]
    assert recording.outputs["gateway_role_arn"] == GATEWAY_ROLE_ARN


def test_hamar_on_aws_reports_data_outside_norway(run: RunProgram) -> None:
    args = AwsSiteArgs(
        site="hamar",
        region="eu-north-1",
        vpc_cidr="10.30.0.0/16",
        gateway_principals=[APP_ROLE],
        break_glass_role_arn=None,
        key_admin_role_arns=[KEY_ADMIN_ROLE],
        tags=HAMAR_TAGS,
    )

    def program() -> None:
        provider = aws.Provider("hamar-aws", region="eu-north-1")
        site = AwsSite("hamar", args, opts=pulumi.ResourceOptions(providers=[provider]))
        pulumi.export("placement", site.placement)

    placement = run(program).outputs["placement"]
    assert placement["in_site_country"] is False
    assert placement["country"] == "SE"
    assert placement["region"] == "eu-north-1"
    assert "outside NO" in placement["note"]


def test_preview_leaves_unknowns_but_registers_everything(run: RunProgram) -> None:
    recording = run(site_program(), preview=True)
    assert len(recording.of_type("aws:s3/bucket:Bucket")) == 3
    # The policy pack fails closed on a bucket policy it cannot read at preview.
    for policy in recording.of_type("aws:s3/bucketPolicy:BucketPolicy"):
        assert policy.inputs.get("policy", UNKNOWN) is not UNKNOWN, policy.urn
    flow_log = only(recording, "aws:ec2/flowLog:FlowLog")
    assert flow_log.inputs.get("logDestination", UNKNOWN) in (
        UNKNOWN,
        f"{AUDIT_BUCKET_ARN}/vpc-flow-logs/",
    )


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"site": "oslo"}, "site"),
        ({"region": "eu-central-1"}, "region"),
        ({"region": "us-east-1"}, "region"),
        ({"tags": {"residency-site": "dublin"}}, "tags"),
        ({"tags": {"data-classification": "personal"}}, "tags"),
        ({"tags": {"residency-site": "hamar", "data-classification": "x"}}, "residency-site"),
        ({"gateway_principals": ["*"]}, "gateway_principals"),
        ({"break_glass_role_arn": "arn:aws:iam::123456789012:role/*"}, "break_glass_role_arn"),
        ({"object_lock_days": -1}, "object_lock_days"),
    ],
)
def test_invalid_site_arguments_are_refused(changes: dict[str, object], key: str) -> None:
    with pytest.raises(ValueError, match=key):
        site_args(**changes)


def test_unusable_stack_name_is_refused(run: RunProgram) -> None:
    with pytest.raises(ValueError, match="stack name"):
        run(site_program(), stack="Prod_EU")


def test_every_policy_passes_parliament(recording: Recording) -> None:
    found = policies(recording)
    # Data and log key policies, data, log and audit bucket policies, gateway trust and
    # permissions, three endpoint policies.
    assert len(found) == 10
    for resource, key, raw in found:
        allow = TRUST_POLICY_ALLOWED if key == "assumeRolePolicy" else None
        assert lint(raw, allow=allow) == [], f"{resource.urn} {key}"
