"""What a valid spec asks for that mlstack could not check: warnings, not errors. Today: accelerator pools on a
machine type the catalogue does not list (``mlstack.catalog.pool_machine``).

The one source of every command's warnings: ``validate`` (text and JSON), ``plan`` (stderr, and the JSON plan's
``warnings``), ``check``, ``cost`` (which also says why such a pool is unpriced) and ``diff`` (text, JSON and the
pull-request comment) all print what :func:`env_warnings` returns, located in the file and line that hold it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mlstack.spec.models import Spec

Notice = tuple[str, str]  # (field path, what was not checked)


@dataclass(frozen=True)
class SpecWarning:
    """A notice located in the stack file (an overlay's own line when the overlay sets it)."""

    file: str
    line: int
    column: int
    path: str
    message: str

    @property
    def pool(self) -> str | None:
        """The node pool it is about (``node_pools.<pool>....``), or None."""
        parts = self.path.split(".")
        return parts[1] if len(parts) > 1 and parts[0] == "node_pools" else None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def text(self) -> str:
        """``file:line:col: path: message`` (what ``warning:`` lines print)."""
        return f"{self.file}:{self.line}:{self.column}: {self.path}: {self.message}"


def notices(spec: Spec) -> list[Notice]:
    """Every warning of a spec that validates, as (field path, message), in pool order."""
    from mlstack import targets
    from mlstack.catalog import CatalogError, load_catalog
    from mlstack.catalog.pool_machine import pool_machine

    if targets.pack(spec.target.cloud).spec.existing_cluster:
        return []
    catalog = load_catalog()
    out = []
    for key, pool in sorted(spec.node_pools.items()):
        acc = catalog.accelerators.get(pool.accelerator or "")
        if pool.machine is None or acc is None or acc.kind == "tpu":
            continue
        try:
            machine = pool_machine(catalog, acc.name, spec.target.cloud, pool.gpus_per_node, pool.machine)
        except CatalogError:
            continue  # a spec error, reported by validate
        if not machine.listed:
            out.append((f"node_pools.{key}.machine", machine.unchecked))
    return out


def located(spec: Spec, spec_file: Path) -> list[SpecWarning]:
    """:func:`notices` of ``spec`` (loaded from ``spec_file``), each with the file and line that hold it."""
    from mlstack.spec.yaml_loader import load_with_extends

    found = notices(spec)
    if not found:
        return []
    loaded = load_with_extends(spec_file)
    out = []
    for field_path, message in found:
        loc = loaded.locate(tuple(field_path.split(".")))
        out.append(SpecWarning(loc.file if loc else str(spec_file), loc.line if loc else 0, loc.column if loc else 0,
                           field_path, message))
    return out


def env_warnings(env: str, stacks_dir: Path, spec: Spec | None = None) -> list[SpecWarning]:
    """:func:`located` of environment ``env``. Without ``spec`` it is loaded again only when a pool names both a
    machine and an accelerator (the one case with notices today), so a command pays one YAML read (~3 ms)
    otherwise."""
    from mlstack.spec import load_spec, spec_path
    from mlstack.spec.yaml_loader import load_with_extends

    path = spec_path(env, stacks_dir)
    if spec is None:
        pools = load_with_extends(path).data.get("node_pools")
        if not isinstance(pools, dict) or not any(isinstance(p, dict) and p.get("machine") and p.get("accelerator")
                                                  for p in pools.values()):
            return []
        spec = load_spec(env, stacks_dir)
    return located(spec, path)
