"""The composed GCP environment: siblings wired together, protection applied, outputs for the platform layer."""

from __future__ import annotations

import pytest

from mlstack.engine.plan.mocks import physical_name
from mlstack.errors import EngineError

P = "acme-ml-1234"
R = "us-central1"
NAME = "acme-ml-staging"


def _args(**kw):
    from mlstack.components.gcp.audit import AuditArgs
    from mlstack.components.gcp.ci_trust import CiTrustArgs
    from mlstack.components.gcp.environment import (
        BucketArgs, ClusterArgs, ContainerRegistryArgs, GcpEnvironmentArgs, NetworkArgs, NodePoolArgs,
        SharedFileSystemArgs, TpuNodePoolArgs, TrackingDatabaseArgs,
    )

    base = dict(
        project_id=P, region=R, labels={"env": "staging"}, protect=True,
        network=NetworkArgs(project_id=P, region=R),
        cluster=ClusterArgs(project_id=P, region=R, kubernetes_version="1.31"),
        node_pools={
            "system": NodePoolArgs(project_id=P, location=R, pool_name="system", machine_type="e2-standard-4", min_node_count=1),
            "a100": NodePoolArgs(project_id=P, location=R, pool_name="a100", machine_type="a2-ultragpu-8g",
                                 accelerator_type="nvidia-a100-80gb", accelerator_count=8, node_locations=(f"{R}-a",)),
        },
        tpu_pools={"v5e": TpuNodePoolArgs(project_id=P, location=R, pool_name="v5e", zone=f"{R}-a", machine_type="ct5lp-hightpu-4t",
                                          tpu_topology="4x4", nodes_per_slice=4, accelerator_name="tpu-v5e")},
        shared_file_system=SharedFileSystemArgs(project_id=P, location=f"{R}-a", capacity_gib=1024),
        buckets={"datasets": BucketArgs(project_id=P, location=R), "artifacts": BucketArgs(project_id=P, location=R, labels={"env": "x"})},
        registry=ContainerRegistryArgs(project_id=P, location=R, repositories=("trainer", "serving")),
        tracking_database=TrackingDatabaseArgs(project_id=P, region=R),
        tracking_bucket="artifacts",
        ci_trust=CiTrustArgs(project_id=P, provider="github", repository="acme/ml", refs=("refs/heads/main",), pool_id="acme-ml-staging-ci"),
        audit=AuditArgs(project_id=P, retention_days=365),
    )
    base.update(kw)
    return GcpEnvironmentArgs(**base)


KEYS = ("kubeconfig", "cluster_name", "storage_class_provisioner", "storage_class_parameters", "bucket_names",
        "tracking_artifacts_uri", "mlflow_annotations", "tracking_database_uri", "registry_urls", "ci_provider_name",
        "ci_service_account_email", "workload_pool")


def _plan(record_plan, args):
    import pulumi

    from mlstack.components.gcp.environment import GcpEnvironment

    def program():
        env = GcpEnvironment(NAME, args)
        for k in KEYS:
            pulumi.export(k, getattr(env, k))

    return record_plan(program, env="staging", region=R, gcp_project=P)


