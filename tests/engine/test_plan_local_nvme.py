"""Local NVMe from the spec (``node_pools.<pool>.local_nvme``): pools whose machine has instance store / Local SSD
stripe it into RAID0 for the kubelet and the container runtime, by default. Exact plan inputs on each path:
Karpenter's EC2NodeClass (staging), a managed node group's launch template with the nodeadm NodeConfig (prod),
a GKE node pool's ephemeral storage on Local SSD (gcp-staging with its A100 pool as a node pool)."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pytest
from crd_schemas import crd_violations

from mlstack.components.aws.node_pool import NodePoolArgs
from mlstack.engine.review.planning import plan_env

ROOT = Path(__file__).resolve().parents[2]
STACKS = ROOT / "stacks"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
GKE_POOL = "gcp:container/nodePool:NodePool"
USER_DATA = (
    "MIME-Version: 1.0\n"
    'Content-Type: multipart/mixed; boundary="MLSTACK"\n\n'
    "--MLSTACK\n"
    "Content-Type: application/node.eks.aws\n\n"
    "apiVersion: node.eks.aws/v1alpha1\n"
    "kind: NodeConfig\n"
    "spec:\n"
    "  instance:\n"
    "    localStorage:\n"
    "      strategy: RAID0\n"
    "\n"
    "--MLSTACK--\n"
)


def _overlay(tmp_path, env: str, text: str, old: str = "", new: str = "") -> Path:
    stacks = tmp_path / "stacks"
    shutil.copytree(STACKS, stacks, ignore=shutil.ignore_patterns("*.lock.json"))
    path = stacks / f"{env}.yaml"
    body = path.read_text()
    assert old in body
    path.write_text(body.replace(old, new) + text)
    return stacks


def test_karpenter_stripes_the_instance_store_of_p4de(example_plan):
    staging = example_plan("staging")
    a100 = staging.one(NODE_CLASS, "acme-ml-staging-a100-karpenter-class")
    assert a100.inputs["spec"]["instanceStorePolicy"] == "RAID0"  # p4de.24xlarge: 8 x 1000 GB NVMe
    system = staging.one(NODE_CLASS, "acme-ml-staging-system-karpenter-class")
    assert "instanceStorePolicy" not in system.inputs["spec"]  # m6i.xlarge: EBS only
    assert "userData" not in staging.one(LAUNCH_TEMPLATE, "acme-ml-staging-system-lt").inputs
    assert crd_violations(staging.resources) == []


def test_a_managed_node_group_gets_the_nodeadm_raid0_config(example_plan):
    prod = example_plan("prod")
    a100 = prod.one(LAUNCH_TEMPLATE, "acme-ml-prod-a100-lt").inputs
    assert base64.b64decode(a100["userData"]).decode() == USER_DATA
    assert "userData" not in prod.one(LAUNCH_TEMPLATE, "acme-ml-prod-system-lt").inputs


def test_unused_leaves_the_disks_alone(tmp_path):
    stacks = _overlay(tmp_path, "prod", "", "    spot: false\n", "    spot: false\n    local_nvme: unused\n")
    plan = plan_env("prod", stacks)
    assert "userData" not in plan.one(LAUNCH_TEMPLATE, "acme-ml-prod-a100-lt").inputs


def test_a_gke_node_pool_backs_ephemeral_storage_with_its_local_ssds(tmp_path, example_plan):
    stacks = _overlay(tmp_path, "gcp-staging", "",
                      "    capacity: [reserved, spot, flex-start, on-demand]\n    reservation: {id: a100-80gb-reservation, project: acme-shared-1234}\n",
                      "    spot: true\n")
    plan = plan_env("gcp-staging", stacks)
    a100 = plan.one(GKE_POOL, "acme-ml-gcp-staging-a100-pool").inputs["nodeConfig"]
    assert (a100["machineType"], a100["ephemeralStorageLocalSsdConfig"]) == ("a2-ultragpu-8g", {"localSsdCount": 8})
    system = plan.one(GKE_POOL, "acme-ml-gcp-staging-system-pool").inputs["nodeConfig"]
    assert "ephemeralStorageLocalSsdConfig" not in system  # n2-standard-4 has none
    # The ComputeClass of the example is GKE's to configure: no local SSD setting of mlstack's.
    cc = example_plan("gcp-staging").one("kubernetes:cloud.google.com/v1:ComputeClass", "acme-ml-gcp-staging-a100-class")
    assert all("localSSDCount" not in p["storage"] for p in cc.inputs["spec"]["priorities"])


def test_the_component_refuses_a_non_al2023_ami():
    with pytest.raises(ValueError, match="local_nvme_raid0 needs an AL2023 AMI type"):
        NodePoolArgs(instance_types=["p4de.24xlarge"], max_size=1, ami_type="BOTTLEROCKET_x86_64_NVIDIA", local_nvme_raid0=True)
