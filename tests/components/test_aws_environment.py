"""AwsEnvironment under recording mocks: composition, wiring of sibling outputs, tags, protection, outputs."""

from __future__ import annotations

import json

import pulumi
import pytest

from mlstack.components.aws import (
    AuditArgs,
    AwsEnvironment,
    AwsEnvironmentArgs,
    BucketArgs,
    CiTrustArgs,
    ClusterArgs,
    ContainerRegistryArgs,
    NetworkArgs,
    NodePoolArgs,
    SharedFileSystemArgs,
    TrackingDatabaseArgs,
)

NAME = "acme-ml-staging"
OUTPUTS = (
    "kubeconfig",
    "cluster_name",
    "file_system_id",
    "bucket_names",
    "tracking_artifacts_uri",
    "mlflow_role_arn",
    "tracking_database_uri",
    "tracking_database_secret_arn",
    "registry_urls",
    "ci_role_arn",
    "node_pool_names",
    "trail_arn",
)


def _args(protect: bool = True) -> AwsEnvironmentArgs:
    return AwsEnvironmentArgs(
        tags={"cost-center": "1234"},
        protect=protect,
        network=NetworkArgs(),
        cluster=ClusterArgs(version="1.31"),
        node_pools={
            "system": NodePoolArgs(instance_types=["m6i.xlarge"], min_size=2, max_size=4),
            "a100": NodePoolArgs(
                instance_types=["p4de.24xlarge"],
                max_size=4,
                spot=True,
                ami_type="AL2023_x86_64_NVIDIA",
                accelerator="nvidia-a100-80gb",
            ),
        },
        shared_file_system=SharedFileSystemArgs(),
        buckets={"datasets": BucketArgs(), "artifacts": BucketArgs(tags={"data": "artifacts"})},
        registry=ContainerRegistryArgs(repositories=["trainer", "serving"]),
        tracking_database=TrackingDatabaseArgs(engine_version="16.4"),
        tracking_bucket="artifacts",
        ci_trust=CiTrustArgs(provider="github", repository="acme/ml-platform", refs=["refs/heads/main"]),
        audit=AuditArgs(retention_days=365),
    )


@pytest.fixture(scope="module")
def plan():
    from mlstack.engine.plan.model import plan_program

    def program():
        env = AwsEnvironment(NAME, _args())
        for key in OUTPUTS:
            pulumi.export(key, getattr(env, key))

    return plan_program(program, project="acme-ml", env="staging")


def test_children_and_parents(plan):
    env = plan.one("mlstack:aws:Environment", NAME)
    children = {(r.type, r.name) for r in plan.children(env)}
    assert children == {
        ("mlstack:aws:Network", f"{NAME}-network"),
        ("mlstack:aws:Cluster", f"{NAME}-cluster"),
        ("mlstack:aws:NodePool", f"{NAME}-system"),
        ("mlstack:aws:NodePool", f"{NAME}-a100"),
        ("mlstack:aws:SharedFileSystem", f"{NAME}-shared"),
        ("mlstack:aws:WorkloadRole", f"{NAME}-efs-csi"),
        ("aws:eks/addon:Addon", f"{NAME}-efs-csi"),
        ("mlstack:aws:Bucket", f"{NAME}-datasets"),
        ("mlstack:aws:Bucket", f"{NAME}-artifacts"),
        ("mlstack:aws:ContainerRegistry", f"{NAME}-registry"),
        ("mlstack:aws:TrackingDatabase", f"{NAME}-tracking-db"),
        ("mlstack:aws:WorkloadRole", f"{NAME}-mlflow"),
        ("mlstack:aws:CiTrust", f"{NAME}-ci"),
        ("aws:eks/accessEntry:AccessEntry", f"{NAME}-ci-access"),
        ("aws:eks/addon:Addon", f"{NAME}-vpc-cni"),
        ("aws:eks/addon:Addon", f"{NAME}-metrics-server"),
        ("mlstack:aws:Audit", f"{NAME}-audit"),
    }
    urns = {r.urn for r in plan.resources}
    assert all(r.parent in urns for r in plan.resources if r is not env)


