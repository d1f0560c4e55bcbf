"""Strict models of Kueue's kueue.x-k8s.io/v1beta2 objects mlstack creates (Kueue v0.19.2 CRDs):
ResourceFlavor, ClusterQueue, LocalQueue, WorkloadPriorityClass."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from ._base import Int32, LabelSelector, ObjectMeta, Quantity, Strict, Subdomain, Taint, Toleration

API = "kueue.x-k8s.io/v1beta2"


class ResourceFlavorSpec(Strict):
    nodeLabels: dict[str, str] = Field(default_factory=dict, max_length=8)
    nodeTaints: list[Taint] = Field(default_factory=list, max_length=8)
    tolerations: list[Toleration] = Field(default_factory=list, max_length=8)
    topologyName: Subdomain | None = None

    @model_validator(mode="after")
    def _rules(self) -> ResourceFlavorSpec:
        # CEL: operator must be Exists when key is empty; topologyName needs a node label.
        for t in self.tolerations:
            if t.key is None and t.operator != "Exists":
                raise ValueError("tolerations: operator must be Exists when 'key' is empty")
        if self.topologyName and not self.nodeLabels:
            raise ValueError("at least one nodeLabel is required when topology is set")
        return self


class ResourceFlavor(Strict):
    apiVersion: Literal["kueue.x-k8s.io/v1beta2"]
    kind: Literal["ResourceFlavor"]
    metadata: ObjectMeta
    spec: ResourceFlavorSpec = Field(default_factory=ResourceFlavorSpec)


class ResourceQuota(Strict):
    name: str
    nominalQuota: Quantity
    borrowingLimit: Quantity | None = None
    lendingLimit: Quantity | None = None


class FlavorQuotas(Strict):
    name: Subdomain
    resources: list[ResourceQuota] = Field(min_length=1, max_length=64)


class ResourceGroup(Strict):
    coveredResources: list[str] = Field(min_length=1, max_length=64)
    flavors: list[FlavorQuotas] = Field(min_length=1, max_length=64)

    @model_validator(mode="after")
    def _same_resources(self) -> ResourceGroup:
        # CEL: every flavor lists as many resources as are covered; Kueue's webhook: the same names, in order.
        for f in self.flavors:
            if [r.name for r in f.resources] != self.coveredResources:
                raise ValueError(f"flavor {f.name}: resources {[r.name for r in f.resources]} != coveredResources {self.coveredResources}")
        return self


class BorrowWithinCohort(Strict):
    policy: Literal["Never", "LowerPriority"] = "Never"
    maxPriorityThreshold: Int32 | None = None


class Preemption(Strict):
    reclaimWithinCohort: Literal["Never", "LowerPriority", "Any"] = "Never"
    withinClusterQueue: Literal["Never", "LowerPriority", "LowerOrNewerEqualPriority"] = "Never"
    borrowWithinCohort: BorrowWithinCohort | None = None

    @model_validator(mode="after")
    def _rule(self) -> Preemption:
        if self.reclaimWithinCohort == "Never" and self.borrowWithinCohort and self.borrowWithinCohort.policy != "Never":
            raise ValueError("reclaimWithinCohort=Never and borrowWithinCohort.Policy!=Never")
        return self


class FlavorFungibility(Strict):
    whenCanBorrow: Literal["MayStopSearch", "TryNextFlavor"] = "MayStopSearch"
    whenCanPreempt: Literal["MayStopSearch", "TryNextFlavor"] = "TryNextFlavor"
    preference: Literal["BorrowingOverPreemption", "PreemptionOverBorrowing"] | None = None


class FairSharing(Strict):
    weight: Quantity | None = None


class ClusterQueueSpec(Strict):
    cohortName: Subdomain | None = None
    namespaceSelector: LabelSelector | None = None
    queueingStrategy: Literal["StrictFIFO", "BestEffortFIFO"] = "BestEffortFIFO"
    preemption: Preemption = Field(default_factory=Preemption)
    resourceGroups: list[ResourceGroup] = Field(default_factory=list, max_length=16)
    flavorFungibility: FlavorFungibility | None = None
    stopPolicy: Literal["None", "Hold", "HoldAndDrain"] | None = None
    fairSharing: FairSharing | None = None
    # Not used by mlstack; shapes kept open (they are validated by Kueue's own schema on apply).
    admissionChecksStrategy: dict[str, Any] | None = None
    admissionScope: dict[str, Any] | None = None
    concurrentAdmissionPolicy: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _rules(self) -> ClusterQueueSpec:
        if not self.cohortName and any(r.borrowingLimit is not None for g in self.resourceGroups for f in g.flavors for r in f.resources):
            raise ValueError("borrowingLimit must be nil when cohort is empty")
        # Kueue's webhook: a resource and a flavor each belong to one resource group.
        resources = [r for g in self.resourceGroups for r in g.coveredResources]
        flavors = [f.name for g in self.resourceGroups for f in g.flavors]
        if len(resources) != len(set(resources)):
            raise ValueError(f"a resource is covered by more than one resource group: {resources}")
        if len(flavors) != len(set(flavors)):
            raise ValueError(f"a flavor is in more than one resource group: {flavors}")
        return self


class ClusterQueue(Strict):
    apiVersion: Literal["kueue.x-k8s.io/v1beta2"]
    kind: Literal["ClusterQueue"]
    metadata: ObjectMeta
    spec: ClusterQueueSpec


class LocalQueueSpec(Strict):
    clusterQueue: Subdomain
    stopPolicy: Literal["None", "Hold", "HoldAndDrain"] | None = None
    fairSharing: FairSharing | None = None


class LocalQueue(Strict):
    apiVersion: Literal["kueue.x-k8s.io/v1beta2"]
    kind: Literal["LocalQueue"]
    metadata: ObjectMeta
    spec: LocalQueueSpec

    @model_validator(mode="after")
    def _namespaced(self) -> LocalQueue:
        if not self.metadata.namespace:
            raise ValueError("a LocalQueue is namespaced: metadata.namespace is required")
        return self


class WorkloadPriorityClass(Strict):
    apiVersion: Literal["kueue.x-k8s.io/v1beta2"]
    kind: Literal["WorkloadPriorityClass"]
    metadata: ObjectMeta
    value: Int32
    description: str | None = Field(None, max_length=2048)


MODELS = {
    (API, "ResourceFlavor"): ResourceFlavor,
    (API, "ClusterQueue"): ClusterQueue,
    (API, "LocalQueue"): LocalQueue,
    (API, "WorkloadPriorityClass"): WorkloadPriorityClass,
}
