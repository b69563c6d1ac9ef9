"""aws-native-resource-region-allowed over the analyzer protocol, and its lists against the SDK."""

from __future__ import annotations

import importlib
import inspect
import json
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from clover.analyzer import UNKNOWN, PolicyPack, ProviderRef
from tests.policy_packs.conftest import eu_only, eu_resource, eu_urn

RULE = "aws-native-resource-region-allowed"
BUCKET = "aws-native:s3:Bucket"


def provider(region: Any = "eu-west-1", name: str = "frankfurt") -> ProviderRef:
    props = {} if region is None else {"region": region}
    return ProviderRef(
        type="pulumi:providers:aws-native",
        name=name,
        urn=eu_urn("pulumi:providers:aws-native", name),
        properties=props,
    )


def default_provider(region: Any) -> ProviderRef:
    """The default provider as the check (and the engine) builds it from ``aws-native:region``."""
    return provider(region, name="default")


def check(
    pack: PolicyPack,
    props: dict[str, Any] | None = None,
    *,
    resource_type: str = BUCKET,
    with_provider: ProviderRef | None = None,
) -> list[str]:
    resource = eu_resource(
        resource_type, "r", props or {}, provider=with_provider or default_provider("eu-west-1")
    )
    found = eu_only(pack.analyze(resource), RULE)
    for d in found:
        assert d.enforcement_level == "mandatory", d.message
        assert d.severity == "critical"
        assert resource.urn in d.message
    return [d.message for d in found]


@pytest.mark.parametrize(
    "with_provider",
    [default_provider("eu-west-1"), provider("eu-north-1"), provider("eu-south-2")],
)
def test_compliant(eu_residency: PolicyPack, with_provider: ProviderRef) -> None:
    assert check(eu_residency, with_provider=with_provider) == []


@pytest.mark.parametrize(
    ("with_provider", "fragment"),
    [
        (provider("us-east-1"), "'us-east-1' is not allowed"),
        (default_provider("us-east-1"), "'us-east-1' is not allowed"),
        (provider("eu-west-2"), "'eu-west-2' is not allowed"),  # London: not EEA
        (provider("EU-WEST-1"), "not an exact AWS region code"),
        (provider("eu-west-1 "), "not an exact AWS region code"),
        (provider("eu\u2010west-1"), "not an exact AWS region code"),  # a look-alike hyphen
    ],
)
def test_violating(eu_residency: PolicyPack, with_provider: ProviderRef, fragment: str) -> None:
    (message,) = check(eu_residency, with_provider=with_provider)
    assert fragment in message
    assert "allowed regions: eu-central-1, eu-north-1" in message


def test_bucket_region_argument_is_not_a_placement(eu_residency: PolicyPack) -> None:
    # aws-native:s3:Bucket takes no region (see the SDK test below); a stray input changes nothing.
    (message,) = check(eu_residency, {"region": "eu-west-1"}, with_provider=provider("us-east-1"))
    assert "'us-east-1' is not allowed" in message


@pytest.mark.parametrize("with_provider", [provider(None), provider("")])
def test_missing_region_fails_closed(eu_residency: PolicyPack, with_provider: ProviderRef) -> None:
    (message,) = check(eu_residency, with_provider=with_provider)
    assert "no region is set on its aws-native provider" in message
    assert "aws-native:region" in message


def test_no_provider_at_all_fails_closed(eu_residency: PolicyPack) -> None:
    (diag,) = eu_only(eu_residency.analyze(eu_resource(BUCKET, "r", {})), RULE)
    assert diag.enforcement_level == "mandatory"


def test_unknown_region_stays_mandatory(eu_residency: PolicyPack) -> None:
    (message,) = check(eu_residency, with_provider=provider(UNKNOWN))
    assert "not known until apply" in message


