"""``aws-data-bucket-access-logged`` and ``azure-native-data-store-access-logged`` over the analyzer
protocol (``AnalyzeStack``): access to every data store is recorded by the stack's own trail or
diagnostic setting, in the store's region."""

from __future__ import annotations

from typing import Any, Final

import pytest

from clover.analyzer import UNKNOWN, AnalyzedResource, PolicyPack

from .conftest import eu_aws_provider, eu_resource

AWS_RULE: Final = "aws-data-bucket-access-logged"
AZURE_RULE: Final = "azure-native-data-store-access-logged"
BUCKET: Final = "aws:s3/bucket:Bucket"
TRAIL: Final = "aws:cloudtrail/trail:Trail"
DUBLIN: Final = eu_aws_provider("eu-west-1")
STOCKHOLM: Final = eu_aws_provider("eu-north-1", name="stockholm")
ACCOUNT: Final = "azure-native:storage:StorageAccount"
VAULT: Final = "azure-native:keyvault:Vault"
SETTING: Final = "azure-native:monitor:DiagnosticSetting"
ARM: Final = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers"
WORKSPACE: Final = f"{ARM}/Microsoft.OperationalInsights/workspaces/audit"


def blocked(pack: PolicyPack, *resources: AnalyzedResource, rule: str = AWS_RULE) -> list[str]:
    found = [d for d in pack.analyze_stack(list(resources)) if d.policy == rule]
    for d in found:
        assert d.enforcement_level == "mandatory", d.message
    return sorted(d.urn.rsplit("::", 1)[-1] for d in found)


def messages(pack: PolicyPack, *resources: AnalyzedResource, rule: str = AWS_RULE) -> str:
    return "\n".join(d.message for d in pack.analyze_stack(list(resources)) if d.policy == rule)


def bucket(name: str = "data", provider: Any = DUBLIN, **props: Any) -> AnalyzedResource:
    return eu_resource(BUCKET, name, {"bucket": f"acme-{name}", **props}, provider=provider)


def field(name: str, **ops: list[Any]) -> dict[str, Any]:
    return {"field": name, **ops}


def data_selector(*extra: dict[str, Any]) -> dict[str, Any]:
    return {
        "fieldSelectors": [
            field("eventCategory", equals=["Data"]),
            field("resources.type", equals=["AWS::S3::Object"]),
            *extra,
        ]
    }


def trail(
    *selectors: dict[str, Any], provider: Any = DUBLIN, name: str = "audit", **props: Any
) -> AnalyzedResource:
    return eu_resource(
        TRAIL,
        name,
        {"s3BucketName": "acme-trail-logs", "advancedEventSelectors": list(selectors), **props},
        provider=provider,
    )


SINK: Final = bucket("trail-logs")


# -- AWS -------------------------------------------------------------------------------------------


def test_a_bucket_without_a_trail_is_blocked(eu_access: PolicyPack) -> None:
    assert blocked(eu_access, bucket()) == ["data"]
    text = messages(eu_access, bucket())
    assert "the stack has no CloudTrail trail" in text
    assert "'acme-data'" in text
    assert "'eu-west-1'" in text
    assert "resources.ARN startsWith" in text  # what would make it pass


@pytest.mark.parametrize(
    "arn",
    [
        [],  # no resources.ARN filter: every bucket of the region
        [field("resources.ARN", startsWiths=["arn:aws:s3:::acme-data/"])],
        [field("resources.ARN", startsWiths=["arn:aws:s3:::acme-other/", "arn:aws:s3:::acme-d"])],
        [field("resources.ARN", notStartsWiths=["arn:aws:s3:::acme-other/"])],
        [field("eventSource", equals=["s3.amazonaws.com"])],
        [field("readOnly", equals=["true", "false"])],
    ],
)
def test_a_trail_recording_the_buckets_object_events_passes(
    eu_access: PolicyPack, arn: list[dict[str, Any]]
) -> None:
    assert blocked(eu_access, bucket(), SINK, trail(data_selector(*arn))) == []


