"""The pack as a whole: names, metadata, defaults vs. the catalog and the SDK, config files."""

from __future__ import annotations

import importlib
import inspect
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from clover.analyzer import PolicyPack, load_pack_config
from sites import catalog
from tests.modules import module_from_file
from tests.policy_packs.conftest import (
    EU_RESIDENCY_DIR,
    POLICY_PACKS,
    eu_aws_provider,
    eu_only,
    eu_resource,
)

NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
CONFIG_FILES = sorted((POLICY_PACKS / "config").glob("eu_residency.*.json"))
# Rules that span every provider, named by the issue that asked for them rather than by a type.
CROSS_CUTTING = frozenset({"data-flow-destination-allowed", "resource-residency-assessed"})
# The record of reviewed exemptions, advisory by design; tests/test_exemptions.py covers it.
EXEMPTION_RECORD = "policy-exemption-applied"
# The carrier of declared external resources, advisory by design (it reports stale and expired
# declarations; a destination an expired one named blocks in its own rule);
# tests/policy_packs/test_eu_residency_external_resources.py covers it.
DECLARATION_RECORD = "external-resource-declarations"
RECORDS = frozenset({EXEMPTION_RECORD, DECLARATION_RECORD})


def test_pack_identity(eu_residency: PolicyPack) -> None:
    assert eu_residency.name == "eu-residency"
    assert eu_residency.version == "0.1.0"
    assert len(eu_residency.policies) >= 16


def test_policy_metadata(eu_residency: PolicyPack) -> None:
    assert eu_residency.policies[DECLARATION_RECORD].enforcement_level == "advisory"
    for name, info in eu_residency.policies.items():
        if name in RECORDS:
            continue
        assert NAME.fullmatch(name), name
        # "azure-" is classic pulumi-azure; "azure-native-" rules are for azure-native.
        prefixes = ("aws-", "azure-native-", "azure-", "gcp-", "kubernetes-")
        assert name.startswith(prefixes) or name in CROSS_CUTTING, name
        assert info.description.strip(), name
        assert info.severity in {"high", "critical"}, name
        assert len(info.remediation) > 20, name
        assert info.enforcement_level == "mandatory", name
        assert info.config_schema is not None, name


def test_every_policy_is_sent_mandatory_by_default(eu_residency: PolicyPack) -> None:
    levels = {
        c["enforcementLevel"]
        for name, c in eu_residency.effective_config.items()
        if name not in RECORDS
    }
    assert levels == {"mandatory"}


def test_aws_defaults_cover_the_catalog(eu_residency: PolicyPack) -> None:
    for name, config in eu_residency.effective_config.items():
        if "allowedRegions" in config:
            assert set(config["allowedRegions"]) == catalog.APPROVED_AWS_REGIONS, name


def test_azure_defaults_cover_the_catalog(eu_residency: PolicyPack) -> None:
    for name, config in eu_residency.effective_config.items():
        if "allowedLocations" in config:
            assert set(config["allowedLocations"]) >= catalog.APPROVED_AZURE_LOCATIONS, name


def test_site_placements_pass(eu_residency_modules: dict[str, ModuleType]) -> None:
    aws = eu_residency_modules["placement_aws"]
    azure = eu_residency_modules["placement_azure"]
    for site in catalog.SITES.values():
        for cloud, region in {**site.regions, **site.nearest}.items():
            if cloud is catalog.Cloud.AWS:
                assert not aws.check_resource_region(
                    resource_type="aws:s3/bucket:Bucket",
                    urn="u",
                    props={"region": region},
                    provider_props={},
                    config={},
                ), site
            else:
                assert not azure.check_resource_location(
                    resource_type="azure-native:storage:StorageAccount",
                    urn="u",
                    props={"location": region},
                    provider_props={},
                    config={},
                ), site


def _aws_class(token: str) -> Any:
    module, name = token.split(":")[1].split("/", maxsplit=1)[0], token.rsplit(":", 1)[1]
    cls = getattr(importlib.import_module(f"pulumi_aws.{module}"), name)
    assert isinstance(cls, type)
    return cls


def test_exempt_types_take_no_region(eu_residency_modules: dict[str, ModuleType]) -> None:
    # A type that gained a region argument must be checked, not exempt.
    for token in eu_residency_modules["placement_aws"].EXEMPT_TYPES_DEFAULT:
        params = inspect.signature(_aws_class(token)._internal_init).parameters
        assert "region" not in params, token


