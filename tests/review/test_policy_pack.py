"""The CrossGuard policy pack says what ``mlstack check`` says, rule by rule: its stack validations run
in-process on pulumi-policy's own arguments built from the recorded plans (tests/review/crossguard_args.py)."""

from __future__ import annotations

import ast
from dataclasses import replace
from pathlib import Path

import pytest
from pulumi_policy import EnforcementLevel, StackValidationPolicy

from mlstack.engine.review.policy import RULES, check_plan, pack_levels, rule_ids
from mlstack.engine.review.policy.crossguard import policies
from mlstack.engine.scaffold.policy_pack import PackScope, pack_files

from .crossguard_args import run_policy, stack_args
from .fixtures import plan, reg
from .test_policy_rules import CASES

STACKS = Path(__file__).resolve().parents[2] / "stacks"
# The rules a pack cannot evaluate at all (Rule.pack_gap.evaluated False): disabled in every pack.
NOT_IN_PACKS = {"MLS-GEN-002"}


def _pack(levels) -> dict[str, StackValidationPolicy]:
    return {p.name: p for p in policies({k: v.level for k, v in levels.items()}, target=None)}


def _pack_verdicts(levels, plan_, target):
    pack = {p.name: p for p in policies({k: v.level for k, v in levels.items()}, target=target)}
    args = stack_args(plan_)
    return {rule_id: (levels[rule_id].level, run_policy(pack[rule_id], args)) for rule_id in levels}


def _assert_same(report, verdicts, plan_):
    """Each rule: the pack's level is check's (disabled where check cannot fail it), its violations are check's
    findings at their URNs, and check's "n/a" is the pack's not-applicable (or a disabled policy)."""
    urns = {(r.type, r.name): r.urn for r in plan_.resources}
    for result in report.results:
        rule_id = result.rule.id
        level, (status, violations) = verdicts[rule_id]
        if rule_id in NOT_IN_PACKS:
            assert level == "disabled", rule_id
            continue
        if level == "disabled":
            assert result.status in ("n/a", "waived"), (rule_id, result.status)
            continue
        assert level == result.level, rule_id
        assert status == result.status, (rule_id, violations, [f.message for f in result.findings])
        assert violations == [(urns[(f.type, f.resource)], f.message) for f in result.findings], rule_id


@pytest.fixture(scope="module")
def example_plans(example_plan):
    from mlstack.spec import list_envs, load_spec

    return {env: (load_spec(env, STACKS), example_plan(env)) for env in list_envs(STACKS)}


def test_every_example_plan_gets_checks_verdicts(example_plans):
    assert set(example_plans) == {"staging", "prod", "gcp-staging", "onprem"}
    failed = set()
    for env, (spec, plan_) in example_plans.items():
        # as written, and as if the other protection were chosen (protected_only rules run, levels flip)
        for protected in (spec.protected, not spec.protected):
            report = check_plan(plan_, protected=protected, waivers=spec.waivers)
            levels = pack_levels(protected=protected, waivers=spec.waivers, cloud=spec.target.cloud)
            _assert_same(report, _pack_verdicts(levels, plan_, spec.target.cloud), plan_)
            failed |= {(env, protected, r.rule.id) for r in report.violations()}
    # the comparison covers failures too: the unprotected plans' stateful resources, once judged as protected
    assert ("staging", True, "MLS-GEN-001") in failed and ("gcp-staging", False, "MLS-GCP-014") in failed


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_every_rule_fixture_gets_checks_verdict(rule_id):
    """The hand-built passing and failing fixture of every rule (tests/review/test_policy_rules.py)."""
    levels = pack_levels(protected=True, cloud=None)
    for resources in CASES[rule_id]:
        p = plan(*resources)
        report = check_plan(p, protected=True)
        verdicts = _pack_verdicts(levels, p, None)
        _assert_same(report, verdicts, p)
        if rule_id not in NOT_IN_PACKS:
            assert verdicts[rule_id][1][0] == next(r.status for r in report.results if r.rule.id == rule_id)


def test_the_pack_has_every_rule_with_checks_levels():
    pack = _pack(pack_levels(protected=False, cloud=None))
    assert sorted(pack) == rule_ids()
    assert pack["MLS-AWS-001"].enforcement_level is EnforcementLevel.MANDATORY  # baseline, whatever protect says
    assert pack["MLS-AWS-020"].enforcement_level is EnforcementLevel.ADVISORY
    assert pack["MLS-GEN-001"].enforcement_level is EnforcementLevel.DISABLED  # protected environments only
    assert pack["MLS-GEN-002"].enforcement_level is EnforcementLevel.DISABLED  # the pack cannot see secretness
    protected = _pack(pack_levels(protected=True, cloud="gcp", waivers={"MLS-GCP-014": "rebuilt nightly"}))
    assert protected["MLS-AWS-020"].enforcement_level is EnforcementLevel.DISABLED  # about aws, env on gcp
    assert protected["MLS-GCP-016"].enforcement_level is EnforcementLevel.MANDATORY
    assert protected["MLS-GCP-019"].enforcement_level is EnforcementLevel.ADVISORY  # always advisory
    assert protected["MLS-GCP-014"].enforcement_level is EnforcementLevel.DISABLED  # waived
    assert pack_levels(protected=True, cloud="gcp", waivers={"MLS-GCP-014": "rebuilt nightly"})["MLS-GCP-014"].why == \
        "waived: rebuilt nightly"
    assert protected["MLS-GCP-016"].description == (
        "Cloud KMS keys rotate at least every 90 days. Limits what one leaked key version decrypts.")
    assert NOT_IN_PACKS == {r.id for r in RULES if r.pack_gap is not None and not r.pack_gap.evaluated}


