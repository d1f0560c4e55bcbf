"""The PR report: golden Markdown and JSON, the 65,536-character limit, gates; cost and parity on hand-built plans."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlstack.engine.review import cost, report
from mlstack.engine.review.diff import diff_plans
from mlstack.engine.review.parity import Cell, parity, render_text as parity_text
from mlstack.engine.review.policy import check_plan

from golden import check_golden

from .fixtures import plan, reg

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "review"
NG = "aws:eks/nodeGroup:NodeGroup"


def golden(name: str, text: str) -> None:
    check_golden(f"review/{name}", text)


def pool(maxsize: int, spot: bool = True, **extra) -> object:
    return reg(NG, "gpu", {"instanceTypes": ["p4de.24xlarge"], "capacityType": "SPOT" if spot else "ON_DEMAND",
                           "scalingConfig": {"minSize": 0, "maxSize": maxsize}, "labels": {"mlstack.io/pool": "a100"}, **extra},
               env="prod", protect=False)


def sample_review(many: int = 0) -> report.Review:
    base = plan(pool(1), reg("aws:eks/cluster:Cluster", "c", {"name": "c", "roleArn": "r1"}, env="prod", protect=True),
                reg("aws:ecr/repository:Repository", "old", {"name": "old"}, env="prod"), env="prod")
    extra = [reg("aws:ecr/repository:Repository", f"r{i:04d}", {"name": f"r{i:04d}", "imageTagMutability": "IMMUTABLE"}, env="prod")
             for i in range(many)]
    head = plan(pool(4), reg("aws:eks/cluster:Cluster", "c", {"name": "c", "roleArn": "r2"}, env="prod", protect=True),
                reg("aws:kms/key:Key", "k", {}, env="prod"), *extra, env="prod")
    d = diff_plans(base, head, base_label="main", head_label="working tree")
    cb, ch = cost.estimate(base), cost.estimate(head)
    d.extras["cost_delta"] = cost.delta(cb, ch)
    policy = check_plan(head, protected=True, waivers={"MLS-AWS-003": "logs shipped by the platform team's collector"})
    entry = report.EnvReview("prod", d, cb, ch, policy)
    new = report.EnvReview("sandbox", diff_plans(plan(env="sandbox"), plan(reg("aws:kms/key:Key", "k2", {"enableKeyRotation": True},
                                                                             env="sandbox"), env="sandbox")),
                           None, cost.estimate(plan(env="sandbox")), check_plan(plan(env="sandbox"), protected=False), new_env=True)
    return report.Review("ref", "main", "working tree", [entry, new])


def test_markdown_golden():
    golden("comment.md", report.render_markdown(sample_review()))


def test_json_golden():
    golden("review.json", report.render_json(sample_review()))


def test_markdown_summary_and_sections():
    text = report.render_markdown(sample_review())
    assert text.startswith(report.MARKER)
    assert "| env | creates | updates | replaces | deletes | blocking | cost delta | mandatory violations |" in text
    assert "| prod | 1 | 1 | 1 | 1 | ⛔ 1 |" in text  # blocking has its own column: the delete is not a replace
    assert "| sandbox (new) | 1 | 0 | 0 | 0 | 0 |" in text
    assert text.count("<details>") == 2
    assert "`MLS-AWS-003` waived: logs shipped" in text


def test_markdown_never_exceeds_the_limit_and_keeps_the_summary():
    review = sample_review(many=3000)
    full = report.render_markdown(review, limit=10**9)
    assert len(full) > report.COMMENT_LIMIT
    text = report.render_markdown(review)
    assert len(text) <= report.COMMENT_LIMIT
    assert "| prod | 3001 | 1 | 1 | 1 | ⛔ 1 |" in text
    assert "shortened to keep this comment under 65,536 characters" in text
    assert "more change(s) not shown" in text
    tiny = report.render_markdown(review, limit=3000)
    assert len(tiny) <= 3000 and "| prod |" in tiny


def test_gates():
    review = sample_review()
    assert report.gate_failures(review, []) == []
    assert report.gate_failures(review, ["replace"]) == ["--fail-on replace: prod replaces 1 resource(s)"]
    assert report.gate_failures(review, ["delete"]) == ["--fail-on delete: prod deletes 1 resource(s)"]
    mandatory = report.gate_failures(review, ["mandatory"])
    assert len(mandatory) == 2 and mandatory[0].startswith("--fail-on mandatory: prod breaks") and "MLS-AWS-020" in mandatory[0]
    # a protected resource deleted or replaced fails the mandatory gate too (the one CI pipelines use)
    assert mandatory[1] == "--fail-on mandatory: prod deletes or replaces 1 protected resource(s): c (replace)"


def test_mandatory_gate_fails_on_a_protected_delete_alone():
    base = plan(reg("aws:s3/bucket:Bucket", "data", {"bucket": "data"}, env="prod", protect=True), env="prod")
    head = plan(env="prod")
    d = diff_plans(base, head, base_label="main", head_label="working tree")
    entry = report.EnvReview("prod", d, None, cost.estimate(head), check_plan(head, protected=True))
    assert entry.mandatory_violations == 0
    assert report.gate_failures(report.Review("ref", "main", "working tree", [entry]), ["mandatory"]) == [
        "--fail-on mandatory: prod deletes or replaces 1 protected resource(s): data (delete)"]


def test_text_review_prints_the_cost_delta_once():
    text = report.render_text(sample_review())
    assert text.count("cost delta:") == 2 and "  cost:" not in text  # once per environment
    assert "  cost delta: ±$0.00/mo at min, +$27,049.12/mo at max (prices as of 2026-11-29)" in text.splitlines()


def test_cost_of_pools_and_fixed_parts():
    p = plan(pool(4, spot=False), reg("aws:eks/cluster:Cluster", "c"), reg("aws:ec2/natGateway:NatGateway", "nat"),
             reg("aws:rds/instance:Instance", "db", {"instanceClass": "db.t4g.medium", "multiAz": True, "allocatedStorage": 50}),
             reg("aws:efs/fileSystem:FileSystem", "fs"))
    r = cost.estimate(p, shared_storage_gib=100)
    (gpu,) = r.pools
    assert (gpu.name, gpu.machine, gpu.min_nodes, gpu.max_nodes, gpu.spot) == ("a100", "p4de.24xlarge", 0, 4, False)
    node = gpu.node_hourly
    assert node and gpu.monthly_max == round(node * 4 * 730, 2) and gpu.monthly_min == 0
    fixed = {f.what: f.monthly for f in r.fixed}
    assert fixed["EKS cluster fee"] == 73.0
    assert fixed["NAT gateway (hourly, data processed extra)"] == round(0.045 * 730, 2)
    assert fixed["RDS db.t4g.medium Multi-AZ"] == round(0.065 * 2 * 730, 2)
    assert fixed["EFS 100 GiB stored (assumed: storage.shared.size_gib)"] == 30.0
    assert r.monthly_max == round(r.fixed_monthly + gpu.monthly_max, 2)
    text = cost.render_text(r)
    assert f"Prices as of {r.as_of}" in text and "a100" in text
    assert cost.delta(None, r)["monthly_max"] == r.monthly_max


def test_cost_names_missing_prices():
    p = plan(reg(NG, "x", {"instanceTypes": ["z9.mega"], "scalingConfig": {"minSize": 1, "maxSize": 2}}))
    r = cost.estimate(p)
    assert r.missing == ["node pool x: z9.mega in us-west-2 (on-demand)"] and r.pools[0].node_hourly is None
    assert not r.complete and r.to_dict()["total"]["complete"] is False
    text = cost.render_text(r)
    assert "  total (INCOMPLETE: parts without a price counted as 0): $0.00/mo" in text
    assert "    - node pool x: z9.mega in us-west-2 (on-demand)" in text
    assert cost.delta(None, r)["text"] == "±$0.00/mo at min, ±$0.00/mo at max (incomplete: no price for 1 part(s))"


def test_cost_fixed_prices_from_a_fallback_region_say_so():
    p = plan(reg("aws:eks/cluster:Cluster", "c"), reg("aws:ec2/natGateway:NatGateway", "nat"),
             target={"cloud": "aws", "region": "eu-north-1"})
    r = cost.estimate(p)
    assert r.fallback == "always-on prices are the list prices of us-east-1/us-west-2 (the table has none for eu-north-1)"
    assert {f.what: f.note for f in r.fixed} == {"EKS cluster fee": "us-east-1/us-west-2 price",
                                                "NAT gateway (hourly, data processed extra)": "us-east-1/us-west-2 price"}
    assert "Note: always-on prices are the list prices of us-east-1/us-west-2" in cost.render_text(r)
    assert cost.estimate(plan(reg("aws:eks/cluster:Cluster", "c"))).fallback == ""


def test_cost_missing_fixed_price_and_unknown_efs_usage_make_totals_incomplete():
    p = plan(reg("aws:rds/instance:Instance", "db", {"instanceClass": "db.z9.huge", "allocatedStorage": 10}),
             reg("aws:efs/fileSystem:FileSystem", "fs"))
    r = cost.estimate(p)
    assert r.missing == ["db: aws database_hourly:db.z9.huge", "fs: EFS usage (storage.shared.size_gib not set)"]
    assert {f.what: f.note for f in r.fixed}["RDS db.z9.huge"] == "no price for database_hourly:db.z9.huge: counted as 0"


def test_cost_text_is_tidy():
    p = plan(reg("aws:efs/fileSystem:FileSystem", "fs"))
    text = cost.render_text(cost.estimate(p, shared_storage_gib=1024))
    assert "  EFS 1024 GiB stored (assumed: storage.shared.size_gib)  " in text  # not cut
    assert text.splitlines()[1].count("2026-11-29") == 1  # the date once, not again inside the source
    onprem = cost.estimate(plan(env="lab", target={"cloud": "onprem", "kube_context": "lab"}))
    assert cost.render_text(onprem).splitlines()[0] == "Cost of lab (onprem lab), USD, 730 h/month"


def test_filestore_file_shares_as_one_object_or_a_list():
    for shares in ({"capacityGb": 1024, "name": "shared"}, [{"capacityGb": 1024, "name": "shared"}]):
        p = plan(reg("gcp:filestore/instance:Instance", "fs", {"tier": "BASIC_HDD", "fileShares": shares}),
                 target={"cloud": "gcp", "region": "us-central1"})
        (fs,) = cost.estimate(p).fixed
        assert (fs.what, fs.monthly) == ("Filestore BASIC_HDD 1024 GiB (provisioned)", 204.8)


def test_gke_pool_counts_per_zone_and_spot():
    p = plan(reg("gcp:container/cluster:Cluster", "g", {"location": "us-central1"}),
             reg("gcp:container/nodePool:NodePool", "cpu", {"nodeConfig": {"machineType": "n2-standard-4", "spot": True},
                                                             "autoscaling": {"minNodeCount": 1, "maxNodeCount": 2}}),
             target={"cloud": "gcp", "region": "us-central1"})
    (cpu,) = cost.estimate(p).pools
    assert (cpu.min_nodes, cpu.max_nodes, cpu.spot, cpu.note) == (3, 6, True, "per-zone counts x 3 zone(s)")


def test_parity_from_resource_types():
    aws = plan(reg(NG, "gpu", {"labels": {"mlstack.io/accelerator": "nvidia-a100-80gb"}}), reg("aws:s3/bucket:Bucket", "b"),
               reg("aws:rds/instance:Instance", "db"), env="staging")
    onprem = plan(reg("mlstack:k8s:ObjectStore", "minio", custom=False), reg("mlstack:k8s:InClusterPostgres", "pg", custom=False),
                  reg("mlstack:k8s:OnPremNodePool", "p", custom=False), env="lab", target={"cloud": "onprem", "kube_context": "lab"})
    r = parity([aws, onprem])
    assert r.rows["buckets"]["staging"].status == "native" and r.rows["buckets"]["lab"].status == "emulated"
    assert r.rows["tracking"]["lab"].detail == "MLflow + in-cluster Postgres"
    assert r.rows["accelerators"]["staging"].detail == "nvidia-a100-80gb"
    # no verification Job in this hand-built plan, so no accelerator can be read from it
    assert (r.rows["accelerators"]["lab"].status, r.rows["accelerators"]["lab"].detail) == ("missing", "no accelerator pool")
    assert r.rows["registry"]["staging"].status == "missing"
    text = parity_text(r)
    assert text.splitlines()[0].startswith("capability") and "lab (onprem lab)" in text


def test_parity_onprem_pools_are_emulated_and_name_the_accelerator():
    job = reg("kubernetes:batch/v1:Job", "acme-ml-lab-platform-verify-job",
              {"spec": {"template": {"spec": {"nodeSelector": {"mlstack.io/accelerator": "nvidia-a100-80gb"}}}}}, env="lab")
    onprem = plan(reg("mlstack:k8s:OnPremNodePool", "acme-ml-lab-system", env="lab", custom=False),
                  reg("mlstack:k8s:OnPremNodePool", "acme-ml-lab-a100", env="lab", custom=False), job,
                  env="lab", target={"cloud": "onprem", "kube_context": "lab"})
    r = parity([onprem])
    assert r.rows["pools"]["lab"] == Cell("emulated", "existing nodes by label (a100, system)")
    assert r.rows["accelerators"]["lab"] == Cell("native", "nvidia-a100-80gb (existing nodes)")


@pytest.mark.parametrize("fmt", ["md", "json"])
def test_golden_files_exist(fmt):
    assert (GOLDEN / ("comment.md" if fmt == "md" else "review.json")).is_file()
