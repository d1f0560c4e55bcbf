"""Kueue, the job queueing controller: admits a team's jobs against its quota, all pods of a job or none.

One Helm release (pinned chart and image) in its own "restricted" namespace. mlstack writes Kueue's whole
configuration (chart value ``managerConfig.controllerManagerConfigYaml``) rather than merging into the chart's:

- ``integrations.frameworks``: the job kinds Kueue manages: ``batch/job``, JobSet, Kubeflow Trainer's TrainJob
  and, with KubeRay, RayJob and RayCluster. Not the ``pod`` integration: long-running pods (notebooks,
  servers) are not queued.
- ``manageJobsWithoutQueueName: false``: Kueue manages a job that names a queue (label
  ``kueue.x-k8s.io/queue-name``). Every team namespace has a LocalQueue named ``default``, and Kueue labels a
  job that names none with it (LocalQueue defaulting), so in a team namespace every job of those kinds is
  queued; elsewhere (system namespaces) nothing changes.
- ``waitForPodsReady``: all-or-nothing start. A workload whose pods are not all ready within
  ``pods_ready_timeout_seconds`` is evicted and re-queued (its quota released), so a 16-GPU job can never sit
  on 8 GPUs waiting for the other 8. ``blockAdmission`` stays off: one slow job must not stop every queue.
- Leader election on, two replicas and a PodDisruptionBudget: Kueue's admission webhook is on every Job
  create, so one pod down must not stop job submission.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi

from . import hardening as h
from . import require_provider
from .operator_release import ChartRef, image_values, install_operator

TOKEN = "mlstack:k8s:Kueue"
QUEUE_LABEL = "kueue.x-k8s.io/queue-name"
PRIORITY_LABEL = "kueue.x-k8s.io/priority-class"
CONFIG_API_VERSION = "config.kueue.x-k8s.io/v1beta2"
#: The frameworks every mlstack cluster's Kueue manages; KubeRay's are added when it is installed.
BASE_FRAMEWORKS = ("batch/job", "jobset.x-k8s.io/jobset", "trainer.kubeflow.org/trainjob")
RAY_FRAMEWORKS = ("ray.io/rayjob", "ray.io/raycluster")


@dataclass(frozen=True, kw_only=True)
class KueueArgs:
    """The Kueue installation.

    Attributes:
        chart_version: the chart's version (catalogue pin, e.g. "0.19.2"). Required.
        image: the controller image, ``repository:tag`` (catalogue pin). Required: the chart's default tag in
            its repository is a branch name.
        repository: the chart repository; default ``oci://registry.k8s.io/kueue/charts``.
        namespace: the release's namespace, created here; "kueue-system".
        frameworks: job kinds Kueue manages; default :data:`BASE_FRAMEWORKS`.
        pods_ready_timeout_seconds: how long an admitted workload may take to have every pod ready before it
            is evicted and re-queued; 600 (a GPU node scaling up from zero takes minutes).
        replicas: controller replicas (leader-elected); 2.
        cpu_request, memory_request, cpu_limit, memory_limit: the controller's resources; "500m", "512Mi",
            "2", "512Mi" (the chart's own figures, stated here so that they are reviewed).
        excluded_resource_prefixes: resources Kueue does not count (``resources.excludeResourcePrefixes``):
            network devices a job requests beside its accelerators (EFA, RDMA), which no ClusterQueue covers and
            which would otherwise make every such job inadmissible; none by default.
        extra_values: further chart values merged over mlstack's at the top level; none.
    """

    chart_version: str
    image: str
    repository: str = "oci://registry.k8s.io/kueue/charts"
    namespace: str = "kueue-system"
    frameworks: Sequence[str] = BASE_FRAMEWORKS
    pods_ready_timeout_seconds: int = 600
    replicas: int = 2
    cpu_request: str = "500m"
    memory_request: str = "512Mi"
    cpu_limit: str = "2"
    memory_limit: str = "512Mi"
    excluded_resource_prefixes: Sequence[str] = ()
    extra_values: Mapping[str, Any] = field(default_factory=dict)


def kueue_configuration(args: KueueArgs) -> dict[str, Any]:
    """Kueue's ``Configuration`` object (``config.kueue.x-k8s.io/v1beta2``) as mlstack sets it."""
    if args.pods_ready_timeout_seconds < 1:
        raise ValueError("pods_ready_timeout_seconds must be at least 1")
    config: dict[str, Any] = {
        "apiVersion": CONFIG_API_VERSION,
        "kind": "Configuration",
        "health": {"healthProbeBindAddress": ":8081"},
        "metrics": {"bindAddress": ":8443"},
        "webhook": {"port": 9443},
        "leaderElection": {"leaderElect": True, "resourceName": "c1f6bfd2.kueue.x-k8s.io"},
        "manageJobsWithoutQueueName": False,
        "waitForPodsReady": {
            "timeout": f"{args.pods_ready_timeout_seconds}s",
            "blockAdmission": False,
            "requeuingStrategy": {"timestamp": "Eviction", "backoffLimitCount": 5},
        },
        "integrations": {"frameworks": list(args.frameworks)},
    }
    if args.excluded_resource_prefixes:
        config["resources"] = {"excludeResourcePrefixes": sorted(args.excluded_resource_prefixes)}
    return config


def kueue_values(args: KueueArgs) -> dict[str, Any]:
    """The chart values: pinned image, resources, restricted security contexts, HA, mlstack's configuration."""
    if args.replicas < 1:
        raise ValueError("replicas must be at least 1")
    values: dict[str, Any] = {
        "enablePrometheus": False,
        "enableCertManager": False,
        "enableKueueViz": False,
        "controllerManager": {
            "replicas": args.replicas,
            "podDisruptionBudget": {"enabled": args.replicas > 1, "minAvailable": 1},
            "manager": {
                "image": image_values(args.image),
                "resources": {
                    "requests": {"cpu": args.cpu_request, "memory": args.memory_request},
                    "limits": {"cpu": args.cpu_limit, "memory": args.memory_limit},
                },
                "podSecurityContext": h.restricted_pod(),
                "containerSecurityContext": h.restricted_container(pod_level=False),
            },
        },
        # JSON is YAML: the configuration file, rendered deterministically.
        "managerConfig": {"controllerManagerConfigYaml": json.dumps(kueue_configuration(args), indent=2, sort_keys=True)},
    }
    values.update(args.extra_values)
    return values


class Kueue(pulumi.ComponentResource):
    """The Kueue Helm release in its own namespace. Queue objects are :class:`WorkloadQueues`' (they need the
    CRDs this release installs: pass ``depends_on=[kueue.release]``).

    Attributes:
        namespace: the namespace's name.
        release: the Helm release (depend on it for anything that needs Kueue's CRDs or webhook).
        release_name: the Helm release's name. chart_version: the pinned chart version.
    """

    def __init__(self, name: str, args: KueueArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        require_provider(self, name)
        ns, release = install_operator(
            self,
            name,
            chart=ChartRef(chart="kueue", repository=args.repository, version=args.chart_version),
            namespace=args.namespace,
            component="job-queueing",
            values=kueue_values(args),
        )
        self.namespace: pulumi.Output[str] = ns.metadata.name
        self.release = release
        self.release_name: pulumi.Output[str | None] = release.name
        self.chart_version = args.chart_version
        self.register_outputs(
            {"namespace": self.namespace, "release_name": self.release_name, "chart_version": self.chart_version}
        )
