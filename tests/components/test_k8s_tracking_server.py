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
    assert c["resources"] == {"limits": {"cpu": "2", "memory": "1536Mi"}, "requests": {"cpu": "500m", "memory": "1Gi"}}
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
    migrate = plan.one("kubernetes:batch/v1:Job", "tracking-migrate")
    assert deployment.depends_on == [migrate.urn, hooks.urn]
    assert migrate.depends_on == [hooks.urn]
    pod = deployment.inputs["spec"]["template"]["spec"]
    assert {"configMap": {"defaultMode": 0o444, "name": "mlflow-python"}, "name": "python-hooks"} in pod["volumes"]
    container = pod["containers"][0]
    assert {"mountPath": "/opt/mlstack/python", "name": "python-hooks", "readOnly": True} in container["volumeMounts"]
    assert {"name": "PYTHONPATH", "value": "/opt/mlstack/python"} in container["env"]


def test_without_python_hooks_the_pod_has_no_hook_configmap_volume_or_pythonpath(record_plan):
    plan = _plan(record_plan)
    assert plan.of_type("kubernetes:core/v1:ConfigMap") == []
    deployment = plan.one("kubernetes:apps/v1:Deployment", "tracking-deployment")
    assert deployment.depends_on == [plan.one("kubernetes:batch/v1:Job", "tracking-migrate").urn]
    pod = deployment.inputs["spec"]["template"]["spec"]
    assert [v["name"] for v in pod["volumes"]] == ["tmp", "auth-config"]
    assert [m["name"] for m in pod["containers"][0]["volumeMounts"]] == ["tmp", "auth-config"]
    assert "PYTHONPATH" not in {e["name"] for e in pod["containers"][0]["env"]}


