"""The workload layer's components under Pulumi's mocks: Kueue, its queue objects, JobSet, Trainer, KubeRay.
Exact objects, and every custom resource validated against the strict CRD schemas (tests/crd_schemas)."""

from __future__ import annotations

import json

import pytest
from crd_schemas import validate_custom
from k8s_checks import manifests, record_with_provider

RELEASE = "kubernetes:helm.sh/v3:Release"
NS = "kubernetes:core/v1:Namespace"
KUEUE = "kueue.x-k8s.io/v1beta2"
FLAVOR = f"kubernetes:{KUEUE}:ResourceFlavor"
CQ = f"kubernetes:{KUEUE}:ClusterQueue"
LQ = f"kubernetes:{KUEUE}:LocalQueue"
WPC = f"kubernetes:{KUEUE}:WorkloadPriorityClass"
CTR = "kubernetes:trainer.kubeflow.org/v1alpha1:ClusterTrainingRuntime"
K8S_VERSION = "1.33"
RESTRICTED = {
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/enforce": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
}


def _custom_errors(plan) -> list[str]:
    errors = []
    for reg, manifest in manifests(plan.resources):
        if "/" in manifest["apiVersion"] and manifest["apiVersion"].split("/")[0].endswith(("x-k8s.io", "kubeflow.org")):
            errors += validate_custom(manifest, reg.urn, K8S_VERSION)
    return errors


# -- Kueue -------------------------------------------------------------------------------------------------


def _kueue(record_plan, **kw):
    from mlstack.components.k8s.kueue import Kueue, KueueArgs

    args = {"chart_version": "0.19.2", "image": "registry.k8s.io/kueue/kueue:v0.19.2", **kw}
    return record_with_provider(record_plan, lambda opts: Kueue("acme-ml-test-kueue", KueueArgs(**args), opts))


def test_kueue_release_is_pinned_and_hardened(record_plan):
    plan = _kueue(record_plan)
    comp = plan.one("mlstack:k8s:Kueue", "acme-ml-test-kueue")
    rel = plan.one(RELEASE, "acme-ml-test-kueue-release")
    ns = plan.one(NS, "acme-ml-test-kueue-ns")
    assert rel.parent == ns.parent == comp.urn and rel.provider == "test-k8s"
    assert (rel.inputs["chart"], rel.inputs["name"], rel.inputs["version"]) == ("kueue", "kueue", "0.19.2")
    assert rel.inputs["repositoryOpts"] == {"repo": "oci://registry.k8s.io/kueue/charts"}
    assert rel.inputs["namespace"] == "kueue-system"
    assert rel.inputs["atomic"] is True and rel.inputs["cleanupOnFail"] is True
    labels = ns.inputs["metadata"]["labels"]
    assert {k: labels[k] for k in RESTRICTED} == RESTRICTED
    values = rel.inputs["values"]
    manager = values["controllerManager"]["manager"]
    assert manager["image"] == {"repository": "registry.k8s.io/kueue/kueue", "tag": "v0.19.2", "pullPolicy": "IfNotPresent"}
    assert manager["resources"] == {"requests": {"cpu": "500m", "memory": "512Mi"}, "limits": {"cpu": "2", "memory": "512Mi"}}
    assert manager["podSecurityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    assert manager["containerSecurityContext"] == {
        "readOnlyRootFilesystem": True,
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
    }
    assert values["controllerManager"]["replicas"] == 2
    assert values["controllerManager"]["podDisruptionBudget"] == {"enabled": True, "minAvailable": 1}
    assert (values["enablePrometheus"], values["enableCertManager"], values["enableKueueViz"]) == (False, False, False)
    assert len(plan.children(comp)) == 2


def test_kueue_configuration_queues_by_label_and_gangs_by_pods_ready(record_plan):
    plan = _kueue(record_plan, frameworks=("batch/job", "jobset.x-k8s.io/jobset", "ray.io/rayjob"), pods_ready_timeout_seconds=300)
    text = plan.one(RELEASE, "acme-ml-test-kueue-release").inputs["values"]["managerConfig"]["controllerManagerConfigYaml"]
    config = json.loads(text)  # JSON is YAML; the chart writes the text as the controller's config file
    assert config["apiVersion"] == "config.kueue.x-k8s.io/v1beta2" and config["kind"] == "Configuration"
    assert config["manageJobsWithoutQueueName"] is False
    assert config["integrations"] == {"frameworks": ["batch/job", "jobset.x-k8s.io/jobset", "ray.io/rayjob"]}
    assert config["waitForPodsReady"] == {
        "timeout": "300s",
        "blockAdmission": False,
        "requeuingStrategy": {"timestamp": "Eviction", "backoffLimitCount": 5},
    }
    assert config["leaderElection"]["leaderElect"] is True


