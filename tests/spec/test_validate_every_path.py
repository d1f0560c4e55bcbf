"""validate is the truth, by construction: every raise site of the engine a spec could reach (an AST scan of
``mlstack/`` outside the spec layer and of ``components/``, ``scan_raises.py``) has an entry in
``raise_sites.py``. A fixture entry is proved twice: with the spec rules skipped, planning the fixture fails at
exactly that raise; with them, ``validate`` reports it first, in the overlay file and line, with the path and
the fix, and ``plan``, ``check`` and ``cost`` stop with the same words before planning."""

from __future__ import annotations

import ast
import json
import shutil
import sys
from pathlib import Path

import pytest

from mlstack.cli import main

sys.path.insert(0, str(Path(__file__).resolve().parent))
import raise_sites  # noqa: E402 - the registry next to this test
from scan_raises import ROOT, sites  # noqa: E402

SITES = sites()


def test_every_scanned_site_has_an_entry_and_every_entry_a_site():
    missing = sorted(set(SITES) - set(raise_sites.SITES))
    stale = sorted(set(raise_sites.SITES) - set(SITES))
    assert not missing, ("raise sites a spec may reach with no entry in tests/spec/raise_sites.py: give each a "
                         "fixture (and a spec rule so that validate reports it first) or say why no spec reaches it:\n"
                         + "\n".join(f"  {k}  ({SITES[k][0]}:{SITES[k][1]})" for k in missing))
    assert not stale, "entries whose raise is gone:\n" + "\n".join(f"  {k}" for k in stale)
    assert set(raise_sites.FIXTURES) == {e.fixture for e in raise_sites.SITES.values() if isinstance(e, raise_sites.F)}
    assert all(e.why.strip() for e in raise_sites.SITES.values() if isinstance(e, (raise_sites.I, raise_sites.N)))


def test_the_scan_finds_what_it_should():
    assert len(SITES) > 120
    key = "components/aws/cluster.py::check_principal::ValueError::admin principal {} is not an IAM role or user ARN (arn:<partition>:iam"
    assert SITES[key][0] == "components/aws/cluster.py"
    assert not [k for k in SITES if k.startswith("mlstack/spec/")]
    assert not [k for k in SITES if k.startswith("mlstack/cli/cmd_lifecycle.py")]  # usage errors outside planning


def _schema():
    from mlstack.spec.models import Spec

    return Spec.model_json_schema(by_alias=True)


@pytest.mark.parametrize("key", sorted(k for k, e in raise_sites.SITES.items() if isinstance(e, raise_sites.S)))
def test_the_schema_rules_the_value_out(key):
    entry = raise_sites.SITES[key]
    schema = _schema()
    node = schema if entry.model == "Spec" else schema["$defs"][entry.model]
    node = node["properties"][entry.field]
    node = next((o for o in node.get("anyOf", []) if o.get("type") != "null"), node)
    *parents, last = entry.key.split(".")
    for part in parents:
        node = node[part]
    assert node[last] == entry.value


def _imported_modules(path: Path, package: str) -> set[str]:
    """Modules ``path`` imports at run time: not those under ``if TYPE_CHECKING:``; a name taken from a package's
    lazy exports (``components/_lazy.py``) counts as its module."""
    tree = ast.parse(path.read_text())
    typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
                   for stmt in node.body for n in ast.walk(stmt)}
    out = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            out.add(base)
            lazy = _lazy_exports(base)
            out.update(f"{base}.{lazy.get(a.name, a.name)}" for a in node.names)
    return out


def _lazy_exports(module: str) -> dict[str, str]:
    """A component package's lazy exports (public name -> module), read from its source; {} for anything else."""
    parts = module.split(".")
    if parts[:2] != ["mlstack", "components"]:
        return {}
    init = ROOT.joinpath("components", *parts[2:], "__init__.py")
    if not init.is_file():
        return {}
    for node in ast.parse(init.read_text()).body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "_EXPORTS" for t in node.targets):
            return ast.literal_eval(node.value)
    return {}


def _reachable_components() -> set[str]:
    """Component modules imported, directly or through other components, by the engine and CLI (mlstack/)."""
    def module_of(path: Path) -> str:
        rel = path.relative_to(ROOT).with_suffix("")
        parts = list(rel.parts)
        if parts[0] == "components":
            parts = ["mlstack", *parts]
        return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)

    files = {module_of(p): p for top in ("mlstack", "components") for p in (ROOT / top).rglob("*.py")}
    todo = [m for m in files if not m.startswith("mlstack.components")]
    seen: set[str] = set()
    while todo:
        module = todo.pop()
        if module in seen or module not in files:
            continue
        seen.add(module)
        package = module if files[module].name == "__init__.py" else module.rsplit(".", 1)[0]
        todo.extend(m for m in _imported_modules(files[module], package) if m in files)
    return {m for m in seen if m.startswith("mlstack.components")}


def test_unwired_components_are_not_built_from_a_spec():
    reachable = _reachable_components()
    assert "mlstack.components.aws.cluster" in reachable and "mlstack.components.k8s.platform" in reachable
    unwired = {e.module for e in raise_sites.SITES.values() if isinstance(e, raise_sites.U)}
    assert not unwired & reachable  # none left since GCP's ComputeClass was wired (raise_sites_capacity.py)


@pytest.fixture
def stacks(tmp_path):
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks", ignore=shutil.ignore_patterns("*.lock.json"))
    return tmp_path / "stacks"


