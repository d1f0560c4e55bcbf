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
  It asks for no devices: a TrainJob on it sets ``resourcesPerNode``.
- A runtime per accelerator pool, ``torch-distributed-<pool>``: the same pod, pinned to the pool's nodes (its
  ``nodeSelector`` is the pool's Kueue flavor labels, so Kueue assigns that flavor), asking per node for the
  whole node's devices *and* the fabric devices the pool's nodes offer (EFA interfaces on AWS, the RDMA
  resource on-prem), with CPU and memory in proportion to the devices. Why a runtime per pool: Trainer
  *replaces* the node container's ``resources`` with a TrainJob's ``resourcesPerNode`` (it does not merge
  them), so the fabric request must come with the devices, from a runtime whose TrainJobs set no resources;
  and the count of fabric devices is the pool's machine's, so one runtime cannot serve two pools.
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
class PoolRuntimeArgs:
    """The ``torch-distributed-<pool>`` runtime of one accelerator pool.

    Attributes:
        node_labels: labels that select the pool's nodes: its Kueue flavor's ``nodeLabels``.
        accelerator_resource: the pool's device resource (``nvidia.com/gpu``, ``aws.amazon.com/neuron``).
        devices_per_node: how many of them a node has (the runtime asks for all of them).
        fabric: per node, fabric resource -> count (``vpc.amazonaws.com/efa: 4``, ``rdma/ib: 1``); none.
        cpu_per_device, memory_gib_per_device: CPU cores and memory per accelerator device; 3 and 12 (an
            8-GPU node's training pod asks for 24 cores and 96 GiB: within every catalogued 8-GPU machine, and
            two nodes within a default team quota of 64 cores and 256 GiB).

    Every amount is requested and limited alike (Guaranteed: the kubelet may pin CPUs and NUMA-align devices).
    """

    node_labels: Mapping[str, str]
    accelerator_resource: str
    devices_per_node: int
    fabric: Mapping[str, int] = field(default_factory=dict)
    cpu_per_device: int = 3
    memory_gib_per_device: int = 12

    def __post_init__(self) -> None:
        if not self.node_labels:
            raise ValueError("a pool runtime needs the pool's node labels (else Kueue may pick any flavor)")
        counts = {self.accelerator_resource: self.devices_per_node, **self.fabric}
        if any(n < 1 for n in counts.values()) or self.cpu_per_device < 1 or self.memory_gib_per_device < 1:
            raise ValueError(f"a pool runtime needs positive amounts, got {counts}")

    def resources(self) -> dict[str, str]:
        """Per node: CPU, memory, the devices and the fabric, as quantities."""
        n = self.devices_per_node
        amounts = {self.accelerator_resource: n, **self.fabric}
        return {
            "cpu": str(self.cpu_per_device * n),
            "memory": f"{self.memory_gib_per_device * n}Gi",
            **{resource: str(count) for resource, count in sorted(amounts.items())},
        }


def pool_runtime_name(pool: str) -> str:
    """The ClusterTrainingRuntime of ``pool``: ``torch-distributed-<pool>``."""
    return f"{RUNTIME_NAME}-{pool}"


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
        pools: accelerator pool -> its runtime ``torch-distributed-<pool>``; none.
        extra_runtimes: further ClusterTrainingRuntimes, name -> spec, rendered as given (e.g. the verification
            Job's NCCL runtime, :mod:`.nccl_check`); none.
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
    pools: Mapping[str, PoolRuntimeArgs] = field(default_factory=dict)
    extra_runtimes: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
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
            "securityContext": h.restricted_container(),
        },
    }
    values.update(args.extra_values)
    return values


