"""components/ and examples/ (a user's own program on mlstack's components) are clean under pyright, in one run
(not mypy: it exhausts memory on these SDKs). About 40 s."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_components_and_examples_are_clean_under_pyright():
    pyright = shutil.which("pyright", path=str(Path(sys.executable).parent)) or shutil.which("pyright")
    if pyright is None:
        pytest.skip("pyright is not installed (pip install -e '.[test]' installs it)")
    proc = subprocess.run(
        [pyright, "--pythonpath", sys.executable, "--outputjson", "components", "examples"],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    import json

    report = json.loads(proc.stdout)
    errors = [f"{d['file']}:{d['range']['start']['line'] + 1}: {d['message']}" for d in report["generalDiagnostics"]
              if d["severity"] == "error"]
    assert errors == []
    checked = report["summary"]["filesAnalyzed"]
    examples = len(list((ROOT / "examples").rglob("*.py")))
    assert examples >= 3 and checked >= len(list((ROOT / "components").rglob("*.py"))) + examples


def test_components_import_only_pulumi_and_themselves():
    offenders = []
    for path in (ROOT / "components").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if not top.startswith("pulumi") and top not in sys.stdlib_module_names and top != "__future__":
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {name}")
    assert offenders == []


def test_spec_layer_never_imports_pulumi():
    for path in (ROOT / "mlstack" / "spec").rglob("*.py"):
        assert not re.search(r"^\s*(from|import)\s+pulumi", path.read_text(), re.M), path
