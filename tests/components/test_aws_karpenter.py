"""Karpenter on EKS: controller IAM (IRSA, scoped to the cluster), node role and access entry, interruption queue
and its EventBridge rules, the pinned release; KarpenterNodePool's EC2NodeClass and NodePools, checked against
the strict CRD schemas in tests/crd_schemas.py."""

from __future__ import annotations

import json

import pulumi
import pulumi_kubernetes as k8s
import pytest
from crd_schemas import crd_violations

from mlstack.components.aws.interruption_queue import EVENTS
from mlstack.components.aws.karpenter import Karpenter, KarpenterArgs, controller_statements
from mlstack.components.aws.karpenter_node_pool import KarpenterNodePool, KarpenterNodePoolArgs, node_pool_layout
from mlstack.components.aws.node_pool import Taint

OIDC_ARN = "arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/ABC"
OIDC_URL = "oidc.eks.us-west-2.amazonaws.com/id/ABC"


@pytest.fixture(scope="module")
def controller_plan():
    from mlstack.engine.plan.model import plan_program

    def program():
        provider = k8s.Provider("test-k8s", kubeconfig="{}")
        Karpenter(
            "acme-ml-staging-karpenter",
            KarpenterArgs(
                cluster_name="acme-ml-staging",
                oidc_provider_arn=OIDC_ARN,
                oidc_provider_url=OIDC_URL,
                chart_version="1.14.1",
                tags={"mlstack.io/env": "staging"},
            ),
            opts=pulumi.ResourceOptions(providers=[provider]),
        )

    return plan_program(program, project="acme-ml", env="test", region="us-west-2")


def test_release_is_pinned_and_wired_to_queue_and_role(controller_plan):
    release = controller_plan.one("kubernetes:helm.sh/v3:Release", "acme-ml-staging-karpenter")
    assert release.provider == "test-k8s"
    assert (release.inputs["chart"], release.inputs["version"], release.inputs["namespace"], release.inputs["name"]) == (
        "oci://public.ecr.aws/karpenter/karpenter", "1.14.1", "kube-system", "karpenter"
    )
    values = release.inputs["values"]
    # The queue is auto-named (a replacement never clashes with the old one); the mocks add a fixed suffix.
    assert values["settings"]["clusterName"] == "acme-ml-staging"
    assert values["settings"]["interruptionQueue"].startswith("acme-ml-staging-karpenter-interruption-queue-")
    assert values["serviceAccount"]["name"] == "karpenter"
    assert values["serviceAccount"]["annotations"]["eks.amazonaws.com/role-arn"].startswith(
        "arn:aws:iam::123456789012:role/acme-ml-staging-karpenter-controller-role-"
    )
    assert values["replicas"] == 2


def test_queue_is_encrypted_short_lived_and_tls_only(controller_plan):
    queue = controller_plan.one("aws:sqs/queue:Queue", "acme-ml-staging-karpenter-interruption-queue")
    assert queue.inputs["sqsManagedSseEnabled"] is True
    assert queue.inputs["messageRetentionSeconds"] == 300
    policy = json.loads(
        controller_plan.one("aws:sqs/queuePolicy:QueuePolicy", "acme-ml-staging-karpenter-interruption-policy").inputs["policy"]
    )
    allow, deny = policy["Statement"]
    assert allow["Principal"] == {"Service": ["events.amazonaws.com", "sqs.amazonaws.com"]}
    assert allow["Action"] == "sqs:SendMessage"
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}


