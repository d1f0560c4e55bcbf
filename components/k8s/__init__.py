"""The Kubernetes platform layer every mlstack cluster gets (aws, gcp, onprem).

Components here create only Kubernetes objects (and Helm releases), identical on every target except the
fields a target binds, which arrive as explicit Args (storage provisioner and parameters, artifacts URI,
identity annotations, image registry host).

Providers: every Kubernetes resource goes through an explicit ``pulumi_kubernetes.Provider`` built by the
caller from the cluster's kubeconfig (aws, gcp) or from ``target.kube_context`` (onprem). Pass it to the
component as ``pulumi.ResourceOptions(providers=[provider])`` or ``provider=provider``; children inherit it
through ``parent=self``. A component built without one raises (:func:`require_provider`) rather than fall
back to the ambient default provider, which would deploy to whatever cluster the local kubeconfig selects.

Pod specs are hardened through :mod:`mlstack.components.k8s.hardening`. The in-cluster services that stand in
for a cloud's managed ones on premises (Postgres, the S3 object store, registry, NFS) live in :mod:`mlstack.components.onprem`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pulumi

from .._lazy import exports


class MissingProviderError(ValueError):
    """A Kubernetes component was built without an explicit Kubernetes provider."""


def require_provider(component: pulumi.Resource, name: str) -> None:
    """Raises when ``component`` has no explicit Kubernetes provider (from its options or its parent).

    Args:
        component: the component, after ``super().__init__``.
        name: its logical name, for the message.

    Raises:
        MissingProviderError: no provider for the ``kubernetes`` package.
    """
    if component.get_provider("kubernetes::") is None:
        raise MissingProviderError(
            f"{type(component).__name__} {name!r} has no Kubernetes provider: pass "
            "pulumi.ResourceOptions(providers=[k8s_provider]) so that it never uses the ambient kubeconfig"
        )


# Public names, imported when first used (PEP 562): a program that uses one component does not import every
# module's SDK classes. The TYPE_CHECKING imports give editors and pyright the same names with their types;
# tests/test_public_api.py checks that both lists agree and that every component and its Args are exported.
_EXPORTS = {
    "BucketMounts": "bucket_mounts",
    "BucketMountsArgs": "bucket_mounts",
    "BucketVolumeArgs": "bucket_mounts",
    "CiAccess": "ci_access",
    "CiAccessArgs": "ci_access",
    "EfaSupport": "efa_support",
    "EfaSupportArgs": "efa_support",
    "GpuPoolCheckArgs": "gpu_check",
    "GpuSupport": "gpu_support",
    "GpuSupportArgs": "gpu_support",
    "GpuDashboard": "gpu_dashboard",
    "GpuDashboardArgs": "gpu_dashboard",
    "GpuTelemetry": "gpu_telemetry",
    "GpuTelemetryArgs": "gpu_telemetry",
    "JobSet": "jobset",
    "JobSetArgs": "jobset",
    "KubeRay": "kuberay",
    "KubeRayArgs": "kuberay",
    "Kueue": "kueue",
    "KueueArgs": "kueue",
    "NeuronSupport": "neuron_support",
    "NeuronSupportArgs": "neuron_support",
    "Platform": "platform",
    "PlatformArgs": "platform",
    "ScratchStorage": "scratch_storage",
    "ScratchStorageArgs": "scratch_storage",
    "SharedStorage": "shared_storage",
    "SharedStorageArgs": "shared_storage",
    "Team": "team",
    "TeamArgs": "team",
    "TrackingServer": "tracking_server",
    "TrackingServerArgs": "tracking_server",
    "Trainer": "trainer",
    "TrainerArgs": "trainer",
    "VerifyJob": "verify_job",
    "VerifyJobArgs": "verify_job",
    "WorkloadQueues": "workload_queues",
    "WorkloadQueuesArgs": "workload_queues",
    "Workloads": "workloads",
    "WorkloadsArgs": "workloads",
}
__all__ = [
    "BucketMounts",
    "BucketMountsArgs",
    "BucketVolumeArgs",
    "CiAccess",
    "CiAccessArgs",
    "EfaSupport",
    "EfaSupportArgs",
    "GpuPoolCheckArgs",
    "GpuSupport",
    "GpuSupportArgs",
    "GpuDashboard",
    "GpuDashboardArgs",
    "GpuTelemetry",
    "GpuTelemetryArgs",
    "JobSet",
    "JobSetArgs",
    "KubeRay",
    "KubeRayArgs",
    "Kueue",
    "KueueArgs",
    "MissingProviderError",
    "NeuronSupport",
    "NeuronSupportArgs",
    "Platform",
    "PlatformArgs",
    "ScratchStorage",
    "ScratchStorageArgs",
    "SharedStorage",
    "SharedStorageArgs",
    "Team",
    "TeamArgs",
    "TrackingServer",
    "TrackingServerArgs",
    "Trainer",
    "TrainerArgs",
    "VerifyJob",
    "VerifyJobArgs",
    "WorkloadQueues",
    "WorkloadQueuesArgs",
    "Workloads",
    "WorkloadsArgs",
    "require_provider",
]

if TYPE_CHECKING:
    from .bucket_mounts import BucketMounts, BucketMountsArgs, BucketVolumeArgs
    from .ci_access import CiAccess, CiAccessArgs
    from .efa_support import EfaSupport, EfaSupportArgs
    from .gpu_check import GpuPoolCheckArgs
    from .gpu_support import GpuSupport, GpuSupportArgs
    from .gpu_dashboard import GpuDashboard, GpuDashboardArgs
    from .gpu_telemetry import GpuTelemetry, GpuTelemetryArgs
    from .jobset import JobSet, JobSetArgs
    from .kuberay import KubeRay, KubeRayArgs
    from .kueue import Kueue, KueueArgs
    from .neuron_support import NeuronSupport, NeuronSupportArgs
    from .platform import Platform, PlatformArgs
    from .scratch_storage import ScratchStorage, ScratchStorageArgs
    from .shared_storage import SharedStorage, SharedStorageArgs
    from .team import Team, TeamArgs
    from .tracking_server import TrackingServer, TrackingServerArgs
    from .trainer import Trainer, TrainerArgs
    from .verify_job import VerifyJob, VerifyJobArgs
    from .workload_queues import WorkloadQueues, WorkloadQueuesArgs
    from .workloads import Workloads, WorkloadsArgs


__getattr__ = exports(__name__, _EXPORTS)
