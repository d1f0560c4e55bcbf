"""Bucket mounts in the plans: Mountpoint for Amazon S3 in ``staging`` (the example), Cloud Storage FUSE in
``gcp-staging`` with the same section added; each team's own identity scoped to its folder, read-only unless the
spec says otherwise, a PV/PVC per team and mount, the parity row, and the read-only policy rules over real plans."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from k8s_checks import manifests, validate_manifests
from stack_text import with_sections

from mlstack.engine.review.parity import capability
from mlstack.engine.review.planning import plan_env
from mlstack.engine.review.policy import check_plan

STACKS = Path(__file__).resolve().parents[2] / "stacks"
PV = "kubernetes:core/v1:PersistentVolume"
PVC = "kubernetes:core/v1:PersistentVolumeClaim"
SA = "kubernetes:core/v1:ServiceAccount"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
# gcp-staging with a read-only folder for research and a writable per-team mount for both teams.
GCP_MOUNTS = """\
storage:
  buckets: {datasets: {}}
  bucket_mounts:
    imagenet: {bucket: datasets, prefix: imagenet, teams: [research]}
    checkpoints: {bucket: datasets, prefix: ckpt, per_team: true, read_only: false}
"""


@pytest.fixture(scope="module")
def staging(example_plan):
    return example_plan("staging")


@pytest.fixture(scope="module")
def gcp(tmp_path_factory):
    stacks = tmp_path_factory.mktemp("gcp-mounts")
    for f in STACKS.glob("*.yaml"):
        shutil.copy(f, stacks / f.name)
    (stacks / "gcp-staging.yaml").write_text(with_sections((STACKS / "gcp-staging.yaml").read_text(), GCP_MOUNTS))
    return plan_env("gcp-staging", stacks)


def _platform(plan, name):
    return f"acme-ml-{plan.env}-platform-mounts{name}"


def test_staging_installs_the_mountpoint_add_on_through_the_environment(staging):
    addon = staging.one("aws:eks/addon:Addon", "acme-ml-staging-s3-csi")
    assert addon.parent == staging.one("mlstack:aws:Environment", "acme-ml-staging").urn
    assert addon.inputs["addonName"] == "aws-mountpoint-s3-csi-driver"
    # No role of its own: every volume authenticates as its pod's ServiceAccount.
    assert "serviceAccountRoleArn" not in addon.inputs
    assert (addon.inputs["resolveConflictsOnCreate"], addon.inputs["resolveConflictsOnUpdate"]) == ("OVERWRITE", "OVERWRITE")
    assert "addon/aws-mountpoint-s3-csi-driver" in staging.outputs["platform_versions"]  # locked like every add-on


def test_research_gets_a_read_only_role_scoped_to_the_folder(staging):
    role = staging.one("aws:iam/role:Role", "acme-ml-staging-mounts-research-role")
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    (condition,) = trust["Condition"].values()
    assert sorted(condition.items())[1][1] == "system:serviceaccount:research:mlstack-data"
    policy = json.loads(staging.one(ROLE_POLICY, "acme-ml-staging-mounts-research-policy").inputs["policy"])
    bucket = "arn:aws:s3:::acme-ml-staging-datasets-759a8b4"
    key = staging.one("aws:kms/key:Key", "acme-ml-staging-datasets-key")
    statements = policy["Statement"]
    assert [s["Sid"] for s in statements] == [
        "ReadOnlyMountImagenetResearchList", "ReadOnlyMountImagenetResearchObjects", "ReadOnlyMountImagenetResearchKey"]
    assert statements[0] == {"Sid": "ReadOnlyMountImagenetResearchList", "Effect": "Allow", "Action": "s3:ListBucket",
                             "Resource": bucket, "Condition": {"StringLike": {"s3:prefix": ["imagenet", "imagenet/*"]}}}
    assert statements[1] == {"Sid": "ReadOnlyMountImagenetResearchObjects", "Effect": "Allow", "Action": ["s3:GetObject"],
                             "Resource": f"{bucket}/imagenet/*"}
    assert statements[2] == {"Sid": "ReadOnlyMountImagenetResearchKey", "Effect": "Allow", "Action": ["kms:Decrypt"],
                             "Resource": "arn:aws:kms:us-west-2:123456789012:key/bdc8522b-0000-4000-8000-bdc852200000"}
    # The key and bucket are the datasets bucket's own (what the ARNs were read from).
    bucket_urn = staging.one("aws:s3/bucket:Bucket", "acme-ml-staging-datasets").urn
    assert sorted(staging.one(ROLE_POLICY, "acme-ml-staging-mounts-research-policy").input_deps["policy"]) == sorted([key.urn, bucket_urn])
    # applied has no mount: no role, no ServiceAccount, no claim.
    assert [r.name for r in staging.of_type("mlstack:aws:WorkloadRole") if "-mounts-" in r.name] == ["acme-ml-staging-mounts-research"]


def test_one_read_only_claim_in_researchs_namespace_as_mlstack_data(staging):
    sa = staging.one(SA, _platform(staging, "-research-sa"))
    meta = sa.inputs["metadata"]
    assert (meta["name"], meta["namespace"]) == ("mlstack-data", "research")
    role = staging.one("aws:iam/role:Role", "acme-ml-staging-mounts-research-role")
    assert meta["annotations"] == {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/acme-ml-staging-mounts-research-role-5130370"}
    assert sa.input_deps["metadata"] == [role.urn]
    assert sa.inputs["automountServiceAccountToken"] is False
    pv = staging.one(PV, _platform(staging, "-imagenet-research-pv"))
    assert pv.inputs["metadata"]["name"] == "imagenet-research"
    assert pv.inputs["spec"] == {
        "capacity": {"storage": "1Ti"},
        "accessModes": ["ReadOnlyMany"],
        "persistentVolumeReclaimPolicy": "Retain",
        "storageClassName": "",
        "mountOptions": ["allow-other", "region us-west-2", "prefix imagenet/", "read-only"],
        "volumeMode": "Filesystem",
        "claimRef": {"namespace": "research", "name": "imagenet"},
        "csi": {"driver": "s3.csi.aws.com", "volumeHandle": "s3-imagenet-research", "readOnly": True,
                "volumeAttributes": {"authenticationSource": "pod", "bucketName": "acme-ml-staging-datasets-759a8b4",
                                     "stsRegion": "us-west-2"}},
    }
    pvc = staging.one(PVC, _platform(staging, "-imagenet-research"))
    assert (pvc.inputs["metadata"]["name"], pvc.inputs["metadata"]["namespace"]) == ("imagenet", "research")
    assert pvc.inputs["spec"] == {"accessModes": ["ReadOnlyMany"], "storageClassName": "", "volumeName": "imagenet-research",
                                  "resources": {"requests": {"storage": "1Ti"}}}
    assert [r.name for r in staging.of_type(PVC) if r.inputs["metadata"]["name"] == "imagenet"] == [pvc.name]
    objects = manifests([sa, pv, pvc])
    assert validate_manifests(objects, staging.outputs["versions"]["kubernetes"]) == []


def test_gcp_mounts_through_the_fuse_add_on_with_a_google_identity_per_team(gcp):
    cluster = gcp.one("gcp:container/cluster:Cluster", "acme-ml-gcp-staging-cluster-gke")
    assert cluster.inputs["addonsConfig"]["gcsFuseCsiDriverConfig"] == {"enabled": True}
    datasets = gcp.one("gcp:storage/bucket:Bucket", "acme-ml-gcp-staging-datasets-bucket")
    bucket = next(r.inputs["bucket"] for r in gcp.of_type("gcp:storage/bucketIAMMember:BucketIAMMember")
                  if r.name.endswith("-imagenet-ro"))
    assert bucket.startswith("acme-ml-gcp-staging-datasets")
    for team, grants in (("research", ["checkpoints-rw", "imagenet-ro"]), ("applied", ["checkpoints-rw"])):
        name = f"acme-ml-gcp-staging-mounts-{team}"
        gsa = gcp.one("gcp:serviceaccount/account:Account", f"{name}-gsa")
        assert gsa.inputs["accountId"].startswith(f"data-{team}-") and len(gsa.inputs["accountId"]) == len(f"data-{team}-") + 8
        wi = gcp.one("gcp:serviceaccount/iAMMember:IAMMember", f"{name}-wi-user")
        assert (wi.inputs["role"], wi.inputs["member"]) == (
            "roles/iam.workloadIdentityUser", f"serviceAccount:acme-ml-staging-1234.svc.id.goog[{team}/mlstack-data]")
        members = {r.name.removeprefix(f"{name}-"): r for r in gcp.of_type("gcp:storage/bucketIAMMember:BucketIAMMember")
                   if r.name.startswith(f"{name}-")}
        assert sorted(members) == grants
        rw = members["checkpoints-rw"].inputs
        assert (rw["bucket"], rw["role"]) == (bucket, "roles/storage.objectUser")
        assert rw["condition"] == {
            "title": "mlstack-checkpoints", "description": f"only ckpt/{team}/",
            "expression": f'resource.name.startsWith("projects/_/buckets/{bucket}/objects/ckpt/{team}/") || '
                          f'api.getAttribute("storage.googleapis.com/objectListPrefix", "").startsWith("ckpt/{team}/")'}
        sa = gcp.one(SA, _platform(gcp, f"-{team}-sa"))
        assert sa.inputs["metadata"]["annotations"] == {
            "iam.gke.io/gcp-service-account": f"{gsa.inputs['accountId']}@acme-ml-staging-1234.iam.gserviceaccount.com"}
        assert sa.input_deps["metadata"] == [gsa.urn]
        assert members["checkpoints-rw"].input_deps["bucket"] == [datasets.urn]
    assert gcp.one("gcp:storage/bucketIAMMember:BucketIAMMember", "acme-ml-gcp-staging-mounts-research-imagenet-ro").inputs["role"] == \
        "roles/storage.objectViewer"
    ro = gcp.one(PV, _platform(gcp, "-imagenet-research-pv")).inputs["spec"]
    assert (ro["accessModes"], ro["mountOptions"], ro["csi"]) == (
        ["ReadOnlyMany"], ["implicit-dirs", "only-dir=imagenet"],
        {"driver": "gcsfuse.csi.storage.gke.io", "volumeHandle": bucket, "readOnly": True})
    rw = gcp.one(PV, _platform(gcp, "-checkpoints-applied-pv")).inputs["spec"]
    assert (rw["accessModes"], rw["mountOptions"], rw["csi"]["readOnly"]) == (
        ["ReadWriteMany"], ["implicit-dirs", "only-dir=ckpt/applied"], False)
    claims = sorted((r.inputs["metadata"]["namespace"], r.inputs["metadata"]["name"]) for r in gcp.of_type(PVC)
                    if r.parent == gcp.one("mlstack:k8s:BucketMounts", _platform(gcp, "")).urn)
    assert claims == [("applied", "checkpoints"), ("research", "checkpoints"), ("research", "imagenet")]
    mounts = [r for r in gcp.resources if r.parent == gcp.one("mlstack:k8s:BucketMounts", _platform(gcp, "")).urn]
    assert validate_manifests(manifests(mounts), gcp.outputs["versions"]["kubernetes"]) == []


def test_parity_and_policy(staging, gcp, example_plan):
    assert capability(staging, "bucket mounts").text() == "native: Mountpoint for Amazon S3 CSI driver, each team's own IRSA role"
    assert capability(gcp, "bucket mounts").text() == (
        "native: Cloud Storage FUSE CSI driver (GKE add-on), each team's own Workload Identity")
    assert capability(example_plan("onprem"), "bucket mounts").status == "missing"
    for plan, rule in ((staging, "MLS-AWS-030"), (gcp, "MLS-GCP-030")):
        result = next(r for r in check_plan(plan, protected=True).results if r.rule.id == rule)
        assert (result.status, result.findings) == ("pass", [])


def test_the_rules_name_what_a_read_only_mount_must_not_allow(example_plan):
    from mlstack.targets.aws.policy_mounts import RULES as AWS
    from mlstack.targets.gcp.policy_mounts import RULES as GCP

    staging = example_plan("staging")  # a copy of its own: changed below
    loose = staging.one(ROLE_POLICY, "acme-ml-staging-mounts-research-policy")
    doc = json.loads(loose.inputs["policy"])
    doc["Statement"][1]["Action"] = ["s3:GetObject", "s3:PutObject"]
    loose.inputs["policy"] = json.dumps(doc)
    (finding,) = AWS[0].check(staging)
    assert finding.message == ("statement ReadOnlyMountImagenetResearchObjects of a read-only bucket mount allows "
                               "s3:PutObject: the mount's identity could change the data every reader sees")
    from review.fixtures import plan, reg

    grant = reg("gcp:storage/bucketIAMMember:BucketIAMMember", "x-mounts-research-imagenet-ro", {"role": "roles/storage.admin"})
    (finding,) = GCP[0].check(plan(grant))
    assert finding.message == ("a read-only bucket mount's grant has roles/storage.admin: its identity could change the "
                               "data every reader sees (use roles/storage.objectViewer)")
