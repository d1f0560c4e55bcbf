"""mlstack's policy rules as Pulumi CrossGuard stack validation policies (``pulumi-policy``).

The program ``mlstack policy-pack`` writes imports this module: each rule of ``RULES`` (the very definitions
``mlstack check`` evaluates; nothing here restates a rule) becomes a ``StackValidationPolicy`` named by its id.
A stack policy sees every resource of the stack at once, which the rules need (an S3 bucket and its public
access block, a pool and its launch template, a namespace and its NetworkPolicy). Its validation turns the
``PolicyResource`` list into the ``Plan`` the rules read, runs the rule, and reports each finding at its
resource's URN; a rule whose resource types are absent is reported not applicable, as ``check`` says "n/a".

What the arguments cannot carry is the rule's ``pack_gap`` (``mlstack.targets.policy.PackGap``): CrossGuard's
resource options have no retain-on-delete (``retain_on_delete`` is None in the view, MLS-GEN-001 checks
protect alone) and pulumi-policy unwraps secrets before a validation runs (MLS-GEN-002 is disabled in packs).

Only the pack's program and the tests import this module (it needs ``pulumi-policy``: the ``policy`` extra).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    PolicyResource,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from mlstack import targets
from mlstack.engine.plan.model import Plan
from mlstack.engine.plan.registration import UNKNOWN, Registration
from mlstack.engine.review.policy import RULES, Rule

LEVELS = {"mandatory": EnforcementLevel.MANDATORY, "advisory": EnforcementLevel.ADVISORY,
          "disabled": EnforcementLevel.DISABLED}
_BY_ID = {r.id: r for r in RULES}


def plain(value: Any) -> Any:
    """A property value as plain data, as the recorded plan holds it: pulumi-policy's read-only proxies become
    dicts and lists, a value not known yet (a preview) becomes ``[unknown]``, and integral numbers become ints
    (the wire carries every number as a double)."""
    if isinstance(value, Mapping):
        out = {}
        for key in value:
            try:
                out[key] = plain(value[key])
            except UnknownValueError:
                out[key] = UNKNOWN
        return out
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        items = []
        for i in range(len(value)):
            try:
                items.append(plain(value[i]))
            except UnknownValueError:
                items.append(UNKNOWN)
        return items
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def registration(resource: PolicyResource) -> Registration:
    """What the rules read of one resource, from CrossGuard's view of it.

    ``custom`` is whether the type belongs to a provider a target pack knows (components and the stack have
    ``<package>:<module>:<Name>`` tokens of their own); ``retain_on_delete`` is None: CrossGuard does not expose it.
    """
    opts = resource.opts
    return Registration(
        urn=resource.urn,
        type=resource.resource_type,
        name=resource.name,
        parent=opts.parent or "",
        custom=targets.owner(resource.resource_type) is not None,
        inputs=plain(resource.props),
        protect=bool(opts.protect),
        retain_on_delete=None,
        depends_on=[d.urn for d in resource.dependencies],
        provider=resource.provider.urn if resource.provider is not None else "",
        ignore_changes=list(opts.ignore_changes or []),
        additional_secret_outputs=list(opts.additional_secret_outputs or []),
    )


def plan_of(resources: Sequence[PolicyResource], *, target: str | None) -> Plan:
    """The stack's resources as the Plan the rules read (``target``: the environment's ``target.cloud``)."""
    regs = sorted((registration(r) for r in resources), key=lambda r: r.urn)
    project, env = _project_env(regs[0].urn) if regs else ("", "")
    return Plan(project=project, env=env, target={"cloud": target} if target else {}, resources=regs)


def _project_env(urn: str) -> tuple[str, str]:
    # urn:pulumi:<stack>::<project>::<type>::<name>
    parts = urn.split("::")
    return (parts[1], parts[0].rsplit(":", 1)[-1]) if len(parts) >= 2 else ("", "")


def validation(rule: Rule, *, target: str | None):
    """The stack validation of one rule: its findings reported at their URNs, "n/a" as not applicable."""

    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        plan = plan_of(args.resources, target=target)
        if not rule.applies(plan):
            args.not_applicable(f"no resource of the types {rule.id} reads ({', '.join(rule.types)})")
        for f in sorted(set(rule.check(plan)), key=lambda f: (f.type, f.resource, f.message)):
            report_violation(f.message, f.urn or None)

    return validate


def policies(levels: Mapping[str, str], *, target: str | None) -> list[StackValidationPolicy]:
    """One stack validation policy per rule id in ``levels`` (id -> ``mandatory``/``advisory``/``disabled``)."""
    out = []
    for rule_id, level in levels.items():
        rule = _BY_ID[rule_id]
        description = f"{rule.title}. {rule.rationale}"
        if rule.pack_gap is not None:
            description += f" (This pack cannot see {rule.pack_gap.cannot_see}; enforced by {rule.pack_gap.instead}.)"
        out.append(StackValidationPolicy(
            name=rule.id,
            description=description,
            validate=validation(rule, target=target),
            enforcement_level=LEVELS[level],
            display_name=rule.title,
            tags=list(rule.refs),
        ))
    return out


def serve(name: str, levels: Mapping[str, str], *, target: str | None) -> None:  # pragma: no cover - blocks, serving
    """Runs the policy pack: pulumi-policy serves the analyzer to the Pulumi CLI until it is stopped."""
    PolicyPack(name=name, policies=policies(levels, target=target), enforcement_level=EnforcementLevel.ADVISORY)
