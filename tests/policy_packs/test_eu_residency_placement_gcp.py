"""gcp-resource-location-allowed over the protocol: own location, provider, nested, config."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clover.__main__ import main
from clover.analyzer import UNKNOWN, PolicyPack, ProviderRef
from tests.policy_packs.conftest import EU_RESIDENCY_DIR, eu_only, eu_resource, eu_urn

RULE = "gcp-resource-location-allowed"
BUCKET = "gcp:storage/bucket:Bucket"
DATASET = "gcp:bigquery/dataset:Dataset"
INSTANCE = "gcp:compute/instance:Instance"
TOPIC = "gcp:pubsub/topic:Topic"
SPANNER = "gcp:spanner/instance:Instance"
SECRET = "gcp:secretmanager/secret:Secret"
ROOT = Path(__file__).resolve().parents[2]
PROGRAMS = ROOT / "tests" / "data" / "programs"
CLEAN = ROOT / "tests" / "data" / "clean_programs"
MODULES = ("regions", "residency_common", "gcp_global_types", "placement_gcp")


@pytest.fixture(scope="module")
def gcp_modules() -> Iterator[dict[str, ModuleType]]:
    """The rule's modules imported in-process with the pack directory as import root, as the
    launcher runs them, then removed again (other packs have modules with the same names)."""
    saved = {name: sys.modules.pop(name) for name in MODULES if name in sys.modules}
    sys.path.insert(0, str(EU_RESIDENCY_DIR))
    try:
        yield {name: importlib.import_module(name) for name in MODULES}
    finally:
        sys.path.remove(str(EU_RESIDENCY_DIR))
        for name in MODULES:
            sys.modules.pop(name, None)
        sys.modules.update(saved)


def gcp_provider(region: Any = None, zone: Any = None, name: str = "default_9_0_0") -> ProviderRef:
    props = {k: v for k, v in {"region": region, "zone": zone}.items() if v is not None}
    return ProviderRef(
        type="pulumi:providers:gcp",
        name=name,
        urn=eu_urn("pulumi:providers:gcp", name),
        properties=props,
    )


def check(
    pack: PolicyPack,
    props: dict[str, Any],
    *,
    resource_type: str = BUCKET,
    provider: ProviderRef | None = None,
) -> list[str]:
    resource = eu_resource(resource_type, "r", props, provider=provider or gcp_provider())
    found = eu_only(pack.analyze(resource), RULE)
    for d in found:
        assert d.enforcement_level == "mandatory", d.message
        assert d.severity == "critical"
        assert resource.urn in d.message
    return [d.message for d in found]


@pytest.mark.parametrize(
    ("props", "provider"),
    [
        ({"location": "EU"}, gcp_provider("us-central1")),  # own location wins
        ({"location": "eu"}, None),
        ({"location": "EUR4"}, None),  # Finland + Netherlands
        ({"location": "europe-west1"}, None),
        ({"location": "EUROPE-NORTH2"}, None),  # Stockholm; case-insensitive
        (
            {
                "location": "EU",
                "customPlacementConfig": {"dataLocations": ["EUROPE-WEST1", "EUROPE-WEST4"]},
            },
            None,
        ),
        ({}, gcp_provider("europe-west3")),  # default provider: gcp:region
    ],
)
def test_compliant_buckets(
    eu_residency: PolicyPack, props: dict[str, Any], provider: ProviderRef | None
) -> None:
    assert check(eu_residency, props, provider=provider) == []


@pytest.mark.parametrize(
    ("props", "fragment"),
    [
        ({"location": "US"}, "'US' is the US multi-region"),
        ({"location": "ASIA"}, "'ASIA' is the Asia multi-region"),
        ({"location": "EUR5"}, "europe-west2"),  # Belgium + London: not EEA-only
        ({"location": "NAM4"}, "us-central1, us-east1"),
        ({"location": "europe-west2"}, "'europe-west2' is not allowed"),  # London
        ({"location": "europe-west6"}, "'europe-west6' is not allowed"),  # Zurich
        (
            {
                "location": "EU",
                "customPlacementConfig": {"dataLocations": ["EUROPE-WEST1", "US-CENTRAL1"]},
            },
            "customPlacementConfig.dataLocations[1] 'US-CENTRAL1' is not allowed",
        ),
        ({"location": "moon-west1x"}, "not a GCP location this pack can place"),
        ({"location": "eu-west-1"}, "not a GCP location this pack can place"),  # an AWS code
        ({"location": "\u212aEU"}, "not a GCP location name"),  # KELVIN SIGN
        ({"location": 12}, "not a GCP location"),
    ],
)
def test_violating_buckets(eu_residency: PolicyPack, props: dict[str, Any], fragment: str) -> None:
    (message,) = check(eu_residency, props)
    assert fragment in message
    assert "allowed GCP locations: eu, eur3, eur4" in message


def test_missing_placement_fails_closed(eu_residency: PolicyPack) -> None:
    (message,) = check(eu_residency, {})
    assert "no location is set" in message
    assert "gcp:region" in message


def test_unknown_location_stays_mandatory(eu_residency: PolicyPack) -> None:
    (message,) = check(eu_residency, {"location": UNKNOWN})
    assert "not known until apply" in message
    (inherited,) = check(eu_residency, {}, provider=gcp_provider(UNKNOWN))
    assert "not known until apply" in inherited


def test_bigquery_dataset_without_location_is_us(eu_residency: PolicyPack) -> None:
    # The provider's region does not place a dataset: BigQuery's default is the US multi-region.
    (message,) = check(
        eu_residency, {}, resource_type=DATASET, provider=gcp_provider("europe-west1")
    )
    assert "default 'US' applies" in message
    assert check(eu_residency, {"location": "EU"}, resource_type=DATASET) == []


def test_instance_zone(eu_residency: PolicyPack) -> None:
    (message,) = check(eu_residency, {"zone": "us-central1-a"}, resource_type=INSTANCE)
    assert "zone of region 'us-central1'" in message
    assert check(eu_residency, {"zone": "europe-west4-b"}, resource_type=INSTANCE) == []
    assert (
        check(
            eu_residency, {}, resource_type=INSTANCE, provider=gcp_provider(zone="europe-west9-a")
        )
        == []
    )
    (inherited,) = check(
        eu_residency, {}, resource_type=INSTANCE, provider=gcp_provider(zone="us-east1-b")
    )
    assert "the provider's zone 'us-east1-b'" in inherited


def test_provider_region_default(eu_residency: PolicyPack) -> None:
    sql = "gcp:sql/databaseInstance:DatabaseInstance"
    assert check(eu_residency, {}, resource_type=sql, provider=gcp_provider("europe-west1")) == []
    (message,) = check(eu_residency, {}, resource_type=sql, provider=gcp_provider("us-central1"))
    assert "the provider's region 'us-central1' is not allowed" in message


@pytest.mark.parametrize(
    "resource_type",
    [
        "gcp:organizations/project:Project",
        "gcp:serviceaccount/account:Account",
        "gcp:compute/firewall:Firewall",
        "gcp:dns/managedZone:ManagedZone",
        "gcp:projects/iAMMember:IAMMember",
        "gcp:storage/bucketObject:BucketObject",
    ],
)
def test_global_types_pass(eu_residency: PolicyPack, resource_type: str) -> None:
    assert (
        check(eu_residency, {}, resource_type=resource_type, provider=gcp_provider("us-central1"))
        == []
    )


def test_unreviewed_type_without_placement_is_not_assessed(eu_residency: PolicyPack) -> None:
    # A FHIR store whose dataset is not known here (an output at preview): nothing places it.
    (message,) = check(
        eu_residency,
        {"dataset": UNKNOWN},
        resource_type="gcp:healthcare/fhirStore:FhirStore",
    )
    assert "is not assessed" in message


@pytest.mark.parametrize(
    ("resource_type", "props", "fragment"),
    [
        (
            "gcp:healthcare/fhirStore:FhirStore",
            {"dataset": "projects/p/locations/europe-west4/datasets/records"},
            None,
        ),
        (
            "gcp:healthcare/fhirStore:FhirStore",
            {"dataset": "projects/p/locations/us-central1/datasets/records"},
            "dataset (its parent) 'us-central1' is not allowed",
        ),
        (
            "gcp:dataloss/preventionJobTrigger:PreventionJobTrigger",
            {"parent": "projects/p/locations/europe-west1"},
            None,
        ),
        # `global` places nothing: still not assessed.
        (
            "gcp:dataloss/preventionJobTrigger:PreventionJobTrigger",
            {"parent": "projects/p/locations/global"},
            "is not assessed",
        ),
    ],
)
def test_a_child_is_placed_by_the_location_in_its_parent_s_name(
    eu_residency: PolicyPack, resource_type: str, props: dict[str, Any], fragment: str | None
) -> None:
    found = check(eu_residency, props, resource_type=resource_type)
    if fragment is None:
        assert found == []
    else:
        assert len(found) == 1
        assert fragment in found[0]


@pytest.mark.parametrize(
    ("resource_type", "props", "fragment"),
    [
        (TOPIC, {}, "messageStoragePolicy.allowedPersistenceRegions is not set"),
        (
            TOPIC,
            {"messageStoragePolicy": {"allowedPersistenceRegions": ["europe-west1", "us-east1"]}},
            "allowedPersistenceRegions[1] 'us-east1'",
        ),
        (SPANNER, {"config": "nam-eur-asia1"}, "us-central1"),
        (SPANNER, {"config": "eur6"}, "europe-west6"),  # Zurich witness
        (SPANNER, {"config": "regional-us-central1"}, "'us-central1' is not allowed"),
        (SPANNER, {}, "config (the instance configuration"),
        (SECRET, {"replication": {"auto": {}}}, "replication.auto"),
        (
            SECRET,
            {"replication": {"userManaged": {"replicas": [{"location": "us-east1"}]}}},
            "replicas[0].location 'us-east1'",
        ),
        ("gcp:bigtable/instance:Instance", {"clusters": [{"zone": "us-east1-b"}]}, "'us-east1'"),
        ("gcp:firestore/database:Database", {"locationId": "nam5"}, "'nam5'"),
    ],
)
def test_nested_placements_blocked(
    eu_residency: PolicyPack, resource_type: str, props: dict[str, Any], fragment: str
) -> None:
    (message,) = check(eu_residency, props, resource_type=resource_type)
    assert fragment in message


@pytest.mark.parametrize(
    ("resource_type", "props"),
    [
        (
            TOPIC,
            {
                "messageStoragePolicy": {
                    "allowedPersistenceRegions": ["europe-west1", "europe-west4"]
                }
            },
        ),
        (SPANNER, {"config": "regional-europe-west1"}),
        (SPANNER, {"config": "projects/p/instanceConfigs/eur3"}),
        (SECRET, {"replication": {"userManaged": {"replicas": [{"location": "europe-west3"}]}}}),
        ("gcp:bigtable/instance:Instance", {"clusters": [{"zone": "europe-west1-b"}]}),
        ("gcp:firestore/database:Database", {"locationId": "eur3"}),
        ("gcp:kms/keyRing:KeyRing", {"location": "europe-west1"}),
        (
            "gcp:container/cluster:Cluster",
            {"location": "europe-west1", "nodeLocations": ["europe-west1-b"]},
        ),
    ],
)
def test_nested_placements_pass(
    eu_residency: PolicyPack, resource_type: str, props: dict[str, Any]
) -> None:
    assert check(eu_residency, props, resource_type=resource_type) == []


def test_config_narrows_locations(eu_residency: PolicyPack) -> None:
    eu_residency.configure({RULE: {"allowedGcpLocations": ["EUROPE-WEST1"]}})
    assert check(eu_residency, {"location": "europe-west1"}) == []
    (message,) = check(eu_residency, {"location": "EU"})
    assert "allowed GCP locations: europe-west1." in message


def test_config_can_allow_a_non_default_location(eu_residency: PolicyPack) -> None:
    wide = ["europe-west1", "EUR5"]
    # One allow-list per cloud: widening this rule alone widens nothing, because the data-flow
    # rule holds the GCP list too (the pack intersects every policy's list).
    eu_residency.configure({RULE: {"allowedGcpLocations": wide}})
    assert check(eu_residency, {"location": "eur5"}), "widened one rule, not the pack"
    holders = [
        name
        for name, info in eu_residency.policies.items()
        if "allowedGcpLocations" in (info.config_schema or {}).get("properties", {})
    ]
    assert "data-flow-destination-allowed" in holders, holders
    eu_residency.configure({name: {"allowedGcpLocations": wide} for name in holders})
    assert check(eu_residency, {"location": "eur5"}) == []


def test_other_clouds_and_providers_are_ignored(eu_residency: PolicyPack) -> None:
    assert (
        check(eu_residency, {"region": "us-central1"}, resource_type="pulumi:providers:gcp") == []
    )
    assert check(eu_residency, {"location": "US"}, resource_type="aws:s3/bucket:Bucket") == []


LOCATIONS = st.one_of(
    st.sampled_from(["EU", "eu", "US", "EUR4", "eur5", "europe-west1", "europe-west2-a", "nam4"]),
    st.text(max_size=24),
    st.from_regex(r"[a-zA-Z]{2,8}(-[a-zA-Z]{2,9})?[0-9]{0,2}(-[a-g])?", fullmatch=True),
)


@settings(max_examples=200, deadline=None)
@given(location=LOCATIONS)
def test_random_locations_never_raise(gcp_modules: dict[str, ModuleType], location: str) -> None:
    placement = gcp_modules["placement_gcp"]
    regions = gcp_modules["regions"]
    messages = placement.check_resource_location(
        resource_type=BUCKET, urn="u", props={"location": location}, provider_props={}, config={}
    )
    name = regions.normalise_gcp_location(location)
    allowed = set(regions.EEA_GCP_LOCATIONS)
    passes = name is not None and (name in allowed or regions.gcp_zone_region(name) in allowed)
    assert (messages == []) == passes, (location, messages)
    assert all("could not be evaluated" not in m for m in messages)


@pytest.mark.parametrize("program", ["gcp-bucket-us", "gcp-bigquery-default-location"])
def test_misplaced_programs_exit_1(capsys: pytest.CaptureFixture[str], program: str) -> None:
    code = main(
        [
            "check",
            "--cwd",
            str(PROGRAMS / program),
            "--stack",
            "test",
            "--policy-pack",
            str(EU_RESIDENCY_DIR),
        ]
    )
    out = capsys.readouterr().out
    assert code == 1, out
    assert RULE in out


def test_clean_bucket_program_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "check",
            "--cwd",
            str(CLEAN / "gcp-bucket-eu"),
            "--stack",
            "test",
            "--policy-pack",
            str(EU_RESIDENCY_DIR),
        ]
    )
    out = capsys.readouterr().out
    assert code == 0, out


@pytest.mark.parametrize(
    ("location", "fragment"),
    [
        ("aws-eu-west-1", None),
        ("azure-westeurope", None),
        ("aws-us-east-1", "runs in AWS region 'us-east-1', which is not allowed"),
        ("azure-eastus2", "runs in Azure location 'eastus2', which is not allowed"),
        ("aws-nowhere-9", "names no AWS region"),
    ],
)
def test_bigquery_omni_runs_in_another_cloud_s_region(
    eu_residency: PolicyPack, location: str, fragment: str | None
) -> None:
    # BigQuery Omni connections and datasets live in an AWS or Azure region.
    found = check(
        eu_residency,
        {"location": location, "aws": {"accessRole": {"iamRoleId": "arn:aws:iam::1:role/r"}}},
        resource_type="gcp:bigquery/connection:Connection",
    )
    if fragment is None:
        assert found == []
    else:
        assert len(found) == 1
        assert fragment in found[0]


@pytest.mark.parametrize(
    ("resource_type", "props", "fragment"),
    [
        ("gcp:compute/image:Image", {"storageLocations": ["eu"]}, None),
        ("gcp:compute/image:Image", {"storageLocations": ["us"]}, "storageLocations[0] 'us'"),
        ("gcp:compute/image:Image", {}, "storageLocations is not set"),
        ("gcp:compute/snapshot:Snapshot", {"storageLocations": ["europe-west4"]}, None),
        ("gcp:compute/snapshot:Snapshot", {"storageLocations": ["us-east1"]}, "'us-east1'"),
        ("gcp:appengine/application:Application", {"locationId": "europe-west"}, None),
        ("gcp:appengine/application:Application", {"locationId": "us-central"}, "us-central1"),
        ("gcp:appengine/application:Application", {"locationId": "europe-west3"}, None),
        ("gcp:apigee/organization:Organization", {"analyticsRegion": "europe-west1"}, None),
        (
            "gcp:apigee/organization:Organization",
            {"apiConsumerDataLocation": "us-west1"},
            "apiConsumerDataLocation 'us-west1'",
        ),
        ("gcp:apigee/organization:Organization", {}, "are not set"),
    ],
)
def test_types_placed_by_their_storage_or_data_locations(
    eu_residency: PolicyPack, resource_type: str, props: dict[str, Any], fragment: str | None
) -> None:
    found = check(
        eu_residency, props, resource_type=resource_type, provider=gcp_provider("europe-west1")
    )
    if fragment is None:
        assert found == []
    else:
        assert len(found) == 1, found
        assert fragment in found[0]


@pytest.mark.parametrize(
    "resource_type",
    ["gcp:bigtable/appProfile:AppProfile", "gcp:bigtable/authorizedView:AuthorizedView"],
)
def test_a_bigtable_instances_routing_and_views_live_in_it(
    eu_residency: PolicyPack, resource_type: str
) -> None:
    """An app profile (request routing) and an authorized view hold no data of their own: they
    live in their instance, whose clusters' zones are checked where it is declared."""
    assert check(eu_residency, {"instance": "sessions"}, resource_type=resource_type) == []
