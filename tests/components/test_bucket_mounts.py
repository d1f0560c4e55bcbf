"""BucketMounts (a PV/PVC per team and mount, the teams' ``mlstack-data`` ServiceAccounts) and GCP's DataIdentity
(a Google service account per team with a grant per folder): exact inputs, valid Kubernetes objects."""

from __future__ import annotations

import pytest
from k8s_checks import manifests, record_with_provider, validate_manifests

from mlstack.components.k8s.bucket_mounts import BucketMounts, BucketMountsArgs, BucketVolumeArgs

PV = "kubernetes:core/v1:PersistentVolume"
PVC = "kubernetes:core/v1:PersistentVolumeClaim"


def _volume(claim, namespace, read_only=True):
    return BucketVolumeArgs(claim=claim, namespace=namespace, csi_driver="s3.csi.aws.com", volume_handle=f"s3-{claim}-{namespace}",
                            volume_attributes={"bucketName": "acme-datasets", "authenticationSource": "pod"},
                            mount_options=["allow-other", "read-only"] if read_only else ["allow-other", "allow-delete"],
                            read_only=read_only)


def test_a_claim_per_team_and_mount_bound_to_its_own_volume(record_plan):
    args = BucketMountsArgs(
        volumes=[_volume("imagenet", "research"), _volume("ckpt", "research", read_only=False), _volume("imagenet", "applied")],
        identities={"research": {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/research-data"}},
        protect=True,
    )
    plan = record_with_provider(record_plan, lambda opts: BucketMounts("m", args, opts))
    accounts = {r.inputs["metadata"]["namespace"]: r for r in plan.of_type("kubernetes:core/v1:ServiceAccount")}
    assert sorted(accounts) == ["applied", "research"]
    assert accounts["research"].inputs["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/research-data"}
    assert "annotations" not in accounts["applied"].inputs["metadata"]  # no identity bound: the mount cannot authenticate
    assert {a.inputs["metadata"]["name"] for a in accounts.values()} == {"mlstack-data"}
    assert all(a.inputs["automountServiceAccountToken"] is False for a in accounts.values())
    pvs = {r.inputs["metadata"]["name"]: r for r in plan.of_type(PV)}
    assert sorted(pvs) == ["ckpt-research", "imagenet-applied", "imagenet-research"]
    ro, rw = pvs["imagenet-applied"].inputs["spec"], pvs["ckpt-research"].inputs["spec"]
    assert (ro["accessModes"], ro["csi"]["readOnly"], ro["claimRef"]) == (["ReadOnlyMany"], True, {"namespace": "applied", "name": "imagenet"})
    assert (rw["accessModes"], rw["csi"]["readOnly"], rw["mountOptions"]) == (["ReadWriteMany"], False, ["allow-other", "allow-delete"])
    assert ro["csi"]["volumeAttributes"] == {"authenticationSource": "pod", "bucketName": "acme-datasets"}  # sorted keys
    assert (ro["storageClassName"], ro["capacity"], ro["persistentVolumeReclaimPolicy"]) == ("", {"storage": "1Ti"}, "Retain")
    claim = plan.one(PVC, "m-imagenet-applied")
    assert claim.inputs["metadata"]["namespace"] == "applied"
    assert claim.inputs["spec"]["volumeName"] == "imagenet-applied" and claim.inputs["spec"]["storageClassName"] == ""
    # Protected environments protect and retain the volumes and claims (the table marks them stateful).
    assert all(r.protect and r.retain_on_delete for r in [*plan.of_type(PV), *plan.of_type(PVC)])
    assert validate_manifests(manifests(plan.resources), "1.35") == []


def test_a_claim_given_twice_in_a_namespace_is_refused(record_plan):
    args = BucketMountsArgs(volumes=[_volume("imagenet", "research"), _volume("imagenet", "research", read_only=False)])
    with pytest.raises(Exception, match=r"BucketMounts 'm': a claim is given twice in one namespace"):
        record_with_provider(record_plan, lambda opts: BucketMounts("m", args, opts))


def test_gcp_data_identity_grants_read_per_folder(record_plan):
    from mlstack.components.gcp.data_identity import BucketGrant, DataIdentity, DataIdentityArgs

    def program():
        DataIdentity("acme-mounts-research", DataIdentityArgs(
            project_id="acme-ml-1234", namespace="research", service_account_name="mlstack-data",
            grants=[BucketGrant(key="imagenet", bucket="acme-datasets", prefix="imagenet/train"),
                    BucketGrant(key="all", bucket="acme-public")], account_id="data-research-0a1b2c3d"))

    plan = record_plan(program, gcp_project="acme-ml-1234")
    gsa = plan.one("gcp:serviceaccount/account:Account", "acme-mounts-research-gsa")
    assert (gsa.inputs["accountId"], gsa.inputs["project"]) == ("data-research-0a1b2c3d", "acme-ml-1234")
    wi = plan.one("gcp:serviceaccount/iAMMember:IAMMember", "acme-mounts-research-wi-user")
    assert wi.inputs["member"] == "serviceAccount:acme-ml-1234.svc.id.goog[research/mlstack-data]"
    folder = plan.one("gcp:storage/bucketIAMMember:BucketIAMMember", "acme-mounts-research-imagenet-ro").inputs
    assert (folder["bucket"], folder["role"]) == ("acme-datasets", "roles/storage.objectViewer")
    assert folder["condition"]["expression"] == (
        'resource.name.startsWith("projects/_/buckets/acme-datasets/objects/imagenet/train/") || '
        'api.getAttribute("storage.googleapis.com/objectListPrefix", "").startsWith("imagenet/train/")')
    whole = plan.one("gcp:storage/bucketIAMMember:BucketIAMMember", "acme-mounts-research-all-ro").inputs
    assert (whole["bucket"], whole["role"], "condition" in whole) == ("acme-public", "roles/storage.objectViewer", False)
