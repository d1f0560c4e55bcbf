"""`mlstack verify` over every GPU pool: one run per pool's Job beside the main one, all awaited, each reported."""

from __future__ import annotations

import json

import pytest

from mlstack.cli import main
from mlstack.engine.deploy import workspace as ws
from mlstack.engine.deploy.verify import Check, job_refs, run_verify
from mlstack.errors import EngineError, UsageError

from .fakes import FakeAutomation, FakeJobs, FakeStack, copy_stacks

MAIN = ("CHECK shared PASS wrote and read /shared/.mlstack-verify/p\nCHECK tracking PASS run 0a1b, model mlstack-verify version 1\n"
        "CHECK gang-admission PASS skipped: the environment has no team queue\n")
A100 = "CHECK gpu[a100] PASS NVIDIA A100-SXM4-80GB, 81920 MiB; NVIDIA A100-SXM4-80GB, 81920 MiB\n"
L4 = "CHECK gpu[l4] PASS NVIDIA L4, 23034 MiB\n"
L4_BAD = "CHECK gpu[l4] FAIL RuntimeError: nvidia-smi lists 1 GPU(s), the pod was given 2: NVIDIA L4, 23034 MiB\n"
POOL_JOBS = {"a100": "mlstack-verify-gpu-a100", "l4": "mlstack-verify-gpu-l4"}


def test_job_refs_name_the_main_job_then_every_pool_by_name():
    outs = {"verify_job": ("mlstack-verify", False), "verify_gpu_jobs": ({"l4": "mlstack-verify-gpu-l4", "a100": "mlstack-verify-gpu-a100"}, False)}
    assert job_refs(outs) == ("mlstack-system", ["mlstack-verify", "mlstack-verify-gpu-a100", "mlstack-verify-gpu-l4"])
    # A stack deployed before the pool Jobs existed has only the main one.
    assert job_refs({"verify_job": ("mlstack-verify", False)}) == ("mlstack-system", ["mlstack-verify"])


def test_a_pool_check_names_its_pool():
    assert Check("gpu[a100]", True, "").pool == "a100"
    assert Check("gpu", True, "skipped: the environment has no GPU pool").pool is None


def test_every_run_starts_before_any_wait_and_each_is_awaited():
    jobs = FakeJobs(MAIN, states=("running", "succeeded"),
                    others={"mlstack-verify-gpu-a100": (A100, ("running", "running", "running", "succeeded")),
                            "mlstack-verify-gpu-l4": (L4, ("succeeded",))})
    slept = []
    names = ["mlstack-verify", *POOL_JOBS.values()]
    r = run_verify(jobs, "mlstack-system", names, 60, sleep=slept.append, clock=lambda: 0.0)
    assert r.ok and r.why == ""
    assert [(run.template, run.job, run.state) for run in r.runs] == [
        ("mlstack-verify", "mlstack-verify-run-abc12", "succeeded"),
        ("mlstack-verify-gpu-a100", "mlstack-verify-gpu-a100-run-abc12", "succeeded"),
        ("mlstack-verify-gpu-l4", "mlstack-verify-gpu-l4-run-abc12", "succeeded")]
    assert [c.name for c in r.checks] == ["shared", "tracking", "gang-admission", "gpu[a100]", "gpu[l4]"]
    kinds = [c[0] for c in jobs.calls]
    # Every template read and every run created before the first state read (all pools scale up at once).
    assert kinds[:6] == ["read_job"] * 3 + ["create_job"] * 3
    # A finished run is not asked again: a100 took three polls, l4 and the main Job fewer.
    polled = [c[2] for c in jobs.calls if c[0] == "job_state"]
    assert polled.count("mlstack-verify-gpu-a100-run-abc12") == 4 and polled.count("mlstack-verify-gpu-l4-run-abc12") == 1
    assert polled.count("mlstack-verify-run-abc12") == 2 and slept == [2.0, 2.0, 2.0]


def test_a_missing_pool_job_starts_nothing():
    jobs = FakeJobs(MAIN, others={"mlstack-verify-gpu-a100": (A100, ("succeeded",))}, missing=("mlstack-verify-gpu-l4",))
    with pytest.raises(UsageError, match=r"^no verification Job mlstack-system/mlstack-verify-gpu-l4 in the cluster: run `mlstack up` first"):
        run_verify(jobs, "mlstack-system", ["mlstack-verify", "mlstack-verify-gpu-a100", "mlstack-verify-gpu-l4"], 5)
    assert not [c for c in jobs.calls if c[0] == "create_job"]


def test_the_timeout_names_each_run_still_going_with_its_log():
    t = iter([0.0, 0.0, 100.0])
    jobs = FakeJobs(MAIN, states=("succeeded",), others={"mlstack-verify-gpu-a100": ("", ("running",)),
                                                          "mlstack-verify-gpu-l4": (L4, ("running",))})
    with pytest.raises(EngineError) as caught:
        run_verify(jobs, "n", ["mlstack-verify", *POOL_JOBS.values()], 30, sleep=lambda s: None, clock=lambda: next(t))
    assert str(caught.value) == (
        "verification Job n/mlstack-verify-gpu-a100-run-abc12, n/mlstack-verify-gpu-l4-run-abc12 still running after 30s "
        "(raise --timeout, or inspect it with `kubectl -n n describe job mlstack-verify-gpu-a100-run-abc12`)"
        "\nlog so far of mlstack-verify-gpu-l4-run-abc12:\n" + L4)


