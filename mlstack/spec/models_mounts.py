"""The ``storage.bucket_mounts`` section's model: buckets mounted read-mostly into team namespaces (docs/storage.md)."""

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
