"""The verification Job's NCCL check: a 2-node all-reduce (nccl-tests ``all_reduce_perf``) through a team's queue.

``CHECK nccl-allreduce`` measures the fabric a multi-node job gets: where a GPU pool can run two or more
multi-node nodes, the verification pod submits a ``TrainJob`` (label ``kueue.x-k8s.io/queue-name``: Kueue queues
and gang-admits it) on mlstack's ClusterTrainingRuntime ``mlstack-nccl-<pool>``, waits for it, reads the launcher's
log and reports the bus bandwidth nccl-tests measured (``busbw``, GB/s, at the largest message size) as a figure.

How it runs, and why so:
- nccl-tests spans nodes only under MPI (its README: "NCCL tests rely on MPI to work on multiple processes").
  Kubeflow Trainer's MPI policy does the cluster side: it generates a per-job SSH key Secret, writes the OpenMPI
  hostfile from the node pods' names and mounts both (``/etc/mpi/hostfile``; the keys at ``sshAuthMountPath``)
  into containers named ``node``, in the ``launcher`` and ``node`` pods alike.
- Team namespaces enforce Pod Security "restricted": everything runs as uid 65532. The node pods run ``sshd``
  as that user on port 2222 with a host key made at start in ``/tmp``; ``ssh`` and ``sshd`` need the user in
  ``/etc/passwd``, which the image does not have, so the ConfigMap ``mlstack-nccl`` (in the team namespace) is
  mounted over ``/etc/passwd`` and ``/etc/group`` and carries the ssh client and server configuration.
- The node pods ask for the pool's whole node: every GPU, the fabric devices (EFA interfaces on AWS) and CPU and
  memory in proportion, on the pool's nodes (its flavor's labels), like ``torch-distributed-<pool>``.
- The launcher waits for the node pods to be ready (JobSet ``dependsOn``) and runs ``mpirun`` over them.

Image assumptions (the catalogue's ``nccl-tests`` pin): nccl-tests built with MPI (``all_reduce_perf_mpi`` on
PATH), OpenMPI's ``mpirun``, and OpenSSH's ``ssh``, ``sshd`` and ``ssh-keygen``; on AWS the EFA libfabric
provider and NCCL's OFI plugin, else NCCL falls back to TCP sockets and the figure says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import hardening as h
from .gang_check import QUEUE_LABEL
from .trainer import ANCESTOR_LABEL, API_VERSION, NODE, PoolRuntimeArgs

RUNTIME_PREFIX = "mlstack-nccl"
CONFIGMAP = "mlstack-nccl"
NODES = 2
SSH_PORT = 2222
SSH_AUTH_DIR = "/etc/mlstack/ssh"  # Trainer mounts id_rsa, id_rsa.pub and authorized_keys here
CONFIG_DIR = "/etc/mlstack/nccl"
LAUNCHER = "launcher"
USER = "mlstack"


@dataclass(frozen=True, kw_only=True)
class NcclCheckArgs:
    """The NCCL check of one GPU pool.

    Attributes:
        pool: the pool's name (the runtime is ``mlstack-nccl-<pool>``).
        namespace: the team namespace whose LocalQueue can hold two whole nodes of the pool (its nominal quota
            plus borrowing limit); the check runs there.
        node: the pool's node: its labels, devices and fabric (as for ``torch-distributed-<pool>``).
        image: the pinned nccl-tests image (catalogue ``nccl-tests``).
        binary: the MPI build of the all-reduce test in that image; "all_reduce_perf_mpi".
        max_bytes: the largest message all_reduce_perf sends (``-e``); "4G" (bus bandwidth levels off well below).
    """

    pool: str
    namespace: str
    node: PoolRuntimeArgs
    image: str
    binary: str = "all_reduce_perf_mpi"
    max_bytes: str = "4G"

    @property
    def runtime_name(self) -> str:
        return f"{RUNTIME_PREFIX}-{self.pool}"

    @property
    def ranks(self) -> int:
        return NODES * self.node.devices_per_node


def config_data() -> dict[str, str]:
    """The ConfigMap ``mlstack-nccl``: the non-root user's passwd/group lines and the ssh configuration."""
    uid = h.NONROOT_UID
    return {
        "passwd": f"root:x:0:0:root:/root:/bin/sh\n{USER}:x:{uid}:{uid}:{USER}:/tmp:/bin/sh\n",
        "group": f"root:x:0:\n{USER}:x:{uid}:\n",
        "ssh_config": (
            f"Host *\n  Port {SSH_PORT}\n  IdentityFile {SSH_AUTH_DIR}/id_rsa\n  StrictHostKeyChecking no\n"
            "  UserKnownHostsFile /dev/null\n  ConnectionAttempts 10\n  LogLevel ERROR\n"
        ),
        "sshd_config": (
            f"Port {SSH_PORT}\nHostKey /tmp/ssh_host_ed25519_key\nPidFile none\n"
            f"AuthorizedKeysFile {SSH_AUTH_DIR}/authorized_keys\n"
            # The key files are Trainer's Secret volume (root-owned, group-readable): StrictModes would refuse them.
            "StrictModes no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
        ),
    }


