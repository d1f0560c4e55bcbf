from __future__ import annotations

import pytest

from k8s_checks import record_with_provider

SC = "kubernetes:storage.k8s.io/v1:StorageClass"
PVC = "kubernetes:core/v1:PersistentVolumeClaim"


def _plan(record_plan, **kw):
    from mlstack.components.k8s.shared_storage import SharedStorage, SharedStorageArgs

    return record_with_provider(record_plan, lambda opts: SharedStorage("acme-ml-test-storage", SharedStorageArgs(**kw), opts))


def test_efs_class_and_team_claims(record_plan):
    plan = _plan(
        record_plan,
        provisioner="efs.csi.aws.com",
        size_gib=1024,
        parameters={"provisioningMode": "efs-ap", "fileSystemId": "fs-0123", "directoryPerms": "700"},
        namespaces={"vision": "vision", "research": "research"},
        protect=True,
    )
    comp = plan.one("mlstack:k8s:SharedStorage", "acme-ml-test-storage")
    sc = plan.one(SC, "acme-ml-test-storage-class")
    assert sc.parent == comp.urn and sc.provider == "test-k8s"
    assert sc.inputs["metadata"]["name"] == "shared"
    assert sc.inputs["provisioner"] == "efs.csi.aws.com"
    assert sc.inputs["parameters"] == {"directoryPerms": "700", "fileSystemId": "fs-0123", "provisioningMode": "efs-ap"}
    assert sc.inputs["reclaimPolicy"] == "Retain"
    assert sc.inputs["allowVolumeExpansion"] is True
    assert sc.inputs["volumeBindingMode"] == "Immediate"
    assert "mountOptions" not in sc.inputs
    assert sorted(r.name for r in plan.of_type(PVC)) == ["acme-ml-test-storage-research", "acme-ml-test-storage-vision"]
    pvc = plan.one(PVC, "acme-ml-test-storage-research")
    assert pvc.inputs["metadata"]["name"] == "shared"
    assert pvc.inputs["metadata"]["namespace"] == "research"
    assert pvc.inputs["spec"] == {
        "accessModes": ["ReadWriteMany"],
        "resources": {"requests": {"storage": "1024Gi"}},
        "storageClassName": "shared",
    }
    assert pvc.protect and pvc.retain_on_delete and pvc.provider == "test-k8s"


def test_nfs_and_filestore_bind_only_the_class(record_plan):
    nfs = _plan(
        record_plan,
        provisioner="cluster.local/nfs-subdir-external-provisioner",
        size_gib=100,
        mount_options=["nfsvers=4.1"],
        namespaces={"research": "research"},
    )
    sc = nfs.one(SC, "acme-ml-test-storage-class")
    assert sc.inputs["mountOptions"] == ["nfsvers=4.1"]
    assert "parameters" not in sc.inputs
    pvc = nfs.one(PVC, "acme-ml-test-storage-research")
    assert not pvc.protect and not pvc.retain_on_delete
    gcp = _plan(record_plan, provisioner="filestore.csi.storage.gke.io", size_gib=1024, parameters={"tier": "BASIC_HDD"})
    assert gcp.one(SC, "acme-ml-test-storage-class").inputs["provisioner"] == "filestore.csi.storage.gke.io"
    assert gcp.of_type(PVC) == []


def test_size_must_be_positive(record_plan):
    from mlstack.errors import EngineError

    with pytest.raises(EngineError, match="size_gib must be positive"):
        _plan(record_plan, provisioner="efs.csi.aws.com", size_gib=0)
