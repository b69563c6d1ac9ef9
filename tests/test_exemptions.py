"""Reviewed exemptions: from policy_packs/config/exemptions.yaml through clover.pack_config's
generated config into the packs, over the analyzer protocol and through ``python -m clover check``.
"""

from __future__ import annotations

import datetime
import json
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, Final

import pytest
import yaml

from clover import pack_config
from clover.__main__ import main
from clover.analyzer import AnalyzedResource, Diagnostic, PolicyPack
from clover.pack_config import PackConfigError, layer, load_exemptions
from tests.modules import module_from_file
from tests.policy_packs.conftest import POLICY_PACKS, eu_aws_provider, eu_resource, eu_urn

APPLIED: Final = "policy-exemption-applied"
REGION: Final = "aws-resource-region-allowed"
VERSIONING: Final = "aws-s3-bucket-require-versioning"
KMS: Final = "aws-s3-bucket-require-kms-encryption"
TAGS: Final = "aws-data-store-require-tags"
CERT: Final = "aws:acm/certificate:Certificate"
BUCKET: Final = "aws:s3/bucket:Bucket"
TODAY: Final = datetime.date.today()
FUTURE: Final = (TODAY + datetime.timedelta(days=90)).isoformat()
PAST: Final = (TODAY - datetime.timedelta(days=1)).isoformat()
US = eu_aws_provider("us-east-1", name="us")
EU = eu_aws_provider("eu-west-1")


def _cert(name: str) -> AnalyzedResource:
    return eu_resource(CERT, name, {"domainName": f"{name}.example.com"}, provider=US)


def _exemption(**overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": "cloudfront-certificate",
        "stacks": ["dev"],
        "pack": "eu-residency",
        "policy": REGION,
        "resource": eu_urn(CERT, "cdn-cert"),
        "reason": "CloudFront serves only ACM certificates issued in us-east-1",
        "approvedBy": "dpo@example.com",
        "expires": FUTURE,
    }
    entry.update(overrides)
    return entry


def _config_dir(tmp_path: Path, entries: Sequence[dict[str, Any]]) -> Path:
    """The repo's base layers with an exemptions file of the test's own."""
    (tmp_path / "layers").mkdir(parents=True, exist_ok=True)
    for base in (pack_config.CONFIG_DIR / "layers").glob("*.base.json"):
        shutil.copy(base, tmp_path / "layers" / base.name)
    (tmp_path / "exemptions.yaml").write_text(yaml.safe_dump(list(entries)), encoding="utf-8")
    return tmp_path


def _configure(
    pack: PolicyPack, directory: str, tmp_path: Path, entries: Sequence[dict[str, Any]]
) -> None:
    """Configure the pack with the generated document, as `pulumi preview` would be given it."""
    pack.configure(layer(directory, "dev", _config_dir(tmp_path, entries)).config)


def _of(diagnostics: list[Diagnostic], policy: str, level: str) -> list[Diagnostic]:
    return [d for d in diagnostics if d.policy == policy and d.enforcement_level == level]


@pytest.fixture(scope="module")
def residency() -> Iterator[PolicyPack]:
    with PolicyPack(POLICY_PACKS / "eu_residency") as pack:
        yield pack


@pytest.fixture(scope="module")
def data_protection() -> Iterator[PolicyPack]:
    with PolicyPack(POLICY_PACKS / "eu_data_protection") as pack:
        yield pack


# -- over the analyzer protocol ----------------------------------------------------------------


def test_without_exemption_the_certificate_is_blocked(
    residency: PolicyPack, tmp_path: Path
) -> None:
    _configure(residency, "eu_residency", tmp_path, [])
    found = residency.analyze(_cert("cdn-cert"))
    assert [d.urn for d in _of(found, REGION, "mandatory")] == [eu_urn(CERT, "cdn-cert")]
    assert not [d for d in found if d.policy == APPLIED]


