"""Policy checks over a Plan: ``check_plan(plan, protected, waivers)`` and the rule registry ``RULES``.

Rules live in the target packs (``mlstack.targets.<pack>.policy``), plus the rules every target shares that read
the packs' tables (``common``: stateful resources protected, secret inputs kept secret); each has an id, a
one-line rationale, the matching Checkov/Trivy ids and a level (mandatory in protected environments, advisory
elsewhere). A target pack's rules are about that target only (``Rule.cloud``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from mlstack import targets
from mlstack.engine.plan.model import Plan
from mlstack.engine.review.policy import common
from mlstack.engine.review.policy.base import Finding, Level, PolicyReport, Rule, RuleResult

__all__ = [
    "BASELINE", "RULES", "Finding", "PackLevel", "PolicyReport", "Rule", "RuleResult", "check_plan", "level_of", "pack_levels",
    "rule_ids", "validate_waivers",
]

RULES: list[Rule] = [
    *(replace(rule, cloud=pack.name if pack.target else None) for pack in targets.packs() for rule in pack.rules),
    *common.RULES,
]
_BY_ID = {r.id: r for r in RULES}
# The baseline: rules mandatory whatever `protect` says, that no waiver lifts. Each one stops the environment
# from being reachable by, or readable to, anyone outside it: a control plane open to the internet, public
# buckets or databases, SSH from the internet, CI trust any repository can assume, secrets in plain text.
# `protect: false` makes stateful resources deletable; it never makes them public.
BASELINE = frozenset({
    "MLS-AWS-001", "MLS-AWS-005", "MLS-AWS-006", "MLS-AWS-007", "MLS-AWS-015", "MLS-AWS-019",
    "MLS-GCP-001", "MLS-GCP-008", "MLS-GCP-011", "MLS-GCP-017",
    "MLS-GEN-002",
})
assert BASELINE <= set(_BY_ID), "unknown baseline rule id"
assert len(_BY_ID) == len(RULES), "duplicate policy rule id"


def rule_ids() -> list[str]:
    return sorted(_BY_ID)


def level_of(rule: Rule, protected: bool) -> Level:
    """A rule's level: mandatory in a protected environment and for baseline rules, else advisory; a
    recommendation (``always_advisory``) never blocks."""
    baseline = rule.id in BASELINE
    return "mandatory" if (protected or baseline) and not rule.always_advisory else "advisory"


@dataclass(frozen=True)
class PackLevel:
    """A rule's enforcement level in the CrossGuard policy pack of an environment, and why when it is disabled."""

    level: Literal["mandatory", "advisory", "disabled"]
    why: str = ""


def pack_levels(*, protected: bool, waivers: Mapping[str, str] | None = None, cloud: str | None = None) -> dict[str, PackLevel]:
    """Each rule's level in the policy pack of an environment, as ``check_plan`` assigns it (``level_of``), or
    disabled where ``check_plan`` never fails it: a waived rule, a rule checked in protected environments only
    (outside one), a rule about another target than ``cloud``, and a rule the pack cannot evaluate (its
    ``pack_gap``). ``cloud`` None: every target's rules are enforced."""
    waivers = dict(waivers or {})
    out: dict[str, PackLevel] = {}
    for rule in sorted(RULES, key=lambda r: r.id):
        if rule.pack_gap is not None and not rule.pack_gap.evaluated:
            out[rule.id] = PackLevel("disabled", f"the pack cannot see {rule.pack_gap.cannot_see}; enforced by {rule.pack_gap.instead}")
        elif cloud is not None and rule.cloud is not None and rule.cloud != cloud:
            out[rule.id] = PackLevel("disabled", f"about {rule.cloud}; this environment runs on {cloud}")
        elif rule.id in waivers and rule.id not in BASELINE:
            out[rule.id] = PackLevel("disabled", f"waived: {waivers[rule.id]}")
        elif rule.protected_only and not protected:
            out[rule.id] = PackLevel("disabled", "checked in protected environments only")
        else:
            out[rule.id] = PackLevel(level_of(rule, protected))
    return out


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
        baseline = rule.id in BASELINE
        level = level_of(rule, protected)
        if rule.id in waivers and rule.for_other_target(plan):
            results.append(RuleResult(rule, "n/a", level, waiver=waivers[rule.id]))
            continue
        if rule.id in waivers and not baseline:  # validate_waivers refuses baseline waivers; never honour one
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
    if spec_file is not None and any(k not in _BY_ID or not str(v).strip() or k in BASELINE for k, v in waivers.items()):
        from mlstack.spec.yaml_loader import load_with_extends

        loaded = load_with_extends(spec_file)
    for rule_id, reason in sorted(waivers.items()):
        if rule_id in _BY_ID and str(reason).strip() and rule_id not in BASELINE:
            continue
        loc = loaded.locate(("waivers", rule_id)) if loaded else None
        if rule_id not in _BY_ID:
            message = f"unknown policy rule {rule_id!r}. Known rules: {', '.join(rule_ids())}"
        elif rule_id in BASELINE:
            message = (f"{rule_id} ({_BY_ID[rule_id].title}) is a baseline rule: mandatory in every environment, "
                       "whatever protect says, and no waiver lifts it. Remove the waiver and fix what it reports")
        else:
            message = "a waiver needs a reason: waivers: {" + rule_id + ": \"why this rule does not apply\"}"
        problems.append(
            Problem(loc.file if loc else (str(spec_file) if spec_file else ""), loc.line if loc else 0,
                    loc.column if loc else 0, f"waivers.{rule_id}", message)
        )
    if problems:
        raise SpecError(problems)
