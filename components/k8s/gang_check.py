"""The verification Job's gang check: a 2-pod JobSet submitted through a team's LocalQueue.

``CHECK gang-admission`` proves from inside the cluster that multi-node jobs are queued and gang-admitted:
the verification pod creates the JobSet below in a team namespace (label ``kueue.x-k8s.io/queue-name``),
checks that Kueue's webhook suspended it on creation (it is queued, not started), waits until both pods have
run (Kueue admitted the whole group at once), and deletes it. Its pods are hardened like every mlstack pod
(the team namespace enforces Pod Security "restricted") and ask for little (100m CPU, 128 MiB each), with no
priority class: a verification never preempts a team's work.

The verification pod talks to the API server with a projected service-account token (the pod does not
automount one) of the ``mlstack-verify`` ServiceAccount, which may create, read and delete JobSets in that one
namespace and nothing else.
"""

from __future__ import annotations

from typing import Any

from . import hardening as h

SERVICE_ACCOUNT = "mlstack-verify"
ROLE = "mlstack-verify-gang"
TOKEN_DIR = "/var/run/secrets/mlstack"
JOBSET_API = "jobset.x-k8s.io/v1alpha2"
QUEUE_LABEL = "kueue.x-k8s.io/queue-name"
PODS = 2


def gang_jobset(image: str, queue: str = "default", cpu: str = "100m", memory: str = "128Mi") -> dict[str, Any]:
    """The JobSet manifest (without namespace; the script names each run): ``PODS`` Jobs of one pod each.

    Args:
        image: a pinned image with ``python`` (the verification image).
        queue: the team's LocalQueue; "default".
        cpu: CPU request and limit per pod; "100m". memory: memory request and limit per pod; "128Mi".
    """
    h.pinned_image(image, "gang check image")
    labels = h.MLSTACK_LABELS("mlstack-verify", "gang-check")
    res = {"cpu": cpu, "memory": memory}
    pod = {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "securityContext": h.restricted_pod(uid=h.NONROOT_UID),
        "containers": [
            {
                "name": "member",
                "image": image,
                "command": ["python", "-c", "import socket; print('gang member', socket.gethostname())"],
                "resources": {"requests": dict(res), "limits": dict(res)},
                "securityContext": h.restricted_container(),
            }
        ],
    }
    return {
        "apiVersion": JOBSET_API,
        "kind": "JobSet",
        "metadata": {"name": "mlstack-gang", "labels": {**labels, QUEUE_LABEL: queue}},
        "spec": {
            "replicatedJobs": [
                {
                    "name": "member",
                    "replicas": PODS,
                    "template": {
                        "metadata": {"labels": labels},
                        "spec": {
                            "parallelism": 1,
                            "completions": 1,
                            "backoffLimit": 0,
                            "template": {"metadata": {"labels": labels}, "spec": pod},
                        },
                    },
                }
            ],
            "successPolicy": {"operator": "All"},
            "failurePolicy": {"maxRestarts": 0},
            # Deleted by the check; this is the backstop when the check itself dies.
            "ttlSecondsAfterFinished": 600,
        },
    }


def gang_role_rules() -> list[dict[str, Any]]:
    """The Role's rules in the team namespace: JobSets only, and only what the check does."""
    return [{"apiGroups": ["jobset.x-k8s.io"], "resources": ["jobsets"], "verbs": ["create", "get", "delete"]}]
