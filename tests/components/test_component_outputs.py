"""Every component registers every output it exposes: its public attributes, as ``register_outputs`` keys.

A component's outputs are what ``pulumi stack export`` and the Pulumi console show for it and what
``pulumi.StackReference`` users can rely on; an attribute left out exists only inside the Python program. The
test builds every component (the four example environments, plus those no example uses), records what each
instance registers, and compares it with the instance's public attributes: the same keys, the same objects.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pulumi
import pytest

import mlstack.components

STACKS = Path(__file__).resolve().parents[2] / "stacks"
# Attributes every pulumi.Resource has: identity, not outputs of the component.
RESOURCE_ATTRIBUTES = {"urn", "id"}
# Attributes that hold a child component, None where the spec leaves it out (not outputs either).
OPTIONAL_CHILDREN = {
    ("Platform", "gpu"),
    ("Platform", "ci"),
    ("Platform", "scratch"),
    ("Platform", "telemetry"),
    ("Platform", "dashboard"),
    ("AwsEnvironment", "scratch"),
    ("GcpEnvironment", "scratch"),
    *(("Workloads", part) for part in ("kueue", "queues", "jobset", "trainer", "kuberay")),
}


def component_classes() -> dict[str, type[pulumi.ComponentResource]]:
    found = {}
    for info in pkgutil.walk_packages(mlstack.components.__path__, "mlstack.components."):
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if inspect.isclass(obj) and issubclass(obj, pulumi.ComponentResource) and obj.__module__ == module.__name__:
                found[f"{module.__name__}.{name}"] = obj
    return found


def _is_resource(value: Any) -> bool:
    """A child component or resource (or a collection of them): reachable, but not an output of its own."""
    if isinstance(value, pulumi.Resource):
        return True
    if isinstance(value, Mapping):
        return bool(value) and all(_is_resource(v) for v in value.values())
    if isinstance(value, Sequence) and not isinstance(value, str):
        return bool(value) and all(_is_resource(v) for v in value)
    return False


PROPS: dict[int, set[str]] = {}
"""Names of the props each recorded component passed to its constructor (by ``id``)."""


def exposed(component: pulumi.ComponentResource) -> dict[str, Any]:
    props = PROPS.get(id(component), set())
    return {
        k: v
        for k, v in vars(component).items()
        if not k.startswith("_")
        and k not in RESOURCE_ATTRIBUTES
        and not _is_resource(v)
        and (type(component).__name__, k) not in OPTIONAL_CHILDREN
        and k not in props
    }


def _on_cluster() -> pulumi.ResourceOptions:
    import pulumi_kubernetes as k8s

    return pulumi.ResourceOptions(providers=[k8s.Provider("test-k8s", kubeconfig="{}")])


def _unwired_aws() -> None:
    """The AWS components no example builds yet: Karpenter (with its interruption queue), a Karpenter pool,
    the FSx for Lustre scratch tier and its CSI driver, Amazon Managed Prometheus, the Load Balancer Controller."""
    from mlstack.components.aws.karpenter import Karpenter, KarpenterArgs
    from mlstack.components.aws.karpenter_node_pool import KarpenterNodePool, KarpenterNodePoolArgs
    from mlstack.components.aws.load_balancer_controller import LoadBalancerController, LoadBalancerControllerArgs
    from mlstack.components.aws.lustre_csi_driver import LustreCsiDriver, LustreCsiDriverArgs
    from mlstack.components.aws.managed_prometheus import ManagedPrometheus, ManagedPrometheusArgs
    from mlstack.components.aws.scratch_file_system import ScratchFileSystem, ScratchFileSystemArgs

    on_cluster = _on_cluster()
    oidc = "oidc.eks.us-west-2.amazonaws.com/id/ABC"
    Karpenter(
        "k",
        KarpenterArgs(
            cluster_name="c", oidc_provider_arn=f"arn:aws:iam::123456789012:oidc-provider/{oidc}",
            oidc_provider_url=oidc, chart_version="1.14.1",
        ),
        on_cluster,
    )
    KarpenterNodePool(
        "kp",
        KarpenterNodePoolArgs(
            instance_types=["m6i.xlarge"], limits={"cpu": "4"}, node_role_name="r", subnet_ids=["subnet-1"],
            security_group_ids=["sg-1"],
        ),
        on_cluster,
    )
    ScratchFileSystem(
        "fs",
        ScratchFileSystemArgs(
            storage_capacity_gib=1200, vpc_id="vpc-1", subnet_id="subnet-1", client_security_group_ids=["sg-1"]
        ),
    )
    LustreCsiDriver("fsx-csi", LustreCsiDriverArgs(chart_version="1.17.0"), on_cluster)
    LoadBalancerController(
        "lb-controller",
        LoadBalancerControllerArgs(
            cluster_name="c", vpc_id="vpc-1", oidc_provider_arn=f"arn:aws:iam::123456789012:oidc-provider/{oidc}",
            oidc_provider_url=oidc, chart_version="3.5.0", image="public.ecr.aws/eks/aws-load-balancer-controller:v3.5.0",
            policy_statements=[{"Sid": "Describe", "Effect": "Allow", "Action": "ec2:DescribeVpcs", "Resource": "*"}],
        ),
        on_cluster,
    )
    ManagedPrometheus(
        "metrics",
        ManagedPrometheusArgs(
            cluster_name="c", cluster_arn="arn:aws:eks:us-west-2:123456789012:cluster/c", subnet_ids=["subnet-1"],
            security_group_ids=["sg-1"],
        ),
        on_cluster,
    )


def _unwired_gcp() -> None:
    """GKE's ComputeClass (no example builds it yet)."""
    from mlstack.components.gcp.compute_class import ComputeClass, ComputeClassArgs

    ComputeClass(
        "cc", ComputeClassArgs(machine_type="a3-highgpu-8g", gpu_type="nvidia-h100-80gb", gpu_count=8), _on_cluster()
    )


