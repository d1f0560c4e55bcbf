"""Cross-field rules of ``storage.bucket_mounts``: the target mounts buckets, each mount names a bucket and teams
the spec defines, its claim name is free, and nobody gets write access to MLflow's artifacts through it."""

from __future__ import annotations

from collections.abc import Iterator

from mlstack import targets
from mlstack.spec.models import Spec
from mlstack.spec.mounts import TAKEN_CLAIMS

Finding = tuple[str, str]
PATH = "storage.bucket_mounts"


def _offered() -> str:
    return ", ".join(f"{p.name} ({p.spec.bucket_mounts})" for p in targets.packs() if p.target and p.spec.bucket_mounts)


def check(spec: Spec, catalog) -> Iterator[Finding]:
    mounts = spec.storage.bucket_mounts
    if not mounts:
        return
    cloud = spec.target.cloud
    if not targets.pack(cloud).spec.bucket_mounts:
        yield PATH, (
            f"not available on {cloud}: mlstack runs no bucket mount driver for its object store. Remove it, and read "
            f"the bucket with the S3 API (boto3, s5cmd) or stage the data on the shared or scratch volume; bucket mounts "
            f"exist on {_offered()}"
        )
        return
    have = ", ".join(sorted(spec.storage.buckets)) or "none"
    for key, mount in sorted(mounts.items()):
        where = f"{PATH}.{key}"
        if key in TAKEN_CLAIMS:
            yield where, f"{key!r} is already a claim in every team namespace (the {key} volume). Name the mount otherwise, e.g. {mount.bucket}"
        if mount.bucket not in spec.storage.buckets:
            yield f"{where}.bucket", f"names bucket {mount.bucket!r}, which storage.buckets does not define (have: {have}). Add it under storage.buckets"
        unknown = sorted(set(mount.teams) - set(spec.teams))
        if unknown:
            yield f"{where}.teams", (
                f"names team(s) {', '.join(unknown)}, which teams does not define (have: {', '.join(sorted(spec.teams)) or 'none'}). "
                "Add them under teams, or remove them"
            )
        if not spec.teams:
            yield where, "no team to mount it for: a mount is a claim in team namespaces. Add a team under teams"
        if not mount.read_only and mount.bucket == spec.tracking.artifacts_bucket:
            yield f"{where}.read_only", (
                f"bucket {mount.bucket!r} holds MLflow's artifacts (tracking.artifacts_bucket): a writable mount would "
                "let teams overwrite them. Keep read_only: true, or mount another bucket"
            )