@pytest.mark.parametrize(
    ("extra", "says"),
    [
        ([field("resources.ARN", startsWiths=["arn:aws:s3:::acme-other/"])], "not recorded"),
        ([field("resources.ARN", startsWiths=["arn:aws:s3:::acme-data/uploads/"])], "not record"),
        ([field("resources.ARN", equals=["arn:aws:s3:::acme-data/a"])], "some objects"),
        ([field("resources.ARN", endsWiths=[".csv"])], "some objects"),
        ([field("resources.ARN", notStartsWiths=["arn:aws:s3:::acme-data/pii/"])], "leaves"),
        ([field("eventName", equals=["PutObject"])], "filters on eventName"),
        ([field("eventSource", equals=["s3-outposts.amazonaws.com"])], "eventSource"),
        ([field("readOnly", equals=["false"])], "reads are not recorded"),
        ([field("readOnly", equals=["true"])], "writes are not recorded"),
        ([field("resources.ARN", startsWiths=[UNKNOWN])], "unknown at preview"),
    ],
)
def test_a_trail_that_leaves_object_events_out_does_not_count(
    eu_access: PolicyPack, extra: list[dict[str, Any]], says: str
) -> None:
    resources = (bucket(), SINK, trail(data_selector(*extra)))
    assert blocked(eu_access, *resources) == ["data"]
    assert says in messages(eu_access, *resources)


def test_reads_and_writes_may_come_from_two_selectors(eu_access: PolicyPack) -> None:
    reads = data_selector(field("readOnly", equals=["true"]))
    writes = data_selector(field("readOnly", equals=["false"]))
    assert blocked(eu_access, bucket(), SINK, trail(reads, writes)) == []
    assert blocked(eu_access, bucket(), SINK, trail(reads)) == ["data"]


def test_management_events_only_do_not_count(eu_access: PolicyPack) -> None:
    management = {"fieldSelectors": [field("eventCategory", equals=["Management"])]}
    resources = (bucket(), SINK, trail(management))
    assert blocked(eu_access, *resources) == ["data"]
    bare = eu_resource(TRAIL, "bare", {"s3BucketName": "acme-trail-logs"}, provider=DUBLIN)
    assert "management events only" in messages(eu_access, bucket(), SINK, bare)


def test_a_single_region_trail_sees_only_its_region(eu_access: PolicyPack) -> None:
    """S3 records data events in the bucket's region; a trail elsewhere never sees them unless
    it is multi-region."""
    far = trail(data_selector(), provider=STOCKHOLM)
    assert blocked(eu_access, bucket(), SINK, far) == ["data"]
    assert "records events of region 'eu-north-1' only" in messages(eu_access, bucket(), SINK, far)
    everywhere = trail(data_selector(), provider=STOCKHOLM, isMultiRegionTrail=True)
    assert blocked(eu_access, bucket(), SINK, everywhere) == []
    # pulumi-aws v7's own `region` argument overrides the provider's.
    moved = trail(data_selector(), provider=STOCKHOLM, region="eu-west-1")
    assert blocked(eu_access, bucket(), SINK, moved) == []
    unknown_region = bucket(region=UNKNOWN)
    assert blocked(eu_access, unknown_region, SINK, trail(data_selector())) == ["data"]


@pytest.mark.parametrize(("logging", "passes"), [(True, True), (False, False), (UNKNOWN, False)])
def test_a_trail_that_does_not_log_does_not_count(
    eu_access: PolicyPack, logging: Any, passes: bool
) -> None:
    resources = (bucket(), SINK, trail(data_selector(), enableLogging=logging))
    assert blocked(eu_access, *resources) == ([] if passes else ["data"])


@pytest.mark.parametrize(
    ("selector", "passes"),
    [
        ({"dataResources": [{"type": "AWS::S3::Object", "values": ["arn:aws:s3"]}]}, True),
        (
            {"dataResources": [{"type": "AWS::S3::Object", "values": ["arn:aws:s3:::acme-data/"]}]},
            True,
        ),
        (
            {
                "readWriteType": "ReadOnly",
                "dataResources": [{"type": "AWS::S3::Object", "values": ["arn:aws:s3"]}],
            },
            False,
        ),
        (
            {"dataResources": [{"type": "AWS::S3::Object", "values": ["arn:aws:s3:::acme-x/"]}]},
            False,
        ),
        (
            {"dataResources": [{"type": "AWS::Lambda::Function", "values": ["arn:aws:lambda"]}]},
            False,
        ),
    ],
)
def test_basic_event_selectors(
    eu_access: PolicyPack, selector: dict[str, Any], passes: bool
) -> None:
    basic = eu_resource(
        TRAIL,
        "audit",
        {"s3BucketName": "acme-trail-logs", "eventSelectors": [selector]},
        provider=DUBLIN,
    )
    assert blocked(eu_access, bucket(), SINK, basic) == ([] if passes else ["data"])


