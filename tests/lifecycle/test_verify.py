from __future__ import annotations

import pytest

from mlstack.cli import main
from mlstack.engine.deploy import workspace as ws
from mlstack.engine.deploy.verify import Check, job_ref, job_refs, parse_checks, run_body, run_verify
from mlstack.errors import EngineError, UsageError

from .fakes import FakeAutomation, FakeJobs, FakeStack, copy_stacks

GOOD = "starting\nCHECK gpu-device-plugin PASS 2 GPUs allocatable\nCHECK shared-volume PASS\nbye\n"
NCCL = ("CHECK nccl-allreduce PASS busbw=84.34GB/s avg_busbw=33.13GB/s size=4294967296B ranks=16 pool=a100 "
        "research/mlstack-nccl-1a2b3c\n")
BAD = "CHECK mlflow-http PASS 200\nCHECK object-store FAIL put s3://acme-ml-staging-artifacts: AccessDenied\n"


def test_parse_contract():
    assert parse_checks(GOOD + "  CHECK  quota  FAIL   gpu quota 0\nCHECKS are fun\nCHECK x MAYBE y\n") == [
        Check("gpu-device-plugin", True, "2 GPUs allocatable"), Check("shared-volume", True, ""), Check("quota", False, "gpu quota 0")]


def test_figures_of_a_check():
    """The NCCL check's detail, as the verification script prints it, carries its measurements as figures."""
    from mlstack.engine.deploy.verify import Figure

    (check,) = parse_checks(NCCL)
    assert check.figures == {
        "busbw": Figure(84.34, "GB/s"), "avg_busbw": Figure(33.13, "GB/s"), "size": Figure(4294967296.0, "B"), "ranks": Figure(16.0, ""),
    }
    assert Check("tracking", True, "run 0a1b, model mlstack-verify version 3").figures == {}
    assert Check("x", True, "skipped: a100: at most 1 node, not=a-number").figures == {}


def test_job_ref():
    assert job_ref({}) == ("mlstack-system", "mlstack-verify")
    assert job_ref({"verify_job": ("acme-ml-staging-verify", False)}) == ("mlstack-system", "acme-ml-staging-verify")
    assert job_ref({"verify_job": ("ops/verify", False)}) == ("ops", "verify")


def test_run_body_copies_template_without_controller_fields():
    body = run_body(FakeJobs("").template, "mlstack-verify")
    assert body == {
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"generateName": "mlstack-verify-run-", "labels": {"app.kubernetes.io/managed-by": "mlstack-verify"}},
        "spec": {"backoffLimit": 0, "suspend": False, "ttlSecondsAfterFinished": 86400,
                 "template": {"metadata": {"labels": {"app": "verify"}},
                              "spec": {"containers": [{"name": "verify", "image": "busybox"}], "restartPolicy": "Never"}}},
    }


def test_run_waits_and_parses():
    jobs = FakeJobs(GOOD, states=("running", "running", "succeeded"))
    slept = []
    r = run_verify(jobs, "mlstack-system", ["mlstack-verify"], 60, sleep=slept.append, clock=lambda: 0.0)
    assert r.ok and [run.job for run in r.runs] == ["mlstack-verify-run-abc12"] and len(r.checks) == 2 and slept == [2.0, 2.0]
    assert [c[0] for c in jobs.calls] == ["read_job", "create_job", "job_state", "job_state", "job_state", "job_log"]


def test_no_checks_or_failed_job_is_not_ok():
    assert not run_verify(FakeJobs("nothing", states=("succeeded",)), "n", ["j"], 5, sleep=lambda s: None).ok
    assert not run_verify(FakeJobs(GOOD, states=("failed",)), "n", ["j"], 5, sleep=lambda s: None).ok


def test_timeout_and_missing_job():
    t = iter([0.0, 0.0, 100.0])
    with pytest.raises(EngineError, match="(?s)Job n/j-run-abc12 still running after 30s.*log so far of j-run-abc12:\nCHECK mlflow-http PASS"):
        run_verify(FakeJobs(BAD, states=("running",)), "n", ["j"], 30, sleep=lambda s: None, clock=lambda: next(t))
    with pytest.raises(UsageError, match="no verification Job n/j"):
        run_verify(FakeJobs("", template={}), "n", ["j"], 5)


