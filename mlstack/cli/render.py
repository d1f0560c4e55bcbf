"""Renders a Plan as a table grouped by component, or as deterministic JSON."""

from __future__ import annotations

import json

from mlstack.engine.plan.model import Plan


def plan_json(plan: Plan) -> str:
    """The plan as JSON: sorted keys, resources in URN order, no timestamps; the same spec gives the same bytes."""
    return json.dumps(plan.to_dict(), indent=2, sort_keys=True) + "\n"


def _rows(plan: Plan) -> list[tuple[int, str, str, str]]:
    """(depth, name, type, flags) in tree order: each component followed by its children."""
    children: dict[str, list] = {}
    for r in plan.resources:
        children.setdefault(r.parent, []).append(r)
    rows: list[tuple[int, str, str, str]] = []

    def walk(parent: str, depth: int) -> None:
        for r in children.get(parent, []):
            flags = ",".join(f for f, on in (("protect", r.protect), ("retain", r.retain_on_delete)) if on)
            rows.append((depth, r.name, r.type, flags))
            walk(r.urn, depth + 1)

    walk("", 0)
    return rows


def plan_table(plan: Plan) -> None:
    """Prints the plan: a Rich tree-table on a terminal, aligned plain text when piped."""
    from mlstack.cli.output import console, echo, is_tty

    target = plan.target.get("cloud", "?")
    where = plan.target.get("region") or plan.target.get("kube_context") or ""
    header = f"Plan for {plan.project}/{plan.env} on {target} {where}".rstrip()
    rows = _rows(plan)
    if is_tty():
        from rich.table import Table

        table = Table(title=header, title_justify="left", show_lines=False)
        table.add_column("resource")
        table.add_column("type", style="dim")
        table.add_column("options")
        for depth, name, type_, flags in rows:
            table.add_row("  " * depth + name, type_, flags)
        console().print(table)
    else:
        echo(header)
        width = max((2 * d + len(n) for d, n, _, _ in rows), default=8) + 2
        for depth, name, type_, flags in rows:
            echo(f"  {('  ' * depth + name).ljust(width)}{type_}{'  [' + flags + ']' if flags else ''}")
    summary = plan.summary()
    echo("")
    echo(f"{summary['resources']} resources to create:")
    for type_, count in summary["by_type"].items():
        echo(f"  {count:4d}  {type_}")
    if plan.outputs:
        echo("")
        echo("Outputs:")
        for key, value in sorted(plan.outputs.items()):
            shown = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
            echo(f"  {key}: {shown if len(shown) < 120 else shown[:117] + '...'}")