def test_sns_subscription_lives_in_its_topic_region(eu_residency: PolicyPack) -> None:
    sub = "aws-native:sns:Subscription"
    eu = provider("eu-west-1")
    assert (
        check(eu_residency, {"region": "eu-central-1"}, resource_type=sub, with_provider=eu) == []
    )
    (message,) = check(eu_residency, {"region": "us-east-1"}, resource_type=sub, with_provider=eu)
    assert "'us-east-1' is not allowed" in message
    (message,) = check(eu_residency, {"region": UNKNOWN}, resource_type=sub, with_provider=eu)
    assert "not known until apply" in message


def test_zones_are_checked(eu_residency: PolicyPack) -> None:
    subnet = "aws-native:ec2:Subnet"
    ok = {"availabilityZone": "eu-west-1a"}
    assert check(eu_residency, ok, resource_type=subnet) == []
    (message,) = check(eu_residency, {"availabilityZone": "us-east-1a"}, resource_type=subnet)
    assert "'us-east-1'" in message


def test_config_narrows_regions(eu_residency: PolicyPack) -> None:
    eu_residency.configure({RULE: {"allowedRegions": ["eu-north-1"]}})
    assert check(eu_residency, with_provider=provider("eu-north-1")) == []
    (message,) = check(eu_residency, with_provider=provider("eu-west-1"))
    assert "allowed regions: eu-north-1." in message


def test_pack_wide_allow_list_narrows_this_rule(eu_residency: PolicyPack) -> None:
    eu_residency.configure({"aws-resource-region-allowed": {"allowedRegions": ["eu-north-1"]}})
    (message,) = check(eu_residency, with_provider=provider("eu-west-1"))
    assert "allowed regions: eu-north-1." in message


@pytest.mark.parametrize(
    "resource_type",
    ["aws-native:iam:Role", "aws-native:route53:HostedZone", "aws-native:route53:RecordSet"],
)
def test_reviewed_global_types_pass_anywhere(eu_residency: PolicyPack, resource_type: str) -> None:
    us = provider("us-east-1")
    assert check(eu_residency, resource_type=resource_type, with_provider=us) == []


@pytest.mark.parametrize(
    "resource_type",
    ["aws-native:cloudfront:Distribution", "aws-native:globalaccelerator:Accelerator"],
)
def test_edge_types_are_blocked_in_any_region(eu_residency: PolicyPack, resource_type: str) -> None:
    (message,) = check(eu_residency, resource_type=resource_type, with_provider=provider())
    assert "worldwide" in message
    assert "exemptTypes" in message


def test_config_overrides_exempt_types(eu_residency: PolicyPack) -> None:
    distribution = "aws-native:cloudfront:Distribution"
    eu_residency.configure({RULE: {"exemptTypes": [distribution]}})
    assert check(eu_residency, resource_type=distribution) == []
    us = provider("us-east-1")
    assert check(eu_residency, resource_type="aws-native:iam:Role", with_provider=us)


def test_other_packages_are_ignored(eu_residency: PolicyPack) -> None:
    for resource_type in ("pulumi:providers:aws-native", "aws:s3/bucket:Bucket"):
        resource = eu_resource(resource_type, "r", {}, provider=provider("us-east-1"))
        assert eu_only(eu_residency.analyze(resource), RULE) == []


# -- the reviewed lists, kept true against the installed pulumi_aws_native ---------------------


def _resource_modules(package: str) -> dict[str, tuple[str, str]]:
    init = Path(importlib.import_module(package).__file__ or "").read_text(encoding="utf-8")
    match = re.search(r'resource_modules="""(.*?)"""', init, re.S)
    assert match, f"{package} no longer registers its resource modules this way"
    return {
        token: (entry["fqn"], name)
        for entry in json.loads(match.group(1))
        for token, name in entry["classes"].items()
    }


def _init_parameters(fqn: str, name: str) -> set[str]:
    return set(
        inspect.signature(getattr(importlib.import_module(fqn), name)._internal_init).parameters
    )


@pytest.fixture(scope="module")
def native_tokens() -> dict[str, tuple[str, str]]:
    return _resource_modules("pulumi_aws_native")


