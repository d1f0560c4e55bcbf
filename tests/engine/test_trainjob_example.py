"""docs/examples/trainjob-2x8.yaml, the job docs/platform.md shows, fits the objects every example plan creates,
and is a valid TrainJob (strict schema)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from crd_schemas.trainer import TrainJob

from mlstack.engine.review.planning import plan_env

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "trainjob-2x8.yaml"
KUEUE = "kubernetes:kueue.x-k8s.io/v1beta2"


@pytest.fixture(scope="module")
def job() -> dict:
    return yaml.safe_load(EXAMPLE.read_text())


def test_the_docs_show_the_file_verbatim():
    assert EXAMPLE.read_text() in (ROOT / "docs" / "platform.md").read_text()


def test_it_is_a_valid_trainjob(job):
    parsed = TrainJob.model_validate(job)
    assert (parsed.spec.trainer.numNodes, parsed.spec.trainer.numProcPerNode) == (2, 8)
    assert parsed.spec.trainer.resourcesPerNode.limits["nvidia.com/gpu"] == "8"


@pytest.mark.parametrize("env", ["staging", "prod", "onprem", "gcp-staging"])
def test_it_fits_every_example_plan(job, env):
    plan = plan_env(env, ROOT / "stacks")
    namespace = job["metadata"]["namespace"]
    labels = job["metadata"]["labels"]
    # The runtime it names exists, and has the node Job Trainer fills in (ancestor step "trainer").
    (runtime,) = [r.inputs for r in plan.of_type("kubernetes:trainer.kubeflow.org/v1alpha1:ClusterTrainingRuntime")]
    assert runtime["metadata"]["name"] == job["spec"]["runtimeRef"]["name"]
    (node,) = runtime["spec"]["template"]["spec"]["replicatedJobs"]
    assert node["template"]["metadata"]["labels"]["trainer.kubeflow.org/trainjob-ancestor-step"] == "trainer"
    # Its queue is the team's LocalQueue, its priority class exists.
    queues = {(r.inputs["metadata"]["namespace"], r.inputs["metadata"]["name"]): r.inputs["spec"]["clusterQueue"] for r in plan.of_type(f"{KUEUE}:LocalQueue")}
    cluster_queue = queues[(namespace, labels["kueue.x-k8s.io/queue-name"])]
    priorities = {r.inputs["metadata"]["name"] for r in plan.of_type(f"{KUEUE}:WorkloadPriorityClass")}
    assert labels["kueue.x-k8s.io/priority-class"] in priorities
    # The team's ClusterQueue covers every resource it asks for, on a flavor of a GPU pool labelled for it.
    (cq,) = [r.inputs for r in plan.of_type(f"{KUEUE}:ClusterQueue") if r.inputs["metadata"]["name"] == cluster_queue]
    covered = {res: g for g in cq["spec"]["resourceGroups"] for res in g["coveredResources"]}
    asked = job["spec"]["trainer"]["resourcesPerNode"]["requests"]
    assert set(asked) <= set(covered)
    gpu_flavors = [f["name"] for f in covered["nvidia.com/gpu"]["flavors"]]
    flavors = {r.inputs["metadata"]["name"]: r.inputs["spec"] for r in plan.of_type(f"{KUEUE}:ResourceFlavor")}
    assert gpu_flavors and all(flavors[f]["nodeLabels"] for f in gpu_flavors)
    assert all({"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in flavors[f]["tolerations"] for f in gpu_flavors)
