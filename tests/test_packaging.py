"""The built wheel: components ship as mlstack.components (nothing named `components` at the top level), and
the templates and the catalogue's data files are inside it."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(  # the build backend comes from the package index, as for `pip install`
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("mlstack-*.whl")
    return zipfile.ZipFile(path)


def test_components_ship_inside_mlstack(wheel):
    names = wheel.namelist()
    assert "mlstack/components/aws/__init__.py" in names
    assert "mlstack/components/gcp/environment.py" in names
    assert "mlstack/components/k8s/platform.py" in names
    assert not [n for n in names if n.startswith(("components/", "templates/", "tests/"))]


def test_data_files_ship(wheel):
    names = set(wheel.namelist())
    assert "mlstack/catalog/data/accelerators.yaml" in names
    assert "mlstack/templates/project/stacks/base.yaml.j2" in names
    assert "mlstack/templates/ci/github.yml.j2" in names
    assert "mlstack/templates/report/comment.md.j2" in names
    assert "mlstack/targets/aws/policy.py" in names
    assert "mlstack/targets/gcp/mapping.py" in names


def test_the_wheel_imports_the_aws_components(wheel, tmp_path):
    wheel.extractall(tmp_path)
    code = "import mlstack.components.aws as a, mlstack.components.k8s.platform as p; print(a.__file__)"
    out = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(tmp_path)!r}); {code}"],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip().startswith(str(tmp_path))