def test_one_rule_and_target_per_interruption_event(controller_plan):
    rules = {r.name: json.loads(r.inputs["eventPattern"]) for r in controller_plan.of_type("aws:cloudwatch/eventRule:EventRule")}
    prefix = "acme-ml-staging-karpenter-interruption-"
    assert rules == {
        f"{prefix}spot-interruption": {"detail-type": ["EC2 Spot Instance Interruption Warning"], "source": ["aws.ec2"]},
        f"{prefix}rebalance": {"detail-type": ["EC2 Instance Rebalance Recommendation"], "source": ["aws.ec2"]},
        f"{prefix}state-change": {"detail-type": ["EC2 Instance State-change Notification"], "source": ["aws.ec2"]},
        f"{prefix}scheduled-change": {"detail-type": ["AWS Health Event"], "source": ["aws.health"]},
        f"{prefix}reservation-interruption": {
            "detail-type": ["EC2 Capacity Reservation Instance Interruption Warning"],
            "source": ["aws.ec2"],
        },
    }
    targets = controller_plan.of_type("aws:cloudwatch/eventTarget:EventTarget")
    queue = controller_plan.one("kubernetes:helm.sh/v3:Release", "acme-ml-staging-karpenter").inputs["values"]["settings"]["interruptionQueue"]
    queue_arn = f"arn:aws:sqs:us-west-2:123456789012:{queue}"
    assert sorted(t.name for t in targets) == sorted(f"{prefix}{k}" for k in EVENTS)
    assert {t.inputs["targetId"] for t in targets} == {"interruption-queue"}
    assert {t.inputs["arn"] for t in targets} == {queue_arn}


