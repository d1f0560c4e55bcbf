"""``ci:`` without a provider lists notebooks only: the plan has no CI trust and no CI access, and the rest of
the platform is the plan of the same spec without ``ci:`` at all."""

from __future__ import annotations

import shutil
from pathlib import Path

from mlstack.engine.plan.planner import plan_spec
from mlstack.spec import load_spec

ROOT = Path(__file__).resolve().parents[2]


def test_notebooks_without_a_provider_create_no_ci_trust(tmp_path):
    stacks = tmp_path / "stacks"
    shutil.copytree(ROOT / "stacks", stacks)
    base = stacks / "base.yaml"
    text = base.read_text()
    base.write_text(text.replace("ci:\n  provider: github\n  repository: acme/ml-platform\n  refs: [refs/heads/main]\n", ""))
    no_ci = load_spec("onprem", stacks)
    assert no_ci.ci is None
    (stacks / "onprem.yaml").write_text((stacks / "onprem.yaml").read_text() + (
        "ci:\n  notebooks:\n    evaluate: {path: examples/notebooks/evaluate.ipynb}\n"))
    notebooks_only = load_spec("onprem", stacks)
    assert notebooks_only.ci is not None and not notebooks_only.ci.trusted
    with_trust = load_spec("onprem", ROOT / "stacks")
    assert with_trust.ci.trusted
    plans = {name: plan_spec(spec) for name, spec in (("none", no_ci), ("notebooks", notebooks_only), ("trust", with_trust))}
    assert plans["trust"].of_type("mlstack:k8s:CiAccess")
    assert not plans["notebooks"].of_type("mlstack:k8s:CiAccess")
    assert sorted((r.type, r.name) for r in plans["notebooks"].resources) == sorted((r.type, r.name) for r in plans["none"].resources)
