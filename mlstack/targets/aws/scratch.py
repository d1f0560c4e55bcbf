"""The AWS scratch tier: ``storage.scratch`` -> FSx for Lustre (in the environment), its pinned CSI driver, and
the volume source the platform layer's ``scratch`` PersistentVolumes mount."""

from __future__ import annotations

from typing import Any

import pulumi

from mlstack.catalog import Catalog
from mlstack.components.aws.environment import AwsEnvironment
from mlstack.components.aws.lustre_csi_driver import DRIVER, SIDECARS, LustreCsiDriver, LustreCsiDriverArgs
from mlstack.components.aws.scratch_file_system import ScratchFileSystemArgs
from mlstack.spec import Spec
from mlstack.spec import scratch as scratch_

#: Lustre's mount option for POSIX locks across clients (training frameworks lock checkpoint files).
MOUNT_OPTIONS = ("flock",)

#: The catalogue's image pin of each of the FSx CSI chart's sidecars (versions.images).
FSX_SIDECAR_PINS = {
    "livenessProbe": "fsx-csi-livenessprobe",
    "nodeDriverRegistrar": "fsx-csi-node-driver-registrar",
    "provisioner": "fsx-csi-provisioner",
    "resizer": "fsx-csi-resizer",
}


def file_system_args(spec: Spec, catalog: Catalog) -> ScratchFileSystemArgs | None:
    """The FSx for Lustre file system, or None without ``storage.scratch``; its bucket is linked by the environment."""
    size = scratch_.size_gib(spec)
    throughput = scratch_.throughput(spec, catalog)
    if size is None or throughput is None:
        return None
    return ScratchFileSystemArgs(storage_capacity_gib=size, throughput_mb_s_per_tib=throughput)


def csi_driver(spec: Spec, catalog: Catalog, env: AwsEnvironment, provider: pulumi.ProviderResource) -> list[pulumi.Resource]:
    """The FSx CSI driver (pinned chart) when the environment has a scratch file system."""
    if env.scratch is None:
        return []
    chart, images = catalog.versions.charts["aws-fsx-csi-driver"], catalog.versions.images
    return [
        LustreCsiDriver(
            f"{spec.prefix}-fsx-csi",
            LustreCsiDriverArgs(
                chart_version=chart.version, chart_repository=chart.repo, image=images["aws-fsx-csi-driver"].ref,
                **{field: images[FSX_SIDECAR_PINS[name]].ref for name, field in SIDECARS.items()},
            ),
            opts=pulumi.ResourceOptions(providers=[provider]),
        )
    ]


def volume_source(env: AwsEnvironment) -> dict[str, Any] | None:
    """What each team's ``scratch`` PersistentVolume mounts: the file system through the FSx CSI driver."""
    if env.scratch is None:
        return None
    return {
        "csi_driver": DRIVER,
        "volume_handle": env.scratch.file_system_id,
        "volume_attributes": {"dnsname": env.scratch.dns_name, "mountname": env.scratch.mount_name},
        "mount_options": MOUNT_OPTIONS,
    }
