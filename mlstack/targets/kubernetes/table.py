"""The table of what every target shares: Kubernetes objects (``kubernetes:``), generated secrets (``random:``)
and the platform components that stand for a capability.

Replace triggers: pulumi-kubernetes 4.x keeps its own table (provider/pkg/provider/diff.go, ``forceNew``) and
also replaces every kind on ``metadata.name``/``metadata.namespace`` (``Pack.implicit_replace``); the random
provider replaces on any argument (terraform-provider-random: every argument ForceNew). Checked 2026-11-29.
"""

from __future__ import annotations

from typing import Any

from mlstack.targets.base import AcceleratorHint, Parity, ReplaceRule, ResourceType, State
from mlstack.targets.kit import physical_name, with_

K8S_SOURCE = "pulumi-kubernetes provider/pkg/provider/diff.go"
_RANDOM = "terraform-provider-random (every argument ForceNew)"
ALL = "*"  # every input replaces


def generic_mock(m: Any, name: str, inputs: State) -> tuple[str, State]:
    meta = dict(inputs.get("metadata") or {})
    meta.setdefault("name", physical_name(name, meta))
    ns = meta.get("namespace")
    return (f"{ns}/{meta['name']}" if ns else meta["name"]), {"metadata": meta}


def _node_selector(inputs: State) -> AcceleratorHint:
    # On premise the pools are components without recorded inputs: the GPU verify Job's nodeSelector names the
    # accelerator the existing nodes are labelled with.
    spec = ((inputs.get("spec") or {}).get("template") or {}).get("spec") or {}
    return AcceleratorHint(labels=spec.get("nodeSelector") or {})


_KUEUE_SOURCE = "https://github.com/kubernetes-sigs/kueue/tree/v0.19.2/config/components/crd/bases"