def test_an_event_data_store_and_an_aws_native_trail_count(eu_access: PolicyPack) -> None:
    store = eu_resource(
        "aws:cloudtrail/eventDataStore:EventDataStore",
        "lake",
        {"advancedEventSelectors": [data_selector()]},
        provider=STOCKHOLM,  # multi-region by default
    )
    assert blocked(eu_access, bucket(), store) == []
    single = eu_resource(
        "aws:cloudtrail/eventDataStore:EventDataStore",
        "lake",
        {"advancedEventSelectors": [data_selector()], "multiRegionEnabled": False},
        provider=STOCKHOLM,
    )
    assert blocked(eu_access, bucket(), single) == ["data"]
    for stopped_store in ({"suspend": "true"}, {"suspend": UNKNOWN}, {"ingestionEnabled": False}):
        paused = eu_resource(
            "aws:cloudtrail/eventDataStore:EventDataStore",
            "lake",
            {"advancedEventSelectors": [data_selector()], **stopped_store},
            provider=STOCKHOLM,
        )
        assert blocked(eu_access, bucket(), paused) == ["data"], stopped_store
    active = eu_resource(
        "aws:cloudtrail/eventDataStore:EventDataStore",
        "lake",
        {"advancedEventSelectors": [data_selector()], "suspend": "false"},
        provider=STOCKHOLM,
    )
    assert blocked(eu_access, bucket(), active) == []
    native_provider = eu_aws_provider("eu-west-1", name="native")
    native = eu_resource(
        "aws-native:cloudtrail:Trail",
        "native",
        {
            "isLogging": True,
            "s3BucketName": "acme-trail-logs",
            "advancedEventSelectors": [
                {
                    "fieldSelectors": [
                        {"field": "eventCategory", "equals": ["Data"]},
                        {"field": "resources.type", "equals": ["AWS::S3::Object"]},
                        {"field": "resources.ARN", "startsWith": ["arn:aws:s3:::acme-data/"]},
                    ]
                }
            ],
        },
        provider=native_provider,
    )
    assert blocked(eu_access, bucket(), SINK, native) == []
    stopped = eu_resource(
        "aws-native:cloudtrail:Trail",
        "native",
        {**native.properties, "isLogging": False},
        provider=native_provider,
    )
    assert blocked(eu_access, bucket(), SINK, stopped) == ["data"]


def test_log_sinks_are_not_data_buckets(eu_access: PolicyPack) -> None:
    """The trail's bucket and a server access logging target receive logs; recording their
    object events in a trail that writes to them would loop."""
    access_logs = bucket("access-logs")
    logging = eu_resource(
        "aws:s3/bucketLogging:BucketLogging",
        "data-logging",
        {"bucket": "acme-data", "targetBucket": "acme-access-logs"},
        provider=DUBLIN,
    )
    scoped = data_selector(field("resources.ARN", startsWiths=["arn:aws:s3:::acme-data/"]))
    assert blocked(eu_access, bucket(), SINK, access_logs, logging, trail(scoped)) == []
    # Without the logging configuration the access-log bucket is a bucket like any other.
    assert blocked(eu_access, bucket(), SINK, access_logs, trail(scoped)) == ["access-logs"]


def test_a_classification_marks_a_bucket_without_user_data(eu_access: PolicyPack) -> None:
    assets = bucket("assets", tags={"data-classification": "public"})
    assert blocked(eu_access, assets) == []
    internal = bucket("assets", tags={"data-classification": "internal"})
    assert blocked(eu_access, internal) == ["assets"]
    eu_access.configure({AWS_RULE: {"exemptClassifications": ["internal"]}})
    assert blocked(eu_access, internal) == []
    assert blocked(eu_access, bucket("assets", tags={"data-classification": "public"})) == [
        "assets"
    ]


