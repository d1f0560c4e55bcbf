"""docs/examples/trainjob-2x8.yaml, the job docs/platform.md shows, fits the objects every example plan creates,
and is a valid TrainJob (strict schema)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from crd_schemas.trainer import TrainJob
from example_plans import example_plan


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
    # Resources come from the pool's runtime: Trainer replaces them with resourcesPerNode, fabric included.
    assert parsed.spec.trainer.resourcesPerNode is None


@pytest.mark.parametrize("env", ["staging", "prod", "onprem", "gcp-staging"])
def test_it_fits_every_example_plan(job, env):
    plan = example_plan(env)
    namespace = job["metadata"]["namespace"]
    labels = job["metadata"]["labels"]
    # The runtime it names exists, and has the node Job Trainer fills in (ancestor step "trainer").
    runtimes = {r.inputs["metadata"]["name"]: r.inputs for r in plan.of_type("kubernetes:trainer.kubeflow.org/v1alpha1:ClusterTrainingRuntime")}
    runtime = runtimes[job["spec"]["runtimeRef"]["name"]]
    (node,) = runtime["spec"]["template"]["spec"]["replicatedJobs"]
    assert node["template"]["metadata"]["labels"]["trainer.kubeflow.org/trainjob-ancestor-step"] == "trainer"
    pod = node["template"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert container["resources"]["requests"]["nvidia.com/gpu"] == str(job["spec"]["trainer"]["numProcPerNode"])
    # Its queue is the team's LocalQueue, its priority class exists.
    queues = {(r.inputs["metadata"]["namespace"], r.inputs["metadata"]["name"]): r.inputs["spec"]["clusterQueue"] for r in plan.of_type(f"{KUEUE}:LocalQueue")}
    cluster_queue = queues[(namespace, labels["kueue.x-k8s.io/queue-name"])]
    priorities = {r.inputs["metadata"]["name"] for r in plan.of_type(f"{KUEUE}:WorkloadPriorityClass")}
    assert labels["kueue.x-k8s.io/priority-class"] in priorities
    # The team's ClusterQueue covers every resource the runtime asks for but the fabric devices Kueue does not
    # count, and the runtime's node selector is the a100 pool's flavor, one the queue offers GPUs on.
    (cq,) = [r.inputs for r in plan.of_type(f"{KUEUE}:ClusterQueue") if r.inputs["metadata"]["name"] == cluster_queue]
    covered = {res: g for g in cq["spec"]["resourceGroups"] for res in g["coveredResources"]}
    (kueue,) = [r.inputs for r in plan.of_type("kubernetes:helm.sh/v3:Release") if r.inputs["chart"] == "kueue"]
    excluded = json.loads(kueue["values"]["managerConfig"]["controllerManagerConfigYaml"])["resources"]["excludeResourcePrefixes"]
    asked = {res for res in container["resources"]["requests"] if not res.startswith(tuple(excluded))}
    assert asked == {"cpu", "memory", "nvidia.com/gpu"} and asked <= set(covered)
    gpu_flavors = [f["name"] for f in covered["nvidia.com/gpu"]["flavors"]]
    flavors = {r.inputs["metadata"]["name"]: r.inputs["spec"] for r in plan.of_type(f"{KUEUE}:ResourceFlavor")}
    assert "a100" in gpu_flavors and flavors["a100"]["nodeLabels"] == pod["nodeSelector"]
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in flavors["a100"]["tolerations"]
