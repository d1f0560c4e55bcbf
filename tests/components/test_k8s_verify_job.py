from __future__ import annotations

import ast

import pytest

from k8s_checks import MLFLOW_IMAGE, hardening_violations, manifests, record_with_provider, validate_manifests

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


def _pools():
    from mlstack.components.k8s.verify_job import GpuPoolCheckArgs

    return {
        "a100": GpuPoolCheckArgs(node_labels={"mlstack.io/pool": "a100"}, devices=8),
        "l4": GpuPoolCheckArgs(node_labels={"gpu": "l4", "rack": "r2"}, devices=2,
                               tolerations=({"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
                                            {"key": "dedicated", "operator": "Equal", "value": "ml", "effect": "NoExecute"})),
    }


def test_main_job_runs_the_environment_checks_off_the_gpu_pools(record_plan):
    plan = _plan(record_plan, gpu_pools=_pools())
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
    # The GPU checks run in each pool's own Job: this one asks for no GPU and lands on any node.
    assert "nodeSelector" not in pod and "tolerations" not in pod
    c = pod["containers"][0]
    assert c["resources"]["limits"] == {"cpu": "500m", "memory": "1Gi"}
    assert c["command"] == ["python", "/opt/mlstack/verify.py"]
    env = {e["name"]: e for e in c["env"]}
    assert env["MLFLOW_TRACKING_URI"]["value"] == "http://mlflow.mlflow.svc.cluster.local:5000"
    assert env["MLFLOW_TRACKING_PASSWORD"]["valueFrom"] == {"secretKeyRef": {"key": "password", "name": "mlstack-verify-mlflow"}}
    assert env["MLFLOW_TRACKING_USERNAME"]["valueFrom"] == {"secretKeyRef": {"key": "username", "name": "mlstack-verify-mlflow"}}
    assert env["MLSTACK_CHECKS"]["value"] == "shared,tracking,gang-admission,nccl-allreduce"
    assert env["MLSTACK_EXPECT_GPU"]["value"] == "0" and "MLSTACK_POOL" not in env
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


def test_one_gpu_job_per_pool_on_its_nodes_with_every_device_of_one(record_plan):
    plan = _plan(record_plan, gpu_pools=_pools())
    jobs = {j.name: j for j in plan.resources if j.type == JOB}
    assert sorted(jobs) == ["verify-gpu-a100", "verify-gpu-l4", "verify-job"]
    for pool, selector, devices, tolerations in (
        ("a100", {"mlstack.io/pool": "a100"}, "8", [{"effect": "NoSchedule", "key": "nvidia.com/gpu", "operator": "Exists"}]),
        ("l4", {"gpu": "l4", "rack": "r2"}, "2", [{"effect": "NoSchedule", "key": "nvidia.com/gpu", "operator": "Exists"},
                                                  {"effect": "NoExecute", "key": "dedicated", "operator": "Equal", "value": "ml"}]),
    ):
        job = jobs[f"verify-gpu-{pool}"]
        assert job.parent == plan.one("mlstack:k8s:VerifyJob", "verify").urn
        meta = job.inputs["metadata"]
        assert (meta["name"], meta["namespace"]) == (f"mlstack-verify-gpu-{pool}", "mlstack-system")
        assert meta["labels"]["mlstack.io/pool"] == pool and meta["annotations"] == {"pulumi.com/skipAwait": "true"}
        spec = job.inputs["spec"]
        assert (spec["suspend"], spec["backoffLimit"], spec["activeDeadlineSeconds"], spec["ttlSecondsAfterFinished"]) == (True, 0, 1800, 86400)
        pod = spec["template"]["spec"]
        assert pod["nodeSelector"] == selector and pod["tolerations"] == tolerations
        assert pod["automountServiceAccountToken"] is False and "serviceAccountName" not in pod
        (c,) = pod["containers"]
        assert c["resources"] == {"limits": {"cpu": "500m", "memory": "1Gi", "nvidia.com/gpu": devices},
                                  "requests": {"cpu": "500m", "memory": "1Gi", "nvidia.com/gpu": devices}}
        # No telemetry given: the metrics check says it skipped, and why.
        assert {e["name"]: e["value"] for e in c["env"]} == {
            "HOME": "/tmp", "MLSTACK_CHECKS": "gpu,gpu-metrics", "MLSTACK_POOL": pool, "MLSTACK_EXPECT_GPU": "1",
            "MLSTACK_GPU_DEVICES": devices, "NVIDIA_DRIVER_CAPABILITIES": "compute,utility",
            "MLSTACK_GPU_METRICS_SKIP": "the platform runs no DCGM exporter"}
        # Nothing but the script and /tmp: no MLflow credentials, no shared volume, no API token.
        assert [v["name"] for v in pod["volumes"]] == ["tmp", "script"]
        assert pod["volumes"][1]["configMap"] == {"defaultMode": 0o444, "name": "mlstack-verify"}
    assert hardening_violations(plan.resources) == []


def _metrics():
    from mlstack.components.k8s.verify_job import GpuMetricsCheckArgs

    return GpuMetricsCheckArgs(url="http://dcgm-exporter-node.gpu-telemetry.svc.cluster.local:9400/metrics",
                               metric="DCGM_FI_DEV_GPU_UTIL", namespace="gpu-telemetry",
                               pod_labels={"app.kubernetes.io/name": "dcgm-exporter"}, port=9400)


def test_gpu_jobs_read_their_own_nodes_exporter_and_may_reach_only_it_and_dns(record_plan):
    plan = _plan(record_plan, gpu_pools=_pools(), gpu_metrics=_metrics())
    for pool in ("a100", "l4"):
        (c,) = plan.one(JOB, f"verify-gpu-{pool}").inputs["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e for e in c["env"]}
        assert env["MLSTACK_CHECKS"]["value"] == "gpu,gpu-metrics" and "MLSTACK_GPU_METRICS_SKIP" not in env
        assert env["MLSTACK_GPU_METRICS_URL"] == {"name": "MLSTACK_GPU_METRICS_URL",
                                                  "value": "http://dcgm-exporter-node.gpu-telemetry.svc.cluster.local:9400/metrics"}
        assert env["MLSTACK_GPU_METRIC"]["value"] == "DCGM_FI_DEV_GPU_UTIL"
        assert env["MLSTACK_GPU_METRICS_TIMEOUT"]["value"] == "180"
        # The node's name from the downward API: the exporter labels its series with it (Hostname).
        assert env["MLSTACK_NODE_NAME"] == {"name": "MLSTACK_NODE_NAME", "valueFrom": {"fieldRef": {"fieldPath": "spec.nodeName"}}}
    # The main Job has no metrics settings (it prints no gpu-metrics line with GPU pools).
    main = {e["name"] for e in plan.one(JOB, "verify-job").inputs["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert not {n for n in main if n.startswith("MLSTACK_GPU_METRIC") or n == "MLSTACK_NODE_NAME"}
    policy = plan.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "verify-gpu-egress")
    assert policy.parent == plan.one("mlstack:k8s:VerifyJob", "verify").urn
    assert (policy.inputs["metadata"]["name"], policy.inputs["metadata"]["namespace"]) == ("mlstack-verify-gpu-egress", "mlstack-system")
    labels = plan.one(JOB, "verify-job").inputs["metadata"]["labels"]
    assert policy.inputs["spec"] == {
        # The GPU Jobs' pods only: the verification's labels and a pool label (the main Job's pod has none).
        "podSelector": {"matchLabels": labels, "matchExpressions": [{"key": "mlstack.io/pool", "operator": "Exists"}]},
        "policyTypes": ["Egress"],
        "egress": [
            {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}],
             "ports": [{"port": 53, "protocol": "UDP"}, {"port": 53, "protocol": "TCP"}]},
            {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "gpu-telemetry"}},
                     "podSelector": {"matchLabels": {"app.kubernetes.io/name": "dcgm-exporter"}}}],
             "ports": [{"port": 9400, "protocol": "TCP"}]},
        ],
    }
    for pool in ("a100", "l4"):
        pod_labels = plan.one(JOB, f"verify-gpu-{pool}").inputs["spec"]["template"]["metadata"]["labels"]
        assert labels.items() <= pod_labels.items() and pod_labels["mlstack.io/pool"] == pool
    assert "mlstack.io/pool" not in plan.one(JOB, "verify-job").inputs["spec"]["template"]["metadata"]["labels"]
    assert validate_manifests(manifests(plan.resources), "1.35") == []