def _write_case(stacks: Path, fixture) -> Path:
    path = stacks / "case.yaml"
    path.write_text(f"extends: {fixture.env}.yaml\n{fixture.overlay}")
    return path


FIXTURE_SITES = {e.fixture: k for k, e in raise_sites.SITES.items() if isinstance(e, raise_sites.F)}


@pytest.mark.parametrize("name", sorted(raise_sites.FIXTURES))
def test_the_fixture_reaches_its_raise_when_the_rules_are_skipped(name, stacks, monkeypatch):
    from mlstack.engine.plan.planner import plan_spec
    from mlstack.engine.review.policy import validate_waivers
    from mlstack.spec import load_spec, rules

    monkeypatch.setenv("MLSTACK_NO_PLAN_CACHE", "1")
    monkeypatch.setattr(rules, "check", lambda spec: [])
    _write_case(stacks, raise_sites.FIXTURES[name])
    rel, _ = SITES[FIXTURE_SITES[name]]
    function = FIXTURE_SITES[name].split("::")[1].rsplit(".", 1)[-1]
    spec = load_spec("case", stacks)
    with pytest.raises(Exception) as info:  # noqa: PT011 - which exception is the point: its origin is asserted
        validate_waivers(spec.waivers) if "waivers" in raise_sites.FIXTURES[name].path else plan_spec(spec)
    exc: BaseException = info.value
    while exc.__cause__ is not None:
        exc = exc.__cause__
    tb = exc.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    where = (Path(tb.tb_frame.f_code.co_filename).resolve(), tb.tb_frame.f_code.co_name)
    assert where == ((ROOT / rel).resolve(), function), f"{name} failed elsewhere: {exc!r}"


@pytest.mark.parametrize("name", sorted(raise_sites.FIXTURES))
def test_validate_reports_it_first_located_with_the_fix(name, stacks, capsys):
    fixture = raise_sites.FIXTURES[name]
    case = _write_case(stacks, fixture)
    assert main(["--stacks-dir", str(stacks), "validate", "--env", "case", "--format", "json"]) == 2
    out, err = capsys.readouterr()
    problems = json.loads(out)["problems"]
    found = [p for p in problems if p["path"] == fixture.path]
    assert len(found) == 1, problems
    (problem,) = found
    assert (problem["file"], problem["line"] >= 2, problem["column"] >= 1) == (str(case), True, True)
    assert fixture.says in problem["message"]
    for command in (["plan"], ["check"]) + (() if "waivers" in fixture.path else (["cost"],)):  # cost reads no waivers
        assert main(["--stacks-dir", str(stacks), *command, "--env", "case"]) == 2
        assert capsys.readouterr().err == err, command  # the same problems, the same words, before any plan


def test_diff_stops_on_the_same_problem(stacks, capsys):
    _write_case(stacks, raise_sites.FIXTURES["admin-arn"])
    assert main(["--stacks-dir", str(stacks), "validate", "--env", "case"]) == 2
    err = capsys.readouterr().err
    assert main(["--stacks-dir", str(stacks), "diff", "--env", "staging", "--env", "case"]) == 2
    assert capsys.readouterr().err == err


def test_every_namespace_the_platform_creates_is_reserved_for_teams():
    """A team's namespace is its name: the reserved list must hold every namespace an example plan creates
    (the workload layer's with KubeRay on too), else a team could take over one."""
    from mlstack.engine.plan.planner import plan_spec
    from mlstack.spec import load_spec
    from mlstack.spec.rules import RESERVED_TEAMS

    created = set()
    for env in ("staging", "gcp-staging", "onprem"):
        spec = load_spec(env, ROOT / "stacks")
        spec = spec.model_copy(update={"workloads": spec.workloads.model_copy(update={"kuberay": True})})
        plan = plan_spec(spec)
        teams = set(spec.teams)
        for r in plan.resources:
            if r.type == "kubernetes:core/v1:Namespace":
                created.add(r.inputs["metadata"]["name"])
            elif r.type.startswith("kubernetes:helm") and r.inputs.get("namespace"):
                created.add(r.inputs["namespace"])
        created -= teams
    assert "ray-system" in created and "kueue-system" in created
    assert not created - RESERVED_TEAMS, sorted(created - RESERVED_TEAMS)


@pytest.mark.parametrize("command", [["up", "--yes"], ["preview"]])
def test_up_and_preview_stop_on_the_same_problem_before_opening_a_stack(command, stacks, capsys, monkeypatch):
    """With a Pulumi CLI (the automation seam's test double of tests/lifecycle), up and preview read the spec as
    validate does, waivers included, and open no stack."""
    from mlstack.engine.deploy import workspace as ws
    from tests.lifecycle.fakes import FakeAutomation

    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "test")
    auto = FakeAutomation()
    ws.set_automation(lambda: auto)
    try:
        for fixture in ("admin-arn", "unknown-waiver"):
            _write_case(stacks, raise_sites.FIXTURES[fixture])
            assert main(["--stacks-dir", str(stacks), "validate", "--env", "case"]) == 2
            err = capsys.readouterr().err
            assert main(["--stacks-dir", str(stacks), command[0], "--env", "case", *command[1:]]) == 2
            assert capsys.readouterr().err == err
    finally:
        ws.set_automation(None)
    assert auto.calls == [("cli_version",), ("cli_version",)]
