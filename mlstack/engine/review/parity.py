"""What each environment provides per platform capability: native (the cloud's managed service), emulated (an
in-cluster substitute such as MinIO for buckets or in-cluster Postgres), or missing.

Derived from the resource types in each plan (and, for accelerators, the pools' inputs), never from the
environment's name or cloud: a new target gets a correct row as soon as its plan has the resources.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from mlstack.engine.plan.model import Plan

Status = Literal["native", "emulated", "missing"]

# capability -> ordered probes (type token, status, what); the first type present in the plan decides.
PROBES: dict[str, list[tuple[str, Status, str]]] = {
    "cluster": [
        ("aws:eks/cluster:Cluster", "native", "EKS"),
        ("gcp:container/cluster:Cluster", "native", "GKE"),
        ("mlstack:k8s:OnPremEnvironment", "native", "existing cluster (kube context)"),
    ],
    "pools": [
        ("aws:eks/nodeGroup:NodeGroup", "native", "EKS managed node groups (autoscaling)"),
        ("gcp:container/nodePool:NodePool", "native", "GKE node pools (autoscaling)"),
        ("mlstack:k8s:OnPremNodePool", "emulated", "existing nodes selected by labels (no autoscaling)"),
    ],
    "shared storage": [
        ("aws:efs/fileSystem:FileSystem", "native", "EFS + CSI StorageClass"),
        ("gcp:filestore/instance:Instance", "native", "Filestore, shared through the NFS subdir provisioner"),
        ("mlstack:k8s:NfsProvisioner", "emulated", "NFS provisioner on an existing NFS server"),
    ],
    "buckets": [
        ("aws:s3/bucket:Bucket", "native", "S3"),
        ("gcp:storage/bucket:Bucket", "native", "GCS"),
        ("mlstack:k8s:ObjectStore", "emulated", "MinIO in the cluster"),
    ],
    "registry": [
        ("aws:ecr/repository:Repository", "native", "ECR"),
        ("gcp:artifactregistry/repository:Repository", "native", "Artifact Registry"),
        ("mlstack:k8s:ImageRegistry", "emulated", "registry in the cluster"),
    ],
    "tracking": [
        ("aws:rds/instance:Instance", "native", "MLflow + RDS Postgres"),
        ("gcp:sql/databaseInstance:DatabaseInstance", "native", "MLflow + Cloud SQL Postgres"),
        ("mlstack:k8s:InClusterPostgres", "emulated", "MLflow + in-cluster Postgres"),
    ],
    "workload identity": [
        ("mlstack:aws:WorkloadRole", "native", "IRSA roles"),
        ("mlstack:gcp:WorkloadIdentity", "native", "GKE Workload Identity"),
        ("kubernetes:core/v1:ServiceAccount", "emulated", "ServiceAccounts + secrets"),
    ],
    "CI trust": [
        ("mlstack:aws:CiTrust", "native", "IAM OIDC provider + role pinned to repo and ref"),
        ("gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider", "native", "Workload Identity Federation"),
        ("mlstack:k8s:CiAccess", "emulated", "ServiceAccount + RBAC + token"),
    ],
    "audit": [
        ("aws:cloudtrail/trail:Trail", "native", "CloudTrail + EKS audit logs"),
        ("gcp:projects/iAMAuditConfig:IAMAuditConfig", "native", "Cloud Audit Logs + GKE logging"),
        ("mlstack:k8s:AuditPolicy", "emulated", "audit policy file (apply on the API server)"),
    ],
}
CAPABILITIES = ["cluster", "pools", "accelerators", *[c for c in PROBES if c not in ("cluster", "pools")]]
ACCELERATOR_LABEL = "mlstack.io/accelerator"
ONPREM_POOL = "mlstack:k8s:OnPremNodePool"


@dataclass(frozen=True)
class Cell:
    status: Status
    detail: str

    def text(self) -> str:
        return f"{self.status}: {self.detail}" if self.detail else self.status


def _accelerators(plan: Plan) -> Cell:
    """GPU/TPU kinds the plan's pools carry (their ``mlstack.io/accelerator`` label or TPU placement)."""
    found: set[str] = set()
    kinds: set[str] = set()
    for r in plan.resources:
        inputs = r.inputs
        labels: dict[str, Any] = {}
        if r.type == "aws:eks/nodeGroup:NodeGroup":
            labels = inputs.get("labels") or {}
        elif r.type == "gcp:container/nodePool:NodePool":
            nc = inputs.get("nodeConfig") or {}
            labels = nc.get("labels") or {}
            if nc.get("guestAccelerators"):
                found.update(str(g.get("type")) for g in nc["guestAccelerators"] if isinstance(g, dict))
            if (inputs.get("placementPolicy") or {}).get("tpuTopology"):
                kinds.add("tpu")
        elif r.type == "mlstack:k8s:GpuSupport":
            kinds.add("device plugin")
        elif r.type.startswith("kubernetes:") and r.type.endswith(":Node"):
            labels = (inputs.get("metadata") or {}).get("labels") or {}
        elif r.type == ONPREM_POOL:
            kinds.add("existing nodes")
        elif r.type == "kubernetes:batch/v1:Job":
            # On premise the pools are components without recorded inputs: the GPU verify Job's nodeSelector
            # names the accelerator the existing nodes are labelled with.
            labels = (((inputs.get("spec") or {}).get("template") or {}).get("spec") or {}).get("nodeSelector") or {}
        if ACCELERATOR_LABEL in labels:
            found.add(str(labels[ACCELERATOR_LABEL]))
    if found:
        return Cell("native", ", ".join(sorted(found)) + (" (existing nodes)" if "existing nodes" in kinds else ""))
    if "tpu" in kinds:
        return Cell("native", "TPU slices")
    if "device plugin" in kinds:
        return Cell("native", "GPU device plugin on existing nodes")
    return Cell("missing", "no accelerator pool")