def test_without_telemetry_the_gpu_jobs_reach_only_dns(record_plan):
    plan = _plan(record_plan, gpu_pools=_pools(), gpu_metrics_skip_reason="the cloud collects GPU metrics itself")
    (policy,) = plan.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy")
    assert [rule["to"] for rule in policy.inputs["spec"]["egress"]] == [
        [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}}}]]
    env = {e["name"]: e["value"] for e in plan.one(JOB, "verify-gpu-a100").inputs["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["MLSTACK_GPU_METRICS_SKIP"] == "the cloud collects GPU metrics itself"


def test_a_pool_check_needs_a_device():
    from mlstack.components.k8s.verify_job import GpuPoolCheckArgs

    with pytest.raises(ValueError, match=r"^GPU check of pool 'a100': devices must be at least 1, not 0$"):
        from mlstack.components.k8s.gpu_check import pool_pod

        pool_pod("a100", GpuPoolCheckArgs(node_labels={}, devices=0), image="x", script_config_map=None, cpu="1", memory="1Gi")  # type: ignore[arg-type]


def test_every_check_a_job_names_is_in_the_script():
    from mlstack.components.k8s.verify_script import MAIN_CHECKS, POOL_CHECKS, SCRIPT

    tree = ast.parse(SCRIPT)
    (table,) = [n for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "CHECKS"]  # type: ignore[attr-defined]
    names = [k.value for k in table.value.keys]  # type: ignore[attr-defined]
    assert names == ["gpu", "gpu-metrics", "shared", "tracking", "gang-admission", "nccl-allreduce"]
    assert set(MAIN_CHECKS) | set(POOL_CHECKS) == set(names) and not set(MAIN_CHECKS) & set(POOL_CHECKS)


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
    for key in ("PATH", "LD_LIBRARY_PATH", "MLSTACK_EXPECT_GPU", "MLSTACK_GPU_DEVICES", "KUBERNETES_SERVICE_HOST"):
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
    assert [r.name for r in plan.resources if r.type == JOB] == ["verify-job"]
    pod = plan.one(JOB, "verify-job").inputs["spec"]["template"]["spec"]
    assert "nodeSelector" not in pod and "tolerations" not in pod
    env = {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}
    # Without a GPU pool the main Job runs the GPU check first, and it says it skipped.
    assert env["MLSTACK_CHECKS"] == "gpu,gpu-metrics,shared,tracking,gang-admission,nccl-allreduce"
    assert env["MLSTACK_EXPECT_GPU"] == "0"
    # No GPU Job, so no GPU egress policy.
    assert plan.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy") == []
    assert "nvidia.com/gpu" not in pod["containers"][0]["resources"]["limits"]
    assert plan.one(JOB, "verify-job").inputs["spec"]["suspend"] is False
    assert plan.one("kubernetes:core/v1:Namespace", "verify-ns").inputs["metadata"]["name"] == "ops"


def test_needs_tracking_credentials(record_plan):
    from mlstack.errors import EngineError

    with pytest.raises(EngineError, match="tracking_uri"):
        _plan(record_plan, tracking_password=None)


def _script(monkeypatch, environ, run=None):
    """The whole SCRIPT loaded as a module (not run as __main__), with ``environ`` and ``run`` as subprocess.run."""
    import subprocess

    from mlstack.components.k8s.verify_job import SCRIPT

    for key in ("MLSTACK_CHECKS", "MLSTACK_POOL", "MLSTACK_EXPECT_GPU", "MLSTACK_GPU_DEVICES", "KUBERNETES_SERVICE_HOST"):
        monkeypatch.delenv(key, raising=False)
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    if run is not None:
        monkeypatch.setattr(subprocess, "run", run)
    namespace: dict = {"__name__": "verify"}
    exec(compile(SCRIPT, "verify.py", "exec"), namespace)
    return namespace


def _nvidia_smi(lines):
    class Done:
        stdout = "".join(f"{line}\n" for line in lines)

    return lambda argv, **kw: Done()


def test_a_pool_check_wants_exactly_the_devices_its_pod_was_given(monkeypatch):
    l4 = ["NVIDIA L4, 23034 MiB", "NVIDIA L4, 23034 MiB"]
    ns = _script(monkeypatch, {"MLSTACK_EXPECT_GPU": "1", "MLSTACK_GPU_DEVICES": "2"}, _nvidia_smi(l4))
    assert ns["check_gpu"]() == "NVIDIA L4, 23034 MiB; NVIDIA L4, 23034 MiB"
    ns = _script(monkeypatch, {"MLSTACK_EXPECT_GPU": "1", "MLSTACK_GPU_DEVICES": "8"}, _nvidia_smi(l4))
    with pytest.raises(RuntimeError) as caught:
        ns["check_gpu"]()
    assert str(caught.value) == "nvidia-smi lists 2 GPU(s), the pod was given 8: NVIDIA L4, 23034 MiB; NVIDIA L4, 23034 MiB"


def test_no_nvidia_smi_fails_in_a_cluster_and_skips_in_a_local_run(monkeypatch):
    def missing(argv, **kw):
        raise FileNotFoundError(2, "No such file or directory", "nvidia-smi")

    ns = _script(monkeypatch, {"MLSTACK_EXPECT_GPU": "1", "MLSTACK_GPU_DEVICES": "8"}, missing)
    assert ns["check_gpu"]() == "skipped: no nvidia-smi, and not in a Kubernetes cluster (KUBERNETES_SERVICE_HOST unset)"
    ns = _script(monkeypatch, {"MLSTACK_EXPECT_GPU": "1", "KUBERNETES_SERVICE_HOST": "10.0.0.1"}, missing)
    with pytest.raises(RuntimeError) as caught:
        ns["check_gpu"]()
    assert str(caught.value) == ("nvidia-smi not found: the pod got no NVIDIA driver (check the device plugin or GPU operator "
                                 "and the container toolkit on the pool's nodes)")


def test_a_pool_job_prints_its_checks_with_the_pool_and_refuses_an_unknown_one(monkeypatch, capsys):
    ns = _script(monkeypatch, {"MLSTACK_CHECKS": "gpu,gpu-burn", "MLSTACK_POOL": "a100", "MLSTACK_EXPECT_GPU": "1",
                               "MLSTACK_GPU_DEVICES": "1"}, _nvidia_smi(["NVIDIA A100-SXM4-80GB, 81920 MiB"]))
    assert ns["main"]() == 1
    assert capsys.readouterr().out == (
        "CHECK gpu[a100] PASS NVIDIA A100-SXM4-80GB, 81920 MiB\n"
        "CHECK gpu-burn[a100] FAIL RuntimeError: no check 'gpu-burn' in this script "
        "(it has gpu, gpu-metrics, shared, tracking, gang-admission, nccl-allreduce)\n")
    from mlstack.engine.deploy.verify import parse_checks

    assert [(c.name, c.pool, c.passed) for c in parse_checks("CHECK gpu[a100] PASS NVIDIA A100-SXM4-80GB, 81920 MiB\n")] == [
        ("gpu[a100]", "a100", True)]
