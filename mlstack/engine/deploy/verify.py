"""``mlstack verify``: run the platform layer's verification Job and report each check.

The platform layer creates the Job suspended (a template: namespace ``mlstack-system``, name from the stack
output ``verify_job``, default ``mlstack-verify``). ``verify`` never edits that Job (which Pulumi owns: an edit
would show as drift on the next ``up``): it creates a run from its pod template (``generateName:
<job>-run-``, not suspended, deleted by the cluster a day after it finishes), waits for it, and parses the
pod log.

The log contract, one line per check, anything else ignored::

    CHECK <name> PASS|FAIL <detail...>

``<name>`` has no spaces; ``<detail>`` is free text (may be empty) and may carry figures as
``<figure>=<number><unit>`` tokens (``busbw=84.34GB/s``: the NCCL check's bus bandwidth), which
:attr:`Check.figures` reads. The run fails when any check FAILs, when the Job fails, or when the log holds no
CHECK line at all.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from mlstack.errors import EngineError, UsageError

from mlstack.components.contract import SYSTEM_NAMESPACE as NAMESPACE
DEFAULT_JOB = "mlstack-verify"
CHECK_LINE = re.compile(r"^\s*CHECK\s+(\S+)\s+(PASS|FAIL)\b[ \t]*(.*)$")
FIGURE = re.compile(r"(?:^|\s)([a-z][a-z0-9_]*)=(-?[0-9]+(?:\.[0-9]+)?)([A-Za-z%/]*)(?=\s|$)")
RUN_TTL_SECONDS = 86400


@dataclass(frozen=True)
class Figure:
    """A measured value a check reports, e.g. ``busbw`` 84.34 ``GB/s``."""

    value: float
    unit: str


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    detail: str

    @property
    def figures(self) -> dict[str, Figure]:
        """The ``<figure>=<number><unit>`` tokens of the detail, by figure name."""
        return {m[1]: Figure(float(m[2]), m[3]) for m in FIGURE.finditer(self.detail)}


def parse_checks(log: str) -> list[Check]:
    """Every ``CHECK <name> PASS|FAIL <detail>`` line of a pod log, in order."""
    checks = []
    for line in log.splitlines():
        m = CHECK_LINE.match(line)
        if m:
            checks.append(Check(m[1], m[2] == "PASS", m[3].strip()))
    return checks


class KubeJobs(Protocol):
    """The one boundary to the cluster (the real one wraps the ``kubernetes`` client)."""

    def read_job(self, namespace: str, name: str) -> dict[str, Any] | None: ...
    def create_job(self, namespace: str, body: dict[str, Any]) -> str: ...
    def job_state(self, namespace: str, name: str) -> str:
        """"running", "succeeded" or "failed"."""
        ...
    def job_log(self, namespace: str, name: str) -> str: ...


def job_ref(outputs: dict[str, tuple[Any, bool]]) -> tuple[str, str]:
    """(namespace, name) of the verification Job: output ``verify_job`` ("name" or "namespace/name")."""
    value = outputs.get("verify_job", (None, False))[0]
    if not value:
        return NAMESPACE, DEFAULT_JOB
    text = str(value)
    if "/" in text:
        ns, name = text.split("/", 1)
        return ns, name
    return NAMESPACE, text


# Labels and selector the Job controller adds: a new Job from the template must not carry the old Job's.
_CONTROLLER_LABELS = ("controller-uid", "batch.kubernetes.io/controller-uid", "job-name", "batch.kubernetes.io/job-name")


def run_body(template_job: dict[str, Any], name: str) -> dict[str, Any]:
    """A new, unsuspended Job from the template Job (a dict in the API's camelCase shape)."""
    spec = dict(template_job.get("spec") or {})
    pod = dict(spec.get("template") or {})
    meta = dict(pod.get("metadata") or {})
    meta["labels"] = {k: v for k, v in (meta.get("labels") or {}).items() if k not in _CONTROLLER_LABELS}
    pod["metadata"] = meta
    keep = {k: v for k, v in spec.items() if k not in ("selector", "manualSelector", "suspend", "template")}
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"generateName": f"{name}-run-", "labels": {"app.kubernetes.io/managed-by": "mlstack-verify"}},
        "spec": {**keep, "suspend": False, "ttlSecondsAfterFinished": RUN_TTL_SECONDS, "template": pod},
    }


@dataclass
class VerifyResult:
    job: str
    state: str
    checks: list[Check]
    log: str

    @property
    def ok(self) -> bool:
        return self.state == "succeeded" and bool(self.checks) and all(c.passed for c in self.checks)


def run_verify(kube: KubeJobs, namespace: str, name: str, timeout_s: float,
               sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
               poll_s: float = 2.0) -> VerifyResult:
    """Starts a run of the verification Job, waits for it and parses its log.

    Raises:
        UsageError: the Job does not exist (the platform layer has not been deployed).
        EngineError: the run did not finish within ``timeout_s`` (the log so far is in the message).
    """
    template = kube.read_job(namespace, name)
    if template is None:
        raise UsageError(f"no verification Job {namespace}/{name} in the cluster: run `mlstack up` first "
                         "(the platform layer creates it)")
    run_name = kube.create_job(namespace, run_body(template, name))
    deadline = clock() + timeout_s
    state = kube.job_state(namespace, run_name)
    while state == "running":
        if clock() >= deadline:
            log = kube.job_log(namespace, run_name)
            raise EngineError(f"verification Job {namespace}/{run_name} still running after {timeout_s:g}s "
                              f"(raise --timeout, or inspect it with `kubectl -n {namespace} describe job {run_name}`)"
                              + (f"\nlog so far:\n{log}" if log else ""))
        sleep(poll_s)
        state = kube.job_state(namespace, run_name)
    log = kube.job_log(namespace, run_name)
    return VerifyResult(run_name, state, parse_checks(log), log)
