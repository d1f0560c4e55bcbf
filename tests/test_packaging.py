"""The built wheel: distribution mlstack-iac (the index's `mlstack` is an unrelated project), components ship as
mlstack.components (nothing named `components` at the top level), the templates and the catalogue's data files
are inside it, and a generated project's requirements resolve to it."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel_path(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(  # the build backend comes from the package index, as for `pip install`
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (path,) = out.glob("*.whl")
    return path


@pytest.fixture(scope="module")
def wheel(wheel_path) -> zipfile.ZipFile:
    return zipfile.ZipFile(wheel_path)


def test_the_distribution_is_mlstack_iac_with_the_mlstack_command(wheel, wheel_path):
    from mlstack.distribution import version

    assert wheel_path.name == f"mlstack_iac-{version()}-py3-none-any.whl"
    info = f"mlstack_iac-{version()}.dist-info"
    metadata = wheel.read(f"{info}/METADATA").decode()
    assert "\nName: mlstack-iac\n" in metadata
    assert f"\nVersion: {version()}\n" in metadata
    entry_points = wheel.read(f"{info}/entry_points.txt").decode()
    assert "[console_scripts]\nmlstack = mlstack.cli:run\n" in entry_points


def _resolve(requirements: Path, find_links: Path) -> list[dict]:
    """What `pip install -r requirements` would install, resolved offline against ``find_links`` only."""
    report = requirements.parent / "report.json"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--no-index", "--no-deps", "--ignore-installed",
         "--find-links", str(find_links), "--report", str(report), "-r", str(requirements)],
        check=True, capture_output=True, text=True, cwd=requirements.parent,
    )
    return json.loads(report.read_text())["install"]


@pytest.mark.parametrize("cloud", ["aws", "gcp", "onprem"])
def test_a_generated_projects_requirements_resolve_to_this_source_tree(wheel_path, tmp_path, cloud):
    from generate.helpers import options
    from mlstack.engine.scaffold.generate import project_files

    files = project_files(options(cloud))
    (tmp_path / "requirements.txt").write_text(files["requirements.txt"])
    (item,) = _resolve(tmp_path / "requirements.txt", wheel_path.parent)
    assert item["metadata"]["name"] == "mlstack-iac"
    assert item["download_info"]["url"] == wheel_path.as_uri()
    # Every generated pipeline installs exactly that file.
    pipelines = [text for path, text in files.items() if path.endswith(("mlstack.yml", ".gitlab-ci.yml", "Jenkinsfile"))]
    assert pipelines and all("pip install -r requirements.txt" in text for text in pipelines)


def test_a_team_pins_its_own_build_with_mlstack_requirement(wheel_path, tmp_path):
    from generate.helpers import options
    from mlstack.engine.scaffold.generate import project_files

    line = f"mlstack-iac @ {wheel_path.as_uri()}"
    files = project_files(options("aws", mlstack_requirement=line))
    assert files["requirements.txt"].splitlines()[-1] == line
    (tmp_path / "requirements.txt").write_text(files["requirements.txt"])
    (item,) = _resolve(tmp_path / "requirements.txt", tmp_path)  # nothing to find: the URL says where
    assert item["download_info"]["url"] == wheel_path.as_uri()


@pytest.mark.parametrize(("line", "message"), [
    ("mlstack==1.0b3", "--mlstack-requirement 'mlstack==1.0b3' names 'mlstack': the distribution is 'mlstack-iac' "
                       "(the index's `mlstack` is an unrelated project)"),
    ("mlstack-iac ==", "--mlstack-requirement 'mlstack-iac ==' is not a requirement line ("),
])
def test_mlstack_requirement_must_install_mlstack(line, message):
    from generate.helpers import options
    from mlstack.engine.scaffold.generate import project_files
    from mlstack.errors import UsageError

    with pytest.raises(UsageError) as info:
        project_files(options("aws", mlstack_requirement=line))
    assert str(info.value).startswith(message)


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
    # Every data file of the source tree (templates, catalogue, the packs' snippets) is in the wheel: a new
    # folder missing from pyproject's `packages` would otherwise ship without its files.
    links = {"components": "mlstack/components", "templates": "mlstack/templates"}
    source = [path.relative_to(ROOT) for top in ("mlstack", *links) for path in (ROOT / top).rglob("*")
              if path.is_file() and path.suffix not in {".py", ".pyc"} and "__pycache__" not in path.parts]
    shipped = {str(path).replace(path.parts[0], links.get(path.parts[0], path.parts[0]), 1) for path in source}
    assert shipped - names == set()
    assert len(shipped) > 80  # templates, catalogue and snippets were found


def test_the_wheel_imports_the_aws_components(wheel, tmp_path):
    wheel.extractall(tmp_path)
    code = "import mlstack.components.aws as a, mlstack.components.k8s.platform as p; print(a.__file__)"
    out = subprocess.run([sys.executable, "-I", "-c", f"import sys; sys.path.insert(0, {str(tmp_path)!r}); {code}"],
                         capture_output=True, text=True, check=True).stdout
    assert out.strip().startswith(str(tmp_path))


def test_the_wheel_is_typed_and_ships_mlstack_testing(wheel):
    names = wheel.namelist()
    assert {"mlstack/py.typed", "mlstack/components/py.typed", "mlstack/testing/__init__.py"} <= set(names)
    assert len(names) == len(set(names))  # the mlstack/components and mlstack/templates links add no second copy