def _pod(args: NcclCheckArgs, command: str, resources: dict[str, str], node_selector: dict[str, str] | None) -> dict[str, Any]:
    mounts = [
        {"name": "tmp", "mountPath": "/tmp"},
        {"name": "nccl", "mountPath": "/etc/passwd", "subPath": "passwd", "readOnly": True},
        {"name": "nccl", "mountPath": "/etc/group", "subPath": "group", "readOnly": True},
        {"name": "nccl", "mountPath": CONFIG_DIR, "readOnly": True},
    ]
    volumes: list[dict[str, Any]] = [
        {"name": "tmp", "emptyDir": {"sizeLimit": "1Gi"}},
        {"name": "nccl", "configMap": {"name": CONFIGMAP, "defaultMode": 0o444}},
    ]
    if node_selector is not None:
        mounts.append({"name": "dshm", "mountPath": "/dev/shm"})
        volumes.append({"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "16Gi"}})
    pod: dict[str, Any] = {
        "restartPolicy": "Never",
        "automountServiceAccountToken": False,
        "securityContext": h.restricted_pod(uid=h.NONROOT_UID, fs_group=h.NONROOT_UID),
        "containers": [
            {
                # Trainer mounts the SSH keys (and, in the launcher, the hostfile) into containers named "node".
                "name": NODE,
                "image": args.image,
                "command": ["/bin/sh", "-c", command],
                "env": [{"name": "HOME", "value": "/tmp"}, {"name": "NCCL_DEBUG", "value": "WARN"}],
                "resources": {"requests": dict(resources), "limits": dict(resources)},
                "securityContext": h.restricted_container(),
                "volumeMounts": mounts,
            }
        ],
        "volumes": volumes,
    }
    if node_selector is not None:
        pod["nodeSelector"] = node_selector
    return pod


def runtime_spec(args: NcclCheckArgs) -> dict[str, Any]:
    """The ``mlstack-nccl-<pool>`` ClusterTrainingRuntime's spec: MPI policy, a launcher and ``NODES`` node pods."""
    sshd = f"ssh-keygen -q -t ed25519 -N '' -f /tmp/ssh_host_ed25519_key && exec /usr/sbin/sshd -D -e -f {CONFIG_DIR}/sshd_config"
    # mpirun by its absolute path: OpenMPI then sets the same prefix (PATH, LD_LIBRARY_PATH) for the orted it
    # starts over ssh, whose non-interactive shell has only sshd's default PATH.
    mpirun = (
        f'exec "$(command -v mpirun)" --hostfile /etc/mpi/hostfile -np {args.ranks} --bind-to none'
        f" --mca plm_rsh_args '-F {CONFIG_DIR}/ssh_config' -x NCCL_DEBUG -x PATH -x LD_LIBRARY_PATH"
        f" {args.binary} -b 8 -e {args.max_bytes} -f 2 -g 1 -c 1 -n 20"
    )
    labels = {ANCESTOR_LABEL: "trainer"}
    return {
        "mlPolicy": {
            "numNodes": NODES,
            "mpi": {
                "numProcPerNode": args.node.devices_per_node,
                "mpiImplementation": "OpenMPI",
                "sshAuthMountPath": SSH_AUTH_DIR,
                "runLauncherAsNode": False,
            },
        },
        "template": {
            "spec": {
                "replicatedJobs": [
                    {
                        "name": LAUNCHER,
                        "replicas": 1,
                        # mpirun starts once every node pod's sshd is up.
                        "dependsOn": [{"name": NODE, "status": "Ready"}],
                        "template": {
                            "spec": {
                                "backoffLimit": 0,
                                "template": {"spec": _pod(args, mpirun, {"cpu": "1", "memory": "1Gi"}, None)},
                            },
                        },
                    },
                    {
                        "name": NODE,
                        "replicas": 1,
                        "template": {
                            "metadata": {"labels": labels},
                            "spec": {"template": {"spec": _pod(args, sshd, args.node.resources(), dict(args.node.node_labels))}},
                        },
                    },
                ],
                "successPolicy": {"operator": "All", "targetReplicatedJobs": [LAUNCHER]},
            }
        },
    }


def nccl_trainjob(args: NcclCheckArgs, queue: str = "default") -> dict[str, Any]:
    """The TrainJob the check submits (without namespace; the script names each run)."""
    return {
        "apiVersion": API_VERSION,
        "kind": "TrainJob",
        "metadata": {"name": "mlstack-nccl", "labels": {**h.MLSTACK_LABELS("mlstack-verify", "nccl-check"), QUEUE_LABEL: queue}},
        "spec": {"runtimeRef": {"name": args.runtime_name}, "trainer": {"numNodes": NODES}},
    }


ROLE = "mlstack-verify-nccl"


def nccl_role_rules() -> list[dict[str, Any]]:
    """What the check may do in its team namespace: its TrainJobs, and read the launcher pod's log."""
    return [
        {"apiGroups": ["trainer.kubeflow.org"], "resources": ["trainjobs"], "verbs": ["create", "get", "delete"]},
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["list"]},
        {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
    ]