def test_an_exempted_violation_is_an_advisory_record(residency: PolicyPack, tmp_path: Path) -> None:
    _configure(residency, "eu_residency", tmp_path, [_exemption()])
    cert, other = _cert("cdn-cert"), _cert("api-cert")
    found = residency.analyze(cert)
    assert not _of(found, REGION, "mandatory"), [d.message for d in found]
    (record,) = [d for d in found if d.policy == APPLIED]
    # Advisory although the base config sets "all": "mandatory": the record never blocks.
    assert record.enforcement_level == "advisory"
    assert record.urn == cert.urn
    for part in (
        f"{REGION} is exempted for {cert.urn} by exemption cloudfront-certificate",
        "CloudFront serves only ACM certificates issued in us-east-1",
        "approved by dpo@example.com",
        f"expires {FUTURE}",
        "region 'us-east-1' is not allowed",
    ):
        assert part in record.message, record.message
    # Another resource of the same type is still blocked.
    assert [d.urn for d in _of(residency.analyze(other), REGION, "mandatory")] == [other.urn]
    stack = residency.analyze_stack([cert, other])
    assert not [d for d in stack if d.policy == APPLIED], "the exemption matched: not stale"


def test_the_same_resource_is_still_blocked_for_another_rule(
    data_protection: PolicyPack, tmp_path: Path
) -> None:
    bucket = eu_resource(BUCKET, "exports", {"bucket": "exports"}, provider=EU)
    entry = _exemption(
        id="exports-versioning",
        pack="eu-data-protection",
        policy=VERSIONING,
        resource=bucket.urn,
        reason="write-once exports; object lock replaces versioning",
    )
    _configure(data_protection, "eu_data_protection", tmp_path, [entry])
    found = data_protection.analyze(bucket)
    assert [d.urn for d in _of(found, TAGS, "mandatory")] == [bucket.urn]
    stack = data_protection.analyze_stack([bucket])
    # A stack rule's violation is exempted in AnalyzeStack; the bucket's other rules still block.
    assert not _of(stack, VERSIONING, "mandatory")
    assert [d.urn for d in _of(stack, KMS, "mandatory")] == [bucket.urn]
    (record,) = [d for d in stack if d.policy == APPLIED]
    assert record.enforcement_level == "advisory"
    assert record.urn == bucket.urn
    assert f"{VERSIONING} is exempted for {bucket.urn} by exemption exports-versioning" in (
        record.message
    )


def test_an_expired_exemption_blocks_and_says_so(residency: PolicyPack, tmp_path: Path) -> None:
    _configure(residency, "eu_residency", tmp_path, [_exemption(expires=PAST)])
    cert = _cert("cdn-cert")
    found = residency.analyze(cert)
    (blocked,) = _of(found, REGION, "mandatory")
    assert blocked.message.endswith(f"(exemption cloudfront-certificate expired on {PAST})")
    assert not [d for d in found if d.policy == APPLIED]
    assert not [d for d in residency.analyze_stack([cert]) if d.policy == APPLIED]


def test_a_stale_exemption_is_reported(residency: PolicyPack, tmp_path: Path) -> None:
    gone = eu_urn(CERT, "old-cdn-cert")
    _configure(residency, "eu_residency", tmp_path, [_exemption(id="old", resource=gone)])
    cert = _cert("cdn-cert")
    assert _of(residency.analyze(cert), REGION, "mandatory")
    (stale,) = [d for d in residency.analyze_stack([cert]) if d.policy == APPLIED]
    assert stale.enforcement_level == "advisory"
    assert f"exemption old ({REGION} on {gone}) matched nothing: remove it" in stale.message


def test_a_pattern_exempts_the_resources_it_matches(residency: PolicyPack, tmp_path: Path) -> None:
    pattern = "urn:pulumi:*::clover::aws:acm/certificate:Certificate::cdn-*"
    _configure(residency, "eu_residency", tmp_path, [_exemption(resource=pattern)])
    for name in ("cdn-eu", "cdn-us"):
        found = residency.analyze(_cert(name))
        assert not _of(found, REGION, "mandatory"), name
        assert [d.urn for d in found if d.policy == APPLIED] == [eu_urn(CERT, name)]
    api = _cert("api-cert")
    assert [d.urn for d in _of(residency.analyze(api), REGION, "mandatory")] == [api.urn]