def test_node_role_joins_the_cluster_as_ec2_linux(controller_plan):
    role = controller_plan.one("aws:iam/role:Role", "acme-ml-staging-karpenter-node")
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    attached = sorted(a.inputs["policyArn"] for a in controller_plan.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment"))
    assert attached == [
        "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
        "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
        "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
    ]
    entry = controller_plan.one("aws:eks/accessEntry:AccessEntry", "acme-ml-staging-karpenter-node")
    assert (entry.inputs["type"], entry.inputs["clusterName"]) == ("EC2_LINUX", "acme-ml-staging")
    assert entry.inputs["principalArn"].startswith("arn:aws:iam::123456789012:role/acme-ml-staging-karpenter-node-")


def test_controller_role_trusts_only_its_service_account_and_is_scoped(controller_plan):
    role = controller_plan.one("aws:iam/role:Role", "acme-ml-staging-karpenter-controller-role")
    cond = json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Condition"]["StringEquals"]
    assert cond[f"{OIDC_URL}:sub"] == "system:serviceaccount:kube-system:karpenter"
    policy = json.loads(controller_plan.one("aws:iam/rolePolicy:RolePolicy", "acme-ml-staging-karpenter-controller-policy").inputs["policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["PassNodeRole"]["Resource"] == controller_plan.one(
        "aws:eks/accessEntry:AccessEntry", "acme-ml-staging-karpenter-node"
    ).inputs["principalArn"]
    assert by_sid["ReadInterruptionQueue"]["Resource"].startswith("arn:aws:sqs:us-west-2:123456789012:acme-ml-staging-karpenter-interruption-queue-")
    assert by_sid["DescribeCluster"]["Resource"] == "arn:aws:eks:us-west-2:123456789012:cluster/acme-ml-staging"
    assert by_sid["ReadInterruptionQueue"]["Action"] == ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"]
    assert by_sid["DeleteOwn"]["Condition"]["StringEquals"] == {"aws:ResourceTag/kubernetes.io/cluster/acme-ml-staging": "owned"}
    assert by_sid["DescribeRegion"]["Condition"] == {"StringEquals": {"aws:RequestedRegion": "us-west-2"}}
    # Mutating EC2/IAM actions are all conditioned on this cluster's tags or scoped to one ARN.
    for s in policy["Statement"]:
        actions = [s["Action"]] if isinstance(s["Action"], str) else s["Action"]
        assert not any(a.endswith("*") for a in actions), s["Sid"]
        if s["Resource"] == "*":
            assert all(a.split(":")[1].startswith(("Describe", "List", "GetProducts")) for a in actions), s["Sid"]


def test_controller_statements_are_pure_data():
    statements = controller_statements("c1", "aws-us-gov", "us-gov-west-1", "111122223333", "arn:node", "arn:queue")
    assert statements[0]["Resource"][0] == "arn:aws-us-gov:ec2:us-gov-west-1::image/*"
    assert json.dumps(statements, sort_keys=True) == json.dumps(
        controller_statements("c1", "aws-us-gov", "us-gov-west-1", "111122223333", "arn:node", "arn:queue"), sort_keys=True
    )


# -- node pools ------------------------------------------------------------------------------------------


def _pool_plan(record_plan, **overrides):
    def program():
        provider = k8s.Provider("test-k8s", kubeconfig="{}")
        args = dict(
            instance_types=["p5.48xlarge", "p4de.24xlarge"],
            ami_type="AL2023_x86_64_NVIDIA",
            accelerator="nvidia-h100",
            capacity_types=["reserved", "spot", "on-demand"],
            capacity_reservation_ids=["cr-0123456789abcdef0"],
            limits={"cpu": "384", "memory": "4096Gi", "nvidia.com/gpu": "16"},
            labels={"team": "research"},
            disk_size_gib=500,
            node_role_name="acme-ml-staging-karpenter-node",
            subnet_ids=["subnet-0aaa", "subnet-0bbb"],
            security_group_ids=["sg-0ccc"],
            tags={"mlstack.io/env": "staging"},
            pool_name="h100",
        )
        args.update(overrides)
        KarpenterNodePool("acme-ml-staging-h100", KarpenterNodePoolArgs(**args), opts=pulumi.ResourceOptions(providers=[provider]))

    return record_plan(program, region="us-west-2")


def test_node_class_has_hardened_launch_and_reservations(record_plan):
    plan = _pool_plan(record_plan)
    node_class = plan.one("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", "acme-ml-staging-h100-class")
    spec = node_class.inputs["spec"]
    assert node_class.inputs["metadata"]["name"] == "h100"
    assert spec["amiSelectorTerms"] == [{"alias": "al2023@latest"}]
    assert spec["role"] == "acme-ml-staging-karpenter-node"
    assert spec["subnetSelectorTerms"] == [{"id": "subnet-0aaa"}, {"id": "subnet-0bbb"}]
    assert spec["securityGroupSelectorTerms"] == [{"id": "sg-0ccc"}]
    assert spec["capacityReservationSelectorTerms"] == [{"id": "cr-0123456789abcdef0"}]
    assert spec["metadataOptions"] == {
        "httpEndpoint": "enabled", "httpProtocolIPv6": "disabled", "httpPutResponseHopLimit": 1, "httpTokens": "required"
    }
    assert spec["blockDeviceMappings"] == [
        {
            "deviceName": "/dev/xvda",
            "rootVolume": True,
            "ebs": {"volumeSize": "500Gi", "volumeType": "gp3", "encrypted": True, "deleteOnTermination": True},
        }
    ]
    assert "instanceStorePolicy" not in spec
    assert crd_violations(plan.resources) == []


def test_native_order_is_one_node_pool_that_never_evicts_a_running_job(record_plan):
    plan = _pool_plan(record_plan)
    (pool,) = plan.of_type("kubernetes:karpenter.sh/v1:NodePool")
    assert (pool.name, pool.inputs["metadata"]["name"]) == ("acme-ml-staging-h100", "h100")
    spec = pool.inputs["spec"]
    template = spec["template"]
    assert template["metadata"]["labels"] == {
        "mlstack.io/accelerator": "nvidia-h100", "mlstack.io/pool": "h100", "team": "research"
    }
    assert template["spec"]["taints"] == [{"key": "nvidia.com/gpu", "value": "present", "effect": "NoSchedule"}]
    assert template["spec"]["requirements"] == [
        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["reserved", "spot", "on-demand"]},
        {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},
        {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
        {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["p4de.24xlarge", "p5.48xlarge"]},
    ]
    assert template["spec"]["nodeClassRef"] == {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "h100"}
    assert template["spec"]["expireAfter"] == "Never"
    assert spec["disruption"] == {
        "consolidationPolicy": "WhenEmpty",
        "consolidateAfter": "10m",
        "budgets": [{"nodes": "0", "reasons": ["Drifted", "Underutilized"]}, {"nodes": "10%", "reasons": ["Empty"]}],
    }
    assert spec["limits"] == {"cpu": "384", "memory": "4096Gi", "nvidia.com/gpu": "16"}
    assert "weight" not in spec
    assert pool.depends_on == [plan.one("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", "acme-ml-staging-h100-class").urn]


def test_children_wait_for_what_the_pool_waits_for(record_plan):
    def program():
        provider = k8s.Provider("test-k8s", kubeconfig="{}")
        crds = k8s.core.v1.ConfigMap("crds", metadata={"name": "crds"}, opts=pulumi.ResourceOptions(provider=provider))
        KarpenterNodePool(
            "p",
            KarpenterNodePoolArgs(
                instance_types=["m6i.xlarge"], limits={"cpu": "4"}, node_role_name="r", subnet_ids=["subnet-1"], security_group_ids=["sg-1"]
            ),
            opts=pulumi.ResourceOptions(providers=[provider], depends_on=[crds]),
        )

    plan = record_plan(program)
    crds = plan.one("kubernetes:core/v1:ConfigMap", "crds").urn
    assert crds in plan.one("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", "p-class").depends_on
    assert crds in plan.one("kubernetes:karpenter.sh/v1:NodePool", "p").depends_on


def test_other_orders_become_weighted_fallback_pools(record_plan):
    plan = _pool_plan(record_plan, capacity_types=["on-demand", "spot"], capacity_reservation_ids=[])
    pools = {p.inputs["metadata"]["name"]: p.inputs["spec"] for p in plan.of_type("kubernetes:karpenter.sh/v1:NodePool")}
    assert sorted(pools) == ["h100-on-demand", "h100-spot"]
    assert (pools["h100-on-demand"]["weight"], pools["h100-spot"]["weight"]) == (100, 90)
    assert pools["h100-spot"]["template"]["spec"]["requirements"][0]["values"] == ["spot"]
    assert "capacityReservationSelectorTerms" not in plan.one(
        "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", "acme-ml-staging-h100-class"
    ).inputs["spec"]
    assert crd_violations(plan.resources) == []


def test_cpu_pools_consolidate_and_expire(record_plan):
    plan = _pool_plan(
        record_plan,
        instance_types=["m6i.xlarge"],
        ami_type="AL2023_x86_64_STANDARD",
        accelerator=None,
        capacity_types=["on-demand"],
        capacity_reservation_ids=[],
        taints=[Taint(key="dedicated", value="batch", effect="NO_EXECUTE")],
        instance_store_raid0=True,
    )
    (pool,) = plan.of_type("kubernetes:karpenter.sh/v1:NodePool")
    spec = pool.inputs["spec"]
    assert spec["disruption"] == {"consolidationPolicy": "WhenEmptyOrUnderutilized", "consolidateAfter": "10m", "budgets": [{"nodes": "10%"}]}
    assert spec["template"]["spec"]["expireAfter"] == "720h"
    assert spec["template"]["spec"]["taints"] == [{"key": "dedicated", "value": "batch", "effect": "NoExecute"}]
    node_class = plan.one("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", "acme-ml-staging-h100-class")
    assert node_class.inputs["spec"]["instanceStorePolicy"] == "RAID0"
    assert crd_violations(plan.resources) == []


def test_the_schema_rejects_what_karpenter_would(record_plan):
    plan = _pool_plan(record_plan, labels={"karpenter.sh/capacity-type": "spot"})
    assert any("karpenter.sh/capacity-type" in e for e in crd_violations(plan.resources))
    plan = _pool_plan(record_plan, limits={"nvidia.com/gpu": "sixteen"})
    assert any("limits/nvidia.com/gpu" in e for e in crd_violations(plan.resources))


def test_layout():
    assert node_pool_layout(["spot", "on-demand"]) == [(None, ["spot", "on-demand"], None)]
    assert node_pool_layout(["reserved", "on-demand"]) == [(None, ["reserved", "on-demand"], None)]
    assert node_pool_layout(["on-demand", "reserved"]) == [("on-demand", ["on-demand"], 100), ("reserved", ["reserved"], 90)]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"instance_types": []}, "instance_types must not be empty"),
        ({"capacity_types": ["spot", "spot"]}, "capacity_types must be distinct"),
        ({"capacity_types": ["reserved"], "capacity_reservation_ids": []}, "'reserved' and capacity_reservation_ids"),
        ({"capacity_types": ["spot"]}, "'reserved' and capacity_reservation_ids"),
        ({"limits": {}}, "limits must not be empty"),
    ],
)
def test_args_refuse_bad_combinations(overrides, message):
    args = dict(
        instance_types=["p5.48xlarge"],
        capacity_types=["reserved"],
        capacity_reservation_ids=["cr-1"],
        limits={"cpu": "1"},
    )
    args.update(overrides)
    with pytest.raises(ValueError, match=message):
        KarpenterNodePoolArgs(**args)
