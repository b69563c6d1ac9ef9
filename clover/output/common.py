"""What every output of the check shares: a resource's site and cloud, whether it was placed,
assessed or neutral, and the diagnostics in their order."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping, Sequence
from typing import Any, Final

from clover.analyzer import Diagnostic
from clover.check import CheckResult
from clover.placement import AWS_PACKAGE, AZURE_PACKAGE, Placed, package_of
from clover.standin.engine import UNKNOWN

SARIF_SCHEMA: Final = "https://json.schemastore.org/sarif-2.1.0.json"
SITE_TAG: Final = "residency-site"


def _shown(value: str | None) -> str | None:
    """None where the field does not apply; ``"unknown"`` where the engine could not know it."""
    return "unknown" if value == UNKNOWN else value


def site_of(item: Placed) -> str | None:
    """The site a resource belongs to: its ``residency-site`` tag, else its provider's default."""
    tags = item.properties.get("tags")
    if isinstance(tags, Mapping) and isinstance(tags.get(SITE_TAG), str):
        return str(tags[SITE_TAG])
    if item.provider is not None:
        default_tags = item.provider.inputs.get("defaultTags")
        if isinstance(default_tags, str):
            # Provider inputs carry object-typed settings JSON-encoded, as the engine sends them.
            with contextlib.suppress(json.JSONDecodeError):
                default_tags = json.loads(default_tags)
        if isinstance(default_tags, Mapping):
            inner = default_tags.get("tags")
            if isinstance(inner, Mapping) and isinstance(inner.get(SITE_TAG), str):
                return str(inner[SITE_TAG])
    return None


def sites_by_provider(placed: Sequence[Placed]) -> dict[str, str]:
    """Provider URN to site, where every tagged resource on that provider names the same site.

    Clover builds one provider per (site, cloud), so an untagged resource (a bucket policy, a
    subnet) belongs to the site of the tagged resources beside it; a shared provider gets none.
    """
    seen: dict[str, set[str]] = {}
    for item in placed:
        site = site_of(item)
        provider = item.resource.provider_urn
        if site is not None and provider:
            seen.setdefault(provider, set()).add(site)
    return {urn: next(iter(sites)) for urn, sites in seen.items() if len(sites) == 1}


CLOUDS: Final = {
    AWS_PACKAGE: "aws",
    "aws-native": "aws",
    AZURE_PACKAGE: "azure",
    "azure": "azure",
    "gcp": "gcp",
}
"""The cloud whose regions a package's placements name (the allow-list they are read against)."""


def cloud_of(item: Placed) -> str | None:
    """The cloud a resource is in; a remote component's is its children's provider's."""
    return CLOUDS.get(item.provider_package or package_of(item.resource.type))


PLACED: Final = "placed"
NEUTRAL: Final = "neutral"
NOT_ASSESSED: Final = "not assessed"
RESIDENCY_PACK: Final = "eu_residency"
ASSESSMENT_POLICY: Final = "resource-residency-assessed"
NOT_ASSESSED_TEXT: Final = "is not assessed"
"""What a residency rule's message says when the pack cannot place a resource at all (the
assessment rule, and the Kubernetes rule for a resource whose cluster is not in the stack)."""
NEUTRAL_PACKAGES_DEFAULT: Final = ("random", "tls", "time", "archive", "pulumi")
NEUTRAL_TYPES_DEFAULT: Final = ("command:local:*",)
"""The residency pack's default ``placementNeutralPackages`` / ``placementNeutralTypes`` (a test
keeps them equal to the pack's schema); a run's pack config replaces them."""
CLUSTER_TYPES: Final = frozenset(
    {
        "aws:eks/cluster:Cluster",
        "azure-native:containerservice:ManagedCluster",
        "gcp:container/cluster:Cluster",
        # pulumi-eks's component, placed in its cluster's cloud (remote_components.json).
        "eks:index:Cluster",
    }
)