def test_an_exemption_holds_only_in_its_stacks(tmp_path: Path) -> None:
    config_dir = _config_dir(tmp_path, [_exemption(stacks=["prod"])])
    assert "exemptions" not in layer("eu_residency", "dev", config_dir).config[REGION]
    prod = layer("eu_residency", "prod", config_dir)
    assert [e["id"] for e in prod.config[REGION]["exemptions"]] == ["cloudfront-certificate"]
    assert prod.loosened == (), "an exemption is no loosening of the rule"
    everywhere = _config_dir(tmp_path, [_exemption(stacks="*")])
    assert layer("eu_residency", "staging", everywhere).config[REGION]["exemptions"]


# -- the pack side -------------------------------------------------------------------------------


def test_the_copies_are_identical() -> None:
    copies = sorted(POLICY_PACKS.glob("*/exemptions.py"))
    assert [p.parent.name for p in copies] == sorted(pack_config.LAYERED_PACKS)
    assert len({p.read_bytes() for p in copies}) == 1


@pytest.mark.parametrize("directory", pack_config.LAYERED_PACKS)
def test_every_rule_takes_exemptions_and_the_record_runs_last(directory: str) -> None:
    with PolicyPack(POLICY_PACKS / directory) as pack:
        assert pack_config.PACK_NAMES[pack.name] == directory
        *rules, last = pack.policies.values()
    assert last.name == APPLIED
    assert last.enforcement_level == "advisory"
    assert last.remediation
    for rule in rules:
        setting = (rule.config_schema or {}).get("properties", {}).get("exemptions")
        assert setting is not None, rule.name
        assert setting["default"] == []
        assert setting["description"]


def _module() -> ModuleType:
    path = POLICY_PACKS / "eu_residency" / "exemptions.py"
    return module_from_file("clover_pack_exemptions", path)


def test_an_exemption_holds_through_its_expiry_day() -> None:
    module = _module()
    day = datetime.date(2026, 6, 30)
    today = [day]
    ledger = module.Ledger(lambda: today[0])
    raw = {
        "id": "x",
        "resource": "urn:*",
        "reason": "r",
        "approvedBy": "a",
        "expires": "2026-06-30",
    }
    ledger.configure({REGION: {"exemptions": [raw]}})
    assert ledger.intercept(REGION, "k", "urn:a", "violation") is None
    today[0] = day + datetime.timedelta(days=1)
    assert ledger.intercept(REGION, "k", "urn:a", "violation") == (
        " (exemption x expired on 2026-06-30)"
    )
    bad = {**raw, "id": "y", "expires": "2026-02-30"}
    ledger.configure({REGION: {"exemptions": [bad]}})
    assert "exemption y does not apply: expires '2026-02-30' is not a date" in (
        ledger.intercept(REGION, "k", "urn:a", "violation")
    )
    assert ledger.intercept("another-rule", "k", "urn:a", "violation") == ""


# -- malformed files: one error naming the file, the entry and the key ---------------------------

POLICIES: Final = {"eu_residency": frozenset({REGION}), "eu_data_protection": frozenset({TAGS})}


@pytest.mark.parametrize(
    ("entries", "match"),
    [
        (
            [{k: v for k, v in _exemption().items() if k != "expires"}],
            r"exemption 'cloudfront-certificate' \(entry 0\): key expires: missing .*never lapses",
        ),
        ([_exemption(expires="2026-02-30")], r"entry 0\): key expires: '2026-02-30' is not a date"),
        ([_exemption(expires="next year")], r"entry 0\): key expires: 'next year' is not a date"),
        ([_exemption(pack="eu-billing")], r"entry 0\): key pack: 'eu-billing' is invalid"),
        (
            [_exemption(policy="aws-region-ok")],
            r"entry 0\): key policy: .* no rule 'aws-region-ok'",
        ),
        ([_exemption(policy=APPLIED)], r"key policy: policy-exemption-applied cannot be exempted"),
        (
            [_exemption(), _exemption(resource=eu_urn(CERT, "b"))],
            r"exemption 'cloudfront-certificate' \(entry 1\): key id: .* already the id of entry 0",
        ),
        ([_exemption(stacks=["dve"])], r"entry 0\): key stacks: dve is not a stack"),
        ([_exemption(approvedBy="")], r"entry 0\): key approvedBy: '' is invalid"),
        ([{**_exemption(), "ticket": "X-1"}], r"entry 0\): key ticket: unknown key"),
        (
            [_exemption(resource="urn:pulumi:dev::clover::aws:*::cdn-cert")],
            r"entry 0\): key resource: .* leaves the resource's own type open",
        ),
        ([_exemption(resource="cdn-cert")], r"entry 0\): key resource: 'cdn-cert': not a URN"),
        ([["not", "a", "mapping"]], r"entry 0: key \(entry\): .* is invalid"),
    ],
)
def test_a_malformed_exemption_is_one_clear_error(
    tmp_path: Path, entries: list[Any], match: str
) -> None:
    config_dir = _config_dir(tmp_path, entries)
    with pytest.raises(PackConfigError, match=match) as raised:
        pack_config.generated(["eu_residency"], ["dev", "prod"], config_dir, policies=POLICIES)
    assert str(raised.value).startswith(f"{config_dir / 'exemptions.yaml'}: ")
    assert "\n" not in str(raised.value)


