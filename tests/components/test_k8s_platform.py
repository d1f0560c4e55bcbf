from __future__ import annotations

import pytest

from k8s_checks import MLFLOW_IMAGE, hardening_violations, manifests, record_sample_platform

from mlstack.components.k8s.tracking_migrate import migrate_job_name

NAME = "acme-ml-test"


def test_composition(record_plan):
    plan = record_sample_platform(record_plan, "aws")
    root = plan.one("mlstack:k8s:Platform", NAME)
    assert sorted((r.type, r.name) for r in plan.children(root)) == [
        ("mlstack:k8s:CiAccess", f"{NAME}-ci"),
        ("mlstack:k8s:GpuSupport", f"{NAME}-gpu"),
        ("mlstack:k8s:SharedStorage", f"{NAME}-storage"),
        ("mlstack:k8s:Team", f"{NAME}-research"),
        ("mlstack:k8s:Team", f"{NAME}-vision"),
        ("mlstack:k8s:TrackingServer", f"{NAME}-tracking"),
        ("mlstack:k8s:VerifyJob", f"{NAME}-verify"),
    ]
    assert {r.provider for r in plan.resources if r.type.startswith("kubernetes:")} == {"test-k8s"}
    assert hardening_violations(plan.resources) == []
    by_type = plan.summary()["by_type"]
    # 4 per team + the tracking server's + the GPU verification Jobs' egress
    assert by_type["kubernetes:networking.k8s.io/v1:NetworkPolicy"] == 10
    assert by_type["kubernetes:core/v1:Namespace"] == 6
    assert by_type["kubernetes:helm.sh/v3:Release"] == 1
    # 46 Kubernetes (45 objects: the MLflow migrations Job, a user Secret per team, the a100 pool's verification
    # GPU Job and its egress policy; + 1 release), 8 components, 5 passwords, 1 provider
    assert len(plan.resources) == 60
    assert [j.name for j in plan.of_type("kubernetes:batch/v1:Job") if "-verify-" in j.name] == [f"{NAME}-verify-gpu-a100", f"{NAME}-verify-job"]


def test_wiring(record_plan):
    plan = record_sample_platform(record_plan, "aws")
    # Team namespaces are the teams' names.
    names = sorted(r.inputs["metadata"]["name"] for r in plan.of_type("kubernetes:core/v1:Namespace"))
    assert names == ["mlflow", "mlstack-ci", "mlstack-system", "nvidia-device-plugin", "research", "vision"]
    # A shared claim in every team namespace and in the verification namespace.
    pvcs = plan.of_type("kubernetes:core/v1:PersistentVolumeClaim")
    assert sorted(r.inputs["metadata"]["namespace"] for r in pvcs) == ["mlstack-system", "research", "vision"]
    assert {r.inputs["metadata"]["name"] for r in pvcs} == {"shared"}
    # The tracking server admits the teams and the verification Job.
    np = plan.one("kubernetes:networking.k8s.io/v1:NetworkPolicy", f"{NAME}-tracking-ingress").inputs["spec"]
    expr = np["ingress"][0]["from"][0]["namespaceSelector"]["matchExpressions"][0]
    assert expr["values"] == ["mlstack-system", "research", "vision"]
    # CI gets a Role in each team namespace only.
    roles = plan.of_type("kubernetes:rbac.authorization.k8s.io/v1:Role")
    assert sorted(r.inputs["metadata"]["namespace"] for r in roles) == ["research", "vision"]
    # The verification Job logs to the tracking server as its admin.
    job = plan.one("kubernetes:batch/v1:Job", f"{NAME}-verify-job").inputs["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in job["env"]}
    assert env["MLFLOW_TRACKING_URI"] == "http://mlflow.mlflow.svc.cluster.local:5000"
    assert plan.one("kubernetes:core/v1:Secret", f"{NAME}-verify-mlflow").inputs["stringData"] == "[secret]"
    quota = plan.one("kubernetes:core/v1:ResourceQuota", f"{NAME}-research-quota")
    assert quota.inputs["spec"]["hard"]["requests.nvidia.com/gpu"] == "16"
    # The team label is the team's key, not the component's resource name.
    assert quota.inputs["metadata"]["labels"]["mlstack.io/team"] == "research"
    team_ns = plan.one("kubernetes:core/v1:Namespace", f"{NAME}-vision-ns")
    assert team_ns.inputs["metadata"]["labels"]["mlstack.io/team"] == "vision"


def _objects(plan):
    return {(m["kind"], m["metadata"].get("namespace", ""), m["metadata"]["name"]): m for _, m in manifests(plan.resources)}


def test_same_objects_on_aws_and_onprem_except_bound_fields(record_plan):
    aws = _objects(record_sample_platform(record_plan, "aws"))
    onprem = _objects(record_sample_platform(record_plan, "onprem"))
    only_aws = set(aws) - set(onprem)
    only_onprem = set(onprem) - set(aws)
    # GPU support differs by choice (device plugin vs operator); AWS has its database-password hook; on-prem
    # has the object store's credentials Secret and the CI token.
    assert only_aws == {("Namespace", "", "nvidia-device-plugin"), ("ConfigMap", "mlflow", "mlflow-python")}
    assert only_onprem == {
        ("Namespace", "", "gpu-operator"),
        ("Secret", "mlflow", "mlflow-env"),
        ("Secret", "mlstack-ci", "mlstack-ci-token"),
    }
    differing = sorted(k for k in set(aws) & set(onprem) if aws[k] != onprem[k])
    (migrate,) = [k for k in differing if k[0] == "Job"]
    assert migrate[1:] == ("mlflow", migrate_job_name(MLFLOW_IMAGE, ["mlstack-verify", "research", "vision"]))
    assert differing == [
        ("Deployment", "mlflow", "mlflow"),  # artifacts URI, the object store's endpoint/credential env, AWS's hook volume
        migrate,  # the migrations Job: the same env and volumes as the server
        ("RoleBinding", "research", "mlstack-ci"),  # the CI identity's subjects
        ("RoleBinding", "vision", "mlstack-ci"),
        ("ServiceAccount", "mlflow", "mlflow"),  # identity annotation
        ("StorageClass", "", "shared"),  # provisioner, parameters, mount options
    ]


def test_team_namespace_may_not_take_a_system_one(record_plan):
    from mlstack.components.k8s.team import TeamArgs
    from mlstack.errors import EngineError

    with pytest.raises(EngineError, match="must be distinct and none of"):
        record_sample_platform(record_plan, "aws", teams={"ops": TeamArgs(group="ops", namespace="mlflow")})


def test_without_gpu_and_ci(record_plan):
    plan = record_sample_platform(record_plan, "aws", gpu=None, ci=None)
    assert plan.of_type("mlstack:k8s:GpuSupport") == [] and plan.of_type("mlstack:k8s:CiAccess") == []
    assert plan.of_type("kubernetes:helm.sh/v3:Release") == []
