"""AWS node provisioning from the spec: which part of each pool is a managed node group and which a Karpenter
NodePool (``cluster.autoscaler``), and the autoscaler itself.

- ``cluster-autoscaler`` (the default): every pool is a managed node group of min..max nodes, one capacity type
  each, scaled by the Cluster Autoscaler.
- ``karpenter``: a pool with ``min: 0`` is a Karpenter NodePool only. A pool with ``min > 0`` keeps a managed
  node group of exactly ``min`` nodes (the floor: the Karpenter controller and the platform run there, and
  nothing can launch nodes before the controller runs) and, when ``max > min``, a NodePool for the nodes above
  it. The controller gets the interruption queue and its EventBridge rules; no Cluster Autoscaler is installed.

The capacity order, reservation, instance types and disruption of a pool come from the spec rules' defaults
(``mlstack.spec.rules_capacity``), so ``validate`` and the plan agree.
"""

from __future__ import annotations

import dataclasses

import pulumi

from mlstack.catalog import Catalog
from mlstack.catalog.checks import AUTOSCALER_IMAGE_PREFIX
from mlstack.catalog.pool_machine import pool_machine
from mlstack.components.aws.cluster_autoscaler import ClusterAutoscaler, ClusterAutoscalerArgs
from mlstack.components.aws.environment import AwsEnvironment
from mlstack.components.aws.karpenter import Karpenter, KarpenterArgs
from mlstack.components.aws.karpenter_node_pool import KarpenterNodePool, KarpenterNodePoolArgs
from mlstack.components.k8s.efa_support import EFA_LABEL
from mlstack.spec import Spec
from mlstack.spec.quotas import multi_node
from mlstack.spec.rules_capacity import autoscaler, capacity_order, instance_types

KARPENTER = "karpenter"
#: Kubernetes extended resource of each accelerator kind (a NodePool limit's key).
DEVICE_RESOURCE = {"gpu": "nvidia.com/gpu", "trainium": "aws.amazon.com/neuron"}
CONSOLIDATION = {"when-empty": "WhenEmpty", "when-underutilized": "WhenEmptyOrUnderutilized"}


def karpenter(spec: Spec) -> bool:
    """Whether Karpenter provisions the environment's nodes above their floors."""
    return autoscaler(spec) == KARPENTER


def group_sizes(spec: Spec, key: str) -> tuple[int, int] | None:
    """(min, max) of pool ``key``'s managed node group, or None when it has none (a Karpenter-only pool)."""
    lo, hi = spec.node_pools[key].size()
    if not karpenter(spec):
        return lo, hi
    return (lo, lo) if lo > 0 else None


def efa_interfaces(spec: Spec, catalog: Catalog, key: str) -> int:
    """EFA interfaces every node of multi-node pool ``key`` has (the fewest of its instance types); 0 otherwise."""
    if not multi_node(spec, catalog, key):
        return 0
    return min(catalog.efa_interfaces(t) for t in instance_types(spec, catalog, key))


def _shape(spec: Spec, catalog: Catalog, key: str, machine: str) -> tuple[int | None, float | None, int]:
    """(vCPUs, memory GiB, devices) of one node of ``machine`` in pool ``key``; sizes None when the catalogue
    does not list the machine (a machine named directly)."""
    pool = spec.node_pools[key]
    if pool.accelerator:
        offer = next((o for o in catalog.accelerators[pool.accelerator].offers["aws"] if o.machine_type == machine), None)
        if offer is not None:
            return offer.vcpus, offer.memory_gib, offer.count
        return None, None, pool_machine(catalog, pool.accelerator, "aws", pool.gpus_per_node, pool.machine).count
    size = catalog.machines["aws"][machine]
    return size.vcpus, size.memory_gib, 0


def limits(spec: Spec, catalog: Catalog, key: str, nodes: int) -> dict[str, str]:
    """NodePool limits for ``nodes`` nodes of the pool's largest instance type, so the cap is never below
    ``nodes`` nodes whichever type Karpenter picks: devices always, CPU and memory where the catalogue knows them."""
    shapes = [_shape(spec, catalog, key, t) for t in instance_types(spec, catalog, key)]
    out: dict[str, str] = {}
    if all(s[0] is not None for s in shapes):
        out["cpu"] = str(max(int(s[0] or 0) for s in shapes) * nodes)
        out["memory"] = f"{int(max(float(s[1] or 0) for s in shapes) * nodes)}Gi"
    pool = spec.node_pools[key]
    if pool.accelerator:
        out[DEVICE_RESOURCE[catalog.accelerators[pool.accelerator].kind]] = str(max(s[2] for s in shapes) * nodes)
    return dict(sorted(out.items()))


