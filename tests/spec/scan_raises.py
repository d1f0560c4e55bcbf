"""The AST scan behind ``test_validate_every_path.py``: every ``raise`` of a spec-kind exception outside the
spec layer, keyed ``path::function::Exception::message template``."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
#: Exceptions that are never about a spec: the engine, the Pulumi CLI, the network, files, the cluster's own
#: checks (RuntimeError: the verify script), the command line (typer), a component used without its provider.
NOT_SPEC = frozenset({"EngineError", "PulumiCliMissing", "StackLocked", "OperationFailed", "RegistryError",
                      "FileWriteError", "_error", "RuntimeError", "MissingProviderError", "Exit", "Abort",
                      "BadParameter", "UsageError"})
#: Where a plan runs: here the engine and usage errors are scanned too (a spec value could reach them).
PLANNING = ("mlstack/engine/plan/", "mlstack/engine/review/", "mlstack/targets/", "mlstack/catalog/", "components/")


def _template(node: ast.AST | None) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    if isinstance(node, ast.BinOp):
        return _template(node.left)
    return "?"


def sites() -> dict[str, tuple[str, int]]:
    """Every scanned raise site: key -> (file, line)."""
    out: dict[str, tuple[str, int]] = {}
    for top in ("mlstack", "components"):
        for file in sorted((ROOT / top).rglob("*.py")):
            rel = file.relative_to(ROOT).as_posix()
            if rel.startswith("mlstack/spec/"):
                continue
            _visit(ast.parse(file.read_text()), [], rel, out)
    return out


def _visit(node: ast.AST, qual: list[str], rel: str, out: dict[str, tuple[str, int]]) -> None:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            _visit(child, [*qual, child.name], rel, out)
            continue
        if isinstance(child, ast.Raise) and child.exc is not None:
            exc = child.exc
            if isinstance(exc, ast.Call):
                func = exc.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "?")
                message = _template(exc.args[0] if exc.args else None)
            else:
                name, message = getattr(exc, "id", "?"), "<re-raise>"
            scanned = name not in NOT_SPEC or (name in ("EngineError", "UsageError") and rel.startswith(PLANNING))
            if scanned:
                key = f"{rel}::{'.'.join(qual)}::{name}::{' '.join(message.split())[:70]}"
                n = 2
                while key in out:
                    key = f"{key}#{n}"
                    n += 1
                out[key] = (rel, child.lineno)
        _visit(child, qual, rel, out)