def test_unquoted_yaml_dates_are_read_as_dates(tmp_path: Path) -> None:
    path = tmp_path / "exemptions.yaml"
    text = yaml.safe_dump([_exemption()]).replace(f"'{FUTURE}'", FUTURE)
    assert f"expires: {FUTURE}\n" in text
    path.write_text(text, encoding="utf-8")
    (exemption,) = load_exemptions(path)
    assert exemption.expires.isoformat() == FUTURE


def test_the_repository_file_is_well_formed() -> None:
    path = pack_config.exemptions_path(pack_config.CONFIG_DIR)
    assert path.is_file()
    load_exemptions(path)


# -- through python -m clover check -------------------------------------------------------------

PROGRAM: Final = '''"""A CloudFront certificate: ACM issues those in us-east-1 only."""

import pulumi
import pulumi_aws as aws

us = aws.Provider("us", region="us-east-1")
aws.acm.Certificate(
    "cdn-certificate",
    domain_name="cdn.example.com",
    validation_method="DNS",
    opts=pulumi.ResourceOptions(provider=us),
)
'''


def _project(tmp_path: Path, bucket: bool) -> Path:
    project = tmp_path / "cdn"
    project.mkdir()
    (project / "Pulumi.yaml").write_text("name: cdn\nruntime: python\n", encoding="utf-8")
    (project / "Pulumi.test.yaml").write_text(
        'config:\n  pulumi:disable-default-providers: ["*"]\n', encoding="utf-8"
    )
    extra = 'aws.s3.Bucket("exports", opts=pulumi.ResourceOptions(provider=us))\n' if bucket else ""
    (project / "__main__.py").write_text(PROGRAM + extra, encoding="utf-8")
    return project


def _check(
    capsys: pytest.CaptureFixture[str], project: Path, config: Path
) -> tuple[int, list[dict[str, Any]]]:
    args = ["check", "-C", str(project), "-s", "test", "--format", "json"]
    pack = [
        "--policy-pack",
        str(POLICY_PACKS / "eu_residency"),
        "--policy-pack-config",
        str(config),
    ]
    code = main([*args, *pack])
    out, err = capsys.readouterr()
    assert out, err
    return code, json.loads(out)["diagnostics"]


@pytest.mark.parametrize("bucket", [False, True])
def test_the_check_reports_the_certificate_exempted(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, bucket: bool
) -> None:
    project = _project(tmp_path, bucket)
    urn = f"urn:pulumi:test::cdn::{CERT}::cdn-certificate"
    config_dir = _config_dir(tmp_path / "config", [_exemption(stacks=["test"], resource=urn)])
    config = tmp_path / "eu_residency.test.json"
    config.write_text(pack_config.render(layer("eu_residency", "test", config_dir).config))
    plain = tmp_path / "plain.json"
    plain.write_text(
        pack_config.render(layer("eu_residency", "test", _config_dir(tmp_path, [])).config)
    )

    code, diagnostics = _check(capsys, project, plain)
    assert code == 1
    assert urn in {d["urn"] for d in diagnostics if d["enforcementLevel"] == "mandatory"}

    code, diagnostics = _check(capsys, project, config)
    blocked = {(d["policy"], d["urn"]) for d in diagnostics if d["enforcementLevel"] == "mandatory"}
    assert (REGION, urn) not in blocked
    records = [d for d in diagnostics if d["policy"] == APPLIED]
    assert [(d["urn"], d["enforcementLevel"]) for d in records] == [(urn, "advisory")]
    assert "exemption cloudfront-certificate" in records[0]["message"]
    if bucket:
        assert code == 1
        assert {u.rsplit("::", 1)[-1] for _, u in blocked} == {"exports"}
    else:
        assert code == 0, blocked


