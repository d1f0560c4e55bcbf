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

Besides inputs, it follows every other dependency the plan records:

- **explicit** ``depends_on`` (a resource that waits for the replaced one, or for a component holding it: Pulumi
  waits for a component's children): **at risk** (created against a resource that is going away);
- **parent and child**: a component that is replaced or at risk takes all its children with it, the same way;
- **providers**: the resources of a provider that is replaced are replaced (Pulumi replaces what a replaced
  provider manages); of one at risk (a Kubernetes provider whose cluster is replaced), at risk.

Only what is replaced is followed further; what is at risk is marked, not followed (it keeps its identity).
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


def ordering_dependants(plan: Plan) -> dict[str, list[str]]:
    """URN -> the URNs that wait for it through ``depends_on``: on it, or on a component that holds it."""
    kids = children(plan)

    def subtree(urn: str) -> list[str]:
        return [urn, *(d for k in kids.get(urn, []) for d in subtree(k))]

    out: dict[str, list[str]] = {}
    for r in plan.resources:
        for dep in r.depends_on:
            for urn in subtree(dep):
                if r.urn not in out.setdefault(urn, []):
                    out[urn].append(r.urn)
    return out


def children(plan: Plan) -> dict[str, list[str]]:
    """URN -> its children's URNs (``parent``)."""
    out: dict[str, list[str]] = {}
    for r in plan.resources:
        if r.parent:
            out.setdefault(r.parent, []).append(r.urn)
    return out


def provider_users(plan: Plan) -> dict[str, list[str]]:
    """Provider URN -> the URNs of the resources it manages (a resource names its provider by its name)."""
    named: dict[str, list[str]] = {}
    for r in plan.resources:
        if r.type.startswith("pulumi:providers:"):
            named.setdefault(r.name, []).append(r.urn)
    out: dict[str, list[str]] = {}
    for r in plan.resources:
        for provider in named.get(r.provider, []) if r.provider else []:
            out.setdefault(provider, []).append(r.urn)
    return out


def cascade(base: Plan, head: Plan, changes: list[ResourceChange]) -> list[ResourceChange]:
    """``changes`` with the dependants of every replaced resource marked, in URN order."""
    old, new = base.by_urn(), head.by_urn()
    by = {c.urn: c for c in changes}
    links, waiting, kids, managed = dependants(head), ordering_dependants(head), children(head), provider_users(head)
    queue = sorted(c.urn for c in changes if c.action == "replace")

    def mark(urn: str, verdict: str, root: str, note: PropertyChange) -> None:
        """Marks ``urn`` replaced (``verdict`` "replace") or at risk because ``root`` is replaced, then what goes
        with it: a component's children, a provider's resources."""
        if urn not in old or urn not in new:
            return  # created or deleted anyway
        was = by.get(urn)
        if was is not None and (was.action == "replace" or was.at_risk and was.caused_by):
            return  # judged already (a second cause adds nothing a reviewer needs)
        r, before = new[urn], old[urn]
        props = [*(was.properties if was else []), note]
        if verdict == "replace":
            by[urn] = ResourceChange(urn, r.type, r.name, "replace", props, blocking=before.protect, custom=r.custom,
                                     caused_by=root)
            queue.append(urn)
        elif was is not None:
            by[urn] = with_fields(was, properties=props, at_risk=True, caused_by=root, blocking=was.blocking or before.protect)
        else:
            by[urn] = ResourceChange(urn, r.type, r.name, "update", props, blocking=before.protect, custom=r.custom,
                                     at_risk=True, caused_by=root)
        if verdict != "replace":  # a replaced one's are taken when the queue reaches it
            take_along(urn, verdict, root)

    def take_along(urn: str, verdict: str, root: str) -> None:
        """What goes with ``urn``: a component's children, a provider's resources."""
        r = new.get(urn)
        if r is None:
            return
        going = "replaced" if verdict == "replace" else "at risk"
        with_it = kids.get(urn, []) if not r.custom else managed.get(urn, []) if r.type.startswith("pulumi:providers:") else []
        relation = "parent" if not r.custom else "provider"
        before = f"(in {r.name})" if not r.custom else f"({r.name})"
        for other in with_it:
            mark(other, verdict, root, PropertyChange(relation, before, f"({r.name} is {going})", verdict == "replace"))

    while queue:
        cause = queue.pop(0)
        name = new[cause].name if cause in new else cause
        take_along(cause, "replace", name)
        for urn, prop in links.get(cause, []):
            if urn in new:
                verdict = _judge(new[urn].type, prop) if new[urn].custom else "update"
                mark(urn, verdict, name, PropertyChange(prop, f"(from {name})", f"(new, {name} is replaced)", verdict == "replace"))
        for urn in waiting.get(cause, []):
            mark(urn, "update", name, PropertyChange("dependsOn", f"(waits for {name})", f"({name} is replaced)", False))
    return [by[u] for u in sorted(by)]