@pytest.mark.parametrize(
    "token",
    [
        "aws:kms/key:Key",
        "aws:acm/certificate:Certificate",
        "aws:s3control/multiRegionAccessPoint:MultiRegionAccessPoint",
        "aws:s3/bucket:Bucket",
    ],
)
def test_data_holding_types_take_a_region(
    eu_residency_modules: dict[str, ModuleType], token: str
) -> None:
    assert token not in eu_residency_modules["placement_aws"].EXEMPT_TYPES_DEFAULT
    assert "region" in inspect.signature(_aws_class(token)._internal_init).parameters


def test_type_tokens_exist_in_the_sdks(eu_residency_modules: dict[str, ModuleType]) -> None:
    # A stale token silently never fires (pulumi-aws v7 renamed S3 types).
    aws_tokens = [
        "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
        "aws:dynamodb/tableReplica:TableReplica",
        "aws:dynamodb/globalTable:GlobalTable",
        "aws:kms/replicaKey:ReplicaKey",
        "aws:kms/replicaExternalKey:ReplicaExternalKey",
        "aws:ecr/replicationConfiguration:ReplicationConfiguration",
        "aws:backup/plan:Plan",
        "aws:secretsmanager/secret:Secret",
        "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication",
        "aws:s3/bucketV2:BucketV2",
    ]
    for token in aws_tokens:
        _aws_class(token)
    location_types = eu_residency_modules["placement_azure"].LOCATION_TYPES
    for token in [
        "azure-native:storage:StorageAccount",
        "azure-native:cosmosdb:DatabaseAccount",
        "azure-native:sql:Database",
        "azure-native:sql:ManagedInstance",
        "azure-native:recoveryservices:Vault",
        "azure-native:resources:ResourceGroup",
        *eu_residency_modules["placement_azure"].GLOBAL_TYPES_DEFAULT,
    ]:
        assert token in location_types, token


def test_location_types_data_is_current() -> None:
    generator = module_from_file(
        "generate_azure_location_types",
        EU_RESIDENCY_DIR / "tools" / "generate_azure_location_types.py",
    )
    import pulumi_azure_native

    with_location, _ = generator.scan(Path(pulumi_azure_native.__file__).parent)
    committed = json.loads((EU_RESIDENCY_DIR / "azure_location_types.json").read_text())
    assert committed["typesWithLocation"] == with_location, (
        "rerun tools/generate_azure_location_types.py"
    )


def test_pack_modules_never_import_main_or_clover() -> None:
    for path in EU_RESIDENCY_DIR.glob("*.py"):
        text = path.read_text()
        assert "import __main__" not in text, path
        assert not re.search(r"^\s*(from|import) clover", text, re.M), path


def test_requirements_pinned_to_a_minor() -> None:
    lines = (EU_RESIDENCY_DIR / "requirements.txt").read_text().split()
    assert lines == ["pulumi-policy>=1.21,<1.22", "pulumi>=3.272,<3.273"]


@pytest.mark.parametrize("path", CONFIG_FILES, ids=[p.name for p in CONFIG_FILES])
def test_stack_config_files_validate(eu_residency: PolicyPack, path: Path) -> None:
    eu_residency.configure(load_pack_config(path))
    for name, config in eu_residency.effective_config.items():
        assert config["enforcementLevel"] == "mandatory", name
    # The pack applies the intersection of every policy's list to all of them, so the files
    # narrow it once; a copy path (not only placement) must refuse what the narrowed list omits.
    frankfurt = eu_resource(
        "aws:dynamodb/table:Table",
        "table",
        {"replicas": [{"regionName": "eu-central-1"}]},
        provider=eu_aws_provider("eu-west-1"),
    )
    assert eu_only(eu_residency.preview([frankfurt]), "aws-dynamodb-table-replica-region-allowed")
    grs = eu_resource(
        "azure-native:storage:StorageAccount",
        "account",
        {"resourceGroupName": "rg", "location": "swedencentral", "sku": {"name": "Standard_GRS"}},
    )
    storage = "azure-native-storage-account-geo-replication-pair-allowed"
    assert eu_only(eu_residency.preview([grs]), storage)


def test_both_config_files_exist() -> None:
    assert [p.name for p in CONFIG_FILES] == ["eu_residency.dev.json", "eu_residency.prod.json"]
