"""ARNs follow the account's partition (``aws.get_partition``): GovCloud and China plans name no ``arn:aws:``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlstack.engine.plan.mocks import MockOutputs

STACKS = Path(__file__).resolve().parents[2] / "stacks"
COMPONENTS = Path(__file__).resolve().parents[2] / "components"

CASES = [("us-gov-west-1", "aws-us-gov"), ("cn-north-1", "aws-cn"), ("us-west-2", "aws")]


@pytest.mark.parametrize(("region", "partition"), CASES)
def test_the_plan_mocks_answer_the_partition_of_the_region(region, partition):
    from pulumi.runtime.mocks import MockCallArgs

    mocks = MockOutputs(region=region)
    answer, _ = mocks.call(MockCallArgs(token="aws:index/getPartition:getPartition", args={}, provider=""))
    assert answer["partition"] == partition
    assert answer["dnsSuffix"] == ("amazonaws.com.cn" if partition == "aws-cn" else "amazonaws.com")
    caller, _ = mocks.call(MockCallArgs(token="aws:index/getCallerIdentity:getCallerIdentity", args={}, provider=""))
    assert caller["arn"] == f"arn:{partition}:iam::123456789012:user/mlstack-plan"


@pytest.mark.parametrize(("region", "partition"), CASES[:2])
def test_cluster_policy_arns_are_in_the_partition(record_plan, region, partition):
    from mlstack.components.aws.cluster import Cluster, ClusterArgs

    plan = record_plan(
        lambda: Cluster(
            "c",
            ClusterArgs(
                version="1.31",
                subnet_ids=["subnet-a"],
                admin_principal_arns=[f"arn:{partition}:iam::123456789012:role/platform-admin"],
            ),
        ),
        region=region,
    )
    attachments = {
        r.name: r.inputs["policyArn"] for r in plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    }
    assert attachments == {
        "c-role-AmazonEKSClusterPolicy": f"arn:{partition}:iam::aws:policy/AmazonEKSClusterPolicy",
        "c-node-AmazonEKSWorkerNodePolicy": f"arn:{partition}:iam::aws:policy/AmazonEKSWorkerNodePolicy",
        "c-node-AmazonEKS_CNI_Policy": f"arn:{partition}:iam::aws:policy/AmazonEKS_CNI_Policy",
        "c-node-AmazonEC2ContainerRegistryReadOnly": f"arn:{partition}:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
        "c-node-AmazonSSMManagedInstanceCore": f"arn:{partition}:iam::aws:policy/AmazonSSMManagedInstanceCore",
    }
    assocs = plan.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert len(assocs) == 2  # the listed admin and the deployer
    for assoc in assocs:
        assert assoc.inputs["policyArn"] == f"arn:{partition}:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    deployer = plan.one("aws:eks/accessEntry:AccessEntry", "c-deployer")
    assert deployer.inputs["principalArn"] == f"arn:{partition}:iam::123456789012:user/mlstack-plan"


def test_workload_role_attaches_aws_managed_policies_by_name_and_customer_ones_by_arn(record_plan):
    from mlstack.components.aws.irsa_role import WorkloadRole, WorkloadRoleArgs

    plan = record_plan(
        lambda: WorkloadRole(
            "efs",
            WorkloadRoleArgs(
                namespace="kube-system",
                service_account="efs-csi-controller-sa",
                managed_policies=["service-role/AmazonEFSCSIDriverPolicy"],
                managed_policy_arns=["arn:aws-us-gov:iam::123456789012:policy/extra"],
                oidc_provider_arn="arn:aws-us-gov:iam::123456789012:oidc-provider/x",
                oidc_provider_url="oidc.eks.us-gov-west-1.amazonaws.com/id/X",
            ),
        ),
        region="us-gov-west-1",
    )
    attachments = {
        r.name: r.inputs["policyArn"] for r in plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    }
    assert attachments == {
        "efs-AmazonEFSCSIDriverPolicy": "arn:aws-us-gov:iam::aws:policy/service-role/AmazonEFSCSIDriverPolicy",
        "efs-extra": "arn:aws-us-gov:iam::123456789012:policy/extra",
    }


@pytest.mark.parametrize(("region", "partition"), CASES[:2])
def test_a_whole_aws_environment_outside_the_commercial_partition_names_no_arn_aws(region, partition):
    """The staging example planned in GovCloud and in China: every ARN in every input is in that partition, but
    for the team member the spec itself names (a commercial-partition role, passed through as written)."""
    from mlstack.engine.plan.planner import plan_spec
    from mlstack.spec import load_spec

    spec = load_spec("staging", STACKS)
    spec = spec.model_copy(update={"target": spec.target.model_copy(update={"region": region})})
    plan = plan_spec(spec)
    member = "arn:aws:iam::123456789012:role/acme-research"
    assert member in (STACKS / "staging.yaml").read_text()
    text = json.dumps([r.inputs for r in plan.resources]).replace(member, "<spec member>")
    assert "arn:aws:" not in text
    assert text.count(f"arn:{partition}:") >= 20
    efs = plan.one("aws:iam/rolePolicyAttachment:RolePolicyAttachment", f"{spec.prefix}-efs-csi-AmazonEFSCSIDriverPolicy")
    assert efs.inputs["policyArn"] == f"arn:{partition}:iam::aws:policy/service-role/AmazonEFSCSIDriverPolicy"


def test_no_component_for_aws_writes_the_commercial_partition():
    """A literal ``arn:aws:`` in an AWS component would be wrong in GovCloud and China (docstrings aside)."""
    offenders = []
    for path in sorted((COMPONENTS / "aws").glob("*.py")):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            if ('"arn:aws:' in code or "'arn:aws:" in code) and "``" not in code:
                offenders.append(f"{path.name}:{n}")
    assert offenders == []