def test_environment_wiring_and_outputs(record_plan):
    plan = _plan(record_plan, _args())
    env = plan.one("mlstack:gcp:Environment", NAME)
    assert {r.type for r in plan.children(env)} == {
        "mlstack:gcp:Network", "mlstack:gcp:Cluster", "mlstack:gcp:NodePool", "mlstack:gcp:TpuNodePool",
        "mlstack:gcp:SharedFileSystem", "mlstack:gcp:Bucket", "mlstack:gcp:ContainerRegistry",
        "mlstack:gcp:TrackingDatabase", "mlstack:gcp:WorkloadIdentity", "mlstack:gcp:CiTrust", "mlstack:gcp:Audit",
    }
    vpc = physical_name(f"{NAME}-network-vpc", {})
    vpc_link = f"https://www.googleapis.com/compute/v1/projects/{P}/global/networks/{vpc}"
    psa = physical_name(f"{NAME}-network-psa-range", {})
    cluster_name = physical_name(f"{NAME}-cluster-gke", {})
    node_sa = f"{NAME}-cluster-nodes@{P}.iam.gserviceaccount.com"

    gke = plan.one("gcp:container/cluster:Cluster", f"{NAME}-cluster-gke")
    assert gke.inputs["network"] == vpc_link
    assert gke.inputs["ipAllocationPolicy"] == {
        "clusterSecondaryRangeName": f"{NAME}-network-pods", "servicesSecondaryRangeName": f"{NAME}-network-services",
    }
    assert gke.inputs["deletionProtection"] is True and gke.protect
    assert gke.inputs["minMasterVersion"] == "1.31"
    for pool in plan.of_type("gcp:container/nodePool:NodePool"):
        assert pool.inputs["cluster"] == cluster_name
        assert pool.inputs["nodeConfig"]["serviceAccount"] == node_sa
        assert pool.inputs["nodeConfig"]["resourceLabels"] == {"env": "staging"}
    assert sorted(p.name for p in plan.of_type("gcp:container/nodePool:NodePool")) == [
        f"{NAME}-a100-pool", f"{NAME}-system-pool", f"{NAME}-v5e-slice-0",
    ]

    conn = plan.one("gcp:servicenetworking/connection:Connection", f"{NAME}-network-psa")
    db = plan.one("gcp:sql/databaseInstance:DatabaseInstance", f"{NAME}-tracking-db-postgres")
    assert db.inputs["settings"]["ipConfiguration"]["privateNetwork"] == vpc_link
    assert db.inputs["settings"]["ipConfiguration"]["allocatedIpRange"] == psa
    assert db.depends_on == [conn.urn]
    assert db.inputs["deletionProtection"] is True and db.inputs["settings"]["deletionProtectionEnabled"] is True
    fs = plan.one("gcp:filestore/instance:Instance", f"{NAME}-shared-filestore")
    assert fs.depends_on == [conn.urn]
    assert fs.protect and fs.inputs["deletionProtectionEnabled"] is True
    for b in plan.of_type("gcp:storage/bucket:Bucket"):
        assert b.protect and b.retain_on_delete
    assert plan.one("gcp:storage/bucket:Bucket", f"{NAME}-artifacts-bucket").inputs["labels"] == {"env": "x"}

    artifacts = physical_name(f"{NAME}-artifacts-bucket", {})
    grant = plan.one("gcp:storage/bucketIAMMember:BucketIAMMember", f"{NAME}-mlflow-artifacts")
    assert grant.inputs["bucket"] == artifacts
    assert len(plan.of_type("gcp:artifactregistry/repositoryIamMember:RepositoryIamMember")) == 2

    mlflow_sa = f"{NAME}-mlflow-gsa@{P}.iam.gserviceaccount.com"
    assert plan.outputs == {
        "kubeconfig": "[secret]",
        "cluster_name": cluster_name,
        "storage_class_provisioner": "filestore.csi.storage.gke.io",
        "storage_class_parameters": {
            "connect-mode": "PRIVATE_SERVICE_ACCESS", "network": vpc, "reserved-ip-range": psa, "tier": "standard",
        },
        "bucket_names": {"artifacts": artifacts, "datasets": physical_name(f"{NAME}-datasets-bucket", {})},
        "tracking_artifacts_uri": f"gs://{artifacts}/mlflow",
        "mlflow_annotations": {"iam.gke.io/gcp-service-account": mlflow_sa},
        "tracking_database_uri": "[secret]",
        "registry_urls": {"serving": f"{R}-docker.pkg.dev/{P}/serving", "trainer": f"{R}-docker.pkg.dev/{P}/trainer"},
        "ci_provider_name": "projects/000000000000/locations/global/workloadIdentityPools/acme-ml-staging-ci/providers/github",
        "ci_service_account_email": f"{NAME}-ci-sa@{P}.iam.gserviceaccount.com",
        "workload_pool": f"{P}.svc.id.goog",
    }


def test_environment_minimal_unprotected(record_plan):
    plan = _plan(
        record_plan,
        _args(protect=False, node_pools={}, tpu_pools={}, shared_file_system=None, buckets={}, registry=None,
              tracking_database=None, tracking_bucket=None, ci_trust=None, audit=None),
    )
    # An export of None is dropped from the stack outputs: absent parts leave no key.
    assert "storage_class_provisioner" not in plan.outputs and "tracking_database_uri" not in plan.outputs
    assert plan.outputs["registry_urls"] == {}
    assert plan.outputs["bucket_names"] == {}
    gke = plan.one("gcp:container/cluster:Cluster", f"{NAME}-cluster-gke")
    assert gke.inputs["deletionProtection"] is False and not gke.protect
    assert plan.of_type("gcp:sql/databaseInstance:DatabaseInstance") == []


def test_environment_rejects_unknown_tracking_bucket(record_plan):
    with pytest.raises(EngineError, match="tracking_bucket 'models' is not one of the buckets"):
        _plan(record_plan, _args(tracking_bucket="models"))
