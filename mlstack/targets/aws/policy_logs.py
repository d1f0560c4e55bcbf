"""AWS log rules over the recorded wire inputs: every CloudWatch log group has a retention and is encrypted with a
customer-managed key (the control plane's audit log and the containers' logs, MLflow's access log among them)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mlstack.targets.policy import Finding, Rule, each, finding

if TYPE_CHECKING:
    from mlstack.engine.plan.model import Plan

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def _log_groups(plan: Plan) -> Iterator[Finding]:
    for r in each(plan, LOG_GROUP):
        if not r.inputs.get("retentionInDays"):
            yield finding(r, "no retention: CloudWatch keeps (and bills) every event forever")
        if not r.inputs.get("kmsKeyId"):
            yield finding(r, "no customer-managed key (kmsKeyId): CloudWatch's own key, which the account cannot "
                             "revoke or audit")


RULES: list[Rule] = [
    Rule("MLS-AWS-026", "CloudWatch log groups have a retention and a customer-managed key",
         "The control plane's audit log (who did what to the cluster) and the containers' logs, the hub's access log "
         "among them (who reached MLflow, from where): encrypted under the account's own key and kept for a stated "
         "time, not forever.", ("CKV_AWS_66", "CKV_AWS_158"), (LOG_GROUP,), _log_groups),
]
