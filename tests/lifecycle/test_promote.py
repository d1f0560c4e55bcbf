from __future__ import annotations

import pytest

from mlstack.engine.deploy import lock as lk
from mlstack.engine.deploy.promote import promote, set_versions
from mlstack.errors import UsageError
from mlstack.spec import load_spec

from .fakes import copy_stacks, tiny_plan
from .test_lock import TOOLS



def new_versions(stacks):
    """What staging resolves to now, with postgres moved on: a promotion that changes one value."""
    from mlstack.engine.plan.versions import resolved_versions

    return {**resolved_versions(load_spec("staging", stacks)), "postgres": "17"}


@pytest.fixture
def stacks(tmp_path):
    return copy_stacks(tmp_path)


def fake_plan(spec):
    return tiny_plan(spec.env, spec.versions.postgres or "16")


def lock_staging(stacks, versions=None):
    lock = lk.build_lock(load_spec("staging", stacks), {}, TOOLS)
    lock["versions"] = dict(versions or new_versions(stacks))
    lk.write_lock(lk.lock_path("staging", stacks), lock)


def test_dry_run_writes_nothing(stacks):
    lock_staging(stacks)
    before = (stacks / "prod.yaml").read_text()
    r = promote("staging", "prod", stacks, plan=fake_plan)
    assert (stacks / "prod.yaml").read_text() == before and not r.written
    assert '+  postgres: "17"' in r.spec_diff and r.spec_diff.startswith("--- a/stacks/prod.yaml\n+++ b/stacks/prod.yaml\n")
    assert "~  aws:rds/instance:Instance  acme-ml-prod-db" in r.plan_diff
    assert 'engineVersion: "16" -> "17"' in r.plan_diff
    assert any("had no versions block" in n for n in r.notes)


def test_write_keeps_comments_and_layout(stacks):
    lock_staging(stacks)
    before = (stacks / "prod.yaml").read_text()
    r = promote("staging", "prod", stacks, plan=fake_plan, write=True)
    after = (stacks / "prod.yaml").read_text()
    assert r.written and after == r.new_text
    # every original line survives, in order; only the versions block is added, after target:
    assert [ln for ln in after.splitlines() if ln in before.splitlines()] == before.splitlines()
    v = new_versions(stacks)
    assert after.splitlines()[6:11] == ["versions:"] + [f'  {k}: "{v[k]}"' for k in sorted(v)]
    base_before = (stacks / "base.yaml").read_text()
    assert load_spec("prod", stacks).versions.postgres == "17"
    assert (stacks / "base.yaml").read_text() == base_before  # the shared base is untouched
    again = promote("staging", "prod", stacks, plan=fake_plan, write=True)
    assert not again.changed and again.plan_diff == "no changes\n"


def test_existing_block_updated_in_place():
    text = '# top\nproject: a\nversions:   # pinned\n  kubernetes: "1.33"  # k8s\n  mlflow: "2.0.0"\nenv: prod\n'
    new, created = set_versions(text, {"kubernetes": "1.34", "mlflow": "2.0.0"})
    assert not created
    assert new == '# top\nproject: a\nversions:   # pinned\n  kubernetes: "1.34"  # k8s\n  mlflow: "2.0.0"\nenv: prod\n'


def test_refuses_without_lock(stacks):
    with pytest.raises(UsageError, match="staging has no lock file.*--force") as e:
        promote("staging", "prod", stacks, plan=fake_plan)
    assert e.value.exit_code == 2
    r = promote("staging", "prod", stacks, plan=fake_plan, force=True)
    assert r.changed and "never deployed" in r.notes[0]


def test_refuses_when_source_changed_since_lock(stacks):
    lock_staging(stacks)
    s = stacks / "staging.yaml"
    s.write_text(s.read_text().replace("max: 1", "max: 2"))
    before = (stacks / "prod.yaml").read_text()
    with pytest.raises(UsageError, match="staging's spec changed since its lock"):
        promote("staging", "prod", stacks, plan=fake_plan, write=True)
    assert (stacks / "prod.yaml").read_text() == before
    r = promote("staging", "prod", stacks, plan=fake_plan, force=True)
    assert r.versions == new_versions(stacks) and "last deployed" in r.notes[0]


def test_refuses_between_clouds(stacks):
    (stacks / "lab.yaml").write_text("project: acme-ml\ntarget: {cloud: onprem, kube_context: lab}\nstorage: {buckets: {artifacts: {}}, shared: {nfs_server: nas.lab, nfs_path: /x}}\n")
    assert load_spec("lab", stacks).target.cloud == "onprem"
    with pytest.raises(UsageError, match="staging runs on aws and lab on onprem"):
        promote("staging", "lab", stacks, plan=fake_plan)


def test_refuses_bad_lock_and_same_env(stacks):
    (stacks / "staging.lock.json").write_text("{")
    with pytest.raises(UsageError, match="not valid JSON"):
        promote("staging", "prod", stacks, plan=fake_plan, force=True)
    with pytest.raises(UsageError, match="both 'prod'"):
        promote("prod", "prod", stacks)


def test_invalid_result_is_refused(stacks):
    lock_staging(stacks, {**new_versions(stacks), "mlflow": "1.0.0"})
    before = (stacks / "prod.yaml").read_text()
    with pytest.raises(UsageError) as e:
        promote("staging", "prod", stacks, plan=fake_plan, write=True)
    assert "prod's spec would be invalid" in str(e.value) and str(stacks / "prod.yaml") in str(e.value)
    assert (stacks / "prod.yaml").read_text() == before


def test_write_pins_the_target_lock_to_what_the_source_ran(stacks):
    lock_staging(stacks)
    promote("staging", "prod", stacks, plan=fake_plan, write=True)
    prod = load_spec("prod", stacks)
    lock = lk.read_lock(lk.lock_path("prod", stacks), "acme-ml", "prod")
    assert lock["promoted_from"] == "staging"
    assert lock["spec_digest"] == lk.spec_digest(prod)
    assert lock["versions"] == new_versions(stacks)
    assert lock["tools"] == TOOLS
    # so the post-merge `up --env prod --locked` finds nothing to refuse with the same tools
    assert lk.lock_differences(lock, prod, TOOLS) == []
    # and a later hand edit of prod.yaml is caught
    (stacks / "prod.yaml").write_text((stacks / "prod.yaml").read_text().replace("max: 4", "max: 5"))
    assert lk.lock_differences(lock, load_spec("prod", stacks), TOOLS)[0].startswith("spec digest:")


def test_dry_run_leaves_the_target_lock_alone(stacks):
    lock_staging(stacks)
    promote("staging", "prod", stacks, plan=fake_plan)
    assert not lk.lock_path("prod", stacks).exists()


def test_a_corrupt_target_lock_leaves_everything_unwritten(stacks):
    lock_staging(stacks)
    before = (stacks / "prod.yaml").read_text()
    lk.lock_path("prod", stacks).write_text("{not json")
    with pytest.raises(UsageError, match="prod.lock.json is not valid JSON"):
        promote("staging", "prod", stacks, plan=fake_plan, write=True)
    assert (stacks / "prod.yaml").read_text() == before
    assert lk.lock_path("prod", stacks).read_text() == "{not json"
