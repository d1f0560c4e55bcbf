"""Fakes at the two boundaries (pulumi.automation, the kubernetes client) and synthetic engine events."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from pulumi.automation import events as ev

from mlstack.engine.plan.model import Plan
from mlstack.engine.plan.recorder import Registration

ROOT = Path(__file__).resolve().parents[2]
URN_DB = "urn:pulumi:staging::acme-ml::mlstack:aws:TrackingDatabase$aws:rds/instance:Instance::acme-ml-staging-db"
URN_BUCKET = "urn:pulumi:staging::acme-ml::aws:s3/bucket:Bucket::acme-ml-staging-datasets"


def copy_stacks(tmp_path: Path) -> Path:
    """A copy of the example stacks/ (yaml only) in tmp_path/project/stacks."""
    dst = tmp_path / "project" / "stacks"
    shutil.copytree(ROOT / "stacks", dst, ignore=shutil.ignore_patterns("*.lock.json"))
    return dst


def meta(op: str, urn: str) -> ev.StepEventMetadata:
    return ev.StepEventMetadata(op=ev.OpType(op), urn=urn, type=urn.split("::")[2].split("$")[-1], provider="")


def pre(op: str, urn: str, planning: bool = False) -> ev.EngineEvent:
    return ev.EngineEvent(1, 0, resource_pre_event=ev.ResourcePreEvent(meta(op, urn), planning))


def done(op: str, urn: str) -> ev.EngineEvent:
    return ev.EngineEvent(2, 0, res_outputs_event=ev.ResOutputsEvent(meta(op, urn)))


def failed(op: str, urn: str) -> ev.EngineEvent:
    return ev.EngineEvent(3, 0, res_op_failed_event=ev.ResOpFailedEvent(meta(op, urn), 1, 1))


def diag(message: str, urn: str | None = None, severity: str = "error") -> ev.EngineEvent:
    return ev.EngineEvent(4, 0, diagnostic_event=ev.DiagnosticEvent(message=message, color="never", severity=severity, urn=urn))


def summary() -> ev.EngineEvent:
    return ev.EngineEvent(5, 0, summary_event=ev.SummaryEvent(False, 1, {}, {}))


class FakeStack:
    """Records every call; ``events`` are fed to on_event by up/preview/refresh/destroy; ``fail`` raises."""

    def __init__(self, calls: list, *, outputs=None, resources=None, events=(), fail: Exception | None = None):
        self.calls = calls
        self._outputs = outputs or {}
        self._resources = resources or []
        self.events = list(events)
        self.fail = fail

    def _op(self, name: str, on_event, **kw) -> dict[str, Any]:
        self.calls.append((name, kw) if kw else (name,))
        for e in self.events:
            on_event(e)
        if self.fail is not None:
            raise self.fail
        return {"changes": {}, "outputs": self._outputs, "stdout": "~ diff text\n" if kw.get("diff") else ""}

    def install_plugin(self, name, version):
        self.calls.append(("install_plugin", name, version))

    def set_config(self, config):
        self.calls.append(("set_config", dict(config)))

    def up(self, on_event):
        return self._op("up", on_event)

    def preview(self, on_event, diff):
        return self._op("preview", on_event, diff=diff)

    def refresh(self, on_event):
        return self._op("refresh", on_event)

    def destroy(self, on_event):
        return self._op("destroy", on_event)

    def cancel(self):
        self.calls.append(("cancel",))
        if self.fail is not None:
            raise self.fail

    def outputs(self):
        self.calls.append(("outputs",))
        return self._outputs

    def resources(self):
        self.calls.append(("resources",))
        return self._resources

    def unprotect_all(self):
        self.calls.append(("unprotect_all",))


class FakeAutomation:
    def __init__(self, stack: FakeStack | None = None, cli: str | None = "3.200.0"):
        self.calls: list = []
        self.stack = stack or FakeStack(self.calls)
        self.stack.calls = self.calls
        self.cli = cli
        self.settings = None

    def cli_version(self):
        self.calls.append(("cli_version",))
        return self.cli

    def open(self, settings, program):
        self.calls.append(("open", settings.project, settings.stack))
        self.settings = settings
        assert callable(program)
        return self.stack


def reg(urn: str, inputs: dict | None = None, protect: bool = False) -> Registration:
    type_, name = urn.split("::")[2].split("$")[-1], urn.split("::")[3]
    return Registration(urn, type_, name, "", True, inputs or {}, protect, protect, [], "")


def tiny_plan(env: str = "staging", version: str = "1.33") -> Plan:
    return Plan("acme-ml", env, {"cloud": "aws", "region": "us-west-2"},
                [reg(URN_BUCKET.replace("staging", env)), reg(URN_DB.replace("staging", env), {"engineVersion": version}, True)])


class FakeJobs:
    """The verify boundary: template Jobs, a scripted sequence of states and a pod log per run.

    ``log``/``states``/``template``: the main Job's; ``others``: more template Jobs (a GPU pool's), name ->
    (log, states); ``missing``: template names the cluster does not have. A run is named ``<template>-run-abc12``.
    """

    def __init__(self, log: str, states=("running", "succeeded"), template: dict | None = None,
                 others: dict[str, tuple[str, tuple[str, ...]]] | None = None, missing: tuple[str, ...] = ()):
        self.calls: list = []
        self.log = log
        self.states = list(states)
        self.template = template if template is not None else {
            "metadata": {"name": "mlstack-verify"},
            "spec": {"suspend": True, "backoffLimit": 0, "selector": {"matchLabels": {"controller-uid": "x"}},
                     "template": {"metadata": {"labels": {"controller-uid": "x", "app": "verify"}},
                                  "spec": {"containers": [{"name": "verify", "image": "busybox"}], "restartPolicy": "Never"}}},
        }
        self.others = {name: (log, list(states)) for name, (log, states) in (others or {}).items()}
        self.missing = set(missing)

    def _run(self, name):
        """(log, states) of a run or template name."""
        template = name.removesuffix("-run-abc12")
        return self.others[template] if template in self.others else (self.log, self.states)

    def read_job(self, namespace, name):
        self.calls.append(("read_job", namespace, name))
        if name in self.missing:
            return None
        if name in self.others:
            return {**self.template, "metadata": {"name": name}}
        return self.template or None

    def create_job(self, namespace, body):
        self.calls.append(("create_job", namespace, body))
        return f"{body['metadata']['generateName']}abc12"

    def job_state(self, namespace, name):
        self.calls.append(("job_state", namespace, name))
        states = self._run(name)[1]
        return states.pop(0) if len(states) > 1 else states[0]

    def job_log(self, namespace, name):
        self.calls.append(("job_log", namespace, name))
        return self._run(name)[0]
