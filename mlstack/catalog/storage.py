"""Catalogue models of storage services: the sizes each accepts (ranges with their own steps), Lustre offerings
by throughput tier, Filestore tiers; and the size helpers spec errors quote (valid, nearest, in words)."""

from __future__ import annotations

from pydantic import Field, model_validator

from mlstack.catalog.base import DATE, Cloud, _Strict


class CapacityRange(_Strict):
    """One range of sizes a storage service accepts: ``min_gib`` to ``max_gib`` in steps of ``step_gib``
    (a size is valid when it lies in the range and is a multiple of the step)."""

    min_gib: int = Field(ge=1)
    max_gib: int = Field(ge=1)
    step_gib: int = Field(ge=1)

    @model_validator(mode="after")
    def _aligned(self) -> CapacityRange:
        if self.min_gib > self.max_gib or self.min_gib % self.step_gib or self.max_gib % self.step_gib:
            raise ValueError(f"range {self.min_gib}-{self.max_gib} GiB is not aligned to its step {self.step_gib}")
        return self

    def contains(self, size_gib: int) -> bool:
        return self.min_gib <= size_gib <= self.max_gib and size_gib % self.step_gib == 0

    def describe(self) -> str:
        if self.min_gib == self.max_gib:
            return f"{self.min_gib} GiB"
        return f"{self.min_gib} to {self.max_gib} GiB in steps of {self.step_gib} GiB"


def valid_size(ranges: list[CapacityRange], size_gib: int) -> bool:
    """Whether ``size_gib`` lies in one of ``ranges``."""
    return any(r.contains(size_gib) for r in ranges)


def nearest_size(ranges: list[CapacityRange], size_gib: int) -> int:
    """The valid size closest to ``size_gib`` (the larger one on a tie: capacity is what was asked for)."""
    candidates: list[int] = []
    for r in ranges:
        below = min(max(size_gib, r.min_gib), r.max_gib) // r.step_gib * r.step_gib
        candidates += [s for s in (below, below + r.step_gib) if r.contains(s)] or [r.min_gib]
    return min(candidates, key=lambda s: (abs(s - size_gib), -s))


def describe_sizes(ranges: list[CapacityRange]) -> str:
    """The ranges in words, for error messages: ``1200 GiB, or 2400 to 100800 GiB in steps of 2400 GiB``."""
    return ", or ".join(r.describe() for r in ranges)


class LustreTier(_Strict):
    """One throughput tier of a Lustre service: the sizes it accepts and its storage price.

    ``price_gib_month`` is USD per GiB-month; None where the catalogue has no verified price (``mlstack cost``
    then lists the file system as unpriced, never guesses).
    """

    ranges: list[CapacityRange] = Field(min_length=1)
    price_gib_month: float | None = Field(default=None, ge=0)


class LustreDeployment(_Strict):
    """A Lustre scratch offering of one cloud: its throughput tiers (key: MB/s per TiB), each with its sizes."""

    cloud: Cloud
    product: str = Field(min_length=1)
    deployment_type: str = Field(min_length=1)
    default_throughput_mb_s_per_tib: int = Field(ge=1)
    tiers: dict[str, LustreTier] = Field(min_length=1)
    checked: str = Field(pattern=DATE)
    source: str = Field(min_length=1)

    @property
    def throughputs_mb_s_per_tib(self) -> list[int]:
        return sorted(int(t) for t in self.tiers)

    def tier(self, throughput_mb_s_per_tib: int) -> LustreTier | None:
        return self.tiers.get(str(throughput_mb_s_per_tib))


class FilestoreTier(_Strict):
    """A Filestore service tier's capacity: overall bounds, and where the tier has them its ranges with their
    own steps (ZONAL: 1-9.75 TiB in 256 GiB steps, 10-100 TiB in 2.5 TiB steps)."""

    min_capacity_gib: int = Field(ge=1)
    max_capacity_gib: int = Field(ge=1)
    ranges: list[CapacityRange] = Field(default_factory=list)