def test_kueue_default_frameworks():
    from mlstack.components.k8s.kueue import KueueArgs, kueue_configuration

    config = kueue_configuration(KueueArgs(chart_version="0.19.2", image="registry.k8s.io/kueue/kueue:v0.19.2"))
    assert config["integrations"]["frameworks"] == ["batch/job", "jobset.x-k8s.io/jobset", "trainer.kubeflow.org/trainjob"]
    assert config["waitForPodsReady"]["timeout"] == "600s"


def test_kueue_refuses_a_floating_image(record_plan):
    from mlstack.errors import EngineError

    with pytest.raises(EngineError, match="must pin a version"):
        _kueue(record_plan, image="registry.k8s.io/kueue/kueue:latest")


# -- queue objects ----------------------------------------------------------------------------------------


def _queues_args(**kw):
    from mlstack.components.k8s.workload_queues import FlavorArgs, TeamQueueArgs, WorkloadQueuesArgs

    gpu_tol = [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    args = {
        "flavors": {
            "a100": FlavorArgs(resource="nvidia.com/gpu", node_labels={"mlstack.io/pool": "a100"}, tolerations=gpu_tol),
            "l4": FlavorArgs(resource="nvidia.com/gpu", node_labels={"mlstack.io/pool": "l4"}, tolerations=gpu_tol),
            "v5e": FlavorArgs(
                resource="google.com/tpu",
                node_labels={"mlstack.io/pool": "v5e", "cloud.google.com/gke-tpu-topology": "4x4"},
                tolerations=[{"key": "google.com/tpu", "operator": "Exists", "effect": "NoSchedule"}],
            ),
        },
        "teams": {
            "research": TeamQueueArgs(namespace="research", quotas={"a100": 8, "l4": 4, "v5e": 16}, cpu="64", memory="256Gi"),
            "vision": TeamQueueArgs(namespace="vision", quotas={"l4": 3}, cpu="32", memory="128Gi"),
        },
        **kw,
    }
    return WorkloadQueuesArgs(**args)


def _queues(record_plan, **kw):
    from mlstack.components.k8s.workload_queues import WorkloadQueues

    return record_with_provider(record_plan, lambda opts: WorkloadQueues("acme-ml-test-queues", _queues_args(**kw), opts))


def test_a_flavor_per_pool_and_one_for_cpu_and_memory(record_plan):
    plan = _queues(record_plan)
    flavors = {r.inputs["metadata"]["name"]: r for r in plan.of_type(FLAVOR)}
    assert sorted(flavors) == ["a100", "any-node", "l4", "v5e"]
    assert flavors["any-node"].inputs["spec"] == {"nodeLabels": {}}
    assert flavors["a100"].inputs["spec"] == {
        "nodeLabels": {"mlstack.io/pool": "a100"},
        "tolerations": [{"effect": "NoSchedule", "key": "nvidia.com/gpu", "operator": "Exists"}],
    }
    assert flavors["v5e"].inputs["spec"]["nodeLabels"] == {"cloud.google.com/gke-tpu-topology": "4x4", "mlstack.io/pool": "v5e"}
    assert flavors["a100"].inputs["apiVersion"] == KUEUE and flavors["a100"].inputs["kind"] == "ResourceFlavor"
    assert flavors["a100"].name == "acme-ml-test-queues-flavor-a100"
    assert "namespace" not in flavors["a100"].inputs["metadata"]  # cluster-scoped


def test_cluster_queue_quotas_cohort_and_preemption(record_plan):
    plan = _queues(record_plan)
    cq = plan.one(CQ, "acme-ml-test-queues-cq-research")
    assert cq.inputs["metadata"]["name"] == "research"
    spec = cq.inputs["spec"]
    assert spec["cohortName"] == "mlstack"
    assert spec["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": "research"}}
    assert spec["preemption"] == {"reclaimWithinCohort": "Any", "withinClusterQueue": "LowerPriority", "borrowWithinCohort": {"policy": "Never"}}
    assert spec["queueingStrategy"] == "BestEffortFIFO"
    assert spec["resourceGroups"] == [
        {
            "coveredResources": ["cpu", "memory"],
            "flavors": [
                {
                    "name": "any-node",
                    "resources": [
                        {"name": "cpu", "nominalQuota": "64", "borrowingLimit": "64"},
                        {"name": "memory", "nominalQuota": "256Gi", "borrowingLimit": "256Gi"},
                    ],
                }
            ],
        },
        {"coveredResources": ["google.com/tpu"], "flavors": [
            {"name": "v5e", "resources": [{"name": "google.com/tpu", "nominalQuota": "16", "borrowingLimit": "16"}]}]},
        {
            "coveredResources": ["nvidia.com/gpu"],
            "flavors": [
                {"name": "a100", "resources": [{"name": "nvidia.com/gpu", "nominalQuota": "8", "borrowingLimit": "8"}]},
                {"name": "l4", "resources": [{"name": "nvidia.com/gpu", "nominalQuota": "4", "borrowingLimit": "4"}]},
            ],
        },
    ]
    # A team without quota on a pool lists it with 0 (and so cannot borrow there either).
    vision = plan.one(CQ, "acme-ml-test-queues-cq-vision").inputs["spec"]["resourceGroups"][2]["flavors"]
    assert vision[0] == {"name": "a100", "resources": [{"name": "nvidia.com/gpu", "nominalQuota": "0", "borrowingLimit": "0"}]}
    # Queues wait for the flavors they name.
    flavor_urns = {r.urn for r in plan.of_type(FLAVOR)}
    assert set(cq.depends_on) == flavor_urns


