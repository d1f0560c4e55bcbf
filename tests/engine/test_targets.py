"""The target packs: registered once, light to import, one table entry per resource type, complete for every
resource type the example environments create."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mlstack import targets
from mlstack.targets.base import ReplaceRule

ROOT = Path(__file__).resolve().parents[2]
STACKS = ROOT / "stacks"


def test_registered_packs_and_target_names():
    assert [p.name for p in targets.packs()] == ["aws", "gcp", "onprem", "kubernetes"]
    assert targets.target_names() == ("aws", "gcp", "onprem")
    assert [p.name for p in targets.for_target("gcp")] == ["gcp", "kubernetes"]
    with pytest.raises(KeyError, match="no target pack 'azure'; registered: aws, gcp, onprem, kubernetes"):
        targets.pack("azure")


def test_the_spec_and_the_catalogue_name_exactly_the_registered_targets():
    """The two type-level lists of target names ("Adding a target" in docs/architecture.md names them): the
    spec's ``target.cloud`` takes every registered target, the catalogue keys only targets with offers."""
    from typing import get_args

    from mlstack.catalog.models import Cloud
    from mlstack.spec.models import Target

    assert get_args(Target.model_fields["cloud"].annotation) == targets.target_names()
    assert set(get_args(Cloud)) == {p.name for p in targets.packs() if p.target and p.priced}


def test_importing_every_pack_and_validating_a_spec_loads_no_pulumi_module():
    """The spec layer reads the packs (spec rules, contract facts): neither pulls Pulumi or an engine part in."""
    code = (
        "import json, sys; from pathlib import Path; from mlstack import targets; targets.packs(); "
        "from mlstack.spec import load_spec; [load_spec(e, Path('stacks')) for e in ('staging', 'gcp-staging', 'onprem')]; "
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0].startswith('pulumi') "
        "or m.startswith('mlstack.engine'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert json.loads(out) == []


def test_a_token_lives_in_one_pack_and_belongs_to_it():
    shared = {prov for p in targets.shared() for prov in p.providers}
    for pack in targets.packs():
        for token in pack.types:
            area = token.split(":", 1)[0]
            if area == "mlstack":
                continue  # an mlstack component standing for a capability (parity)
            # A target pack may describe shared-provider types only its target creates (an operator's CRD).
            assert pack.owns(token) or (pack.target and area in shared), f"{pack.name} holds {token}"
            assert targets.owner(token) is pack
    tokens = [t for _, t, _ in targets.entries()]
    assert len(tokens) == len(set(tokens))


def test_owner_falls_back_to_the_provider_pack():
    assert targets.owner("aws:ec2/getVpc:getVpc").name == "aws"
    assert targets.owner("kubernetes:core/v1:Pod").name == "kubernetes"
    assert targets.owner("random:index/randomUuid:RandomUuid").name == "kubernetes"
    assert targets.owner("azure-native:containerservice:ManagedCluster") is None


def test_stack_config_per_target():
    assert targets.pack("aws").stack_config({"cloud": "aws", "region": "eu-west-1"}) == {"aws:region": "eu-west-1"}
    assert targets.pack("gcp").stack_config({"cloud": "gcp", "region": "us-central1", "project_id": "p-1"}) == {
        "gcp:project": "p-1", "gcp:region": "us-central1"}
    assert targets.pack("onprem").stack_config({"cloud": "onprem", "kube_context": "lab"}) == {"kubernetes:context": "lab"}


def test_every_replace_rule_names_its_source():
    rules = [(t, e.replace) for _, t, e in targets.entries() if e.replace is not None]
    assert {t.split(':')[0] for t, _ in rules} == {'aws', 'gcp', 'kubernetes', 'random'}
    assert [t for t, r in rules if not (isinstance(r, ReplaceRule) and r.source)] == []


@pytest.fixture(scope="module")
def example_plans():
    from mlstack.engine.review.planning import plan_env
    from mlstack.spec import list_envs

    return {env: plan_env(env, STACKS) for env in list_envs(STACKS)}


def _without_entry(plans) -> list[str]:
    return sorted({
        f"{r.type} ({env})"
        for env, plan in plans.items()
        for r in plan.resources
        if r.custom and not r.type.startswith("pulumi:providers:") and targets.resource_type(r.type) is None
    })


def test_every_resource_type_the_examples_create_has_a_table_entry(example_plans):
    """Adding a resource type to a component means adding its entry (mock, replace triggers, cost, parity,
    stateful/secret flags) to its pack's table; provider instances are the engine's own."""
    assert set(example_plans) == {"staging", "prod", "gcp-staging", "onprem"}
    assert _without_entry(example_plans) == []


def test_a_new_type_without_an_entry_is_named(example_plans):
    from dataclasses import replace

    plan = example_plans["onprem"]
    widget = replace(plan.resources[-1], type="kubernetes:example.com/v1:Widget", custom=True)
    provider = replace(plan.resources[-1], type="pulumi:providers:kubernetes", custom=True)
    grown = replace(plan, resources=[*plan.resources, widget, provider])
    assert _without_entry({"onprem": grown}) == ["kubernetes:example.com/v1:Widget (onprem)"]


def test_a_plan_uses_only_its_own_target_pack_and_the_shared_one(example_plans):
    for env, plan in example_plans.items():
        allowed = {p.name for p in targets.for_target(plan.target["cloud"])}
        used = {targets.owner(r.type).name for r in plan.resources if r.custom and targets.owner(r.type)}
        assert used <= allowed, env


def test_every_target_pack_has_every_template_snippet():
    """The pipeline and project templates include targets/<pack>/{ci,project}/<part>.j2 for the spec's target."""
    from importlib.resources import files

    def parts(pack):
        root = files(f"mlstack.targets.{pack.name}")
        return {f"{d}/{p.name}" for d in ("ci", "project") if root.joinpath(d).is_dir() for p in root.joinpath(d).iterdir()}

    import re

    included = set()
    for tpl in (ROOT / "templates").rglob("*.j2"):
        text = tpl.read_text()
        included |= {f"ci/{n}" for n in re.findall(r'c\.ci_snippets ~ "/([\w-]+\.j2)"', text)}
        included |= {f"project/{n}" for n in re.findall(r'\bsnippets ~ "/([\w-]+\.j2)"', text) if "ci_snippets" not in n}
    assert len(included) == 18
    assert {p.name: parts(p) for p in targets.packs() if p.target} == {name: included for name in targets.target_names()}


def test_a_template_part_renders_from_the_target_pack():
    from mlstack.engine.scaffold.render import environment

    text = environment().get_template("targets/gcp/project/readme-target.j2").render()
    assert text == "Google Cloud (GKE)"
