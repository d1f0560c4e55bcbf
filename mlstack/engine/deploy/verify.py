"""``mlstack verify``: run the platform layer's verification Jobs and report each check.

The platform layer creates the Jobs suspended (templates in namespace ``mlstack-system``): the main Job (stack
output ``verify_job``, default ``mlstack-verify``) and one per GPU pool (output ``verify_gpu_jobs``, pool ->
name; a stack deployed before it had none). ``verify`` never edits them (Pulumi owns them: an edit would show
as drift on the next ``up``): it creates a run from each one's pod template (``generateName: <job>-run-``, not
suspended, deleted by the cluster a day after it finishes), all at once, waits for every run under one
deadline, and parses each pod log.

The log contract, one line per check, anything else ignored::

    CHECK <name> PASS|FAIL <detail...>

``<name>`` has no spaces; a GPU pool's Job names its checks ``<check>[<pool>]`` (``gpu[a100]``,
:attr:`Check.pool`). ``<detail>`` is free text (may be empty) and may carry figures as
``<figure>=<number><unit>`` tokens (``busbw=84.34GB/s``: the NCCL check's bus bandwidth), which
:attr:`Check.figures` reads. A run fails when any check FAILs, when its Job fails, or when its log holds no
CHECK line at all; verification passes only when every run passes.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from mlstack.errors import EngineError, UsageError

from mlstack.components.contract import SYSTEM_NAMESPACE as NAMESPACE
DEFAULT_JOB = "mlstack-verify"
POOL_NAME = re.compile(r"^(?P<check>[^\[\]]+)\[(?P<pool>[^\[\]]+)\]$")
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
    def pool(self) -> str | None:
        """The GPU pool a pool Job's check ran on (``gpu[a100]`` -> ``a100``); None for the main Job's."""
        m = POOL_NAME.match(self.name)
        return m["pool"] if m else None

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


def job_refs(outputs: dict[str, tuple[Any, bool]]) -> tuple[str, list[str]]:
    """(namespace, Job names) of the whole verification: the main Job, then each GPU pool's (output
    ``verify_gpu_jobs``, pool -> name, in the main Job's namespace), by pool name."""
    namespace, main = job_ref(outputs)
    pools = outputs.get("verify_gpu_jobs", (None, False))[0] or {}
    return namespace, [main, *(str(pools[p]) for p in sorted(pools))]


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
class JobRun:
    """One finished run: the template Job it copies, the run's name, its final state, checks and pod log."""

    template: str
    job: str
    state: str
    checks: list[Check]
    log: str

    @property
    def ok(self) -> bool:
        return self.state == "succeeded" and bool(self.checks) and all(c.passed for c in self.checks)

    @property
    def why(self) -> str:
        """Why the run failed ("" when it passed)."""
        failed = sum(1 for c in self.checks if not c.passed)
        if self.ok:
            return ""
        return (f"{failed} of {len(self.checks)} checks failed" if failed else
                "the Job printed no CHECK lines" if not self.checks else f"the Job {self.state}")


@dataclass
class VerifyResult:
    """Every run of one verification, the main Job's first."""

    runs: list[JobRun]

    @property
    def checks(self) -> list[Check]:
        return [c for r in self.runs for c in r.checks]

    @property
    def ok(self) -> bool:
        return bool(self.runs) and all(r.ok for r in self.runs)

    @property
    def why(self) -> str:
        """Why the verification failed, over every run ("" when it passed)."""
        failed = sum(1 for c in self.checks if not c.passed)
        if failed:
            return f"{failed} of {len(self.checks)} checks failed"
        return "; ".join(f"{r.job}: {r.why}" for r in self.runs if not r.ok)


def run_verify(kube: KubeJobs, namespace: str, names: Sequence[str], timeout_s: float,
               sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
               poll_s: float = 2.0) -> VerifyResult:
    """Starts a run of each verification Job (all before waiting, so GPU nodes of every pool scale up at once),
    waits for every run under one deadline and parses each log.

    Raises:
        UsageError: a Job does not exist (the platform layer has not been deployed); nothing was started.
        EngineError: a run did not finish within ``timeout_s`` (the name and log so far of each is in the message).
    """
    templates = {}
    for name in names:
        template = kube.read_job(namespace, name)
        if template is None:
            raise UsageError(f"no verification Job {namespace}/{name} in the cluster: run `mlstack up` first "
                             "(the platform layer creates it)")
        templates[name] = template
    runs = {name: kube.create_job(namespace, run_body(template, name)) for name, template in templates.items()}
    deadline = clock() + timeout_s
    states = {name: kube.job_state(namespace, run) for name, run in runs.items()}
    while any(state == "running" for state in states.values()):
        if clock() >= deadline:
            waiting = [runs[name] for name, state in states.items() if state == "running"]
            logs = "".join(f"\nlog so far of {run}:\n{log}" for run in waiting if (log := kube.job_log(namespace, run)))
            raise EngineError(f"verification Job {', '.join(f'{namespace}/{run}' for run in waiting)} still running after "
                              f"{timeout_s:g}s (raise --timeout, or inspect it with `kubectl -n {namespace} describe job "
                              f"{waiting[0]}`)" + logs)
        sleep(poll_s)
        states.update({name: kube.job_state(namespace, runs[name]) for name, state in states.items() if state == "running"})
    done = []
    for name, run in runs.items():
        log = kube.job_log(namespace, run)
        done.append(JobRun(name, run, states[name], parse_checks(log), log))
    return VerifyResult(done)
