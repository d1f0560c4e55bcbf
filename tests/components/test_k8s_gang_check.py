"""The verification Job's gang check: its objects, its JobSet validated offline, and the script's logic against
a recorded fake of the API server (no cluster here)."""

from __future__ import annotations

import ast
import json

import pytest
from crd_schemas import validate_custom
from k8s_checks import MLFLOW_IMAGE, hardening_violations, manifests, record_with_provider

K8S_VERSION = "1.33"


def _plan(record_plan, **kw):
    from mlstack.components.k8s.verify_job import VerifyJob, VerifyJobArgs

    args = dict(image=MLFLOW_IMAGE, tracking_uri="http://mlflow:5000", tracking_username="admin", tracking_password="pw", **kw)
    return record_with_provider(record_plan, lambda opts: VerifyJob("verify", VerifyJobArgs(**args), opts))


def test_gang_objects_and_least_privilege(record_plan):
    plan = _plan(record_plan, gang_namespace="research")
    sa = plan.one("kubernetes:core/v1:ServiceAccount", "verify-sa")
    assert sa.inputs["metadata"]["name"] == "mlstack-verify" and sa.inputs["metadata"]["namespace"] == "mlstack-system"
    assert sa.inputs["automountServiceAccountToken"] is False
    role = plan.one("kubernetes:rbac.authorization.k8s.io/v1:Role", "verify-gang-role")
    assert role.inputs["metadata"]["namespace"] == "research"
    assert role.inputs["rules"] == [{"apiGroups": ["jobset.x-k8s.io"], "resources": ["jobsets"], "verbs": ["create", "get", "delete"]}]
    binding = plan.one("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "verify-gang-binding")
    assert binding.inputs["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "mlstack-verify-gang"}
    assert binding.inputs["subjects"] == [{"kind": "ServiceAccount", "name": "mlstack-verify", "namespace": "mlstack-system"}]
    pod = plan.one("kubernetes:batch/v1:Job", "verify-job").inputs["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "mlstack-verify" and pod["automountServiceAccountToken"] is False
    (token,) = [v for v in pod["volumes"] if v["name"] == "api-token"]
    assert token["projected"]["sources"][0] == {"serviceAccountToken": {"path": "token", "expirationSeconds": 3600}}
    env = {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}
    assert env["MLSTACK_GANG_NAMESPACE"] == "research" and env["MLSTACK_GANG_TIMEOUT"] == "600"
    assert env["MLSTACK_GANG_JOBSET"] == "/opt/mlstack/gang-jobset.json"
    assert hardening_violations(plan.resources) == []


def test_without_a_team_queue_there_is_no_gang_access(record_plan):
    plan = _plan(record_plan)
    assert not plan.of_type("kubernetes:core/v1:ServiceAccount") and not plan.of_type("kubernetes:rbac.authorization.k8s.io/v1:Role")
    data = plan.one("kubernetes:core/v1:ConfigMap", "verify-script").inputs["data"]
    assert sorted(data) == ["verify.py"]


def test_the_gang_jobset_validates_offline_and_is_hardened(record_plan):
    plan = _plan(record_plan, gang_namespace="research")
    data = plan.one("kubernetes:core/v1:ConfigMap", "verify-script").inputs["data"]
    jobset = json.loads(data["gang-jobset.json"])
    assert jobset["metadata"]["labels"]["kueue.x-k8s.io/queue-name"] == "default"
    (rj,) = jobset["spec"]["replicatedJobs"]
    assert (rj["replicas"], rj["template"]["spec"]["parallelism"], rj["template"]["spec"]["completions"]) == (2, 1, 1)
    assert validate_custom(jobset, "gang", K8S_VERSION) == []

    class Reg:  # its Job, as hardening_violations reads registrations
        type, name, urn = "kubernetes:batch/v1:Job", "gang-member", "gang-member"
        inputs = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "m"}, "spec": rj["template"]["spec"]}

    assert [m["kind"] for _, m in manifests([Reg])] == ["Job"]
    assert hardening_violations([Reg]) == []


def _check_gang(monkeypatch, tmp_path, responses):
    """check_gang from the script, its API calls answered from ``responses`` and recorded."""
    import os
    import pathlib
    import time

    from mlstack.components.k8s.gang_check import gang_jobset
    from mlstack.components.k8s.verify_job import SCRIPT

    funcs = [n for n in ast.parse(SCRIPT).body if isinstance(n, ast.FunctionDef) and n.name == "check_gang"]
    namespace: dict = {"os": os, "json": json, "pathlib": pathlib, "time": time}
    exec(compile(ast.Module(body=funcs, type_ignores=[]), "verify.py", "exec"), namespace)
    (tmp_path / "gang.json").write_text(json.dumps(gang_jobset(MLFLOW_IMAGE)))
    monkeypatch.setenv("MLSTACK_GANG_NAMESPACE", "research")
    monkeypatch.setenv("MLSTACK_GANG_JOBSET", str(tmp_path / "gang.json"))
    monkeypatch.setenv("MLSTACK_GANG_TIMEOUT", "60")
    calls = []

    def call(method, path, body=None):
        calls.append((method, path, body))
        return responses(method, body)

    now = [0.0]

    def sleep(s):
        now[0] += s

    return lambda: namespace["check_gang"](call, clock=lambda: now[0], sleep=sleep), calls


def test_gang_check_passes_when_kueue_queues_and_admits(monkeypatch, tmp_path):
    states = iter([{}, {"conditions": [{"type": "Completed", "status": "True"}]}])

    def responses(method, body):
        if method == "POST":
            return {**body, "spec": {**body["spec"], "suspend": True}}  # Kueue's webhook suspended it
        return {"status": next(states)} if method == "GET" else {}

    run, calls = _check_gang(monkeypatch, tmp_path, responses)
    detail = run()
    name = calls[0][2]["metadata"]["name"]
    assert name.startswith("mlstack-gang-")
    assert detail == f"research/{name}: 2 pods admitted together through queue default, done in 5 s"
    path = "/apis/jobset.x-k8s.io/v1alpha2/namespaces/research/jobsets"
    assert [(m, p) for m, p, _ in calls] == [("POST", path), ("GET", f"{path}/{name}"), ("GET", f"{path}/{name}"), ("DELETE", f"{path}/{name}")]
    assert calls[-1][2] == {"propagationPolicy": "Background"}


def test_gang_check_fails_when_kueue_does_not_queue_it(monkeypatch, tmp_path):
    run, calls = _check_gang(monkeypatch, tmp_path, lambda method, body: body if method == "POST" else {})
    with pytest.raises(RuntimeError, match="was not suspended on creation: Kueue did not queue it"):
        run()
    assert calls[-1][0] == "DELETE"  # cleaned up all the same


def test_gang_check_fails_after_its_timeout(monkeypatch, tmp_path):
    def responses(method, body):
        return {**body, "spec": {"suspend": True}} if method == "POST" else {"status": {}}

    run, calls = _check_gang(monkeypatch, tmp_path, responses)
    with pytest.raises(RuntimeError, match="not done after 60 s: the team's queue cannot admit 2 pods"):
        run()
    assert calls[-1][0] == "DELETE"


def test_gang_check_skips_without_a_queue(monkeypatch, tmp_path):
    run, calls = _check_gang(monkeypatch, tmp_path, lambda m, b: {})
    monkeypatch.delenv("MLSTACK_GANG_NAMESPACE")
    assert run() == "skipped: the environment has no team queue" and calls == []
