"""The AWS table's entries for MLflow's laptop endpoint (``tracking.access``): the AWS Load Balancer Controller,
priced by the internal ALB it makes for MLflow's Ingress."""

from __future__ import annotations

from typing import Any

from mlstack.targets.base import ResourceType


def _cost_alb(c: Any, r: Any, plan: Any) -> None:
    # The ALB is the controller's (made for the Ingress, not a Pulumi resource): priced with the component.
    c.add_fixed(f"{r.name}-alb", "internal ALB for MLflow's Ingress (hourly; LCUs extra)", c.key("alb_hourly", r.name))


TYPES: dict[str, ResourceType] = {
    "mlstack:aws:LoadBalancerController": ResourceType(cost=_cost_alb),
}