def test_borrowing_and_preemption_are_settable(record_plan):
    plan = _queues(record_plan, borrowing_limit_percent=50, reclaim_within_cohort="LowerPriority", within_cluster_queue="Never", cohort="ml")
    spec = plan.one(CQ, "acme-ml-test-queues-cq-vision").inputs["spec"]
    assert spec["cohortName"] == "ml"
    assert spec["preemption"]["reclaimWithinCohort"] == "LowerPriority" and spec["preemption"]["withinClusterQueue"] == "Never"
    compute = spec["resourceGroups"][0]["flavors"][0]["resources"]
    assert compute == [{"name": "cpu", "nominalQuota": "32", "borrowingLimit": "16"}, {"name": "memory", "nominalQuota": "128Gi", "borrowingLimit": "64Gi"}]
    l4 = spec["resourceGroups"][2]["flavors"][1]["resources"][0]
    assert l4 == {"name": "nvidia.com/gpu", "nominalQuota": "3", "borrowingLimit": "2"}  # 50 % of 3, rounded up


def test_quota_ceiling_is_nominal_plus_borrowing():
    from mlstack.components.k8s.workload_queues import quota_ceiling

    assert quota_ceiling(_queues_args(), "research") == {"google.com/tpu": 32, "nvidia.com/gpu": 24}
    assert quota_ceiling(_queues_args(borrowing_limit_percent=0), "vision") == {"google.com/tpu": 0, "nvidia.com/gpu": 3}


def test_local_queue_default_per_team_and_priorities(record_plan):
    plan = _queues(record_plan)
    lqs = {r.name: r for r in plan.of_type(LQ)}
    assert sorted(lqs) == ["acme-ml-test-queues-lq-research", "acme-ml-test-queues-lq-vision"]
    lq = lqs["acme-ml-test-queues-lq-research"]
    assert lq.inputs["metadata"]["name"] == "default" and lq.inputs["metadata"]["namespace"] == "research"
    assert lq.inputs["spec"] == {"clusterQueue": "research"}
    assert lq.depends_on == [plan.one(CQ, "acme-ml-test-queues-cq-research").urn]
    wpcs = {r.inputs["metadata"]["name"]: r.inputs for r in plan.of_type(WPC)}
    assert {k: v["value"] for k, v in wpcs.items()} == {"batch": 500, "interactive": 1000, "low": 100}
    assert "spec" not in wpcs["batch"] and wpcs["batch"]["kind"] == "WorkloadPriorityClass"


