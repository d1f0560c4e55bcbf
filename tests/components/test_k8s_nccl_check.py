"""The verification Job's NCCL check: its runtime and TrainJob validated offline (strict CRD models, embedded Jobs
against the Kubernetes schema, hardening), its least-privilege access, and the script's logic: the parser on
all_reduce_perf's real output format (tests/components/data/all_reduce_perf_2x8.txt, written in nccl-tests'
own printf formats from src/util.cu at v2.19.6; its numbers are illustrative, not a measurement) and the check's
API calls against recorded answers (no cluster here)."""

from __future__ import annotations

import ast
import json
import os
import pathlib
import time
import urllib.parse

import pytest
from crd_schemas import validate_custom
from k8s_checks import MLFLOW_IMAGE, hardening_violations, record_with_provider

from mlstack.components.k8s.nccl_check import NcclCheckArgs, config_data, nccl_trainjob, runtime_spec
from mlstack.components.k8s.trainer import PoolRuntimeArgs
from mlstack.components.k8s.verify_script import SCRIPT

K8S_VERSION = "1.33"
OUTPUT = pathlib.Path(__file__).parent / "data" / "all_reduce_perf_2x8.txt"
IMAGE = "nvcr.io/nvidia/pytorch:26.01-py3"
NODE = PoolRuntimeArgs(
    node_labels={"mlstack.io/pool": "a100"}, accelerator_resource="nvidia.com/gpu", devices_per_node=8, fabric={"vpc.amazonaws.com/efa": 4}
)
NCCL = NcclCheckArgs(pool="a100", namespace="vision", node=NODE, image=IMAGE)


def _script_functions(*names: str) -> dict:
    """The named functions of the verification script, compiled on their own."""
    funcs = [n for n in ast.parse(SCRIPT).body if isinstance(n, ast.FunctionDef) and n.name in names]
    namespace: dict = {"os": os, "json": json, "pathlib": pathlib, "time": time, "urllib": urllib}
    exec(compile(ast.Module(body=funcs, type_ignores=[]), "verify.py", "exec"), namespace)
    return namespace


# -- the parser, on all_reduce_perf's output format --------------------------------------------------------


def test_parser_reads_every_row_and_the_summary():
    parse = _script_functions("parse_all_reduce")["parse_all_reduce"]
    rows, out_of_bounds, average = parse(OUTPUT.read_text())
    assert len(rows) == 30  # 8 B to 4 GiB, doubling; the rank lines and the stray library line are not rows
    assert rows[0] == {"size": 8, "busbw": 0.0, "wrong": "0", "in_busbw": 0.0, "in_wrong": "0"}
    assert rows[-1] == {"size": 4294967296, "busbw": 84.34, "wrong": "0", "in_busbw": 85.19, "in_wrong": "0"}
    assert (out_of_bounds, average) == (0, 33.1314)


def test_verdict_reports_the_bus_bandwidth_at_the_largest_size():
    verdict = _script_functions("parse_all_reduce", "nccl_verdict")["nccl_verdict"]
    assert verdict(OUTPUT.read_text()) == "busbw=84.34GB/s avg_busbw=33.13GB/s size=4294967296B"


def test_verdict_fails_on_wrong_results_and_on_no_results():
    verdict = _script_functions("parse_all_reduce", "nccl_verdict")["nccl_verdict"]
    text = OUTPUT.read_text()
    last = text.splitlines()[-5]
    broken = text.replace(last, last[: last.rindex("0")] + "3")  # the largest size's in-place #wrong: 3
    with pytest.raises(RuntimeError, match=r"wrong results \(sizes \[4294967296\], 0 out of bounds\)"):
        verdict(broken)
    with pytest.raises(RuntimeError, match="printed no results"):
        verdict("mpirun: ssh: connect to host mlstack-nccl-node-0-1 port 2222: Connection refused\n")


# -- the check's calls, against recorded API answers ------------------------------------------------------


