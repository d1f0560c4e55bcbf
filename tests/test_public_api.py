"""The API a user's own Pulumi program imports: each components package exports every component and its Args by
name (lazily, with the same names for type checkers), ``mlstack.testing`` records a program, and the packages
are marked typed (py.typed) so that pyright reads their annotations."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import subprocess
import sys
from pathlib import Path

import pulumi
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["aws", "gcp", "k8s", "onprem"]


def _type_checking_imports(path: Path) -> dict[str, str]:
    """name -> module of the ``from .module import name`` lines under ``if TYPE_CHECKING:``."""
    out = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            for imp in node.body:
                assert isinstance(imp, ast.ImportFrom) and imp.level == 1
                out.update({a.name: imp.module for a in imp.names})
    return out


@pytest.mark.parametrize("package", PACKAGES)
def test_every_component_and_its_args_is_exported(package):
    pkg = importlib.import_module(f"mlstack.components.{package}")
    found = set()
    for info in pkgutil.iter_modules(pkg.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{pkg.__name__}.{info.name}")
        for name, obj in vars(module).items():
            if inspect.isclass(obj) and obj.__module__ == module.__name__ and issubclass(obj, pulumi.ComponentResource):
                found.add(name)
                if hasattr(module, f"{name}Args"):
                    found.add(f"{name}Args")
    assert found, package
    assert sorted(found - set(pkg.__all__)) == []
    for name in pkg.__all__:
        assert getattr(pkg, name) is not None, name


@pytest.mark.parametrize("package", PACKAGES)
def test_the_lazy_exports_and_the_type_checking_imports_agree(package):
    pkg = importlib.import_module(f"mlstack.components.{package}")
    declared = _type_checking_imports(ROOT / "components" / package / "__init__.py")
    assert declared == pkg._EXPORTS
    assert set(pkg._EXPORTS) <= set(pkg.__all__)
    for name, module in pkg._EXPORTS.items():
        assert getattr(pkg, name) is getattr(importlib.import_module(f"{pkg.__name__}.{module}"), name)
    with pytest.raises(AttributeError, match=f"module 'mlstack.components.{package}' has no attribute 'Nope'"):
        pkg.Nope  # noqa: B018


def test_importing_a_package_imports_none_of_its_modules():
    code = ("import sys; import mlstack.components.aws, mlstack.components.gcp; "
            "print(sorted(m for m in sys.modules if m.startswith(('pulumi_aws', 'pulumi_gcp'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_packages_are_typed_and_ship_the_marker():
    assert (ROOT / "mlstack" / "py.typed").is_file() and (ROOT / "components" / "py.typed").is_file()
    text = (ROOT / "pyproject.toml").read_text()
    assert '"mlstack" = ["py.typed"]' in text and '"mlstack.components" = ["py.typed"]' in text
    assert '"mlstack.testing"' in text


def test_the_source_tree_resolves_mlstack_components_statically():
    """Static analysers cannot follow the editable install's import hook: ``mlstack/components`` is a link to
    ``components/``, so pyright finds ``mlstack.components`` in the source tree; at run time the link and the
    hook name the same files."""
    link = ROOT / "mlstack" / "components"
    assert link.is_symlink() and link.resolve() == (ROOT / "components").resolve()
    import mlstack.components.aws.bucket as bucket

    assert Path(bucket.__file__).resolve() == (ROOT / "components" / "aws" / "bucket.py").resolve()


def test_mlstack_testing_exports():
    import mlstack.testing as t

    assert t.__all__ == ["SECRET", "MockOutputs", "Plan", "Registration", "record"]
    assert t.SECRET == "[secret]"