def test_every_queue_object_validates_against_the_kueue_schema(record_plan):
    plan = _queues(record_plan)
    assert len(plan.of_type(FLAVOR) + plan.of_type(CQ) + plan.of_type(LQ) + plan.of_type(WPC)) == 4 + 2 + 2 + 3
    assert _custom_errors(plan) == []


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"reclaim_within_cohort": "Sometimes"}, "reclaim_within_cohort must be one of"),
        ({"within_cluster_queue": "Always"}, "within_cluster_queue must be one of"),
        ({"borrowing_limit_percent": -1}, "must not be negative"),
    ],
)
def test_bad_queue_settings_are_refused(record_plan, kw, message):
    from mlstack.errors import EngineError

    with pytest.raises(EngineError, match=message):
        _queues(record_plan, **kw)


def test_a_quota_on_a_pool_without_a_flavor_is_refused(record_plan):
    from mlstack.components.k8s.workload_queues import TeamQueueArgs
    from mlstack.errors import EngineError

    with pytest.raises(EngineError, match=r"team 'x': quotas on \['h100'\], which are not flavors"):
        _queues(record_plan, teams={"x": TeamQueueArgs(namespace="x", quotas={"h100": 8})})


# -- JobSet, Trainer, KubeRay ------------------------------------------------------------------------------


def test_jobset_release(record_plan):
    from mlstack.components.k8s.jobset import JobSet, JobSetArgs

    plan = record_with_provider(
        record_plan, lambda opts: JobSet("acme-ml-test-jobset", JobSetArgs(chart_version="0.12.0", image="registry.k8s.io/jobset/jobset:v0.12.0"), opts)
    )
    rel = plan.one(RELEASE, "acme-ml-test-jobset-release")
    assert (rel.inputs["chart"], rel.inputs["version"], rel.inputs["namespace"]) == ("jobset", "0.12.0", "jobset-system")
    assert rel.inputs["repositoryOpts"] == {"repo": "oci://registry.k8s.io/jobset/charts"}
    values = rel.inputs["values"]
    assert values["image"] == {"repository": "registry.k8s.io/jobset/jobset", "tag": "v0.12.0", "pullPolicy": "IfNotPresent"}
    assert values["controller"]["securityContext"] == {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}
    assert values["controller"]["podSecurityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
    assert values["controller"]["resources"] == {"requests": {"cpu": "500m", "memory": "128Mi"}, "limits": {"cpu": "2", "memory": "4Gi"}}
    assert values["certManager"] == {"enable": False} and values["prometheus"] == {"enable": False}
    labels = plan.one(NS, "acme-ml-test-jobset-ns").inputs["metadata"]["labels"]
    assert {k: labels[k] for k in RESTRICTED} == RESTRICTED


def _trainer(record_plan, **kw):
    from mlstack.components.k8s.trainer import Trainer, TrainerArgs

    args = {
        "chart_version": "2.3.0",
        "image": "ghcr.io/kubeflow/trainer/trainer-controller-manager:v2.3.0",
        "runtime_image": "docker.io/pytorch/pytorch:2.13.0-cuda13.0-cudnn9-runtime",
        **kw,
    }
    return record_with_provider(record_plan, lambda opts: Trainer("acme-ml-test-trainer", TrainerArgs(**args), opts))


def test_trainer_release_without_its_jobset_subchart(record_plan):
    plan = _trainer(record_plan)
    rel = plan.one(RELEASE, "acme-ml-test-trainer-release")
    assert (rel.inputs["chart"], rel.inputs["version"], rel.inputs["namespace"]) == ("kubeflow-trainer", "2.3.0", "kubeflow-system")
    assert rel.inputs["repositoryOpts"] == {"repo": "oci://ghcr.io/kubeflow/charts"}
    values = rel.inputs["values"]
    assert values["jobset"] == {"install": False}
    assert values["runtimes"] == {"defaultEnabled": False}
    assert values["image"] == {"registry": "ghcr.io", "repository": "kubeflow/trainer/trainer-controller-manager", "tag": "v2.3.0", "pullPolicy": "IfNotPresent"}
    assert values["manager"]["securityContext"]["readOnlyRootFilesystem"] is True
    assert values["manager"]["resources"] == {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}}


