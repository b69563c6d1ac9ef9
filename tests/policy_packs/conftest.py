"""Shared fixtures for the policy-pack tests: each pack runs as a real process over gRPC."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from clover.analyzer import AnalyzedResource, Diagnostic, PolicyPack, ProviderRef

POLICY_PACKS = Path(__file__).resolve().parents[2] / "policy_packs"

# -- eu_residency ------------------------------------------------------------------------------

EU_RESIDENCY_DIR = POLICY_PACKS / "eu_residency"
EU_RESIDENCY_MODULES = (
    "regions",
    "code_files",
    "residency_common",
    "global_services",
    "placement_aws",
    "placement_azure",
    "placement_aws_native",
    "placement_azure_classic",
    "data_movement_aws",
    "data_movement_azure",
    "edge_services",
    "external_resources",
    "placement_gcp",
    "flow_evidence",
    "data_flow",
)
STACK_PREFIX = "urn:pulumi:dev::clover::"


def eu_urn(resource_type: str, name: str) -> str:
    return f"{STACK_PREFIX}{resource_type}::{name}"


def eu_aws_provider(region: Any = "eu-west-1", name: str = "dublin") -> ProviderRef:
    props = {} if region is None else {"region": region}
    return ProviderRef(
        type="pulumi:providers:aws",
        name=name,
        urn=eu_urn("pulumi:providers:aws", name),
        properties=props,
    )


def eu_azure_provider(location: Any = None, name: str = "azure") -> ProviderRef:
    props = {} if location is None else {"location": location}
    return ProviderRef(
        type="pulumi:providers:azure-native",
        name=name,
        urn=eu_urn("pulumi:providers:azure-native", name),
        properties=props,
    )


def eu_resource(
    resource_type: str,
    name: str,
    properties: Mapping[str, Any],
    *,
    provider: ProviderRef | None = None,
    property_dependencies: Mapping[str, tuple[str, ...]] | None = None,
) -> AnalyzedResource:
    return AnalyzedResource(
        urn=eu_urn(resource_type, name),
        type=resource_type,
        name=name,
        properties=properties,
        provider=provider,
        property_dependencies=dict(property_dependencies or {}),
        dependencies=tuple(u for urns in (property_dependencies or {}).values() for u in urns),
    )


def eu_only(diagnostics: list[Diagnostic], policy: str) -> list[Diagnostic]:
    """The diagnostics of one policy; every one must carry a URN and be well formed."""
    found = [d for d in diagnostics if d.policy == policy]
    for d in found:
        assert d.policy_pack == "eu-residency"
        assert d.urn, f"{policy}: diagnostic without URN: {d.message}"
    return found


@pytest.fixture(scope="session")
def eu_residency_pack() -> Iterator[PolicyPack]:
    """The eu_residency pack, started once per session (startup costs a process)."""
    with PolicyPack(EU_RESIDENCY_DIR) as pack:
        yield pack


@pytest.fixture
def eu_residency(eu_residency_pack: PolicyPack) -> PolicyPack:
    """The shared pack reset to its default configuration; a test may ``configure`` it further."""
    eu_residency_pack.configure()
    return eu_residency_pack


@pytest.fixture(scope="session")
def eu_residency_modules() -> dict[str, ModuleType]:
    """The pack's rule modules imported in-process, as the launcher would (pack dir on sys.path).

    Other packs may have modules with the same top-level names, so the pack's modules are imported
    in isolation and removed from ``sys.modules`` again; the returned objects stay usable.
    """
    saved = {name: sys.modules.pop(name) for name in EU_RESIDENCY_MODULES if name in sys.modules}
    sys.path.insert(0, str(EU_RESIDENCY_DIR))
    try:
        return {name: importlib.import_module(name) for name in EU_RESIDENCY_MODULES}
    finally:
        sys.path.remove(str(EU_RESIDENCY_DIR))
        for name in EU_RESIDENCY_MODULES:
            sys.modules.pop(name, None)
        sys.modules.update(saved)


# -- eu_access ---------------------------------------------------------------------------------

EU_ACCESS_DIR = POLICY_PACKS / "eu_access"


@pytest.fixture(scope="session")
def eu_access_pack() -> Iterator[PolicyPack]:
    """The eu_access pack, started once per session."""
    with PolicyPack(EU_ACCESS_DIR) as pack:
        yield pack


@pytest.fixture
def eu_access(eu_access_pack: PolicyPack) -> PolicyPack:
    """The shared eu_access pack reset to its default configuration."""
    eu_access_pack.configure()
    return eu_access_pack