def _unwired_k8s() -> None:
    """The cluster-side components no example builds: NeuronSupport (no example has a Trainium pool), KubeRay
    (opt-in, off in every example), GPU telemetry and the scratch volumes (spec wiring pending)."""
    from mlstack.components.k8s.gpu_telemetry import GpuTelemetry, GpuTelemetryArgs
    from mlstack.components.k8s.kuberay import KubeRay, KubeRayArgs
    from mlstack.components.k8s.neuron_support import NeuronSupport, NeuronSupportArgs
    from mlstack.components.k8s.scratch_storage import ScratchStorage, ScratchStorageArgs

    on_cluster = _on_cluster()
    NeuronSupport("neuron", NeuronSupportArgs(chart_version="1.1.1"), on_cluster)
    KubeRay("kuberay", KubeRayArgs(chart_version="1.7.0", image="quay.io/kuberay/operator:v1.7.0"), on_cluster)
    GpuTelemetry("telemetry", GpuTelemetryArgs(chart_version="4.8.2", pod_monitoring=True), on_cluster)
    ScratchStorage(
        "scratch",
        ScratchStorageArgs(size_gib=1200, nfs_server="nfs.lab", nfs_path="/scratch", namespaces={"r": "research"}),
        on_cluster,
    )


@pytest.fixture(scope="module")
def registered():
    """(component, registered outputs) of every component instance the example plans and the extras build."""
    from mlstack.engine.plan.model import plan_program
    from mlstack.engine.review.planning import plan_env

    calls: list[tuple[pulumi.ComponentResource, dict[str, Any]]] = []
    original = pulumi.ComponentResource.register_outputs

    def record(self, outputs):
        calls.append((self, dict(outputs or {})))
        return original(self, outputs)

    init = pulumi.ComponentResource.__init__

    def construct(self, t, name, props=None, opts=None, *args, **kwargs):
        # Props given to the constructor are registered with the resource itself (its recorded inputs), and the
        # SDK exposes each as an attribute: they count as registered.
        PROPS[id(self)] = set(props or {})
        return init(self, t, name, props, opts, *args, **kwargs)

    mp = pytest.MonkeyPatch()
    mp.setattr(pulumi.ComponentResource, "register_outputs", record)
    mp.setattr(pulumi.ComponentResource, "__init__", construct)
    try:
        for env in ("staging", "prod", "gcp-staging", "onprem"):
            plan_env(env, STACKS)
        plan_program(_unwired_aws, project="acme-ml", env="test", region="us-west-2")
        plan_program(_unwired_gcp, project="acme-ml", env="test", region="us-central1", gcp_project="acme")
        plan_program(_unwired_k8s, project="acme-ml", env="test")
    finally:
        mp.undo()
    return [(c, o) for c, o in calls if type(c).__module__.startswith("mlstack.components.")]


def problems(component: pulumi.ComponentResource, outputs: Mapping[str, Any]) -> list[str]:
    """What ``component`` exposes but does not register, registers but does not expose, or registers differently."""
    attrs = exposed(component)
    label = f"{type(component).__name__} {component._name}"  # noqa: SLF001 - the logical name
    found = []
    if missing := sorted(set(attrs) - set(outputs)):
        found.append(f"{label}: exposes but does not register {missing}")
    if extra := sorted(set(outputs) - set(attrs)):
        found.append(f"{label}: registers {extra}, which it does not expose")
    outs = {k for k in set(attrs) & set(outputs) if isinstance(attrs[k], pulumi.Output)}
    if differ := sorted(k for k in outs if outputs[k] is not attrs[k]):
        found.append(f"{label}: registers other values than it exposes for {differ}")
    return found


def test_every_component_is_built(registered):
    assert {f"{type(c).__module__}.{type(c).__name__}" for c, _ in registered} == set(component_classes())
    assert len(component_classes()) >= 56


def test_every_component_registers_every_output_it_exposes(registered):
    assert [p for component, outputs in registered for p in problems(component, outputs)] == []


def test_the_check_finds_each_kind_of_mismatch(record_plan):
    """A component that forgets an output, registers a stale key and registers a copy is reported, each once."""
    seen: list[tuple[pulumi.ComponentResource, dict[str, Any]]] = []

    class Sloppy(pulumi.ComponentResource):
        def __init__(self, name: str) -> None:
            super().__init__("test:index:Sloppy", name)
            self.kept = pulumi.Output.from_input("a")
            self.forgotten = "b"
            self.copied = pulumi.Output.from_input("c")
            self.child = pulumi.ComponentResource("test:index:Child", f"{name}-child", None, pulumi.ResourceOptions(parent=self))
            outputs = {"kept": self.kept, "stale": 1, "copied": self.copied.apply(lambda v: v)}
            seen.append((self, outputs))
            self.register_outputs(outputs)

    record_plan(lambda: Sloppy("s"))
    [(component, outputs)] = seen
    assert problems(component, outputs) == [
        "Sloppy s: exposes but does not register ['forgotten']",
        "Sloppy s: registers ['stale'], which it does not expose",
        "Sloppy s: registers other values than it exposes for ['copied']",
    ]