def _pools(plan: Plan) -> Cell | None:
    """On premise: one ``OnPremNodePool`` component per spec pool, named ``<project>-<env>-<pool>``."""
    prefix = f"{plan.project}-{plan.env}-"
    names = sorted(r.name.removeprefix(prefix) for r in plan.of_type(ONPREM_POOL))
    if not names:
        return None
    return Cell("emulated", f"existing nodes by label ({', '.join(names)})")


def capability(plan: Plan, name: str) -> Cell:
    if name == "accelerators":
        return _accelerators(plan)
    if name == "pools" and (cell := _pools(plan)) is not None:
        return cell
    present = {r.type for r in plan.resources}
    for type_, status, what in PROBES[name]:
        if type_ in present:
            return Cell(status, what)
    return Cell("missing", "")


@dataclass
class ParityReport:
    envs: list[str]
    targets: dict[str, str]
    rows: dict[str, dict[str, Cell]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "envs": self.envs,
            "targets": self.targets,
            "capabilities": {
                cap: {env: {"status": c.status, "detail": c.detail} for env, c in cells.items()} for cap, cells in self.rows.items()
            },
        }


def parity(plans: list[Plan]) -> ParityReport:
    """One row per capability, one column per plan."""
    rows = {cap: {p.env: capability(p, cap) for p in plans} for cap in CAPABILITIES}
    targets = {p.env: " ".join(str(v) for v in (p.target.get("cloud"), p.target.get("region") or p.target.get("kube_context")) if v)
               for p in plans}
    return ParityReport([p.env for p in plans], targets, rows)


def render_text(report: ParityReport, cell: Callable[[Cell], str] = Cell.text) -> str:
    """Aligned plain text, one line per capability."""
    width = max((len(cell(c)) for cells in report.rows.values() for c in cells.values()), default=8)
    width = min(max(width, max(len(e) for e in report.envs)) + 2, 60)
    head = f"{'capability':<20}" + "".join(f"{e + ' (' + report.targets[e] + ')':<{width}}" for e in report.envs)
    lines = [head.rstrip()]
    for cap, cells in report.rows.items():
        lines.append((f"{cap:<20}" + "".join(f"{cell(cells[e])[: width - 2]:<{width}}" for e in report.envs)).rstrip())
    return "\n".join(lines) + "\n"
