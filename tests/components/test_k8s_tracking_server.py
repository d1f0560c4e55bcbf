from __future__ import annotations

import pulumi
import pytest

from k8s_checks import MLFLOW_IMAGE, hardening_violations, record_with_provider

DEPLOY = "kubernetes:apps/v1:Deployment"
PDB = "kubernetes:policy/v1:PodDisruptionBudget"


def _args(**kw):
    from mlstack.components.k8s.tracking_server import TrackingServerArgs

    base = dict(
        image=MLFLOW_IMAGE,
        database_uri=pulumi.Output.secret("postgresql://mlflow:pw@db:5432/mlflow"),
        auth_database_uri=pulumi.Output.secret("postgresql://mlflow:pw@db:5432/mlflow_auth"),
        artifacts_uri="s3://acme-ml-test-artifacts/mlflow",
    )
    base.update(kw)
    return TrackingServerArgs(**base)


def _plan(record_plan, **kw):
    from mlstack.components.k8s.tracking_server import TrackingServer

    holder = {}

    def build(opts):
        holder["server"] = TrackingServer("tracking", _args(**kw), opts)
        pulumi.export("tracking_uri", holder["server"].tracking_uri)
        pulumi.export("admin_secret_name", holder["server"].admin_secret_name)

    return record_with_provider(record_plan, build)


def _container(plan):
    return plan.one(DEPLOY, "tracking-deployment").inputs["spec"]["template"]["spec"]["containers"][0]