def _check(monkeypatch, tmp_path, answer):
    ns = _script_functions("parse_all_reduce", "nccl_verdict", "check_nccl")
    (tmp_path / "nccl.json").write_text(json.dumps(nccl_trainjob(NCCL)))
    for key, value in {"MLSTACK_NCCL_NAMESPACE": "research", "MLSTACK_NCCL_TRAINJOB": str(tmp_path / "nccl.json"),
                       "MLSTACK_NCCL_TIMEOUT": "60", "MLSTACK_NCCL_RANKS": "16", "MLSTACK_NCCL_POOL": "a100"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("MLSTACK_NCCL_SKIP", raising=False)
    calls = []

    def call(method, path, body=None, text=False):
        calls.append((method, path, text))
        return answer(method, path, body)

    now = [0.0]
    run = lambda: ns["check_nccl"](call, clock=lambda: now[0], sleep=lambda s: now.__setitem__(0, now[0] + s))  # noqa: E731
    return run, calls


def test_check_submits_through_the_queue_and_reports_the_figure(monkeypatch, tmp_path):
    states = iter([{}, {"conditions": [{"type": "Complete", "status": "True"}]}])
    submitted = {}

    def answer(method, path, body):
        if method == "POST":
            submitted.update(body)
            return {**body, "spec": {**body["spec"], "suspend": True}}  # Kueue's webhook suspended it
        if path.endswith("/log"):
            return OUTPUT.read_text()
        if "/pods?" in path:
            return {"items": [{"metadata": {"name": "launcher-pod"}}]}
        return {"status": next(states)} if method == "GET" else {}

    run, calls = _check(monkeypatch, tmp_path, answer)
    detail = run()
    name = submitted["metadata"]["name"]
    assert name.startswith("mlstack-nccl-") and submitted["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == "default"
    assert submitted["spec"] == {"runtimeRef": {"name": "mlstack-nccl-a100"}, "trainer": {"numNodes": 2}}
    assert detail == f"busbw=84.34GB/s avg_busbw=33.13GB/s size=4294967296B ranks=16 pool=a100 research/{name}"
    jobs = "/apis/trainer.kubeflow.org/v1alpha1/namespaces/research/trainjobs"
    selector = urllib.parse.quote(f"jobset.sigs.k8s.io/jobset-name={name},jobset.sigs.k8s.io/replicatedjob-name=launcher")
    assert calls == [
        ("POST", jobs, False),
        ("GET", f"{jobs}/{name}", False),
        ("GET", f"{jobs}/{name}", False),
        ("GET", f"/api/v1/namespaces/research/pods?labelSelector={selector}", False),
        ("GET", "/api/v1/namespaces/research/pods/launcher-pod/log", True),
        ("DELETE", f"{jobs}/{name}", False),
    ]


def test_check_fails_when_the_trainjob_fails_and_cleans_up(monkeypatch, tmp_path):
    def answer(method, path, body):
        if method == "POST":
            return {**body, "spec": {**body["spec"], "suspend": True}}
        return {"status": {"conditions": [{"type": "Failed", "status": "True", "message": "launcher exited 1"}]}}

    run, calls = _check(monkeypatch, tmp_path, answer)
    with pytest.raises(RuntimeError, match="failed: launcher exited 1"):
        run()
    assert calls[-1][0] == "DELETE"


def test_check_fails_when_kueue_does_not_queue_it(monkeypatch, tmp_path):
    run, calls = _check(monkeypatch, tmp_path, lambda method, path, body: body if method == "POST" else {})
    with pytest.raises(RuntimeError, match="was not suspended on creation: Kueue did not queue it"):
        run()
    assert [c[0] for c in calls] == ["POST", "DELETE"]


def test_check_says_why_it_skips(monkeypatch, tmp_path):
    run, calls = _check(monkeypatch, tmp_path, lambda *a: {})
    monkeypatch.setenv("MLSTACK_NCCL_SKIP", "no GPU pool can run 2 or more multi-node nodes (a100: at most 1)")
    assert run() == "skipped: no GPU pool can run 2 or more multi-node nodes (a100: at most 1)" and calls == []


# -- the objects, validated offline -----------------------------------------------------------------------


def test_runtime_is_valid_hardened_and_on_the_pools_nodes(record_plan):
    from mlstack.components.k8s.trainer import Trainer, TrainerArgs

    args = TrainerArgs(
        chart_version="2.3.0",
        image="ghcr.io/kubeflow/trainer/trainer-controller-manager:v2.3.0",
        runtime_image="docker.io/pytorch/pytorch:2.13.0-cuda13.0-cudnn9-runtime",
        extra_runtimes={NCCL.runtime_name: runtime_spec(NCCL)},
    )
    plan = record_with_provider(record_plan, lambda opts: Trainer("t", args, opts))
    runtime = plan.one("kubernetes:trainer.kubeflow.org/v1alpha1:ClusterTrainingRuntime", "t-runtime-mlstack-nccl-a100").inputs
    assert runtime["metadata"]["name"] == "mlstack-nccl-a100"
    assert runtime["metadata"]["labels"]["trainer.kubeflow.org/framework"] == "mpi"
    assert validate_custom(runtime, "nccl-runtime", K8S_VERSION) == []
    spec = runtime["spec"]
    assert spec["mlPolicy"] == {
        "numNodes": 2,
        "mpi": {"numProcPerNode": 8, "mpiImplementation": "OpenMPI", "sshAuthMountPath": "/etc/mlstack/ssh", "runLauncherAsNode": False},
    }
    launcher, node = spec["template"]["spec"]["replicatedJobs"]
    assert (launcher["name"], launcher["dependsOn"], node["name"]) == ("launcher", [{"name": "node", "status": "Ready"}], "node")
    node_pod = node["template"]["spec"]["template"]["spec"]
    assert node_pod["nodeSelector"] == {"mlstack.io/pool": "a100"}
    amounts = {"cpu": "24", "memory": "96Gi", "nvidia.com/gpu": "8", "vpc.amazonaws.com/efa": "4"}
    assert node_pod["containers"][0]["resources"] == {"requests": amounts, "limits": amounts}
    assert "sshd -D -e -f /etc/mlstack/nccl/sshd_config" in node_pod["containers"][0]["command"][2]
    mpirun = launcher["template"]["spec"]["template"]["spec"]["containers"][0]["command"][2]
    assert mpirun.startswith('exec "$(command -v mpirun)" --hostfile /etc/mpi/hostfile -np 16 ')
    assert mpirun.endswith("all_reduce_perf_mpi -b 8 -e 4G -f 2 -g 1 -c 1 -n 20")

    class Reg:  # each pod template as a Job, as hardening_violations reads registrations
        def __init__(self, rj):
            self.type, self.name, self.urn = "kubernetes:batch/v1:Job", rj["name"], rj["name"]
            self.inputs = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": rj["name"]}, "spec": rj["template"]["spec"]}

    assert hardening_violations([Reg(launcher), Reg(node)]) == []


def test_verify_job_wires_the_check_with_least_privilege(record_plan):
    from mlstack.components.k8s.verify_job import VerifyJob, VerifyJobArgs

    args = VerifyJobArgs(image=MLFLOW_IMAGE, tracking_uri="http://mlflow:5000", tracking_username="admin", tracking_password="pw",
                         gang_namespace="research", nccl=NCCL)
    plan = record_with_provider(record_plan, lambda opts: VerifyJob("verify", args, opts))
    data = plan.one("kubernetes:core/v1:ConfigMap", "verify-script").inputs["data"]
    trainjob = json.loads(data["nccl-trainjob.json"])
    assert trainjob == nccl_trainjob(NCCL) and validate_custom(trainjob, "nccl-trainjob", K8S_VERSION) == []
    config = plan.one("kubernetes:core/v1:ConfigMap", "verify-nccl")
    # In the team namespace the check runs in (the one whose queue holds two whole nodes), not the gang check's.
    assert (config.inputs["metadata"]["name"], config.inputs["metadata"]["namespace"]) == ("mlstack-nccl", "vision")
    assert config.inputs["data"] == config_data()
    assert "mlstack:x:65532:65532:mlstack:/tmp:/bin/sh" in config.inputs["data"]["passwd"]
    gang = plan.one("kubernetes:rbac.authorization.k8s.io/v1:Role", "verify-gang-role")
    assert gang.inputs["rules"] == [{"apiGroups": ["jobset.x-k8s.io"], "resources": ["jobsets"], "verbs": ["create", "get", "delete"]}]
    role = plan.one("kubernetes:rbac.authorization.k8s.io/v1:Role", "verify-nccl-role")
    assert (role.inputs["metadata"]["name"], role.inputs["metadata"]["namespace"]) == ("mlstack-verify-nccl", "vision")
    binding = plan.one("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "verify-nccl-binding")
    assert binding.inputs["subjects"] == [{"kind": "ServiceAccount", "name": "mlstack-verify", "namespace": "mlstack-system"}]
    assert role.inputs["rules"] == [
        {"apiGroups": ["trainer.kubeflow.org"], "resources": ["trainjobs"], "verbs": ["create", "get", "delete"]},
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]},
        {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
    ]
    env = {e["name"]: e.get("value") for e in plan.one("kubernetes:batch/v1:Job", "verify-job").inputs["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert {k: v for k, v in env.items() if k.startswith("MLSTACK_NCCL")} == {
        "MLSTACK_NCCL_NAMESPACE": "vision",
        "MLSTACK_NCCL_TRAINJOB": "/opt/mlstack/nccl-trainjob.json",
        "MLSTACK_NCCL_TIMEOUT": "1200",
        "MLSTACK_NCCL_RANKS": "16",
        "MLSTACK_NCCL_POOL": "a100",
    }


def test_without_a_qualifying_pool_the_job_says_why(record_plan):
    from mlstack.components.k8s.verify_job import VerifyJob, VerifyJobArgs

    args = VerifyJobArgs(image=MLFLOW_IMAGE, tracking_uri="http://mlflow:5000", tracking_username="admin", tracking_password="pw",
                         gang_namespace="research", nccl_skip_reason="no GPU pool can run 2 or more multi-node nodes")
    plan = record_with_provider(record_plan, lambda opts: VerifyJob("verify", args, opts))
    env = {e["name"]: e.get("value") for e in plan.one("kubernetes:batch/v1:Job", "verify-job").inputs["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["MLSTACK_NCCL_SKIP"] == "no GPU pool can run 2 or more multi-node nodes"
    assert "MLSTACK_NCCL_NAMESPACE" not in env and sorted(plan.one("kubernetes:core/v1:ConfigMap", "verify-script").inputs["data"]) == [
        "gang-jobset.json", "verify.py"]
    assert [r.name for r in plan.of_type("kubernetes:rbac.authorization.k8s.io/v1:Role")] == ["verify-gang-role"]
    assert not [c for c in plan.of_type("kubernetes:core/v1:ConfigMap") if c.name == "verify-nccl"]
