"""Passing and failing fixtures of the node-provisioning policy rule MLS-AWS-024 (Karpenter interruption
handling), for test_policy_rules.CASES."""

from __future__ import annotations

import json

from .fixtures import reg

NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"
RELEASE = "kubernetes:helm.sh/v3:Release"
RULE = "aws:cloudwatch/eventRule:EventRule"


def node_pool(*capacity: str, name: str = "a100"):
    requirements = [{"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["p4de.24xlarge"]}]
    if capacity:
        requirements.insert(0, {"key": "karpenter.sh/capacity-type", "operator": "In", "values": list(capacity)})
    return reg(NODE_POOL, f"np-{name}", {"metadata": {"name": name}, "spec": {"template": {"spec": {"requirements": requirements}}}})


def karpenter(queue: str | None = "acme-ml-staging-karpenter-interruption-1a2b3c4"):
    settings = {"clusterName": "acme-ml-staging"} | ({"interruptionQueue": queue} if queue else {})
    return reg(RELEASE, "karpenter", {"chart": "oci://public.ecr.aws/karpenter/karpenter", "values": {"settings": settings}})


def rule(detail_type: str):
    return reg(RULE, f"rule-{detail_type.split()[1].lower()}",
               {"eventPattern": json.dumps({"detail-type": [detail_type], "source": ["aws.ec2"]}, sort_keys=True)})


SPOT = "EC2 Spot Instance Interruption Warning"
RESERVED = "EC2 Capacity Reservation Instance Interruption Warning"

CAPACITY_CASES: dict[str, tuple[list, list]] = {
    # Pass: the queue is read and both warnings are forwarded; an on-demand-only pool needs neither.
    "MLS-AWS-024": ([node_pool("reserved", "spot", "on-demand"), node_pool("on-demand", name="cpu"), karpenter(), rule(SPOT), rule(RESERVED)],
                    # Fail: no queue setting (the spot pool), and a reserved pool whose warning no rule forwards.
                    [node_pool("spot"), karpenter(None), rule(SPOT)]),
}


# -- GCP: MLS-GCP-021 (ComputeClasses fall back beyond Spot and name their reservations) ----------------------
COMPUTE_CLASS = "kubernetes:cloud.google.com/v1:ComputeClass"


def compute_class(name: str, *priorities: dict):
    return reg(COMPUTE_CLASS, f"cc-{name}", {"metadata": {"name": name}, "spec": {"priorities": list(priorities),
                                                                                   "whenUnsatisfiable": "DoNotScaleUp"}})


A2 = {"machineType": "a2-ultragpu-8g"}
CAPACITY_CASES["MLS-GCP-021"] = (
    # Pass: a named reservation, then spot, then on-demand; an on-demand-only class.
    [compute_class("a100", {**A2, "reservations": {"affinity": "Specific", "specific": [{"name": "a100-res"}]}},
                   {**A2, "spot": True}, A2),
     compute_class("l4", {"machineType": "g2-standard-4"})],
    # Fail: Spot alone; any reservation (Compute Engine falls back to on-demand itself).
    [compute_class("spot", {**A2, "spot": True}),
     compute_class("any", {**A2, "reservations": {"affinity": "AnyBestEffort"}}, {**A2, "spot": True})],
)
