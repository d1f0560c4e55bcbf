"""The workload layer, identical on every target but for the flavors' node labels: spec -> WorkloadsArgs, and
the team ResourceQuota ceilings that follow from Kueue's quotas.

Quota relation (docs/platform.md): Kueue admits a team's jobs up to its nominal quota per pool plus what it may
borrow; the namespace ResourceQuota is the hard ceiling at exactly that sum (nominal + borrowing limit, per
resource), so no pod of the team, queued or not, can ever hold more than the spec gives it, borrowing included,
and an admitted job is never refused by the ResourceQuota.
"""

from __future__ import annotations

from collections.abc import Mapping

from mlstack import targets
from mlstack.catalog import Catalog
from mlstack.components.k8s.efa_support import EFA_RESOURCE
from mlstack.components.k8s.jobset import JobSetArgs
from mlstack.components.k8s.kuberay import KubeRayArgs
from mlstack.components.k8s.kueue import KueueArgs
from mlstack.components.k8s.nccl_check import NODES as NCCL_NODES
from mlstack.components.k8s.nccl_check import NcclCheckArgs
from mlstack.components.k8s.nccl_check import runtime_spec as nccl_runtime_spec
from mlstack.components.k8s.trainer import PoolRuntimeArgs, TrainerArgs
from mlstack.components.k8s.workload_queues import FlavorArgs, TeamQueueArgs, WorkloadQueuesArgs, borrowing_limit, quota_ceiling
from mlstack.components.k8s.workloads import WorkloadsArgs
from mlstack.spec import Spec
from mlstack.spec.rules_capacity import node_class
from mlstack.spec.quotas import ACCELERATOR_RESOURCES, TOTAL_FIELDS, accelerator_pools, multi_node, team_pool_quotas

from mlstack.components.contract import POOL_LABEL
#: TeamArgs field per accelerator resource.
TEAM_FIELDS = {ACCELERATOR_RESOURCES[kind]: field for kind, field in TOTAL_FIELDS.items()}


def flavors(spec: Spec, catalog: Catalog) -> dict[str, FlavorArgs]:
    """A flavor per accelerator pool: its node labels (on-prem: the pool's selector) and its taint's toleration."""
    out = {}
    for name, cap in accelerator_pools(spec, catalog).items():
        pool = spec.node_pools[name]
        pack = targets.pack(spec.target.cloud)
        labels = dict(pool.selector or {}) if pack.spec.existing_cluster else {POOL_LABEL: name}  # existing nodes
        if (klass := node_class(spec, catalog, name)) is not None:
            # A provisioning class (GKE ComputeClass) creates the pool's nodes only for pods that select it.
            labels[pack.spec.capacity.node_class_label] = klass
        if cap.kind == "tpu" and pool.accelerator and pool.topology and pack.tpu_slice_labels:
            # One whole slice: the target labels every node of a slice with its generation and topology.
            accelerator_label, topology_label = pack.tpu_slice_labels
            labels[accelerator_label] = catalog.tpus[pool.accelerator].gke_accelerator
            labels[topology_label] = pool.topology
        out[name] = FlavorArgs(
            resource=cap.resource,
            node_labels=labels,
            tolerations=[{"key": cap.resource, "operator": "Exists", "effect": "NoSchedule"}],
        )
    return out


def queues_args(spec: Spec, catalog: Catalog) -> WorkloadQueuesArgs:
    """Flavors, a queue per team (its namespace is its name), cohort and preemption from ``spec.workloads``."""
    w = spec.workloads
    return WorkloadQueuesArgs(
        flavors=flavors(spec, catalog),
        teams={
            name: TeamQueueArgs(
                namespace=name,
                quotas=team_pool_quotas(spec, catalog, name),
                cpu=str(team.cpu_quota),
                memory=f"{team.memory_quota_gib}Gi",
            )
            for name, team in sorted(spec.teams.items())
        },
        borrowing_limit_percent=w.borrowing_limit_percent,
        reclaim_within_cohort=w.preemption.reclaim_within_cohort,
        within_cluster_queue=w.preemption.within_team,
    )


def pool_runtimes(
    spec: Spec, catalog: Catalog, node_fabric: Mapping[str, Mapping[str, int]] | None = None
) -> dict[str, PoolRuntimeArgs]:
    """A ``torch-distributed-<pool>`` runtime per GPU pool: on the nodes its flavor selects, every device of a
    node, and the fabric the node offers: the target's (``node_fabric``: EFA on AWS) or the spec's RDMA resource
    (on-prem). Trainium and TPU pools get none (torchrun's one process per GPU does not fit them)."""
    labels = flavors(spec, catalog)
    rdma = spec.workloads.rdma_resource
    out = {}
    for name, cap in accelerator_pools(spec, catalog).items():
        if cap.kind != "gpu":
            continue
        fabric = dict((node_fabric or {}).get(name, {}))
        if rdma:
            fabric[rdma] = 1
        out[name] = PoolRuntimeArgs(
            node_labels=labels[name].node_labels, accelerator_resource=cap.resource, devices_per_node=cap.per_node, fabric=fabric
        )
    return out


