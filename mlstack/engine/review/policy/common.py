"""Rules over every target, from the packs' tables: protection of stateful resources, secrets kept secret."""

from __future__ import annotations

from collections.abc import Iterator

from mlstack import targets
from mlstack.engine.plan.model import Plan
from mlstack.engine.plan.registration import SECRET
from mlstack.targets.policy import Finding, PackGap, Rule, each, finding

# Resources that hold data (or keys to it): losing one loses data. From the packs' tables.
STATEFUL = tuple(token for _, token, entry in targets.entries() if entry.stateful)
SECRET_INPUTS = {token: entry.secret_inputs for _, token, entry in targets.entries() if entry.secret_inputs}


def _protected(plan: Plan) -> Iterator[Finding]:
    # retain_on_delete is None where it cannot be seen (a CrossGuard pack's resources): protect is checked alone.
    for r in each(plan, *STATEFUL):
        if not r.protect or r.retain_on_delete is False:
            yield finding(r, "stateful resource without protect + retain_on_delete")


def _secrets(plan: Plan) -> Iterator[Finding]:
    for type_, keys in SECRET_INPUTS.items():
        for r in plan.of_type(type_):
            for key in keys:
                value = r.inputs.get(key)
                if value is None or value == SECRET:
                    continue
                values = value.values() if isinstance(value, dict) else [value]
                if any(v != SECRET for v in values):
                    yield finding(r, f"{key} is stored in plain text in the state (not a Pulumi secret)")


RULES: list[Rule] = [
    Rule("MLS-GEN-001", "Stateful resources are protected in protected environments",
         "protect blocks destroys and replacements; retain_on_delete keeps data when a resource leaves the program.",
         ("no Checkov/Trivy id (Pulumi resource options)",), STATEFUL, _protected, protected_only=True,
         pack_gap=PackGap(
             "retain_on_delete: CrossGuard's resource options carry protect but not retain-on-delete",
             evaluated=True,
             instead="the components set retain_on_delete together with protect, from the one spec flag "
                     "(components/_base.py stateful_opts), and mlstack check / diff read both on the plan")),
    Rule("MLS-GEN-002", "Secret values are Pulumi secrets", "Plain-text secrets end up readable in the state file.",
         ("no Checkov/Trivy id (Pulumi state encryption)",), tuple(SECRET_INPUTS), _secrets,
         pack_gap=PackGap(
             "secretness: pulumi-policy unwraps Pulumi secrets before a validation reads the properties",
             evaluated=False,
             instead="mlstack check / diff on the recorded plan, where a secret input stays marked as one")),
]
