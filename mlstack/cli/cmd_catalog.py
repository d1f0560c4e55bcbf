"""`mlstack catalog [TOPIC]`: what the dated catalogue knows (accelerators, machines, TPU slices, regions,
versions), per cloud and region, each fact with the date it was checked and its source.

Reads only the catalogue (pydantic and YAML, no cloud SDK), so it answers in well under a second.
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from typing import Annotated, Any

import typer

from mlstack.cli.params import ReportFormat, choice


class Topic(str, Enum):
    accelerators = "accelerators"
    machines = "machines"
    tpus = "tpus"
    regions = "regions"
    versions = "versions"


Column = tuple[str, Any]  # header, and the row key or a function of the row


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _money(value: float | None) -> str:
    return "no price" if value is None else f"{value:.4f}"


def _price_columns(region: str | None) -> list[Column]:
    if region is None:
        return [("PRICED IN", lambda r: ", ".join(r["priced_regions"]) or "no region")]
    return [("USD/H", lambda r: _money(r["on_demand_hourly"])), ("SPOT USD/H", lambda r: _money(r["spot_hourly"]))]


def _columns(topic: str, region: str | None) -> list[list[Column]]:
    """The text tables of ``topic`` (versions has two: pins and support windows)."""
    dated: list[Column] = [("CHECKED", "checked"), ("SOURCE", "source")]
    if topic == "accelerators":
        return [[("ACCELERATOR", "accelerator"), ("KIND", "kind"), ("CLOUD", "cloud"), ("MACHINE TYPE", "machine_type"),
                 ("COUNT", "count"), ("VCPUS", "vcpus"), ("MEMORY GIB", "memory_gib"),
                 ("MULTI-NODE", lambda r: _yes(r["multi_node"])), *_price_columns(region), *dated]]
    if topic == "machines":
        return [[("CLOUD", "cloud"), ("MACHINE TYPE", "machine_type"), ("VCPUS", "vcpus"), ("MEMORY GIB", "memory_gib"),
                 ("ACCELERATOR", lambda r: f"{r['count']} x {r['accelerator']}" if r["accelerator"] else "-"),
                 ("SYSTEM DEFAULT", lambda r: _yes(r["system_default"])), *_price_columns(region), *dated]]
    if topic == "tpus":
        zones = lambda r: "; ".join(f"{k}: {', '.join(v)}" for k, v in r["zones"].items())  # noqa: E731
        return [[("ACCELERATOR", "accelerator"), ("TOPOLOGY", "topology"), ("CHIPS", "chips"),
                 ("MACHINE TYPE", "machine_type"), ("NODES", "nodes"), ("MULTI-HOST", lambda r: _yes(r["multi_host"])),
                 ("ZONES", zones), *dated]]
    if topic == "regions":
        value = lambda r: f"{len(r['value'])} machine types" if r["fact"] == "priced_machines" else (  # noqa: E731
            ", ".join(r["value"]) if isinstance(r["value"], list) else r["value"])
        return [[("CLOUD", "cloud"), ("REGION", "region"), ("FACT", "fact"), ("VALUE", value), *dated]]
    return [[("PIN", "what"), ("VERSION", "version"), ("NEWEST KNOWN", lambda r: r["newest_known"] or "-"), *dated],
            [("CLOUD", "cloud"), ("KUBERNETES", "version"), ("RELEASED", "released"),
             ("STANDARD SUPPORT ENDS", "end_of_standard_support"),
             ("EXTENDED SUPPORT ENDS", lambda r: r["end_of_extended_support"] or "-"),
             ("ESTIMATED", lambda r: _yes(r["estimated"])), *dated]]


def _cell(row: dict[str, Any], key: Any) -> str:
    value = key(row) if callable(key) else row.get(key)
    if isinstance(value, float):
        return f"{value:g}"
    return "-" if value is None else str(value)


def table(rows: list[dict[str, Any]], columns: list[Column]) -> list[str]:
    """Rows as left-aligned columns, a header first (plain text: readable in CI logs and through ``grep``)."""
    cells = [[h for h, _ in columns]] + [[_cell(r, k) for _, k in columns] for r in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(columns))]
    return ["  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() for line in cells]


def render(data: dict[str, Any]) -> list[str]:
    """The text form of a view: a title, the table(s), then the sources of the files the rows are dated by."""
    topic, rows, region = data["topic"], data["rows"], data["region"]
    scope = ", ".join(x for x in (data["cloud"], region) if x) or "every cloud"
    lines = [f"mlstack catalogue, {topic} ({scope}); the oldest fact is from {data['as_of']}", ""]
    groups = _columns(topic, region)
    if topic == "versions":
        parts = [[r for r in rows if "released" not in r], [r for r in rows if "released" in r]]
    else:
        parts = [rows]
    for part, columns in zip(parts, groups):
        lines += (table(part, columns) if part else ["(nothing in the catalogue for this filter)"]) + [""]
    if data["sources"]:
        lines.append("sources of the files above:")
        for file, info in data["sources"].items():
            lines.append(f"  {file} (as of {info['as_of']}):")
            lines += [f"    {s['title']}: {s['url']} (retrieved {s['retrieved']})" for s in info["sources"]]
    if topic == "regions":
        lines.append("Only regions the catalogue has facts about are listed; a cloud has more.")
    return lines


def catalog(
    topic: Annotated[
        Topic, typer.Argument(parser=choice(Topic), help="accelerators, machines, tpus, regions or versions.")
    ] = Topic.accelerators,
    cloud: Annotated[str | None, typer.Option("--cloud", help="Only this cloud (aws or gcp).")] = None,
    region: Annotated[
        str | None, typer.Option("--region", help="Only facts about this region (with prices there, for machines).")
    ] = None,
    format: Annotated[
        ReportFormat, typer.Option("--format", "-f", parser=choice(ReportFormat), help="text or json (one JSON document).")
    ] = ReportFormat.text,
) -> None:
    """Show what the catalogue knows: accelerators and the machines that carry them, machine types, TPU slices
    and their zones, regions, and pinned versions with Kubernetes support windows; each fact with its date."""
    from mlstack.catalog import CatalogError, load_catalog
    from mlstack.catalog.views import view
    from mlstack.errors import UsageError

    try:
        data = view(load_catalog(), topic.value, cloud, region)
    except CatalogError as exc:
        raise UsageError(str(exc)) from None
    if format is ReportFormat.json:
        sys.stdout.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
        return
    sys.stdout.write("\n".join(render(data)) + "\n")


def register(app: typer.Typer) -> None:
    app.command()(catalog)
