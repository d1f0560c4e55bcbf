"""Outside the target packs no code switches on a target's name or names a provider's resource type (issue 10).

Everything mlstack knows about a target lives in its pack (``mlstack/targets/<name>/``); the engine, the spec
layer, the catalogue's code, the CLI and the templates loop over the registered packs and read their fields.
This reads the syntax trees (Python's ``ast``, Jinja's own parser), not the text, so a docstring or a message
that mentions a cloud is not a finding, and a switch written in a new way still is:

- compares: ``cloud == "aws"``, ``"gcp" != x``, ``cloud in ("aws", "gcp")``, ``"onprem" in clouds``;
- keys: a dict literal keyed by a target name, ``.get("aws")``, ``getattr(x, "gcp")``, ``dict(aws=...)``;
- subscripts: ``x["gcp"]``;
- matches: ``case "aws":``;
- and any string constant that is a provider's resource type token (``aws:eks/cluster:Cluster``) or a token
  prefix (``kubernetes:helm.sh/``).

The target names and providers come from the registry, so a new pack is covered without editing this file.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import jinja2
from jinja2 import nodes

from mlstack import targets
from tests.test_contract import _docstrings

ROOT = Path(__file__).resolve().parents[2]
PACKS = ROOT / "mlstack" / "targets"
NAMES = frozenset(targets.target_names())
PROVIDERS = sorted({prov for p in targets.packs() for prov in p.providers})
_P = "|".join(map(re.escape, PROVIDERS))
# A type token has a module and a type (``pkg:module:Type``, ``pkg:module/sub:Type``); a prefix ends in ``/``.
# Config keys such as ``aws:region`` are neither.
TOKEN = re.compile(rf"^({_P}):[\w.-]*(/[\w.-]*)?:\w*$|^({_P}):[\w.-]+/$")
KEY_CALLS = {"get", "_get", "pop", "setdefault", "getattr", "hasattr"}


def _is_name(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value in NAMES


def _names_in(node: ast.AST) -> bool:
    return _is_name(node) or (isinstance(node, (ast.Tuple, ast.List, ast.Set)) and any(map(_is_name, node.elts)))


def python_findings(source: str, where: str) -> list[str]:
    """Every switch on a target name and every provider type token in one Python module."""
    tree = ast.parse(source)
    docs = _docstrings(tree)
    found = []

    def add(node: ast.AST, what: str) -> None:
        found.append(f"{where}:{getattr(node, 'lineno', 0)}: {what}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(_is_name(s) for s in sides) or any(
                isinstance(op, (ast.In, ast.NotIn)) and _names_in(right) for op, right in zip(node.ops, sides[1:])
            ):
                add(node, "compares a target name")
        elif isinstance(node, ast.Dict) and any(_is_name(k) for k in node.keys):
            add(node, "keys a dict by a target name")
        elif isinstance(node, ast.Subscript) and _is_name(node.slice) and not (
            isinstance(node.value, ast.Name) and node.value.id == "Literal"
        ):
            add(node, "subscripts with a target name")
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if called in KEY_CALLS and any(_is_name(a) for a in node.args):
                add(node, f"looks a target name up ({called})")
            if called == "dict" and any(k.arg in NAMES for k in node.keywords):
                add(node, "keys a dict by a target name")
        elif isinstance(node, ast.MatchValue) and _is_name(node.value):
            add(node, "matches a target name")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            if TOKEN.match(node.value):
                add(node, f"names the provider type token {node.value!r}")
    return sorted(found, key=lambda f: int(f.split(":")[1]))


def _jinja_const(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Const) and node.value in NAMES


def jinja_findings(source: str, where: str) -> list[str]:
    """The same switches in one Jinja template (its parse tree; comments and plain text are not code)."""
    tree = jinja2.Environment().parse(source)
    found = []
    for node in tree.find_all((nodes.Compare, nodes.Getitem, nodes.Dict, nodes.Call, nodes.Const)):
        what = ""
        if isinstance(node, nodes.Compare):
            sides = [node.expr, *(o.expr for o in node.ops)]
            lists = [e for e in sides if isinstance(e, (nodes.Tuple, nodes.List)) and any(map(_jinja_const, e.items))]
            if any(map(_jinja_const, sides)) or lists:
                what = "compares a target name"
        elif isinstance(node, nodes.Getitem) and _jinja_const(node.arg):
            what = "subscripts with a target name"
        elif isinstance(node, nodes.Dict) and any(_jinja_const(p.key) for p in node.items):
            what = "keys a dict by a target name"
        elif isinstance(node, nodes.Call) and isinstance(node.node, nodes.Getattr) and node.node.attr == "get" \
                and any(map(_jinja_const, node.args)):
            what = "looks a target name up (get)"
        elif isinstance(node, nodes.Const) and isinstance(node.value, str) and TOKEN.match(node.value):
            what = f"names the provider type token {node.value!r}"
        if what:
            found.append(f"{where}:{node.lineno}: {what}")
    return found


def _outside_packs(pattern: str, *folders: str) -> Iterator[Path]:
    for folder in folders:
        for path in sorted((ROOT / folder).rglob(pattern)):
            if PACKS not in path.parents:
                yield path


def scan() -> list[str]:
    found = []
    for path in _outside_packs("*.py", "mlstack"):
        found += python_findings(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    for path in _outside_packs("*.j2", "templates"):
        found += jinja_findings(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    return found


def test_the_scan_reads_every_module_and_template_outside_the_packs():
    py = list(_outside_packs("*.py", "mlstack"))
    j2 = list(_outside_packs("*.j2", "templates"))
    rel = {str(p.relative_to(ROOT)) for p in py + j2}
    assert {"mlstack/engine/deploy/remote.py", "mlstack/spec/rules_values.py", "mlstack/catalog/checks.py",
            "mlstack/cli/cmd_remote.py"} <= rel
    assert not any(r.startswith("mlstack/targets/") for r in rel)
    assert len(py) >= 100 and len(j2) >= 10  # mlstack/templates is a link to templates/: read once
    assert NAMES == {"aws", "gcp", "onprem"} and PROVIDERS == ["aws", "gcp", "kubernetes", "random"]


def test_no_target_switch_and_no_type_token_outside_the_packs():
    assert scan() == []


PLANTED = '''"""A docstring may say cloud == "aws" and name aws:eks/cluster:Cluster."""
from typing import Literal
Cloud = Literal["aws"]
msg = "on aws the pools are managed node groups"
config = {"aws:region": "us-west-2"}
a = cloud == "aws"
b = "gcp" != cloud
c = cloud in ("aws", "gcp")
d = {"onprem": 1}
e = table["gcp"]
f = prices.get("aws")
g = getattr(interconnect, "gcp")
h = dict(aws=1)
match cloud:
    case "onprem":
        pass
i = "aws:eks/cluster:Cluster"
j = "kubernetes:helm.sh/"
'''


def test_every_form_of_switch_is_found_and_text_is_not():
    assert python_findings(PLANTED, "planted.py") == [
        "planted.py:6: compares a target name",
        "planted.py:7: compares a target name",
        "planted.py:8: compares a target name",
        "planted.py:9: keys a dict by a target name",
        "planted.py:10: subscripts with a target name",
        "planted.py:11: looks a target name up (get)",
        "planted.py:12: looks a target name up (getattr)",
        "planted.py:13: keys a dict by a target name",
        "planted.py:15: matches a target name",
        "planted.py:17: names the provider type token 'aws:eks/cluster:Cluster'",
        "planted.py:18: names the provider type token 'kubernetes:helm.sh/'",
    ]


def test_every_form_of_switch_is_found_in_a_template():
    template = (
        "{# cloud == 'aws' in a comment is text #}on aws\n"
        "{% if cloud == 'aws' %}x{% endif %}\n"
        "{% if cloud in ['gcp', 'onprem'] %}y{% endif %}\n"
        "{{ images['gcp'] }}{{ {'aws': 1} }}{{ login.get('onprem') }}\n"
        "{{ 'random:index/randomPassword:RandomPassword' }}\n"
    )
    assert jinja_findings(template, "t.j2") == [
        "t.j2:2: compares a target name",
        "t.j2:3: compares a target name",
        "t.j2:4: subscripts with a target name",
        "t.j2:4: keys a dict by a target name",
        "t.j2:4: looks a target name up (get)",
        "t.j2:5: names the provider type token 'random:index/randomPassword:RandomPassword'",
    ]
