"""Resource-by-resource comparison of two Plans: what a `pulumi preview` between them would show.

Two plans are matched on URN. A URN present only in the head is a create, only in the base a delete; a URN in
both with different inputs is an update, or a replace when a changed input forces replacement
(``replace_rules``). Deleting or replacing a resource that is protected in the base plan is *blocking*: the
real engine refuses it (``protect``) or it destroys data.

Two environments (``diff --env a --env b``) are compared by ``envdiff.compare_envs``, into the same PlanDiff.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from mlstack.engine.plan.model import Plan
from mlstack.engine.review.changes import ACTIONS, Action, PropertyChange, ResourceChange  # noqa: F401 - re-exported

ENV_PLACEHOLDER = "<env>"  # what envdiff writes for the environment name
_MISSING = "(absent)"
_SYMBOL = {"create": "+", "update": "~", "replace": "+-", "delete": "-"}


@dataclass
class PlanDiff:
    """Every difference between a base and a head plan, in URN order.

    Attributes:
        base_label: what the base is (``main``, ``staging``, ...).
        head_label: what the head is (``working tree``, ``prod``, ...).
        env: the environment compared (for an environment comparison: ``staging..prod``).
        changes: one entry per created, deleted, updated or replaced resource.
        unchanged: how many resources are identical on both sides.
        extras: more sections for reports (cost delta, version drift, policy), merged into ``to_dict``.
    """

    base_label: str
    head_label: str
    env: str
    changes: list[ResourceChange]
    unchanged: int = 0
    extras: dict[str, Any] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        """Changes per action (create, update, replace, delete), plus ``same`` and ``blocking``."""
        out = {a: 0 for a in ACTIONS}
        for c in self.changes:
            out[c.action] += 1
        out["same"] = self.unchanged
        out["blocking"] = sum(1 for c in self.changes if c.blocking)
        return out

    @property
    def blocking(self) -> list[ResourceChange]:
        return [c for c in self.changes if c.blocking]

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "env": self.env,
            "base": self.base_label,
            "head": self.head_label,
            "counts": self.counts(),
            "changes": [c.to_dict() for c in self.changes],
        }
        data.update(self.extras)
        return data


# -- comparing -------------------------------------------------------------------------------------------------


def diff_plans(base: Plan, head: Plan, *, base_label: str = "base", head_label: str = "head") -> PlanDiff:
    """Compares two plans of one environment on URN.

    Args:
        base: the plan before (e.g. at the base git ref); an empty plan makes everything a create.
        head: the plan after (e.g. the working tree).
        base_label: how reports name the base.
        head_label: how reports name the head.
    """
    from mlstack.engine.review.replace_rules import forces_replacement

    old = base.by_urn()
    new = head.by_urn()
    changes: list[ResourceChange] = []
    unchanged = 0
    for urn in sorted(old.keys() | new.keys()):
        a, b = old.get(urn), new.get(urn)
        if a is None and b is not None:
            changes.append(ResourceChange(urn, b.type, b.name, "create", custom=b.custom))
            continue
        if b is None and a is not None:
            changes.append(ResourceChange(urn, a.type, a.name, "delete", blocking=a.protect, custom=a.custom))
            continue
        assert a is not None and b is not None
        props = [
            PropertyChange(path, o, n, bool(a.custom) and forces_replacement(a.type, path, o, n))
            for path, o, n in _changed(a.inputs, b.inputs, "")
            if not ignored(path, b.ignore_changes)
        ]
        for option in ("protect", "retain_on_delete"):
            if getattr(a, option) != getattr(b, option):
                props.append(PropertyChange(f"options.{option}", getattr(a, option), getattr(b, option)))
        if not props:
            unchanged += 1
            continue
        replace = any(p.forces_replacement for p in props)
        changes.append(
            ResourceChange(
                urn, b.type, b.name, "replace" if replace else "update", props, blocking=replace and a.protect, custom=b.custom
            )
        )
    env = head.env if head.env == base.env or not base.env else f"{base.env}..{head.env}"
    from mlstack.engine.review.cascade import cascade

    marked = cascade(base, head, changes)  # what lives inside a replaced resource
    return PlanDiff(base_label, head_label, env, marked, unchanged - (len(marked) - len(changes)))


def ignored(path: str, ignore_changes: list[str]) -> bool:
    """Whether Pulumi keeps the old value at ``path`` (a property the resource's ``ignore_changes`` names, or below)."""
    return any(path == p or path.startswith((f"{p}.", f"{p}[")) for p in ignore_changes)


def _changed(old: Any, new: Any, path: str) -> Iterator[tuple[str, Any, Any]]:
    """(path, old, new) for every leaf that differs; lists of equal length compare item by item."""
    if old == new:
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(old.keys() | new.keys()):
            child = f"{path}.{key}" if path else key
            if key not in old:
                yield child, None, new[key]
            elif key not in new:
                yield child, old[key], None
            else:
                yield from _changed(old[key], new[key], child)
        return
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new) and any(
        isinstance(v, (dict, list)) for v in old
    ):
        for i, (o, n) in enumerate(zip(old, new)):
            yield from _changed(o, n, f"{path}[{i}]")
        return
    yield path, old, new


def empty_plan(project: str, env: str) -> Plan:
    """The plan of an environment that does not exist (yet): diffing against it makes everything a create."""
    return Plan(project=project, env=env, target={}, resources=[])


# -- text rendering ------------------------------------------------------------------------------------------


def _show(value: Any) -> str:
    import json

    if value is None:
        return _MISSING
    text = json.dumps(value, sort_keys=True) if not isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 100 else text[:97] + "..."


def counts_line(diff: PlanDiff) -> str:
    c = diff.counts()
    line = (
        f"{c['create']} to create, {c['update']} to update, {c['replace']} to replace, {c['delete']} to delete, "
        f"{c['same']} unchanged"
    )
    if c["blocking"]:
        line += f"; {c['blocking']} BLOCKING"
    return line


def render_text(diff: PlanDiff, *, skip: tuple[str, ...] = ()) -> str:
    """The diff as plain text, one block per changed resource (``+`` create, ``~`` update, ``+-`` replace,
    ``-`` delete), property changes indented below; ends with a newline. ``skip`` names extras a caller prints
    itself (the review prints ``cost_delta`` with its price date)."""
    lines = [f"{diff.env}: {diff.base_label} -> {diff.head_label}: {counts_line(diff)}"]
    for c in diff.changes:
        flag = f"  [BLOCKING: {c.reason}]" if c.blocking else (f"  [{c.mark}]" if c.mark else "")
        lines.append(f"  {_SYMBOL[c.action]:<2} {c.type}  {c.name}{flag}")
        for p in c.properties:
            forced = "  (forces replacement)" if p.forces_replacement else ""
            lines.append(f"       {p.path}: {_show(p.old)} -> {_show(p.new)}{forced}")
    for key, value in sorted(diff.extras.items()):
        if key in skip:
            continue
        if key == "version_drift" and value:
            lines.append("  version drift:")
            for name, pair in sorted(value.items()):
                lines.append(f"       {name}: {pair[diff.base_label]} ({diff.base_label}) vs {pair[diff.head_label]} ({diff.head_label})")
        elif key == "cost_delta" and value:
            lines.append(f"  cost delta: {value['text']}")
    return "\n".join(lines) + "\n"
