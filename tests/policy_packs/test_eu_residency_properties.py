"""Property-based: only exact region names pass, and no property bag makes a rule raise."""

from __future__ import annotations

from types import ModuleType
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clover.analyzer import UNKNOWN, PolicyPack
from tests.policy_packs.conftest import eu_aws_provider, eu_azure_provider, eu_resource

AWS_ALLOWED = ("eu-west-1", "eu-north-1", "eu-central-1", "eu-west-3", "eu-south-1", "eu-south-2")
AZURE_ALLOWED = ("northeurope", "westeurope", "norwayeast", "swedencentral")
LOOK_ALIKES = {
    "-": ["\u2011", "\u2010", "\u2212", "\uff0d"],  # non-breaking hyphen, hyphen, minus, fullwidth
    "e": ["\u0435"],  # Cyrillic ie
    "o": ["\u043e", "\u03bf"],  # Cyrillic o, Greek omicron
    "k": ["\u212a"],  # KELVIN SIGN (lowercases to ASCII "k")
    "1": ["\u0661", "\uff11"],
    "a": ["\u0430"],
}
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@st.composite
def mangled(draw: st.DrawFn, names: tuple[str, ...]) -> str:
    """An allowed name with one character swapped for a look-alike, or case/whitespace changed."""
    name = draw(st.sampled_from(names))
    kind = draw(st.sampled_from(["lookalike", "upper", "space", "tab"]))
    if kind == "lookalike":
        positions = [i for i, c in enumerate(name) if c in LOOK_ALIKES]
        if positions:
            i = draw(st.sampled_from(positions))
            return name[:i] + draw(st.sampled_from(LOOK_ALIKES[name[i]])) + name[i + 1 :]
        kind = "upper"
    if kind == "upper":
        return name.upper()
    return (
        draw(st.sampled_from([f" {name}", f"{name} ", f"{name}\n"]))
        if kind == "space"
        else f"{name}\t"
    )


@SETTINGS
@given(region=mangled(AWS_ALLOWED))
def test_aws_only_exact_codes_pass(eu_residency_pack: PolicyPack, region: str) -> None:
    bucket = eu_resource(
        "aws:s3/bucket:Bucket", "b", {"region": region}, provider=eu_aws_provider()
    )
    assert [
        d for d in eu_residency_pack.analyze(bucket) if d.policy == "aws-resource-region-allowed"
    ]


@SETTINGS
@given(region=st.text(max_size=20))
def test_aws_region_passes_iff_exact(
    eu_residency_modules: dict[str, ModuleType], region: str
) -> None:
    check = eu_residency_modules["placement_aws"].check_resource_region
    messages = check(
        resource_type="aws:s3/bucket:Bucket",
        urn="u",
        props={"region": region},
        provider_props={},
        config={},
    )
    assert (messages == []) == (region in AWS_ALLOWED)


@SETTINGS
@given(location=mangled(AZURE_ALLOWED).filter(lambda s: not s.isascii()))
def test_azure_look_alikes_fail(eu_residency_pack: PolicyPack, location: str) -> None:
    account = eu_resource(
        "azure-native:storage:StorageAccount",
        "a",
        {"location": location},
        provider=eu_azure_provider(),
    )
    rule = "azure-native-resource-location-allowed"
    assert [d for d in eu_residency_pack.analyze(account) if d.policy == rule]


@SETTINGS
@given(location=st.text(min_size=1, max_size=24))  # "" means unset: deferred
def test_azure_location_passes_iff_normalised_name_allowed(
    eu_residency_modules: dict[str, ModuleType], location: str
) -> None:
    regions = eu_residency_modules["regions"]
    check = eu_residency_modules["placement_azure"].check_resource_location
    messages = check(
        resource_type="azure-native:storage:StorageAccount",
        urn="u",
        props={"location": location},
        provider_props={},
        config={"allowedLocations": list(AZURE_ALLOWED)},
    )
    expected = location.isascii() and location.replace(" ", "").lower() in AZURE_ALLOWED
    assert (messages == []) == expected
    if not location.isascii():
        assert regions.normalise_azure_location(location) is None


json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=8),
    st.just(UNKNOWN),
    st.sampled_from(["eu-west-1", "eastus", "Standard_GRS"]),
)
KEYS = st.sampled_from(
    [
        "region",
        "location",
        "replicas",
        "regionName",
        "rules",
        "destination",
        "bucket",
        "copyActions",
        "destinationVaultArn",
        "multiRegion",
        "sku",
        "name",
        "locations",
        "locationName",
        "availabilityZone",
        "availabilityZones",
        "replicationConfiguration",
        "destinations",
        "details",
        "regions",
        "properties",
        "redundancySettings",
        "requestedBackupStorageRedundancy",
        "resourceGroupName",
        "primaryKeyArn",
    ]
)
bags = st.dictionaries(
    KEYS,
    st.recursive(
        json_leaf,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
        max_leaves=12,
    ),
    max_size=6,
)
TYPES = st.sampled_from(
    [
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
        "aws:s3control/multiRegionAccessPoint:MultiRegionAccessPoint",
        "aws:kms/key:Key",
        "aws:kms/replicaKey:ReplicaKey",
        "aws:dynamodb/table:Table",
        "aws:dynamodb/tableReplica:TableReplica",
        "aws:secretsmanager/secret:Secret",
        "aws:ecr/replicationConfiguration:ReplicationConfiguration",
        "aws:backup/plan:Plan",
        "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication",
        "aws:ec2/subnet:Subnet",
        "azure-native:storage:StorageAccount",
        "azure-native:resources:ResourceGroup",
        "azure-native:cosmosdb:DatabaseAccount",
        "azure-native:sql:Database",
        "azure-native:recoveryservices:Vault",
        "azure-native:storage:BlobContainer",
    ]
)


@SETTINGS
@given(resource_type=TYPES, props=bags, provider_props=bags)
def test_no_rule_raises_on_any_bag(
    eu_residency_pack: PolicyPack,
    resource_type: str,
    props: dict[str, Any],
    provider_props: dict[str, Any],
) -> None:
    provider = eu_aws_provider() if resource_type.startswith("aws:") else eu_azure_provider()
    provider = type(provider)(
        type=provider.type, name=provider.name, urn=provider.urn, properties=provider_props
    )
    resource = eu_resource(resource_type, "r", props, provider=provider)
    # preview() runs Analyze and AnalyzeStack; an exception in a validator would surface as a
    # PolicyPackError, and a guarded failure (the rule kit) as a "could not be evaluated" one.
    diagnostics = eu_residency_pack.preview([resource])
    assert not [d for d in diagnostics if "could not be evaluated" in d.message]
    assert all(d.enforcement_level == "mandatory" for d in diagnostics)
