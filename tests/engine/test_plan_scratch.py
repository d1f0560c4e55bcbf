"""The scratch tier in the example plans: FSx for Lustre (staging, aws), Managed Lustre (gcp-staging) and an
existing export (onprem): the file systems, their drivers, and the same ``scratch`` class and claims per team
everywhere but for the volume source; exact inputs, every Kubernetes object valid."""

from __future__ import annotations

from pathlib import Path

import pytest
from k8s_checks import manifests, validate_manifests

from mlstack.engine.review.cost import estimate
from mlstack.engine.review.planning import plan_env

STACKS = Path(__file__).resolve().parents[2] / "stacks"
PV = "kubernetes:core/v1:PersistentVolume"
PVC = "kubernetes:core/v1:PersistentVolumeClaim"
SC = "kubernetes:storage.k8s.io/v1:StorageClass"


@pytest.fixture(scope="module")
def plans():
    return {env: plan_env(env, STACKS) for env in ("staging", "gcp-staging", "onprem")}


def test_fsx_lustre_in_staging(plans):
    p = plans["staging"]
    fs = p.one("aws:fsx/lustreFileSystem:LustreFileSystem", "acme-ml-staging-scratch")
    i = fs.inputs
    assert (i["deploymentType"], i["storageCapacity"], i["perUnitStorageThroughput"], i["dataCompressionType"]) == (
        "PERSISTENT_2", 2400, 250, "LZ4")
    key = p.one("aws:kms/key:Key", "acme-ml-staging-scratch-key")
    assert key.inputs["enableKeyRotation"] is True
    assert i["kmsKeyId"].startswith("arn:aws:kms:us-west-2:123456789012:key/")
    # In the first private subnet (PERSISTENT_2 is single-AZ), behind its own group.
    subnets = sorted(r.name for r in p.of_type("aws:ec2/subnet:Subnet") if r.urn in fs.input_deps["subnetIds"])
    assert subnets == ["acme-ml-staging-network-private-0"]
    sg = p.one("aws:ec2/securityGroup:SecurityGroup", "acme-ml-staging-scratch-sg")
    assert fs.input_deps["securityGroupIds"] == [sg.urn]
    dra = p.one("aws:fsx/dataRepositoryAssociation:DataRepositoryAssociation", "acme-ml-staging-scratch-datasets")
    bucket = p.one("aws:s3/bucket:Bucket", "acme-ml-staging-datasets")
    assert dra.input_deps["dataRepositoryPath"] == [bucket.urn]
    assert dra.inputs["dataRepositoryPath"].startswith("s3://acme-ml-staging-datasets-")
    assert (dra.inputs["fileSystemPath"], dra.inputs["s3"]) == (
        "/datasets", {"autoImportPolicy": {"events": ["NEW", "CHANGED", "DELETED"]}})
    release = p.one("kubernetes:helm.sh/v3:Release", "acme-ml-staging-fsx-csi")
    assert (release.inputs["chart"], release.inputs["version"], release.inputs["namespace"]) == (
        "aws-fsx-csi-driver", "1.17.0", "kube-system")
    pv = p.one(PV, "acme-ml-staging-platform-scratch-research-pv")
    csi = pv.inputs["spec"]["csi"]
    assert (csi["driver"], sorted(csi["volumeAttributes"])) == ("fsx.csi.aws.com", ["dnsname", "mountname"])
    assert csi["volumeHandle"].startswith("fs-") and csi["volumeAttributes"]["dnsname"] == f"{csi['volumeHandle']}.fsx.us-west-2.amazonaws.com"
    assert fs.urn in pv.input_deps["spec"]
    assert pv.inputs["spec"]["mountOptions"] == ["flock"]


