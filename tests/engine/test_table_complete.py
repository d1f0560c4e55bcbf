"""Every provider resource type a component can create has an entry in its pack's table, whether or not an
example environment creates it (``test_targets.py`` covers what the examples record).

Read from the sources, without importing an SDK: every call ``aws.<module>.<Class>(...)`` (and ``gcp.``,
``k8s.``, ``random.``) in ``components/`` names an SDK class; the SDK's generated module for it declares
``class <Class>(pulumi.CustomResource)`` and passes its type token to ``super(<Class>, __self__).__init__``.
Generic classes whose token comes from their arguments (``apiextensions.CustomResource``), components
(``helm.v3.Chart``, ``yaml.ConfigFile``), invokes and ``...Args`` classes have no such token and are left to the
example plans.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import re
from pathlib import Path

import pytest

from mlstack import targets

ROOT = Path(__file__).resolve().parents[2]
SDKS = {"aws": "pulumi_aws", "gcp": "pulumi_gcp", "k8s": "pulumi_kubernetes", "random": "pulumi_random"}


def _chain(node: ast.AST) -> list[str] | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return [node.id, *reversed(parts)]
    return None


def sdk_calls(source: str) -> set[tuple[str, ...]]:
    """The SDK attribute chains called in one module: ("aws", "eks", "Cluster")."""
    out = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            chain = _chain(node.func)
            if chain and chain[0] in SDKS and len(chain) >= 2 and chain[-1][:1].isupper():
                out.add(tuple(chain))
    return out


@functools.cache
def _source(folder: Path, name: str) -> str:
    """The SDK module that defines class ``name``: named after it (``security_group_rule.py``,
    ``Namespace.py``), else whichever module of the folder does."""
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
    for candidate in (folder / f"{snake}.py", folder / f"{name}.py", *sorted(folder.glob("*.py"))):
        if candidate.is_file():
            text = candidate.read_text(encoding="utf-8")
            if f"class {name}(" in text:
                return text
    return ""


def token_of(chain: tuple[str, ...]) -> str | None:
    """The fixed type token of the SDK class a chain names; None for anything that is not such a class."""
    spec = importlib.util.find_spec(SDKS[chain[0]])  # finds the package without importing it
    assert spec is not None and spec.submodule_search_locations
    folder = Path(spec.submodule_search_locations[0]).joinpath(*chain[1:-1])
    name = re.escape(chain[-1])
    text = _source(folder, chain[-1]) if folder.is_dir() else ""
    if not re.search(rf"^class {name}\(pulumi\.CustomResource\):", text, re.MULTILINE):
        return None
    found = re.search(rf"super\({name}, __self__\)\.__init__\(\s*'([^']+)'", text)
    return found.group(1) if found else None


@pytest.fixture(scope="module")
def created() -> dict[str, set[str]]:
    """Type token -> the component modules that create it."""
    out: dict[str, set[str]] = {}
    for path in sorted((ROOT / "components").rglob("*.py")):
        for chain in sdk_calls(path.read_text(encoding="utf-8")):
            token = token_of(chain)
            if token is not None:
                out.setdefault(token, set()).add(str(path.relative_to(ROOT)))
    return out


def test_the_scan_finds_the_sdk_classes_components_create(created):
    assert token_of(("aws", "eks", "Cluster")) == "aws:eks/cluster:Cluster"
    assert token_of(("k8s", "core", "v1", "Namespace")) == "kubernetes:core/v1:Namespace"
    assert token_of(("aws", "iam", "get_policy_document")) is None  # an invoke, not a resource
    assert "components/aws/cluster.py" in created["aws:eks/cluster:Cluster"]
    assert "random:index/randomPassword:RandomPassword" in created
    assert len(created) > 60


def test_every_type_a_component_creates_has_a_table_entry(created):
    missing = {token: sorted(where) for token, where in sorted(created.items()) if targets.resource_type(token) is None}
    assert missing == {}


def test_a_type_without_an_entry_is_named():
    chains = sdk_calls("import pulumi_aws as aws\naws.sagemaker.Domain('d', None)\n")
    assert chains == {("aws", "sagemaker", "Domain")}
    token = token_of(("aws", "sagemaker", "Domain"))
    assert token == "aws:sagemaker/domain:Domain" and targets.resource_type(token) is None
