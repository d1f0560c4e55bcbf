"""On-prem in-cluster services (postgres, object store, registry, NFS, node pools, audit) under recording mocks."""

from __future__ import annotations

import json

import pulumi
import pulumi_kubernetes as k8s
import pytest
import yaml


PG_IMAGE = "ghcr.io/cloudnative-pg/postgresql:16.6"
SEAWEEDFS_IMAGE = "docker.io/chrislusf/seaweedfs:4.47"
NFS_IMAGE = "registry.k8s.io/sig-storage/nfs-subdir-external-provisioner:v4.0.2"
HARDENED = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}




def _with_provider(build):
    def program():
        provider = k8s.Provider("test-k8s", kubeconfig="{}", context="lab")
        build(pulumi.ResourceOptions(provider=provider))

    return program


def _k8s_children(plan):
    return [r for r in plan.resources if r.type.startswith("kubernetes:") and r.type != "pulumi:providers:kubernetes"]


def test_postgres_cnpg_cluster(record_plan):
    from mlstack.components.onprem.postgres import InClusterPostgres, InClusterPostgresArgs

    def build(opts):
        pg = InClusterPostgres(
            "acme-ml-test-db",
            InClusterPostgresArgs(
                namespace="mlstack-postgres", operator_chart_version="0.23.0", postgres_image=PG_IMAGE,
                high_availability=True, size_gib=50, storage_class="ceph-rbd", protect=True,
            ),
            opts=opts,
        )
        pulumi.export("uri", pg.connection_uri)
        pulumi.export("host", pg.host)

    plan = record_plan(_with_provider(build))
    comp = plan.one("mlstack:k8s:InClusterPostgres", "acme-ml-test-db")
    op = plan.one("kubernetes:helm.sh/v3:Release", "acme-ml-test-db-operator")
    assert op.inputs["chart"] == "cloudnative-pg" and op.inputs["version"] == "0.23.0"
    assert op.inputs["repositoryOpts"] == {"repo": "https://cloudnative-pg.github.io/charts"}
    assert op.inputs["namespace"] == "cnpg-system"
    assert op.inputs["values"]["containerSecurityContext"] == {**HARDENED, "runAsUser": 10001, "runAsGroup": 10001}
    secret = plan.one("kubernetes:core/v1:Secret", "acme-ml-test-db-credentials")
    assert secret.inputs["type"] == "kubernetes.io/basic-auth"
    assert secret.inputs["metadata"]["name"] == "mlflow-db-mlflow"
    assert secret.inputs["metadata"]["namespace"] == "mlstack-postgres"
    assert secret.inputs["stringData"] == "[secret]"
    cluster = plan.one("kubernetes:postgresql.cnpg.io/v1:Cluster", "acme-ml-test-db-cluster")
    assert cluster.inputs["metadata"]["name"] == "mlflow-db"
    spec = cluster.inputs["spec"]
    assert spec["instances"] == 3 and spec["enablePDB"] is True
    assert spec["imageName"] == PG_IMAGE
    assert spec["affinity"]["podAntiAffinityType"] == "required"
    assert spec["bootstrap"] == {"initdb": {"database": "mlflow", "owner": "mlflow", "secret": {"name": "mlflow-db-mlflow"}}}
    assert spec["storage"] == {"size": "50Gi", "storageClass": "ceph-rbd"}
    assert spec["resources"] == {"limits": {"cpu": "500m", "memory": "1Gi"}, "requests": {"cpu": "500m", "memory": "1Gi"}}
    assert op.urn in cluster.depends_on
    for r in (cluster, secret, plan.one("random:index/randomPassword:RandomPassword", "acme-ml-test-db-password")):
        assert r.protect and r.retain_on_delete and r.parent == comp.urn
    assert not op.protect
    assert all(r.provider == "test-k8s" for r in _k8s_children(plan))
    assert plan.outputs["uri"] == "[secret]"
    assert plan.outputs["host"] == "mlflow-db-rw.mlstack-postgres.svc.cluster.local"


def test_postgres_single_instance_without_operator(record_plan):
    from mlstack.components.onprem.postgres import InClusterPostgres, InClusterPostgresArgs

    def build(opts):
        InClusterPostgres(
            "db", InClusterPostgresArgs(namespace="pg", operator_chart_version="0.23.0", postgres_image=PG_IMAGE, install_operator=False),
            opts=opts,
        )

    plan = record_plan(_with_provider(build))
    assert plan.of_type("kubernetes:helm.sh/v3:Release") == []
    cluster = plan.one("kubernetes:postgresql.cnpg.io/v1:Cluster", "db-cluster")
    assert cluster.inputs["spec"]["instances"] == 1 and cluster.inputs["spec"]["enablePDB"] is False
    assert cluster.inputs["spec"]["storage"] == {"size": "20Gi"}
    assert not cluster.protect and not cluster.retain_on_delete


