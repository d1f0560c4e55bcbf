"""The policy model: rules over a Plan, their results, waivers and levels.

A rule reads the plan only (resource types and recorded wire inputs), never the spec, so that what is checked is
what `up` would create. Its level is *mandatory* in a protected environment (``spec.protected``) and *advisory*
elsewhere; a few recommendations (``always_advisory``) never block.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from mlstack.engine.plan.model import Plan
from mlstack.engine.plan.recorder import Registration

Status = Literal["pass", "fail", "waived", "n/a"]
Level = Literal["mandatory", "advisory"]


@dataclass(frozen=True)
class Finding:
    """One resource that breaks a rule, and why."""

    resource: str  # logical name
    type: str
    message: str


@dataclass(frozen=True)
class Rule:
    """A check over the plan.

    Attributes:
        id: stable id, ``MLS-<AREA>-<NNN>``.
        title: what must hold, in one line.
        rationale: why, in one line.
        refs: the matching Checkov / Trivy ids (or the CIS control where neither has one).
        types: resource types the rule looks at; a plan without any of them makes it not applicable.
        check: yields a Finding per offending resource.
        always_advisory: a recommendation that never blocks, even in a protected environment.
    """

    id: str
    title: str
    rationale: str
    refs: tuple[str, ...]
    types: tuple[str, ...]
    check: Callable[[Plan], Iterable[Finding]]
    always_advisory: bool = False
    protected_only: bool = False

    def applies(self, plan: Plan) -> bool:
        return any(plan.of_type(t) for t in self.types)

    @property
    def cloud(self) -> str | None:
        """The one cloud every type of the rule belongs to (``aws``, ``gcp``), or None (Kubernetes, general)."""
        clouds = {t.split(":")[1] if t.startswith("mlstack:") else t.split(":")[0] for t in self.types}
        return next(iter(clouds)) if len(clouds) == 1 and clouds <= {"aws", "gcp"} else None

    def for_other_target(self, plan: Plan) -> bool:
        """The rule is about another cloud than the plan's target (a GCP rule in an AWS environment)."""
        target = plan.target.get("cloud")
        return self.cloud is not None and bool(target) and self.cloud != target


@dataclass
class RuleResult:
    rule: Rule
    status: Status
    level: Level
    findings: list[Finding] = field(default_factory=list)
    waiver: str = ""  # the waiver's reason; on an "n/a" result, a waiver that was not needed (unused)

    @property
    def waiver_unused(self) -> bool:
        return self.status == "n/a" and bool(self.waiver)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.rule.id,
            "title": self.rule.title,
            "rationale": self.rule.rationale,
            "refs": list(self.rule.refs),
            "status": self.status,
            "level": self.level,
            "waiver": self.waiver or None,
            "waiver_unused": self.waiver_unused,
            "findings": [{"resource": f.resource, "type": f.type, "message": f.message} for f in self.findings],
        }


@dataclass
class PolicyReport:
    env: str
    protected: bool
    results: list[RuleResult]

    def violations(self, level: Level | None = None) -> list[RuleResult]:
        """Failed rules (waived ones excluded), optionally of one level."""
        return [r for r in self.results if r.status == "fail" and (level is None or r.level == level)]

    @property
    def unused_waivers(self) -> list[RuleResult]:
        """Waived rules that do not apply to the environment's target: reported "n/a", not counted as waived."""
        return [r for r in self.results if r.waiver_unused]

    def counts(self) -> dict[str, int]:
        out = {"pass": 0, "fail": 0, "waived": 0, "n/a": 0}
        for r in self.results:
            out[r.status] += 1
        out["mandatory_violations"] = len(self.violations("mandatory"))
        out["advisory_violations"] = len(self.violations("advisory"))
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "env": self.env,
            "protected": self.protected,
            "counts": self.counts(),
            "rules": [r.to_dict() for r in self.results],
        }


# -- helpers the rule modules share -------------------------------------------------------------------------


def get(value: Any, path: str, default: Any = None) -> Any:
    """``inputs`` at a dotted path; list items by index (``a.0.b``)."""
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return default
        if value is None:
            return default
    return value


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def policy_doc(value: Any) -> dict[str, Any]:
    """An IAM/bucket policy input (a JSON string or already a mapping) as a mapping; {} when unreadable."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            doc = json.loads(value)
        except ValueError:
            return {}
        return doc if isinstance(doc, dict) else {}
    return {}


def statements(value: Any) -> list[dict[str, Any]]:
    return [s for s in as_list(policy_doc(value).get("Statement")) if isinstance(s, dict)]


def each(plan: Plan, *types: str) -> Iterator[Registration]:
    for t in types:
        yield from plan.of_type(t)


def finding(r: Registration, message: str) -> Finding:
    return Finding(r.name, r.type, message)


def truthy(value: Any) -> bool:
    """Booleans as the wire may carry them (the EC2 launch template types some as strings)."""
    return value is True or (isinstance(value, str) and value.lower() == "true")
