"""``storage.scratch`` and the Filestore size ranges: each malformed form is a located spec error (file:line:col,
path, the valid sizes, the nearest one), found before any resource is registered."""

from __future__ import annotations

import textwrap
from pathlib import Path
import pytest

from mlstack.spec import load_spec_file

from .test_malformed import errors_of, where, write

AWS = textwrap.dedent(
    """\
    project: acme-ml
    target: {cloud: aws, region: us-west-2}
    node_pools:
      system: {machine: m6i.xlarge, min: 2, max: 4}
    storage:
      shared: {size_gib: 1024}
      buckets: {datasets: {}, artifacts: {}}
      scratch: {size_gib: 2400, throughput_mb_s_per_tib: 250}
    teams:
      research: {group: research}
    """
)
GCP = textwrap.dedent(
    """\
    project: acme-ml
    target: {cloud: gcp, region: us-central1, project_id: acme-ml-1234}
    node_pools:
      system: {machine: n2-standard-4, min: 1, max: 2}
    storage:
      shared: {size_gib: 1024, tier: ZONAL}
      buckets: {artifacts: {}}
      scratch: {size_gib: 9000, zone: us-central1-a}
    teams:
      research: {group: research}
    """
)
ONPREM = textwrap.dedent(
    """\
    project: acme-ml
    target: {cloud: onprem, kube_context: lab}
    node_pools:
      system: {selector: {node-role.kubernetes.io/worker: ""}}
    storage:
      shared: {nfs_server: nas.lab.internal, nfs_path: /exports/ml}
      buckets: {artifacts: {}}
      scratch: {nfs_server: lustre-gw.lab.internal, nfs_path: /scratch}
    teams:
      research: {group: research}
    """
)
BASES = {"aws": AWS, "gcp": GCP, "onprem": ONPREM}


def _problems(tmp_path: Path, text: str) -> list:
    return errors_of(write(tmp_path, text))


@pytest.mark.parametrize("cloud", sorted(BASES))
def test_bases_are_valid(tmp_path, cloud):
    path = tmp_path / "staging.yaml"
    path.write_text(BASES[cloud])
    assert load_spec_file(path).storage.scratch is not None


