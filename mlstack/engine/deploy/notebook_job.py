"""A notebook of ``ci.notebooks`` with ``runner: kubernetes``: the Job that runs it in the team's namespace, and
the executed notebook read back from the Job's log.

The Job runs ``mlstack notebook execute`` (:mod:`notebook_run`, the same code as on the CI runner) in the
spec's image, on the pool the spec names (its nodeSelector and taint toleration: the pool's Kueue flavor),
queued in the team's LocalQueue (created suspended; Kueue admits it), with the team's MLflow user from the
Secret ``mlflow-<team>`` the platform layer writes there (CI itself never reads it: its Role has no Secrets).
The notebook travels in the Job as an environment variable (gzip + base64), and the executed notebook comes
back at the end of the pod's log between two marker lines, so the pipeline keeps it as a build artifact with
nothing but the Job and pod-log rights CI already has.
"""

from __future__ import annotations

import base64
import gzip
import json
import time
from collections.abc import Callable
from typing import Any

from mlstack.components.contract import POOL_LABEL
from mlstack.engine.deploy.verify import RUN_TTL_SECONDS, KubeJobs
from mlstack.errors import EngineError, UsageError

SOURCE_ENV = "MLSTACK_NOTEBOOK_SOURCE"
BEGIN, END = "MLSTACK-NOTEBOOK-BEGIN", "MLSTACK-NOTEBOOK-END"
#: The notebook rides in the Job object, which the API server stores whole: keep it well under etcd's 1.5 MiB.
MAX_SOURCE_BYTES = 512 * 1024
QUEUE_LABEL = "kueue.x-k8s.io/queue-name"
NOTEBOOK_LABEL = "mlstack.io/notebook"
STAMP_CONFIGMAP = "mlstack-environment"
WORKDIR = "/work"


def encode(data: bytes) -> str:
    return base64.b64encode(gzip.compress(data, mtime=0)).decode("ascii")


def emitted(data: bytes, width: int = 76) -> str:
    """The executed notebook as the Job prints it at the end of its log."""
    text = encode(data)
    return "\n".join([BEGIN, *(text[i:i + width] for i in range(0, len(text), width)), END]) + "\n"


def read_back(log: str) -> bytes | None:
    """The executed notebook from a Job's log (the last marked block), or None when the log has none."""
    lines = log.splitlines()
    try:
        start = len(lines) - 1 - lines[::-1].index(BEGIN)
        stop = lines.index(END, start)
    except ValueError:
        return None
    return gzip.decompress(base64.b64decode("".join(line.strip() for line in lines[start + 1:stop])))


def without_notebook(log: str) -> str:
    """The log as people read it: the encoded notebook block left out."""
    out, inside = [], False
    for line in log.splitlines():
        if line == BEGIN:
            inside = True
        elif line == END:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def job_body(spec, name: str, source: bytes, git_commit: str | None, catalog) -> dict[str, Any]:
    """The Job of notebook ``name`` of ``spec.ci.notebooks`` (a dict in the API's camelCase shape)."""
    from mlstack.engine.plan.workloads import flavors

    nb = spec.ci.notebooks[name]
    if len(source) > MAX_SOURCE_BYTES:
        raise UsageError(f"{nb.path} is {len(source) // 1024} KiB: a notebook runs in a Job only up to "
                         f"{MAX_SOURCE_BYTES // 1024} KiB (clear its outputs, or bake data into the image)")
    team = nb.team
    kueue = spec.workloads.enabled
    experiment = nb.experiment or f"{team}-notebooks"
    command = ["mlstack", "notebook", "execute", f"{WORKDIR}/{name}.ipynb", "--name", name, "--source-env", SOURCE_ENV,
               "--output", f"{WORKDIR}/out/{name}.ipynb", "--experiment", experiment, "--runner", "kubernetes",
               "--parameters", json.dumps(dict(nb.parameters), sort_keys=True), "--spec-path", nb.path, "--emit"]
    secret = f"mlflow-{team}"
    env = [
        {"name": SOURCE_ENV, "value": encode(source)},
        {"name": "HOME", "value": WORKDIR},
        *({"name": var, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}
          for var, key in (("MLFLOW_TRACKING_URI", "tracking-uri"), ("MLFLOW_TRACKING_USERNAME", "username"),
                           ("MLFLOW_TRACKING_PASSWORD", "password"))),
    ]
    if git_commit:
        env.append({"name": "MLSTACK_GIT_COMMIT", "value": git_commit})  # env wins over the stamp's envFrom
    requests: dict[str, str] = {"cpu": str(nb.cpu), "memory": f"{nb.memory_gib}Gi"}
    limits: dict[str, str] = dict(requests)  # the team quota caps limits too; memory: no overcommit
    pod: dict[str, Any] = {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "runAsGroup": 1000, "fsGroup": 1000,
                            "seccompProfile": {"type": "RuntimeDefault"}},
    }
    if nb.pool is not None:
        flavor = flavors(spec, catalog).get(nb.pool)
        pool = spec.node_pools[nb.pool]
        pod["nodeSelector"] = dict(flavor.node_labels) if flavor else dict(pool.selector or {POOL_LABEL: nb.pool})
        if flavor:
            pod["tolerations"] = [dict(t) for t in flavor.tolerations]
            requests[flavor.resource] = limits[flavor.resource] = str(nb.accelerators)
    pod["containers"] = [{
        "name": "notebook", "image": nb.image, "command": command, "workingDir": WORKDIR, "env": env,
        "envFrom": [{"configMapRef": {"name": STAMP_CONFIGMAP, "optional": True}}],
        "resources": {"requests": requests, "limits": limits},
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]}},
        "volumeMounts": [{"name": "work", "mountPath": WORKDIR}, {"name": "tmp", "mountPath": "/tmp"}],
    }]
    pod["volumes"] = [{"name": "work", "emptyDir": {}}, {"name": "tmp", "emptyDir": {}}]
    labels = {"app.kubernetes.io/managed-by": "mlstack-notebook", NOTEBOOK_LABEL: name}
    if kueue:
        labels[QUEUE_LABEL] = nb.queue
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"generateName": f"notebook-{name}-", "namespace": team, "labels": labels},
        "spec": {
            "backoffLimit": 0,  # a failing cell fails the build; a retry would only repeat it
            "activeDeadlineSeconds": nb.timeout_minutes * 60,
            "ttlSecondsAfterFinished": RUN_TTL_SECONDS,
            "suspend": kueue,  # Kueue starts it when the team's queue admits it
            "template": {"metadata": {"labels": {NOTEBOOK_LABEL: name}}, "spec": pod},
        },
    }


def run_job(kube: KubeJobs, body: dict[str, Any], timeout_s: float,
            sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
            poll_s: float = 5.0) -> tuple[str, str, str]:
    """Creates the Job, waits for it (queueing included) and returns (job name, state, log).

    Raises:
        EngineError: the Job has not finished within ``timeout_s`` (the log so far is in the message).
    """
    namespace = body["metadata"]["namespace"]
    job = kube.create_job(namespace, body)
    deadline = clock() + timeout_s
    state = kube.job_state(namespace, job)
    while state == "running":
        if clock() >= deadline:
            log = without_notebook(kube.job_log(namespace, job))
            raise EngineError(f"notebook Job {namespace}/{job} still running after {timeout_s:g}s (queued or slow: "
                              f"`kubectl -n {namespace} describe job {job}`)" + (f"\nlog so far:\n{log}" if log else ""))
        sleep(poll_s)
        state = kube.job_state(namespace, job)
    return job, state, kube.job_log(namespace, job)
