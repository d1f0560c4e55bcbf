"""The import graph of mlstack: one way (cli -> engine parts -> spec, catalog, components), no cycles.

Every ``import`` counts, also those inside functions (a lazy import is still a dependency, and a cycle through
one breaks as soon as someone hoists it); only ``if TYPE_CHECKING:`` imports, which never run, do not.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {"mlstack": ROOT / "mlstack", "mlstack.components": ROOT / "components"}


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for prefix, folder in PACKAGES.items():
        for path in sorted(folder.rglob("*.py")):
            rel = path.relative_to(folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            name = ".".join([prefix, *parts])
            if name.startswith("mlstack.components") and prefix == "mlstack":
                continue
            found[name] = path
    return found


MODULES = _modules()


def _resolve(name: str) -> str | None:
    """The mlstack module an import names: the longest known module prefix of ``name``."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def _is_type_checking(node: ast.AST) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_nodes(tree: ast.AST):
    """Every node but those under ``if TYPE_CHECKING:`` (their ``else`` branch does run)."""
    todo = [tree]
    while todo:
        node = todo.pop()
        yield node
        if _is_type_checking(node):
            todo.extend(node.orelse)  # type: ignore[attr-defined]
        else:
            todo.extend(ast.iter_child_nodes(node))


def _imports(module: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: set[str] = set()
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from pkg import mod` names a module when pkg.mod is one; else a name inside pkg.
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
        else:
            continue
        for name in names:
            target = _resolve(name)
            if target and target != module:
                out.add(target)
    return out


GRAPH = {m: _imports(m, p) for m, p in MODULES.items()}


def _part(module: str) -> str:
    """The layer a module belongs to: cli, engine.<part>, spec, catalog, components, ..."""
    parts = module.split(".")
    if parts[:2] == ["mlstack", "engine"] and len(parts) > 2:
        return "engine." + parts[2]
    return parts[1] if len(parts) > 1 else "mlstack"


# Which layers each layer may import (besides itself). The engine parts: review and deploy use plan, deploy also
# shows a plan diff through review; scaffold uses plan and reads locks through their one owner, deploy.lock.
# ``errors``, ``escape`` (printing untrusted text), ``fsio`` (the one atomic writer), ``distribution`` (the
# distribution's name and version) and ``derived`` (the cache of derived data: the catalogue, the schemas) are
# leaves every layer may use.
BASE = {"errors", "escape", "fsio", "distribution", "derived"}
# ``targets`` (the packs) sits below the engine: every engine part loops over it, it imports no engine part (its
# mapping modules read the spec and build components).
ALLOWED = {
    "engine.plan": {"targets", "spec", "catalog", "components", *BASE},
    "engine.review": {"engine.plan", "targets", "spec", "catalog", *BASE},
    "engine.deploy": {"engine.plan", "engine.review", "targets", "spec", "catalog", *BASE},
    "engine.scaffold": {"engine.plan", "targets", "spec", "catalog", *BASE},
    "targets": {"spec", "catalog", "components", *BASE},
    "spec": {"catalog", "targets", *BASE},  # the spec rules read the packs' SpecRules (pure data)
    "catalog": BASE,
    "fsio": {"errors"},
    "derived": {"fsio", "errors"},
    "escape": set(),
    "errors": set(),
    "distribution": set(),
    "components": set(),
    "testing": {"engine.plan", *BASE},  # mlstack.testing: the recorder and mocks, for users' own programs
}
# The contract constants (components/contract.py, which imports nothing) are a leaf every layer may read.
CONTRACT = "mlstack.components.contract"
# Scaffold and review read locks through their one owner (review: the lock drift of `mlstack diff`), and scaffold
# writes the policy pack from the rule registry's levels.
NARROW = {
    ("engine.scaffold", "engine.deploy"): {"mlstack.engine.deploy.lock"},
    ("engine.review", "engine.deploy"): {"mlstack.engine.deploy.lock"},
    ("engine.scaffold", "engine.review"): {"mlstack.engine.review.policy"},
}


def test_the_graph_sees_the_engine_parts():
    parts = {_part(m) for m in MODULES}
    assert {"engine.plan", "engine.review", "engine.deploy", "engine.scaffold", "cli", "spec"} <= parts
    assert "mlstack.engine.plan.model" in GRAPH["mlstack.engine.review.diff"]
    # a lazy import inside a function counts
    assert "mlstack.engine.review.policy" in GRAPH["mlstack.engine.review.planning"]


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layer_imports_run_one_way(layer):
    wrong = []
    for module, deps in sorted(GRAPH.items()):
        if _part(module) != layer:
            continue
        for dep in sorted(deps):
            other = _part(dep)
            if other == layer or other in ALLOWED[layer] or dep == CONTRACT:
                continue
            if dep in NARROW.get((layer, other), ()):
                continue
            wrong.append(f"{module} -> {dep}")
    assert wrong == []


def test_nothing_imports_the_cli():
    """Only ``python -m mlstack`` (mlstack/__main__.py) starts the CLI."""
    assert [f"{m} -> {d}" for m, ds in sorted(GRAPH.items()) if _part(m) not in ("cli", "__main__")
            for d in sorted(ds) if _part(d) == "cli"] == []


def test_no_import_cycles():
    """Tarjan's strongly connected components: every component is a single module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(GRAPH[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    assert cycles == []


def test_a_cycle_is_detected(monkeypatch):
    """The cycle check itself: a two-module cycle added to the graph is reported."""
    monkeypatch.setitem(GRAPH, "mlstack.engine.plan.model", GRAPH["mlstack.engine.plan.model"] | {"mlstack.engine.plan.planner"})
    with pytest.raises(AssertionError):
        test_no_import_cycles()