def test_object_store_seaweedfs(record_plan):
    from mlstack.components.onprem.object_store import ObjectStore, ObjectStoreArgs

    def build(opts):
        s = ObjectStore(
            "acme-s3",
            ObjectStoreArgs(namespace="mlstack-object-store", image=SEAWEEDFS_IMAGE,
                            buckets={"datasets": False, "artifacts": True}, size_gib=500, protect=True),
            opts=opts,
        )
        pulumi.export("endpoint", s.endpoint)
        pulumi.export("buckets", s.bucket_names)
        pulumi.export("artifacts", s.artifacts_uri)
        pulumi.export("key", s.secret_access_key)

    plan = record_plan(_with_provider(build))
    assert not plan.of_type("kubernetes:helm.sh/v3:Release")  # rendered here, no chart
    sts = plan.one("kubernetes:apps/v1:StatefulSet", "acme-s3-server")
    assert sts.protect and sts.retain_on_delete
    spec = sts.inputs["spec"]
    assert (spec["replicas"], spec["serviceName"]) == (1, "seaweedfs")
    assert spec["persistentVolumeClaimRetentionPolicy"] == {"whenDeleted": "Retain", "whenScaled": "Retain"}
    (claim,) = spec["volumeClaimTemplates"]
    assert claim["spec"]["resources"]["requests"] == {"storage": "500Gi"} and claim["spec"]["accessModes"] == ["ReadWriteOnce"]
    pod = spec["template"]["spec"]
    (c,) = pod["containers"]
    assert c["image"] == SEAWEEDFS_IMAGE and c["command"] == ["weed"]
    assert c["args"] == [
        "server", "-dir=/data/volume", "-master.dir=/data/master", "-filer.defaultStoreDir=/data/filer",
        "-ip=$(POD_IP)", "-ip.bind=0.0.0.0", "-master.defaultReplication=000", "-master.volumeSizeLimitMB=1024",
        "-volume.max=0", "-s3", "-s3.port=8333", "-s3.config=/etc/seaweedfs/s3.json",
    ]
    assert {k: c["securityContext"][k] for k in HARDENED} == HARDENED
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["automountServiceAccountToken"] is False
    assert {m["mountPath"] for m in c["volumeMounts"]} == {"/data", "/etc/seaweedfs", "/tmp"}
    assert c["readinessProbe"]["tcpSocket"] == {"port": "s3"}
    assert c["resources"]["limits"] == {"cpu": "500m", "memory": "2Gi"}
    config = plan.one("kubernetes:core/v1:Secret", "acme-s3-s3-config")
    assert config.inputs["stringData"] == "[secret]" and config.protect
    svc = plan.one("kubernetes:core/v1:Service", "acme-s3-service")
    assert [(p["name"], p["port"]) for p in svc.inputs["spec"]["ports"]] == [("s3", 8333), ("master", 9333), ("filer", 8888)]
    policy = plan.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "acme-s3-network-policy").inputs["spec"]
    s3_rule, internal_rule = policy["ingress"]
    assert s3_rule == {"ports": [{"port": 8333, "protocol": "TCP"}]}  # the authenticated S3 port, from anywhere
    assert internal_rule["from"] == [{"podSelector": {}}]  # the unauthenticated ports: this namespace only
    assert [p["port"] for p in internal_rule["ports"]] == [9333, 19333, 8888, 18888, 8080, 18080]
    root = plan.one("kubernetes:core/v1:Secret", "acme-s3-root")
    assert root.inputs["stringData"] == "[secret]" and root.protect and root.retain_on_delete
    job = plan.one("kubernetes:batch/v1:Job", "acme-s3-setup")
    assert sts.urn in job.depends_on
    jpod = job.inputs["spec"]["template"]["spec"]
    (setup,) = jpod["containers"]
    assert setup["image"] == SEAWEEDFS_IMAGE and {k: setup["securityContext"][k] for k in HARDENED} == HARDENED
    script = setup["args"][0]
    shell = "weed shell -master=seaweedfs.mlstack-object-store.svc.cluster.local:9333 -filer=seaweedfs.mlstack-object-store.svc.cluster.local:8888"
    assert (f'echo "$existing" | grep -qw "artifacts" || echo "s3.bucket.create -name artifacts" | {shell}\n'
            f'echo "s3.bucket.versioning -name artifacts -enable" | {shell}\n'
            f'echo "$existing" | grep -qw "datasets" || echo "s3.bucket.create -name datasets" | {shell}\n') in script
    assert "versioning -name datasets" not in script
    assert plan.outputs["endpoint"] == "http://seaweedfs.mlstack-object-store.svc.cluster.local:8333"
    assert plan.outputs["buckets"] == ["artifacts", "datasets"]
    assert plan.outputs["artifacts"] == "s3://artifacts/mlflow"
    assert plan.outputs["key"] == "[secret]"
    assert all(r.provider == "test-k8s" for r in _k8s_children(plan))


