"""The contract constants (components/contract.py) are defined once: the module imports nothing, so the spec
layer and the engine read it without Pulumi; no other module writes one of its values as a literal."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from mlstack.components import contract

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = ROOT / "components" / "contract.py"
# Values that mean the contract wherever they appear (a label key, a namespace of the platform's).
VALUES = {contract.ACCELERATOR_LABEL, contract.POOL_LABEL, contract.TEAM_LABEL, contract.SYSTEM_NAMESPACE, contract.CI_NAMESPACE}
# "mlflow" has other meanings (an image key, a database name, the server's command): it is the contract where it
# names a namespace or a service account.
IDENTITY = re.compile(r"namespace|service_account|_sa$", re.IGNORECASE)


def _sources() -> list[Path]:
    return [p for folder in ("mlstack", "components") for p in sorted((ROOT / folder).rglob("*.py")) if p != CONTRACT]


def _docstrings(tree: ast.AST) -> set[int]:
    out = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            out.add(id(body[0].value))
    return out


def _literal_uses(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = _docstrings(tree)
    where = f"{path.relative_to(root)}"
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            text = node.value
            if text in VALUES or any(f"{v}=" in text for v in VALUES):
                found.append(f"{where}:{node.lineno}: {text!r}")
        targets: list[tuple[str, ast.AST]] = []
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            targets.append((node.target.id, node.value))
        elif isinstance(node, ast.Assign):
            targets += [(t.id, node.value) for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.keyword) and node.arg:
            targets.append((node.arg, node.value))
        for name, value in targets:
            if IDENTITY.search(name) and any(isinstance(c, ast.Constant) and c.value == contract.MLFLOW_NAMESPACE for c in ast.walk(value)):
                found.append(f"{where}:{value.lineno}: {name} = {ast.unparse(value)}")
    return found


def test_the_contract_imports_nothing():
    tree = ast.parse(CONTRACT.read_text(encoding="utf-8"))
    assert [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))] == []


def test_no_module_writes_a_contract_value_as_a_literal():
    assert [hit for path in _sources() for hit in _literal_uses(path)] == []


def test_the_literal_check_finds_a_reintroduced_value(tmp_path):
    planted = tmp_path / "planted.py"
    planted.write_text('LABEL = "mlstack.io/accelerator"\nmlflow_namespace: str = "mlflow"\nf(namespace="mlflow")\n'
                       'MLFLOW_SA = ("mlflow", "mlflow")\nIMAGE_KEY = "mlflow"\n', encoding="utf-8")
    hits = sorted(_literal_uses(planted, tmp_path), key=lambda h: int(h.split(":")[1]))
    assert [h.split(": ", 1)[1] for h in hits] == [
        "'mlstack.io/accelerator'", "mlflow_namespace = 'mlflow'", "namespace = 'mlflow'", "MLFLOW_SA = ('mlflow', 'mlflow')"]


def test_pool_size_defaults():
    assert contract.pool_size(None, None, accelerated=True) == (0, 1)
    assert contract.pool_size(None, None, accelerated=False) == (1, 1)
    assert contract.pool_size(2, None, accelerated=True) == (2, 2)
    assert contract.pool_size(None, 8, accelerated=False) == (1, 8)
    assert contract.RESERVED_TEAMS >= {contract.MLFLOW_NAMESPACE, contract.SYSTEM_NAMESPACE, contract.CI_NAMESPACE}
