"""mlstack's dated data catalogue: accelerators, machine types, TPU slices, default versions and prices.

The facts live in ``data/*.yaml`` (one file per concept, each with its sources and ``as_of`` date);
``load_catalog()`` reads them once per process and validates them with the strict models in ``models.py``.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from mlstack.catalog.models import (
    Accelerator,
    CapacityRange,
    Catalog,
    CatalogError,
    ChartPin,
    FilestoreTier,
    ImagePin,
    LustreDeployment,
    LustreTier,
    MachineOffer,
    MachineType,
    Origin,
    PricePoint,
    Prices,
    Source,
    TpuGeneration,
    TpuTopology,
    Versions,
)

__all__ = [
    "Accelerator",
    "CapacityRange",
    "Catalog",
    "CatalogError",
    "ChartPin",
    "DATA_DIR",
    "FilestoreTier",
    "ImagePin",
    "LustreDeployment",
    "LustreTier",
    "MachineOffer",
    "MachineType",
    "Origin",
    "PricePoint",
    "Prices",
    "Source",
    "TpuGeneration",
    "TpuTopology",
    "Versions",
    "load_catalog",
]

DATA_DIR = Path(__file__).resolve().parent / "data"
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.cache
def load_catalog() -> Catalog:
    """The validated catalogue (read once per process). Raises ``CatalogError`` naming the bad fact.

    With the command line's cache on (``mlstack.derived``), a catalogue validated by an earlier run of the same
    code and data is read back from JSON instead (``codec``: no YAML parse, no validator built or run).
    """
    from mlstack import derived

    if not derived.active():
        return parse_catalog(DATA_DIR)
    from mlstack.catalog import codec

    package = Path(__file__).resolve().parent
    key = derived.source_key("catalog", [*package.glob("*.py"), *DATA_DIR.glob("*.yaml")])
    return derived.cached("catalog", key, lambda: parse_catalog(DATA_DIR), codec.encode,
                          lambda text: codec.decode(Catalog, text))


def parse_catalog(data_dir: Path) -> Catalog:
    """Read and validate every ``*.yaml`` under ``data_dir`` (uncached; tests point it at broken copies)."""
    merged: dict[str, Any] = {}
    origins: dict[str, Any] = {}
    sources: list[Any] = []
    dates: list[str] = []
    files = sorted(data_dir.glob("*.yaml"))
    if not files:
        raise CatalogError(f"no catalogue files in {data_dir}")
    for path in files:
        try:
            doc = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
        except yaml.YAMLError as exc:
            raise CatalogError(f"{path.name}: not valid YAML: {exc}") from None
        if not isinstance(doc, dict):
            raise CatalogError(f"{path.name}: expected a mapping at the top level")
        if "sources" not in doc or "as_of" not in doc:
            raise CatalogError(f"{path.name}: every catalogue file needs `sources:` and `as_of:`")
        file_sources = doc.pop("sources") or []
        sources.extend(file_sources)
        dates.append(doc.pop("as_of"))
        for key, value in doc.items():
            if key in merged:
                raise CatalogError(f"{path.name}: top-level key {key!r} is defined in two files")
            merged[key] = value
            origins[key] = {"file": path.name, "as_of": dates[-1], "sources": file_sources}
    for name, acc in (merged.get("accelerators") or {}).items():
        if isinstance(acc, dict):
            acc.setdefault("name", name)
    # The catalogue is as old as its oldest file.
    merged["as_of"] = min(str(d) for d in dates)
    merged["sources"] = sources
    merged["origins"] = origins
    try:
        return Catalog.model_validate(merged)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"]) or "catalogue"
            lines.append(f"{loc}: {err['msg']}")
        raise CatalogError("invalid catalogue:\n  " + "\n  ".join(lines)) from None
