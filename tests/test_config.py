"""Stack configuration: the repo's stacks parse, and every kind of bad config is refused by name."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from clover.project import load_project, stack_config
from components.backup.aws import AwsCrossSiteBackupArgs
from sites import catalog
from sites import config as config_module
from sites.catalog import Cloud
from sites.config import BACKUP_NONCURRENT_VERSION_DAYS, ConfigError, parse

ROOT = Path(__file__).resolve().parents[1]


def _dev() -> dict[str, str]:
    return stack_config(load_project(ROOT), "dev")


def _with_sites(mutate: Any) -> dict[str, str]:
    raw = _dev()
    sites = json.loads(raw["clover:sites"])
    mutate(sites)
    raw["clover:sites"] = json.dumps(sites)
    return raw


def test_dev_stack_parses_to_both_sites() -> None:
    config = parse(_dev())
    assert config.environment == "dev"
    assert config.protect_data_stores is False
    dublin, hamar = config.site("dublin"), config.site("hamar")
    assert dublin.aws is not None
    assert dublin.aws.region == "eu-west-1"
    assert dublin.aws.key_admin_role_arns == ("arn:aws:iam::123456789012:role/clover-dev-deployer",)
    assert dublin.azure is not None
    assert dublin.azure.location == "northeurope"
    assert hamar.azure is not None
    assert hamar.azure.location == "norwayeast"
    assert hamar.aws is None
    assert [(b.cloud, b.source, b.destination) for b in config.backups] == [
        (Cloud.AZURE, "dublin", "hamar")
    ]


def test_prod_stack_opts_hamar_into_stockholm_and_says_so() -> None:
    config = parse(stack_config(load_project(ROOT), "prod"))
    assert config.protect_data_stores is True
    hamar_aws = config.site("hamar").aws
    assert hamar_aws is not None
    assert hamar_aws.region == "eu-north-1"
    assert hamar_aws.placement.country == "SE"
    assert hamar_aws.placement.in_site_country is False
    assert "outside NO" in hamar_aws.placement.describe()


def test_protection_defaults_on_when_not_set() -> None:
    raw = _dev()
    del raw["clover:protectDataStores"]
    assert parse(raw).protect_data_stores is True


BAD_SITES: list[tuple[str, Any, str]] = [
    ("unknown site", lambda s: s.update(paris=s["dublin"]), "clover:sites.paris"),
    (
        "unknown cloud",
        lambda s: s["dublin"].update(gcp={"vpcCidr": "10.0.0.0/16"}),
        "clover:sites.dublin",
    ),
    (
        "region outside the site's country",
        lambda s: s["dublin"]["aws"].update(region="eu-central-1"),
        "clover:sites.dublin.aws.region = 'eu-central-1'",
    ),
    (
        "region outside the approved list",
        lambda s: s["dublin"]["aws"].update(region="us-east-1"),
        "clover:sites.dublin.aws.region = 'us-east-1'",
    ),
    (
        "location outside the approved list",
        lambda s: s["hamar"]["azure"].update(location="eastus"),
        "clover:sites.hamar.azure.location = 'eastus'",
    ),
    (
        "location in another country",
        lambda s: s["hamar"]["azure"].update(location="North Europe"),
        "clover:sites.hamar.azure.location = 'northeurope'",
    ),
    (
        "AWS for Hamar without the opt-in",
        lambda s: s["hamar"].update(
            aws={
                "vpcCidr": "10.40.0.0/20",
                "gatewayPrincipals": ["arn:aws:iam::123456789012:role/ops"],
                "keyAdminRoleArns": ["arn:aws:iam::123456789012:role/deployer"],
            }
        ),
        "clover:sites.hamar.aws: aws has no region in NO",
    ),
    (
        "invalid CIDR",
        lambda s: s["dublin"]["aws"].update(vpcCidr="10.10.0.300/20"),
        "clover:sites.dublin.aws.vpcCidr = '10.10.0.300/20'",
    ),
    (
        "CIDR with host bits",
        lambda s: s["dublin"]["aws"].update(vpcCidr="10.10.1.0/20"),
        "clover:sites.dublin.aws.vpcCidr = '10.10.1.0/20'",
    ),
    (
        "public CIDR",
        lambda s: s["dublin"]["aws"].update(vpcCidr="8.8.0.0/16"),
        "clover:sites.dublin.aws.vpcCidr = '8.8.0.0/16'",
    ),
    (
        "CIDRs overlapping within a site",
        lambda s: s["dublin"]["azure"].update(vnetCidr="10.10.8.0/22"),
        "clover:sites.dublin.azure.vnetCidr = '10.10.8.0/22' overlaps clover:sites.dublin.aws",
    ),
    (
        "CIDRs overlapping across sites",
        lambda s: s["hamar"]["azure"].update(vnetCidr="10.20.0.0/16"),
        "clover:sites.hamar.azure.vnetCidr = '10.20.0.0/16' overlaps",
    ),
    (
        "missing required key",
        lambda s: s["dublin"]["aws"].pop("vpcCidr"),
        "clover:sites.dublin.aws: 'vpcCidr' is a required property",
    ),
    (
        "principal that is not an ARN",
        lambda s: s["dublin"]["aws"].update(gatewayPrincipals=["ops-team"]),
        "clover:sites.dublin.aws.gatewayPrincipals[0] = 'ops-team'",
    ),
    (
        "wildcard principal",
        lambda s: s["dublin"]["aws"].update(gatewayPrincipals=["*"]),
        "clover:sites.dublin.aws.gatewayPrincipals[0] = '*'",
    ),
    (
        "an Object Lock shorter than the backup keeps versions",
        lambda s: s["dublin"]["aws"].update(objectLockDays=30),
        "clover:sites.dublin.aws.objectLockDays",
    ),
    (
        "no key admin role",
        lambda s: s["dublin"]["aws"].pop("keyAdminRoleArns"),
        "clover:sites.dublin.aws: 'keyAdminRoleArns' is a required property",
    ),
    (
        "an empty list of key admin roles",
        lambda s: s["dublin"]["aws"].update(keyAdminRoleArns=[]),
        "clover:sites.dublin.aws.keyAdminRoleArns",
    ),
    (
        "a key admin that is a user, not a role",
        lambda s: s["dublin"]["aws"].update(
            keyAdminRoleArns=["arn:aws:iam::123456789012:user/alice"]
        ),
        "clover:sites.dublin.aws.keyAdminRoleArns[0] = 'arn:aws:iam::123456789012:user/alice' is"
        " not an IAM role ARN",
    ),
    (
        "object id that is not a GUID",
        lambda s: s["hamar"]["azure"].update(gatewayPrincipalIds=["not-a-guid"]),
        "clover:sites.hamar.azure.gatewayPrincipalIds[0] = 'not-a-guid'",
    ),
    (
        "break-glass that is not a role",
        lambda s: s["dublin"]["aws"].update(
            breakGlassRoleArn="arn:aws:iam::123456789012:user/alice"
        ),
        "clover:sites.dublin.aws.breakGlassRoleArn",
    ),
    (
        "misspelt key",
        lambda s: s["dublin"]["aws"].update(vpcCIDR="10.50.0.0/16"),
        "clover:sites.dublin.aws: Additional properties are not allowed ('vpcCIDR'",
    ),
    (
        "unknown storage SKU",
        lambda s: s["hamar"]["azure"].update(storageSku="Standard_XYZ"),
        "clover:sites.hamar.azure.storageSku = 'Standard_XYZ'",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [pytest.param(m, e, id=i) for i, m, e in BAD_SITES],
)
def test_bad_site_config_is_refused_naming_the_key(mutate: Any, expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse(_with_sites(mutate))
    assert expected in str(caught.value)


def test_geo_redundant_sku_is_accepted_when_the_pair_is_approved() -> None:
    # norwayeast pairs with norwaywest, which is approved.
    config = parse(_with_sites(lambda s: s["hamar"]["azure"].update(storageSku="Standard_GZRS")))
    hamar = config.site("hamar").azure
    assert hamar is not None
    assert hamar.storage_sku == "Standard_GZRS"


def test_geo_redundant_sku_is_refused_when_the_pair_is_not_approved(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Every catalog site's pair is approved today; narrow the approved list to prove the rule.
    narrowed = {**catalog.APPROVED, Cloud.AZURE: frozenset({"northeurope", "norwayeast"})}
    monkeypatch.setattr(config_module, "APPROVED", narrowed)
    mutate = lambda s: s["dublin"]["azure"].update(storageSku="Standard_RAGRS")  # noqa: E731
    with pytest.raises(ConfigError) as caught:
        parse(_with_sites(mutate))
    assert "clover:sites.dublin.azure.storageSku = 'Standard_RAGRS'" in str(caught.value)
    assert "westeurope" in str(caught.value)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("clover:environment", None, "clover:environment is required"),
        ("clover:environment", "Prod Env", "clover:environment = 'Prod Env'"),
        ("clover:sites", None, "clover:sites is required"),
        ("clover:sites", "{not json", "clover:sites is not valid structured config"),
        ("clover:sites", "{}", "clover:sites = {}"),
        ("clover:protectDataStores", "maybe", "clover:protectDataStores = 'maybe'"),
        ("clover:protectDatastores", "true", "clover:protectDatastores is not a Clover setting"),
        ("clover:dataClassification", "Top Secret", "clover:dataClassification = 'Top Secret'"),
        (
            "clover:backups",
            json.dumps([{"cloud": "aws", "from": "dublin", "to": "hamar"}]),
            "clover:backups[0].to = 'hamar' is not a site configured on aws",
        ),
        (
            "clover:backups",
            json.dumps([{"cloud": "gcp", "from": "dublin", "to": "hamar"}]),
            "clover:backups[0].cloud = 'gcp'",
        ),
        (
            "clover:backups",
            json.dumps([{"cloud": "azure", "from": "hamar", "to": "hamar"}]),
            "clover:backups[0]: a cross-site backup needs two different sites",
        ),
        (
            "clover:backups",
            json.dumps([{"cloud": "azure", "from": "dublin"}]),
            "clover:backups[0]: 'to' is a required property",
        ),
    ],
)
def test_bad_top_level_config_is_refused_naming_the_key(
    key: str, value: str | None, expected: str
) -> None:
    raw = _dev()
    if value is None:
        raw.pop(key, None)
    else:
        raw[key] = value
    with pytest.raises(ConfigError) as caught:
        parse(raw)
    assert expected in str(caught.value)


def test_config_error_is_a_clean_pulumi_run_error() -> None:
    import pulumi

    assert issubclass(ConfigError, pulumi.RunError)


def test_the_shortest_object_lock_is_the_backups_noncurrent_version_expiry() -> None:
    fields = {f.name: f for f in dataclasses.fields(AwsCrossSiteBackupArgs)}
    assert fields["noncurrent_version_expiration_days"].default == BACKUP_NONCURRENT_VERSION_DAYS