def test_job_runner_on_only_when_asked_and_extra_hosts_are_accepted(record_plan):
    c = _container(_plan(record_plan, job_execution=True, allowed_hosts=["mlflow.acme.internal"]))
    assert {"name": "MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "value": "true"} in c["env"]
    hosts = c["command"][c["command"].index("--allowed-hosts") + 1].split(",")
    assert hosts[-3:] == ["localhost:*", "127.0.0.1:*", "mlflow.acme.internal"]


def test_migrations_run_once_in_a_job_the_deployment_waits_for(record_plan):
    from mlstack.components.k8s.tracking_migrate import AUTH_MIGRATION, TRACKING_MIGRATION, migrate_job_name

    plan = _plan(record_plan, secret_env={"AWS_ACCESS_KEY_ID": "k"})
    job = plan.one("kubernetes:batch/v1:Job", "tracking-migrate")
    assert job.inputs["metadata"]["name"] == migrate_job_name(MLFLOW_IMAGE)
    assert migrate_job_name(MLFLOW_IMAGE).startswith("mlflow-migrate-") and len(migrate_job_name(MLFLOW_IMAGE)) == 23
    assert migrate_job_name("ghcr.io/mlflow/mlflow:v9.9.9") != migrate_job_name(MLFLOW_IMAGE)
    assert job.depends_on == [plan.one("kubernetes:core/v1:Secret", "tracking-env").urn]
    pod = job.inputs["spec"]["template"]["spec"]
    assert job.inputs["spec"]["backoffLimit"] == 3 and pod["restartPolicy"] == "Never"
    (init,) = pod["initContainers"]
    (auth,) = pod["containers"]
    assert (init["name"], init["command"]) == ("migrate-tracking", ["python", "-c", TRACKING_MIGRATION])
    assert (auth["name"], auth["command"]) == ("migrate-auth", ["python", "-c", AUTH_MIGRATION])
    # The same store, auth file and target environment as the server, so both migrate what it serves.
    server = _container(plan)
    assert auth["env"] == server["env"] == init["env"]
    assert auth["volumeMounts"] == server["volumeMounts"] and auth["image"] == server["image"] == MLFLOW_IMAGE
    deployment = plan.one(DEPLOY, "tracking-deployment")
    assert job.urn in deployment.depends_on
    assert hardening_violations(plan.resources) == []


def test_users_get_passwords_a_secret_in_their_namespace_and_the_migrations_job(record_plan):
    from mlstack.components.k8s.tracking_migrate import USERS_ENV, migrate_job_name

    plan = _plan(record_plan, users=["research", "mlstack-verify"], user_secrets={"research": "research"})
    passwords = sorted(r.name for r in plan.of_type("random:index/randomPassword:RandomPassword"))
    assert passwords == ["tracking-admin-password", "tracking-flask-secret-key", "tracking-user-mlstack-verify-password",
                         "tracking-user-research-password"]  # fmt: skip
    secret = plan.one("kubernetes:core/v1:Secret", "tracking-user-research")
    assert secret.inputs["metadata"]["name"] == "mlflow-research" and secret.inputs["metadata"]["namespace"] == "research"
    assert secret.inputs["type"] == "kubernetes.io/basic-auth"
    assert secret.inputs["stringData"] == "[secret]"  # the password makes the whole map a secret (contents: real_services)
    assert [r.name for r in plan.of_type("kubernetes:core/v1:Secret")] == ["tracking-admin", "tracking-config", "tracking-user-research"]
    job = plan.one("kubernetes:batch/v1:Job", "tracking-migrate")
    assert job.inputs["metadata"]["name"] == migrate_job_name(MLFLOW_IMAGE, ["mlstack-verify", "research"]) != migrate_job_name(MLFLOW_IMAGE)
    auth = job.inputs["spec"]["template"]["spec"]["containers"][0]
    assert auth["env"][-1] == {"name": USERS_ENV, "valueFrom": {"secretKeyRef": {"key": "users.json", "name": "mlflow-config"}}}
    assert USERS_ENV not in {e["name"] for e in _container(plan)["env"]}  # the server never sees the user list


def test_the_admin_is_not_a_user_and_secrets_name_users(record_plan):
    from mlstack.errors import EngineError

    with pytest.raises(EngineError, match="users must not include the admin"):
        _plan(record_plan, users=["admin"])
    with pytest.raises(EngineError, match="user_secrets must name users"):
        _plan(record_plan, users=["a"], user_secrets={"b": "b"})


def test_a_raised_rotation_is_the_keeper_of_that_users_password_and_names_a_new_migrations_job(record_plan):
    from mlstack.components.k8s.tracking_migrate import migrate_job_name

    users = ["applied", "mlstack-verify", "research"]
    plan = _plan(record_plan, users=users, password_rotations={"research": 2, "applied": 0})
    keepers = {r.name: r.inputs.get("keepers") for r in plan.of_type("random:index/randomPassword:RandomPassword")}
    # Only the raised one: a keeper added to a password generated before rotations existed would replace it.
    assert keepers == {"tracking-admin-password": None, "tracking-flask-secret-key": None, "tracking-user-applied-password": None,
                       "tracking-user-mlstack-verify-password": None, "tracking-user-research-password": {"rotation": "2"}}  # fmt: skip
    job = plan.one("kubernetes:batch/v1:Job", "tracking-migrate")
    assert job.inputs["metadata"]["name"] == migrate_job_name(MLFLOW_IMAGE, users, {"research": 2})
    assert migrate_job_name(MLFLOW_IMAGE, users, {"research": 2}) not in (
        migrate_job_name(MLFLOW_IMAGE, users), migrate_job_name(MLFLOW_IMAGE, users, {"research": 3}))
    assert migrate_job_name(MLFLOW_IMAGE, users, {"research": 0}) == migrate_job_name(MLFLOW_IMAGE, users)


def test_rotations_name_users(record_plan):
    from mlstack.errors import EngineError

    with pytest.raises(EngineError, match=r"user_secrets must name users \(password_rotations too\)"):
        _plan(record_plan, users=["a"], password_rotations={"b": 1})


def test_a_raised_admin_rotation_keeps_the_admins_password_and_names_a_new_migrations_job(record_plan):
    from mlstack.components.k8s.tracking_migrate import migrate_job_name

    users = ["mlstack-verify", "research"]
    plan = _plan(record_plan, users=users, admin_password_rotation=3)
    keepers = {r.name: r.inputs.get("keepers") for r in plan.of_type("random:index/randomPassword:RandomPassword")}
    assert keepers == {"tracking-admin-password": {"rotation": "3"}, "tracking-flask-secret-key": None,
                       "tracking-user-mlstack-verify-password": None, "tracking-user-research-password": None}  # fmt: skip
    job = plan.one("kubernetes:batch/v1:Job", "tracking-migrate")
    assert job.inputs["metadata"]["name"] == migrate_job_name(MLFLOW_IMAGE, users, {"admin": 3}) != migrate_job_name(MLFLOW_IMAGE, users)
    assert _plan(record_plan, users=users).one("kubernetes:batch/v1:Job", "tracking-migrate").inputs["metadata"]["name"] == (
        migrate_job_name(MLFLOW_IMAGE, users))  # 0: no keeper, the Job generated before rotations existed