def runtime_pod_spec(args: TrainerArgs, pool: PoolRuntimeArgs | None = None) -> dict[str, Any]:
    """The runtime's pod spec (a manifest map): hardened for Pod Security "restricted"; with ``pool``, on that
    pool's nodes with its devices."""
    h.pinned_image(args.runtime_image, "runtime image")
    container: dict[str, Any] = {
        "name": NODE,
        "image": args.runtime_image,
        "env": [{"name": "HOME", "value": "/tmp"}],
        "securityContext": h.restricted_container(),
        "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}, {"name": "dshm", "mountPath": "/dev/shm"}],
    }
    if args.environment_config_map:
        container["envFrom"] = [{"configMapRef": {"name": args.environment_config_map, "optional": True}}]
    placement: dict[str, Any] = {}
    if pool is not None:
        amounts = pool.resources()
        container["resources"] = {"requests": amounts, "limits": dict(amounts)}
        placement["nodeSelector"] = dict(sorted(pool.node_labels.items()))
    return {
        **placement,
        "securityContext": h.restricted_pod(uid=h.NONROOT_UID, fs_group=h.NONROOT_UID),
        "containers": [container],
        "volumes": [
            {"name": "tmp", "emptyDir": {"sizeLimit": "10Gi"}},
            {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": args.shm_size}},
        ],
    }


def runtime_spec(args: TrainerArgs, pool: PoolRuntimeArgs | None = None) -> dict[str, Any]:
    """A ClusterTrainingRuntime's ``spec``: torch policy (torchrun's ``--nproc-per-node`` left ``auto``: one
    process per GPU it sees), one node Job per node; with ``pool``, that pool's runtime."""
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
                            "spec": {"template": {"spec": runtime_pod_spec(args, pool)}},
                        },
                    }
                ]
            }
        },
    }


class Trainer(pulumi.ComponentResource):
    """Kubeflow Trainer's Helm release, the ``torch-distributed`` ClusterTrainingRuntime and one
    ``torch-distributed-<pool>`` runtime per pool in ``args.pools``.

    Order it after the JobSet release (``depends_on``): the chart's JobSet subchart is off.

    Attributes:
        namespace: the release's namespace. release: the Helm release. runtime_name: "torch-distributed".
        pool_runtime_names: accelerator pool -> its runtime, ``torch-distributed-<pool>``.
        extra_runtime_names: the names of ``args.extra_runtimes``.
        release_name: the Helm release's name. chart_version: the pinned chart version.
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
        runtimes: dict[str, tuple[str, Mapping[str, Any]]] = {f"{name}-torch-runtime": (RUNTIME_NAME, runtime_spec(args))}
        runtimes.update(
            {f"{name}-torch-pool-{pool}": (pool_runtime_name(pool), runtime_spec(args, a)) for pool, a in sorted(args.pools.items())}
        )
        runtimes.update({f"{name}-runtime-{runtime}": (runtime, spec) for runtime, spec in sorted(args.extra_runtimes.items())})
        for child, (runtime, spec) in runtimes.items():
            framework = "mpi" if "mpi" in spec.get("mlPolicy", {}) else "torch"
            k8s.apiextensions.CustomResource(
                child,
                api_version=API_VERSION,
                kind="ClusterTrainingRuntime",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=runtime, labels={**h.MLSTACK_LABELS("kubeflow-trainer", "training-runtime"), FRAMEWORK_LABEL: framework}
                ),
                spec=dict(spec),
                # The CRD and the validating webhook come with the release.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[release]),
            )
        self.namespace: pulumi.Output[str] = ns.metadata.name
        self.release = release
        self.release_name: pulumi.Output[str | None] = release.name
        self.runtime_name = RUNTIME_NAME
        self.pool_runtime_names: dict[str, str] = {pool: pool_runtime_name(pool) for pool in sorted(args.pools)}
        self.extra_runtime_names: list[str] = sorted(args.extra_runtimes)
        self.chart_version = args.chart_version
        self.register_outputs(
            {
                "namespace": self.namespace,
                "release_name": self.release_name,
                "chart_version": self.chart_version,
                "runtime_name": self.runtime_name,
                "pool_runtime_names": self.pool_runtime_names,
                "extra_runtime_names": self.extra_runtime_names,
            }
        )
