"""The verification sees every GPU pool: exact plans of the examples with a second GPU pool, one GPU Job each."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from k8s_checks import hardening_violations, manifests, validate_manifests

from mlstack.engine.review.planning import plan_env

STACKS = Path(__file__).resolve().parents[2] / "stacks"
JOB = "kubernetes:batch/v1:Job"
GPU_TOLERATION = [{"effect": "NoSchedule", "key": "nvidia.com/gpu", "operator": "Exists"}]
# A second GPU pool beside each example's a100 (on-prem: existing nodes, found by their label).
SECOND_POOL = {
    "prod": "  l4: {accelerator: nvidia-l4, gpus_per_node: 4, min: 0, max: 2}\n",
    "staging": "  l4: {accelerator: nvidia-l4, gpus_per_node: 4, min: 0, max: 2}\n",
    "gcp-staging": "  l4: {accelerator: nvidia-l4, gpus_per_node: 2, min: 0, max: 2, zones: [us-central1-a]}\n",
    "onprem": "  l4:\n    accelerator: nvidia-l4\n    gpus_per_node: 4\n    selector: {mlstack.io/accelerator: nvidia-l4, gpu.lab/rack: r2}\n",
}


@pytest.fixture(scope="module", params=sorted(SECOND_POOL))
def plan(request, tmp_path_factory):
    env = request.param
    stacks = tmp_path_factory.mktemp(env)
    for f in STACKS.glob("*.yaml"):
        shutil.copy(f, stacks / f.name)
    (stacks / f"{env}-l4.yaml").write_text(f"extends: {env}.yaml\nnode_pools:\n{SECOND_POOL[env]}")
    return plan_env(f"{env}-l4", stacks)


def _gpu_jobs(plan):
    return {r.name.rsplit("-verify-gpu-", 1)[1]: r for r in plan.of_type(JOB) if "-verify-gpu-" in r.name}


def test_one_gpu_job_per_gpu_pool_on_its_nodes(plan):
    prefix = f"acme-ml-{plan.env}-platform-verify"
    env = plan.env.removesuffix("-l4")
    jobs = _gpu_jobs(plan)
    assert sorted(jobs) == ["a100", "l4"]  # gcp-staging's TPU pool has no GPU check
    onprem = env == "onprem"
    expected = {
        "a100": ({"mlstack.io/accelerator": "nvidia-a100-80gb"} if onprem else {"mlstack.io/pool": "a100"}, "8"),
        "l4": ({"mlstack.io/accelerator": "nvidia-l4", "gpu.lab/rack": "r2"} if onprem else {"mlstack.io/pool": "l4"}, "2" if env == "gcp-staging" else "4"),
    }
    for pool, (selector, devices) in expected.items():
        job = jobs[pool]
        assert job.name == f"{prefix}-gpu-{pool}"
        assert job.parent == plan.one("mlstack:k8s:VerifyJob", prefix).urn
        assert (job.inputs["metadata"]["name"], job.inputs["metadata"]["namespace"]) == (f"mlstack-verify-gpu-{pool}", "mlstack-system")
        assert job.inputs["spec"]["suspend"] is True
        pod = job.inputs["spec"]["template"]["spec"]
        assert pod["nodeSelector"] == selector
        assert pod["tolerations"] == GPU_TOLERATION
        (c,) = pod["containers"]
        assert c["resources"]["limits"] == {"cpu": "500m", "memory": "1Gi", "nvidia.com/gpu": devices}
        env_vars = {e["name"]: e.get("value") for e in c["env"]}
        assert (env_vars["MLSTACK_CHECKS"], env_vars["MLSTACK_POOL"], env_vars["MLSTACK_GPU_DEVICES"]) == ("gpu,gpu-metrics", pool, devices)
    main = plan.one(JOB, f"{prefix}-job").inputs["spec"]["template"]["spec"]
    assert "nodeSelector" not in main and "tolerations" not in main
    assert "nvidia.com/gpu" not in main["containers"][0]["resources"]["limits"]
    assert plan.outputs["verify_gpu_jobs"] == {"a100": "mlstack-verify-gpu-a100", "l4": "mlstack-verify-gpu-l4"}
    assert plan.outputs["verify_job"] == "mlstack-verify"


def test_the_gpu_jobs_validate_strictly_and_are_hardened(plan):
    jobs = list(_gpu_jobs(plan).values())
    objects = manifests(jobs)
    assert [m["kind"] for _, m in objects] == ["Job", "Job"]
    assert validate_manifests(objects, plan.outputs["versions"]["kubernetes"]) == []
    assert hardening_violations(jobs) == []


def test_each_gpu_job_reads_its_nodes_exporter_where_the_platform_runs_one(plan):
    """aws and onprem run mlstack's DCGM exporter: each GPU Job reads it through the node-local Service and may
    reach only it and DNS. GKE collects DCGM metrics itself: the check says it skipped, and why."""
    from mlstack.engine.plan.platform import NO_EXPORTER

    prefix = f"acme-ml-{plan.env}-platform"
    gke = plan.env.startswith("gcp-")
    for pool, job in _gpu_jobs(plan).items():
        env = {e["name"]: e for e in job.inputs["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert env["MLSTACK_CHECKS"]["value"] == "gpu,gpu-metrics"
        if gke:
            assert env["MLSTACK_GPU_METRICS_SKIP"]["value"] == NO_EXPORTER
            assert "MLSTACK_GPU_METRICS_URL" not in env and "MLSTACK_NODE_NAME" not in env
        else:
            assert "MLSTACK_GPU_METRICS_SKIP" not in env
            assert env["MLSTACK_GPU_METRICS_URL"]["value"] == "http://dcgm-exporter-node.gpu-telemetry.svc.cluster.local:9400/metrics"
            assert env["MLSTACK_NODE_NAME"]["valueFrom"] == {"fieldRef": {"fieldPath": "spec.nodeName"}}
    service = [r for r in plan.of_type("kubernetes:core/v1:Service") if r.name == f"{prefix}-telemetry-node-service"]
    assert len(service) == (0 if gke else 1)
    policy = plan.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", f"{prefix}-verify-gpu-egress")
    peers = [rule["to"][0]["namespaceSelector"]["matchLabels"]["kubernetes.io/metadata.name"] for rule in policy.inputs["spec"]["egress"]]
    assert peers == (["kube-system"] if gke else ["kube-system", "gpu-telemetry"])
    objects = manifests([policy, *service])
    assert validate_manifests(objects, plan.outputs["versions"]["kubernetes"]) == []
