"""Typed, strict, frozen models of the catalogue (data in ``data/*.yaml``).

The models check each fact's shape; ``Catalog``'s validator checks the facts against each other (every offer
has a price, every TPU topology's node count multiplies back to its chips, no image is pinned to ``latest``).
No pulumi here: the spec layer imports this on every CLI run.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, computed_field, model_validator

from mlstack.catalog import checks
from mlstack.catalog.checks import _get
from mlstack.catalog.networking import AwsNetworking, GcpNetworking, Interconnect

from mlstack.catalog.base import DATE, Cloud, _Strict
from mlstack.catalog.storage import CapacityRange, FilestoreTier, LustreDeployment, LustreTier  # noqa: F401 - re-exported


class CatalogError(Exception):
    """A catalogue file is malformed, inconsistent, or a look-up asked for something not offered."""


class Source(_Strict):
    """Where a fact was checked: ``retrieved`` is the date it was checked against the page."""

    title: str = Field(min_length=1)
    url: str = Field(pattern=r"^https://")
    retrieved: str = Field(pattern=DATE)


class Origin(_Strict):
    """The file a top-level catalogue key comes from: its ``as_of`` date and its sources (how tabular facts,
    such as machines, offers, prices and TPU zones, are dated: by their file)."""

    file: str = Field(min_length=1)
    as_of: str = Field(pattern=DATE)
    sources: list[Source] = Field(min_length=1)


class MachineOffer(_Strict):
    """A real machine type that carries ``count`` accelerators (GPUs, TPU chips or Trainium chips) per node."""

    machine_type: str = Field(min_length=1)
    count: int = Field(ge=1)
    vcpus: int = Field(ge=1)
    memory_gib: float = Field(gt=0)
    ami_type: str | None = None
    gcp_accelerator_type: str | None = None
    #: gcp: GKE can obtain this machine through DWS flex-start (a ComputeClass ``flexStart`` priority).
    flex_start: bool = False


Kind = Literal["gpu", "tpu", "trainium"]
#: The offer fields a cloud's offers may carry, by the catalogue's ``offer_fields`` schema.
OfferField = Literal["ami_type", "gcp_accelerator_type", "flex_start"]


class OfferFieldRule(_Strict):
    """Which offers of one cloud carry one optional offer field (accelerators.yaml ``offer_fields``).

    Attributes:
        kinds: the accelerator kinds whose offers may carry it; every other offer of the cloud must not.
        required: those offers must carry it.
        values: the values it may take; None: any.
    """

    kinds: list[Kind] = Field(min_length=1)
    required: bool = False
    values: list[str] | None = None


class Accelerator(_Strict):
    """A portable accelerator name and the machines that carry it, per cloud (on-prem nodes already exist)."""

    name: str
    kind: Kind
    vendor: str
    memory_gib: float = Field(gt=0)
    offers: dict[Cloud, list[MachineOffer]]


class TpuTopology(_Strict):
    """One slice shape: ``nodes`` VMs of ``machine_type``, ``chips_per_vm`` chips each."""

    topology: str = Field(pattern=r"^\d+(x\d+){1,2}$")
    chips: int = Field(ge=1)
    machine_type: str
    chips_per_vm: int = Field(ge=1)
    nodes: int = Field(ge=1)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def multi_host(self) -> bool:
        return self.nodes > 1


class TpuGeneration(_Strict):
    """A TPU generation in GKE: the node label value, valid topologies and the zones that offer it."""

    gke_accelerator: str
    topologies: dict[str, TpuTopology]
    regions: dict[str, list[str]]


class Provenance(_Strict):
    """When a fact was last checked, and against what (a URL or a document's name)."""

    checked: str = Field(pattern=DATE)
    source: str = Field(min_length=1)


class Region(Provenance):
    """A region of a cloud: its code is the key; ``name`` is how the cloud names its place."""

    name: str = Field(min_length=1)


class _Dated(_Strict):
    """A pinned fact: ``checked``/``source`` say when and where it was checked (the freshness test requires
    both); ``newest_known`` is the newest release seen on that date (equal to the pin when it is current)."""

    checked: str | None = Field(default=None, pattern=DATE)
    source: str | None = Field(default=None, min_length=1)
    newest_known: str | None = Field(default=None, min_length=1)


class ChartPin(_Dated):
    repo: str = Field(pattern=r"^(https|oci)://")
    chart: str = Field(min_length=1)
    version: str = Field(min_length=1)

    @property
    def ref(self) -> str:
        """The chart as Helm addresses it: ``oci://registry/path/chart`` for OCI, else the chart name."""
        return f"{self.repo.rstrip('/')}/{self.chart}" if self.repo.startswith("oci://") else self.chart


class ImagePin(_Dated):
    repository: str = Field(min_length=1)
    tag: str = Field(min_length=1)
    digest: str | None = Field(default=None, pattern=r"^sha256:[0-9a-f]{64}$")

    @property
    def ref(self) -> str:
        base = f"{self.repository}:{self.tag}"
        return f"{base}@{self.digest}" if self.digest else base


class IamStatement(_Strict):
    """One statement of a controller's IAM policy; ``${partition}`` in a resource is the provider's partition."""

    sid: str = Field(pattern=r"^[A-Za-z0-9]+$")
    actions: list[str] = Field(min_length=1)
    resources: list[str] = Field(min_length=1)
    conditions: dict[str, dict[str, list[str]]] = Field(default_factory=dict)


class IamPolicy(_Dated):
    """A controller's documented IAM policy (iam_policies.yaml), dated and sourced."""

    statements: list[IamStatement] = Field(min_length=1)

    def document(self, partition: str) -> list[dict[str, object]]:
        """The statements as IAM JSON for ``partition``; one-item lists (actions, resources, condition values)
        become the single value, as the project's own document writes them."""
        one = lambda items: items[0] if len(items) == 1 else list(items)  # noqa: E731
        out: list[dict[str, object]] = []
        for s in self.statements:
            stmt: dict[str, object] = {"Sid": s.sid, "Effect": "Allow", "Action": one(s.actions),
                                       "Resource": one([r.replace("${partition}", partition) for r in s.resources])}
            if s.conditions:
                stmt["Condition"] = {op: {k: one(v) for k, v in kv.items()} for op, kv in s.conditions.items()}
            out.append(stmt)
        return out


class Versions(_Strict):
    kubernetes: str = Field(pattern=r"^1\.\d+$")
    mlflow: str = Field(min_length=1)
    charts: dict[str, ChartPin]
    images: dict[str, ImagePin]
    gke_gpu_driver_version: Literal["DEFAULT", "LATEST", "INSTALLATION_DISABLED"]
    rds_postgres_engine_version: str = Field(min_length=1)
    cloudsql_database_version: str = Field(pattern=r"^POSTGRES_\d+$")
    # The Pulumi CLI the generated pipelines install: `up --locked` compares it with the lock's tools.pulumi_cli.
    pulumi_cli: str = Field(pattern=r"^\d+\.\d+\.\d+$")
    # checked/source of each scalar fact above (charts and images carry their own).
    provenance: dict[str, Provenance] = Field(default_factory=dict)


class SupportWindow(_Strict):
    """One Kubernetes minor on one cloud: released, end of standard support, end of (paid) extended support.

    ``estimated``: a date derived from the cloud's stated rule (e.g. 14 months) rather than read from its calendar.
    """

    released: str = Field(pattern=DATE)
    end_of_standard_support: str = Field(pattern=DATE)
    end_of_extended_support: str | None = Field(default=None, pattern=DATE)
    estimated: bool = False
    checked: str = Field(pattern=DATE)
    source: str = Field(min_length=1)


class Freshness(_Strict):
    """How old a catalogue fact may be before it counts as stale (the catalogue's own threshold)."""

    max_age_days: int = Field(ge=1, le=366)
    checked: str = Field(pattern=DATE)
    source: str = Field(min_length=1)


class MachineType(_Strict):
    vcpus: int = Field(ge=1)
    memory_gib: float = Field(gt=0)
    ami_type: str | None = None


class PricePoint(_Strict):
    """USD per node-hour. ``spot_hourly`` is an estimate (spot prices move); ``None`` where not offered."""

    on_demand_hourly: float = Field(gt=0)
    spot_hourly: float | None = Field(default=None, ge=0)


class Prices(_Strict):
    """Dated public list prices.

    ``fixed`` keys per cloud: ``*_hourly`` (USD/hour), ``*_gib`` (USD per GiB processed), ``*_gib_month``
    (USD per GiB-month) and ``database_hourly:<class>`` (USD/hour, single zone).
    """

    as_of: str = Field(pattern=DATE)
    source: str = Field(min_length=1)
    currency: Literal["USD"]
    machines: dict[Cloud, dict[str, dict[str, PricePoint]]]
    fixed: dict[Cloud, dict[str, float]]


class Catalog(_Strict):
    as_of: str = Field(pattern=DATE)
    sources: list[Source] = Field(min_length=1)
    # The schema of each cloud's offers (accelerators.yaml): which optional offer fields they carry.
    offer_fields: dict[Cloud, dict[OfferField, OfferFieldRule]]
    accelerators: dict[str, Accelerator]
    tpus: dict[str, TpuGeneration]
    versions: Versions
    machines: dict[Cloud, dict[str, MachineType]]
    default_system_machine: dict[Cloud, str]
    filestore_tiers: dict[str, FilestoreTier]
    lustre: dict[str, LustreDeployment] = Field(default_factory=dict)
    # Controllers' IAM policies (iam_policies.yaml), by controller.
    iam_policies: dict[str, IamPolicy] = Field(default_factory=dict)
    database_sizes: dict[str, dict[Cloud, str]]
    prices: Prices
    freshness: Freshness
    kubernetes_support: dict[Cloud, dict[str, SupportWindow]]
    # The clouds whose node pools the Cluster Autoscaler scales (support.yaml): one CA image per minor they support.
    cluster_autoscaler: list[Cloud] = Field(default_factory=list)
    interconnect: Interconnect = Field(default_factory=Interconnect)
    # Zones an account can use per region (regions.yaml); a region missing is not checked.
    availability_zones: dict[Cloud, dict[str, int]] = Field(default_factory=dict)
    # The regions each cloud has (regions.yaml), each dated and sourced; a cloud missing here is not checked.
    regions: dict[Cloud, dict[str, Region]] = Field(default_factory=dict)
    # Top-level key -> the file that holds it, with that file's date and sources (filled by parse_catalog).
    origins: dict[str, Origin] = Field(default_factory=dict)

    # -- look-ups -------------------------------------------------------------------------------------------

    def efa_interfaces(self, machine_type: str) -> int:
        """EFA interfaces an EC2 instance type takes; 0 when it has no EFA (or is not in the table)."""
        net = self.interconnect.aws.get(machine_type)
        return net.efa_interfaces if net else 0

    def gcp_networking(self, machine_type: str) -> GcpNetworking:
        """Compact placement and gVNIC support of a GCE machine type; neither when it is not in the table."""
        return self.interconnect.gcp.get(machine_type) or GcpNetworking(compact_placement=False, gvnic=False)

    def multi_node_capable(self, cloud: str, machine_type: str) -> bool:
        """Whether pools of ``machine_type`` can be placed for multi-node jobs: the cloud's interconnect table
        lists it as such (EFA on aws, COMPACT placement on gcp); a cloud without a table: never."""
        net = self._interconnect(cloud).get(machine_type)
        return bool(net is not None and net.multi_node)

    def _interconnect(self, cloud: str) -> dict[str, AwsNetworking] | dict[str, GcpNetworking]:
        return getattr(self.interconnect, cloud) if cloud in Interconnect.model_fields else {}

    def _accelerator(self, name: str) -> Accelerator:
        try:
            return self.accelerators[name]
        except KeyError:
            known = ", ".join(sorted(self.accelerators))
            raise CatalogError(f"unknown accelerator {name!r}; known: {known}") from None

    def clouds_for(self, accelerator: str) -> list[str]:
        """Clouds that offer ``accelerator`` as a machine, sorted."""
        return sorted(c for c, offers in self._accelerator(accelerator).offers.items() if offers)

    def offered_counts(self, accelerator: str, cloud: str) -> list[int]:
        """Accelerators per node that ``cloud`` offers for ``accelerator``, ascending; [] when none."""
        offers = _get(self._accelerator(accelerator).offers, cloud) or []
        return sorted(o.count for o in offers)

    def machine_for(self, accelerator: str, cloud: str, count: int) -> MachineOffer:
        """The machine type carrying exactly ``count`` of ``accelerator`` on ``cloud``."""
        acc = self._accelerator(accelerator)
        offers = _get(acc.offers, cloud) or []
        if not offers:
            where = ", ".join(self.clouds_for(accelerator)) or "no cloud"
            raise CatalogError(f"{accelerator} is not offered on {cloud}; it is offered on {where}")
        for offer in offers:
            if offer.count == count:
                return offer
        counts = ", ".join(str(c) for c in self.offered_counts(accelerator, cloud))
        raise CatalogError(f"{accelerator} on {cloud} is offered with {counts} per node, not {count}")

    def tpu_slice(self, generation: str, topology: str) -> TpuTopology:
        """The slice shape for ``topology`` of TPU ``generation`` (machine type and node count)."""
        try:
            gen = self.tpus[generation]
        except KeyError:
            known = ", ".join(sorted(self.tpus))
            raise CatalogError(f"unknown TPU generation {generation!r}; known: {known}") from None
        try:
            return gen.topologies[topology]
        except KeyError:
            valid = ", ".join(gen.topologies)
            raise CatalogError(f"topology {topology!r} is not valid for {generation}; valid: {valid}") from None

    def price(self, cloud: str, machine_type: str, region: str, spot: bool = False) -> float | None:
        """USD per node-hour, or None when the table has no price for that machine in that region."""
        point = (_get(self.prices.machines, cloud) or {}).get(machine_type, {}).get(region)
        if point is None:
            return None
        return point.spot_hourly if spot else point.on_demand_hourly

    def database_hourly(self, cloud: str, size: str) -> float | None:
        """USD per hour of the database class that ``size`` maps to on ``cloud`` (single zone)."""
        cls = _get(self.database_sizes.get(size, {}), cloud)
        if cls is None:
            return None
        return (_get(self.prices.fixed, cloud) or {}).get(f"database_hourly:{cls}")

    # -- integrity ------------------------------------------------------------------------------------------

    @model_validator(mode="after")
    def _cross_check(self) -> Catalog:
        problems: list[str] = []
        problems += checks.accelerators(self)
        problems += checks.tpus(self)
        problems += checks.versions(self.versions, scalar_version_fields())
        problems += checks.prices(self)
        problems += checks.autoscaler_images(self)
        offered = {(c, o.machine_type) for a in self.accelerators.values() for c, offers in a.offers.items() for o in offers}
        for cloud in Interconnect.model_fields:
            for machine in self._interconnect(cloud):
                if (cloud, machine) not in offered:
                    problems.append(f"interconnect.{cloud}.{machine}: not a machine type any accelerator offers on {cloud}")
        for cloud, name in self.default_system_machine.items():
            if name not in (_get(self.machines, cloud) or {}):
                problems.append(f"default_system_machine.{cloud}: {name} is not in machines.{cloud}")
        for name, lustre in self.lustre.items():
            if lustre.tier(lustre.default_throughput_mb_s_per_tib) is None:
                problems.append(f"lustre.{name}: default_throughput_mb_s_per_tib is not one of its tiers {sorted(lustre.tiers)}")
            if any(not t.isdigit() for t in lustre.tiers):
                problems.append(f"lustre.{name}: tier keys must be MB/s per TiB (digits), got {sorted(lustre.tiers)}")
        for cloud, windows in self.kubernetes_support.items():
            for minor, w in windows.items():
                where = f"kubernetes_support.{cloud}.{minor}"
                if not re.fullmatch(r"1\.\d+", minor):
                    problems.append(f"{where}: not a Kubernetes minor (1.N)")
                if not w.released < w.end_of_standard_support <= (w.end_of_extended_support or "9999-12-31"):
                    problems.append(f"{where}: dates out of order (released < end of standard <= end of extended)")
        for name, tier in self.filestore_tiers.items():
            if tier.min_capacity_gib > tier.max_capacity_gib:
                problems.append(f"filestore_tiers.{name}: min_capacity_gib > max_capacity_gib")
            if tier.ranges and (tier.ranges[0].min_gib, tier.ranges[-1].max_gib) != (tier.min_capacity_gib, tier.max_capacity_gib):
                problems.append(f"filestore_tiers.{name}: ranges do not span min_capacity_gib to max_capacity_gib")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def scalar_version_fields() -> list[str]:
    """The plain-string facts of ``Versions`` (each needs a ``provenance`` entry; charts and images date themselves)."""
    return [k for k in Versions.model_fields if k not in ("charts", "images", "provenance")]
