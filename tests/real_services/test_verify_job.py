"""The verification Job's own script, run as a local process with its rendered environment, against the real MLflow."""

from __future__ import annotations

import pytest

from mlstack.components.k8s.tracking_pod import NAME, PORT
from mlstack.engine.deploy.verify import parse_checks

from .localpod import materialise

pytestmark = pytest.mark.real_services


def test_the_verify_script_passes_every_check_and_mlstack_reads_them(mlflow_server, rendered, tmp_path, admin_api):
    job = rendered.get("Job", "mlstack-system", "mlstack-verify")
    local = mlflow_server["MLFLOW_TRACKING_URI"].removeprefix("http://")
    pod = materialise(rendered, job, tmp_path / "verify", addresses={f"{NAME}.{NAME}.svc.cluster.local:{PORT}": local})
    assert pod.argv == ["python", str(pod.mounts["/opt/mlstack"] / "verify.py")]
    assert pod.env["MLFLOW_TRACKING_URI"] == mlflow_server["MLFLOW_TRACKING_URI"]
    done = pod.run(timeout_s=300)
    checks = parse_checks(done.stdout)
    assert done.returncode == 0, done.stdout + done.stderr
    assert [(c.name, c.passed) for c in checks] == [
        ("gpu", True), ("gpu-metrics", True), ("shared", True), ("tracking", True), ("gang-admission", True),
        ("nccl-allreduce", True)]
    # No API server here: the gang check (a JobSet through Kueue) says so instead of pretending.
    assert checks[4].detail == "skipped: not in a Kubernetes cluster (KUBERNETES_SERVICE_HOST unset)"
    # This machine has no GPU: the rendered Job expects none (no GPU pool in the local spec).
    assert checks[0].detail == checks[1].detail == "skipped: the environment has no GPU pool"
    # The NCCL check says why it does not run (the local spec has no multi-node GPU pool) rather than pretending.
    assert checks[5].detail.startswith("skipped: ")
    assert checks[2].detail.startswith(f"wrote and read {pod.mounts['/shared']}/.mlstack-verify/")
    run_id = checks[3].detail.split()[1].rstrip(",")
    run = admin_api.get("runs/get", run_id=run_id).json()["run"]
    assert run["data"]["metrics"][0]["key"] == "verified"
    versions = admin_api.get("registered-models/get", name="mlstack-verify").json()["registered_model"]
    assert versions["name"] == "mlstack-verify"


def test_each_gpu_pool_job_runs_the_script_and_reports_its_pool(tmp_path):
    """The per-pool GPU Jobs of an environment with two GPU pools, run here as local processes: one
    ``CHECK gpu[<pool>]`` line each. This machine has no GPU and is no cluster, so each takes the script's
    no-GPU path and says so; in a cluster a missing nvidia-smi is a FAIL (tests/components/test_k8s_verify_job.py)."""
    import shutil

    from .rendered import LOCAL_SPEC, platform_program, render

    if shutil.which("nvidia-smi"):
        pytest.skip("this machine has nvidia-smi: the no-GPU path is not the one a local run takes")
    rendered = render(platform_program(database_uri="postgresql://verify@127.0.0.1:1/verify", artifacts_uri="s3://verify/mlflow",
                                       mlflow_env={}, mlflow_secret_env={}, spec_path=LOCAL_SPEC.with_name("local-gpu.yaml")))
    jobs = sorted(j["metadata"]["name"] for j in rendered.of_kind("Job") if j["metadata"].get("namespace") == "mlstack-system")
    assert jobs == ["mlstack-verify", "mlstack-verify-gpu-a100", "mlstack-verify-gpu-l4"]
    for pool in ("a100", "l4"):
        job = rendered.get("Job", "mlstack-system", f"mlstack-verify-gpu-{pool}")
        pod = materialise(rendered, job, tmp_path / pool)
        assert (pod.env["MLSTACK_CHECKS"], pod.env["MLSTACK_POOL"]) == ("gpu,gpu-metrics", pool)
        done = pod.run(timeout_s=120)
        assert done.returncode == 0, done.stdout + done.stderr
        local = "not in a Kubernetes cluster (KUBERNETES_SERVICE_HOST unset)"
        assert done.stdout == (f"CHECK gpu[{pool}] PASS skipped: no nvidia-smi, and {local}\n"
                               f"CHECK gpu-metrics[{pool}] PASS skipped: {local}\n")
        assert [(c.name, c.pool, c.passed) for c in parse_checks(done.stdout)] == [
            (f"gpu[{pool}]", pool, True), (f"gpu-metrics[{pool}]", pool, True)]