TYPES: dict[str, ResourceType] = {
    "kubernetes:apps/v1:Deployment": ResourceType(replace=ReplaceRule(("spec.selector",), source=K8S_SOURCE)),
    "kubernetes:apps/v1:DaemonSet": ResourceType(replace=ReplaceRule(("spec.selector",), note="immutable in the API", source=K8S_SOURCE)),
    "kubernetes:apps/v1:StatefulSet": ResourceType(
        replace=ReplaceRule(
            ("spec.podManagementPolicy", "spec.revisionHistoryLimit", "spec.selector", "spec.serviceName", "spec.volumeClaimTemplates"),
            source=K8S_SOURCE,
        )
    ),
    "kubernetes:batch/v1:Job": ResourceType(
        replace=ReplaceRule(("spec.completions", "spec.parallelism", "spec.selector", "spec.template"), source=K8S_SOURCE),
        accelerators=_node_selector,
    ),
    "kubernetes:core/v1:ConfigMap": ResourceType(replace=ReplaceRule(("binaryData", "data"), source=K8S_SOURCE)),
    "kubernetes:core/v1:Secret": ResourceType(
        replace=ReplaceRule(("type", "stringData", "data"), source=K8S_SOURCE), secret_inputs=("data", "stringData")
    ),
    "kubernetes:core/v1:Service": ResourceType(replace=ReplaceRule(("spec.clusterIP",), source=K8S_SOURCE)),
    "kubernetes:core/v1:ResourceQuota": ResourceType(replace=ReplaceRule(("spec.scopes",), source=K8S_SOURCE)),
    "kubernetes:core/v1:PersistentVolumeClaim": ResourceType(
        replace=ReplaceRule(
            ("spec.accessModes", "spec.resources", "spec.selector", "spec.storageClassName", "spec.volumeName", "spec.volumeMode"),
            source=K8S_SOURCE,
        ),
        stateful=True,
    ),
    # A PersistentVolume's source is immutable once created; capacity, reclaim policy and mount options update.
    "kubernetes:core/v1:PersistentVolume": ResourceType(
        replace=ReplaceRule(("spec.csi", "spec.nfs", "spec.claimRef", "spec.volumeMode"),
                            note="the API refuses changes to a bound volume's source", source=K8S_SOURCE),
        stateful=True,
    ),
    # Kinds with no trigger of their own (the implicit metadata rule still applies): listed so the table is the
    # inventory of what the platform layer creates.
    "kubernetes:core/v1:Namespace": ResourceType(),
    "kubernetes:core/v1:LimitRange": ResourceType(),
    "kubernetes:networking.k8s.io/v1:NetworkPolicy": ResourceType(),
    "kubernetes:policy/v1:PodDisruptionBudget": ResourceType(),
    "kubernetes:rbac.authorization.k8s.io/v1:Role": ResourceType(),
    "kubernetes:networking.k8s.io/v1:Ingress": ResourceType(),  # MLflow's laptop access (tracking.access: ingress)
    # MLflow's laptop access (tracking.access: gateway): Gateway API objects, and GKE's health check for the route.
    "kubernetes:gateway.networking.k8s.io/v1:Gateway": ResourceType(),
    "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute": ResourceType(),
    "kubernetes:networking.gke.io/v1:HealthCheckPolicy": ResourceType(),
    "kubernetes:core/v1:ServiceAccount": ResourceType(parity=Parity("workload identity", "emulated", "ServiceAccounts + secrets")),
    "kubernetes:core/v1:Node": ResourceType(
        accelerators=lambda inputs: AcceleratorHint(labels=(inputs.get("metadata") or {}).get("labels") or {})
    ),
    "kubernetes:storage.k8s.io/v1:StorageClass": ResourceType(
        replace=ReplaceRule(
            ("parameters", "provisioner", "reclaimPolicy", "volumeBindingMode"),
            note="reclaimPolicy and volumeBindingMode are immutable in the API",
            source=K8S_SOURCE,
        )
    ),
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": ResourceType(replace=ReplaceRule(("roleRef",), source=K8S_SOURCE)),
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole": ResourceType(),
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding": ResourceType(replace=ReplaceRule(("roleRef",), source=K8S_SOURCE)),
    "kubernetes:helm.sh/v3:Release": ResourceType(
        replace=ReplaceRule(("name", "namespace"), note="a renamed release is a new release", source="pulumi-kubernetes helm_release.go"),
        chart_release=True,
    ),
    "random:index/randomPassword:RandomPassword": ResourceType(
        mock=with_(
            lambda m, name, inputs: "none",
            result=lambda m, i, inputs: "mock-password-" + "x" * 16,
            bcryptHash=lambda m, i, inputs: "$2a$10$" + "M" * 53,
        ),
        replace=ReplaceRule((ALL,), source=_RANDOM),
    ),
    "random:index/randomString:RandomString": ResourceType(replace=ReplaceRule((ALL,), source=_RANDOM)),
    "random:index/randomId:RandomId": ResourceType(replace=ReplaceRule((ALL,), source=_RANDOM)),
    "mlstack:k8s:GpuSupport": ResourceType(accelerators=lambda inputs: AcceleratorHint(kinds=frozenset({"device plugin"}))),
    "mlstack:k8s:CiAccess": ResourceType(parity=Parity("CI trust", "emulated", "ServiceAccount + RBAC + token")),
    # The workload layer (issue 14): Kueue's queue objects, the torch runtime, the operators' components.
    "kubernetes:kueue.x-k8s.io/v1beta2:ResourceFlavor": ResourceType(
        replace=ReplaceRule(("spec.topologyName",), note="immutable (CRD rule)", source=_KUEUE_SOURCE),
        parity=Parity("job queueing", "native", "Kueue flavors per accelerator pool"),
    ),
    "kubernetes:kueue.x-k8s.io/v1beta2:ClusterQueue": ResourceType(
        parity=Parity("team quotas", "native", "Kueue ClusterQueue per team, one cohort"),
    ),
    "kubernetes:kueue.x-k8s.io/v1beta2:LocalQueue": ResourceType(
        replace=ReplaceRule(("spec.clusterQueue",), note="immutable (Kueue webhook)", source=_KUEUE_SOURCE),
    ),
    "kubernetes:kueue.x-k8s.io/v1beta2:WorkloadPriorityClass": ResourceType(),
    "kubernetes:trainer.kubeflow.org/v1alpha1:ClusterTrainingRuntime": ResourceType(
        parity=Parity("multi-node training", "native", "Kubeflow Trainer + JobSet, gang-admitted by Kueue"),
    ),
}
