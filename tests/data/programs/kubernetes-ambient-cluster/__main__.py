"""Kubernetes resources on the default provider: they go to whatever cluster the machine's
kubeconfig names, which no check can see."""

import pulumi_kubernetes as k8s

namespace = k8s.core.v1.Namespace("apps", metadata={"name": "apps"})
k8s.core.v1.ConfigMap(
    "customer-settings",
    metadata={"namespace": namespace.metadata.name},
    data={"retention": "30d"},
)