def test_deployment_runs_mlflow_server_with_basic_auth(record_plan):
    plan = _plan(
        record_plan,
        service_account_annotations={"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/mlflow"},
        allowed_namespaces=["vision", "research", "research"],
    )
    dep = plan.one(DEPLOY, "tracking-deployment")
    assert dep.provider == "test-k8s"
    assert dep.inputs["metadata"]["name"] == "mlflow" and dep.inputs["metadata"]["namespace"] == "mlflow"
    assert dep.inputs["spec"]["replicas"] == 1
    c = _container(plan)
    assert c["image"] == MLFLOW_IMAGE
    assert c["command"] == [
        "mlflow", "server", "--host", "0.0.0.0", "--port", "5000", "--workers", "2",
        "--app-name", "basic-auth", "--serve-artifacts", "--artifacts-destination", "s3://acme-ml-test-artifacts/mlflow",
        "--allowed-hosts",
        "mlflow.mlflow.svc.cluster.local:5000,mlflow.mlflow.svc:5000,mlflow.mlflow:5000,mlflow:5000,"
        "mlflow.mlflow.svc.cluster.local,mlflow.mlflow.svc,mlflow.mlflow,mlflow,localhost:*,127.0.0.1:*",
        "--uvicorn-opts", "--timeout-worker-healthcheck 60",
    ]  # fmt: skip
    assert c["env"] == [
        {"name": "MLFLOW_BACKEND_STORE_URI", "valueFrom": {"secretKeyRef": {"key": "backend-store-uri", "name": "mlflow-config"}}},
        {"name": "MLFLOW_FLASK_SERVER_SECRET_KEY", "valueFrom": {"secretKeyRef": {"key": "flask-secret-key", "name": "mlflow-config"}}},
        {"name": "MLFLOW_AUTH_CONFIG_PATH", "value": "/etc/mlflow/auth/basic_auth.ini"},
        {"name": "HOME", "value": "/tmp"},
        {"name": "MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "value": "false"},
    ]
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert c[probe]["httpGet"] == {"path": "/health", "port": "http"}
    assert c["resources"] == {"limits": {"cpu": "2", "memory": "2Gi"}, "requests": {"cpu": "500m", "memory": "1Gi"}}
    assert c["ports"] == [{"containerPort": 5000, "name": "http", "protocol": "TCP"}]
    pod = dep.inputs["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "mlflow" and pod["automountServiceAccountToken"] is False
    assert "topologySpreadConstraints" not in pod
    assert hardening_violations(plan.resources) == []
    assert plan.of_type(PDB) == []
    sa = plan.one("kubernetes:core/v1:ServiceAccount", "tracking-sa")
    assert sa.inputs["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/mlflow"}
    svc = plan.one("kubernetes:core/v1:Service", "tracking-service")
    assert svc.inputs["spec"]["type"] == "ClusterIP"
    assert svc.inputs["spec"]["ports"] == [{"name": "http", "port": 5000, "protocol": "TCP", "targetPort": "http"}]
    assert svc.inputs["metadata"]["name"] == "mlflow"
    np = plan.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", "tracking-ingress").inputs["spec"]
    assert np["policyTypes"] == ["Ingress"]
    assert np["ingress"] == [
        {
            "from": [{"namespaceSelector": {"matchExpressions": [
                {"key": "kubernetes.io/metadata.name", "operator": "In", "values": ["research", "vision"]}
            ]}}],
            "ports": [{"port": 5000, "protocol": "TCP"}],
        }
    ]  # fmt: skip
    assert plan.outputs == {"admin_secret_name": "mlflow-admin", "tracking_uri": "http://mlflow.mlflow.svc.cluster.local:5000"}


def test_secrets_are_masked_in_the_plan(record_plan):
    plan = _plan(record_plan)
    config = plan.one("kubernetes:core/v1:Secret", "tracking-config")
    assert config.inputs["stringData"] == "[secret]"
    admin = plan.one("kubernetes:core/v1:Secret", "tracking-admin")
    assert admin.inputs["metadata"]["name"] == "mlflow-admin"
    assert admin.inputs["type"] == "kubernetes.io/basic-auth"
    assert admin.inputs["stringData"] == "[secret]"
    pw = plan.one("random:index/randomPassword:RandomPassword", "tracking-admin-password")
    assert pw.inputs["length"] == 32 and pw.inputs["special"] is False
    ns = plan.one("kubernetes:core/v1:Namespace", "tracking-ns")
    assert ns.inputs["metadata"]["name"] == "mlflow"
    assert ns.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


def test_replicas_add_pdb_and_spread(record_plan):
    plan = _plan(record_plan, replicas=3)
    pdb = plan.one(PDB, "tracking-pdb")
    assert pdb.inputs["spec"] == {
        "minAvailable": 1,
        "selector": {"matchLabels": {"app.kubernetes.io/component": "tracking-server", "app.kubernetes.io/name": "mlflow"}},
    }
    pod = plan.one(DEPLOY, "tracking-deployment").inputs["spec"]["template"]["spec"]
    assert pod["topologySpreadConstraints"][0]["topologyKey"] == "kubernetes.io/hostname"


def test_onprem_env_extras(record_plan):
    plan = _plan(
        record_plan,
        env={"MLFLOW_S3_ENDPOINT_URL": "http://minio.minio.svc.cluster.local:9000"},
        secret_env={"AWS_SECRET_ACCESS_KEY": "s", "AWS_ACCESS_KEY_ID": "k"},  # plain: the component makes them secret
    )
    env = _container(plan)["env"][5:]  # after the five every pod has
    assert env == [
        {"name": "MLFLOW_S3_ENDPOINT_URL", "value": "http://minio.minio.svc.cluster.local:9000"},
        {"name": "AWS_ACCESS_KEY_ID", "valueFrom": {"secretKeyRef": {"key": "AWS_ACCESS_KEY_ID", "name": "mlflow-env"}}},
        {"name": "AWS_SECRET_ACCESS_KEY", "valueFrom": {"secretKeyRef": {"key": "AWS_SECRET_ACCESS_KEY", "name": "mlflow-env"}}},
    ]
    secret = plan.one("kubernetes:core/v1:Secret", "tracking-env")
    assert secret.inputs["metadata"]["name"] == "mlflow-env" and secret.inputs["stringData"] == "[secret]"


def test_auth_ini_escapes_percent():
    from mlstack.components.k8s.tracking_server import render_auth_ini

    assert render_auth_ini("postgresql://u:p%40ss@db/mlflow_auth", "admin", "pw", "READ").splitlines() == [
        "[mlflow]",
        "default_permission = READ",
        "database_uri = postgresql://u:p%%40ss@db/mlflow_auth",
        "admin_username = admin",
        "admin_password = pw",
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth",
    ]


def test_replicas_must_be_positive(record_plan):
    from mlstack.errors import EngineError

    with pytest.raises(EngineError, match="replicas must be at least 1"):
        _plan(record_plan, replicas=0)


def test_python_hooks_are_mounted_from_their_configmap(record_plan):
    hook = "import os\nos.environ.setdefault('X', '1')\n"
    plan = _plan(record_plan, python_hooks={"sitecustomize.py": hook, "a_helper.py": "VALUE = 1\n"})
    hooks = plan.one("kubernetes:core/v1:ConfigMap", "tracking-python")
    assert hooks.inputs["metadata"]["name"] == "mlflow-python" and hooks.inputs["metadata"]["namespace"] == "mlflow"
    assert hooks.inputs["data"] == {"a_helper.py": "VALUE = 1\n", "sitecustomize.py": hook}
    deployment = plan.one("kubernetes:apps/v1:Deployment", "tracking-deployment")
    assert deployment.depends_on == [hooks.urn]
    pod = deployment.inputs["spec"]["template"]["spec"]
    assert {"configMap": {"defaultMode": 0o444, "name": "mlflow-python"}, "name": "python-hooks"} in pod["volumes"]
    container = pod["containers"][0]
    assert {"mountPath": "/opt/mlstack/python", "name": "python-hooks", "readOnly": True} in container["volumeMounts"]
    assert {"name": "PYTHONPATH", "value": "/opt/mlstack/python"} in container["env"]


def test_without_python_hooks_the_pod_has_no_hook_configmap_volume_or_pythonpath(record_plan):
    plan = _plan(record_plan)
    assert plan.of_type("kubernetes:core/v1:ConfigMap") == []
    deployment = plan.one("kubernetes:apps/v1:Deployment", "tracking-deployment")
    assert deployment.depends_on == []
    pod = deployment.inputs["spec"]["template"]["spec"]
    assert [v["name"] for v in pod["volumes"]] == ["tmp", "auth-config"]
    assert [m["name"] for m in pod["containers"][0]["volumeMounts"]] == ["tmp", "auth-config"]
    assert "PYTHONPATH" not in {e["name"] for e in pod["containers"][0]["env"]}


def test_job_runner_on_only_when_asked_and_extra_hosts_are_accepted(record_plan):
    c = _container(_plan(record_plan, job_execution=True, allowed_hosts=["mlflow.acme.internal"]))
    assert {"name": "MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "value": "true"} in c["env"]
    hosts = c["command"][c["command"].index("--allowed-hosts") + 1].split(",")
    assert hosts[-3:] == ["localhost:*", "127.0.0.1:*", "mlflow.acme.internal"]
