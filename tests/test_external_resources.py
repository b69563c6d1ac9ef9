"""The declared external resources file: loaded and checked by clover.external_resources,
compiled into the eu-residency pack's per-stack config by clover.pack_config, and honoured by
the running pack over the analyzer protocol."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from clover import external_resources as external
from clover import pack_config
from clover.analyzer import PolicyPack
from tests.policy_packs.conftest import eu_aws_provider, eu_only, eu_resource

ENTRY: dict[str, Any] = {
    "id": "analytics-archive",
    "stacks": ["prod"],
    "resource": "arn:aws:s3:::clover-analytics-archive-eu",
    "cloud": "aws",
    "region": "eu-north-1",
    "reason": "the analytics stack's archive",
    "vouchedBy": "dpo@example.com",
    "expires": "2999-06-30",
}


def write(tmp_path: Path, entries: Any) -> Path:
    path = tmp_path / external.FILE
    path.write_text(yaml.safe_dump(entries), encoding="utf-8")
    return path


def test_the_repository_file_loads() -> None:
    path = external.path_in(pack_config.CONFIG_DIR)
    assert path.is_file()
    external.load(path)


def test_an_entry_loads_with_an_unquoted_date(tmp_path: Path) -> None:
    path = tmp_path / external.FILE
    text = yaml.safe_dump([ENTRY]).replace("'2999-06-30'", "2999-06-30")
    path.write_text(text, encoding="utf-8")
    (declared,) = external.load(path, stacks=["dev", "prod"])
    assert declared.holds_in("prod")
    assert not declared.holds_in("dev")
    assert declared.to_config()["expires"] == "2999-06-30"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"vouchedBy": None}, "key vouchedBy: missing"),
        ({"vouched": "x"}, "key vouched: unknown key"),
        ({"region": "Frankfurt"}, "key region: 'Frankfurt' is not an AWS region code"),
        ({"cloud": "ibm"}, "key cloud"),
        ({"resource": "my bucket"}, "key resource: 'my bucket': not an S3 bucket ARN"),
        ({"resource": "gs://partner"}, "key resource: 'gs://partner': it is an gcp resource"),
        ({"expires": "2027-02-30"}, "key expires: '2027-02-30' is not a date"),
        ({"expires": "next year"}, "key expires: 'next year' is not a date"),
        ({"stacks": ["staging"]}, "key stacks: staging is not a stack of the project"),
    ],
)
def test_a_bad_entry_is_one_error_naming_the_file_entry_and_key(
    tmp_path: Path, change: dict[str, Any], expected: str
) -> None:
    entry = {k: v for k, v in {**ENTRY, **change}.items() if v is not None}
    path = write(tmp_path, [entry])
    with pytest.raises(external.DeclarationError) as raised:
        external.load(path, stacks=["dev", "prod"])
    assert str(raised.value).startswith(f"{path}: ")
    assert expected in str(raised.value)


def test_duplicate_ids_and_bad_yaml_are_refused(tmp_path: Path) -> None:
    with pytest.raises(external.DeclarationError, match="already the id of entry 0"):
        external.load(write(tmp_path, [ENTRY, ENTRY]))
    (tmp_path / external.FILE).write_text("- id: [", encoding="utf-8")
    with pytest.raises(external.DeclarationError, match="not valid YAML"):
        external.load(tmp_path / external.FILE)
    (tmp_path / external.FILE).write_text("id: x", encoding="utf-8")
    with pytest.raises(external.DeclarationError, match="must be a list"):
        external.load(tmp_path / external.FILE)


def _config_dir(tmp_path: Path, entries: list[dict[str, Any]]) -> Path:
    config_dir = tmp_path / "config"
    shutil.copytree(pack_config.CONFIG_DIR / "layers", config_dir / "layers")
    write(config_dir, entries)
    return config_dir


def test_declarations_are_compiled_for_their_stacks_and_eu_residency_only(tmp_path: Path) -> None:
    config_dir = _config_dir(tmp_path, [ENTRY])
    prod = pack_config.layer("eu_residency", "prod", config_dir)
    assert [d.id for d in prod.declared] == ["analytics-archive"]
    compiled = prod.config[external.RULE][external.CONFIG_KEY]
    assert compiled == [{k: v for k, v in ENTRY.items() if k != "stacks"}]
    dev = pack_config.layer("eu_residency", "dev", config_dir)
    assert dev.declared == ()
    assert external.RULE not in dev.config
    other = pack_config.layer("eu_data_protection", "prod", config_dir)
    assert external.RULE not in other.config


def test_a_malformed_file_stops_layering_with_its_error(tmp_path: Path) -> None:
    config_dir = _config_dir(tmp_path, [{**ENTRY, "region": "nowhere 1"}])
    with pytest.raises(pack_config.PackConfigError, match="key region"):
        pack_config.layer("eu_residency", "prod", config_dir)


def _replication_stack() -> list[Any]:
    dublin = eu_aws_provider("eu-west-1")
    source = eu_resource(
        "aws:s3/bucket:Bucket", "src", {"bucket": "src", "region": "eu-west-1"}, provider=dublin
    )
    replication = eu_resource(
        "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
        "replication",
        {
            "bucket": "src",
            "role": "arn:aws:iam::123456789012:role/replication",
            "rules": [
                {
                    "id": "all",
                    "status": "Enabled",
                    "destination": {"bucket": "arn:aws:s3:::clover-analytics-archive-eu"},
                }
            ],
        },
        provider=dublin,
    )
    return [source, replication]


@pytest.mark.parametrize(
    ("region", "expires", "blocked"),
    [("eu-north-1", "2999-06-30", False), ("us-east-1", "2999-06-30", True)],
)
def test_the_compiled_config_reaches_the_pack_over_the_protocol(
    tmp_path: Path, region: str, expires: str, blocked: bool
) -> None:
    config_dir = _config_dir(tmp_path, [{**ENTRY, "region": region, "expires": expires}])
    config = pack_config.layer("eu_residency", "prod", config_dir).config
    generated = tmp_path / "eu_residency.prod.json"
    generated.write_text(pack_config.render(config), encoding="utf-8")
    with PolicyPack(pack_config.PACKS_DIR / "eu_residency") as pack:
        pack.configure(json.loads(generated.read_text("utf-8")))
        stack = _replication_stack()
        for rule in (
            "aws-s3-bucket-replication-destination-allowed",
            "data-flow-destination-allowed",
        ):
            found = eu_only(pack.preview(stack), rule)
            assert bool(found) is blocked, [d.message for d in found]
        pack.configure(
            json.loads(
                pack_config.render(pack_config.layer("eu_residency", "dev", config_dir).config)
            )
        )
        assert eu_only(pack.preview(stack), "data-flow-destination-allowed")