def test_object_store_identities_and_tls():
    from mlstack.components.onprem.object_store import ObjectStoreArgs, s3_identities, server_args

    ids = s3_identities("root-secret", "mlflow-secret", "artifacts")["identities"]
    assert [(i["name"], i["credentials"][0]["accessKey"]) for i in ids] == [("root", "mlstack-root"), ("mlflow", "mlflow")]
    assert ids[0]["actions"] == ["Admin", "List", "Read", "Tagging", "Write"]
    assert ids[1]["actions"] == ["List:artifacts", "Read:artifacts", "Tagging:artifacts", "Write:artifacts"]  # its bucket only
    args = ObjectStoreArgs(namespace="x", image=SEAWEEDFS_IMAGE, buckets={"artifacts": True}, tls_secret_name="s3-tls")
    assert server_args(args)[-2:] == ["-s3.cert.file=/etc/seaweedfs/tls/tls.crt", "-s3.key.file=/etc/seaweedfs/tls/tls.key"]


def test_object_store_rejects_unpinned_and_missing_artifacts_bucket():
    from mlstack.components.onprem.object_store import ObjectStore, ObjectStoreArgs

    with pytest.raises(ValueError, match="latest"):
        ObjectStore("s", ObjectStoreArgs(namespace="x", image="docker.io/chrislusf/seaweedfs:latest", buckets={"artifacts": True}))
    with pytest.raises(ValueError, match="repository:tag"):
        ObjectStore("s", ObjectStoreArgs(namespace="x", image="docker.io/chrislusf/seaweedfs", buckets={"artifacts": True}))
    with pytest.raises(ValueError, match="artifacts bucket 'artifacts' is not one of the buckets"):
        ObjectStore("s", ObjectStoreArgs(namespace="x", image=SEAWEEDFS_IMAGE, buckets={"data": True}))