@pytest.fixture
def stacks(tmp_path, monkeypatch):
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "test")
    monkeypatch.setattr("mlstack.engine.plan.program.make_program", lambda spec, pins=None, stamp=None, locked=None: (lambda: None))
    yield copy_stacks(tmp_path)
    ws.set_automation(None)


def _cli(stacks, monkeypatch, log, states, *extra):
    jobs = FakeJobs(log, states=states)
    seen = {}

    def make_jobs(outputs, ctx, path):
        seen["args"] = (outputs, ctx, path)
        return jobs

    monkeypatch.setattr("mlstack.engine.deploy.verify_kube.make_jobs", make_jobs)
    outs = {"kubeconfig": ("apiVersion: v1", True), "verify_job": ("mlstack-verify", False)}
    ws.set_automation(lambda: FakeAutomation(FakeStack([], outputs=outs)))
    code = main(["--stacks-dir", str(stacks), "verify", "--env", "staging", "--timeout", "5", *extra])
    assert seen["args"] == (outs, None, None)
    return code


def test_verify_cli_pass(stacks, monkeypatch, capsys):
    monkeypatch.setattr("time.sleep", lambda s: None)
    assert _cli(stacks, monkeypatch, GOOD, ("succeeded",)) == 0
    assert capsys.readouterr().out == (
        "running mlstack-system/mlstack-verify ...\n  PASS  gpu-device-plugin  2 GPUs allocatable\n  PASS  shared-volume\n"
        "staging: all 2 checks passed (mlstack-system/mlstack-verify-run-abc12)\n")


def test_verify_cli_fail_prints_log(stacks, monkeypatch, capsys):
    assert _cli(stacks, monkeypatch, BAD, ("failed",)) == 1
    out = capsys.readouterr()
    assert out.out == (
        "running mlstack-system/mlstack-verify ...\n  PASS  mlflow-http  200\n"
        "  FAIL  object-store  put s3://acme-ml-staging-artifacts: AccessDenied\n"
        "pod log of mlstack-system/mlstack-verify-run-abc12:\n  | CHECK mlflow-http PASS 200\n"
        "  | CHECK object-store FAIL put s3://acme-ml-staging-artifacts: AccessDenied\n")
    assert out.err == "error: verify staging: 1 of 2 checks failed\n"


def test_verify_format_json(stacks, monkeypatch, capsys):
    import json

    monkeypatch.setattr("time.sleep", lambda s: None)
    assert _cli(stacks, monkeypatch, GOOD, ("succeeded",), "--format", "json") == 0
    assert json.loads(capsys.readouterr().out) == {
        "env": "staging", "namespace": "mlstack-system", "job": "mlstack-verify-run-abc12", "state": "succeeded", "ok": True,
        "checks": [{"name": "gpu-device-plugin", "passed": True, "detail": "2 GPUs allocatable", "figures": {}, "pool": None,
                    "job": "mlstack-verify-run-abc12"},
                   {"name": "shared-volume", "passed": True, "detail": "", "figures": {}, "pool": None,
                    "job": "mlstack-verify-run-abc12"}],
        "runs": [{"template": "mlstack-verify", "job": "mlstack-verify-run-abc12", "state": "succeeded", "ok": True, "checks": 2}],
    }
    assert _cli(stacks, monkeypatch, NCCL, ("succeeded",), "--format", "json") == 0
    (check,) = json.loads(capsys.readouterr().out)["checks"]
    assert check["figures"]["busbw"] == {"value": 84.34, "unit": "GB/s"}
    assert _cli(stacks, monkeypatch, BAD, ("failed",), "--format", "json") == 1
    out = capsys.readouterr()
    report = json.loads(out.out)
    assert (report["ok"], report["state"], report["log"]) == (False, "failed", BAD)
    assert [c["passed"] for c in report["checks"]] == [True, False]
    assert out.err == "error: verify staging: 1 of 2 checks failed\n"
