"""Node provisioning from the spec on AWS: staging chooses Karpenter (a Capacity Block, then spot, then on-demand for
its A100 pool), prod keeps the Cluster Autoscaler. Exact inputs of the recorded objects, the custom resources
against the strict CRD schemas, and what cost, policy and parity make of them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from crd_schemas import crd_violations
from k8s_checks import validate_manifests, manifests

from mlstack.engine.review.planning import plan_env

ROOT = Path(__file__).resolve().parents[2]
STACKS = ROOT / "stacks"
NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"
NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
RELEASE = "kubernetes:helm.sh/v3:Release"


@pytest.fixture(scope="module")
def staging():
    return plan_env("staging", STACKS)


@pytest.fixture(scope="module")
def prod():
    return plan_env("prod", STACKS)


def _requirement(values, key="karpenter.sh/capacity-type"):
    return {"key": key, "operator": "In", "values": values}


def test_karpenter_replaces_the_cluster_autoscaler(staging, prod):
    assert staging.of_type("mlstack:aws:ClusterAutoscaler") == []
    (karpenter,) = staging.of_type("mlstack:aws:Karpenter")
    assert karpenter.name == "acme-ml-staging-karpenter"
    release = staging.one(RELEASE, "acme-ml-staging-karpenter")
    assert (release.inputs["chart"], release.inputs["version"], release.inputs["namespace"]) == (
        "oci://public.ecr.aws/karpenter/karpenter", "1.14.1", "kube-system")
    assert release.inputs["values"] == {
        # the controller's image from the catalogue (by digest once locked: tests/deploy/test_locked_plans.py)
        "controller": {"image": {"digest": "", "repository": "public.ecr.aws/karpenter/controller", "tag": "1.14.1"},
                       "resources": {"limits": {"memory": "1Gi"}, "requests": {"cpu": "1", "memory": "1Gi"}}},
        "replicas": 2,
        # IRSA: the controller's role (the mock's ARN of acme-ml-staging-karpenter-controller-role).
        "serviceAccount": {"annotations": {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/acme-ml-staging-karpenter-controller-role-4392dd2"},
                           "name": "karpenter"},
        # node repair for the GPU nodes it launches (tests/engine/test_node_health.py)
        "settings": {"clusterName": "acme-ml-staging", "featureGates": {"nodeRepair": True},
                     "interruptionQueue": "acme-ml-staging-karpenter-interruption-queue-2b4f662"},
    }
    (queue,) = staging.of_type("aws:sqs/queue:Queue")
    assert queue.name == "acme-ml-staging-karpenter-interruption-queue"
    assert (queue.inputs["messageRetentionSeconds"], queue.inputs["sqsManagedSseEnabled"]) == (300, True)
    # prod keeps the default: the Cluster Autoscaler on managed node groups, nothing of Karpenter.
    assert [r.name for r in prod.of_type("mlstack:aws:ClusterAutoscaler")] == ["acme-ml-prod-autoscaler"]
    assert not [r for r in prod.resources if "karpenter" in r.type.lower() or "sqs" in r.type]


def test_the_system_floor_stays_a_managed_node_group(staging):
    assert [r.name for r in staging.of_type(NODE_GROUP)] == ["acme-ml-staging-system"]
    system = staging.one(NODE_GROUP, "acme-ml-staging-system")
    assert system.inputs["scalingConfig"] == {"desiredSize": 2, "maxSize": 2, "minSize": 2}
    assert system.inputs["instanceTypes"] == ["m6i.xlarge"]
    np = staging.one(NODE_POOL, "acme-ml-staging-system-karpenter")
    assert np.inputs["metadata"]["annotations"] == {"mlstack.io/max-nodes": "2"}  # max 4 - min 2
    assert np.inputs["spec"]["limits"] == {"cpu": "8", "memory": "32Gi"}  # 2 x m6i.xlarge (4 vCPU, 16 GiB)
    assert np.inputs["spec"]["disruption"] == {
        "budgets": [{"nodes": "10%"}], "consolidateAfter": "10m", "consolidationPolicy": "WhenEmptyOrUnderutilized"}
    assert np.inputs["spec"]["template"]["spec"]["requirements"][0] == _requirement(["on-demand"])


def test_the_gpu_pool_is_a_node_pool_with_its_capacity_order_and_capacity_block(staging):
    np = staging.one(NODE_POOL, "acme-ml-staging-a100-karpenter")
    assert np.inputs["metadata"] == {
        "annotations": {"mlstack.io/capacity-block": "true", "mlstack.io/max-nodes": "1"},
        "labels": {"app.kubernetes.io/managed-by": "mlstack", "mlstack.io/pool": "a100"},
        "name": "a100",
    }
    spec = np.inputs["spec"]
    assert spec["limits"] == {"cpu": "96", "memory": "1152Gi", "nvidia.com/gpu": "8"}  # 1 x p4de.24xlarge
    assert spec["disruption"] == {
        "budgets": [{"nodes": "0", "reasons": ["Drifted", "Underutilized"]}, {"nodes": "10%", "reasons": ["Empty"]}],
        "consolidateAfter": "10m",
        "consolidationPolicy": "WhenEmpty",  # a running training job is never evicted by Karpenter on its own
    }
    template = spec["template"]
    assert template["metadata"] == {"labels": {
        "mlstack.io/accelerator": "nvidia-a100-80gb", "mlstack.io/efa": "true", "mlstack.io/pool": "a100"}}
    assert template["spec"]["expireAfter"] == "Never"
    assert template["spec"]["nodeClassRef"] == {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "a100"}
    assert template["spec"]["requirements"] == [
        _requirement(["reserved", "spot", "on-demand"]),
        _requirement(["amd64"], "kubernetes.io/arch"),
        _requirement(["linux"], "kubernetes.io/os"),
        _requirement(["p4de.24xlarge"], "node.kubernetes.io/instance-type"),  # the catalogue's types with 8 A100s
    ]
    assert template["spec"]["taints"] == [{"effect": "NoSchedule", "key": "nvidia.com/gpu", "value": "present"}]
    assert "weight" not in spec  # Karpenter's own order: one NodePool
    cls = staging.one(NODE_CLASS, "acme-ml-staging-a100-karpenter-class")
    assert cls.inputs["spec"]["capacityReservationSelectorTerms"] == [{"id": "cr-0123456789abcdef0"}]
    assert cls.inputs["spec"]["metadataOptions"]["httpTokens"] == "required"
    assert cls.inputs["spec"]["blockDeviceMappings"][0]["ebs"] == {
        "deleteOnTermination": True, "encrypted": True, "volumeSize": "200Gi", "volumeType": "gp3"}
    assert cls.inputs["spec"]["securityGroupSelectorTerms"] == [{"id": "sg-ed78fa2cluster"}]
    assert len(cls.inputs["spec"]["subnetSelectorTerms"]) == 3  # the private subnets of the 3 AZs
    assert cls.inputs["spec"]["role"] == "acme-ml-staging-karpenter-node-7e90cba"  # Karpenter's node role (mock name)
    assert staging.one("aws:eks/accessEntry:AccessEntry", "acme-ml-staging-karpenter-node").inputs["type"] == "EC2_LINUX"


def test_node_pools_wait_for_the_release_that_installs_their_crds(staging):
    release = staging.one(RELEASE, "acme-ml-staging-karpenter")
    component = staging.one("mlstack:aws:Karpenter", "acme-ml-staging-karpenter")
    for r in staging.of_type(NODE_POOL) + staging.of_type(NODE_CLASS):
        assert component.urn in r.depends_on or release.urn in r.depends_on, r.urn
        assert r.provider == "acme-ml-staging-k8s"


def test_the_interruption_queue_hears_every_warning(staging):
    rules = {r.name.rsplit("-interruption-", 1)[1]: json.loads(r.inputs["eventPattern"]) for r in staging.of_type("aws:cloudwatch/eventRule:EventRule")}
    assert rules == {
        "rebalance": {"detail-type": ["EC2 Instance Rebalance Recommendation"], "source": ["aws.ec2"]},
        "reservation-interruption": {"detail-type": ["EC2 Capacity Reservation Instance Interruption Warning"], "source": ["aws.ec2"]},
        "scheduled-change": {"detail-type": ["AWS Health Event"], "source": ["aws.health"]},
        "spot-interruption": {"detail-type": ["EC2 Spot Instance Interruption Warning"], "source": ["aws.ec2"]},
        "state-change": {"detail-type": ["EC2 Instance State-change Notification"], "source": ["aws.ec2"]},
    }
    assert len(staging.of_type("aws:cloudwatch/eventTarget:EventTarget")) == 5


def test_custom_resources_match_the_strict_crd_schemas(staging):
    objects = staging.of_type(NODE_POOL) + staging.of_type(NODE_CLASS)
    assert len(objects) == 4
    assert crd_violations(staging.resources) == []
    assert validate_manifests(manifests(objects), "1.36") == []


def test_the_multi_node_pool_asks_for_its_efa_interfaces(staging):
    runtime = staging.one("kubernetes:trainer.kubeflow.org/v1alpha1:ClusterTrainingRuntime",
                          "acme-ml-staging-platform-workloads-trainer-torch-pool-a100")
    # Karpenter attaches EFA interfaces to an instance whose pods request them: p4de.24xlarge has 4.
    assert '"limits": {"cpu": "24", "memory": "96Gi", "nvidia.com/gpu": "8", "vpc.amazonaws.com/efa": "4"}' in json.dumps(runtime.inputs)


def test_cost_prices_node_pools_at_their_first_capacity_type(staging):
    from mlstack.engine.review.cost import estimate

    pools = {p.name: p for p in estimate(staging).pools}
    a100 = pools["a100"]  # the whole pool: its own name (team quotas are priced on it)
    assert (a100.machine, a100.spot, a100.min_nodes, a100.max_nodes) == ("p4de.24xlarge", False, 0, 1)
    assert a100.note == ("Karpenter NodePool, priced as its first capacity type (reserved); a Capacity Block is prepaid "
                         "at its own price (not in the table): on-demand rate shown")
    system = pools["system (karpenter)"]
    assert (system.machine, system.min_nodes, system.max_nodes, system.monthly_min) == ("m6i.xlarge", 0, 2, 0.0)
    floor = pools["system"]
    assert (floor.min_nodes, floor.max_nodes) == (2, 2)
    assert system.hourly_max == floor.hourly_min  # the same machine, the same two nodes


def test_policy_sees_interruption_handling(staging):
    from mlstack.engine.review.policy import check_plan

    report = check_plan(staging, protected=True)
    (result,) = [r for r in report.results if r.rule.id == "MLS-AWS-024"]
    assert (result.status, result.level, result.findings) == ("pass", "mandatory", [])


def test_parity_reports_node_provisioning_and_reservations(staging, prod):
    from mlstack.engine.review.parity import parity

    onprem = plan_env("onprem", STACKS)
    rows = parity([staging, prod, onprem]).rows
    assert {e: c.text() for e, c in rows["node provisioning"].items()} == {
        "staging": "native: Karpenter: several instance types, capacity fallbacks, consolidation",
        "prod": "native: Cluster Autoscaler on managed node groups (one capacity type per pool)",
        "onprem": "missing",
    }
    assert {e: c.text() for e, c in rows["reservations"].items()} == {
        "staging": "native: EC2 capacity reservations / Capacity Blocks through Karpenter (cr-0123456789abcdef0)",
        "prod": "missing",
        "onprem": "missing",
    }


def test_another_order_becomes_weighted_node_pools(tmp_path):
    stacks = tmp_path / "stacks"
    shutil.copytree(STACKS, stacks)
    text = (stacks / "staging.yaml").read_text()
    text = text.replace("    capacity: [reserved, spot, on-demand]\n    reservation: {id: cr-0123456789abcdef0, capacity_block: true}\n",
                        "    capacity: [on-demand, spot]\n    disruption: when-underutilized\n")
    (stacks / "staging.yaml").write_text(text)
    plan = plan_env("staging", stacks)
    pools = {r.inputs["metadata"]["name"]: r.inputs["spec"] for r in plan.of_type(NODE_POOL)}
    assert sorted(pools) == ["a100-on-demand", "a100-spot", "system"]
    assert (pools["a100-on-demand"]["weight"], pools["a100-spot"]["weight"]) == (100, 90)
    assert pools["a100-spot"]["template"]["spec"]["requirements"][0] == _requirement(["spot"])
    assert pools["a100-on-demand"]["disruption"]["consolidationPolicy"] == "WhenEmptyOrUnderutilized"
    assert "capacityReservationSelectorTerms" not in plan.one(NODE_CLASS, "acme-ml-staging-a100-karpenter-class").inputs["spec"]
    assert crd_violations(plan.resources) == []


def test_sqs_loads_only_when_the_spec_asks_for_karpenter():
    """pulumi_aws registers every submodule lazily: a submodule's own modules load only when it is used."""
    code = ("import sys; from pathlib import Path; from mlstack.engine.review.planning import plan_env; "
            "plan_env(sys.argv[1], Path(sys.argv[2])); print('pulumi_aws.sqs.queue' in sys.modules)")
    seen = {env: subprocess.run([sys.executable, "-c", code, env, str(STACKS)], capture_output=True, text=True, check=True,
                                env={**os.environ, "MLSTACK_NO_PLAN_CACHE": "1"}).stdout.strip()
            for env in ("staging", "prod")}
    assert seen == {"staging": "True", "prod": "False"}
