"""The workload layer as the engine maps a spec: Kueue objects per pool and team, the ResourceQuota ceiling
(nominal + borrowing), the legacy totals, and the toggles."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from mlstack.engine.review.planning import plan_env

KUEUE = "kubernetes:kueue.x-k8s.io/v1beta2"
RELEASE = "kubernetes:helm.sh/v3:Release"
SPEC = textwrap.dedent(
    """\
    project: acme-ml
    target: {cloud: aws, region: us-west-2}
    node_pools:
      system: {machine: m6i.xlarge, min: 2, max: 4}
      a100: {accelerator: nvidia-a100-80gb, gpus_per_node: 8, min: 0, max: 2}
      l4: {accelerator: nvidia-l4, gpus_per_node: 4, min: 0, max: 2}
    storage:
      shared: {size_gib: 1024}
      buckets: {artifacts: {}}
    workloads: {borrowing_limit_percent: 50, preemption: {reclaim_within_cohort: LowerPriority, within_team: Never}}
    teams:
      research: {group: research, cpu_quota: 32, memory_quota_gib: 128, quotas: {a100: 16, l4: 2}}
      vision: {group: vision, gpu_quota: 4}
    """
)


def _plan(tmp_path: Path, text: str = SPEC):
    (tmp_path / "staging.yaml").write_text(text)
    return plan_env("staging", tmp_path)


def _by_name(plan, kind: str) -> dict[str, dict]:
    return {r.inputs["metadata"]["name"]: r.inputs for r in plan.of_type(f"{KUEUE}:{kind}")}


@pytest.fixture(scope="module")
def plan(tmp_path_factory):
    return _plan(tmp_path_factory.mktemp("wl"))


def test_flavors_per_accelerator_pool(plan):
    flavors = _by_name(plan, "ResourceFlavor")
    assert sorted(flavors) == ["a100", "any-node", "l4"]
    assert flavors["l4"]["spec"] == {
        "nodeLabels": {"mlstack.io/pool": "l4"},
        "tolerations": [{"effect": "NoSchedule", "key": "nvidia.com/gpu", "operator": "Exists"}],
    }


def test_a_tpu_pools_flavor_selects_a_whole_slice_by_the_targets_labels(example_plan):
    """The gcp pack's ``tpu_slice_labels``: GKE labels every node of a slice with its generation and topology."""
    flavor = _by_name(example_plan("gcp-staging"), "ResourceFlavor")["v5e"]
    assert flavor["spec"]["nodeLabels"] == {
        "cloud.google.com/gke-tpu-accelerator": "tpu-v5-lite-podslice",
        "cloud.google.com/gke-tpu-topology": "4x4",
        "mlstack.io/pool": "v5e",
    }


def test_team_queues_from_quotas_and_legacy_totals(plan):
    cqs = _by_name(plan, "ClusterQueue")
    research = cqs["research"]["spec"]
    assert research["preemption"] == {"reclaimWithinCohort": "LowerPriority", "withinClusterQueue": "Never", "borrowWithinCohort": {"policy": "Never"}}
    gpus = research["resourceGroups"][1]
    assert gpus["flavors"] == [
        {"name": "a100", "resources": [{"name": "nvidia.com/gpu", "nominalQuota": "16", "borrowingLimit": "8"}]},
        {"name": "l4", "resources": [{"name": "nvidia.com/gpu", "nominalQuota": "2", "borrowingLimit": "1"}]},
    ]
    assert research["resourceGroups"][0]["flavors"][0]["resources"] == [
        {"name": "cpu", "nominalQuota": "32", "borrowingLimit": "16"},
        {"name": "memory", "nominalQuota": "128Gi", "borrowingLimit": "64Gi"},
    ]
    # gpu_quota: 4 without quotas: up to 4 on each GPU pool (capped by the pool), the ResourceQuota keeps the total.
    vision = cqs["vision"]["spec"]["resourceGroups"][1]["flavors"]
    assert [f["resources"][0]["nominalQuota"] for f in vision] == ["4", "4"]
    lqs = {(r.inputs["metadata"]["namespace"], r.inputs["metadata"]["name"]): r.inputs["spec"] for r in plan.of_type(f"{KUEUE}:LocalQueue")}
    assert lqs == {("research", "default"): {"clusterQueue": "research"}, ("vision", "default"): {"clusterQueue": "vision"}}


def test_resource_quota_is_the_ceiling_kueue_can_reach(plan):
    quotas = {r.inputs["metadata"]["namespace"]: r.inputs["spec"]["hard"] for r in plan.of_type("kubernetes:core/v1:ResourceQuota")}
    # research: a100 16 + 8 borrowable, l4 2 + 1: 27 GPUs; CPU 32 + 16, memory 128 + 64 GiB.
    assert quotas["research"] == {
        "limits.cpu": "96",
        "limits.memory": "384Gi",
        "requests.cpu": "48",
        "requests.memory": "192Gi",
        "requests.nvidia.com/gpu": "27",
    }
    # vision: 4 + 2 on each of the two GPU pools.
    assert quotas["vision"]["requests.nvidia.com/gpu"] == "12"


