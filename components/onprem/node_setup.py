"""On-premise node pools: existing nodes, described by their labels, not created.

Decision: this component registers no child resources; it turns the spec's description of existing
nodes (``selector`` labels, the taints they carry, the accelerator) into the ``nodeSelector`` and
``tolerations`` the platform layer puts on pods. It does not patch Node objects, for three reasons:

* ``NodePatch`` (server-side apply) needs node names, and the spec names pools by labels: nodes come
  and go (repairs, new racks) and a list of names in the program would drift from the cluster.
* ``spec.taints`` of a Node is an *atomic* list under server-side apply (``x-kubernetes-list-type:
  atomic``): a field manager owning it replaces the whole list, fighting the node controller
  (``node.kubernetes.io/unschedulable`` when cordoned, ``not-ready``) and the kubelet's
  ``--register-with-taints``. Labels are a granular map and would be safe, but by definition the
  selector labels are already on the nodes.
* Node labels and taints on premises belong to whoever provisions the machines (kubeadm config,
  Ansible, the GPU operator's feature discovery), which re-applies them when a node re-joins.

So the cluster admin labels and taints nodes; the spec states what is there; pods select it. A
selector that matches no node shows as Pending pods, which the verification Job surfaces.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

TOKEN = "mlstack:k8s:OnPremNodePool"


@dataclass(frozen=True, kw_only=True)
class NodeTaint:
    """A taint the nodes of a pool carry (applied by the cluster admin).

    Attributes:
        key: the taint key, e.g. "nvidia.com/gpu".
        value: the taint value; None for a key-only taint.
        effect: "NoSchedule", "PreferNoSchedule" or "NoExecute".
    """

    key: str
    effect: str
    value: str | None = None


@dataclass(frozen=True, kw_only=True)
class OnPremNodePoolArgs:
    """Inputs of :class:`OnPremNodePool`.

    Attributes:
        selector: labels every node of the pool carries, e.g. {"mlstack.io/pool": "a100"}; required.
        taints: taints those nodes carry; pods of the pool tolerate exactly these. None by default.
        accelerator: the portable accelerator name the nodes carry (e.g. "nvidia-a100-80gb"); None for CPU.
        gpus_per_node: GPUs per node; 0 for CPU pools.
    """

    selector: Mapping[str, str]
    taints: Sequence[NodeTaint] = field(default_factory=tuple)
    accelerator: str | None = None
    gpus_per_node: int = 0


class OnPremNodePool(pulumi.ComponentResource):
    """The scheduling contract of a pool of existing nodes. Registers no children (see module docstring).

    Outputs:
        node_selector: the pool's labels, sorted.
        tolerations: typed ``TolerationArgs`` for each taint (``Equal`` with a value, ``Exists`` without).
        gpu: whether the pool carries GPUs (``nvidia.com/gpu`` resources).
        gpus_per_node: GPUs per node.
    """

    def __init__(self, name: str, args: OnPremNodePoolArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        if not args.selector:
            raise ValueError(f"node pool {name!r} needs selector labels to find its nodes")
        effects = {"NoSchedule", "PreferNoSchedule", "NoExecute"}
        for taint in args.taints:
            if taint.effect not in effects:
                raise ValueError(f"node pool {name!r}: taint {taint.key!r} has effect {taint.effect!r}, not one of {sorted(effects)}")
        # The selector is the component's recorded input: what a plan shows of the pool (parity reads it).
        super().__init__(TOKEN, name, {"nodeSelector": dict(sorted(args.selector.items()))}, opts)
        self.node_selector: dict[str, str] = dict(sorted(args.selector.items()))
        ordered = sorted(args.taints, key=lambda t: (t.key, t.effect, t.value or ""))
        self.tolerations: list[k8s.core.v1.TolerationArgs] = [
            k8s.core.v1.TolerationArgs(
                key=t.key,
                operator="Equal" if t.value is not None else "Exists",
                value=t.value,
                effect=t.effect,
            )
            for t in ordered
        ]
        self.gpu: bool = args.gpus_per_node > 0
        self.gpus_per_node: int = args.gpus_per_node
        self.accelerator: str | None = args.accelerator
        self.register_outputs(
            {
                "accelerator": self.accelerator,
                "gpu": self.gpu,
                "node_selector": self.node_selector,
                "tolerations": [ {k: v for k, v in (("key", t.key), ("operator", "Equal" if t.value is not None else "Exists"), ("value", t.value), ("effect", t.effect)) if v is not None} for t in ordered ],
                "gpus_per_node": self.gpus_per_node,
            }
        )
