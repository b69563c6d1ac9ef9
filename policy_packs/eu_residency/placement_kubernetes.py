"""Placement of Kubernetes resources: a workload lives where the cluster its provider targets lives.

A ``kubernetes:`` resource has no region of its own. Its provider (``pulumi:providers:kubernetes``)
talks to whatever cluster its ``kubeconfig`` names; without one it uses the ambient kubeconfig of
the machine running Pulumi (``KUBECONFIG`` or ``~/.kube/config``,
https://www.pulumi.com/registry/packages/kubernetes/installation-configuration/), which no policy
can see. So this stack rule resolves each resource's provider to a cluster of this stack:

- the provider resource is in the stack list (the engine sends providers to ``AnalyzeStack`` like
  any resource), and its ``kubeconfig`` depends on a cluster: the engine's property dependencies,
  which carry the cluster's URN even when the kubeconfig itself is not known until apply;
- else the kubeconfig's text names exactly one cluster of the stack (its ``name`` input, as
  ``aws eks get-token --cluster-name`` and the kubeconfig's ``clusters`` entries do).

The cluster found (EKS, AKS or GKE) is placed as its own placement rule places it, and the
resource passes only when that placement is allowed. A resource whose provider targets no cluster
of the stack (the default provider, a kubeconfig string from elsewhere) is not assessed.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, Final, cast

import regions
import residency_common
from placement_aws import effective_region, region_problem
from placement_azure import (
    GLOBAL_TYPES_DEFAULT,
    RESOURCE_GROUP,
    location_problem,
    resolve_location,
)
from pulumi_policy import (
    PolicyConfigSchema,
    ReportViolation,
    Severity,
    StackValidationArgs,
)
from residency_common import (
    ALLOWED_LOCATIONS_SCHEMA,
    ALLOWED_REGIONS_SCHEMA,
    StackResource,
    allowed_aws_regions,
    allowed_azure_locations,
    allowed_gcp_locations,
    describe,
    mapping,
    plain,
    report_all_at,
    stack_resources,
)
from rulekit import is_unknown, stack_rule

EKS: Final = "aws:eks/cluster:Cluster"
AKS: Final = "azure-native:containerservice:ManagedCluster"
GKE: Final = "gcp:container/cluster:Cluster"
CLUSTER_TYPES: Final = frozenset({EKS, AKS, GKE})
CLUSTER_COMPONENTS: Final = {"eks:index:Cluster": EKS}
"""Multi-language components that build a cluster, by the cluster type they build: pulumi-eks's
``Cluster`` makes an ``aws:eks/cluster:Cluster`` with the aws provider it passes down, and its
``kubeconfig`` output is the component's. Under ``pulumi preview`` the component's cluster child
is in the stack and is the one judged; the offline check cannot build the children, and judges
the component as that cluster, placed by the provider it passes down (remote_components.json)."""
CLUSTER_NAME_INPUT: Final = {EKS: "name", AKS: "resourceName", GKE: "name"}
"""The input that names the cluster, as a kubeconfig built from it names it."""

KUBERNETES_PREFIX: Final = "kubernetes:"
LOOKED_UP: Final = (
    CLUSTER_TYPES | CLUSTER_COMPONENTS.keys() | {"pulumi:providers:kubernetes", RESOURCE_GROUP}
)
KUBECONFIG: Final = "kubeconfig"


@dataclass(frozen=True)
class Target:
    """The clusters a provider targets, or why none of the stack could be found."""

    clusters: tuple[StackResource, ...]
    why_none: str


def _name_pattern(name: str) -> re.Pattern[str]:
    # A whole name: not a part of a longer name such as ``prod-eu`` inside ``prod-eu-2``.
    return re.compile(rf"(?<![A-Za-z0-9_.-]){re.escape(name)}(?![A-Za-z0-9_-])")


class Clusters:
    """The stack's clusters, indexed once (URN and name) for every provider to look up."""

    def __init__(self, stack: Sequence[StackResource]) -> None:
        self.by_urn = {r.urn: r for r in stack if r.type in CLUSTER_TYPES}
        self.components = {r.urn: r for r in stack if r.type in CLUSTER_COMPONENTS}
        self.built: dict[str, list[StackResource]] = {}
        """A cluster component's URN to the clusters it built (its children in the stack)."""
        for cluster in self.by_urn.values():
            if cluster.parent in self.components:
                self.built.setdefault(cluster.parent, []).append(cluster)
        self.named: list[tuple[re.Pattern[str], StackResource]] = []
        for cluster in self.by_urn.values():
            name = cluster.props.get(CLUSTER_NAME_INPUT[cluster.type])
            if isinstance(name, str) and name and not is_unknown(name):
                self.named.append((_name_pattern(name), cluster))

    def _built_by(self, urn: str) -> list[StackResource]:
        """The clusters a kubeconfig that depends on ``urn`` targets: that cluster, or the
        cluster a cluster component built (the component itself when its children are not in
        the stack)."""
        if urn in self.by_urn:
            return [self.by_urn[urn]]
        if urn in self.components:
            return self.built.get(urn) or [self.components[urn]]
        return []

    def target(self, provider: StackResource | None, provider_props: Mapping[str, Any]) -> Target:
        deps = provider.property_dependencies.get(KUBECONFIG, ()) if provider is not None else ()
        found = tuple(cluster for urn in deps for cluster in self._built_by(urn))
        if found:
            return Target(found, "")
        kubeconfig = (provider.props if provider is not None else provider_props).get(KUBECONFIG)
        if kubeconfig is None or kubeconfig == "":
            return Target(
                (), "its provider has no kubeconfig, so it uses the ambient one of the machine"
            )
        if is_unknown(kubeconfig):
            return Target(
                (), "its provider's kubeconfig is not known until apply and depends on no cluster"
            )
        text = kubeconfig if isinstance(kubeconfig, str) else repr(kubeconfig)
        named = [c for pattern, c in self.named if pattern.search(text)]
        if len(named) == 1:
            return Target((named[0],), "")
        if named:
            return Target((), "its provider's kubeconfig names several clusters of this stack")
        return Target(
            (), "its provider's kubeconfig names no EKS, AKS or GKE cluster of this stack"
        )