def test_releases_pinned_by_the_catalogue(plan):
    from mlstack.catalog import load_catalog

    charts = load_catalog().versions.charts
    releases = {r.inputs["chart"]: r.inputs for r in plan.of_type(RELEASE)}
    for chart in ("kueue", "jobset", "kubeflow-trainer"):
        assert releases[chart]["version"] == charts[chart].version
        assert releases[chart]["repositoryOpts"] == {"repo": charts[chart].repo}
    assert "kuberay-operator" not in releases
    config = json.loads(releases["kueue"]["values"]["managerConfig"]["controllerManagerConfigYaml"])
    assert config["integrations"]["frameworks"] == ["batch/job", "jobset.x-k8s.io/jobset", "trainer.kubeflow.org/trainjob"]
    trainer = plan.one(RELEASE, "acme-ml-staging-platform-workloads-trainer-release")
    jobset = plan.one(RELEASE, "acme-ml-staging-platform-workloads-jobset-release")
    assert jobset.urn in plan.one("mlstack:k8s:Trainer", "acme-ml-staging-platform-workloads-trainer").depends_on
    assert trainer.inputs["values"]["jobset"] == {"install": False}


def test_kuberay_opt_in_adds_rays_frameworks(tmp_path):
    plan = _plan(tmp_path, SPEC.replace("workloads: {", "workloads: {kuberay: true, "))
    releases = {r.inputs["chart"]: r.inputs for r in plan.of_type(RELEASE)}
    assert releases["kuberay-operator"]["namespace"] == "ray-system"
    config = json.loads(releases["kueue"]["values"]["managerConfig"]["controllerManagerConfigYaml"])
    assert config["integrations"]["frameworks"][-2:] == ["ray.io/rayjob", "ray.io/raycluster"]


def test_workloads_off_keeps_the_plain_quota(tmp_path):
    text = SPEC.replace("workloads: {", "workloads: {enabled: false, jobset: false, trainer: false, ")
    plan = _plan(tmp_path, text)
    assert not [r for r in plan.resources if r.type.startswith(KUEUE) or r.type.startswith("mlstack:k8s:Workloads")]
    assert not plan.of_type("mlstack:k8s:Kueue")
    quotas = {r.inputs["metadata"]["namespace"]: r.inputs["spec"]["hard"] for r in plan.of_type("kubernetes:core/v1:ResourceQuota")}
    assert quotas["research"]["requests.nvidia.com/gpu"] == "18"  # the sum of its quotas, no borrowing
    assert quotas["research"]["requests.cpu"] == "32"
    assert quotas["vision"]["requests.nvidia.com/gpu"] == "4"


def test_onprem_flavors_select_by_the_pools_selector(tmp_path):
    text = textwrap.dedent(
        """\
        project: acme-ml
        target: {cloud: onprem, kube_context: lab}
        node_pools:
          a100: {accelerator: nvidia-a100-80gb, gpus_per_node: 8, selector: {mlstack.io/accelerator: nvidia-a100-80gb, rack: r1}}
        storage:
          shared: {size_gib: 1024, nfs_server: nas.lab, nfs_path: /exports/ml}
          buckets: {artifacts: {}}
        teams:
          research: {group: research, quotas: {a100: 64}}
        """
    )
    plan = _plan(tmp_path, text)
    flavors = _by_name(plan, "ResourceFlavor")
    assert flavors["a100"]["spec"]["nodeLabels"] == {"mlstack.io/accelerator": "nvidia-a100-80gb", "rack": "r1"}
    # On-prem capacity is unknown to mlstack: the quota is taken as written.
    gpus = _by_name(plan, "ClusterQueue")["research"]["spec"]["resourceGroups"][1]["flavors"][0]["resources"][0]
    assert gpus == {"name": "nvidia.com/gpu", "nominalQuota": "64", "borrowingLimit": "64"}


# -- interconnect ------------------------------------------------------------------------------------------


