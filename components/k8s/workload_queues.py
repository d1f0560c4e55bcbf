"""The Kueue objects of a platform: a ResourceFlavor per node pool, a ClusterQueue and LocalQueue per team,
one cohort, and WorkloadPriorityClasses.

- **Flavors.** Every accelerator pool is a ResourceFlavor named after the pool: its node labels (the pool's
  ``mlstack.io/pool`` label, or an on-prem pool's selector; TPU pools add the slice's GKE topology labels so a
  TPU job lands on one whole slice) and tolerations for the pool's taint, which Kueue adds to an admitted
  job's pods. CPU and memory are one more flavor, ``any-node``, with no labels: a job's accelerators decide
  where it runs, and its CPU and memory are counted against the team's CPU and memory quota wherever that is.
- **Cluster queues.** One per team, all in one cohort. Resource groups: ``cpu``/``memory`` on ``any-node``,
  then one group per accelerator resource (``nvidia.com/gpu``, ``google.com/tpu``, ``aws.amazon.com/neuron``)
  listing every pool flavor that offers it, with the team's nominal quota there (0 where it has none) and a
  ``borrowingLimit``: what it may take from idle quota of the cohort on top. Only the team's namespace may
  submit to it (``namespaceSelector``).
- **Preemption.** ``reclaimWithinCohort`` (default ``Any``): a team gets its lent quota back by preempting
  borrowers; ``withinClusterQueue`` (default ``LowerPriority``): inside a team, higher priority preempts lower.
- **Local queues.** ``default`` in each team namespace: Kueue puts every job of the namespace that names no
  queue into it.
- **Priorities.** ``WorkloadPriorityClass`` objects (label ``kueue.x-k8s.io/priority-class``): by default
  ``interactive`` (1000), ``batch`` (500) and ``low`` (100); a job without the label has priority 0.

The objects are custom resources (``kueue.x-k8s.io/v1beta2``); they need Kueue's CRDs and webhook, so pass
``depends_on=[kueue.release]`` in the options.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from . import require_provider
from .hardening import MLSTACK_LABELS

TOKEN = "mlstack:k8s:WorkloadQueues"
API_VERSION = "kueue.x-k8s.io/v1beta2"
#: The flavor that carries CPU and memory quota (no node labels: any node).
ANY_NODE_FLAVOR = "any-node"
COMPUTE_RESOURCES = ("cpu", "memory")
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
DEFAULT_LOCAL_QUEUE = "default"
DEFAULT_PRIORITIES = {"interactive": 1000, "batch": 500, "low": 100}
RECLAIM = ("Never", "LowerPriority", "Any")
WITHIN_QUEUE = ("Never", "LowerPriority", "LowerOrNewerEqualPriority")


@dataclass(frozen=True, kw_only=True)
class FlavorArgs:
    """One node pool as a ResourceFlavor.

    Attributes:
        resource: the accelerator resource the pool's nodes offer, e.g. ``nvidia.com/gpu``.
        node_labels: labels that select the pool's nodes (Kueue adds them to an admitted job's node selector).
        tolerations: tolerations for the pool's taints, as Kubernetes toleration maps; none by default.
    """

    resource: str
    node_labels: Mapping[str, str]
    tolerations: Sequence[Mapping[str, str]] = ()


@dataclass(frozen=True, kw_only=True)
class TeamQueueArgs:
    """A team's ClusterQueue and LocalQueue.

    Attributes:
        namespace: the team's namespace (its LocalQueue's, and the only one the ClusterQueue admits from).
        quotas: flavor (pool) name -> nominal quota of that flavor's resource (devices); default none.
        cpu: nominal CPU quota (cores, a Kubernetes quantity); "64".
        memory: nominal memory quota (a Kubernetes quantity); "256Gi".
    """

    namespace: str
    quotas: Mapping[str, int] = field(default_factory=dict)
    cpu: str = "64"
    memory: str = "256Gi"


@dataclass(frozen=True, kw_only=True)
class WorkloadQueuesArgs:
    """Everything Kueue queues by.

    Attributes:
        flavors: pool name -> its flavor; default none (then only CPU and memory are queued).
        teams: ClusterQueue name (the team's) -> its queues; default none.
        cohort: the cohort every team's ClusterQueue joins; "mlstack".
        borrowing_limit_percent: what a team may borrow from idle cohort quota, as a percentage of each of its
            nominal quotas (rounded up); 100 doubles a team's reach while others are idle, 0 turns borrowing
            off. Default 100.
        reclaim_within_cohort: ClusterQueue ``preemption.reclaimWithinCohort``: ``Never``, ``LowerPriority``
            or ``Any``; default ``Any`` (lent quota always comes back).
        within_cluster_queue: ``preemption.withinClusterQueue``: ``Never``, ``LowerPriority`` or
            ``LowerOrNewerEqualPriority``; default ``LowerPriority``.
        priorities: WorkloadPriorityClass name -> value; default :data:`DEFAULT_PRIORITIES`.
    """

    flavors: Mapping[str, FlavorArgs] = field(default_factory=dict)
    teams: Mapping[str, TeamQueueArgs] = field(default_factory=dict)
    cohort: str = "mlstack"
    borrowing_limit_percent: int = 100
    reclaim_within_cohort: str = "Any"
    within_cluster_queue: str = "LowerPriority"
    priorities: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_PRIORITIES))


def borrowing_limit(nominal: int, percent: int) -> int:
    """The borrowing limit of a nominal quota: ``percent`` of it, rounded up (integer arithmetic)."""
    return -(-nominal * percent // 100)


def _quantity_times(quantity: str, percent: int) -> str:
    """``quantity`` scaled by ``percent``/100 for whole-number quantities with an optional binary suffix."""
    digits = quantity.rstrip("KMGTPEi")
    suffix = quantity[len(digits) :]
    if not digits.isdigit():
        raise ValueError(f"quota {quantity!r} must be a whole number with an optional Ki..Ei suffix")
    return f"{borrowing_limit(int(digits), percent)}{suffix}"


def flavor_spec(args: FlavorArgs) -> dict[str, Any]:
    """The ResourceFlavor's ``spec``."""
    spec: dict[str, Any] = {"nodeLabels": dict(sorted(args.node_labels.items()))}
    if args.tolerations:
        spec["tolerations"] = [dict(sorted(t.items())) for t in args.tolerations]
    return spec


def _check(args: WorkloadQueuesArgs) -> None:
    if args.reclaim_within_cohort not in RECLAIM:
        raise ValueError(f"reclaim_within_cohort must be one of {RECLAIM}, got {args.reclaim_within_cohort!r}")
    if args.within_cluster_queue not in WITHIN_QUEUE:
        raise ValueError(f"within_cluster_queue must be one of {WITHIN_QUEUE}, got {args.within_cluster_queue!r}")
    if args.borrowing_limit_percent < 0:
        raise ValueError("borrowing_limit_percent must not be negative")
    if ANY_NODE_FLAVOR in args.flavors:
        raise ValueError(f"a pool may not be named {ANY_NODE_FLAVOR!r}: it is the CPU and memory flavor")
    for team, queue in args.teams.items():
        unknown = sorted(set(queue.quotas) - set(args.flavors))
        if unknown:
            raise ValueError(f"team {team!r}: quotas on {unknown}, which are not flavors ({sorted(args.flavors)})")
        if any(v < 0 for v in queue.quotas.values()):
            raise ValueError(f"team {team!r}: quotas must not be negative")


def cluster_queue_spec(args: WorkloadQueuesArgs, team: str) -> dict[str, Any]:
    """The ClusterQueue ``spec`` of ``team``: cohort, namespace, preemption and resource groups."""
    queue = args.teams[team]
    pct = args.borrowing_limit_percent
    groups: list[dict[str, Any]] = [
        {
            "coveredResources": list(COMPUTE_RESOURCES),
            "flavors": [
                {
                    "name": ANY_NODE_FLAVOR,
                    "resources": [
                        {"name": r, "nominalQuota": q, "borrowingLimit": _quantity_times(q, pct)}
                        for r, q in (("cpu", queue.cpu), ("memory", queue.memory))
                    ],
                }
            ],
        }
    ]
    for resource in sorted({f.resource for f in args.flavors.values()}):
        pools = sorted(p for p, f in args.flavors.items() if f.resource == resource)
        groups.append(
            {
                "coveredResources": [resource],
                "flavors": [
                    {
                        "name": pool,
                        "resources": [
                            {
                                "name": resource,
                                "nominalQuota": str(queue.quotas.get(pool, 0)),
                                "borrowingLimit": str(borrowing_limit(queue.quotas.get(pool, 0), pct)),
                            }
                        ],
                    }
                    for pool in pools
                ],
            }
        )
    return {
        "cohortName": args.cohort,
        "namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: queue.namespace}},
        "queueingStrategy": "BestEffortFIFO",
        "preemption": {
            "reclaimWithinCohort": args.reclaim_within_cohort,
            "withinClusterQueue": args.within_cluster_queue,
            "borrowWithinCohort": {"policy": "Never"},
        },
        "resourceGroups": groups,
    }


def quota_ceiling(args: WorkloadQueuesArgs, team: str) -> dict[str, int]:
    """Accelerator resource -> the most a team's admitted workloads can hold: nominal plus borrowing limit,
    summed over the flavors. The team's ResourceQuota uses it as its hard ceiling."""
    queue = args.teams[team]
    out: dict[str, int] = {}
    for pool, flavor in args.flavors.items():
        nominal = queue.quotas.get(pool, 0)
        out[flavor.resource] = out.get(flavor.resource, 0) + nominal + borrowing_limit(nominal, args.borrowing_limit_percent)
    return dict(sorted(out.items()))


class _TopLevelResource(pulumi.CustomResource):
    """A custom resource whose fields sit beside ``metadata`` rather than under ``spec`` (WorkloadPriorityClass:
    ``value``, ``description``). ``CustomResource`` of pulumi_kubernetes takes only ``spec``; the provider sends
    every input as the object, so this registers the same type token with the fields at the top level."""

    def __init__(self, name: str, kind: str, props: Mapping[str, Any], opts: pulumi.ResourceOptions) -> None:
        super().__init__(f"kubernetes:{API_VERSION}:{kind}", name, {"apiVersion": API_VERSION, "kind": kind, **props}, opts)


class WorkloadQueues(pulumi.ComponentResource):
    """ResourceFlavors, one ClusterQueue and LocalQueue per team, WorkloadPriorityClasses.

    Children: ``<name>-flavor-<pool>`` (and ``<name>-flavor-any-node``), ``<name>-cq-<team>``,
    ``<name>-lq-<team>``, ``<name>-priority-<class>``.

    Attributes:
        cluster_queues: team -> its ClusterQueue's name. local_queue: the LocalQueue name in every team namespace.
        priority_classes: the WorkloadPriorityClass names.
    """

    def __init__(self, name: str, args: WorkloadQueuesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        require_provider(self, name)
        _check(args)
        child = pulumi.ResourceOptions(parent=self)
        labels = MLSTACK_LABELS("kueue", "workload-queues")

        def meta(object_name: str, namespace: str | None = None) -> k8s.meta.v1.ObjectMetaArgs:
            return k8s.meta.v1.ObjectMetaArgs(name=object_name, namespace=namespace, labels=labels)

        flavors = {ANY_NODE_FLAVOR: {"nodeLabels": {}}} | {p: flavor_spec(f) for p, f in sorted(args.flavors.items())}
        flavor_objects = [
            k8s.apiextensions.CustomResource(
                f"{name}-flavor-{pool}", api_version=API_VERSION, kind="ResourceFlavor", metadata=meta(pool), spec=spec, opts=child
            )
            for pool, spec in flavors.items()
        ]
        # A ClusterQueue naming a flavor that does not exist yet stays inactive until it does: order them.
        after_flavors = pulumi.ResourceOptions(parent=self, depends_on=flavor_objects)
        for team in sorted(args.teams):
            cq = k8s.apiextensions.CustomResource(
                f"{name}-cq-{team}",
                api_version=API_VERSION,
                kind="ClusterQueue",
                metadata=meta(team),
                spec=cluster_queue_spec(args, team),
                opts=after_flavors,
            )
            k8s.apiextensions.CustomResource(
                f"{name}-lq-{team}",
                api_version=API_VERSION,
                kind="LocalQueue",
                metadata=meta(DEFAULT_LOCAL_QUEUE, args.teams[team].namespace),
                spec={"clusterQueue": team},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[cq]),
            )
        for cls, value in sorted(args.priorities.items()):
            _TopLevelResource(
                f"{name}-priority-{cls}",
                "WorkloadPriorityClass",
                {
                    "metadata": {"name": cls, "labels": labels},
                    "value": value,
                    "description": f"mlstack priority {cls!r}: set label kueue.x-k8s.io/priority-class={cls} on a job",
                },
                child,
            )
        self.cluster_queues: dict[str, str] = {team: team for team in sorted(args.teams)}
        self.local_queue = DEFAULT_LOCAL_QUEUE
        self.priority_classes: list[str] = sorted(args.priorities)
        self.register_outputs(
            {
                "cluster_queues": self.cluster_queues,
                "local_queue": self.local_queue,
                "priority_classes": self.priority_classes,
            }
        )