def test_managed_lustre_in_gcp_staging(plans):
    p = plans["gcp-staging"]
    inst = p.one("gcp:lustre/instance:Instance", "acme-ml-gcp-staging-scratch")
    i = inst.inputs
    assert (i["instanceId"], i["location"], i["capacityGib"], i["perUnitStorageThroughput"], i["filesystem"]) == (
        "acme-ml-gcp-staging-scratch", "us-central1-a", "9000", "1000", "scratch")
    vpc = p.one("gcp:compute/network:Network", "acme-ml-gcp-staging-network-vpc")
    assert inst.input_deps["network"] == [vpc.urn]
    psa = p.one("gcp:servicenetworking/connection:Connection", "acme-ml-gcp-staging-network-psa")
    assert psa.urn in inst.depends_on
    fw = p.one("gcp:compute/firewall:Firewall", "acme-ml-gcp-staging-scratch-lustre")
    assert (fw.inputs["direction"], fw.inputs["sourceRanges"], fw.inputs["allows"]) == (
        "INGRESS", ["10.20.0.0/16"], [{"protocol": "tcp", "ports": ["988"]}])
    gke = p.one("gcp:container/cluster:Cluster", "acme-ml-gcp-staging-cluster-gke")
    assert gke.inputs["addonsConfig"]["lustreCsiDriverConfig"] == {"enabled": True, "enableLegacyLustrePort": False}
    pv = p.one(PV, "acme-ml-gcp-staging-platform-scratch-research-pv")
    assert pv.inputs["spec"]["csi"] == {
        "driver": "lustre.csi.storage.gke.io",
        "volumeHandle": "acme-ml-staging-1234/us-central1-a/acme-ml-gcp-staging-scratch",
        "volumeAttributes": {"filesystem": "scratch", "ip": "10.20.0.5"},
    }
    assert "mountOptions" not in pv.inputs["spec"]


def test_existing_export_on_premise(plans):
    pv = plans["onprem"].one(PV, "acme-ml-onprem-platform-scratch-research-pv")
    assert pv.inputs["spec"]["nfs"] == {"server": "lustre-gw.lab.internal", "path": "/scratch"}
    assert pv.inputs["spec"]["capacity"] == {"storage": "10240Gi"}


def test_class_and_claims_are_the_same_on_every_target_but_the_source(plans):
    def shape(p, size):
        sc = p.one(SC, f"{p.project}-{p.env}-platform-scratch-class")
        claims = sorted((r.inputs["metadata"]["namespace"], r.inputs["metadata"]["name"], r.inputs["spec"]["resources"]["requests"]["storage"])
                        for r in p.of_type(PVC) if r.name.startswith(f"{p.project}-{p.env}-platform-scratch-"))
        assert claims == [("applied", "scratch", size), ("research", "scratch", size)]
        return sc.inputs["metadata"]["name"], sc.inputs["reclaimPolicy"], sc.inputs["volumeBindingMode"]

    assert shape(plans["staging"], "2400Gi") == shape(plans["gcp-staging"], "9000Gi") == shape(plans["onprem"], "10240Gi") == (
        "scratch", "Retain", "Immediate")
    assert plans["staging"].one(SC, "acme-ml-staging-platform-scratch-class").inputs["provisioner"] == "fsx.csi.aws.com"
    assert plans["gcp-staging"].one(SC, "acme-ml-gcp-staging-platform-scratch-class").inputs["provisioner"] == "lustre.csi.storage.gke.io"
    assert plans["onprem"].one(SC, "acme-ml-onprem-platform-scratch-class").inputs["provisioner"] == "kubernetes.io/no-provisioner"


def test_every_scratch_object_is_valid_kubernetes(plans):
    for p in plans.values():
        objects = [r for r in p.resources if r.name.startswith(f"{p.project}-{p.env}-platform-scratch")]
        assert sorted(r.type for r in objects) == sorted(["mlstack:k8s:ScratchStorage", PV, PV, PVC, PVC, SC]), p.env
        assert validate_manifests(manifests(objects), "1.36") == []


def test_cost_lists_the_scratch_tier_with_its_throughput(plans):
    aws = estimate(plans["staging"]).scratch
    assert [(x.name, x.size_gib, x.throughput_mb_s, x.monthly, x.priced) for x in aws] == [
        ("acme-ml-staging-scratch", 2400, 600, 504.0, True)]
    gcp = estimate(plans["gcp-staging"])
    assert [(x.size_gib, x.throughput_mb_s, x.monthly, x.priced) for x in gcp.scratch] == [(9000, 9000, 0.0, False)]
    assert gcp.missing == ["acme-ml-gcp-staging-scratch: Managed Lustre zonal instance 9000 GiB, 1000 MB/s/TiB = 9000 MB/s"]
    assert estimate(plans["onprem"]).scratch == []
