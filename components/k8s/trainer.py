"""Kubeflow Trainer v2 and mlstack's PyTorch runtime: ``TrainJob`` + a ``torch-distributed`` ClusterTrainingRuntime.

A data scientist writes a ``TrainJob`` (image, command, nodes, GPUs per node) that names the runtime; Trainer
turns it into a JobSet with one pod per node and the torchrun environment (``PET_NNODES``,
``PET_NPROC_PER_NODE``, ``PET_NODE_RANK``, ``PET_MASTER_ADDR``/``PORT``); Kueue admits the TrainJob as one
workload, so all its nodes start together or none do.

- The release: the pinned chart with its bundled JobSet subchart off (``jobset.install: false``: mlstack
  installs JobSet itself, the version this chart is built against, so it must be ordered after it) and the
  chart's own runtimes off (``runtimes.defaultEnabled: false``): mlstack renders its runtime below, hardened.
- The runtime ``torch-distributed``: one replicated Job ``node`` whose pod meets Pod Security "restricted"
  (team namespaces enforce it): non-root (uid 65532), no privilege escalation, capabilities dropped, seccomp
  RuntimeDefault, read-only root file system with ``HOME=/tmp`` on an ``emptyDir``, and a memory-backed
  ``/dev/shm`` (NCCL and DataLoader workers share memory through it; the container runtime's default is 64 MiB).
  Where the cluster exposes an RDMA device resource (on-prem InfiniBand/RoCE, ``rdma_resource``), each node
  requests one, so NCCL can use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from . import hardening as h
from . import require_provider
from .operator_release import ChartRef, install_operator
from .team import ENVIRONMENT_CONFIGMAP

TOKEN = "mlstack:k8s:Trainer"
API_VERSION = "trainer.kubeflow.org/v1alpha1"
RUNTIME_NAME = "torch-distributed"
#: The name of the replicated Job (and container) in the runtime; Trainer's torch plugin patches the node.
NODE = "node"
ANCESTOR_LABEL = "trainer.kubeflow.org/trainjob-ancestor-step"
FRAMEWORK_LABEL = "trainer.kubeflow.org/framework"


@dataclass(frozen=True, kw_only=True)
class TrainerArgs:
    """Kubeflow Trainer and the PyTorch runtime.

    Attributes:
        chart_version: the chart's version (catalogue pin, e.g. "2.3.0"). Required.
        image: the controller image ``registry/repository:tag`` (catalogue pin). Required.
        runtime_image: the runtime's default training image (a TrainJob usually sets its own), pinned.
        repository: the chart repository; default ``oci://ghcr.io/kubeflow/charts``.
        namespace: the release's namespace, created here; "kubeflow-system".
        shm_size: size limit of the memory-backed ``/dev/shm`` of a training pod; "16Gi".
        rdma_resource: an extended resource for RDMA NICs the cluster's device plugin exposes (e.g.
            ``rdma/ib``); each training node requests one. Default none.
        cpu_request, memory_request, cpu_limit, memory_limit: the controller's resources; "100m", "256Mi",
            "1", "1Gi" (the chart sets none).
        extra_values: further chart values merged over mlstack's at the top level; none.
        environment_config_map: a ConfigMap every training pod loads as environment variables (``envFrom``,
            optional: a namespace without it still runs); default ``mlstack-environment``, the stamp each team
            namespace holds (``TeamArgs.environment``), so every run started through the runtime carries its
            environment (``MLSTACK_ENV``, ``MLSTACK_LOCK_DIGEST``, ...). None loads nothing.
    """

    chart_version: str
    image: str
    runtime_image: str
    repository: str = "oci://ghcr.io/kubeflow/charts"
    namespace: str = "kubeflow-system"
    shm_size: str = "16Gi"
    rdma_resource: str | None = None
    cpu_request: str = "100m"
    memory_request: str = "256Mi"
    cpu_limit: str = "1"
    memory_limit: str = "1Gi"
    extra_values: Mapping[str, Any] = field(default_factory=dict)
    environment_config_map: str | None = ENVIRONMENT_CONFIGMAP


def trainer_values(args: TrainerArgs) -> dict[str, Any]:
    """The chart values: JobSet subchart and bundled runtimes off, pinned image, resources, hardened manager."""
    repository, tag = h.pinned_image(args.image, "trainer image")
    registry, _, path = repository.partition("/")
    values: dict[str, Any] = {
        "jobset": {"install": False},
        "runtimes": {"defaultEnabled": False},
        "image": {"registry": registry, "repository": path, "tag": tag, "pullPolicy": "IfNotPresent"},
        "manager": {
            "resources": {
                "requests": {"cpu": args.cpu_request, "memory": args.memory_request},
                "limits": {"cpu": args.cpu_limit, "memory": args.memory_limit},
            },
            "securityContext": {
                "allowPrivilegeEscalation": False,
                "readOnlyRootFilesystem": True,
                "runAsNonRoot": True,
                "capabilities": {"drop": ["ALL"]},
                "seccompProfile": {"type": "RuntimeDefault"},
            },
        },
    }
    values.update(args.extra_values)
    return values


def runtime_pod_spec(args: TrainerArgs) -> dict[str, Any]:
    """The runtime's pod spec (a manifest map): hardened for Pod Security "restricted"."""
    h.pinned_image(args.runtime_image, "runtime image")
    container: dict[str, Any] = {
        "name": NODE,
        "image": args.runtime_image,
        "env": [{"name": "HOME", "value": "/tmp"}],
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "runAsNonRoot": True,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}, {"name": "dshm", "mountPath": "/dev/shm"}],
    }
    if args.environment_config_map:
        container["envFrom"] = [{"configMapRef": {"name": args.environment_config_map, "optional": True}}]
    if args.rdma_resource:
        container["resources"] = {"requests": {args.rdma_resource: "1"}, "limits": {args.rdma_resource: "1"}}
    return {
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": h.NONROOT_UID,
            "runAsGroup": h.NONROOT_UID,
            "fsGroup": h.NONROOT_UID,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [container],
        "volumes": [
            {"name": "tmp", "emptyDir": {"sizeLimit": "10Gi"}},
            {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": args.shm_size}},
        ],
    }


def runtime_spec(args: TrainerArgs) -> dict[str, Any]:
    """The ``torch-distributed`` ClusterTrainingRuntime's ``spec``: torch policy, one node Job per node."""
    return {
        "mlPolicy": {"numNodes": 1, "torch": {}},
        "template": {
            "spec": {
                "replicatedJobs": [
                    {
                        "name": NODE,
                        "replicas": 1,
                        "template": {
                            "metadata": {"labels": {ANCESTOR_LABEL: "trainer"}},
                            "spec": {"template": {"spec": runtime_pod_spec(args)}},
                        },
                    }
                ]
            }
        },
    }


class Trainer(pulumi.ComponentResource):
    """Kubeflow Trainer's Helm release and the ``torch-distributed`` ClusterTrainingRuntime.

    Order it after the JobSet release (``depends_on``): the chart's JobSet subchart is off.

    Attributes:
        namespace: the release's namespace. release: the Helm release. runtime_name: "torch-distributed".
        chart_version: the pinned chart version.
    """

    def __init__(self, name: str, args: TrainerArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        require_provider(self, name)
        ns, release = install_operator(
            self,
            name,
            chart=ChartRef(chart="kubeflow-trainer", repository=args.repository, version=args.chart_version),
            namespace=args.namespace,
            component="training-operator",
            values=trainer_values(args),
        )
        k8s.apiextensions.CustomResource(
            f"{name}-torch-runtime",
            api_version=API_VERSION,
            kind="ClusterTrainingRuntime",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=RUNTIME_NAME, labels={**h.MLSTACK_LABELS("kubeflow-trainer", "training-runtime"), FRAMEWORK_LABEL: "torch"}
            ),
            spec=runtime_spec(args),
            # The CRD and the validating webhook come with the release.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[release]),
        )
        self.namespace: pulumi.Output[str] = ns.metadata.name
        self.release = release
        self.runtime_name = RUNTIME_NAME
        self.chart_version = args.chart_version
        self.register_outputs({"namespace": self.namespace, "release_name": release.name, "runtime_name": RUNTIME_NAME})