def test_torch_runtime_is_hardened_and_valid(record_plan):
    plan = _trainer(record_plan)
    (ctr,) = plan.of_type(CTR)
    assert ctr.name == "acme-ml-test-trainer-torch-runtime"
    assert ctr.inputs["metadata"]["name"] == "torch-distributed"
    assert ctr.inputs["metadata"]["labels"]["trainer.kubeflow.org/framework"] == "torch"
    assert ctr.depends_on == [plan.one(RELEASE, "acme-ml-test-trainer-release").urn]
    spec = ctr.inputs["spec"]
    assert spec["mlPolicy"] == {"numNodes": 1, "torch": {}}
    (node,) = spec["template"]["spec"]["replicatedJobs"]
    assert node["name"] == "node"
    assert node["template"]["metadata"] == {"labels": {"trainer.kubeflow.org/trainjob-ancestor-step": "trainer"}}
    pod = node["template"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["image"] == "docker.io/pytorch/pytorch:2.13.0-cuda13.0-cudnn9-runtime"
    assert container["securityContext"]["readOnlyRootFilesystem"] is True and container["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 65532
    assert pod["volumes"][1] == {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "16Gi"}}
    assert "resources" not in container
    assert _custom_errors(plan) == []


def test_kuberay_release(record_plan):
    from mlstack.components.k8s.kuberay import KubeRay, KubeRayArgs

    plan = record_with_provider(
        record_plan, lambda opts: KubeRay("acme-ml-test-kuberay", KubeRayArgs(chart_version="1.7.0", image="quay.io/kuberay/operator:v1.7.0"), opts)
    )
    rel = plan.one(RELEASE, "acme-ml-test-kuberay-release")
    assert (rel.inputs["chart"], rel.inputs["version"], rel.inputs["namespace"]) == ("kuberay-operator", "1.7.0", "ray-system")
    assert rel.inputs["repositoryOpts"] == {"repo": "https://ray-project.github.io/kuberay-helm/"}
    values = rel.inputs["values"]
    assert values["image"] == {"repository": "quay.io/kuberay/operator", "tag": "v1.7.0", "pullPolicy": "IfNotPresent"}
    assert values["resources"] == {"requests": {"cpu": "100m", "memory": "512Mi"}, "limits": {"cpu": "1", "memory": "512Mi"}}
    assert values["securityContext"]["readOnlyRootFilesystem"] is True and values["securityContext"]["capabilities"] == {"drop": ["ALL"]}


# -- the schemas themselves ---------------------------------------------------------------------------------


def test_the_schemas_reject_unknown_fields_and_bad_enums(record_plan):
    plan = _queues(record_plan)
    (reg, cq), *_ = [(r, m) for r, m in manifests(plan.resources) if m["kind"] == "ClusterQueue"]
    bad = {**cq, "spec": {**cq["spec"], "cohort": "mlstack"}}  # the v1beta1 name
    assert any("spec.cohort: Extra inputs are not permitted" in e for e in validate_custom(bad, "cq", K8S_VERSION))
    bad = {**cq, "spec": {**cq["spec"], "preemption": {"reclaimWithinCohort": "Sometimes"}}}
    assert any("spec.preemption.reclaimWithinCohort" in e for e in validate_custom(bad, "cq", K8S_VERSION))
    groups = [dict(g) for g in cq["spec"]["resourceGroups"]]
    groups[0] = {**groups[0], "coveredResources": ["cpu"]}
    assert any("!= coveredResources" in e for e in validate_custom({**cq, "spec": {**cq["spec"], "resourceGroups": groups}}, "cq", K8S_VERSION))
    assert validate_custom({"apiVersion": "kueue.x-k8s.io/v1beta1", "kind": "ClusterQueue"}, "x", K8S_VERSION) == [
        "x: no schema for ('kueue.x-k8s.io/v1beta1', 'ClusterQueue')"
    ]


def test_embedded_job_templates_are_validated_by_the_kubernetes_schema(record_plan):
    plan = _trainer(record_plan)
    ((reg, ctr),) = [(r, m) for r, m in manifests(plan.resources) if m["kind"] == "ClusterTrainingRuntime"]
    rj = ctr["spec"]["template"]["spec"]["replicatedJobs"][0]
    pod = rj["template"]["spec"]["template"]["spec"]
    broken_pod = {**pod, "containers": [{**pod["containers"][0], "imagePullPolicyy": "Always"}]}
    broken = json.loads(json.dumps(ctr))
    broken["spec"]["template"]["spec"]["replicatedJobs"][0]["template"]["spec"]["template"]["spec"] = broken_pod
    errors = validate_custom(broken, "ctr", K8S_VERSION)
    assert len(errors) == 1 and "imagePullPolicyy" in errors[0] and errors[0].startswith("ctr/replicatedJobs/node:")
