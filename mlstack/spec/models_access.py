"""How people reach MLflow from their laptops (``tracking.access``): the internal load balancer, the Ingress or the
Gateway, and who may connect. Re-exported by ``mlstack.spec.models``; what each target makes of it is in
docs/hub.md ("Reaching MLflow from laptops")."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from mlstack.spec.model_base import Cidr, Model


class TrackingAccess(Model):
    """MLflow reachable from people's laptops over the private network (VPN, peering, the lab LAN); off when unset."""

    mode: Literal["internal-load-balancer", "ingress", "gateway"] = Field(
        description="internal-load-balancer: a Service of type LoadBalancer with the target's internal annotations "
        "(AWS internal NLB, GKE internal passthrough LB; on-prem your LB, e.g. MetalLB), plain HTTP on the private "
        "network. ingress: an Ingress with TLS (tls_secret) on the target's internal ingress class. gateway: a "
        "Gateway API Gateway (HTTPS listener, TLS from tls_secret) and HTTPRoute on gateway_class (gcp: "
        "gke-l7-rilb; onprem: name yours; aws: refused).", examples=["ingress"],
    )
    source_cidrs: list[Cidr] = Field(
        min_length=1,
        description="Private networks that may connect (RFC 1918): the load balancer's source ranges and the "
        "NetworkPolicy's ipBlocks (the LB keeps client addresses: externalTrafficPolicy Local). With ingress: the "
        "networks the ingress controller's proxies connect from (the VPC, GKE's proxy-only subnet, the controller "
        "pods).", examples=[["10.0.0.0/8"]],
    )
    host: str | None = Field(
        None, pattern=r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$",
        description="DNS name people use (accepted by MLflow's Host check); required with ingress.", examples=["mlflow.ml.acme.internal"],
    )
    tls_secret: str | None = Field(
        None, pattern=r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$",
        description="A kubernetes.io/tls Secret in namespace mlflow holding the host's certificate (yours or "
        "cert-manager's); required with ingress.", examples=["mlflow-tls"],
    )
    ingress_class: str | None = Field(
        None, description="IngressClass of an internal ingress controller; default the target's (aws: alb, gcp: "
        "gce-internal, onprem: nginx).", examples=["nginx-internal"],
    )
    gateway_class: str | None = Field(
        None, pattern=r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$",
        description="GatewayClass of an internal Gateway controller (mode gateway); default the target's (gcp: "
        "gke-l7-rilb, the regional internal Application LB); required on onprem.", examples=["internal-gateway"],
    )