def test_prod_gpu_pool_is_multi_node_with_efa(example_plan):
    from mlstack.catalog import load_catalog

    plan = example_plan("prod")
    ng = plan.one("aws:eks/nodeGroup:NodeGroup", "acme-ml-prod-a100")
    assert ng.inputs["labels"]["mlstack.io/efa"] == "true"
    lt = plan.one("aws:ec2/launchTemplate:LaunchTemplate", "acme-ml-prod-a100-lt")
    assert len(lt.inputs["networkInterfaces"]) == load_catalog().efa_interfaces("p4de.24xlarge") == 4
    assert plan.one("aws:ec2/placementGroup:PlacementGroup", "acme-ml-prod-a100-pg").inputs["strategy"] == "cluster"
    rel = plan.one("kubernetes:helm.sh/v3:Release", "acme-ml-prod-efa-release")
    assert rel.inputs["version"] == load_catalog().versions.charts["aws-efa-k8s-device-plugin"].version
    # The CPU pool is not placed; the default follows the machine type, not the pool's size (staging: max 1).
    assert "mlstack.io/efa" not in plan.one("aws:eks/nodeGroup:NodeGroup", "acme-ml-prod-system").inputs["labels"]
    # staging's A100 pool is a Karpenter NodePool: EFA label kept (Karpenter attaches EFA for pods that ask for
    # it), no placement group (Karpenter's dynamic provisioning uses none; docs/capacity.md).
    staging = example_plan("staging")
    assert staging.of_type("aws:ec2/placementGroup:PlacementGroup") == []
    pool = staging.one("kubernetes:karpenter.sh/v1:NodePool", "acme-ml-staging-a100-karpenter")
    assert pool.inputs["spec"]["template"]["metadata"]["labels"]["mlstack.io/efa"] == "true"


def test_multi_node_false_trades_placement_for_capacity(tmp_path):
    plan = _plan(tmp_path, SPEC.replace("a100: {accelerator: nvidia-a100-80gb, gpus_per_node: 8, min: 0, max: 2}",
                                        "a100: {accelerator: nvidia-a100-80gb, gpus_per_node: 8, min: 0, max: 2, multi_node: false}"))
    assert not plan.of_type("aws:ec2/placementGroup:PlacementGroup")
    assert len(plan.one("aws:eks/nodeGroup:NodeGroup", "acme-ml-staging-a100").inputs["subnetIds"]) == 3
    # No EFA interfaces on the nodes: the pool's runtime asks for none.
    limits = _runtime_pods(plan)["torch-distributed-a100"]["containers"][0]["resources"]["limits"]
    assert limits == {"cpu": "24", "memory": "96Gi", "nvidia.com/gpu": "8"}


def _runtime_pods(plan) -> dict[str, dict]:
    """ClusterTrainingRuntime name -> its node pod spec."""
    return {
        r.inputs["metadata"]["name"]: r.inputs["spec"]["template"]["spec"]["replicatedJobs"][0]["template"]["spec"]["template"]["spec"]
        for r in plan.of_type("kubernetes:trainer.kubeflow.org/v1alpha1:ClusterTrainingRuntime")
    }


def test_efa_pool_runtime_requests_every_interface_of_its_type(plan):
    """A TrainJob on torch-distributed-<pool> gets the node's EFA devices without asking: as many as the pool's
    instance type has (catalogue), on the multi-node pool only."""
    from mlstack.catalog import load_catalog

    pods = _runtime_pods(plan)
    # And the NCCL check's runtime: a100 can run two nodes and research's queue holds 16 of its GPUs.
    assert sorted(pods) == ["mlstack-nccl-a100", "torch-distributed", "torch-distributed-a100", "torch-distributed-l4"]
    machine = plan.one("aws:ec2/launchTemplate:LaunchTemplate", "acme-ml-staging-a100-lt").inputs
    efa = load_catalog().efa_interfaces("p4de.24xlarge")
    assert efa == len(machine["networkInterfaces"]) == 4
    amounts = {"cpu": "24", "memory": "96Gi", "nvidia.com/gpu": "8", "vpc.amazonaws.com/efa": str(efa)}
    assert pods["torch-distributed-a100"]["containers"][0]["resources"] == {"requests": amounts, "limits": amounts}
    assert pods["torch-distributed-a100"]["nodeSelector"] == {"mlstack.io/pool": "a100"}
    # The l4 pool's type has no EFA (it is not multi-node): devices only.
    assert "networkInterfaces" not in plan.one("aws:ec2/launchTemplate:LaunchTemplate", "acme-ml-staging-l4-lt").inputs
    assert pods["torch-distributed-l4"]["containers"][0]["resources"]["limits"] == {"cpu": "12", "memory": "48Gi", "nvidia.com/gpu": "4"}


def test_gke_multi_node_pool_is_compact_in_one_zone(tmp_path):
    text = textwrap.dedent(
        """\
        project: acme-ml
        target: {cloud: gcp, region: us-central1, project_id: acme-ml-1234}
        node_pools:
          system: {machine: n2-standard-4, min: 1, max: 3}
          a100: {accelerator: nvidia-a100-80gb, gpus_per_node: 8, max: 4, zones: [us-central1-a]}
        storage:
          shared: {size_gib: 1024}
          buckets: {artifacts: {}}
        """
    )
    plan = _plan(tmp_path, text)
    pool = plan.one("gcp:container/nodePool:NodePool", "acme-ml-staging-a100-pool")
    assert pool.inputs["placementPolicy"] == {"type": "COMPACT"}
    assert pool.inputs["nodeConfig"]["gvnic"] == {"enabled": True}
    assert pool.inputs["nodeLocations"] == ["us-central1-a"]