def test_ci_role_reaches_the_cluster_only_as_its_group(plan):
    entry = plan.one("aws:eks/accessEntry:AccessEntry", f"{NAME}-ci-access")
    role = plan.one("aws:iam/role:Role", f"{NAME}-ci-role")
    assert entry.inputs["kubernetesGroups"] == ["mlstack-ci"]
    assert entry.inputs["type"] == "STANDARD"
    assert entry.inputs["principalArn"].startswith("arn:aws:iam::123456789012:role/")
    assert role.urn in plan.by_urn()
    # no EKS access policy is associated with the CI role: its rights are the platform layer's Roles
    assert [a for a in plan.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation") if "ci" in a.name] == []


def test_wiring(plan):
    eks = plan.one("aws:eks/cluster:Cluster", f"{NAME}-cluster")
    assert eks.inputs["name"] == NAME
    private = [plan.one("aws:ec2/subnet:Subnet", f"{NAME}-network-private-{i}") for i in range(3)]
    assert private[0].inputs["tags"]["kubernetes.io/cluster/acme-ml-staging"] == "shared"
    subnet_ids = eks.inputs["vpcConfig"]["subnetIds"]
    assert len(subnet_ids) == 3 and all(s.startswith("subnet-") for s in subnet_ids)
    a100 = plan.one("aws:eks/nodeGroup:NodeGroup", f"{NAME}-a100")
    assert a100.inputs["clusterName"] == NAME and a100.inputs["subnetIds"] == subnet_ids
    assert a100.inputs["labels"] == {"mlstack.io/accelerator": "nvidia-a100-80gb", "mlstack.io/pool": "a100"}
    assert a100.inputs["nodeRoleArn"].startswith(f"arn:aws:iam::123456789012:role/{NAME}-cluster-node-")
    nfs = plan.one("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", f"{NAME}-shared-nfs-from-0")
    pg = plan.one("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", f"{NAME}-tracking-db-pg-from-0")
    assert nfs.inputs["referencedSecurityGroupId"] == pg.inputs["referencedSecurityGroupId"]
    # the EKS-created cluster security group (the mock's ids end in "cluster"), which every managed node carries
    assert nfs.inputs["referencedSecurityGroupId"].startswith("sg-") and nfs.inputs["referencedSecurityGroupId"].endswith("cluster")
    mounts = plan.of_type("aws:efs/mountTarget:MountTarget")
    assert [m.inputs["subnetId"] for m in mounts] == subnet_ids
    repo = plan.one("aws:ecr/repository:Repository", f"{NAME}-registry-trainer")
    assert repo.inputs["name"] == f"{NAME}/trainer"
    ci = json.loads(plan.one("aws:iam/rolePolicy:RolePolicy", f"{NAME}-ci-policy").inputs["policy"])
    resources = {s["Sid"]: s["Resource"] for s in ci["Statement"]}
    assert resources["EcrPushPull"] == [
        f"arn:aws:ecr:us-west-2:123456789012:repository/{NAME}/serving",
        f"arn:aws:ecr:us-west-2:123456789012:repository/{NAME}/trainer",
    ]
    assert resources["EksDescribe"] == f"arn:aws:eks:us-west-2:123456789012:cluster/{NAME}"
    addon = plan.one("aws:eks/addon:Addon", f"{NAME}-efs-csi")
    assert addon.inputs["addonName"] == "aws-efs-csi-driver" and addon.inputs["clusterName"] == NAME


def test_mlflow_role_least_privilege(plan):
    bucket = plan.outputs["bucket_names"]["artifacts"]
    policy = json.loads(plan.one("aws:iam/rolePolicy:RolePolicy", f"{NAME}-mlflow-policy").inputs["policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert by_sid["ArtifactObjects"]["Action"] == ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
    assert by_sid["ArtifactObjects"]["Resource"] == f"arn:aws:s3:::{bucket}/mlflow/*"
    assert by_sid["ArtifactList"]["Resource"] == f"arn:aws:s3:::{bucket}"
    assert by_sid["ArtifactKey"]["Action"] == ["kms:Decrypt", "kms:GenerateDataKey"]
    key = plan.one("aws:kms/key:Key", f"{NAME}-artifacts-key")
    assert by_sid["ArtifactKey"]["Resource"].startswith("arn:aws:kms:us-west-2:123456789012:key/")
    assert key.protect
    trust = json.loads(plan.one("aws:iam/role:Role", f"{NAME}-mlflow-role").inputs["assumeRolePolicy"])
    sub = next(v for k, v in trust["Statement"][0]["Condition"]["StringEquals"].items() if k.endswith(":sub"))
    assert sub == "system:serviceaccount:mlflow:mlflow"


def test_tags_and_protection(plan):
    stateful = [
        plan.one("aws:eks/cluster:Cluster", f"{NAME}-cluster"),
        plan.one("aws:s3/bucket:Bucket", f"{NAME}-datasets"),
        plan.one("aws:s3/bucket:Bucket", f"{NAME}-audit-logs"),
        plan.one("aws:efs/fileSystem:FileSystem", f"{NAME}-shared"),
        plan.one("aws:rds/instance:Instance", f"{NAME}-tracking-db"),
        plan.one("aws:ecr/repository:Repository", f"{NAME}-registry-serving"),
    ]
    assert all(r.protect and r.retain_on_delete for r in stateful)
    assert plan.one("aws:rds/instance:Instance", f"{NAME}-tracking-db").inputs["deletionProtection"] is True
    bucket = plan.one("aws:s3/bucket:Bucket", f"{NAME}-artifacts")
    assert bucket.inputs["tags"] == {"Name": f"{NAME}-artifacts", "cost-center": "1234", "data": "artifacts"}
    untagged = [
        r.name
        for r in plan.resources
        if r.custom and "tags" in r.inputs and r.inputs["tags"].get("cost-center") != "1234"
    ]
    assert untagged == []


def test_outputs(plan):
    out = plan.outputs
    assert out["kubeconfig"] == "[secret]"
    # no password anywhere: MLflow reads the rotating RDS-managed one from this secret when it connects
    assert out["tracking_database_uri"] == (
        "postgresql://mlflow@acme-ml-staging-tracking-db.c7487ae8.us-west-2.rds.amazonaws.com:5432/mlflow?sslmode=require"
    )
    assert out["tracking_database_secret_arn"].startswith("arn:aws:secretsmanager:us-west-2:123456789012:secret:rds!db-")
    assert out["cluster_name"] == NAME
    assert out["node_pool_names"] == ["a100", "system"]
    assert set(out["bucket_names"]) == {"artifacts", "datasets"}
    assert out["tracking_artifacts_uri"] == f"s3://{out['bucket_names']['artifacts']}/mlflow"
    assert set(out["registry_urls"]) == {"serving", "trainer"}
    assert out["registry_urls"]["trainer"] == f"123456789012.dkr.ecr.us-west-2.amazonaws.com/{NAME}/trainer"
    assert out["file_system_id"].startswith("fs-")
    assert out["mlflow_role_arn"].startswith(f"arn:aws:iam::123456789012:role/{NAME}-mlflow-role")
    assert out["ci_role_arn"].startswith(f"arn:aws:iam::123456789012:role/{NAME}-ci-role")
    assert out["trail_arn"] == f"arn:aws:cloudtrail:us-west-2:123456789012:trail/{NAME}-audit"


def test_unprotected_minimal(record_plan):
    args = AwsEnvironmentArgs(network=NetworkArgs(single_nat_gateway=True), cluster=ClusterArgs(version="1.31"))
    plan = record_plan(lambda: AwsEnvironment("acme-ml-dev", args))
    assert not any(r.protect for r in plan.resources)
    assert {r.type for r in plan.resources if r.type.startswith("mlstack:")} == {
        "mlstack:aws:Environment",
        "mlstack:aws:Network",
        "mlstack:aws:Cluster",
    }


def test_validation():
    base = dict(network=NetworkArgs(), cluster=ClusterArgs(version="1.31"))
    with pytest.raises(ValueError, match="reserved"):
        AwsEnvironmentArgs(**base, buckets={"registry": BucketArgs()})
    with pytest.raises(ValueError, match="tracking_bucket"):
        AwsEnvironmentArgs(**base, tracking_bucket="artifacts")
    with pytest.raises(ValueError, match="both"):
        AwsEnvironmentArgs(**base, buckets={"x": BucketArgs()}, node_pools={"x": NodePoolArgs(instance_types=["m"], max_size=1)})


def test_vpc_cni_enforces_network_policy(plan):
    addon = plan.one("aws:eks/addon:Addon", f"{NAME}-vpc-cni")
    assert addon.inputs["addonName"] == "vpc-cni"
    assert json.loads(addon.inputs["configurationValues"]) == {"enableNetworkPolicy": "true"}
    assert addon.inputs["resolveConflictsOnCreate"] == "OVERWRITE"


def test_cluster_access_maps_principals_to_groups(record_plan):
    import dataclasses
    import hashlib

    role = "arn:aws:iam::123456789012:role/acme-research"
    args = dataclasses.replace(_args(), cluster_access={role: ["research", "applied"]})
    plan = record_plan(lambda: AwsEnvironment(NAME, args) and None, env="staging")
    entry = plan.one("aws:eks/accessEntry:AccessEntry", f"{NAME}-access-{hashlib.sha256(role.encode()).hexdigest()[:8]}")
    assert entry.inputs["principalArn"] == role
    assert entry.inputs["kubernetesGroups"] == ["applied", "research"]
    assert entry.inputs["type"] == "STANDARD"
