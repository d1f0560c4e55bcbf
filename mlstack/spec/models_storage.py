"""Models of the data path's ``storage`` parts: the scratch tier (``storage.scratch``) and the bucket mounts
(``storage.bucket_mounts``: buckets mounted read-mostly into team namespaces); docs/storage.md. Re-exported by
``mlstack.spec.models``."""

from __future__ import annotations

from pydantic import Field

from mlstack.spec.model_base import Model, Name

#: A bucket folder: path segments without a leading or trailing slash.
PREFIX = r"^[A-Za-z0-9._=-]+(/[A-Za-z0-9._=-]+)*$"


class BucketMount(Model):
    """A bucket of ``storage.buckets`` mounted as a volume claim, named by its key, in each team's namespace."""

    bucket: Name = Field(description="Key of storage.buckets to mount (required).", examples=["datasets"])
    prefix: str | None = Field(
        None, pattern=PREFIX, max_length=512,
        description="Mount only this folder of the bucket, without a leading or trailing slash. Default the whole bucket.",
        examples=["imagenet/train"],
    )
    per_team: bool = Field(
        False,
        description="Each team mounts its own folder, <prefix>/<team> (or <team> without a prefix), and its identity "
        "reaches only that folder. Default false: every team listed sees the same data.", examples=[True],
    )
    read_only: bool = Field(
        True,
        description="Read-only mount, and the team's identity may only list and read (never write or delete). "
        "Set false to let it write its folder too (an explicit loosening). Default true.", examples=[False],
    )
    teams: list[Name] = Field(
        default_factory=list, description="Teams whose namespace gets the claim. Default every team.", examples=[["research"]]
    )


class ScratchStorage(Model):
    """The fast scratch tier (Lustre), mounted as the `scratch` volume in every team namespace (docs/storage.md)."""

    size_gib: int | None = Field(
        None, ge=1, le=100_000_000,
        description="Capacity, GiB. aws: FSx for Lustre PERSISTENT_2 (1200, or 2400 to 100800 in steps of 2400); gcp: "
        "Managed Lustre (from 9000 at 1000 MB/s per TiB; each tier has its own minimum and steps, `mlstack catalog`); "
        "onprem: what the claims declare (default 1024). Required on aws and gcp.", examples=[2400],
    )
    throughput_mb_s_per_tib: int | None = Field(
        None, ge=1, le=100_000,
        description="aws, gcp: throughput per TiB of capacity, MB/s: 125, 250, 500 or 1000. Default: the catalogue's "
        "(aws 250, gcp 1000). onprem: not settable (an existing export has its own).", examples=[500],
    )
    bucket: str | None = Field(
        None,
        description="aws: key of storage.buckets linked into the file system at /datasets (imported lazily, kept in "
        "sync, never written back). Default the `datasets` bucket when there is one. gcp, onprem: not available.", examples=["datasets"],
    )
    zone: str | None = Field(
        None, pattern=r"^[a-z]+-[a-z]+\d+-[a-z]$",
        description="gcp: the zone of the Managed Lustre instance (it is zonal: put it where the GPU pools run). "
        "Default: the first zone a node pool names; required when none does.", examples=["us-central1-a"],
    )
    nfs_server: str | None = Field(
        None, pattern=r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$",
        description="onprem: the server of the existing Lustre (NFS-exported) or NFS scratch export (required there).", examples=["lustre-gw.lab.internal"],
    )
    nfs_path: str | None = Field(None, pattern=r"^/[^\s]*$", description="onprem: its exported path (required there).", examples=["/scratch"])
