"""One allow-list for the whole eu-residency pack, over the analyzer protocol.

A ``--policy-pack-config`` carries allow-lists per policy; the pack applies the intersection of all
of them to every rule, so narrowing one narrows every copy path and widening one widens none.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import pytest
from google.protobuf import struct_pb2
from pulumi.runtime.proto import analyzer_pb2

from clover.analyzer import AnalyzedResource, PolicyConfigError, PolicyPack
from tests.policy_packs.conftest import eu_aws_provider, eu_azure_provider, eu_only, eu_resource

PLACEMENT_AWS = "aws-resource-region-allowed"
PLACEMENT_AZURE = "azure-native-resource-location-allowed"
BUCKET = "aws:s3/bucket:Bucket"
VAULT_FRANKFURT = "arn:aws:backup:eu-central-1:123456789012:backup-vault:copies"
KEY_DUBLIN = "arn:aws:kms:eu-west-1:123456789012:key/mrk-1234"


def aws(resource_type: str, props: dict[str, Any], name: str = "r") -> AnalyzedResource:
    return eu_resource(resource_type, name, props, provider=eu_aws_provider("eu-west-1"))


def bucket(name: str, region: str) -> AnalyzedResource:
    return aws(BUCKET, {"bucket": name, "region": region}, name=name)


def s3_replication_to(region: str) -> list[AnalyzedResource]:
    source, destination = bucket("src", "eu-west-1"), bucket("dst", region)
    rule = {"id": "all", "status": "Enabled", "destination": {"bucket": "arn:aws:s3:::dst"}}
    replication = eu_resource(
        "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
        "replication",
        {"bucket": "src", "role": "arn:aws:iam::123456789012:role/r", "rules": [rule]},
        provider=eu_aws_provider("eu-west-1"),
        property_dependencies={"bucket": (source.urn,)},
    )
    return [source, destination, replication]


def mrap_over(region: str) -> list[AnalyzedResource]:
    details = {"name": "mrap", "regions": [{"bucket": "a"}, {"bucket": "b"}]}
    return [
        bucket("a", "eu-west-1"),
        bucket("b", region),
        aws("aws:s3control/multiRegionAccessPoint:MultiRegionAccessPoint", {"details": details}),
    ]


# Every AWS copy-path rule with a program whose only copy goes to ``region``; the resources
# themselves sit in eu-west-1 (the provider's region).
AWS_COPY_PATHS: list[tuple[str, Callable[[str], list[AnalyzedResource]]]] = [
    ("aws-s3-bucket-replication-destination-allowed", s3_replication_to),
    ("aws-s3control-multi-region-access-point-region-allowed", mrap_over),
    (
        "aws-dynamodb-table-replica-region-allowed",
        lambda r: [aws("aws:dynamodb/table:Table", {"replicas": [{"regionName": r}]})],
    ),
    (
        "aws-dynamodb-table-replica-region-allowed",
        lambda r: [aws("aws:dynamodb/tableReplica:TableReplica", {"region": r})],
    ),
    (
        "aws-secretsmanager-secret-replica-region-allowed",
        lambda r: [aws("aws:secretsmanager/secret:Secret", {"replicas": [{"region": r}]})],
    ),
    (
        "aws-ecr-replication-destination-region-allowed",
        lambda r: [
            aws(
                "aws:ecr/replicationConfiguration:ReplicationConfiguration",
                {"replicationConfiguration": {"rules": [{"destinations": [{"region": r}]}]}},
            )
        ],
    ),
    (
        "aws-backup-plan-copy-destination-allowed",
        lambda r: [
            aws(
                "aws:backup/plan:Plan",
                {
                    "rules": [
                        {
                            "copyActions": [
                                {"destinationVaultArn": VAULT_FRANKFURT.replace("eu-central-1", r)}
                            ]
                        }
                    ]
                },
            )
        ],
    ),
    (
        "aws-rds-instance-automated-backups-replication-region-allowed",
        lambda r: [
            aws(
                "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication",
                {"region": r},
            )
        ],
    ),
    (
        "aws-kms-replica-key-region-allowed",
        lambda r: [
            aws("aws:kms/replicaKey:ReplicaKey", {"region": r, "primaryKeyArn": KEY_DUBLIN})
        ],
    ),
]
AWS_IDS = [f"{policy}-{i}" for i, (policy, _) in enumerate(AWS_COPY_PATHS)]


def messages(pack: PolicyPack, policy: str, resources: list[AnalyzedResource]) -> list[str]:
    found = eu_only(pack.preview(resources), policy)
    for d in found:
        assert d.enforcement_level == "mandatory", d.message
        assert d.urn in d.message, d.message
    return [d.message for d in found]


def aws_policies_with_allow_list(pack: PolicyPack) -> list[str]:
    return [
        name
        for name, info in pack.policies.items()
        if "allowedRegions" in (info.config_schema or {}).get("properties", {})
    ]


@pytest.mark.parametrize(("policy", "program"), AWS_COPY_PATHS, ids=AWS_IDS)
def test_narrowing_placement_narrows_every_aws_copy_path(
    eu_residency: PolicyPack, policy: str, program: Callable[[str], list[AnalyzedResource]]
) -> None:
    assert messages(eu_residency, policy, program("eu-central-1")) == []
    eu_residency.configure({PLACEMENT_AWS: {"allowedRegions": ["eu-west-1"]}})
    found = messages(eu_residency, policy, program("eu-central-1"))
    assert found, f"{policy} still copies to eu-central-1 after the placement rule was narrowed"
    assert all("eu-central-1" in m for m in found), found
    # What would make it pass names only the narrowed list.
    assert any("eu-west-1" in m and "eu-north-1" not in m for m in found), found
    assert messages(eu_residency, policy, program("eu-west-1")) == []


@pytest.mark.parametrize(("policy", "program"), AWS_COPY_PATHS, ids=AWS_IDS)
def test_widening_one_rule_widens_none(
    eu_residency: PolicyPack, policy: str, program: Callable[[str], list[AnalyzedResource]]
) -> None:
    wide = ["eu-west-1", "us-east-1"]
    eu_residency.configure(
        {policy: {"allowedRegions": wide}, PLACEMENT_AWS: {"allowedRegions": wide}}
    )
    assert messages(eu_residency, policy, program("us-east-1")), policy
    # Only when every rule's list allows it is a region allowed: the pack does not clamp to the
    # EEA by itself, the operator's lists decide.
    eu_residency.configure(
        {name: {"allowedRegions": wide} for name in aws_policies_with_allow_list(eu_residency)}
    )
    assert messages(eu_residency, policy, program("us-east-1")) == []


def test_narrowing_a_copy_rule_narrows_placement(eu_residency: PolicyPack) -> None:
    frankfurt = bucket("data", "eu-central-1")
    assert messages(eu_residency, PLACEMENT_AWS, [frankfurt]) == []
    eu_residency.configure(
        {"aws-s3-bucket-replication-destination-allowed": {"allowedRegions": ["eu-west-1"]}}
    )
    (message,) = messages(eu_residency, PLACEMENT_AWS, [frankfurt])
    assert "'eu-central-1' is not allowed" in message
    assert "allowed regions: eu-west-1." in message


def test_intersection_of_two_narrowed_lists(eu_residency: PolicyPack) -> None:
    eu_residency.configure(
        {
            PLACEMENT_AWS: {"allowedRegions": ["eu-west-1", "eu-north-1"]},
            "aws-kms-replica-key-region-allowed": {"allowedRegions": ["eu-north-1", "eu-west-3"]},
        }
    )
    ok = bucket("stockholm", "eu-north-1")
    assert messages(eu_residency, PLACEMENT_AWS, [ok]) == []
    for region in ("eu-west-1", "eu-west-3"):
        (message,) = messages(eu_residency, PLACEMENT_AWS, [bucket(region, region)])
        assert "allowed regions: eu-north-1." in message


def test_reconfiguring_replaces_the_pack_list(eu_residency: PolicyPack) -> None:
    frankfurt = bucket("data", "eu-central-1")
    eu_residency.configure({PLACEMENT_AWS: {"allowedRegions": ["eu-west-1"]}})
    assert messages(eu_residency, PLACEMENT_AWS, [frankfurt])
    eu_residency.configure()
    assert messages(eu_residency, PLACEMENT_AWS, [frankfurt]) == []


# -- Azure ---------------------------------------------------------------------------------------


def azure(resource_type: str, name: str, props: dict[str, Any]) -> AnalyzedResource:
    return eu_resource(
        resource_type,
        name,
        {"resourceGroupName": "rg", "location": "northeurope", **props},
        provider=eu_azure_provider(),
    )


# Every Azure copy-path rule with a resource in northeurope whose copy goes to westeurope.
AZURE_COPY_PATHS: list[tuple[str, AnalyzedResource]] = [
    (
        "azure-native-storage-account-geo-replication-pair-allowed",
        azure("azure-native:storage:StorageAccount", "account", {"sku": {"name": "Standard_GRS"}}),
    ),
    (
        "azure-native-sql-database-backup-redundancy-pair-allowed",
        azure("azure-native:sql:Database", "db", {"serverName": "sql"}),  # unset = Geo
    ),
    (
        "azure-native-recoveryservices-vault-redundancy-pair-allowed",
        azure("azure-native:recoveryservices:Vault", "vault", {}),  # default GeoRedundant
    ),
    (
        "azure-native-cosmosdb-database-account-locations-allowed",
        azure(
            "azure-native:cosmosdb:DatabaseAccount",
            "cosmos",
            {"locations": [{"locationName": "northeurope"}, {"locationName": "West Europe"}]},
        ),
    ),
]
AZURE_IDS = [policy for policy, _ in AZURE_COPY_PATHS]


@pytest.mark.parametrize(("policy", "resource"), AZURE_COPY_PATHS, ids=AZURE_IDS)
@pytest.mark.parametrize(
    "narrowed", [PLACEMENT_AZURE, "azure-native-resource-inherited-location-allowed"]
)
def test_narrowing_one_location_rule_narrows_every_azure_copy_path(
    eu_residency: PolicyPack, policy: str, resource: AnalyzedResource, narrowed: str
) -> None:
    assert messages(eu_residency, policy, [resource]) == []
    eu_residency.configure({narrowed: {"allowedLocations": ["North Europe"]}})
    found = messages(eu_residency, policy, [resource])
    assert found, f"{policy} still copies to westeurope after {narrowed} was narrowed"
    assert all("westeurope" in m.replace("West Europe", "westeurope") for m in found), found


def test_widening_one_azure_rule_widens_none(eu_residency: PolicyPack) -> None:
    eastus = azure("azure-native:storage:StorageAccount", "us", {"location": "eastus"})
    eu_residency.configure({PLACEMENT_AZURE: {"allowedLocations": ["northeurope", "eastus"]}})
    (message,) = messages(eu_residency, PLACEMENT_AZURE, [eastus])
    assert "eastus" in message


def test_aws_and_azure_lists_are_separate(eu_residency: PolicyPack) -> None:
    eu_residency.configure({PLACEMENT_AWS: {"allowedRegions": ["eu-west-1"]}})
    grs = AZURE_COPY_PATHS[0]
    assert messages(eu_residency, grs[0], [grs[1]]) == []


# -- Engine-style configuration --------------------------------------------------------------


def test_narrowed_config_still_reconciles_like_the_engine(eu_residency: PolicyPack) -> None:
    eu_residency.configure({"all": "mandatory", PLACEMENT_AWS: {"allowedRegions": ["eu-west-1"]}})
    effective = eu_residency.effective_config
    assert effective[PLACEMENT_AWS]["allowedRegions"] == ["eu-west-1"]
    # Other rules keep their own schema default on the wire; the pack applies the intersection.
    replica = effective["aws-kms-replica-key-region-allowed"]
    assert "eu-central-1" in replica["allowedRegions"]
    assert {c["enforcementLevel"] for c in effective.values()} == {"mandatory"}
    with pytest.raises(PolicyConfigError, match="invalid"):
        eu_residency.configure({PLACEMENT_AWS: {"allowedRegions": ["Europe (Ireland)"]}})


def test_there_is_no_pack_level_key(eu_residency: PolicyPack) -> None:
    # The config document's top-level keys are policy names (or "all", which takes only an
    # enforcement level): the allow-list lives in the policies' own keys.
    with pytest.raises(PolicyConfigError, match="has no policy 'allowedRegions'"):
        eu_residency.configure({"allowedRegions": ["eu-west-1"]})
    with pytest.raises(PolicyConfigError, match="only enforcementLevel"):
        eu_residency.configure({"all": {"allowedRegions": ["eu-west-1"]}})


# -- In process: the Configure hook ----------------------------------------------------------


def request(config: dict[str, dict[str, Any]]) -> analyzer_pb2.ConfigureAnalyzerRequest:
    out = analyzer_pb2.ConfigureAnalyzerRequest()
    for name, props in config.items():
        entry = out.policyConfig[name]
        entry.enforcementLevel = analyzer_pb2.MANDATORY
        struct = struct_pb2.Struct()
        struct.update(props)
        entry.properties.CopyFrom(struct)
    return out


def test_hook_intersects_and_fails_closed(eu_residency_modules: dict[str, ModuleType]) -> None:
    common = eu_residency_modules["residency_common"]
    seen: list[Any] = []

    def sdk_configure(servicer: Any, req: Any, context: Any) -> str:
        seen.append(req)
        return "configured"

    hook = common.wrap_configure(sdk_configure)
    try:
        good = request(
            {
                "a": {"allowedRegions": ["eu-west-1", "eu-north-1"]},
                "b": {"allowedRegions": ["eu-north-1"], "exemptTypes": []},
                "c": {"allowedLocations": ["North Europe", "westeurope"]},
                "d": {},
            }
        )
        assert hook(None, good, None) == "configured"
        assert seen == [good]
        assert common.allowed_aws_regions({}) == frozenset({"eu-north-1"})
        assert common.allowed_aws_regions({"allowedRegions": ["eu-west-1"]}) == frozenset()
        assert common.allowed_azure_locations({}) == frozenset({"northeurope", "westeurope"})

        class Broken:
            @property
            def policyConfig(self) -> Any:  # noqa: N802 - the protobuf field's name
                raise RuntimeError("undecodable")

        assert hook(None, Broken(), None) == "configured"
        assert common.allowed_aws_regions({}) == frozenset()
        assert common.allowed_azure_locations({}) == frozenset()
    finally:
        common.set_pack_allow_lists(common.PackAllowLists(aws_regions=None, azure_locations=None))
