"""Training pods started through the platform's runtime, and the verification Job, load the environment's stamp:
the ``mlstack-environment`` ConfigMap as environment variables (``envFrom``), in every example plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from crd_schemas import validate_custom
from example_plans import example_plan
from k8s_checks import MLFLOW_IMAGE, manifests, record_with_provider, validate_manifests

from mlstack.engine.deploy.pinning import plan_images
from mlstack.spec import load_spec

STACKS = Path(__file__).resolve().parents[2] / "stacks"

CTR = "kubernetes:trainer.kubeflow.org/v1alpha1:ClusterTrainingRuntime"
CONFIG_MAP = "kubernetes:core/v1:ConfigMap"
JOB = "kubernetes:batch/v1:Job"
RUNTIME_ENV_FROM = [{"configMapRef": {"name": "mlstack-environment", "optional": True}}]


def _node_container(runtime) -> dict:
    (job,) = runtime.inputs["spec"]["template"]["spec"]["replicatedJobs"]
    (container,) = job["template"]["spec"]["template"]["spec"]["containers"]
    return container


def _stamps(plan) -> dict[str, dict[str, str]]:
    return {r.inputs["metadata"]["namespace"]: r.inputs["data"] for r in plan.of_type(CONFIG_MAP)
            if r.inputs["metadata"]["name"] == "mlstack-environment"}


@pytest.mark.parametrize("env", ["staging", "prod", "gcp-staging", "onprem"])
def test_the_runtime_and_the_verify_job_load_the_stamp(env):
    spec = load_spec(env, STACKS)
    pins = {ref: "sha256:" + "a" * 64 for ref in plan_images(example_plan(env))}
    plan = example_plan(env, pins)
    # The training runtimes: torch-distributed and one per accelerator pool (the verify Job's own NCCL check
    # runtime, mlstack-nccl-<pool>, is not one a user launches training on).
    runtimes = [r for r in plan.of_type(CTR) if r.inputs["metadata"]["name"].startswith("torch-distributed")]
    assert runtimes and "torch-distributed" in [r.inputs["metadata"]["name"] for r in runtimes]
    for runtime in runtimes:
        assert _node_container(runtime)["envFrom"] == RUNTIME_ENV_FROM, runtime.name
    job = plan.one(JOB, f"{spec.prefix}-platform-verify-job")
    (container,) = job.inputs["spec"]["template"]["spec"]["containers"]
    assert container["envFrom"] == [{"configMapRef": {"name": "mlstack-environment"}}]
    # The ConfigMap exists wherever a pod loads it: each team namespace (TrainJobs run there) and the Job's own.
    stamps = _stamps(plan)
    assert sorted(stamps) == sorted([*spec.teams, "mlstack-system"])
    assert len({json.dumps(d, sort_keys=True) for d in stamps.values()}) == 1
    data = stamps["mlstack-system"]
    assert (data["MLSTACK_PROJECT"], data["MLSTACK_ENV"]) == ("acme-ml", env)
    assert json.loads(data["MLSTACK_IMAGE_DIGESTS"]) == pins
    verify_stamp = plan.one(CONFIG_MAP, f"{spec.prefix}-platform-verify-environment")
    assert verify_stamp.inputs["metadata"]["namespace"] == "mlstack-system"


def _trainer(record_plan, **kw):
    from mlstack.components.k8s.trainer import Trainer, TrainerArgs

    args = TrainerArgs(chart_version="2.3.0", image="ghcr.io/kubeflow/trainer/trainer-controller-manager:v2.3.0",
                       runtime_image="docker.io/pytorch/pytorch:2.13.0-cuda13.0-cudnn9-runtime", **kw)
    return record_with_provider(record_plan, lambda opts: Trainer("t", args, opts))


def test_the_runtime_loads_the_named_config_map_optionally_and_stays_valid(record_plan):
    plan = _trainer(record_plan)
    (runtime,) = plan.of_type(CTR)
    assert _node_container(runtime)["envFrom"] == RUNTIME_ENV_FROM
    ((reg, manifest),) = [m for m in manifests(plan.resources) if m[1]["kind"] == "ClusterTrainingRuntime"]
    assert validate_custom(manifest, reg.urn, "1.36") == []
    other = _trainer(record_plan, environment_config_map="ml-env")
    assert _node_container(other.of_type(CTR)[0])["envFrom"] == [{"configMapRef": {"name": "ml-env", "optional": True}}]
    none = _trainer(record_plan, environment_config_map=None)
    assert "envFrom" not in _node_container(none.of_type(CTR)[0])


def _verify(record_plan, **kw):
    from mlstack.components.k8s.verify_job import VerifyJob, VerifyJobArgs

    args = VerifyJobArgs(image=MLFLOW_IMAGE, tracking_uri="http://mlflow.mlflow.svc:5000", tracking_username="admin",
                         tracking_password="pw", **kw)
    return record_with_provider(record_plan, lambda opts: VerifyJob("verify", args, opts))


def test_the_verify_job_writes_and_loads_the_stamp_only_when_given(record_plan):
    stamp = {"MLSTACK_ENV": "staging", "MLSTACK_PROJECT": "acme-ml", "MLSTACK_LOCK_DIGEST": "sha256:" + "b" * 64}
    plan = _verify(record_plan, environment=stamp)
    cm = plan.one(CONFIG_MAP, "verify-environment")
    assert cm.inputs["metadata"]["name"] == "mlstack-environment"
    assert cm.inputs["metadata"]["namespace"] == "mlstack-system"
    assert cm.inputs["data"] == dict(sorted(stamp.items()))
    (container,) = plan.one(JOB, "verify-job").inputs["spec"]["template"]["spec"]["containers"]
    assert container["envFrom"] == [{"configMapRef": {"name": "mlstack-environment"}}]
    assert validate_manifests(manifests(plan.resources), "1.36") == []
    bare = _verify(record_plan)
    assert [r.name for r in bare.of_type(CONFIG_MAP)] == ["verify-script"]
    (container,) = bare.one(JOB, "verify-job").inputs["spec"]["template"]["spec"]["containers"]
    assert "envFrom" not in container
