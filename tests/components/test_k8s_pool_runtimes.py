"""Trainer's per-pool runtimes ``torch-distributed-<pool>``: on the pool's nodes, every device and fabric device of
a node, CPU and memory in proportion, Guaranteed; the generic runtime unchanged; strict CRD schemas."""

from __future__ import annotations

import pytest
from tests.components.test_k8s_workloads import CTR, _custom_errors, _trainer

from mlstack.components.k8s.trainer import PoolRuntimeArgs, pool_runtime_name

POD = ("spec", "template", "spec", "replicatedJobs", 0, "template", "spec", "template", "spec")


def _pod(runtime) -> dict:
    node = runtime.inputs
    for key in POD:
        node = node[key]
    return node


def _runtimes(plan) -> dict:
    return {r.inputs["metadata"]["name"]: r for r in plan.of_type(CTR)}


def test_a_runtime_per_pool_with_its_devices_and_fabric(record_plan):
    pools = {
        "a100": PoolRuntimeArgs(
            node_labels={"mlstack.io/pool": "a100"},
            accelerator_resource="nvidia.com/gpu",
            devices_per_node=8,
            fabric={"vpc.amazonaws.com/efa": 4},
        ),
        "l4": PoolRuntimeArgs(node_labels={"mlstack.io/pool": "l4"}, accelerator_resource="nvidia.com/gpu", devices_per_node=1),
    }
    plan = _trainer(record_plan, pools=pools)
    runtimes = _runtimes(plan)
    assert sorted(runtimes) == ["torch-distributed", "torch-distributed-a100", "torch-distributed-l4"]
    a100 = runtimes["torch-distributed-a100"]
    assert a100.name == "acme-ml-test-trainer-torch-pool-a100"
    assert a100.depends_on == [plan.one("kubernetes:helm.sh/v3:Release", "acme-ml-test-trainer-release").urn]
    assert a100.inputs["metadata"]["labels"]["trainer.kubeflow.org/framework"] == "torch"
    assert a100.inputs["spec"]["mlPolicy"] == {"numNodes": 1, "torch": {}}
    pod = _pod(a100)
    assert pod["nodeSelector"] == {"mlstack.io/pool": "a100"}
    amounts = {"cpu": "24", "memory": "96Gi", "nvidia.com/gpu": "8", "vpc.amazonaws.com/efa": "4"}
    assert pod["containers"][0]["resources"] == {"requests": amounts, "limits": amounts}
    l4 = _pod(runtimes["torch-distributed-l4"])
    assert l4["containers"][0]["resources"]["limits"] == {"cpu": "3", "memory": "12Gi", "nvidia.com/gpu": "1"}
    # The same hardened pod as the generic runtime, but for placement and resources.
    generic = _pod(runtimes["torch-distributed"])
    assert "nodeSelector" not in generic and "resources" not in generic["containers"][0]
    assert {k: v for k, v in pod.items() if k != "nodeSelector"} | {"containers": generic["containers"]} == generic
    assert {k: v for k, v in pod["containers"][0].items() if k != "resources"} == generic["containers"][0]
    assert _custom_errors(plan) == []


def test_onprem_rdma_fabric_and_shares(record_plan):
    pool = PoolRuntimeArgs(
        node_labels={"mlstack.io/accelerator": "nvidia-a100-80gb"},
        accelerator_resource="nvidia.com/gpu",
        devices_per_node=4,
        fabric={"rdma/ib": 1},
        cpu_per_device=8,
        memory_gib_per_device=64,
    )
    plan = _trainer(record_plan, pools={"a100": pool})
    resources = _pod(_runtimes(plan)["torch-distributed-a100"])["containers"][0]["resources"]
    assert resources["requests"] == {"cpu": "32", "memory": "256Gi", "nvidia.com/gpu": "4", "rdma/ib": "1"}
    assert _custom_errors(plan) == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"node_labels": {}}, "needs the pool's node labels"),
        ({"devices_per_node": 0}, "needs positive amounts, got {'nvidia.com/gpu': 0}"),
        ({"fabric": {"vpc.amazonaws.com/efa": 0}}, "needs positive amounts, got {'nvidia.com/gpu': 8, 'vpc.amazonaws.com/efa': 0}"),
        ({"cpu_per_device": 0}, "needs positive amounts"),
    ],
)
def test_pool_runtime_args_refuse_bad_amounts(kwargs, message):
    args = {"node_labels": {"mlstack.io/pool": "a100"}, "accelerator_resource": "nvidia.com/gpu", "devices_per_node": 8, **kwargs}
    with pytest.raises(ValueError, match=message.replace("{", r"\{").replace("}", r"\}")):
        PoolRuntimeArgs(**args)


def test_runtime_names_follow_the_pool():
    assert pool_runtime_name("a100") == "torch-distributed-a100"
