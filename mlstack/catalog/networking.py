"""The catalogue's per-machine hardware facts: fast networking (interconnect.yaml), one table per cloud, and the
local NVMe disks a machine comes with (local_nvme.yaml).

Each cloud's entry says whether pools of the type can be placed for multi-node jobs (``multi_node``), so the
catalogue's look-ups read that without naming a cloud.
"""

from __future__ import annotations

from pydantic import Field

from mlstack.catalog.base import _Strict


class AwsNetworking(_Strict):
    """An EC2 instance type's EFA: the most EFA interfaces it takes (one per network card)."""

    efa_interfaces: int = Field(ge=1)

    @property
    def multi_node(self) -> bool:
        """Pools of the type can be placed for multi-node jobs: it has EFA."""
        return self.efa_interfaces > 0


class GcpNetworking(_Strict):
    """A Compute Engine machine type's placement and NIC options in GKE."""

    compact_placement: bool
    gvnic: bool

    @property
    def multi_node(self) -> bool:
        """Pools of the type can be placed for multi-node jobs: COMPACT placement."""
        return self.compact_placement


class Interconnect(_Strict):
    """Fast networking per accelerator machine type (interconnect.yaml); a type not listed has none."""

    aws: dict[str, AwsNetworking] = Field(default_factory=dict)
    gcp: dict[str, GcpNetworking] = Field(default_factory=dict)


class LocalNvme(_Strict):
    """The local NVMe disks a machine type comes with (EC2 instance store, Compute Engine Local SSD)."""

    disks: int = Field(ge=1)
    disk_gb: int = Field(ge=1)

    @property
    def total_gb(self) -> int:
        return self.disks * self.disk_gb
