"""Every resource gets a verdict (resource-residency-assessed) and Kubernetes resources are placed
by their cluster (kubernetes-resource-cluster-placement-allowed), over the analyzer protocol."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from clover.analyzer import UNKNOWN, AnalyzedResource, Diagnostic, PolicyPack, ProviderRef
from tests.policy_packs.conftest import (
    eu_aws_provider,
    eu_azure_provider,
    eu_only,
    eu_resource,
    eu_urn,
)

ASSESSED = "resource-residency-assessed"
CLUSTER = "kubernetes-resource-cluster-placement-allowed"
BUCKET = "acme:storage/bucket:Bucket"
NAMESPACE = "kubernetes:core/v1:Namespace"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
EKS = "aws:eks/cluster:Cluster"
AKS = "azure-native:containerservice:ManagedCluster"
GKE = "gcp:container/cluster:Cluster"


def provider(package: str, name: str = "default", **props: Any) -> ProviderRef:
    return ProviderRef(
        type=f"pulumi:providers:{package}",
        name=name,
        urn=eu_urn(f"pulumi:providers:{package}", name),
        properties=props,
    )


def assessed(pack: PolicyPack, resource: AnalyzedResource) -> list[str]:
    found = eu_only(pack.analyze(resource), ASSESSED)
    for d in found:
        assert d.enforcement_level == "mandatory", d.message
        assert d.severity == "critical", d.message
        assert resource.urn in d.message
    return [d.message for d in found]


def test_unknown_package_is_not_assessed(eu_residency: PolicyPack) -> None:
    bucket = eu_resource(BUCKET, "b", {"name": "data"}, provider=provider("acme"))
    (message,) = assessed(eu_residency, bucket)
    assert f"residency of {BUCKET} is not assessed" in message
    assert "`placementNeutralPackages`" in message


def test_unknown_package_is_blocked_whatever_its_provider_says(eu_residency: PolicyPack) -> None:
    # A region the packs do not understand proves nothing: still not assessed.
    bucket = eu_resource(BUCKET, "b", {}, provider=provider("acme", region="eu-west-1"))
    assert len(assessed(eu_residency, bucket)) == 1


def test_configured_neutral_package_passes(eu_residency: PolicyPack) -> None:
    defaults = list(eu_residency.effective_config[ASSESSED]["placementNeutralPackages"])
    eu_residency.configure({ASSESSED: {"placementNeutralPackages": [*defaults, "acme"]}})
    assert assessed(eu_residency, eu_resource(BUCKET, "b", {}, provider=provider("acme"))) == []


def test_configured_neutral_type_passes_even_with_a_region(eu_residency: PolicyPack) -> None:
    eu_residency.configure({ASSESSED: {"placementNeutralTypes": ["acme:storage/*"]}})
    bucket = eu_resource(BUCKET, "b", {"region": "us-east-1"}, provider=provider("acme"))
    assert assessed(eu_residency, bucket) == []
    other = eu_resource("acme:queue/queue:Queue", "q", {}, provider=provider("acme"))
    assert len(assessed(eu_residency, other)) == 1


@pytest.mark.parametrize(
    ("resource_type", "props", "path"),
    [
        (
            "random:index/randomPet:RandomPet",
            {"keepers": {"region": "us-east-1"}},
            "keepers.region",
        ),
        ("tls:index/privateKey:PrivateKey", {"location": "eastus"}, "location"),
        ("time:index/sleep:Sleep", {"triggers": {"AWS_REGION": UNKNOWN}}, "triggers.AWS_REGION"),
        (
            "random:index/randomShuffle:RandomShuffle",
            {"inputs": [{"availabilityZone": "us-east-1a"}]},
            "inputs[0].availabilityZone",
        ),
    ],
)
def test_neutral_package_with_a_placement_field_is_blocked(
    eu_residency: PolicyPack, resource_type: str, props: dict[str, Any], path: str
) -> None:
    package = resource_type.split(":", 1)[0]
    resource = eu_resource(resource_type, "r", props, provider=provider(package))
    (message,) = assessed(eu_residency, resource)
    assert f"carries a placement field {path} the packs do not understand" in message


@pytest.mark.parametrize(
    ("resource_type", "props"),
    [
        ("random:index/randomPet:RandomPet", {"length": 2, "keepers": {"build": "1"}}),
        ("random:index/randomPassword:RandomPassword", {"length": 24, "special": True}),
        ("tls:index/privateKey:PrivateKey", {"algorithm": "ECDSA", "ecdsaCurve": "P256"}),
        ("tls:index/selfSignedCert:SelfSignedCert", {"subject": {"locality": "Dublin"}}),
        ("time:index/rotating:Rotating", {"rotationDays": 30, "timeZone": "UTC"}),
        ("command:local:Command", {"create": "make", "environment": {"AWS_REGION": "us-east-1"}}),
        ("pulumi:pulumi:StackReference", {"name": "org/network/prod"}),
    ],
)
def test_reviewed_neutral_resources_pass(
    eu_residency: PolicyPack, resource_type: str, props: dict[str, Any]
) -> None:
    package = resource_type.split(":", 1)[0]
    resource = eu_resource(resource_type, "r", props, provider=provider(package))
    assert assessed(eu_residency, resource) == []


def test_remote_command_is_not_assessed(eu_residency: PolicyPack) -> None:
    remote = eu_resource(
        "command:remote:Command", "c", {"create": "ls"}, provider=provider("command")
    )
    assert len(assessed(eu_residency, remote)) == 1


@pytest.mark.parametrize(
    "resource",
    [
        # Components reach the analyzer without a provider; their children are judged.
        eu_resource("clover:site:Site", "site", {"region": "us-east-1"}),
        eu_resource("pulumi:pulumi:Stack", "clover-dev", {}),
        # Providers are placed through the resources they manage.
        eu_resource("pulumi:providers:acme", "p", {"region": "us-east-1"}),
        eu_resource("pulumi:providers:aws", "dublin", {"region": "eu-west-1"}),
    ],
    ids=lambda r: r.type,
)
def test_components_and_providers_are_neutral(
    eu_residency: PolicyPack, resource: AnalyzedResource
) -> None:
    assert assessed(eu_residency, resource) == []


@pytest.mark.parametrize(
    ("resource_type", "provider_ref"),
    [
        ("aws:s3/bucket:Bucket", eu_aws_provider("eu-west-1")),
        ("azure-native:storage:StorageAccount", eu_azure_provider("northeurope")),
        (NAMESPACE, provider("kubernetes")),
    ],
)
def test_placed_packages_are_left_to_their_rules(
    eu_residency: PolicyPack, resource_type: str, provider_ref: ProviderRef
) -> None:
    resource = eu_resource(resource_type, "r", {}, provider=provider_ref)
    assert assessed(eu_residency, resource) == []


def test_config_rejects_a_package_that_is_not_a_string(eu_residency: PolicyPack) -> None:
    with pytest.raises(ValueError, match="placementNeutralPackages"):
        eu_residency.configure({ASSESSED: {"placementNeutralPackages": [3]}})


# -- kubernetes ----------------------------------------------------------------------------------


def cluster_stack(
    cluster: AnalyzedResource, kubeconfig: Any, *, depends: bool = True
) -> list[AnalyzedResource]:
    """A cluster, a kubernetes provider built from it, and two resources on that provider."""
    k8s = eu_resource(
        "pulumi:providers:kubernetes",
        "cluster",
        {"kubeconfig": kubeconfig},
        property_dependencies={"kubeconfig": (cluster.urn,)} if depends else None,
    )
    ref = ProviderRef(type=k8s.type, name=k8s.name, urn=k8s.urn, properties=k8s.properties)
    return [
        cluster,
        k8s,
        eu_resource(NAMESPACE, "apps", {"metadata": {"name": "apps"}}, provider=ref),
        eu_resource(CONFIG_MAP, "settings", {"data": {"a": "b"}}, provider=ref),
    ]


def on_cluster(pack: PolicyPack, stack: list[AnalyzedResource]) -> list[Diagnostic]:
    diagnostics = pack.preview(stack)
    # The kubernetes resources are placed by the cluster rule, never "not assessed" as a package.
    assert eu_only(diagnostics, ASSESSED) == []
    found = eu_only(diagnostics, CLUSTER)
    for d in found:
        assert d.enforcement_level == "mandatory", d.message
        assert d.severity == "critical", d.message
    return found


def eks(region: str, name: str = "prod-eks") -> AnalyzedResource:
    return eu_resource(EKS, "eks", {"name": name}, provider=eu_aws_provider(region))


def test_kubernetes_on_an_eu_eks_cluster_passes(eu_residency: PolicyPack) -> None:
    assert on_cluster(eu_residency, cluster_stack(eks("eu-west-1"), UNKNOWN)) == []


def test_kubernetes_on_a_us_eks_cluster_is_blocked(eu_residency: PolicyPack) -> None:
    stack = cluster_stack(eks("us-east-1"), UNKNOWN)
    found = on_cluster(eu_residency, stack)
    assert sorted(d.urn for d in found) == sorted(r.urn for r in stack[2:])
    for d in found:
        assert f"runs on cluster {stack[0].urn} at region 'us-east-1'" in d.message
        assert "'us-east-1' is not allowed" in d.message
        assert d.urn in d.message


EKS_COMPONENT = "eks:index:Cluster"


def eks_component(region: str) -> AnalyzedResource:
    """pulumi-eks's ``Cluster`` as the offline check sends it: with the aws provider it passes
    down to the cluster it builds."""
    return eu_resource(EKS_COMPONENT, "eks", {"version": "1.31"}, provider=eu_aws_provider(region))


@pytest.mark.parametrize(("region", "blocked"), [("eu-west-1", False), ("us-east-1", True)])
def test_kubernetes_on_a_pulumi_eks_cluster_is_where_that_cluster_is(
    eu_residency: PolicyPack, region: str, blocked: bool
) -> None:
    stack = cluster_stack(eks_component(region), UNKNOWN)
    found = on_cluster(eu_residency, stack)
    assert bool(found) is blocked, [d.message for d in found]
    if blocked:
        assert sorted(d.urn for d in found) == sorted(r.urn for r in stack[2:])
        assert all("'us-east-1' is not allowed" in d.message for d in found)


def test_the_cluster_a_pulumi_eks_component_built_is_the_one_judged(
    eu_residency: PolicyPack,
) -> None:
    # Under `pulumi preview` the component's children are in the stack: its EKS cluster decides.
    component = eks_component("eu-west-1")
    child = dataclasses.replace(eks("us-east-1"), parent=component.urn)
    stack = [child, *cluster_stack(component, UNKNOWN)]
    found = on_cluster(eu_residency, stack)
    assert sorted(d.urn for d in found) == sorted(r.urn for r in stack[3:])
    assert all(f"runs on cluster {child.urn} at region 'us-east-1'" in d.message for d in found)


def test_kubeconfig_text_naming_the_cluster_resolves_it(eu_residency: PolicyPack) -> None:
    kubeconfig = "clusters:\n- name: prod-eks\nusers:\n- exec: {args: [eks, get-token, prod-eks]}"
    us = cluster_stack(eks("us-east-1"), kubeconfig, depends=False)
    assert len(on_cluster(eu_residency, us)) == 2
    eu = cluster_stack(eks("eu-north-1"), kubeconfig, depends=False)
    assert on_cluster(eu_residency, eu) == []


def test_a_longer_name_is_not_the_cluster(eu_residency: PolicyPack) -> None:
    kubeconfig = "clusters:\n- name: prod-eks-2\n"
    found = on_cluster(eu_residency, cluster_stack(eks("eu-west-1"), kubeconfig, depends=False))
    assert len(found) == 2
    assert all("names no EKS, AKS or GKE cluster of this stack" in d.message for d in found)


def test_kubernetes_on_the_ambient_default_provider_is_not_assessed(
    eu_residency: PolicyPack,
) -> None:
    namespace = eu_resource(NAMESPACE, "apps", {}, provider=provider("kubernetes"))
    (diag,) = on_cluster(eu_residency, [eks("eu-west-1"), namespace])
    assert diag.urn == namespace.urn
    assert f"residency of {NAMESPACE} is not assessed" in diag.message
    assert "ambient" in diag.message


def test_unknown_kubeconfig_without_a_cluster_dependency_is_not_assessed(
    eu_residency: PolicyPack,
) -> None:
    found = on_cluster(eu_residency, cluster_stack(eks("eu-west-1"), UNKNOWN, depends=False))
    assert len(found) == 2
    assert all("is not assessed" in d.message for d in found)


def test_kubeconfig_from_outside_the_stack_is_not_assessed(eu_residency: PolicyPack) -> None:
    namespace = eu_resource(
        NAMESPACE, "apps", {}, provider=provider("kubernetes", kubeconfig="clusters: [elsewhere]")
    )
    (diag,) = on_cluster(eu_residency, [namespace])
    assert "names no EKS, AKS or GKE cluster" in diag.message


@pytest.mark.parametrize(
    ("location", "blocked"), [("northeurope", False), ("North Europe", False), ("eastus", True)]
)
def test_kubernetes_on_aks(eu_residency: PolicyPack, location: str, blocked: bool) -> None:
    aks = eu_resource(AKS, "aks", {"resourceGroupName": "rg", "location": location})
    found = on_cluster(eu_residency, cluster_stack(aks, UNKNOWN))
    assert len(found) == (2 if blocked else 0)
    for d in found:
        assert f"location '{location}'" in d.message


def test_kubernetes_on_aks_inheriting_its_resource_group(eu_residency: PolicyPack) -> None:
    group = eu_resource(
        "azure-native:resources:ResourceGroup",
        "rg",
        {"resourceGroupName": "rg", "location": "eastus"},
    )
    aks = eu_resource(AKS, "aks", {"resourceGroupName": "rg"})
    found = on_cluster(eu_residency, [group, *cluster_stack(aks, UNKNOWN)])
    assert len(found) == 2


@pytest.mark.parametrize(
    ("props", "provider_props", "blocked"),
    [
        ({"location": "europe-west1"}, {}, False),
        ({"location": "europe-west4-a"}, {}, False),
        ({}, {"zone": "europe-north1-b"}, False),
        ({"location": "us-central1"}, {}, True),
        ({}, {"zone": "us-east1-b"}, True),
        ({}, {"region": "europe-west1"}, True),  # GKE falls back to the zone only
        ({"location": UNKNOWN}, {}, True),
    ],
)
def test_kubernetes_on_gke(
    eu_residency: PolicyPack,
    props: dict[str, Any],
    provider_props: dict[str, Any],
    blocked: bool,
) -> None:
    gke = eu_resource(GKE, "gke", props, provider=provider("gcp", **provider_props))
    found = on_cluster(eu_residency, cluster_stack(gke, UNKNOWN))
    assert len(found) == (2 if blocked else 0), [d.message for d in found]


def test_one_blocked_cluster_per_dependency(eu_residency: PolicyPack) -> None:
    # A kubeconfig built from two clusters targets both: each must be allowed.
    good, bad = (
        eks("eu-west-1", "a"),
        eu_resource(EKS, "other", {"name": "b"}, provider=eu_aws_provider("us-west-2")),
    )
    stack = cluster_stack(good, UNKNOWN)
    k8s = eu_resource(
        "pulumi:providers:kubernetes",
        "cluster",
        {"kubeconfig": UNKNOWN},
        property_dependencies={"kubeconfig": (good.urn, bad.urn)},
    )
    found = on_cluster(eu_residency, [bad, good, k8s, *stack[2:]])
    assert len(found) == 2
    assert all(bad.urn in d.message for d in found)
