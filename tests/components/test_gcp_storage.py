"""GCS bucket, Filestore and Artifact Registry under recording mocks."""

from __future__ import annotations

import pytest

from mlstack.engine.plan.mocks import physical_name
from mlstack.errors import EngineError

P = "acme-ml-1234"
R = "us-central1"


def test_bucket_private_versioned_protected(record_plan):
    from mlstack.components.gcp.bucket import Bucket, BucketArgs

    plan = record_plan(
        lambda: Bucket("acme-datasets", BucketArgs(project_id=P, location=R, protect=True, labels={"env": "test"})),
        region=R, gcp_project=P,
    )
    comp = plan.one("mlstack:gcp:Bucket", "acme-datasets")
    b = plan.one("gcp:storage/bucket:Bucket", "acme-datasets-bucket")
    assert b.parent == comp.urn
    i = b.inputs
    assert i["uniformBucketLevelAccess"] is True
    assert i["publicAccessPrevention"] == "enforced"
    assert i["forceDestroy"] is False
    assert i["versioning"] == {"enabled": True}
    assert i["softDeletePolicy"] == {"retentionDurationSeconds": 604800}
    assert i["lifecycleRules"] == [
        {"action": {"type": "AbortIncompleteMultipartUpload"}, "condition": {"age": 7}},
        {"action": {"type": "Delete"}, "condition": {"daysSinceNoncurrentTime": 30, "withState": "ARCHIVED"}},
    ]
    assert "encryption" not in i
    assert (i["project"], i["location"], i["labels"]) == (P, R, {"env": "test"})
    assert b.protect and b.retain_on_delete


def test_bucket_cmek_unversioned_unprotected(record_plan):
    from mlstack.components.gcp.bucket import Bucket, BucketArgs

    key = f"projects/{P}/locations/{R}/keyRings/k/cryptoKeys/c"
    args = BucketArgs(project_id=P, location=R, versioning=False, kms_key_name=key, bucket_name="acme-ml-test-scratch")
    plan = record_plan(lambda: Bucket("acme-scratch", args), region=R, gcp_project=P)
    b = plan.one("gcp:storage/bucket:Bucket", "acme-scratch-bucket")
    assert b.inputs["name"] == "acme-ml-test-scratch"
    assert b.inputs["encryption"] == {"defaultKmsKeyName": key}
    assert b.inputs["versioning"] == {"enabled": False}
    assert len(b.inputs["lifecycleRules"]) == 1
    assert not b.protect and not b.retain_on_delete


def test_filestore_private_service_access_and_csi_parameters(record_plan):
    import pulumi

    from mlstack.components.gcp.shared_file_system import SharedFileSystem, SharedFileSystemArgs

    def program():
        fs = SharedFileSystem(
            "acme-shared",
            SharedFileSystemArgs(project_id=P, location="us-central1-a", tier="ZONAL", capacity_gib=1024,
                                 network="acme-vpc", reserved_ip_range="acme-psa-range", protect=True),
        )
        for k in ("ip_address", "share_name", "storage_class_provisioner", "storage_class_parameters", "volume_handle"):
            pulumi.export(k, getattr(fs, k))

    plan = record_plan(program, region=R, gcp_project=P)
    inst = plan.one("gcp:filestore/instance:Instance", "acme-shared-filestore")
    assert inst.inputs["tier"] == "ZONAL"
    assert inst.inputs["fileShares"] == {"capacityGb": 1024, "name": "shared"}
    assert inst.inputs["networks"] == [
        {"connectMode": "PRIVATE_SERVICE_ACCESS", "modes": ["MODE_IPV4"], "network": "acme-vpc", "reservedIpRange": "acme-psa-range"}
    ]
    assert inst.inputs["deletionProtectionEnabled"] is True
    assert inst.protect and inst.retain_on_delete
    assert plan.outputs == {
        "ip_address": "10.30.0.2",
        "share_name": "shared",
        "storage_class_provisioner": "filestore.csi.storage.gke.io",
        "storage_class_parameters": {
            "connect-mode": "PRIVATE_SERVICE_ACCESS", "network": "acme-vpc", "reserved-ip-range": "acme-psa-range", "tier": "zonal",
        },
        "volume_handle": f"modeInstance/us-central1-a/{physical_name('acme-shared-filestore', {})}/shared",
    }


def test_filestore_rejects_unknown_tier(record_plan):
    from mlstack.components.gcp.shared_file_system import SharedFileSystem, SharedFileSystemArgs

    args = SharedFileSystemArgs(project_id=P, location="us-central1-a", tier="PREMIUM", network="n", reserved_ip_range="r")
    with pytest.raises(EngineError, match="tier 'PREMIUM' is not one of"):
        record_plan(lambda: SharedFileSystem("acme-shared", args), region=R, gcp_project=P)


