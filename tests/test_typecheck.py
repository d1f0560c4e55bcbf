"""components/ is clean under pyright (not mypy: it exhausts memory on these SDKs). About 40 s."""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_components_are_clean_under_pyright():
    pyright = shutil.which("pyright", path=str(Path(sys.executable).parent)) or shutil.which("pyright")
    if pyright is None:
        pytest.skip("pyright is not installed (pip install -e '.[test]' installs it)")
    proc = subprocess.run(
        [pyright, "--pythonpath", sys.executable, "components"], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    summary = re.search(r"(\d+) errors?, (\d+) warnings?", proc.stdout)
    assert summary is not None, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert summary.group(1) == "0", proc.stdout[-4000:]


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
