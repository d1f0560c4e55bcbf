"""The scratch tier on AWS: FSx for Lustre PERSISTENT_2 (encrypted, Lustre ports only from the nodes, linked to
the datasets bucket), its pinned CSI driver, and the static PV + PVC per team namespace."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import pytest
from k8s_checks import manifests, validate_manifests

from mlstack.components.aws.lustre_csi_driver import LustreCsiDriver, LustreCsiDriverArgs
from mlstack.components.aws.scratch_file_system import ScratchFileSystem, ScratchFileSystemArgs
from mlstack.components.k8s.scratch_storage import ScratchStorage, ScratchStorageArgs


@pytest.fixture(scope="module")
def plan():
    from mlstack.engine.plan.model import plan_program

    def program():
        fs = ScratchFileSystem(
            "acme-ml-staging-scratch",
            ScratchFileSystemArgs(
                storage_capacity_gib=4800,
                throughput_mb_s_per_tib=500,
                data_repository_path="s3://acme-ml-staging-datasets",
                vpc_id="vpc-0abc",
                subnet_id="subnet-0aaa",
                client_security_group_ids=["sg-0nodes"],
                protect=True,
                tags={"mlstack.io/env": "staging"},
            ),
        )
        provider = k8s.Provider("test-k8s", kubeconfig="{}")
        on_cluster = pulumi.ResourceOptions(providers=[provider])
        LustreCsiDriver("acme-ml-staging-fsx-csi", LustreCsiDriverArgs(chart_version="1.17.0"), opts=on_cluster)
        ScratchStorage(
            "acme-ml-staging-scratch-volumes",
            ScratchStorageArgs(
                size_gib=4800,
                csi_driver="fsx.csi.aws.com",
                volume_handle=fs.file_system_id,
                volume_attributes={"dnsname": fs.dns_name, "mountname": fs.mount_name},
                mount_options=["flock"],
                namespaces={"research": "research", "applied": "applied"},
                protect=True,
            ),
            opts=on_cluster,
        )

    return plan_program(program, project="acme-ml", env="test", region="us-west-2")


def test_lustre_is_persistent_2_encrypted_and_protected(plan):
    fs = plan.one("aws:fsx/lustreFileSystem:LustreFileSystem", "acme-ml-staging-scratch")
    i = fs.inputs
    assert (i["deploymentType"], i["storageType"], i["storageCapacity"], i["perUnitStorageThroughput"]) == (
        "PERSISTENT_2", "SSD", 4800, 500
    )
    assert i["subnetIds"] == "subnet-0aaa"  # the provider types it as one subnet: PERSISTENT_2 is single-AZ
    assert i["kmsKeyId"].startswith("arn:aws:kms:us-west-2:123456789012:key/")
    assert (i["dataCompressionType"], i["fileSystemTypeVersion"], i["logConfiguration"]) == ("LZ4", "2.15", {"level": "WARN_ERROR"})
    assert fs.protect and fs.retain_on_delete
    key = plan.one("aws:kms/key:Key", "acme-ml-staging-scratch-key")
    assert key.inputs["enableKeyRotation"] is True and key.protect


def test_lustre_ports_only_from_nodes_and_itself(plan):
    sg = plan.one("aws:ec2/securityGroup:SecurityGroup", "acme-ml-staging-scratch-sg")
    rules = {r.name: r.inputs for r in plan.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")}
    assert sorted(rules) == [
        "acme-ml-staging-scratch-client-0-1018",
        "acme-ml-staging-scratch-client-0-988",
        "acme-ml-staging-scratch-self-1018",
        "acme-ml-staging-scratch-self-988",
    ]
    assert (rules["acme-ml-staging-scratch-client-0-988"]["fromPort"], rules["acme-ml-staging-scratch-client-0-988"]["toPort"]) == (988, 988)
    assert (rules["acme-ml-staging-scratch-client-0-1018"]["fromPort"], rules["acme-ml-staging-scratch-client-0-1018"]["toPort"]) == (1018, 1023)
    assert rules["acme-ml-staging-scratch-client-0-988"]["referencedSecurityGroupId"] == "sg-0nodes"
    assert "cidrIpv4" not in rules["acme-ml-staging-scratch-self-988"]
    assert sg.inputs["vpcId"] == "vpc-0abc"


def test_datasets_bucket_is_imported_not_exported(plan):
    dra = plan.one("aws:fsx/dataRepositoryAssociation:DataRepositoryAssociation", "acme-ml-staging-scratch-datasets")
    assert dra.inputs["dataRepositoryPath"] == "s3://acme-ml-staging-datasets"
    assert dra.inputs["fileSystemPath"] == "/datasets"
    assert dra.inputs["batchImportMetaDataOnCreate"] is True
    assert dra.inputs["s3"] == {"autoImportPolicy": {"events": ["NEW", "CHANGED", "DELETED"]}}
    assert dra.inputs["deleteDataInFilesystem"] is False


def test_csi_driver_is_pinned_without_iam(plan):
    release = plan.one("kubernetes:helm.sh/v3:Release", "acme-ml-staging-fsx-csi")
    assert (release.inputs["chart"], release.inputs["version"], release.inputs["namespace"]) == ("aws-fsx-csi-driver", "1.17.0", "kube-system")
    assert release.inputs["repositoryOpts"] == {"repo": "https://kubernetes-sigs.github.io/aws-fsx-csi-driver"}
    assert release.inputs["values"]["controller"]["region"] == "us-west-2"
    assert release.inputs["values"]["controller"]["serviceAccount"]["annotations"] == {}


def test_each_team_gets_a_pre_bound_pv_and_claim(plan):
    pvs = {p.inputs["metadata"]["name"]: p for p in plan.of_type("kubernetes:core/v1:PersistentVolume")}
    assert sorted(pvs) == ["scratch-applied", "scratch-research"]
    spec = pvs["scratch-research"].inputs["spec"]
    assert spec["csi"]["driver"] == "fsx.csi.aws.com"
    assert spec["csi"]["volumeHandle"].startswith("fs-")
    assert spec["csi"]["volumeAttributes"]["dnsname"] == f"{spec['csi']['volumeHandle']}.fsx.us-west-2.amazonaws.com"
    assert spec["claimRef"] == {"namespace": "research", "name": "scratch"}
    assert (spec["accessModes"], spec["persistentVolumeReclaimPolicy"], spec["mountOptions"]) == (["ReadWriteMany"], "Retain", ["flock"])
    claim = plan.one("kubernetes:core/v1:PersistentVolumeClaim", "acme-ml-staging-scratch-volumes-research")
    assert claim.inputs["metadata"] == {**claim.inputs["metadata"], "name": "scratch", "namespace": "research"}
    assert claim.inputs["spec"]["volumeName"] == "scratch-research"
    assert claim.inputs["spec"]["storageClassName"] == "scratch"
    assert claim.protect and pvs["scratch-research"].protect
    sc = plan.one("kubernetes:storage.k8s.io/v1:StorageClass", "acme-ml-staging-scratch-volumes-class")
    assert (sc.inputs["provisioner"], sc.inputs["reclaimPolicy"]) == ("fsx.csi.aws.com", "Retain")
    assert validate_manifests(manifests(plan.resources), "1.35") == []


def test_onprem_nfs_source(record_plan):
    def program():
        provider = k8s.Provider("test-k8s", kubeconfig="{}")
        ScratchStorage(
            "lab-scratch",
            ScratchStorageArgs(size_gib=10240, nfs_server="lustre-gw.lab", nfs_path="/scratch", namespaces={"r": "research"}),
            opts=pulumi.ResourceOptions(providers=[provider]),
        )

    plan = record_plan(program)
    (pv,) = plan.of_type("kubernetes:core/v1:PersistentVolume")
    assert pv.inputs["spec"]["nfs"] == {"server": "lustre-gw.lab", "path": "/scratch"}
    assert plan.one("kubernetes:storage.k8s.io/v1:StorageClass", "lab-scratch-class").inputs["provisioner"] == "kubernetes.io/no-provisioner"
    assert validate_manifests(manifests(plan.resources), "1.35") == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"storage_capacity_gib": 3600}, "1200 or a multiple of 2400"),
        ({"storage_capacity_gib": 2400, "throughput_mb_s_per_tib": 200}, r"one of \[125, 250, 500, 1000\]"),
        ({"storage_capacity_gib": 1200, "file_system_path": "datasets"}, "must be absolute"),
    ],
)
def test_file_system_args_refuse_invalid_sizes(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ScratchFileSystemArgs(**kwargs)


def test_scratch_args_need_exactly_one_source():
    with pytest.raises(ValueError, match="exactly one of csi_driver and nfs_server"):
        ScratchStorageArgs(size_gib=1)
    with pytest.raises(ValueError, match="absolute nfs_path"):
        ScratchStorageArgs(size_gib=1, nfs_server="x", nfs_path="scratch")
