"""Strict model of JobSet's jobset.x-k8s.io/v1alpha2 JobSet (JobSet v0.12.0 CRD). The Job templates inside
are returned for validation against the Kubernetes Job schema (see :func:`embedded_jobs`)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from ._base import Int32, ObjectMeta, Strict

API = "jobset.x-k8s.io/v1alpha2"


class JobTemplate(Strict):
    metadata: dict[str, Any] = Field(default_factory=dict)
    spec: dict[str, Any]


class DependsOn(Strict):
    name: str
    status: Literal["Ready", "Complete"]


class ReplicatedJob(Strict):
    name: str
    replicas: Int32 = Field(1, ge=0)
    groupName: str = "default"
    dependsOn: list[DependsOn] = Field(default_factory=list, max_length=5)
    template: JobTemplate


class Network(Strict):
    enableDNSHostnames: bool | None = None
    publishNotReadyAddresses: bool | None = None
    subdomain: str | None = None


class SuccessPolicy(Strict):
    operator: Literal["All", "Any"]
    targetReplicatedJobs: list[str] = Field(default_factory=list)


class FailurePolicyRule(Strict):
    name: str
    action: Literal["FailJobSet", "RestartJobSet", "RestartJobSetAndIgnoreMaxRestarts", "RestartJob", "RestartJobAndIgnoreMaxRestarts"]
    onJobFailureReasons: list[str] = Field(default_factory=list)
    onJobFailureMessagePatterns: list[str] = Field(default_factory=list)
    targetReplicatedJobs: list[str] = Field(default_factory=list)


class FailurePolicy(Strict):
    maxRestarts: Int32 | None = None
    restartStrategy: Literal["Recreate", "BlockingRecreate", "InPlaceRestart"] = "Recreate"
    rules: list[FailurePolicyRule] = Field(default_factory=list)


class StartupPolicy(Strict):
    startupPolicyOrder: Literal["AnyOrder", "InOrder"]


class Coordinator(Strict):
    replicatedJob: str
    jobIndex: int | None = None
    podIndex: int | None = None


class JobSetSpec(Strict):
    replicatedJobs: list[ReplicatedJob] = Field(default_factory=list)
    network: Network | None = None
    successPolicy: SuccessPolicy | None = None
    failurePolicy: FailurePolicy | None = None
    startupPolicy: StartupPolicy | None = None
    suspend: bool | None = None
    coordinator: Coordinator | None = None
    managedBy: str | None = None
    ttlSecondsAfterFinished: Int32 | None = Field(None, ge=0)
    volumeClaimPolicies: list[dict[str, Any]] = Field(default_factory=list, max_length=50)


class JobSet(Strict):
    apiVersion: Literal["jobset.x-k8s.io/v1alpha2"]
    kind: Literal["JobSet"]
    metadata: ObjectMeta
    spec: JobSetSpec


def embedded_jobs(spec: JobSetSpec, where: str) -> list[tuple[str, dict[str, Any]]]:
    """``(where, Job manifest)`` for every replicated Job's template, to validate with the Kubernetes schema."""
    return [
        (
            f"{where}/replicatedJobs/{rj.name}",
            {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": rj.name, **rj.template.metadata}, "spec": rj.template.spec},
        )
        for rj in spec.replicatedJobs
    ]


MODELS = {(API, "JobSet"): JobSet}