def gke_location(props: Mapping[str, Any], provider_props: Mapping[str, Any]) -> Any:
    """A GKE cluster's ``location``, else the provider's ``zone`` (the Google provider's
    ``GetLocation`` falls back to the zone only, never to the provider's region); None if neither.
    """
    for value in (props.get("location"), provider_props.get("zone")):
        if value is not None and value != "":
            return value
    return None


def gke_problem(location: Any, allowed: Collection[str]) -> str | None:
    if location is None:
        return "no location is set on the cluster or zone on its provider"
    if is_unknown(location):
        return "the cluster's location is not known until apply"
    name = regions.normalise_gcp_location(location) if isinstance(location, str) else None
    if name is None:
        return f"the cluster's location {describe(location)} is not a GCP location name"
    region = regions.gcp_zone_region(name) or name
    if not regions.is_gcp_region(region):
        return f"the cluster's location {location!r} is not a GCP region or zone"
    if region not in allowed:
        return f"the cluster's location {location!r} is in region {region!r}, which is not allowed"
    return None


def cluster_problem(
    cluster: StackResource, stack: Sequence[StackResource], config: Mapping[str, Any]
) -> tuple[str, str | None]:
    """(the cluster's placement as read, why it is not allowed or None)."""
    if EKS in (cluster.type, CLUSTER_COMPONENTS.get(cluster.type)):
        region = effective_region(cluster.props, cluster.provider_props)
        allowed = allowed_aws_regions(config)
        return f"region {describe(region)}", region_problem(region, allowed)
    if cluster.type == AKS:
        location, why = resolve_location(cluster, stack)
        problem = location_problem(
            location,
            allowed_azure_locations(config),
            resource_type=cluster.type,
            global_types=GLOBAL_TYPES_DEFAULT,
        )
        if problem is not None and why:
            problem = f"{problem} ({why})"
        return f"location {describe(location)}", problem
    location = gke_location(cluster.props, cluster.provider_props)
    return f"location {describe(location)}", gke_problem(location, allowed_gcp_locations(config))