def test_unknown_selectors_are_resolved_by_the_checks_evidence(eu_access: PolicyPack) -> None:
    """At preview the selector holds the bucket's ARN, an output: the check proves it exactly
    (provenOutputs) or computes what it is (computedValues and the stand-in bucket names)."""
    autonamed = eu_resource(BUCKET, "data", {}, provider=DUBLIN)
    exact = trail(data_selector(field("resources.ARN", startsWiths=[UNKNOWN])))
    assert blocked(eu_access, autonamed, SINK, exact) == ["data"]
    path = "advancedEventSelectors[0].fieldSelectors[2].startsWiths[0]"
    eu_access.configure({AWS_RULE: {"provenOutputs": {exact.urn: {path: f"{autonamed.urn}#arn"}}}})
    assert blocked(eu_access, autonamed, SINK, exact) == []
    computed = {
        "inputs": {exact.urn: {path: "arn:aws:s3:::data-4f2a9c1/"}},
        "bucketNames": {"data-4f2a9c1": autonamed.urn},
    }
    eu_access.configure({AWS_RULE: {"computedValues": computed}})
    assert blocked(eu_access, autonamed, SINK, exact) == []
    elsewhere = {**computed, "inputs": {exact.urn: {path: "arn:aws:s3:::someone-else/"}}}
    eu_access.configure({AWS_RULE: {"computedValues": elsewhere}})
    assert blocked(eu_access, autonamed, SINK, exact) == ["data"]


# -- Azure -----------------------------------------------------------------------------------------


def account(name: str = "acct", **props: Any) -> AnalyzedResource:
    return eu_resource(ACCOUNT, name, {"accountName": name, "resourceGroupName": "rg", **props})


def vault(name: str = "kv", **props: Any) -> AnalyzedResource:
    return eu_resource(VAULT, name, {"vaultName": name, "resourceGroupName": "rg", **props})


def setting(name: str, uri: Any, *logs: dict[str, Any], **props: Any) -> AnalyzedResource:
    return eu_resource(
        SETTING,
        name,
        {"resourceUri": uri, "workspaceId": WORKSPACE, "logs": list(logs), **props},
    )


def log(category: str, enabled: bool = True) -> dict[str, Any]:
    return {"category": category, "enabled": enabled}


BLOB: Final = f"{ARM}/Microsoft.Storage/storageAccounts/acct/blobServices/default"
BLOB_LOGS: Final = (log("StorageRead"), log("StorageWrite"), log("StorageDelete"))


def azure_blocked(pack: PolicyPack, *resources: AnalyzedResource) -> list[str]:
    return blocked(pack, *resources, rule=AZURE_RULE)


def test_a_storage_account_without_blob_logs_is_blocked(eu_access: PolicyPack) -> None:
    assert azure_blocked(eu_access, account()) == ["acct"]
    text = messages(eu_access, account(), rule=AZURE_RULE)
    assert "StorageRead, StorageWrite, StorageDelete" in text
    assert "blobServices/default" in text


@pytest.mark.parametrize(
    ("resource", "passes"),
    [
        (setting("blob", BLOB, *BLOB_LOGS), True),
        (
            setting("blob", BLOB.upper().replace("/SUBSCRIPTIONS", "/subscriptions"), *BLOB_LOGS),
            True,
        ),
        (setting("blob", BLOB, {"categoryGroup": "allLogs", "enabled": True}), True),
        (setting("blob", BLOB, log("StorageWrite"), log("StorageDelete")), False),
        (setting("blob", BLOB, log("StorageRead", enabled=False), *BLOB_LOGS[1:]), False),
        # The account's own setting carries metrics only: blob logs belong to the blob service.
        (setting("blob", f"{ARM}/Microsoft.Storage/storageAccounts/acct", *BLOB_LOGS), False),
        (setting("blob", BLOB.replace("/acct/", "/other/"), *BLOB_LOGS), False),
        (setting("blob", BLOB, *BLOB_LOGS, workspaceId=None), False),
    ],
)
def test_blob_service_logs(eu_access: PolicyPack, resource: AnalyzedResource, passes: bool) -> None:
    assert azure_blocked(eu_access, account(), resource) == ([] if passes else ["acct"])