def _assessment_config(result: CheckResult) -> tuple[bool, tuple[str, ...], tuple[str, ...]]:
    """(whether the residency pack judged every resource, neutral packages, neutral types)."""
    packages: tuple[str, ...] = NEUTRAL_PACKAGES_DEFAULT
    types: tuple[str, ...] = NEUTRAL_TYPES_DEFAULT
    runs = [run for run in result.packs if run.directory.name == RESIDENCY_PACK]
    if not runs:
        return False, packages, types
    config: Any = {}
    if runs[0].config_file is not None:
        with contextlib.suppress(OSError, ValueError):
            config = json.loads(runs[0].config_file.read_text(encoding="utf-8"))
    entry = config.get(ASSESSMENT_POLICY) if isinstance(config, Mapping) else None
    if entry == "disabled" or (
        isinstance(entry, Mapping) and entry.get("enforcementLevel") == "disabled"
    ):
        return False, packages, types
    if isinstance(entry, Mapping):
        given = entry.get("placementNeutralPackages")
        packages = tuple(str(v) for v in given) if isinstance(given, list) else packages
        given = entry.get("placementNeutralTypes")
        types = tuple(str(v) for v in given) if isinstance(given, list) else types
    return True, packages, types


class Assessor:
    """Each resource's residency verdict as the check shows it: ``placed`` (its placement is
    known or a residency rule placed it), ``neutral`` (a provider, a component, or a reviewed
    placement-neutral package or type) or ``not assessed`` (a rule said so, or no residency pack
    ran to judge it: fail closed)."""

    def __init__(self, result: CheckResult) -> None:
        self.not_assessed = {
            d.urn
            for d in result.diagnostics
            if d.policy == ASSESSMENT_POLICY or NOT_ASSESSED_TEXT in d.message
        }
        self.judged, self.packages, self.types = _assessment_config(result)
        self.by_urn = {p.resource.urn: p for p in result.placed}

    def cluster_of(self, item: Placed) -> Placed | None:
        """The in-stack cluster a kubernetes resource's provider kubeconfig is built from."""
        if item.provider is None or not item.resource.type.startswith("kubernetes:"):
            return None
        for urn in item.provider.property_dependencies.get("kubeconfig", ()):
            cluster = self.by_urn.get(urn)
            if cluster is not None and cluster.resource.type in CLUSTER_TYPES:
                return cluster
        return None

    def placement(self, item: Placed) -> Placed:
        """Whose placement is this resource's: its cluster's for kubernetes, else its own."""
        return self.cluster_of(item) or item

    def _neutral(self, type_: str) -> bool:
        if package_of(type_) in self.packages and not type_.startswith("pulumi:providers:"):
            return True
        return any(type_.startswith(t[:-1]) if t.endswith("*") else type_ == t for t in self.types)

    def of(self, item: Placed) -> str:
        resource = item.resource
        if resource.urn in self.not_assessed:
            return NOT_ASSESSED
        if resource.is_provider or not resource.placed_as_resource:
            return NEUTRAL
        if self.placement(item).place is not None:
            return PLACED
        if self._neutral(resource.type):
            return NEUTRAL
        return PLACED if self.judged else NOT_ASSESSED


def _loosened(result: CheckResult) -> list[dict[str, Any]]:
    """How the stack's pack configs are looser than the packs' strict bases."""
    return [loosening.to_json() for run in result.packs for loosening in run.loosened]


def sorted_diagnostics(found: Sequence[Diagnostic]) -> list[Diagnostic]:
    """Violations in one order whatever order the packs answered in: by resource (URN), pack,
    level (mandatory first), rule and message."""
    levels = {"mandatory": 0, "advisory": 1}
    return sorted(
        found,
        key=lambda d: (
            d.urn,
            d.policy_pack,
            levels.get(d.enforcement_level, 9),
            d.policy,
            d.message,
        ),
    )


def placement_row(item: Placed, assessor: Assessor) -> tuple[str, str, str, str]:
    """(cloud, place, country, verdict) as the text table shows them: a kubernetes resource is
    where its cluster is; a resource no pack could place is ``not assessed``, never ``-``."""
    verdict = assessor.of(item)
    placement = assessor.placement(item)
    where = placement.place
    shown = "unknown" if where == UNKNOWN else (where or "-")
    if verdict != PLACED:
        shown = "placement-neutral" if verdict == NEUTRAL else NOT_ASSESSED
    cloud = cloud_of(placement) or package_of(item.resource.type)
    return cloud, shown, placement.country or "-", verdict
