"""AWS log rules over the recorded wire inputs: every CloudWatch log group has a retention, and the groups that
hold container logs (MLflow's access log among them) are encrypted with a customer-managed key."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mlstack.targets.policy import Finding, Rule, each, finding

if TYPE_CHECKING:
    from mlstack.engine.plan.model import Plan

LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
#: Where the amazon-cloudwatch-observability add-on writes (components/aws/container_logs.py).
CONTAINER_LOGS = "/aws/containerinsights/"


def _log_groups(plan: Plan) -> Iterator[Finding]:
    for r in each(plan, LOG_GROUP):
        if not r.inputs.get("retentionInDays"):
            yield finding(r, "no retention: CloudWatch keeps (and bills) every event forever")
        if str(r.inputs.get("name", "")).startswith(CONTAINER_LOGS) and not r.inputs.get("kmsKeyId"):
            yield finding(r, "container logs without a customer-managed key (kmsKeyId)")


RULES: list[Rule] = [
    Rule("MLS-AWS-026", "CloudWatch log groups have a retention; container log groups are KMS-encrypted",
         "Container logs carry the hub's access log (who reached MLflow, from where): encrypted under the account's own "
         "key and kept for a stated time, not forever.", ("CKV_AWS_66", "CKV_AWS_158"), (LOG_GROUP,), _log_groups),
]