def test_a_stack_without_a_config_file_of_its_own_still_gets_its_exemptions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No overlay and no generated file (a stack created since the configs were generated): the
    # check sends the base with the stack's exemptions, not the bare base file.
    from clover import check as check_module

    config_dir = _config_dir(tmp_path, [_exemption(stacks=["dev"])])
    real = pack_config.layer
    monkeypatch.setattr(pack_config, "layer", lambda pack, stack: real(pack, stack, config_dir))
    run = check_module._layered_run("eu_residency", "dev")
    assert run.config is not None
    assert [e["id"] for e in run.config[REGION]["exemptions"]] == ["cloudfront-certificate"]
    assert check_module._pack_config(run) == dict(run.config)


def test_sarif_lists_the_exempted_violation_as_an_accepted_suppression(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    project = _project(tmp_path, bucket=False)
    urn = f"urn:pulumi:test::cdn::{CERT}::cdn-certificate"
    config_dir = _config_dir(tmp_path / "config", [_exemption(stacks=["test"], resource=urn)])
    config = tmp_path / "eu_residency.test.json"
    config.write_text(pack_config.render(layer("eu_residency", "test", config_dir).config))
    args = ["check", "-C", str(project), "-s", "test", "--format", "sarif"]
    pack = [
        "--policy-pack",
        str(POLICY_PACKS / "eu_residency"),
        "--policy-pack-config",
        str(config),
    ]
    assert main([*args, *pack]) == 0
    (run,) = json.loads(capsys.readouterr().out)["runs"]
    (result,) = [r for r in run["results"] if urn in r["message"]["text"]]
    # The violation under its own rule, at the rule's level, dismissed by the reviewed exemption.
    assert result["ruleId"] == f"eu-residency/{REGION}"
    assert result["level"] == "error"
    description, found = result["message"]["text"].split("\n")
    assert description.startswith("AWS resources must be placed in an allowed region")
    assert (
        found
        == f"{urn}: region 'us-east-1' is not allowed; allowed regions: eu-north-1, eu-west-1. "
        f"[{urn}]"
    )
    (suppression,) = result["suppressions"]
    assert suppression["kind"] == "external"
    assert suppression["status"] == "accepted"
    assert suppression["justification"] == (
        "exemption cloudfront-certificate: CloudFront serves only ACM certificates issued in "
        f"us-east-1 (approved by dpo@example.com, expires {FUTURE})"
    )
    assert not [r for r in run["results"] if r["ruleId"].endswith(APPLIED)]


def test_sarif_keeps_a_stale_exemption_as_an_open_advisory(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    project = _project(tmp_path, bucket=False)
    stale = _exemption(id="gone", stacks=["test"], resource="urn:pulumi:test::cdn::x::gone")
    config_dir = _config_dir(tmp_path / "config", [stale])
    config = tmp_path / "eu_residency.test.json"
    config.write_text(pack_config.render(layer("eu_residency", "test", config_dir).config))
    args = ["check", "-C", str(project), "-s", "test", "--format", "sarif"]
    pack = [
        "--policy-pack",
        str(POLICY_PACKS / "eu_residency"),
        "--policy-pack-config",
        str(config),
    ]
    assert main([*args, *pack]) == 1
    (run,) = json.loads(capsys.readouterr().out)["runs"]
    records = [r for r in run["results"] if r["ruleId"].endswith(APPLIED)]
    assert [("gone" in r["message"]["text"], r["level"]) for r in records] == [(True, "warning")]
    assert all("suppressions" not in r for r in run["results"])