@pytest.fixture
def stacks(tmp_path, monkeypatch):
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "test")
    monkeypatch.setattr("mlstack.engine.plan.program.make_program", lambda spec, pins=None, stamp=None, locked=None: (lambda: None))
    monkeypatch.setattr("time.sleep", lambda s: None)
    yield copy_stacks(tmp_path)
    ws.set_automation(None)


def _cli(stacks, monkeypatch, l4_log, l4_states, *extra):
    jobs = FakeJobs(MAIN, states=("succeeded",), others={"mlstack-verify-gpu-a100": (A100, ("running", "succeeded")),
                                                          "mlstack-verify-gpu-l4": (l4_log, l4_states)})
    monkeypatch.setattr("mlstack.engine.deploy.verify_kube.make_jobs", lambda outputs, ctx, path: jobs)
    outs = {"kubeconfig": ("apiVersion: v1", True), "verify_job": ("mlstack-verify", False), "verify_gpu_jobs": (POOL_JOBS, False)}
    ws.set_automation(lambda: FakeAutomation(FakeStack([], outputs=outs)))
    return main(["--stacks-dir", str(stacks), "verify", "--env", "staging", "--timeout", "5", *extra])


def test_verify_text_reports_every_pool(stacks, monkeypatch, capsys):
    assert _cli(stacks, monkeypatch, L4, ("succeeded",)) == 0
    assert capsys.readouterr().out == (
        "running mlstack-system/mlstack-verify, mlstack-system/mlstack-verify-gpu-a100, mlstack-system/mlstack-verify-gpu-l4 ...\n"
        "  PASS  shared  wrote and read /shared/.mlstack-verify/p\n"
        "  PASS  tracking  run 0a1b, model mlstack-verify version 1\n"
        "  PASS  gang-admission  skipped: the environment has no team queue\n"
        "  PASS  gpu[a100]  NVIDIA A100-SXM4-80GB, 81920 MiB; NVIDIA A100-SXM4-80GB, 81920 MiB\n"
        "  PASS  gpu[l4]  NVIDIA L4, 23034 MiB\n"
        "staging: all 5 checks passed (mlstack-system/mlstack-verify-run-abc12, mlstack-system/mlstack-verify-gpu-a100-run-abc12, "
        "mlstack-system/mlstack-verify-gpu-l4-run-abc12)\n")


def test_verify_text_fails_on_one_pool_and_prints_only_its_log(stacks, monkeypatch, capsys):
    assert _cli(stacks, monkeypatch, L4_BAD, ("failed",)) == 1
    out = capsys.readouterr()
    assert out.out.endswith(
        "  PASS  gpu[a100]  NVIDIA A100-SXM4-80GB, 81920 MiB; NVIDIA A100-SXM4-80GB, 81920 MiB\n"
        "  FAIL  gpu[l4]  RuntimeError: nvidia-smi lists 1 GPU(s), the pod was given 2: NVIDIA L4, 23034 MiB\n"
        "pod log of mlstack-system/mlstack-verify-gpu-l4-run-abc12:\n  | " + L4_BAD)
    assert out.err == "error: verify staging: 1 of 5 checks failed\n"


def test_verify_json_reports_every_pool_and_run(stacks, monkeypatch, capsys):
    assert _cli(stacks, monkeypatch, L4_BAD, ("failed",), "--format", "json") == 1
    out = capsys.readouterr()
    report = json.loads(out.out)
    assert (report["ok"], report["state"], report["job"], report["log"]) == (False, "failed", "mlstack-verify-run-abc12", L4_BAD)
    assert [(c["name"], c["pool"], c["job"], c["passed"]) for c in report["checks"]] == [
        ("shared", None, "mlstack-verify-run-abc12", True), ("tracking", None, "mlstack-verify-run-abc12", True),
        ("gang-admission", None, "mlstack-verify-run-abc12", True),
        ("gpu[a100]", "a100", "mlstack-verify-gpu-a100-run-abc12", True), ("gpu[l4]", "l4", "mlstack-verify-gpu-l4-run-abc12", False)]
    assert report["runs"] == [
        {"template": "mlstack-verify", "job": "mlstack-verify-run-abc12", "state": "succeeded", "ok": True, "checks": 3},
        {"template": "mlstack-verify-gpu-a100", "job": "mlstack-verify-gpu-a100-run-abc12", "state": "succeeded", "ok": True, "checks": 1},
        {"template": "mlstack-verify-gpu-l4", "job": "mlstack-verify-gpu-l4-run-abc12", "state": "failed", "ok": False, "checks": 1}]
    assert out.err == "error: verify staging: 1 of 5 checks failed\n"


def test_a_run_without_check_lines_is_named(stacks, monkeypatch, capsys):
    assert _cli(stacks, monkeypatch, "exec format error\n", ("failed",)) == 1
    assert capsys.readouterr().err == "error: verify staging: mlstack-verify-gpu-l4-run-abc12: the Job printed no CHECK lines\n"
