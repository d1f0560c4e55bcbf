"""Passing and failing fixtures of the workload-layer policy rules (MLS-WL-*, MLS-AWS-023, MLS-GCP-019), for
test_policy_rules.CASES."""

from __future__ import annotations

from .fixtures import reg

KUEUE = "kubernetes:kueue.x-k8s.io/v1beta2"
NS = "kubernetes:core/v1:Namespace"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LT = "aws:ec2/launchTemplate:LaunchTemplate"
GKE_POOL = "gcp:container/nodePool:NodePool"
GPU_TAINT = {"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}
POOL_LABELS = {"mlstack.io/pool": "a100", "mlstack.io/accelerator": "nvidia-a100-80gb"}


def team_ns(name: str = "research"):
    return reg(NS, f"ns-{name}", {"metadata": {"name": name, "labels": {"mlstack.io/team": name}}})


def cluster_queue(name: str = "research"):
    return reg(f"{KUEUE}:ClusterQueue", f"cq-{name}", {"metadata": {"name": name}, "spec": {"cohortName": "mlstack"}})


def local_queue(namespace: str = "research", cluster_queue: str = "research"):
    return reg(f"{KUEUE}:LocalQueue", f"lq-{namespace}", {"metadata": {"name": "default", "namespace": namespace},
                                                         "spec": {"clusterQueue": cluster_queue}})


def flavor(name: str = "a100", labels: dict | None = None):
    return reg(f"{KUEUE}:ResourceFlavor", f"flavor-{name}", {"metadata": {"name": name},
                                                              "spec": {"nodeLabels": labels if labels is not None else {"mlstack.io/pool": name}}})


def node_group(max_size: int, parent: str = "urn:pool"):
    return reg(NODE_GROUP, "a100-ng", {"labels": POOL_LABELS, "taints": [GPU_TAINT], "scalingConfig": {"minSize": 0, "maxSize": max_size}},
               parent=parent)


def launch_template(efa: bool, parent: str = "urn:pool"):
    interfaces = [{"deviceIndex": 0, "networkCardIndex": 0, "interfaceType": "interface"}]
    if efa:
        interfaces.append({"deviceIndex": 1, "networkCardIndex": 0, "interfaceType": "efa"})
    return reg(LT, "a100-lt", {"networkInterfaces": interfaces}, parent=parent)


def gke_pool(compact: bool):
    inputs = {"nodeConfig": {"labels": POOL_LABELS, "taints": [GPU_TAINT]}, "autoscaling": {"totalMinNodeCount": 0, "totalMaxNodeCount": 4}}
    if compact:
        inputs["placementPolicy"] = {"type": "COMPACT"}
    return reg(GKE_POOL, "a100-pool", inputs)


WORKLOAD_CASES = {
    "MLS-WL-001": ([team_ns(), cluster_queue(), local_queue()],
                   [team_ns(), team_ns("vision"), cluster_queue(), local_queue(), local_queue("vision", "nowhere")]),
    "MLS-WL-002": ([flavor(), node_group(1)], [flavor("l4"), node_group(1), gke_pool(True)]),
    "MLS-AWS-023": ([node_group(2), launch_template(True), node_group(1, parent="urn:small")],
                    [node_group(2), launch_template(False)]),
    "MLS-GCP-019": ([gke_pool(True)], [gke_pool(False)]),
}