def node_pools(spec: Spec, catalog: Catalog, tags: dict[str, str]) -> dict[str, KarpenterNodePoolArgs]:
    """Pool key -> its Karpenter NodePool (``autoscaler: karpenter`` only): min-0 pools whole, floored pools
    above their floor; the environment's subnets, security group and node role are filled in later."""
    if not karpenter(spec):
        return {}
    out: dict[str, KarpenterNodePoolArgs] = {}
    for key, pool in sorted(spec.node_pools.items()):
        lo, hi = pool.size()
        burst = hi - lo if lo > 0 else hi
        if burst <= 0:
            continue
        types = instance_types(spec, catalog, key)
        ami = "AL2023_x86_64_STANDARD"
        if pool.accelerator:
            ami = pool_machine(catalog, pool.accelerator, "aws", pool.gpus_per_node, pool.machine).ami_type or ami
        labels = {**pool.labels, EFA_LABEL: "true"} if efa_interfaces(spec, catalog, key) else dict(pool.labels)
        out[key] = KarpenterNodePoolArgs(
            instance_types=types,
            capacity_types=capacity_order(pool),  # type: ignore[arg-type]  # the spec rules allow only Karpenter's
            capacity_reservation_ids=[pool.reservation.id] if pool.reservation else [],
            capacity_block=bool(pool.reservation and pool.reservation.capacity_block),
            limits=limits(spec, catalog, key, burst),
            ami_type=ami,
            accelerator=pool.accelerator,
            labels=dict(sorted(labels.items())),
            disk_size_gib=pool.disk_size_gib,
            max_nodes=burst,
            consolidation=CONSOLIDATION[pool.disruption] if pool.disruption else None,  # type: ignore[arg-type]
            pool_name=key,
            tags=tags,
        )
    return out


def fabric(spec: Spec, catalog: Catalog) -> dict[str, int]:
    """Pool key -> EFA interfaces per node of its Karpenter NodePool (multi-node pools: Karpenter attaches EFA
    interfaces to instances whose pods request ``vpc.amazonaws.com/efa``)."""
    return {key: n for key in node_pools(spec, catalog, {}) if (n := efa_interfaces(spec, catalog, key))}


def provision(spec: Spec, catalog: Catalog, versions: dict[str, str], env: AwsEnvironment,
              provider: pulumi.ProviderResource, tags: dict[str, str]) -> list[pulumi.Resource]:
    """The autoscaler: the Cluster Autoscaler, or Karpenter with one ``KarpenterNodePool`` per pool that has one.
    Returns what the platform layer must wait for."""
    on_cluster = pulumi.ResourceOptions(providers=[provider])

    def controller_inputs(chart_name: str) -> dict:
        """What either autoscaler's Args take alike: the cluster, its OIDC provider (IRSA), the pinned chart."""
        chart = catalog.versions.charts[chart_name]
        return {"cluster_name": env.cluster_name, "oidc_provider_arn": env.oidc_provider_arn,
                "oidc_provider_url": env.oidc_provider_url, "chart_version": chart.version,
                "chart_repository": chart.repo, "tags": tags}

    if not karpenter(spec):
        # The autoscaler's release must match the control plane's minor: the catalogue pins one per minor.
        image = catalog.versions.images[AUTOSCALER_IMAGE_PREFIX + versions["kubernetes"]]
        args = ClusterAutoscalerArgs(**controller_inputs("cluster-autoscaler"), image=image.ref)
        return [ClusterAutoscaler(f"{spec.prefix}-autoscaler", args, opts=on_cluster)]
    # Node health for the accelerator nodes it launches (the monitoring agent's conditions): node repair on.
    repair = any(spec.node_pools[k].accelerator for k in node_pools(spec, catalog, tags))
    controller = Karpenter(f"{spec.prefix}-karpenter", KarpenterArgs(**controller_inputs(KARPENTER), node_repair=repair,
                                                                     image=catalog.versions.images[KARPENTER].ref),
                           opts=on_cluster)
    pools: list[pulumi.Resource] = []
    for key, args in node_pools(spec, catalog, tags).items():
        pools.append(
            KarpenterNodePool(
                f"{spec.prefix}-{key}-karpenter",
                dataclasses.replace(
                    args,
                    node_role_name=controller.node_role_name,
                    subnet_ids=env.private_subnet_ids,
                    security_group_ids=[env.node_security_group_id],
                ),
                # The CRDs arrive with the chart: the objects wait for the release.
                opts=pulumi.ResourceOptions(providers=[provider], depends_on=[controller]),
            )
        )
    return [controller, *pools]

