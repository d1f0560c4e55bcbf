"""What GKE needs for MLflow's laptop endpoint (``tracking.access``): the region's proxy-only subnet, made when the
endpoint is GKE's own internal Application Load Balancer (a ``gce-internal`` Ingress; a ``gke-l7-rilb`` Gateway),
whose Envoy proxies take their addresses from it."""

from __future__ import annotations

from mlstack.spec import Spec
from mlstack.targets.gcp import PROXY_ONLY, RESERVED_RANGES

#: GKE's GatewayClass of the regional internal Application Load Balancer (single cluster).
GATEWAY_CLASS = "gke-l7-rilb"


def proxy_only_cidr(spec: Spec) -> str | None:
    """The proxy-only subnet's range (the pack's reserved one), or None where nothing needs it: no laptop access,
    an internal passthrough load balancer, or a class of the user's own (an ingress_class, another gateway_class)."""
    access = spec.tracking.access
    if access is None or access.mode == "internal-load-balancer" or access.ingress_class:
        return None
    if access.mode == "gateway" and (access.gateway_class or GATEWAY_CLASS) != GATEWAY_CLASS:
        return None
    return RESERVED_RANGES[PROXY_ONLY]


def gateway_api(spec: Spec) -> bool:
    """GKE's Gateway API (its CRDs and GatewayClasses, channel standard) for mode gateway."""
    return spec.tracking.access is not None and spec.tracking.access.mode == "gateway"
