"""Policy results: what each rule said about a plan, with waivers and levels (the rules are in the packs,
their model in ``mlstack.targets.policy``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from mlstack.targets.policy import Finding, Rule

__all__ = ["Finding", "Level", "PolicyReport", "Rule", "RuleResult", "Status"]

Status = Literal["pass", "fail", "waived", "n/a"]
Level = Literal["mandatory", "advisory"]


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