def test_only_the_reviewed_types_take_a_region(native_tokens: dict[str, tuple[str, str]]) -> None:
    root = Path(importlib.import_module("pulumi_aws_native").__file__ or "").parent
    signature = re.compile(
        r"class (\w+)\(pulumi\.CustomResource\):.*?def _internal_init\(__self__,(.*?)\):", re.S
    )
    by_class = {value: token for token, value in native_tokens.items()}
    with_region = set()
    seen = set()
    for path in root.glob("*/*.py"):
        fqn = f"pulumi_aws_native.{path.parent.name}"
        for name, params in signature.findall(path.read_text(encoding="utf-8")):
            token = by_class.get((fqn, name))
            if token is not None:
                seen.add(token)
                if re.search(r"\bregion\s*:", params):
                    with_region.add(token)
    assert len(seen) > 1000, "the SDK scan read too few classes to be right"
    # SNS: the topic's region, where the subscription lives; Route 53: a routing setting.
    assert with_region == {"aws-native:sns:Subscription", "aws-native:route53:RecordSet"}
    for token in with_region:
        assert "region" in _init_parameters(*native_tokens[token]), token
    assert "region" not in _init_parameters(*native_tokens[BUCKET])


def test_reviewed_tokens_exist(
    eu_residency_modules: dict[str, ModuleType], native_tokens: dict[str, tuple[str, str]]
) -> None:
    rule = eu_residency_modules["placement_aws_native"]
    services = eu_residency_modules["global_services"]
    for token in [*rule.METADATA_ONLY_AWS_NATIVE, *rule.EDGE_AWS_NATIVE, *rule.OWN_REGION_TYPES]:
        assert token in native_tokens, token
    assert not set(rule.METADATA_ONLY_AWS_NATIVE) & set(rule.EDGE_AWS_NATIVE)
    for kind in rule.EDGE_AWS_NATIVE.values():
        assert kind in services.KINDS_BY_NAME, kind


def test_every_cloud_control_twin_of_a_reviewed_global_type_is_reviewed(
    eu_residency_modules: dict[str, ModuleType], native_tokens: dict[str, tuple[str, str]]
) -> None:
    """A pulumi-aws global type whose module and name recur in aws-native is the same AWS
    resource; it must be classified the same way here (metadata only, or edge)."""
    rule = eu_residency_modules["placement_aws_native"]
    services = eu_residency_modules["global_services"]

    def twin(token: str) -> str:
        _, module, name = token.split(":")
        return f"aws-native:{module.split('/')[0]}:{name}"

    metadata = {twin(t) for t in services.METADATA_ONLY_AWS} & set(native_tokens)
    edge = {twin(t) for t in services.GLOBAL_EDGE_TYPES_AWS} & set(native_tokens)
    assert len(metadata) > 50
    assert metadata - set(rule.METADATA_ONLY_AWS_NATIVE) == set()
    assert edge - set(rule.EDGE_AWS_NATIVE) == set()


# -- through the check, with programs ---------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]


def _check(capsys: pytest.CaptureFixture[str], program: Path) -> tuple[int, dict[str, Any]]:
    from clover.__main__ import main

    residency = ROOT / "policy_packs" / "eu_residency"
    code = main(
        [
            "check",
            "--cwd",
            str(program),
            "--stack",
            "test",
            "--policy-pack",
            str(residency),
            "--format",
            "json",
        ]
    )
    return code, json.loads(capsys.readouterr().out)


def test_misplaced_program_is_blocked(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = _check(capsys, ROOT / "tests/data/programs/aws-native-bucket-us-east-1")
    assert code == 1
    blocked = {d["urn"].rsplit("::", 1)[1] for d in report["diagnostics"] if d["policy"] == RULE}
    # The bucket on the default provider (aws-native:region eu-west-1) passes.
    assert blocked == {"customer-exports"}


def test_clean_program_passes(capsys: pytest.CaptureFixture[str]) -> None:
    code, report = _check(capsys, ROOT / "tests/data/clean_programs/aws-native-clean")
    assert code == 0, report["diagnostics"]
    assert {r["name"] for r in report["resources"]} >= {"exports", "reader", "archive"}
