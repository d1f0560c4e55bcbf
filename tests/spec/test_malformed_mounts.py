"""``storage.bucket_mounts``: each malformed form is a located spec error (file:line:col, path, what is wrong and the
fix), found before any resource is registered; a valid section resolves to one scope per (mount, team)."""

from __future__ import annotations

import textwrap

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
      bucket_mounts:
        imagenet: {bucket: datasets, prefix: imagenet, teams: [research]}
    teams:
      research: {group: research}
      applied: {group: applied}
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
      buckets: {datasets: {}, artifacts: {}}
      bucket_mounts:
        imagenet: {bucket: datasets}
    teams:
      research: {group: research}
    """
)

CASES = [
    # (id, base, old, new, path, anchor, exact message)
    ("unknown-bucket", AWS, "bucket: datasets, prefix", "bucket: corpus, prefix", "storage.bucket_mounts.imagenet.bucket",
     "bucket: corpus", "names bucket 'corpus', which storage.buckets does not define (have: artifacts, datasets). "
     "Add it under storage.buckets"),
    ("unknown-team", AWS, "teams: [research]", "teams: [research, vision]", "storage.bucket_mounts.imagenet.teams",
     "teams: [research, vision]", "names team(s) vision, which teams does not define (have: applied, research). "
     "Add them under teams, or remove them"),
    ("claim-taken", AWS, "    imagenet: {bucket", "    scratch: {bucket", "storage.bucket_mounts.scratch", "scratch: {bucket",
     "'scratch' is already a claim in every team namespace (the scratch volume). Name the mount otherwise, e.g. datasets"),
    ("writable-artifacts", AWS, "bucket: datasets, prefix: imagenet,", "bucket: artifacts, read_only: false,",
     "storage.bucket_mounts.imagenet.read_only", "read_only: false",
     "bucket 'artifacts' holds MLflow's artifacts (tracking.artifacts_bucket): a writable mount would let teams "
     "overwrite them. Keep read_only: true, or mount another bucket"),
    ("bad-prefix", AWS, "prefix: imagenet", "prefix: /imagenet/", "storage.bucket_mounts.imagenet.prefix",
     "prefix: /imagenet/", None),
    ("unknown-field", AWS, "teams: [research]}", "teams: [research], cache_gib: 10}", "storage.bucket_mounts.imagenet.cache_gib",
     "cache_gib: 10", None),
    ("onprem", ONPREM, "imagenet: {bucket: datasets}", "imagenet: {bucket: datasets}", "storage.bucket_mounts", "bucket_mounts:",
     "not available on onprem: mlstack runs no bucket mount driver for its object store. Remove it, and read the bucket "
     "with the S3 API (boto3, s5cmd) or stage the data on the shared or scratch volume; bucket mounts exist on aws "
     "(Mountpoint for Amazon S3 (CSI driver)), gcp (Cloud Storage FUSE (CSI driver))"),
]


@pytest.mark.parametrize(("base", "old", "new", "path", "anchor", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_malformed_bucket_mounts(tmp_path, base, old, new, path, anchor, message):
    assert old in base, "the case must change its base spec"
    text = base.replace(old, new, 1)
    problems = errors_of(write(tmp_path, text))
    matching = [p for p in problems if p.path == path]
    assert len(matching) == 1, [str(p) for p in problems]
    if message is not None:  # schema errors keep pydantic's wording; the location and path are what is ours
        assert matching[0].message == message
    assert matching[0].file.endswith("staging.yaml")
    assert (matching[0].line, matching[0].column) == where(text, anchor)


def test_a_valid_section_resolves_to_one_scope_per_mount_and_team(tmp_path):
    from mlstack.spec.mounts import MountScope, by_team, scopes

    old = "    imagenet: {bucket: datasets, prefix: imagenet, teams: [research]}\n"
    assert old in AWS
    text = AWS.replace(old, old + "    ckpt: {bucket: datasets, per_team: true, read_only: false}\n")
    spec = load_spec_file(write(tmp_path, text))
    assert scopes(spec) == [
        MountScope("ckpt", "applied", "datasets", "applied", False),
        MountScope("ckpt", "research", "datasets", "research", False),
        MountScope("imagenet", "research", "datasets", "imagenet", True),
    ]
    assert {team: [s.mount for s in ss] for team, ss in by_team(spec).items()} == {"applied": ["ckpt"], "research": ["ckpt", "imagenet"]}