def test_onprem_rdma_resource_reaches_the_pool_runtime(tmp_path):
    text = textwrap.dedent(
        """\
        project: acme-ml
        target: {cloud: onprem, kube_context: lab}
        node_pools:
          a100: {accelerator: nvidia-a100-80gb, gpus_per_node: 8, selector: {mlstack.io/accelerator: nvidia-a100-80gb}}
        storage:
          shared: {size_gib: 1024, nfs_server: nas.lab, nfs_path: /exports/ml}
          buckets: {artifacts: {}}
        workloads: {rdma_resource: rdma/ib}
        teams:
          research: {group: research, quotas: {a100: 16}}
        """
    )
    plan = _plan(tmp_path, text)
    runtimes = _runtime_pods(plan)
    assert runtimes["torch-distributed-a100"]["nodeSelector"] == {"mlstack.io/accelerator": "nvidia-a100-80gb"}
    amounts = {"cpu": "24", "memory": "96Gi", "nvidia.com/gpu": "8", "rdma/ib": "1"}
    assert runtimes["torch-distributed-a100"]["containers"][0]["resources"] == {"requests": amounts, "limits": amounts}
    assert "resources" not in runtimes["torch-distributed"]["containers"][0]
    # Kueue does not count the fabric devices (no queue covers them; they would make every job inadmissible).
    release = next(r for r in plan.of_type(RELEASE) if r.inputs["chart"] == "kueue")
    config = json.loads(release.inputs["values"]["managerConfig"]["controllerManagerConfigYaml"])
    assert config["resources"] == {"excludeResourcePrefixes": ["rdma/ib", "vpc.amazonaws.com/efa"]}


def test_nccl_check_where_a_pool_runs_two_multi_node_nodes(example_plan):
    """prod's a100 pool (p4de, EFA, up to 4 nodes) gets the NCCL check through research's queue (16 GPUs);
    staging's (at most one node) reports why it skips."""
    from crd_schemas import validate_custom

    prod = example_plan("prod")
    (runtime,) = [r.inputs for r in prod.of_type("kubernetes:trainer.kubeflow.org/v1alpha1:ClusterTrainingRuntime")
                  if r.inputs["metadata"]["name"] == "mlstack-nccl-a100"]
    assert validate_custom(runtime, "nccl", "1.35") == []
    node = runtime["spec"]["template"]["spec"]["replicatedJobs"][1]["template"]["spec"]["template"]["spec"]
    assert node["containers"][0]["resources"]["limits"]["vpc.amazonaws.com/efa"] == "4"
    job = prod.one("kubernetes:batch/v1:Job", "acme-ml-prod-platform-verify-job").inputs
    env = {e["name"]: e.get("value") for e in job["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert (env["MLSTACK_NCCL_NAMESPACE"], env["MLSTACK_NCCL_POOL"], env["MLSTACK_NCCL_RANKS"]) == ("research", "a100", "16")
    assert prod.one("kubernetes:core/v1:ConfigMap", "acme-ml-prod-platform-verify-nccl").inputs["metadata"]["namespace"] == "research"
    staging = example_plan("staging")
    job = staging.one("kubernetes:batch/v1:Job", "acme-ml-staging-platform-verify-job").inputs
    env = {e["name"]: e.get("value") for e in job["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["MLSTACK_NCCL_SKIP"] == "no GPU pool can run a 2-node job through a team queue (a100: at most 1 node)"
    assert not [r for r in staging.of_type("kubernetes:trainer.kubeflow.org/v1alpha1:ClusterTrainingRuntime")
                if r.inputs["metadata"]["name"].startswith("mlstack-nccl")]


def test_nccl_check_needs_a_team_queue_that_holds_two_nodes(tmp_path):
    text = SPEC.replace("research: {group: research, cpu_quota: 32, memory_quota_gib: 128, quotas: {a100: 16, l4: 2}}",
                        "research: {group: research, cpu_quota: 32, memory_quota_gib: 128, quotas: {a100: 8, l4: 2}}")
    plan = _plan(tmp_path, text.replace("borrowing_limit_percent: 50", "borrowing_limit_percent: 0"))
    job = plan.one("kubernetes:batch/v1:Job", "acme-ml-staging-platform-verify-job").inputs
    env = {e["name"]: e.get("value") for e in job["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["MLSTACK_NCCL_SKIP"] == (
        "no GPU pool can run a 2-node job through a team queue (a100: no team's queue can hold 16 GPUs (nominal + borrowing); l4: not multi-node)")