def test_the_known_difference_retain_on_delete():
    """CrossGuard's resource options have no retain-on-delete: a protected stateful resource that is not retained
    fails check's MLS-GEN-001 and passes the pack's, which checks protect alone; an unprotected one fails both."""
    bucket = "aws:s3/bucket:Bucket"
    kept = plan(reg(bucket, "data", {"bucket": "data"}, protect=True, retain=False))
    check = next(r for r in check_plan(kept, protected=True).results if r.rule.id == "MLS-GEN-001")
    assert check.status == "fail"
    pack = _pack(pack_levels(protected=True))
    assert run_policy(pack["MLS-GEN-001"], stack_args(kept)) == ("pass", [])
    loose = plan(reg(bucket, "data", {"bucket": "data"}, protect=False))
    assert run_policy(pack["MLS-GEN-001"], stack_args(loose)) == (
        "fail", [("urn:pulumi:test::acme-ml::aws:s3/bucket:Bucket::data", "stateful resource without protect + retain_on_delete")])
    rule = next(r for r in RULES if r.id == "MLS-GEN-001")
    assert rule.pack_gap is not None and rule.pack_gap.evaluated and "retain" in rule.pack_gap.cannot_see


def test_unknown_values_read_as_the_plan_reads_them():
    """In a preview a value may not be known yet: the pack's rules read it as ``[unknown]``, as a plan's do."""
    p = plan(reg("aws:rds/instance:Instance", "db", {"storageEncrypted": "[unknown]", "backupRetentionPeriod": 7}))
    pack = _pack(pack_levels(protected=True))
    assert run_policy(pack["MLS-AWS-014"], stack_args(p)) == (
        "fail", [("urn:pulumi:test::acme-ml::aws:rds/instance:Instance::db", "storage is not encrypted (storageEncrypted)")])
    assert run_policy(pack["MLS-AWS-016"], stack_args(p)) == ("pass", [])  # 7.0 on the wire, 7 for the rule


def test_the_generated_program_names_each_rule_at_its_level(example_plans):
    spec, _ = example_plans["prod"]
    scope = PackScope(name="mlstack-acme-ml-prod", protected=True, waivers=spec.waivers, cloud="aws", env="prod")
    files = {p.name: text for p, text in pack_files(scope, "policy").items()}
    assert sorted(files) == ["PulumiPolicy.yaml", "__main__.py", "requirements.txt"]
    tree = ast.parse(files["__main__.py"])
    levels = next(ast.literal_eval(n.value) for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "LEVELS")
    assert levels == {k: v.level for k, v in pack_levels(protected=True, waivers=spec.waivers, cloud="aws").items()}
    call = tree.body[-1].value
    assert (call.func.id, ast.literal_eval(call.args[0]), ast.literal_eval(call.keywords[0].value)) == (
        "serve", "mlstack-acme-ml-prod", "aws")
    # no rule logic in the program: it imports the rules
    assert [n.module for n in tree.body if isinstance(n, ast.ImportFrom)] == ["mlstack.engine.review.policy.crossguard"]
    assert files["requirements.txt"].splitlines()[-2:] == ["mlstack-iac==0.1.0", "pulumi-policy<2,>=1.21"]



def test_a_components_outputs_are_not_a_node_pool():
    """In a stack a component's properties are the outputs it registered: one named ``labels`` does not make it
    a pool (MLS-WL-002 reads node pools of the providers the packs know)."""
    labels = {"mlstack.io/accelerator": "nvidia-a100-80gb", "mlstack.io/pool": "a100"}
    flavor = reg("kubernetes:kueue.x-k8s.io/v1beta2:ResourceFlavor", "other", {"metadata": {"name": "other"}})
    component = reg("mlstack:aws:NodePool", "a100", {"labels": labels}, custom=False)
    pool = reg("aws:eks/nodeGroup:NodeGroup", "a100-ng", {"labels": labels})
    pack = _pack(pack_levels(protected=True))
    assert run_policy(pack["MLS-WL-002"], stack_args(plan(flavor, component))) == ("pass", [])
    assert run_policy(pack["MLS-WL-002"], stack_args(plan(flavor, pool))) == ("fail", [(
        "urn:pulumi:test::acme-ml::aws:eks/nodeGroup:NodeGroup::a100-ng",
        "accelerator pool a100 has no Kueue ResourceFlavor: no team quota can reach its accelerators")])
