"""The on-premise target: an existing Kubernetes cluster (kube context), its labelled nodes, NFS, and in-cluster
object store, Postgres and registry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlstack.targets.base import CapacityRules, Pack, Remote, Scaffold, SpecRules
from mlstack.targets.onprem import table


def stack_config(target: Mapping[str, Any]) -> dict[str, str]:
    """The provider config of the stack: the kube context and kubeconfig of the existing cluster."""
    config = {}
    if target.get("kube_context"):
        config["kubernetes:context"] = target["kube_context"]
    if target.get("kubeconfig_path"):
        config["kubernetes:kubeconfig"] = target["kubeconfig_path"]
    return config


PACK = Pack(
    name="onprem",
    target=True,
    providers=(),
    types=table.TYPES,
    stack_config=stack_config,
    mapping="mlstack.targets.onprem.mapping",
    unpriced_note="on-premise hardware is not priced",
    spec=SpecRules(
        existing_cluster=True,
        gateway_class_required=True,
        capacity=CapacityRules(
            refused="onprem pools describe existing nodes and nothing provisions them. Remove it; add nodes to the "
            "cluster and select them with selector: labels",
        ),
    ),
    remote=Remote(kubeconfig_secret=True),
    scaffold=Scaffold(flags=("--kube-context", "--nfs-server", "--nfs-path")),
)
