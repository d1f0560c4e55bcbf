"""Strict models of Kubeflow Trainer's trainer.kubeflow.org/v1alpha1 ClusterTrainingRuntime and TrainJob
(Trainer v2.3.0 CRDs), for the fields mlstack writes or documents."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ._base import Int32, ObjectMeta, Strict
from .jobset import JobSetSpec

API = "trainer.kubeflow.org/v1alpha1"


class EnvInjectionTarget(Strict):
    jobName: str
    containerNames: list[str]


class EnvInjection(Strict):
    targets: list[EnvInjectionTarget] = Field(default_factory=list, max_length=16)


class TorchPolicy(Strict):
    envInjection: EnvInjection | None = None


class MpiPolicy(Strict):
    numProcPerNode: Int32 = 1
    mpiImplementation: Literal["OpenMPI", ""] = "OpenMPI"
    sshAuthMountPath: str = Field("/root/.ssh", max_length=4096)
    runLauncherAsNode: bool = False


class MlPolicy(Strict):
    numNodes: Int32 | None = None
    torch: TorchPolicy | None = None
    mpi: MpiPolicy | None = None
    jax: dict[str, Any] | None = None
    xgboost: dict[str, Any] | None = None
    flux: dict[str, Any] | None = None


class Coscheduling(Strict):
    scheduleTimeoutSeconds: Int32 = 60


class PodGroupPolicy(Strict):
    coscheduling: Coscheduling | None = None
    volcano: dict[str, Any] | None = None


class JobSetTemplate(Strict):
    metadata: dict[str, Any] = Field(default_factory=dict)
    spec: JobSetSpec


class ClusterTrainingRuntimeSpec(Strict):
    mlPolicy: MlPolicy | None = None
    podGroupPolicy: PodGroupPolicy | None = None
    template: JobSetTemplate


class ClusterTrainingRuntime(Strict):
    apiVersion: Literal["trainer.kubeflow.org/v1alpha1"]
    kind: Literal["ClusterTrainingRuntime"]
    metadata: ObjectMeta
    spec: ClusterTrainingRuntimeSpec


class RuntimeRef(Strict):
    name: str = Field(max_length=253)
    apiGroup: str = Field("trainer.kubeflow.org", max_length=253)
    kind: Literal["ClusterTrainingRuntime", "TrainingRuntime"] = "ClusterTrainingRuntime"


class EnvVar(Strict):
    name: str
    value: str | None = None
    valueFrom: dict[str, Any] | None = None


class ResourceRequirements(Strict):
    requests: dict[str, str | int] = Field(default_factory=dict)
    limits: dict[str, str | int] = Field(default_factory=dict)


class TrainerSpec(Strict):
    image: str | None = Field(None, max_length=500)
    command: list[str] = Field(default_factory=list, max_length=128)
    args: list[str] = Field(default_factory=list, max_length=128)
    env: list[EnvVar] = Field(default_factory=list, max_length=128)
    numNodes: Int32 | None = Field(None, ge=0)
    numProcPerNode: Int32 | None = None
    resourcesPerNode: ResourceRequirements | None = None


class TrainJobSpec(Strict):
    runtimeRef: RuntimeRef
    trainer: TrainerSpec | None = None
    initializer: dict[str, Any] | None = None
    suspend: bool = False
    managedBy: str | None = Field(None, max_length=253)
    activeDeadlineSeconds: int | None = Field(None, ge=1)
    runtimePatches: list[dict[str, Any]] = Field(default_factory=list, max_length=16)


class TrainJob(Strict):
    apiVersion: Literal["trainer.kubeflow.org/v1alpha1"]
    kind: Literal["TrainJob"]
    metadata: ObjectMeta
    spec: TrainJobSpec


MODELS = {(API, "ClusterTrainingRuntime"): ClusterTrainingRuntime, (API, "TrainJob"): TrainJob}
