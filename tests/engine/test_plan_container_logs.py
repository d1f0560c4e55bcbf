"""Container logs on AWS (MLflow's access log among them): the amazon-cloudwatch-observability add-on through
EksAddons.add (locked; components/aws/eks_addons.py), its IRSA role scoped to the log groups mlstack makes first, each group encrypted
with its own customer-managed key and kept ``cluster.log_retention_days``; the policy rule on log groups."""

from __future__ import annotations

import json

from mlstack.engine.review.planning import plan_env
from tests.lifecycle.fakes import copy_stacks
from tests.stack_text import with_sections

ADDON = "aws:eks/addon:Addon"
GROUP = "aws:cloudwatch/logGroup:LogGroup"
PREFIX = "acme-ml-staging-container-logs"


def test_the_addon_ships_into_encrypted_groups_with_the_specs_retention(example_plan):
    plan = example_plan("staging")
    (logs,) = plan.of_type("mlstack:aws:ContainerLogs")
    assert logs.name == PREFIX
    addon = plan.one(ADDON, "acme-ml-staging-cloudwatch-observability")
    assert (addon.inputs["addonName"], addon.inputs["clusterName"]) == ("amazon-cloudwatch-observability", "acme-ml-staging")
    assert addon.inputs["serviceAccountRoleArn"].startswith(f"arn:aws:iam::123456789012:role/{PREFIX}-agent-role")
    assert "addonVersion" not in addon.inputs  # EKS's default until a lock names one (platform_versions records it)
    # After its groups and the nodes: Fluent Bit would create missing groups unencrypted.
    groups = {r.inputs["name"]: r for r in plan.of_type(GROUP) if r.name.startswith(PREFIX)}
    assert sorted(groups) == [f"/aws/containerinsights/acme-ml-staging/{g}" for g in ("application", "dataplane", "host", "performance")]
    key = plan.one("aws:kms/key:Key", f"{PREFIX}-key")
    node_group = plan.one("aws:eks/nodeGroup:NodeGroup", "acme-ml-staging-system")
    assert {r.urn for r in groups.values()} | {key.urn, node_group.urn} <= set(addon.depends_on)
    for group in groups.values():
        assert group.inputs["retentionInDays"] == 90 and group.inputs["kmsKeyId"].startswith("arn:aws:kms:")
        assert key.urn in group.input_deps["kmsKeyId"]
    assert key.inputs["enableKeyRotation"] is True
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    assert statements["CloudWatchLogsEncrypts"]["Principal"] == {"Service": "logs.us-west-2.amazonaws.com"}
    assert statements["CloudWatchLogsEncrypts"]["Condition"] == {"ArnLike": {
        "kms:EncryptionContext:aws:logs:arn": "arn:aws:logs:us-west-2:123456789012:log-group:/aws/containerinsights/acme-ml-staging/*"}}


def test_the_agents_role_writes_its_groups_only(example_plan):
    plan = example_plan("staging")
    role = plan.one("aws:iam/role:Role", f"{PREFIX}-agent-role")
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert [v for k, v in trust["Condition"]["StringEquals"].items() if k.endswith(":sub")] == [
        "system:serviceaccount:amazon-cloudwatch:cloudwatch-agent"]
    policy = json.loads(plan.one("aws:iam/rolePolicy:RolePolicy", f"{PREFIX}-agent-policy").inputs["policy"])
    groups = "arn:aws:logs:us-west-2:123456789012:log-group:/aws/containerinsights/acme-ml-staging/*"
    assert policy["Statement"] == [
        {"Sid": "WriteOwnGroups", "Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"],
         "Resource": [groups, f"{groups}:log-stream:*"]},
        {"Sid": "Describe", "Effect": "Allow", "Action": ["ec2:DescribeTags", "ec2:DescribeVolumes", "logs:DescribeLogGroups"],
         "Resource": "*"},
        {"Sid": "ContainerInsightsMetrics", "Effect": "Allow", "Action": "cloudwatch:PutMetricData", "Resource": "*",
         "Condition": {"StringEquals": {"cloudwatch:namespace": "ContainerInsights"}}},
    ]  # fmt: skip
    # No AWS-managed policy (CloudWatchAgentServerPolicy would add CreateLogGroup, PutRetentionPolicy, SSM reads).
    attached = [r.name for r in plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")]
    assert attached and not any(name.startswith(PREFIX) for name in attached)


def test_prod_protects_and_retains_the_audit_trail_and_the_rule_passes(example_plan):
    from mlstack.engine.review.policy import check_plan

    prod = example_plan("prod")
    groups = [r for r in prod.of_type(GROUP) if r.name.startswith("acme-ml-prod-container-logs")]
    assert len(groups) == 4 and all(r.protect and r.retain_on_delete for r in groups)
    assert prod.one("aws:kms/key:Key", "acme-ml-prod-container-logs-key").protect
    (result,) = [r for r in check_plan(prod, protected=True).results if r.rule.id == "MLS-AWS-026"]
    assert result.findings == [] and result.status == "pass"


def test_the_add_on_version_is_locked_like_every_other(example_plan):
    platform = example_plan("staging").outputs["platform_versions"]
    assert "addon/amazon-cloudwatch-observability" in platform


def test_container_logs_false_ships_none(tmp_path):
    stacks = copy_stacks(tmp_path)
    path = stacks / "staging.yaml"
    path.write_text(with_sections(path.read_text(), json.dumps({"cluster": {"container_logs": False}})))
    plan = plan_env("staging", stacks)
    assert plan.of_type("mlstack:aws:ContainerLogs") == []
    assert [r for r in plan.of_type(ADDON) if r.inputs["addonName"] == "amazon-cloudwatch-observability"] == []
