"""The spec's node-provisioning models a pool refers to: its capacity types and the reservation it consumes
(re-exported by ``models``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mlstack.spec.model_base import Model

CapacityType = Literal["reserved", "spot", "on-demand", "flex-start"]


class Reservation(Model):
    """Capacity set aside for a pool, consumed by its ``reserved`` capacity type: an EC2 On-Demand Capacity
    Reservation or Capacity Block for ML (aws), a Compute Engine reservation (gcp)."""

    id: str = Field(min_length=1, max_length=128, description="aws: the reservation id (cr-...); gcp: the reservation name (consumed with Specific affinity).", examples=["cr-0123456789abcdef0"])
    capacity_block: bool = Field(
        False, description="aws: the id is an EC2 Capacity Block for ML (prepaid, fixed end) rather than an open capacity reservation.", examples=[True]
    )
    project: str | None = Field(None, pattern=r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$", description="gcp: the project that owns a shared reservation (shared with the target project); default the target project.", examples=["acme-shared-1234"])