CASES = [
    # (id, cloud, old, new, path, anchor, exact message)
    ("fsx-size-between-steps", "aws", "size_gib: 2400,", "size_gib: 3000,", "storage.scratch.size_gib", "size_gib: 3000",
     "FSx for Lustre at 250 MB/s per TiB takes 1200 GiB, or 2400 to 100800 GiB in steps of 2400 GiB, got 3000. "
     "The nearest valid size is 2400"),
    ("fsx-size-above-max", "aws", "size_gib: 2400,", "size_gib: 200000,", "storage.scratch.size_gib", "size_gib: 200000",
     "FSx for Lustre at 250 MB/s per TiB takes 1200 GiB, or 2400 to 100800 GiB in steps of 2400 GiB, got 200000. "
     "The nearest valid size is 100800"),
    ("fsx-size-missing", "aws", "size_gib: 2400, ", "", "storage.scratch.size_gib", "scratch:",
     "required on aws: the FSx for Lustre capacity at 250 MB/s per TiB, 1200 GiB, or 2400 to 100800 GiB in steps of "
     "2400 GiB; e.g. size_gib: 1200"),
    ("fsx-throughput", "aws", "throughput_mb_s_per_tib: 250", "throughput_mb_s_per_tib: 300",
     "storage.scratch.throughput_mb_s_per_tib", "throughput_mb_s_per_tib: 300",
     "FSx for Lustre offers 125, 250, 500, 1000 MB/s per TiB, got 300"),
    ("fsx-unknown-bucket", "aws", "throughput_mb_s_per_tib: 250}", "throughput_mb_s_per_tib: 250, bucket: corpus}",
     "storage.scratch.bucket", "bucket: corpus",
     "names bucket 'corpus', which storage.buckets does not define (have: artifacts, datasets). Add it under storage.buckets"),
    ("fsx-nfs-server", "aws", "throughput_mb_s_per_tib: 250}", "throughput_mb_s_per_tib: 250, nfs_server: nas}",
     "storage.scratch.nfs_server", "nfs_server: nas}",
     "only for onprem; on aws mlstack creates the file system. Remove it"),
    ("fsx-zone", "aws", "throughput_mb_s_per_tib: 250}", "throughput_mb_s_per_tib: 250, zone: us-central1-a}",
     "storage.scratch.zone", "zone: us-central1-a", "only for gcp (a zonal file system). Remove it"),
    ("lustre-size-below-tier-minimum", "gcp", "size_gib: 9000,", "size_gib: 9000, throughput_mb_s_per_tib: 250,",
     "storage.scratch.size_gib", "size_gib: 9000",
     "Managed Lustre at 250 MB/s per TiB takes 36000 to 6120000 GiB in steps of 36000 GiB, or 6336000 to 40032000 GiB "
     "in steps of 288000 GiB, got 9000. The nearest valid size is 36000"),
    ("lustre-size-between-ranges", "gcp", "size_gib: 9000,", "size_gib: 1550000,", "storage.scratch.size_gib",
     "size_gib: 1550000",
     "Managed Lustre at 1000 MB/s per TiB takes 9000 to 1530000 GiB in steps of 9000 GiB, or 1584000 to 10008000 GiB "
     "in steps of 72000 GiB, got 1550000. The nearest valid size is 1530000"),
    ("lustre-bucket", "gcp", "zone: us-central1-a}", "zone: us-central1-a, bucket: artifacts}", "storage.scratch.bucket",
     "bucket: artifacts",
     "only for aws (a data repository association). Remove it; on gcp read a bucket through a bucket mount instead"),
    ("lustre-zone-missing", "gcp", ", zone: us-central1-a}", "}", "storage.scratch.zone", "scratch:",
     "required on gcp when no node pool names its zones: Managed Lustre is zonal, put it where the GPU pools run, "
     "e.g. zone: us-central1-a"),
    ("lustre-zone-other-region", "gcp", "zone: us-central1-a}", "zone: europe-west4-a}", "storage.scratch.zone",
     "zone: europe-west4-a", "'europe-west4-a' is not a zone of the region us-central1. Name one of its zones"),
    ("filestore-zonal-gap", "gcp", "{size_gib: 1024, tier: ZONAL}", "{size_gib: 10000, tier: ZONAL}", "storage.shared.size_gib",
     "size_gib: 10000",
     "Filestore ZONAL takes 1024 to 9984 GiB in steps of 256 GiB, or 10240 to 102400 GiB in steps of 2560 GiB, got "
     "10000. The nearest valid size is 9984"),
    ("filestore-zonal-lower-step", "gcp", "{size_gib: 1024, tier: ZONAL}", "{size_gib: 1100, tier: ZONAL}",
     "storage.shared.size_gib", "size_gib: 1100",
     "Filestore ZONAL takes 1024 to 9984 GiB in steps of 256 GiB, or 10240 to 102400 GiB in steps of 2560 GiB, got "
     "1100. The nearest valid size is 1024"),
    ("filestore-zonal-higher-step", "gcp", "{size_gib: 1024, tier: ZONAL}", "{size_gib: 11000, tier: ZONAL}",
     "storage.shared.size_gib", "size_gib: 11000",
     "Filestore ZONAL takes 1024 to 9984 GiB in steps of 256 GiB, or 10240 to 102400 GiB in steps of 2560 GiB, got "
     "11000. The nearest valid size is 10240"),
    ("export-path-missing", "onprem", ", nfs_path: /scratch}", "}", "storage.scratch.nfs_path", "scratch:",
     "required on onprem: the existing Lustre (NFS-exported) or NFS scratch export, e.g. nfs_server: "
     "lustre-gw.lab.internal, nfs_path: /scratch"),
    ("export-throughput", "onprem", "nfs_path: /scratch}", "nfs_path: /scratch, throughput_mb_s_per_tib: 500}",
     "storage.scratch.throughput_mb_s_per_tib", "throughput_mb_s_per_tib: 500",
     "not settable on onprem: an existing export has its own throughput. Remove it"),
    ("export-bucket", "onprem", "nfs_path: /scratch}", "nfs_path: /scratch, bucket: artifacts}", "storage.scratch.bucket",
     "bucket: artifacts",
     "only for aws (a data repository association). Remove it; on onprem read a bucket through a bucket mount instead"),
]


@pytest.mark.parametrize(("cloud", "old", "new", "path", "anchor", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_malformed_storage(tmp_path, cloud, old, new, path, anchor, message):
    base = BASES[cloud]
    assert old in base, "the case must change its base spec"
    text = base.replace(old, new, 1)
    problems = _problems(tmp_path, text)
    matching = [p for p in problems if p.path == path]
    assert [p.message for p in matching] == [message], [str(p) for p in problems]
    assert matching[0].file.endswith("staging.yaml")
    assert (matching[0].line, matching[0].column) == where(text, anchor)


def test_filestore_zonal_sizes_in_either_range_are_valid(tmp_path):
    for size in (1024, 9984, 10240, 12800, 102400):
        path = tmp_path / "staging.yaml"
        path.write_text(GCP.replace("{size_gib: 1024, tier: ZONAL}", f"{{size_gib: {size}, tier: ZONAL}}"))
        assert load_spec_file(path).storage.shared.size_gib == size


def test_the_scratch_zone_defaults_to_the_first_zone_a_pool_names(tmp_path):
    from mlstack.spec import scratch

    path = tmp_path / "staging.yaml"
    path.write_text(GCP.replace(", zone: us-central1-a}", "}").replace(
        "system: {machine: n2-standard-4, min: 1, max: 2}", "system: {machine: n2-standard-4, min: 1, max: 2, zones: [us-central1-c]}"))
    spec = load_spec_file(path)
    assert (scratch.zone(spec), scratch.bucket(spec), scratch.throughput(spec, __import__("mlstack.catalog").catalog.load_catalog())) == (
        "us-central1-c", None, 1000)
