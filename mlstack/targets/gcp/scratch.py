"""The GCP scratch tier: ``storage.scratch`` -> a Managed Lustre instance (in the environment, with GKE's Lustre
CSI driver add-on on) and the volume source the platform layer's ``scratch`` PersistentVolumes mount."""

from __future__ import annotations

from typing import Any

from mlstack.catalog import Catalog
from mlstack.components.gcp.environment import GcpEnvironment
from mlstack.components.gcp.scratch_file_system import DRIVER, ScratchFileSystemArgs
from mlstack.spec import Spec
from mlstack.spec import scratch as scratch_


def file_system_args(spec: Spec, catalog: Catalog) -> ScratchFileSystemArgs | None:
    """The Managed Lustre instance, or None without ``storage.scratch``."""
    size = scratch_.size_gib(spec)
    throughput = scratch_.throughput(spec, catalog)
    zone = scratch_.zone(spec)
    if size is None or throughput is None or zone is None:
        return None
    return ScratchFileSystemArgs(
        project_id=str(spec.target.project_id), zone=zone, capacity_gib=size, throughput_mb_s_per_tib=throughput
    )


def volume_source(env: GcpEnvironment) -> dict[str, Any] | None:
    """What each team's ``scratch`` PersistentVolume mounts: the instance through GKE's Lustre CSI driver."""
    fs = env.scratch
    if fs is None:
        return None
    return {
        "csi_driver": DRIVER,
        "volume_handle": fs.volume_handle,
        "volume_attributes": {"ip": fs.ip_address, "filesystem": fs.filesystem},
    }
