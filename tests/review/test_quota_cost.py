"""Each team's Kueue quota in $/h at nominal: in `mlstack cost`, its JSON and the PR comment."""

from __future__ import annotations


import pytest

from mlstack.catalog import load_catalog
from mlstack.engine.review.cost import estimate, render_text
from mlstack.engine.review.quota_cost import QuotaLine, TeamQuotaCost

from .fixtures import plan, reg

KUEUE = "kubernetes:kueue.x-k8s.io/v1beta2"


@pytest.fixture(scope="module")
def staging(example_plan):
    return example_plan("staging")


def test_staging_research_quota_is_priced_per_gpu(staging):
    report = estimate(staging)
    cat = load_catalog()
    (pool,) = [p for p in report.pools if p.name == "a100"]
    node = cat.price("aws", pool.machine, "us-west-2", spot=False)  # Karpenter: first capacity type reserved
    assert pool.machine == "p4de.24xlarge" and node is not None
    by_team = {t.team: t for t in report.team_quotas}
    assert sorted(by_team) == ["applied", "research"]
    (line,) = by_team["research"].lines
    assert (line.pool, line.resource, line.devices) == ("a100", "nvidia.com/gpu", 8)
    assert line.device_hourly == round(node / 8, 4)
    assert by_team["research"].hourly == round(8 * round(node / 8, 4), 4)
    assert by_team["applied"].lines == [] and by_team["applied"].hourly == 0
    text = render_text(report)
    assert "team quotas at nominal (Kueue; borrowing not counted):" in text
    assert f"research: ${by_team['research'].hourly:,.2f}/h (8 x a100)" in text
    assert report.to_dict()["team_quotas"][1] == {
        "team": "research", "hourly": by_team["research"].hourly, "complete": True,
        "quotas": [{"pool": "a100", "resource": "nvidia.com/gpu", "devices": 8, "device_hourly": line.device_hourly, "hourly": line.hourly}],
    }


def test_a_pool_without_a_price_is_named_not_guessed():
    cq = reg(f"{KUEUE}:ClusterQueue", "cq", {"metadata": {"name": "research"}, "spec": {"resourceGroups": [
        {"coveredResources": ["cpu", "memory"], "flavors": [{"name": "any-node", "resources": [
            {"name": "cpu", "nominalQuota": "64"}, {"name": "memory", "nominalQuota": "256Gi"}]}]},
        {"coveredResources": ["nvidia.com/gpu"], "flavors": [{"name": "lab", "resources": [{"name": "nvidia.com/gpu", "nominalQuota": "4"}]}]},
    ]}})
    report = estimate(plan(cq, target={"cloud": "onprem", "kube_context": "lab"}))
    (team,) = report.team_quotas
    assert team.lines == [QuotaLine("lab", "nvidia.com/gpu", 4, None)]
    assert not team.complete and team.text == "research: $0.00/h (4 x lab) (incomplete: no price for a pool)"


def test_the_pr_comment_shows_team_quotas():
    from mlstack.engine.review import report
    from mlstack.engine.review.diff import diff_plans
    from mlstack.engine.review.policy import check_plan

    pool = reg("aws:eks/nodeGroup:NodeGroup", "gpu", {"instanceTypes": ["p4de.24xlarge"], "capacityType": "ON_DEMAND",
                                                     "scalingConfig": {"minSize": 0, "maxSize": 2}, "labels": {"mlstack.io/pool": "a100"}})
    cq = reg(f"{KUEUE}:ClusterQueue", "cq", {"metadata": {"name": "research"}, "spec": {"resourceGroups": [
        {"coveredResources": ["nvidia.com/gpu"], "flavors": [{"name": "a100", "resources": [{"name": "nvidia.com/gpu", "nominalQuota": "8"}]}]}]}})
    head = plan(pool, cq)
    report_ = estimate(head)
    node = load_catalog().price("aws", "p4de.24xlarge", "us-west-2", spot=False)
    (team,) = report_.team_quotas
    assert team.hourly == round(8 * round(node / 8, 4), 4)
    entry = report.EnvReview("test", diff_plans(plan(), head), None, report_, check_plan(head, protected=False), new_env=True)
    text = report.render_markdown(report.Review("ref", "main", "working tree", [entry]))
    assert f"<br>Team quotas at nominal ($/h): research: ${team.hourly:,.2f}/h (8 x a100)" in text
    assert TeamQuotaCost("x").text == "x: $0.00/h (no accelerators)"


def test_replace_rules_of_the_new_types():
    from mlstack.engine.review.replace_rules import forces_replacement

    assert forces_replacement("aws:ec2/placementGroup:PlacementGroup", "strategy")
    assert forces_replacement("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "securityGroupId")
    assert not forces_replacement("aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "description")
    assert forces_replacement("kubernetes:kueue.x-k8s.io/v1beta2:LocalQueue", "spec.clusterQueue")
    assert not forces_replacement("kubernetes:kueue.x-k8s.io/v1beta2:ClusterQueue", "spec.resourceGroups")
    assert forces_replacement("kubernetes:kueue.x-k8s.io/v1beta2:ResourceFlavor", "spec.topologyName")
