"""Rules over every target, from the packs' tables: protection of stateful resources, secrets kept secret."""

from __future__ import annotations

from collections.abc import Iterator

from mlstack import targets
from mlstack.engine.plan.model import Plan
from mlstack.engine.plan.recorder import SECRET
from mlstack.targets.policy import Finding, Rule, each, finding

# Resources that hold data (or keys to it): losing one loses data. From the packs' tables.
STATEFUL = tuple(token for _, token, entry in targets.entries() if entry.stateful)
SECRET_INPUTS = {token: entry.secret_inputs for _, token, entry in targets.entries() if entry.secret_inputs}


def _protected(plan: Plan) -> Iterator[Finding]:
    for r in each(plan, *STATEFUL):
        if not (r.protect and r.retain_on_delete):
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
         ("no Checkov/Trivy id (Pulumi resource options)",), STATEFUL, _protected, protected_only=True),
    Rule("MLS-GEN-002", "Secret values are Pulumi secrets", "Plain-text secrets end up readable in the state file.",
         ("no Checkov/Trivy id (Pulumi state encryption)",), tuple(SECRET_INPUTS), _secrets),
]
