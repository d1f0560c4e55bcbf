"""Policy checks over a Plan: ``check_plan(plan, protected, waivers)`` and the rule registry ``RULES``.

Rules live in the target packs (``mlstack.targets.<pack>.policy``), plus the rules every target shares that read
the packs' tables (``common``: stateful resources protected, secret inputs kept secret); each has an id, a
one-line rationale, the matching Checkov/Trivy ids and a level (mandatory in protected environments, advisory
elsewhere). A target pack's rules are about that target only (``Rule.cloud``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from dataclasses import replace

from mlstack import targets
from mlstack.engine.plan.model import Plan
from mlstack.engine.review.policy import common
from mlstack.engine.review.policy.base import Finding, Level, PolicyReport, Rule, RuleResult

__all__ = ["RULES", "Finding", "PolicyReport", "Rule", "RuleResult", "check_plan", "rule_ids", "validate_waivers"]

RULES: list[Rule] = [
    *(replace(rule, cloud=pack.name if pack.target else None) for pack in targets.packs() for rule in pack.rules),
    *common.RULES,
]
_BY_ID = {r.id: r for r in RULES}
assert len(_BY_ID) == len(RULES), "duplicate policy rule id"


def rule_ids() -> list[str]:
    return sorted(_BY_ID)


def check_plan(plan: Plan, *, protected: bool, waivers: Mapping[str, str] | None = None) -> PolicyReport:
    """Evaluates every rule on ``plan``.

    Args:
        plan: the plan to check.
        protected: the environment is protected (``spec.protected``): rules are mandatory, else advisory.
        waivers: rule id -> reason; a waived rule is reported as waived with its reason and never fails. A waiver
            of a rule about another cloud than the plan's target is unused: the rule is reported "n/a" with the
            waiver attached (``PolicyReport.unused_waivers``), and not counted as waived.
    """
    waivers = dict(waivers or {})
    results: list[RuleResult] = []
    for rule in sorted(RULES, key=lambda r: r.id):
        level: Level = "mandatory" if protected and not rule.always_advisory else "advisory"
        if rule.id in waivers and rule.for_other_target(plan):
            results.append(RuleResult(rule, "n/a", level, waiver=waivers[rule.id]))
            continue
        if rule.id in waivers:
            results.append(RuleResult(rule, "waived", level, waiver=waivers[rule.id]))
            continue
        if not rule.applies(plan) or (rule.protected_only and not protected):
            results.append(RuleResult(rule, "n/a", level))
            continue
        findings = sorted(set(rule.check(plan)), key=lambda f: (f.type, f.resource, f.message))
        results.append(RuleResult(rule, "fail" if findings else "pass", level, findings))
    return PolicyReport(plan.env, protected, results)


def validate_waivers(waivers: Mapping[str, str], spec_file: Path | None = None) -> None:
    """Rejects waivers of unknown rules and waivers without a reason.

    Raises:
        SpecError: one problem per bad waiver, at ``waivers.<id>``, located in the spec file when given.
    """
    from mlstack.spec.errors import Problem, SpecError

    problems = []
    loaded = None
    if spec_file is not None and any(k not in _BY_ID or not str(v).strip() for k, v in waivers.items()):
        from mlstack.spec.yaml_loader import load_with_extends

        loaded = load_with_extends(spec_file)
    for rule_id, reason in sorted(waivers.items()):
        if rule_id in _BY_ID and str(reason).strip():
            continue
        loc = loaded.locate(("waivers", rule_id)) if loaded else None
        if rule_id not in _BY_ID:
            message = f"unknown policy rule {rule_id!r}. Known rules: {', '.join(rule_ids())}"
        else:
            message = "a waiver needs a reason: waivers: {" + rule_id + ": \"why this rule does not apply\"}"
        problems.append(
            Problem(loc.file if loc else (str(spec_file) if spec_file else ""), loc.line if loc else 0,
                    loc.column if loc else 0, f"waivers.{rule_id}", message)
        )
    if problems:
        raise SpecError(problems)
