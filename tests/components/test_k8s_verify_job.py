from __future__ import annotations

import ast

import pytest

from k8s_checks import MLFLOW_IMAGE, hardening_violations, record_with_provider

JOB = "kubernetes:batch/v1:Job"


def _plan(record_plan, **kw):
    from mlstack.components.k8s.verify_job import VerifyJob, VerifyJobArgs

    base = dict(
        image=MLFLOW_IMAGE,
        tracking_uri="http://mlflow.mlflow.svc.cluster.local:5000",
        tracking_username="admin",
        tracking_password="pw",  # plain: the component makes it secret
    )
    base.update(kw)
    return record_with_provider(record_plan, lambda opts: VerifyJob("verify", VerifyJobArgs(**base), opts))


def test_gpu_job(record_plan):
    plan = _plan(record_plan, accelerator="nvidia-a100-80gb")
    job = plan.one(JOB, "verify-job")
    assert job.provider == "test-k8s"
    meta = job.inputs["metadata"]
    assert (meta["name"], meta["namespace"]) == ("mlstack-verify", "mlstack-system")
    assert meta["annotations"] == {"pulumi.com/skipAwait": "true"}
    spec = job.inputs["spec"]
    assert spec["suspend"] is True and spec["backoffLimit"] == 0
    assert spec["ttlSecondsAfterFinished"] == 86400 and spec["activeDeadlineSeconds"] == 1800
    pod = spec["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    assert pod["nodeSelector"] == {"mlstack.io/accelerator": "nvidia-a100-80gb"}
    assert pod["tolerations"] == [{"effect": "NoSchedule", "key": "nvidia.com/gpu", "operator": "Exists"}]
    c = pod["containers"][0]
    assert c["resources"]["limits"] == {"cpu": "500m", "memory": "1Gi", "nvidia.com/gpu": "1"}
    assert c["command"] == ["python", "/opt/mlstack/verify.py"]
    env = {e["name"]: e for e in c["env"]}
    assert env["MLFLOW_TRACKING_URI"]["value"] == "http://mlflow.mlflow.svc.cluster.local:5000"
    assert env["MLFLOW_TRACKING_PASSWORD"]["valueFrom"] == {"secretKeyRef": {"key": "password", "name": "mlstack-verify-mlflow"}}
    assert env["MLFLOW_TRACKING_USERNAME"]["valueFrom"] == {"secretKeyRef": {"key": "username", "name": "mlstack-verify-mlflow"}}
    assert env["MLSTACK_EXPECT_GPU"]["value"] == "1"
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert volumes["shared"]["persistentVolumeClaim"] == {"claimName": "shared"}
    assert volumes["script"]["configMap"]["name"] == "mlstack-verify"
    assert hardening_violations(plan.resources) == []
    secret = plan.one("kubernetes:core/v1:Secret", "verify-mlflow")
    assert secret.inputs["stringData"] == "[secret]"
    script = plan.one("kubernetes:core/v1:ConfigMap", "verify-script").inputs["data"]["verify.py"]
    ast.parse(script)
    for needle in ("nvidia-smi", "register_model", "log_metric", "write_text", "read_text"):
        assert needle in script
    # The ConfigMap carries the module's SCRIPT verbatim (its GPU check is exercised below).
    from mlstack.components.k8s.verify_job import SCRIPT

    assert script == SCRIPT


def _gpu_check(monkeypatch, environ):
    """check_gpu from SCRIPT (without the mlflow import), with subprocess.run recording its call."""
    import os
    import subprocess

    from mlstack.components.k8s.verify_job import SCRIPT

    tree = ast.parse(SCRIPT)
    funcs = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in ("extend_path", "check_gpu")]
    namespace: dict = {"os": os, "subprocess": subprocess}
    exec(compile(ast.Module(body=funcs, type_ignores=[]), "verify.py", "exec"), namespace)
    calls = []

    class Done:
        stdout = "NVIDIA A100-SXM4-80GB, 81920 MiB\nNVIDIA A100-SXM4-80GB, 81920 MiB\n"

    def run(argv, **kw):
        calls.append((argv, kw))
        return Done()

    monkeypatch.setattr(subprocess, "run", run)
    for key in ("PATH", "LD_LIBRARY_PATH", "MLSTACK_EXPECT_GPU"):
        monkeypatch.delenv(key, raising=False)
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    return namespace["check_gpu"](), calls


def test_gpu_check_finds_nvidia_smi_where_gke_mounts_it(monkeypatch):
    detail, calls = _gpu_check(monkeypatch, {"MLSTACK_EXPECT_GPU": "1", "PATH": "/usr/local/bin:/usr/bin"})
    assert detail == "NVIDIA A100-SXM4-80GB, 81920 MiB; NVIDIA A100-SXM4-80GB, 81920 MiB"
    [(argv, kw)] = calls
    assert argv == ["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"]
    assert kw["check"] is True and kw["capture_output"] is True and kw["text"] is True
    # Appended, so a toolkit-provided nvidia-smi on PATH (EKS, on-prem) still wins.
    assert kw["env"]["PATH"] == "/usr/local/bin:/usr/bin:/usr/local/nvidia/bin"
    assert kw["env"]["LD_LIBRARY_PATH"] == "/usr/local/nvidia/lib64"
    assert kw["env"]["MLSTACK_EXPECT_GPU"] == "1"


def test_gpu_check_keeps_an_existing_library_path_and_skips_without_gpu(monkeypatch):
    _, calls = _gpu_check(monkeypatch, {"MLSTACK_EXPECT_GPU": "1", "LD_LIBRARY_PATH": "/opt/lib"})
    env = calls[0][1]["env"]
    assert (env["PATH"], env["LD_LIBRARY_PATH"]) == ("/usr/local/nvidia/bin", "/opt/lib:/usr/local/nvidia/lib64")
    detail, calls = _gpu_check(monkeypatch, {})
    assert detail == "skipped: the environment has no GPU pool" and calls == []


def test_cpu_only_environment(record_plan):
    plan = _plan(record_plan, suspend=False, namespace="ops")
    pod = plan.one(JOB, "verify-job").inputs["spec"]["template"]["spec"]
    assert "nodeSelector" not in pod and "tolerations" not in pod
    assert "nvidia.com/gpu" not in pod["containers"][0]["resources"]["limits"]
    assert plan.one(JOB, "verify-job").inputs["spec"]["suspend"] is False
    assert plan.one("kubernetes:core/v1:Namespace", "verify-ns").inputs["metadata"]["name"] == "ops"


def test_needs_tracking_credentials(record_plan):
    from mlstack.errors import EngineError

    with pytest.raises(EngineError, match="tracking_uri"):
        _plan(record_plan, tracking_password=None)