def test_vault_audit_events(eu_access: PolicyPack) -> None:
    uri = f"{ARM}/Microsoft.KeyVault/vaults/kv"
    assert azure_blocked(eu_access, vault()) == ["kv"]
    assert azure_blocked(eu_access, vault(), setting("kv", uri, log("AuditEvent"))) == []
    group = {"categoryGroup": "audit", "enabled": True}
    assert azure_blocked(eu_access, vault(), setting("kv", uri, group)) == []
    assert azure_blocked(
        eu_access, vault(), setting("kv", uri, log("AzurePolicyEvaluationDetails"))
    ) == ["kv"]


def test_an_unknown_resource_uri_is_resolved_by_the_checks_evidence(eu_access: PolicyPack) -> None:
    kv = vault()
    audit = setting("kv", UNKNOWN, log("AuditEvent"))
    assert azure_blocked(eu_access, kv, audit) == ["kv"]
    assert "resourceUri is unknown at preview" in messages(eu_access, kv, audit, rule=AZURE_RULE)
    eu_access.configure(
        {AZURE_RULE: {"provenOutputs": {audit.urn: {"resourceUri": f"{kv.urn}#id"}}}}
    )
    assert azure_blocked(eu_access, kv, audit) == []
    # An autonamed account is matched by the name the engine gives it (offline: its own name).
    autonamed = eu_resource(ACCOUNT, "customers", {"resourceGroupName": "rg"})
    blob = setting("blob", UNKNOWN, *BLOB_LOGS)
    computed = {"inputs": {blob.urn: {"resourceUri": BLOB.replace("/acct/", "/customers/")}}}
    eu_access.configure({AZURE_RULE: {"computedValues": computed}})
    assert azure_blocked(eu_access, autonamed, blob) == []


def test_an_azure_store_classified_without_user_data_is_exempt(eu_access: PolicyPack) -> None:
    assert azure_blocked(eu_access, account(tags={"Data-Classification": "public"})) == []


@pytest.mark.parametrize(
    ("holder", "service"),
    [
        ("azure-native:storage:FileShare", "fileServices"),
        ("azure-native:storage:Queue", "queueServices"),
        ("azure-native:storage:Table", "tableServices"),
    ],
)
def test_the_services_an_account_holds_data_in_log_too(
    eu_access: PolicyPack, holder: str, service: str
) -> None:
    """Each storage service logs for itself: an account with a file share, queue or table of the
    stack logs that service's reads, writes and deletes as well as its blobs'."""
    data = eu_resource(holder, "data", {"accountName": "acct", "resourceGroupName": "rg"})
    blob = setting("blob", BLOB, *BLOB_LOGS)
    assert azure_blocked(eu_access, account(), data, blob) == ["acct"]
    assert f"'/{service}/default'" in messages(eu_access, account(), data, blob, rule=AZURE_RULE)
    other = setting("svc", BLOB.replace("blobServices", service), *BLOB_LOGS)
    assert azure_blocked(eu_access, account(), data, blob, other) == []
    # A share of another account asks nothing of this one.
    elsewhere = eu_resource(holder, "data", {"accountName": "other", "resourceGroupName": "rg"})
    assert azure_blocked(eu_access, account(), elsewhere, blob) == []


def test_a_share_proven_to_be_in_the_account(eu_access: PolicyPack) -> None:
    acct = account()
    share = eu_resource(
        "azure-native:storage:FileShare",
        "data",
        {"accountName": UNKNOWN, "resourceGroupName": "rg"},
    )
    blob = setting("blob", BLOB, *BLOB_LOGS)
    # Whose share it is cannot be told: the share itself is reported (fail closed).
    assert azure_blocked(eu_access, acct, share, blob) == ["data"]
    assert "accountName is unknown" in messages(eu_access, acct, share, blob, rule=AZURE_RULE)
    eu_access.configure(
        {AZURE_RULE: {"provenOutputs": {share.urn: {"accountName": f"{acct.urn}#name"}}}}
    )
    assert azure_blocked(eu_access, acct, share, blob) == ["acct"]
