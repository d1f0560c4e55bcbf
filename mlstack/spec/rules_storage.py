"""Cross-field rules of ``storage:``: Filestore capacity per tier (ranges with their own steps) and the scratch tier
(``storage.scratch``) against the target and the catalogue. What differs by target is read from its pack."""

from __future__ import annotations

from collections.abc import Iterator

from mlstack import targets
from mlstack.catalog.storage import describe_sizes, nearest_size, valid_size
from mlstack.spec import scratch as scratch_
from mlstack.spec.models import Spec

Finding = tuple[str, str]
PATH = "storage.scratch"


def check(spec: Spec, catalog) -> Iterator[Finding]:
    yield from _filestore(spec, catalog)
    yield from _scratch(spec, catalog)


def _filestore(spec: Spec, catalog) -> Iterator[Finding]:
    shared = spec.storage.shared
    if shared is None or not targets.pack(spec.target.cloud).spec.shared_tiers:
        return
    tier_name = shared.tier or "BASIC_HDD"
    tier = catalog.filestore_tiers.get(tier_name)
    if tier is None:
        yield "storage.shared.tier", f"unknown Filestore tier {tier_name!r}. Valid: {', '.join(sorted(catalog.filestore_tiers))}"
    elif not tier.min_capacity_gib <= shared.size_gib <= tier.max_capacity_gib:
        yield "storage.shared.size_gib", (
            f"Filestore {tier_name} takes {tier.min_capacity_gib} to {tier.max_capacity_gib} GiB, got {shared.size_gib}. "
            f"Set size_gib to at least {tier.min_capacity_gib}, or choose another tier"
        )
    elif tier.ranges and not valid_size(tier.ranges, shared.size_gib):
        yield "storage.shared.size_gib", (
            f"Filestore {tier_name} takes {describe_sizes(tier.ranges)}, got {shared.size_gib}. "
            f"The nearest valid size is {nearest_size(tier.ranges, shared.size_gib)}"
        )


def _only(has) -> str:
    return " or ".join(p.name for p in targets.packs() if p.target and has(p.spec))


def _scratch(spec: Spec, catalog) -> Iterator[Finding]:
    scratch = spec.storage.scratch
    if scratch is None:
        return
    cloud = spec.target.cloud
    rules = targets.pack(cloud).spec
    export = ("nfs_server", "nfs_path")
    if rules.existing_cluster:
        for field in export:
            if not getattr(scratch, field):
                yield f"{PATH}.{field}", (
                    f"required on {cloud}: the existing Lustre (NFS-exported) or NFS scratch export, "
                    "e.g. nfs_server: lustre-gw.lab.internal, nfs_path: /scratch"
                )
    else:
        for field in export:
            if getattr(scratch, field):
                yield f"{PATH}.{field}", f"only for {_only(lambda r: r.existing_cluster)}; on {cloud} mlstack creates the file system. Remove it"
    if scratch.bucket is not None and not rules.scratch_bucket:
        yield f"{PATH}.bucket", (
            f"only for {_only(lambda r: r.scratch_bucket)} (a data repository association). Remove it; on {cloud} "
            "read a bucket through a bucket mount instead"
        )
    if scratch.zone is not None and not rules.scratch_zone:
        yield f"{PATH}.zone", f"only for {_only(lambda r: r.scratch_zone)} (a zonal file system). Remove it"
    lustre = scratch_.offering(spec, catalog)
    if lustre is None:
        if scratch.throughput_mb_s_per_tib is not None:
            yield f"{PATH}.throughput_mb_s_per_tib", f"not settable on {cloud}: an existing export has its own throughput. Remove it"
        return
    throughput = scratch_.throughput(spec, catalog)
    tier = lustre.tier(throughput) if throughput is not None else None
    if tier is None:
        steps = ", ".join(str(t) for t in lustre.throughputs_mb_s_per_tib)
        yield f"{PATH}.throughput_mb_s_per_tib", f"{lustre.product} offers {steps} MB/s per TiB, got {throughput}"
    elif scratch.size_gib is None:
        yield f"{PATH}.size_gib", (
            f"required on {cloud}: the {lustre.product} capacity at {throughput} MB/s per TiB, "
            f"{describe_sizes(tier.ranges)}; e.g. size_gib: {tier.ranges[0].min_gib}"
        )
    elif not valid_size(tier.ranges, scratch.size_gib):
        yield f"{PATH}.size_gib", (
            f"{lustre.product} at {throughput} MB/s per TiB takes {describe_sizes(tier.ranges)}, got {scratch.size_gib}. "
            f"The nearest valid size is {nearest_size(tier.ranges, scratch.size_gib)}"
        )
    if scratch.bucket is not None and rules.scratch_bucket and scratch.bucket not in spec.storage.buckets:
        have = ", ".join(sorted(spec.storage.buckets)) or "none"
        yield f"{PATH}.bucket", f"names bucket {scratch.bucket!r}, which storage.buckets does not define (have: {have}). Add it under storage.buckets"
    if rules.scratch_zone and scratch_.zone(spec) is None:
        yield f"{PATH}.zone", (
            f"required on {cloud} when no node pool names its zones: {lustre.product} is zonal, put it where the GPU "
            f"pools run, e.g. zone: {spec.target.region or 'us-central1'}-a"
        )
    elif rules.scratch_zone and spec.target.region and not str(scratch_.zone(spec)).startswith(f"{spec.target.region}-"):
        yield f"{PATH}.zone", f"{scratch_.zone(spec)!r} is not a zone of the region {spec.target.region}. Name one of its zones"
