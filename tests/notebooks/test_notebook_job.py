"""The Job of a ``runner: kubernetes`` notebook (exact object, strict Kubernetes schema), the executed notebook
read back from its log, and waiting for it through the cluster boundary ``verify`` uses (a recording double of
``KubeJobs``: no cluster runs here)."""

from __future__ import annotations

import base64
import gzip
import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from mlstack.catalog import load_catalog
from mlstack.engine.deploy.notebook_job import (
    BEGIN, END, MAX_SOURCE_BYTES, emitted, job_body, read_back, run_job, without_notebook,
)
from mlstack.errors import EngineError, UsageError
from mlstack.spec import load_spec

ROOT = Path(__file__).resolve().parents[2]
SOURCE = (ROOT / "examples" / "notebooks" / "evaluate.ipynb").read_bytes()
COMMIT = "0123456789abcdef0123456789abcdef01234567"


def test_the_job_of_a_gpu_notebook():
    spec = load_spec("staging", ROOT / "stacks")
    body = job_body(spec, "evaluate-a100", SOURCE, COMMIT, load_catalog())
    pod = body["spec"]["template"]["spec"]
    (container,) = pod.pop("containers")
    env = container.pop("env")
    assert body["metadata"] == {
        "generateName": "notebook-evaluate-a100-", "namespace": "research",
        "labels": {"app.kubernetes.io/managed-by": "mlstack-notebook", "mlstack.io/notebook": "evaluate-a100",
                   "kueue.x-k8s.io/queue-name": "default"},
    }
    assert {k: v for k, v in body["spec"].items() if k != "template"} == {
        "backoffLimit": 0, "activeDeadlineSeconds": 1800, "ttlSecondsAfterFinished": 86400, "suspend": True,
    }
    assert body["spec"]["template"]["metadata"] == {"labels": {"mlstack.io/notebook": "evaluate-a100"}}
    assert pod == {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "runAsGroup": 1000, "fsGroup": 1000,
                            "seccompProfile": {"type": "RuntimeDefault"}},
        # the a100 pool's Kueue flavor: its node label and its taint's toleration
        "nodeSelector": {"mlstack.io/pool": "a100"},
        "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
        "volumes": [{"name": "work", "emptyDir": {}}, {"name": "tmp", "emptyDir": {}}],
    }
    assert container == {
        "name": "notebook", "image": "ghcr.io/acme/notebooks:1.0.0",
        "command": ["mlstack", "notebook", "execute", "/work/evaluate-a100.ipynb", "--name", "evaluate-a100",
                    "--source-env", "MLSTACK_NOTEBOOK_SOURCE", "--output", "/work/out/evaluate-a100.ipynb",
                    "--experiment", "research-notebooks", "--runner", "kubernetes", "--parameters", "{}",
                    "--spec-path", "examples/notebooks/evaluate.ipynb", "--emit"],
        "workingDir": "/work",
        "envFrom": [{"configMapRef": {"name": "mlstack-environment", "optional": True}}],
        "resources": {"requests": {"cpu": "2", "memory": "8Gi", "nvidia.com/gpu": "1"},
                      "limits": {"cpu": "2", "memory": "8Gi", "nvidia.com/gpu": "1"}},
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}},
        "volumeMounts": [{"name": "work", "mountPath": "/work"}, {"name": "tmp", "mountPath": "/tmp"}],
    }
    source, *rest = env
    assert source["name"] == "MLSTACK_NOTEBOOK_SOURCE"
    assert gzip.decompress(base64.b64decode(source["value"])) == SOURCE
    assert rest == [
        {"name": "HOME", "value": "/work"},
        {"name": "MLFLOW_TRACKING_URI", "valueFrom": {"secretKeyRef": {"name": "mlflow-research", "key": "tracking-uri"}}},
        {"name": "MLFLOW_TRACKING_USERNAME", "valueFrom": {"secretKeyRef": {"name": "mlflow-research", "key": "username"}}},
        {"name": "MLFLOW_TRACKING_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "mlflow-research", "key": "password"}}},
        {"name": "MLSTACK_GIT_COMMIT", "value": COMMIT},
    ]


def test_the_job_passes_the_strict_kubernetes_schema():
    from k8s_checks import validate_manifests

    spec = load_spec("staging", ROOT / "stacks")
    body = job_body(spec, "evaluate-a100", SOURCE, COMMIT, load_catalog())
    assert validate_manifests([(SimpleNamespace(urn="notebook-job"), body)], spec.versions.kubernetes) == []


def test_a_cpu_pool_on_prem_without_kueue(tmp_path):
    stacks = tmp_path / "stacks"
    shutil.copytree(ROOT / "stacks", stacks)
    (stacks / "onprem.yaml").write_text((stacks / "onprem.yaml").read_text() + (
        "workloads: {enabled: false}\n"
        "ci:\n  notebooks:\n    report:\n      path: examples/notebooks/evaluate.ipynb\n      runner: kubernetes\n"
        "      team: applied\n      pool: system\n      image: ghcr.io/acme/notebooks@sha256:" + "a" * 64 + "\n"
        "      cpu: 4\n      memory_gib: 16\n      experiment: applied-reports\n      parameters: {epochs: 5}\n"))
    spec = load_spec("onprem", stacks)
    body = job_body(spec, "report", SOURCE, None, load_catalog())
    pod = body["spec"]["template"]["spec"]
    assert body["metadata"]["namespace"] == "applied"
    assert "kueue.x-k8s.io/queue-name" not in body["metadata"]["labels"] and body["spec"]["suspend"] is False
    assert pod["nodeSelector"] == {"node-role.kubernetes.io/worker": ""}  # the on-prem pool's own selector
    assert "tolerations" not in pod
    (container,) = pod["containers"]
    assert container["resources"] == {"requests": {"cpu": "4", "memory": "16Gi"}, "limits": {"cpu": "4", "memory": "16Gi"}}
    command = container["command"]
    assert command[command.index("--experiment") + 1] == "applied-reports"
    assert json.loads(command[command.index("--parameters") + 1]) == {"epochs": 5}
    assert not [e for e in container["env"] if e["name"] == "MLSTACK_GIT_COMMIT"]


def test_a_notebook_too_big_for_a_job_is_refused():
    spec = load_spec("staging", ROOT / "stacks")
    with pytest.raises(UsageError) as info:
        job_body(spec, "evaluate-a100", b"x" * (MAX_SOURCE_BYTES + 1), None, load_catalog())
    assert str(info.value) == ("examples/notebooks/evaluate.ipynb is 512 KiB: a notebook runs in a Job only up to "
                               "512 KiB (clear its outputs, or bake data into the image)")


def test_the_executed_notebook_comes_back_through_the_log():
    log = "[IPKernelApp] WARNING | noise\nMLSTACK-NOTEBOOK-RUN 0a1b\n" + emitted(SOURCE) + "notebook x: done\n"
    assert read_back(log) == SOURCE
    assert without_notebook(log) == "[IPKernelApp] WARNING | noise\nMLSTACK-NOTEBOOK-RUN 0a1b\nnotebook x: done"
    block = emitted(SOURCE).splitlines()
    assert block[0] == BEGIN and block[-1] == END and max(len(line) for line in block[1:-1]) == 76
    assert read_back("no notebook here\n") is None
    assert read_back(f"{BEGIN}\ntruncated") is None


class RecordedJobs:
    """The cluster boundary (``KubeJobs``) as a recording double: states in order, then a log."""

    def __init__(self, states: list[str], log: str):
        self.states, self.log, self.created = list(states), log, []

    def read_job(self, namespace, name):
        raise AssertionError("a notebook Job is created from its body, never read from a template")

    def create_job(self, namespace, body):
        self.created.append((namespace, body))
        return "notebook-evaluate-a100-x7k2p"

    def job_state(self, namespace, name):
        assert (namespace, name) == ("research", "notebook-evaluate-a100-x7k2p")
        return self.states.pop(0) if len(self.states) > 1 else self.states[0]

    def job_log(self, namespace, name):
        return self.log


def test_run_job_waits_through_the_queue_and_returns_the_log():
    spec = load_spec("staging", ROOT / "stacks")
    body = job_body(spec, "evaluate-a100", SOURCE, COMMIT, load_catalog())
    kube = RecordedJobs(["running", "running", "succeeded"], "log\n" + emitted(b"{}"))
    slept: list[float] = []
    job, state, log = run_job(kube, body, timeout_s=60, sleep=slept.append, clock=lambda: 0.0)
    assert (job, state, read_back(log)) == ("notebook-evaluate-a100-x7k2p", "succeeded", b"{}")
    assert kube.created == [("research", body)] and slept == [5.0, 5.0]


def test_run_job_gives_up_at_its_deadline_with_the_log_so_far():
    spec = load_spec("staging", ROOT / "stacks")
    body = job_body(spec, "evaluate-a100", SOURCE, COMMIT, load_catalog())
    ticks = iter([0.0, 10.0, 61.0])
    with pytest.raises(EngineError) as info:
        run_job(RecordedJobs(["running"], "queued\n" + emitted(b"{}")), body, timeout_s=60, sleep=lambda s: None,
                clock=lambda: next(ticks))
    assert str(info.value) == ("notebook Job research/notebook-evaluate-a100-x7k2p still running after 60s (queued or "
                               "slow: `kubectl -n research describe job notebook-evaluate-a100-x7k2p`)\nlog so far:\nqueued")
