"""What ``storage.scratch`` resolves to once the spec is valid: the catalogue offering, its throughput tier, the
linked bucket and the zone. The rules (``rules_storage``) and the targets' mappings read the same answers."""

from __future__ import annotations

from mlstack import targets
from mlstack.spec.models import Spec

#: The bucket a scratch file system links when the spec names none and the spec has one of this name.
DEFAULT_BUCKET = "datasets"
#: What the claims of an existing export declare when the spec gives no size, GiB.
EXPORT_SIZE_GIB = 1024


def offering(spec: Spec, catalog):
    """The catalogue's Lustre offering the target creates (``LustreDeployment``), or None (an export, or none)."""
    key = targets.pack(spec.target.cloud).spec.scratch
    return catalog.lustre[key] if key else None


def throughput(spec: Spec, catalog) -> int | None:
    """MB/s per TiB: the spec's, else the offering's default; None without an offering."""
    lustre = offering(spec, catalog)
    scratch = spec.storage.scratch
    if lustre is None or scratch is None:
        return None
    return scratch.throughput_mb_s_per_tib or lustre.default_throughput_mb_s_per_tib


def bucket(spec: Spec) -> str | None:
    """The bucket linked into the file system: the spec's, else ``datasets`` when the spec has it and the target
    links buckets; None otherwise."""
    scratch = spec.storage.scratch
    if scratch is None or not targets.pack(spec.target.cloud).spec.scratch_bucket:
        return None
    if scratch.bucket is not None:
        return scratch.bucket
    return DEFAULT_BUCKET if DEFAULT_BUCKET in spec.storage.buckets else None


def zone(spec: Spec) -> str | None:
    """The zone of a zonal scratch file system: the spec's, else the first zone a node pool names (sorted by pool)."""
    scratch = spec.storage.scratch
    if scratch is None or not targets.pack(spec.target.cloud).spec.scratch_zone:
        return None
    if scratch.zone:
        return scratch.zone
    return next((p.zones[0] for _, p in sorted(spec.node_pools.items()) if p.zones), None)


def size_gib(spec: Spec) -> int | None:
    """The capacity the file system has (or, for an export, that the claims declare)."""
    scratch = spec.storage.scratch
    if scratch is None:
        return None
    return scratch.size_gib or (EXPORT_SIZE_GIB if targets.pack(spec.target.cloud).spec.existing_cluster else None)
