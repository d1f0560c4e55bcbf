"""OnPremEnvironment: what a cloud would give, composed on an existing cluster, under recording mocks."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s
import pytest


PINS = dict(
    cnpg_chart_version="0.23.0",
    postgres_image="ghcr.io/cloudnative-pg/postgresql:16.6",
    object_store_image="docker.io/chrislusf/seaweedfs:4.47",
    registry_image="registry:2.8.3",
    nfs_chart_version="4.0.18",
    nfs_image="registry.k8s.io/sig-storage/nfs-subdir-external-provisioner:v4.0.2",
)
OUTPUTS = [
    "tracking_database_uri", "tracking_artifacts_uri", "s3_endpoint_url", "s3_credentials_secret_name",
    "s3_credentials_secret_namespace", "s3_secret_access_key", "storage_provisioner", "storage_parameters",
    "registry_host", "bucket_names",
]


def _plan(record_plan, **overrides):
    from mlstack.components.onprem.environment import OnPremEnvironment, OnPremEnvironmentArgs

    def program():
        provider = k8s.Provider("test-k8s", kubeconfig="{}", context="lab")
        kwargs = dict(PINS, nfs_server="nfs.lab.example.com", nfs_path="/exports/mlstack", buckets={"artifacts": True, "datasets": False})
        kwargs.update(overrides)
        env = OnPremEnvironment("acme-ml-onprem", OnPremEnvironmentArgs(**kwargs), opts=pulumi.ResourceOptions(provider=provider))
        for key in OUTPUTS:
            pulumi.export(key, getattr(env, key))

    return record_plan(program, env="onprem")


def test_environment_composes_services(record_plan):
    plan = _plan(record_plan, protect=True)
    env = plan.one("mlstack:k8s:OnPremEnvironment", "acme-ml-onprem")
    kids = {(r.type, r.name) for r in plan.children(env)}
    assert {
        ("mlstack:k8s:InClusterPostgres", "acme-ml-onprem-postgres"),
        ("mlstack:k8s:ObjectStore", "acme-ml-onprem-object-store"),
        ("mlstack:k8s:ImageRegistry", "acme-ml-onprem-registry"),
        ("mlstack:k8s:NfsProvisioner", "acme-ml-onprem-nfs"),
        ("mlstack:k8s:AuditPolicy", "acme-ml-onprem-audit"),
        ("kubernetes:core/v1:Secret", "acme-ml-onprem-mlflow-s3"),
    } <= kids
    # every Kubernetes object goes through the explicit provider, none through the default one
    k8s_objects = [r for r in plan.resources if r.type.startswith("kubernetes:")]
    assert len(k8s_objects) == 24  # the object store: 3 Secrets, Service, StatefulSet, NetworkPolicy, setup Job
    assert {r.provider for r in k8s_objects} == {"test-k8s"}
    assert plan.outputs == {
        "bucket_names": ["artifacts", "datasets"],
        "registry_host": "registry.mlstack-registry.svc.cluster.local:5000",
        "s3_credentials_secret_name": "mlflow-s3-credentials",
        "s3_credentials_secret_namespace": "mlstack-system",
        "s3_endpoint_url": "http://seaweedfs.mlstack-object-store.svc.cluster.local:8333",
        "s3_secret_access_key": "[secret]",
        "storage_parameters": {"archiveOnDelete": "true"},
        "storage_provisioner": "mlstack.io/nfs",
        "tracking_artifacts_uri": "s3://artifacts/mlflow",
        "tracking_database_uri": "[secret]",
    }


def test_namespaces_pod_security_and_protection(record_plan):
    plan = _plan(record_plan, protect=True)
    ns = {r.inputs["metadata"]["name"]: r for r in plan.of_type("kubernetes:core/v1:Namespace")}
    assert sorted(ns) == ["cnpg-system", "mlstack-nfs", "mlstack-object-store", "mlstack-postgres", "mlstack-registry", "mlstack-system"]
    for name, r in ns.items():
        labels = r.inputs["metadata"]["labels"]
        # nfs volumes are not allowed under "restricted": the provisioner's namespace enforces baseline
        assert labels["pod-security.kubernetes.io/enforce"] == ("baseline" if name == "mlstack-nfs" else "restricted")
        assert labels["pod-security.kubernetes.io/warn"] == "restricted"
        holds_data = name in ("mlstack-object-store", "mlstack-postgres", "mlstack-registry")
        assert (r.protect, r.retain_on_delete) == (holds_data, holds_data)
    cluster = plan.one("kubernetes:postgresql.cnpg.io/v1:Cluster", "acme-ml-onprem-postgres-cluster")
    assert cluster.protect and cluster.retain_on_delete and cluster.inputs["metadata"]["namespace"] == "mlstack-postgres"
    nfs = plan.one("kubernetes:helm.sh/v3:Release", "acme-ml-onprem-nfs-nfs")
    assert nfs.inputs["values"]["nfs"] == {"server": "nfs.lab.example.com", "path": "/exports/mlstack"}
    assert nfs.inputs["values"]["storageClass"]["create"] is False
    s3 = plan.one("kubernetes:core/v1:Secret", "acme-ml-onprem-mlflow-s3")
    assert s3.inputs["metadata"]["namespace"] == "mlstack-system" and s3.inputs["stringData"] == "[secret]"
    cm = plan.one("kubernetes:core/v1:ConfigMap", "acme-ml-onprem-audit-policy")
    assert cm.inputs["metadata"]["namespace"] == "mlstack-system"


def test_unprotected_and_existing_namespaces(record_plan):
    plan = _plan(record_plan, create_system_namespace=False, install_cnpg_operator=False, database_high_availability=True,
                 storage_class="local-ssd", registry_external_host="registry.lab.example.com")
    names = {r.inputs["metadata"]["name"] for r in plan.of_type("kubernetes:core/v1:Namespace")}
    assert "mlstack-system" not in names and "cnpg-system" not in names
    assert not any(r.protect or r.retain_on_delete for r in plan.resources)
    assert plan.of_type("kubernetes:helm.sh/v3:Release") and all(
        r.inputs["chart"] != "cloudnative-pg" for r in plan.of_type("kubernetes:helm.sh/v3:Release")
    )
    spec = plan.one("kubernetes:postgresql.cnpg.io/v1:Cluster", "acme-ml-onprem-postgres-cluster").inputs["spec"]
    assert spec["instances"] == 3 and spec["storage"]["storageClass"] == "local-ssd"
    assert plan.outputs["registry_host"] == "registry.lab.example.com"


def test_missing_artifacts_bucket_fails_before_registering():
    from mlstack.components.onprem.object_store import ObjectStore, ObjectStoreArgs

    with pytest.raises(ValueError, match="artifacts bucket"):
        ObjectStore("s", ObjectStoreArgs(namespace="x", image=PINS["object_store_image"], buckets={"data": True}))
