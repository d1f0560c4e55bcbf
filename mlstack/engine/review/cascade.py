"""What a replacement takes with it: the resources whose inputs come from a replaced resource's outputs.

A replaced resource gets new outputs (a new VPC id, new subnet ids, a new subnet group name). Under the plan's
mocks the ids stay the same, so a dependant's inputs look unchanged; the real engine sees them change. Each
dependant is judged by its own type's replace rule (the packs' tables) on the input that carries the value,
found in the recorded plan's property dependencies (``Registration.input_deps``):

- the input is a replace trigger (or lies under one): the dependant is **replaced** too, and what depends on it
  is judged in turn;
- a replace trigger lies below that input (where the new value lands is not recorded): **at risk** of
  replacement;
- otherwise it is updated in place with the new values: **at risk** (it briefly points at a resource that is
  going away).

A protected dependant that is replaced or at risk is blocking, like a protected resource replaced itself.
"""

from __future__ import annotations

from dataclasses import replace as with_fields

from mlstack.engine.plan.model import Plan
from mlstack.engine.review.changes import PropertyChange, ResourceChange


def dependants(plan: Plan) -> dict[str, list[tuple[str, str]]]:
    """URN -> (dependant URN, its input property) for every input that comes from that URN's outputs."""
    out: dict[str, list[tuple[str, str]]] = {}
    for r in plan.resources:
        for prop, urns in sorted(r.input_deps.items()):
            for urn in urns:
                out.setdefault(urn, []).append((r.urn, prop))
    return out


def _judge(type_: str, prop: str) -> str:
    """``replace``, ``maybe`` (a trigger lies below ``prop``) or ``update`` for a new value arriving at ``prop``."""
    from mlstack.engine.review.replace_rules import ALL, rule_for

    rule = rule_for(type_)
    if rule is None:
        return "update"
    if any(prop == e or prop.startswith(e + ".") for e in rule.except_):
        return "update"
    if any(p == ALL or prop == p or prop.startswith(p + ".") for p in rule.paths):
        return "replace"
    return "maybe" if any(p.startswith(prop + ".") for p in rule.paths) else "update"


def cascade(base: Plan, head: Plan, changes: list[ResourceChange]) -> list[ResourceChange]:
    """``changes`` with the dependants of every replaced resource marked, in URN order."""
    old, new = base.by_urn(), head.by_urn()
    by = {c.urn: c for c in changes}
    links = dependants(head)
    queue = sorted(c.urn for c in changes if c.action == "replace")
    while queue:
        cause = queue.pop(0)
        for urn, prop in links.get(cause, []):
            if urn not in old or urn not in new:
                continue  # created or deleted anyway
            was = by.get(urn)
            if was is not None and (was.action == "replace" or was.at_risk and was.caused_by):
                continue  # judged already (a second cause adds nothing a reviewer needs)
            r, before = new[urn], old[urn]
            verdict = _judge(r.type, prop) if r.custom else "update"
            cause_name = new[cause].name if cause in new else cause
            note = PropertyChange(prop, f"(from {cause_name})", f"(new, {cause_name} is replaced)", verdict == "replace")
            props = [*(was.properties if was else []), note]
            if verdict == "replace":
                by[urn] = ResourceChange(urn, r.type, r.name, "replace", props, blocking=before.protect, custom=r.custom,
                                         caused_by=cause_name)
                queue.append(urn)
            else:
                action = was.action if was else "update"
                by[urn] = with_fields(was, properties=props, at_risk=True, caused_by=cause_name,
                                      blocking=was.blocking or before.protect) if was else ResourceChange(
                    urn, r.type, r.name, action, props, blocking=before.protect, custom=r.custom, at_risk=True,
                    caused_by=cause_name)
    return [by[u] for u in sorted(by)]
