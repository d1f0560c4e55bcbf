"""The workload layer: Kueue and its queues, JobSet, Kubeflow Trainer, KubeRay, wired in the right order.

- Kueue manages exactly the job kinds whose operators are installed here (``batch/job`` always; JobSet,
  TrainJob and Ray's when their operators are), so its configuration never names a missing API.
- The queue objects wait for Kueue's release (its CRDs and webhook); Trainer waits for JobSet's (its CRD:
  Trainer's chart installs no JobSet of its own here).
- The caller orders the whole layer after the team namespaces (``depends_on``): LocalQueues live there.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import pulumi

from . import require_provider
from .jobset import JobSet, JobSetArgs
from .kuberay import KubeRay, KubeRayArgs
from .kueue import RAY_FRAMEWORKS, Kueue, KueueArgs
from .trainer import Trainer, TrainerArgs
from .workload_queues import WorkloadQueues, WorkloadQueuesArgs

TOKEN = "mlstack:k8s:Workloads"


@dataclass(frozen=True, kw_only=True)
class WorkloadsArgs:
    """Which parts to install; each None leaves that part out.

    Attributes:
        kueue: Kueue; its ``frameworks`` are set here from the operators installed.
        queues: the queue objects (flavors, team queues, priorities); needs ``kueue``.
        jobset: the JobSet controller.
        trainer: Kubeflow Trainer and the torch runtime; needs ``jobset``.
        kuberay: the KubeRay operator.
    """

    kueue: KueueArgs | None = None
    queues: WorkloadQueuesArgs | None = None
    jobset: JobSetArgs | None = None
    trainer: TrainerArgs | None = None
    kuberay: KubeRayArgs | None = None

    @property
    def namespaces(self) -> list[str]:
        """The namespaces the parts create."""
        parts = (self.kueue, self.jobset, self.trainer, self.kuberay)
        return sorted(p.namespace for p in parts if p is not None)


def frameworks(args: WorkloadsArgs) -> tuple[str, ...]:
    """The job kinds Kueue manages, given what is installed."""
    out = ["batch/job"]
    if args.jobset:
        out.append("jobset.x-k8s.io/jobset")
    if args.trainer:
        out.append("trainer.kubeflow.org/trainjob")
    if args.kuberay:
        out.extend(RAY_FRAMEWORKS)
    return tuple(out)


class Workloads(pulumi.ComponentResource):
    """Composes Kueue, WorkloadQueues, JobSet, Trainer and KubeRay.

    Children: ``<name>-kueue``, ``<name>-queues``, ``<name>-jobset``, ``<name>-trainer``, ``<name>-kuberay``.

    Attributes:
        kueue, queues, jobset, trainer, kuberay: the child components (None when left out).
        local_queue: the LocalQueue name in every team namespace, or None without queues.
        runtime_name: the ClusterTrainingRuntime's name, or None without Trainer.
    """

    def __init__(self, name: str, args: WorkloadsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        require_provider(self, name)
        if args.queues and not args.kueue:
            raise ValueError(f"Workloads {name!r}: queues need kueue")
        if args.trainer and not args.jobset:
            raise ValueError(f"Workloads {name!r}: trainer needs jobset (Trainer runs TrainJobs as JobSets)")
        child = pulumi.ResourceOptions(parent=self)
        self.jobset = JobSet(f"{name}-jobset", args.jobset, child) if args.jobset else None
        self.trainer = None
        if args.trainer and self.jobset:
            self.trainer = Trainer(f"{name}-trainer", args.trainer, pulumi.ResourceOptions(parent=self, depends_on=[self.jobset.release]))
        self.kuberay = KubeRay(f"{name}-kuberay", args.kuberay, child) if args.kuberay else None
        self.kueue = None
        self.queues = None
        if args.kueue:
            self.kueue = Kueue(f"{name}-kueue", dataclasses.replace(args.kueue, frameworks=frameworks(args)), child)
            if args.queues:
                self.queues = WorkloadQueues(
                    f"{name}-queues", args.queues, pulumi.ResourceOptions(parent=self, depends_on=[self.kueue.release])
                )
        self.local_queue = self.queues.local_queue if self.queues else None
        self.runtime_name = self.trainer.runtime_name if self.trainer else None
        self.register_outputs({"local_queue": self.local_queue, "runtime_name": self.runtime_name})
