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
        ("gpu", True), ("shared", True), ("tracking", True), ("gang-admission", True), ("nccl-allreduce", True)]
    # No API server here: the gang check (a JobSet through Kueue) says so instead of pretending.
    assert checks[3].detail == "skipped: not in a Kubernetes cluster (KUBERNETES_SERVICE_HOST unset)"
    # This machine has no GPU: the rendered Job expects none (no GPU pool in the local spec).
    assert checks[0].detail == "skipped: the environment has no GPU pool"
    # The NCCL check says why it does not run (the local spec has no multi-node GPU pool) rather than pretending.
    assert checks[4].detail.startswith("skipped: ")
    assert checks[1].detail.startswith(f"wrote and read {pod.mounts['/shared']}/.mlstack-verify/")
    run_id = checks[2].detail.split()[1].rstrip(",")
    run = admin_api.get("runs/get", run_id=run_id).json()["run"]
    assert run["data"]["metrics"][0]["key"] == "verified"
    versions = admin_api.get("registered-models/get", name="mlstack-verify").json()["registered_model"]
    assert versions["name"] == "mlstack-verify"
