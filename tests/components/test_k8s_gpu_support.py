from __future__ import annotations

import pytest

from k8s_checks import record_with_provider

RELEASE = "kubernetes:helm.sh/v3:Release"
NS = "kubernetes:core/v1:Namespace"


def _plan(record_plan, **kw):
    from mlstack.components.k8s.gpu_support import GpuSupport, GpuSupportArgs

    return record_with_provider(record_plan, lambda opts: GpuSupport("acme-ml-test-gpu", GpuSupportArgs(**kw), opts))


def test_device_plugin_release(record_plan):
    plan = _plan(record_plan, chart_version="0.17.0")
    comp = plan.one("mlstack:k8s:GpuSupport", "acme-ml-test-gpu")
    rel = plan.one(RELEASE, "acme-ml-test-gpu-release")
    ns = plan.one(NS, "acme-ml-test-gpu-ns")
    assert rel.parent == ns.parent == comp.urn
    assert rel.provider == ns.provider == "test-k8s"
    assert rel.inputs["chart"] == "nvidia-device-plugin"
    assert rel.inputs["name"] == "nvidia-device-plugin"
    assert rel.inputs["version"] == "0.17.0"
    assert rel.inputs["repositoryOpts"] == {"repo": "https://nvidia.github.io/k8s-device-plugin"}
    assert rel.inputs["namespace"] == "nvidia-device-plugin"
    assert rel.inputs["atomic"] is True
    values = rel.inputs["values"]
    assert values["tolerations"] == [
        {"effect": "NoSchedule", "key": "nvidia.com/gpu", "operator": "Exists"},
        {"key": "CriticalAddonsOnly", "operator": "Exists"},
    ]
    terms = values["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    assert terms == [{"matchExpressions": [{"key": "mlstack.io/accelerator", "operator": "Exists"}]}]
    # The plugin container is never BestEffort: requests, and a memory limit (no CPU throttling).
    assert values["resources"] == {"limits": {"memory": "128Mi"}, "requests": {"cpu": "50m", "memory": "64Mi"}}
    assert values["priorityClassName"] == "system-node-critical"
    assert ns.inputs["metadata"]["name"] == "nvidia-device-plugin"
    assert ns.inputs["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"
    assert len(plan.children(comp)) == 2


def test_gpu_operator_instead_on_prem(record_plan):
    plan = _plan(record_plan, chart_version="v24.9.0", gpu_operator=True, extra_values={"nfd": {"enabled": True}})
    rel = plan.one(RELEASE, "acme-ml-test-gpu-release")
    assert (rel.inputs["chart"], rel.inputs["version"], rel.inputs["namespace"]) == ("gpu-operator", "v24.9.0", "gpu-operator")
    assert rel.inputs["repositoryOpts"] == {"repo": "https://helm.ngc.nvidia.com/nvidia"}
    values = rel.inputs["values"]
    assert values["driver"] == {"enabled": False}
    assert values["toolkit"] == {"enabled": True}
    assert values["daemonsets"]["tolerations"][0] == {"effect": "NoSchedule", "key": "nvidia.com/gpu", "operator": "Exists"}
    assert values["nfd"] == {"enabled": True}
    assert values["devicePlugin"] == {
        "resources": {"limits": {"memory": "128Mi"}, "requests": {"cpu": "50m", "memory": "64Mi"}}
    }
    assert len(plan.of_type(RELEASE)) == 1


def test_plugin_resources_are_arguments(record_plan):
    plan = _plan(record_plan, chart_version="0.17.0", plugin_cpu_request="100m", plugin_memory_request="96Mi",
                 plugin_memory_limit="256Mi")
    values = plan.one(RELEASE, "acme-ml-test-gpu-release").inputs["values"]
    assert values["resources"] == {"limits": {"memory": "256Mi"}, "requests": {"cpu": "100m", "memory": "96Mi"}}


def test_refuses_the_ambient_provider(record_plan):
    from mlstack.components.k8s.gpu_support import GpuSupport, GpuSupportArgs
    from mlstack.errors import EngineError

    with pytest.raises(EngineError, match="no Kubernetes provider"):
        record_plan(lambda: GpuSupport("gpu", GpuSupportArgs(chart_version="0.17.0")))
