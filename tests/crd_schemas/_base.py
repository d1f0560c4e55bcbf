"""Shared pieces of the strict CRD models: a model that rejects unknown fields, metadata, quantities, selectors.

Written by hand from the upstream CRDs' OpenAPI schemas (field names, types, enums, bounds and the CEL rules
that matter to mlstack's objects); the upstream files are not copied. ``extra="forbid"`` everywhere: a
misspelt or invented field is an error, as the API server's structural-schema pruning would silently drop it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

DNS_SUBDOMAIN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$"
# A Kubernetes resource.Quantity as the CRDs' x-kubernetes-int-or-string pattern states it.
QUANTITY = r"^(\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))(([KMGTPE]i)|[numkMGTPE]|([eE](\+|-)?(([0-9]+(\.[0-9]*)?)|(\.[0-9]+))))?$"

Subdomain = Annotated[str, StringConstraints(pattern=DNS_SUBDOMAIN, max_length=253)]
QuantityStr = Annotated[str, StringConstraints(pattern=QUANTITY)]
Quantity = QuantityStr | int
Int32 = Annotated[int, Field(ge=-(2**31), le=2**31 - 1)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, populate_by_name=True)


class ObjectMeta(Strict):
    name: Subdomain
    namespace: Subdomain | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)


class LabelSelectorRequirement(Strict):
    key: str
    operator: Literal["In", "NotIn", "Exists", "DoesNotExist"]
    values: list[str] = Field(default_factory=list)


class LabelSelector(Strict):
    matchLabels: dict[str, str] = Field(default_factory=dict)
    matchExpressions: list[LabelSelectorRequirement] = Field(default_factory=list)


class Toleration(Strict):
    key: str | None = None
    operator: Literal["Equal", "Exists"] | None = None
    value: str | None = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"] | None = None
    tolerationSeconds: int | None = None


class Taint(Strict):
    key: str
    value: str | None = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]
    timeAdded: str | None = None