def test_image_registry_distribution(record_plan):
    from mlstack.components.onprem.image_registry import ImageRegistry, ImageRegistryArgs

    def build(opts):
        r = ImageRegistry("acme-reg", ImageRegistryArgs(namespace="mlstack-registry", image="registry:2.8.3", protect=True), opts=opts)
        pulumi.export("host", r.host)

    plan = record_plan(_with_provider(build))
    dep = plan.one("kubernetes:apps/v1:Deployment", "acme-reg-deployment")
    assert dep.inputs["metadata"]["namespace"] == "mlstack-registry"
    pod = dep.inputs["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    assert c["image"] == "registry:2.8.3"
    assert {k: c["securityContext"][k] for k in HARDENED} == HARDENED
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["fsGroup"] == 65532
    assert c["readinessProbe"]["tcpSocket"] == {"port": "http"} and c["livenessProbe"]
    assert c["resources"]["limits"] == {"cpu": "250m", "memory": "512Mi"}
    assert {m["mountPath"] for m in c["volumeMounts"]} == {"/var/lib/registry", "/auth", "/tmp"}
    env = {e["name"]: e.get("value") for e in c["env"]}
    assert env["REGISTRY_AUTH"] == "htpasswd"
    assert dep.inputs["spec"]["strategy"] == {"type": "Recreate"}
    pvc = plan.one("kubernetes:core/v1:PersistentVolumeClaim", "acme-reg-data")
    assert pvc.inputs["spec"]["resources"]["requests"] == {"storage": "200Gi"} and pvc.protect and pvc.retain_on_delete
    assert plan.one("kubernetes:core/v1:Secret", "acme-reg-auth").inputs["stringData"] == "[secret]"
    svc = plan.one("kubernetes:core/v1:Service", "acme-reg-service")
    assert svc.inputs["spec"]["type"] == "ClusterIP" and svc.inputs["spec"]["ports"][0]["port"] == 5000
    assert plan.outputs["host"] == "registry.mlstack-registry.svc.cluster.local:5000"
    assert all(r.provider == "test-k8s" for r in _k8s_children(plan))


def test_image_registry_rejects_latest():
    from mlstack.components.onprem.image_registry import ImageRegistry, ImageRegistryArgs

    with pytest.raises(ValueError, match="pin a version"):
        ImageRegistry("r", ImageRegistryArgs(namespace="x", image="registry:latest"))


def test_nfs_provisioner(record_plan):
    from mlstack.components.onprem.nfs_provisioner import NfsProvisioner, NfsProvisionerArgs

    def build(opts):
        n = NfsProvisioner(
            "acme-nfs",
            NfsProvisionerArgs(namespace="mlstack-nfs", server="nfs.lab.example.com", path="/exports/ml", chart_version="4.0.18",
                               image=NFS_IMAGE, mount_options=["nfsvers=4.1"]),
            opts=opts,
        )
        pulumi.export("provisioner", n.provisioner_name)
        pulumi.export("parameters", n.storage_parameters)

    plan = record_plan(_with_provider(build))
    rel = plan.one("kubernetes:helm.sh/v3:Release", "acme-nfs-nfs")
    assert (rel.inputs["chart"], rel.inputs["version"], rel.inputs["namespace"]) == ("nfs-subdir-external-provisioner", "4.0.18", "mlstack-nfs")
    v = rel.inputs["values"]
    assert v["nfs"] == {"server": "nfs.lab.example.com", "path": "/exports/ml", "mountOptions": ["nfsvers=4.1"]}
    assert v["storageClass"] == {"create": False, "provisionerName": "mlstack.io/nfs"}
    assert v["image"] == {"pullPolicy": "IfNotPresent", "repository": "registry.k8s.io/sig-storage/nfs-subdir-external-provisioner", "tag": "v4.0.2"}
    assert v["securityContext"] == HARDENED and v["resources"]["limits"]
    assert v["podSecurityContext"] == {
        "fsGroup": 65532, "runAsGroup": 65532, "runAsNonRoot": True, "runAsUser": 65532,
        "seccompProfile": {"type": "RuntimeDefault"},
    }  # fmt: skip
    assert plan.of_type("kubernetes:storage.k8s.io/v1:StorageClass") == []
    assert rel.provider == "test-k8s"
    assert plan.outputs == {"parameters": {"archiveOnDelete": "true"}, "provisioner": "mlstack.io/nfs"}


ROOT_POD = {"runAsGroup": 0, "runAsNonRoot": False, "runAsUser": 0, "seccompProfile": {"type": "RuntimeDefault"}}
# Root, yet no capabilities at all (ownership of the export suffices), no escalation, seccomp on.
ROOT_CONTAINER = {**HARDENED, "runAsNonRoot": False}


def test_nfs_provisioner_as_root(record_plan):
    from mlstack.components.onprem.nfs_provisioner import NfsProvisioner, NfsProvisionerArgs

    def build(opts):
        NfsProvisioner(
            "acme-nfs",
            NfsProvisionerArgs(namespace="mlstack-nfs", server="10.0.0.2", path="/shared", chart_version="4.0.18",
                               image=NFS_IMAGE, run_as_root=True),
            opts=opts,
        )

    v = record_plan(_with_provider(build)).one("kubernetes:helm.sh/v3:Release", "acme-nfs-nfs").inputs["values"]
    assert v["podSecurityContext"] == ROOT_POD
    assert v["securityContext"] == ROOT_CONTAINER
    assert v["securityContext"]["capabilities"] == {"drop": ["ALL"]}


def test_nfs_backend_runs_the_provisioner_as_root_by_default(record_plan):
    from mlstack.components.onprem.nfs_backend import NfsBackend, NfsBackendArgs

    def build(opts):
        NfsBackend(
            "acme-files",
            NfsBackendArgs(server="10.0.0.2", path="/shared", chart_version="4.0.18",
                           chart_repository="https://kubernetes-sigs.github.io/nfs-subdir-external-provisioner/",
                           image=NFS_IMAGE),
            opts=opts,
        )

    plan = record_plan(_with_provider(build))
    ns = plan.one("kubernetes:core/v1:Namespace", "acme-files-namespace")
    assert ns.inputs["metadata"]["name"] == "mlstack-nfs"
    # Root is allowed by "baseline", which the namespace enforces.
    assert ns.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "baseline"
    rel = plan.one("kubernetes:helm.sh/v3:Release", "acme-files-provisioner-nfs")
    assert rel.parent == plan.one("mlstack:k8s:NfsProvisioner", "acme-files-provisioner").urn
    v = rel.inputs["values"]
    assert v["nfs"] == {"server": "10.0.0.2", "path": "/shared"}
    assert v["podSecurityContext"] == ROOT_POD
    assert v["securityContext"] == ROOT_CONTAINER


def test_nfs_backend_non_root_on_request(record_plan):
    from mlstack.components.onprem.nfs_backend import NfsBackend, NfsBackendArgs

    def build(opts):
        NfsBackend(
            "acme-files",
            NfsBackendArgs(server="10.0.0.2", path="/shared", chart_version="4.0.18", chart_repository="https://x/",
                           image=NFS_IMAGE, run_as_root=False),
            opts=opts,
        )

    v = record_plan(_with_provider(build)).one("kubernetes:helm.sh/v3:Release", "acme-files-provisioner-nfs").inputs["values"]
    assert v["securityContext"] == HARDENED
    assert v["podSecurityContext"]["runAsUser"] == 65532


def test_nfs_provisioner_needs_server_and_path():
    from mlstack.components.onprem.nfs_provisioner import NfsProvisionerArgs, nfs_values

    from mlstack.components.onprem.nfs_provisioner import NfsProvisioner

    with pytest.raises(ValueError, match="server"):
        NfsProvisioner("n", NfsProvisionerArgs(namespace="x", server="", path="/p", chart_version="1", image=NFS_IMAGE))
    with pytest.raises(ValueError, match="pin"):
        nfs_values(NfsProvisionerArgs(namespace="x", server="s", path="/p", chart_version="1", image="img:latest"))


def test_onprem_node_pool_has_no_children(record_plan):
    from mlstack.components.onprem.node_setup import NodeTaint, OnPremNodePool, OnPremNodePoolArgs

    pools = {}

    def build(opts):
        pools["a100"] = OnPremNodePool(
            "a100",
            OnPremNodePoolArgs(
                selector={"mlstack.io/pool": "a100", "gpu": "a100"},
                taints=[NodeTaint(key="nvidia.com/gpu", value="present", effect="NoSchedule"), NodeTaint(key="dedicated", effect="NoExecute")],
                accelerator="nvidia-a100-80gb", gpus_per_node=8,
            ),
            opts=opts,
        )

    plan = record_plan(_with_provider(build))
    comp = plan.one("mlstack:k8s:OnPremNodePool", "a100")
    assert plan.children(comp) == []
    pool = pools["a100"]
    assert pool.node_selector == {"gpu": "a100", "mlstack.io/pool": "a100"}
    assert [(t.key, t.operator, t.value, t.effect) for t in pool.tolerations] == [
        ("dedicated", "Exists", None, "NoExecute"), ("nvidia.com/gpu", "Equal", "present", "NoSchedule"),
    ]
    assert pool.gpu and pool.gpus_per_node == 8


def test_onprem_node_pool_rejects_bad_input():
    from mlstack.components.onprem.node_setup import NodeTaint, OnPremNodePool, OnPremNodePoolArgs

    with pytest.raises(ValueError, match="selector"):
        OnPremNodePool("p", OnPremNodePoolArgs(selector={}))
    with pytest.raises(ValueError, match="effect"):
        OnPremNodePool("p", OnPremNodePoolArgs(selector={"a": "b"}, taints=[NodeTaint(key="k", effect="NoWay")]))


def test_audit_policy(record_plan):
    from mlstack.components.onprem.audit_policy import AuditPolicy, AuditPolicyArgs, policy

    out = {}

    def build(opts):
        out["a"] = AuditPolicy("acme-audit", AuditPolicyArgs(retention_days=90), opts=opts)

    plan = record_plan(_with_provider(build))
    cm = plan.one("kubernetes:core/v1:ConfigMap", "acme-audit-policy")
    assert cm.inputs["metadata"]["namespace"] == "mlstack-system" and cm.inputs["metadata"]["name"] == "mlstack-audit-policy"
    assert cm.provider == "test-k8s"
    doc = yaml.safe_load(cm.inputs["data"]["audit-policy.yaml"])
    assert doc == policy() and doc["apiVersion"] == "audit.k8s.io/v1" and doc["kind"] == "Policy"
    assert doc["rules"][-1] == {"level": "Metadata"}
    secrets_rule = next(r for r in doc["rules"] if any("secrets" in g.get("resources", []) for g in r.get("resources", [])))
    assert secrets_rule["level"] == "Metadata"  # never a Secret's body in the log
    assert "--audit-log-maxage=90" in out["a"].api_server_flags
    assert out["a"].policy_yaml == cm.inputs["data"]["audit-policy.yaml"]
