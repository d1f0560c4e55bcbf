"""The on-premise table: the in-cluster services that stand in for a cloud's managed ones on an existing
cluster (their parity is *emulated*), and the pools of existing nodes."""

from __future__ import annotations

from mlstack.targets.base import AcceleratorHint, Parity, ResourceType

POOL = "mlstack:k8s:OnPremNodePool"


def pools_detail(resources: list, plan) -> str:
    """One ``OnPremNodePool`` component per spec pool, named ``<project>-<env>-<pool>``."""
    prefix = f"{plan.project}-{plan.env}-"
    return f"existing nodes by label ({', '.join(sorted(r.name.removeprefix(prefix) for r in resources))})"


TYPES: dict[str, ResourceType] = {
    "mlstack:k8s:OnPremEnvironment": ResourceType(parity=Parity("cluster", "native", "existing cluster (kube context)")),
    POOL: ResourceType(
        parity=Parity("pools", "emulated", "existing nodes selected by labels (no autoscaling)", detail=pools_detail),
        accelerators=lambda inputs: AcceleratorHint(labels=inputs.get("nodeSelector") or {}, kinds=frozenset({"existing nodes"})),
    ),
    "mlstack:k8s:NfsProvisioner": ResourceType(parity=Parity("shared storage", "emulated", "NFS provisioner on an existing NFS server")),
    "mlstack:k8s:ScratchStorage": ResourceType(
        parity=Parity("scratch storage", "emulated", "an existing Lustre (NFS gateway) or NFS export, mounted as static volumes")
    ),
    "mlstack:k8s:GpuTelemetry": ResourceType(
        parity=Parity("GPU metrics", "emulated", "DCGM exporter; scrape it with your in-cluster Prometheus (docs/telemetry.md)")
    ),
    "mlstack:k8s:ObjectStore": ResourceType(parity=Parity("buckets", "emulated", "SeaweedFS (S3) in the cluster")),
    "mlstack:k8s:ImageRegistry": ResourceType(parity=Parity("registry", "emulated", "registry in the cluster")),
    "mlstack:k8s:InClusterPostgres": ResourceType(parity=Parity("tracking", "emulated", "MLflow + in-cluster Postgres")),
    # The CloudNativePG operator's database cluster (the tracking database on premise): it holds data.
    "kubernetes:postgresql.cnpg.io/v1:Cluster": ResourceType(stateful=True),
    "mlstack:k8s:AuditPolicy": ResourceType(parity=Parity("audit", "emulated", "audit policy file (apply on the API server)")),
}