def nccl_check(
    spec: Spec, catalog: Catalog, node_fabric: Mapping[str, Mapping[str, int]] | None = None
) -> tuple[NcclCheckArgs | None, str]:
    """The verification Job's NCCL check: on the first GPU pool (by name) that is multi-node and can run two or
    more nodes, through the queue of the team that can hold the most of it (nominal quota plus borrowing limit,
    at least two whole nodes); else None and the reason the check reports."""
    w = spec.workloads
    if not (w.enabled and w.trainer and spec.teams):
        return None, "needs Kueue, Kubeflow Trainer and a team queue (workloads, teams)"
    pools = pool_runtimes(spec, catalog, node_fabric)
    seen = []
    for name, cap in accelerator_pools(spec, catalog).items():
        if cap.kind != "gpu":
            continue
        if not multi_node(spec, catalog, name):
            seen.append(f"{name}: not multi-node")
            continue
        if cap.nodes is None or cap.nodes < NCCL_NODES:
            seen.append(f"{name}: at most {cap.nodes} node" if cap.nodes is not None else f"{name}: size unknown")
            continue
        need = NCCL_NODES * cap.per_node
        room = {}
        for team in sorted(spec.teams):
            nominal = team_pool_quotas(spec, catalog, team).get(name, 0)
            room[team] = nominal + borrowing_limit(nominal, w.borrowing_limit_percent)
        team = max(sorted(room), key=lambda t: room[t])
        if room[team] < need:
            seen.append(f"{name}: no team's queue can hold {need} GPUs (nominal + borrowing)")
            continue
        check = NcclCheckArgs(pool=name, namespace=team, node=pools[name], image=catalog.versions.images["nccl-tests"].ref)
        return check, ""
    return None, f"no GPU pool can run a {NCCL_NODES}-node job through a team queue" + (f" ({'; '.join(seen)})" if seen else "")


def workloads_args(
    spec: Spec, catalog: Catalog, node_fabric: Mapping[str, Mapping[str, int]] | None = None
) -> WorkloadsArgs | None:
    """The parts ``spec.workloads`` turns on, pinned by the catalogue; None when nothing is on. ``node_fabric``:
    the target's fabric devices per pool (``Bindings.node_fabric``)."""
    w = spec.workloads
    charts, images = catalog.versions.charts, catalog.versions.images
    args = WorkloadsArgs(
        kueue=KueueArgs(
            chart_version=charts["kueue"].version,
            repository=charts["kueue"].repo,
            image=images["kueue"].ref,
            pods_ready_timeout_seconds=w.pods_ready_timeout_seconds,
            # Fabric devices a training pod requests beside its accelerators; no queue covers them.
            excluded_resource_prefixes=(EFA_RESOURCE, *([w.rdma_resource] if w.rdma_resource else [])),
        )
        if w.enabled
        else None,
        queues=queues_args(spec, catalog) if w.enabled else None,
        jobset=JobSetArgs(chart_version=charts["jobset"].version, repository=charts["jobset"].repo, image=images["jobset"].ref)
        if w.jobset
        else None,
        trainer=TrainerArgs(
            chart_version=charts["kubeflow-trainer"].version,
            repository=charts["kubeflow-trainer"].repo,
            image=images["kubeflow-trainer"].ref,
            runtime_image=images["pytorch"].ref,
            pools=pool_runtimes(spec, catalog, node_fabric),
            extra_runtimes={nccl.runtime_name: nccl_runtime_spec(nccl)} if (nccl := nccl_check(spec, catalog, node_fabric)[0]) else {},
        )
        if w.trainer
        else None,
        kuberay=KubeRayArgs(
            chart_version=charts["kuberay-operator"].version, repository=charts["kuberay-operator"].repo, image=images["kuberay-operator"].ref
        )
        if w.kuberay
        else None,
    )
    return args if (args.kueue or args.jobset or args.trainer or args.kuberay) else None


def team_quota_fields(spec: Spec, catalog: Catalog, team: str, queues: WorkloadQueuesArgs | None) -> dict[str, object]:
    """The team's ResourceQuota figures (TeamArgs fields): with Kueue, nominal + borrowing limit (the ceiling);
    without, the spec's totals."""
    t = spec.teams[team]
    pct = queues.borrowing_limit_percent if queues else 0
    cpu = t.cpu_quota + borrowing_limit(t.cpu_quota, pct)
    memory = t.memory_quota_gib + borrowing_limit(t.memory_quota_gib, pct)
    fields: dict[str, object] = {
        "requests_cpu": str(cpu),
        "requests_memory": f"{memory}Gi",
        "limits_cpu": str(cpu * 2),
        "limits_memory": f"{memory * 2}Gi",
    }
    if queues:
        ceiling = quota_ceiling(queues, team)
        fields.update({TEAM_FIELDS[r]: n for r, n in ceiling.items()})
        # A legacy total on a kind without pools (a spec error elsewhere) stays as written.
        for kind, field in TOTAL_FIELDS.items():
            fields.setdefault(field, getattr(t, field) if not t.quotas else 0)
    else:
        pools = accelerator_pools(spec, catalog)
        for kind, field in TOTAL_FIELDS.items():
            fields[field] = sum(n for p, n in t.quotas.items() if p in pools and pools[p].kind == kind) if t.quotas else getattr(t, field)
    return fields