def test_registry(record_plan):
    import pulumi

    from mlstack.components.gcp.container_registry import ContainerRegistry, ContainerRegistryArgs

    def program():
        reg = ContainerRegistry(
            "acme-registry",
            ContainerRegistryArgs(project_id=P, location=R, repositories=("trainer", "serving"), protect=True),
        )
        pulumi.export("urls", reg.urls)

    plan = record_plan(program, region=R, gcp_project=P)
    repos = plan.of_type("gcp:artifactregistry/repository:Repository")
    assert [r.name for r in repos] == ["acme-registry-serving", "acme-registry-trainer"]
    r = repos[1].inputs
    assert r["format"] == "DOCKER"
    assert r["repositoryId"] == "trainer"
    assert r["dockerConfig"] == {"immutableTags": True}
    assert r["cleanupPolicyDryRun"] is False
    assert r["cleanupPolicies"] == [
        {"action": "DELETE", "condition": {"olderThan": "2592000s", "tagState": "UNTAGGED"}, "id": "delete-untagged"},
        {"action": "KEEP", "id": "keep-recent", "mostRecentVersions": {"keepCount": 10}},
    ]
    assert all(x.protect and x.retain_on_delete for x in repos)
    assert plan.outputs["urls"] == {
        "serving": f"{R}-docker.pkg.dev/{P}/serving",
        "trainer": f"{R}-docker.pkg.dev/{P}/trainer",
    }


def test_managed_lustre_scratch_is_zonal_peered_and_reachable_only_on_lnet(record_plan):
    from mlstack.components.gcp.scratch_file_system import ScratchFileSystem, ScratchFileSystemArgs

    args = ScratchFileSystemArgs(
        project_id=P, zone="us-central1-b", capacity_gib=18000, throughput_mb_s_per_tib=500, filesystem="train",
        network=f"projects/{P}/global/networks/vpc", private_services_cidr="10.20.0.0/16", protect=True,
        kms_key=f"projects/{P}/locations/{R}/keyRings/k/cryptoKeys/lustre", labels={"env": "test"},
    )
    plan = record_plan(lambda: ScratchFileSystem("acme-scratch", args), region=R, gcp_project=P)
    inst = plan.one("gcp:lustre/instance:Instance", "acme-scratch")
    assert {k: inst.inputs[k] for k in ("instanceId", "location", "capacityGib", "perUnitStorageThroughput", "filesystem",
                                        "network", "kmsKey", "labels", "project")} == {
        "instanceId": "acme-scratch", "location": "us-central1-b", "capacityGib": "18000", "perUnitStorageThroughput": "500",
        "filesystem": "train", "network": f"projects/{P}/global/networks/vpc",
        "kmsKey": f"projects/{P}/locations/{R}/keyRings/k/cryptoKeys/lustre", "labels": {"env": "test"}, "project": P,
    }
    assert inst.protect and inst.retain_on_delete
    fw = plan.one("gcp:compute/firewall:Firewall", "acme-scratch-lustre")
    assert (fw.inputs["sourceRanges"], fw.inputs["allows"], fw.inputs["direction"]) == (
        ["10.20.0.0/16"], [{"protocol": "tcp", "ports": ["988"]}], "INGRESS")
    assert [r.type for r in plan.resources if r.custom] == ["gcp:compute/firewall:Firewall", "gcp:lustre/instance:Instance"]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"throughput_mb_s_per_tib": 300}, r"throughput_mb_s_per_tib must be one of \[125, 250, 500, 1000\], got 300"),
    ({"filesystem": "scratch-1"}, "filesystem must be 1 to 8 letters or digits, got 'scratch-1'"),
    ({"filesystem": "datasets9"}, "filesystem must be 1 to 8 letters or digits, got 'datasets9'"),
    ({"capacity_gib": 0}, "capacity_gib must be positive, got 0"),
])
def test_managed_lustre_args_refuse_what_the_api_refuses(kwargs, message):
    from mlstack.components.gcp.scratch_file_system import ScratchFileSystemArgs

    with pytest.raises(ValueError, match=f"^{message}$"):
        ScratchFileSystemArgs(**{"project_id": P, "zone": "us-central1-a", "capacity_gib": 9000, **kwargs})


def test_managed_lustre_needs_its_network(record_plan):
    from mlstack.components.gcp.scratch_file_system import ScratchFileSystem, ScratchFileSystemArgs

    args = ScratchFileSystemArgs(project_id=P, zone="us-central1-a", capacity_gib=9000)
    with pytest.raises(Exception, match="acme-scratch: network and private_services_cidr are required"):
        record_plan(lambda: ScratchFileSystem("acme-scratch", args), region=R, gcp_project=P)
