"""What the eu-data-protection pack announces, and that what it matches on exists.

A policy is only as good as the type tokens it matches: a token that the installed provider SDK does
not register never matches anything, and the rule silently never fires.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, Final

import pytest
import yaml
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
)

from clover.analyzer import PolicyPack

ROOT: Final = Path(__file__).resolve().parents[2]
PACK_DIR: Final = ROOT / "policy_packs" / "eu_data_protection"
RULE_MODULES: Final[tuple[str, ...]] = (
    "props",
    "bucket_links",
    "encryption",
    "exposure",
    "governance",
)

NAME: Final = re.compile(r"^(aws|azure-native)(-[a-z0-9]+){3,}$")
TOKEN: Final = re.compile(r'"((?:aws|azure-native):[A-Za-z0-9/]+:[A-Za-z0-9]+)"')
SDK_PACKAGES: Final = {"aws": "pulumi_aws", "azure-native": "pulumi_azure_native"}
# The record of reviewed exemptions, advisory by design; tests/test_exemptions.py covers it.
EXEMPTION_RECORD = "policy-exemption-applied"


@pytest.fixture(scope="module")
def pack() -> Iterator[PolicyPack]:
    with PolicyPack(PACK_DIR) as started:
        yield started


def test_pack_identity(pack: PolicyPack) -> None:
    assert pack.name == "eu-data-protection"
    assert pack.description
    manifest = yaml.safe_load((PACK_DIR / "PulumiPolicy.yaml").read_text(encoding="utf-8"))
    assert manifest["runtime"]["name"] == "python"
    assert manifest["runtime"]["options"]["virtualenv"]


def test_requirements_are_pinned_to_a_minor() -> None:
    lines = (PACK_DIR / "requirements.txt").read_text(encoding="utf-8").splitlines()
    pins = {line.split(">=")[0]: line for line in lines if line and not line.startswith("#")}
    assert set(pins) == {"pulumi-policy", "pulumi"}
    for line in pins.values():
        low, high = re.findall(r"[<>]=?(\d+)\.(\d+)", line)
        assert (low[0], int(low[1]) + 1) == (high[0], int(high[1])), f"not one minor: {line}"


def test_policy_metadata(pack: PolicyPack) -> None:
    assert len(pack.policies) >= 30
    for name, info in pack.policies.items():
        if name == EXEMPTION_RECORD:
            continue
        assert NAME.match(name), f"{name}: not <cloud>-<service>-<resource>-<rule> kebab case"
        assert info.severity in {"low", "medium", "high", "critical"}, name
        assert info.enforcement_level in {"mandatory", "advisory"}, name
        assert len(info.remediation) > 20, f"{name}: remediation steps missing"
        # The description says why the default enforcement level was chosen.
        assert f"{info.enforcement_level.capitalize()}" in info.description, name
        assert info.description.endswith("."), name
        schema = info.config_schema or {"properties": {}}
        for key, spec in schema["properties"].items():
            assert "default" in spec, f"{name}.{key}: every config key has a default"
            assert spec.get("description"), f"{name}.{key}: every config key is described"


def test_stack_rules_are_stack_policies(pack: PolicyPack) -> None:
    stack = {name for name, info in pack.policies.items() if info.policy_type == "stack"}
    assert stack == {
        "aws-s3-bucket-require-kms-encryption",
        "aws-s3-bucket-require-tls-only-policy",
        "aws-s3-bucket-require-public-access-block",
        "aws-s3-bucket-require-versioning",
    }


def test_encryption_and_exposure_default_to_mandatory(pack: PolicyPack) -> None:
    advisory = {
        n
        for n, i in pack.policies.items()
        if i.enforcement_level == "advisory" and n != EXEMPTION_RECORD
    }
    # Each of these names a plausible false positive in its description.
    assert advisory == {
        "azure-native-keyvault-vault-require-rbac-authorization",
        "azure-native-storage-account-disallow-shared-key-access",
        "aws-data-store-require-tags",
        "azure-native-data-store-require-tags",
        "aws-data-store-require-protect",
        "azure-native-data-store-require-protect",
    }


def _pack_tokens() -> set[str]:
    tokens: set[str] = set()
    for source in PACK_DIR.glob("*.py"):
        tokens.update(TOKEN.findall(source.read_text(encoding="utf-8")))
    return tokens


def _sdk_registers(token: str) -> bool:
    """True if the installed provider SDK defines a resource class with this type token."""
    provider, module, _ = token.split(":")
    spec = importlib.util.find_spec(SDK_PACKAGES[provider])
    assert spec is not None
    assert spec.submodule_search_locations is not None
    root = Path(next(iter(spec.submodule_search_locations)))
    if f'"{token}"' in (root / "__init__.py").read_text(encoding="utf-8"):
        return True
    # Deprecated resources (pulumi-aws v7's *V2 S3 types) are not in the registry but still exist.
    package_dir = root / module.split("/")[0]
    return any(f"'{token}'" in f.read_text(encoding="utf-8") for f in package_dir.glob("*.py"))


def test_pack_matches_many_tokens() -> None:
    assert len(_pack_tokens()) >= 35


@pytest.mark.parametrize("token", sorted(_pack_tokens()))
def test_type_token_exists_in_installed_sdk(token: str) -> None:
    assert _sdk_registers(token), f"{token} is not a resource of the installed provider SDK"


@pytest.fixture(scope="module")
def rule_modules() -> Iterator[dict[str, ModuleType]]:
    """The rule modules imported in-process as the launcher imports them (pack dir on sys.path).

    Other packs may use the same top-level module names, so they are imported in isolation.
    """
    saved = {name: sys.modules.pop(name) for name in RULE_MODULES if name in sys.modules}
    sys.path.insert(0, str(PACK_DIR))
    try:
        yield {name: importlib.import_module(name) for name in RULE_MODULES}
    finally:
        sys.path.remove(str(PACK_DIR))
        for name in RULE_MODULES:
            sys.modules.pop(name, None)
        sys.modules.update(saved)


def test_validators_run_in_process(rule_modules: dict[str, ModuleType]) -> None:
    """The validators are plain functions a benchmark can call without a server."""
    found: list[str] = []

    def report(message: str, urn: str | None = None) -> None:
        found.append(message)

    options = PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [])
    args = ResourceValidationArgs(
        "azure-native:storage:StorageAccount",
        {"minimumTlsVersion": "TLS1_0"},
        "urn:pulumi:test::clover::azure-native:storage:StorageAccount::sa",
        "sa",
        options,
        PolicyProviderResource("pulumi:providers:azure-native", {}, "urn:p", "p"),
    )
    rule_modules["encryption"].validate_storage_minimum_tls(args, report)
    assert len(found) == 1
    assert "'TLS1_0'" in found[0]
    all_policies: list[Any] = [
        p for m in ("encryption", "exposure", "governance") for p in rule_modules[m].POLICIES
    ]
    assert len({p.name for p in all_policies}) == len(all_policies)


def test_nothing_imports_the_pack_entry_point() -> None:
    for source in PACK_DIR.glob("*.py"):
        text = source.read_text(encoding="utf-8")
        assert "import __main__" not in text
        assert "from __main__" not in text
