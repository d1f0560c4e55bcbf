"""AWS node-provisioning rules over the recorded wire inputs: spot and reserved Karpenter NodePools have
interruption handling."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mlstack.targets.aws.table_capacity import NODE_POOL, requirements
from mlstack.targets.policy import Finding, Rule, each, finding, get

if TYPE_CHECKING:
    from mlstack.engine.plan.model import Plan

RELEASE = "kubernetes:helm.sh/v3:Release"
EVENT_RULE = "aws:cloudwatch/eventRule:EventRule"
# The EventBridge detail-types that announce the end of a spot instance or of a reserved one (a capacity
# reservation reclaimed, a Capacity Block ending): Karpenter drains the node when it reads them from its queue.
WARNINGS = {
    "spot": "EC2 Spot Instance Interruption Warning",
    "reserved": "EC2 Capacity Reservation Instance Interruption Warning",
}


def _queues(plan: Plan) -> set[str]:
    """The interruption queues Karpenter releases read (``settings.interruptionQueue``)."""
    return {
        str(get(r.inputs, "values.settings.interruptionQueue") or "")
        for r in each(plan, RELEASE)
        if str(r.inputs.get("chart", "")).endswith("/karpenter")
    } - {""}


def _interruption_handling(plan: Plan) -> Iterator[Finding]:
    queues = _queues(plan)
    patterns = " ".join(str(r.inputs.get("eventPattern", "")) for r in each(plan, EVENT_RULE))
    for pool in each(plan, NODE_POOL):
        # No capacity-type requirement lets Karpenter launch spot as well as on-demand.
        types = requirements(pool.inputs).get("karpenter.sh/capacity-type") or ["spot", "on-demand"]
        for kind, warning in WARNINGS.items():
            if kind not in types:
                continue
            if not queues:
                yield finding(pool, f"{kind} capacity, but no Karpenter release reads an interruption queue "
                                    "(values.settings.interruptionQueue): a reclaimed node dies without a drain")
            elif warning not in patterns:
                yield finding(pool, f"{kind} capacity, but no EventBridge rule forwards {warning!r} to the queue")


RULES: list[Rule] = [
    Rule("MLS-AWS-024", "Spot and reserved Karpenter NodePools have interruption handling",
         "Without the two-minute warning a reclaimed node kills its training job mid-step instead of draining it.",
         ("no Checkov/Trivy id (Karpenter interruption handling)",), (NODE_POOL,), _interruption_handling),
]