def check_kubernetes(
    args_resources: Sequence[Any], stack: Sequence[StackResource], config: Mapping[str, Any]
) -> list[tuple[str, str]]:
    """(urn, message) for every kubernetes resource whose cluster is not placed where allowed."""
    by_urn = {r.urn: r for r in stack}
    clusters = Clusters(stack)
    judged: dict[str, str | None] = {}  # cluster URN -> message part, computed once per cluster
    targets: dict[str, Target] = {}  # provider URN -> target, computed once per provider
    findings: list[tuple[str, str]] = []
    for resource in args_resources:
        provider = resource.provider
        if not resource.resource_type.startswith(KUBERNETES_PREFIX) or provider is None:
            continue  # a component (a v3 Chart, ConfigFile): its children are judged
        target = targets.get(provider.urn)
        if target is None:
            target = clusters.target(by_urn.get(provider.urn), mapping(plain(provider.props)))
            targets[provider.urn] = target
        urn = resource.urn
        if not target.clusters:
            findings.append(
                (
                    urn,
                    f"{urn}: residency of {resource.resource_type} is not assessed: "
                    f"{target.why_none} (provider {provider.urn}); give it an explicit kubernetes "
                    "provider whose kubeconfig is built from an EKS, AKS or GKE cluster of this "
                    "stack.",
                )
            )
            continue
        for cluster in target.clusters:
            if cluster.urn not in judged:
                placement, problem = cluster_problem(cluster, stack, config)
                judged[cluster.urn] = (
                    None
                    if problem is None
                    else f"runs on cluster {cluster.urn} at {placement}: {problem}"
                )
            reason = judged[cluster.urn]
            if reason is not None:
                findings.append((urn, f"{urn}: {reason}; move the cluster to an allowed place."))
    return findings


def _validate(args: StackValidationArgs, report: ReportViolation) -> None:
    resources = args.resources
    if not any(r.resource_type.startswith(KUBERNETES_PREFIX) for r in resources):
        return
    # Only clusters, kubernetes providers and resource groups (AKS inherits their location) are
    # looked up: copying every resource's properties would cost a large stack a full pass.
    wanted = [r for r in resources if r.resource_type in LOOKED_UP]
    stack = stack_resources(cast(StackValidationArgs, SimpleNamespace(resources=wanted)))
    report_all_at(report, check_kubernetes(resources, stack, args.get_config()))


CLUSTER_PLACEMENT_ALLOWED = "kubernetes-resource-cluster-placement-allowed"

# The cluster rule places this package: the assessment rule leaves its resources to it.
residency_common.register_placed_package("kubernetes")

POLICIES: Final = [
    stack_rule(
        CLUSTER_PLACEMENT_ALLOWED,
        description=(
            "Kubernetes resources must run on an EKS, AKS or GKE cluster of this stack whose "
            "placement is allowed."
        ),
        validate=_validate,
        severity=Severity.CRITICAL,
        remediation_steps=(
            "Create the resource with an explicit `kubernetes.Provider` whose `kubeconfig` is "
            "built from the cluster resource of this stack (its outputs), and place that cluster "
            "in an allowed region or location. The default provider's ambient kubeconfig cannot "
            "be checked."
        ),
        config_schema=PolicyConfigSchema(
            properties={
                "allowedRegions": ALLOWED_REGIONS_SCHEMA,
                "allowedLocations": ALLOWED_LOCATIONS_SCHEMA,
            }
        ),
    ),
]
