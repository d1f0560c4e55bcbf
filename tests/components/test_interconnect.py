"""Interconnect for multi-node pools: EFA on AWS node groups, COMPACT placement + gVNIC on GKE, the EFA device
plugin; exact inputs under the mocks."""

from __future__ import annotations

import pytest

from k8s_checks import record_with_provider

SUBNETS = ["subnet-a", "subnet-b", "subnet-c"]


def _aws_pool(record_plan, **kw):
    from mlstack.components.aws.node_pool import NodePool, NodePoolArgs

    base = dict(cluster_name="acme-ml-prod", node_role_arn="arn:aws:iam::123456789012:role/node", subnet_ids=SUBNETS,
                instance_types=["p4de.24xlarge"], ami_type="AL2023_x86_64_NVIDIA", accelerator="nvidia-a100-80gb",
                pool_name="a100", max_size=4)
    return record_plan(lambda: NodePool("acme-ml-prod-a100", NodePoolArgs(**{**base, **kw})), region="us-west-2")


def test_efa_pool_interfaces_placement_and_security_group(record_plan):
    plan = _aws_pool(record_plan, efa_interfaces=4, vpc_id="vpc-123", node_security_group_ids=["sg-cluster"])
    comp = plan.one("mlstack:aws:NodePool", "acme-ml-prod-a100")
    sg = plan.one("aws:ec2/securityGroup:SecurityGroup", "acme-ml-prod-a100-efa")
    assert sg.parent == comp.urn and sg.inputs["vpcId"] == "vpc-123"
    for direction, type_ in (("in", "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"),
                             ("out", "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")):
        rule = plan.one(type_, f"acme-ml-prod-a100-efa-{direction}")
        # All traffic, from and to the group itself only (EFA's requirement): never a CIDR.
        assert rule.inputs["ipProtocol"] == "-1"
        assert rule.inputs["securityGroupId"] == rule.inputs["referencedSecurityGroupId"]
        assert "cidrIpv4" not in rule.inputs
    pg = plan.one("aws:ec2/placementGroup:PlacementGroup", "acme-ml-prod-a100-pg")
    assert pg.inputs["strategy"] == "cluster"
    lt = plan.one("aws:ec2/launchTemplate:LaunchTemplate", "acme-ml-prod-a100-lt")
    interfaces = lt.inputs["networkInterfaces"]
    assert [(i["networkCardIndex"], i["deviceIndex"], i["interfaceType"]) for i in interfaces] == [
        (0, 0, "efa"), (1, 1, "efa"), (2, 1, "efa"), (3, 1, "efa")]
    assert all(i["securityGroups"][0] == "sg-cluster" and len(i["securityGroups"]) == 2 for i in interfaces)
    assert "groupName" in lt.inputs["placement"]
    ng = plan.one("aws:eks/nodeGroup:NodeGroup", "acme-ml-prod-a100")
    assert ng.inputs["subnetIds"] == ["subnet-a"]  # one subnet: the placement group is in one AZ


def test_a_pool_without_efa_is_unchanged(record_plan):
    plan = _aws_pool(record_plan)
    assert not plan.of_type("aws:ec2/placementGroup:PlacementGroup") and not plan.of_type("aws:ec2/securityGroup:SecurityGroup")
    lt = plan.one("aws:ec2/launchTemplate:LaunchTemplate", "acme-ml-prod-a100-lt")
    assert "networkInterfaces" not in lt.inputs and "placement" not in lt.inputs
    assert plan.one("aws:eks/nodeGroup:NodeGroup", "acme-ml-prod-a100").inputs["subnetIds"] == SUBNETS


def test_efa_needs_its_vpc_and_the_node_security_group(record_plan):
    from mlstack.errors import EngineError

    with pytest.raises(EngineError, match="efa_interfaces needs vpc_id and node_security_group_ids"):
        _aws_pool(record_plan, efa_interfaces=4)


def test_gke_compact_placement_and_gvnic(record_plan):
    from mlstack.components.gcp.node_pool import NodePool, NodePoolArgs

    args = NodePoolArgs(project_id="p", location="us-central1", cluster="c", service_account_email="n@p.iam.gserviceaccount.com",
                        pool_name="a100", machine_type="a2-ultragpu-8g", accelerator_type="nvidia-a100-80gb", accelerator_count=8,
                        max_node_count=4, node_locations=("us-central1-a",), compact_placement=True, gvnic=True)
    plan = record_plan(lambda: NodePool("acme-a100", args), region="us-central1", gcp_project="p")
    pool = plan.one("gcp:container/nodePool:NodePool", "acme-a100-pool")
    assert pool.inputs["placementPolicy"] == {"type": "COMPACT"}
    assert pool.inputs["nodeConfig"]["gvnic"] == {"enabled": True}
    assert pool.inputs["nodeLocations"] == ["us-central1-a"]


def test_efa_device_plugin_release(record_plan):
    from mlstack.components.k8s.efa_support import EfaSupport, EfaSupportArgs

    plan = record_with_provider(record_plan, lambda opts: EfaSupport("acme-ml-prod-efa", EfaSupportArgs(chart_version="v0.5.30"), opts))
    rel = plan.one("kubernetes:helm.sh/v3:Release", "acme-ml-prod-efa-release")
    assert (rel.inputs["chart"], rel.inputs["version"], rel.inputs["namespace"]) == ("aws-efa-k8s-device-plugin", "v0.5.30", "aws-efa")
    assert rel.inputs["repositoryOpts"] == {"repo": "https://aws.github.io/eks-charts"}
    values = rel.inputs["values"]
    assert values["nodeSelector"] == {"mlstack.io/efa": "true"}
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in values["tolerations"]
    assert values["resources"] == {"requests": {"cpu": "10m", "memory": "20Mi"}, "limits": {"memory": "64Mi"}}
    ns = plan.one("kubernetes:core/v1:Namespace", "acme-ml-prod-efa-ns")
    assert ns.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"
