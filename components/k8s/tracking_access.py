"""MLflow from people's laptops: an internal load balancer, an Ingress or a Gateway with TLS, on the private network
only.

Off unless ``TrackingServerArgs.access`` is set (the spec's ``tracking.access``). What makes an endpoint
internal is the target's knowledge, handed in as ``annotations`` and ``ingress_class`` by its pack (AWS
``service.beta.kubernetes.io/aws-load-balancer-internal``, GKE ``networking.gke.io/load-balancer-type:
Internal``, ...) and the Gateway's class (GKE ``gke-l7-rilb``); this module only places them. Who may connect is ``source_cidrs``: the load balancer's
``loadBalancerSourceRanges`` and, in ``TrackingServer``, ipBlocks of the server's NetworkPolicy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from .tracking_pod import NAME, PORT

MODES = ("internal-load-balancer", "ingress", "gateway")
INTERNAL_SERVICE = f"{NAME}-internal"
GATEWAY_API = "gateway.networking.k8s.io/v1"
#: The Gateway's one listener (the HTTPRoute attaches to it by this section name).
LISTENER = "https"


@dataclass(frozen=True, kw_only=True)
class TrackingAccessArgs:
    """How laptops reach MLflow.

    Attributes:
        mode: ``internal-load-balancer`` (a second Service, type LoadBalancer, plain HTTP on the private network),
            ``ingress`` (an Ingress terminating TLS for ``host``) or ``gateway`` (a Gateway API Gateway with one
            HTTPS listener for ``host`` and an HTTPRoute to MLflow's Service).
        source_cidrs: private networks that may connect (at least one).
        host: the DNS name people use; required with ``ingress``.
        tls_secret: a ``kubernetes.io/tls`` Secret in MLflow's namespace with the host's certificate; required
            with ``ingress``.
        ingress_class: the IngressClass (``spec.ingressClassName``); None where the target selects its
            controller by annotation instead (GKE's ``kubernetes.io/ingress.class: gce-internal``).
        annotations: the target's annotations that make the Service's load balancer or the Ingress internal.
        gateway_class: the Gateway's GatewayClass (an internal one: GKE ``gke-l7-rilb``); required with
            ``gateway``.
        backend_policy: a policy for MLflow's Service that the Gateway controller reads (``apiVersion``, ``kind``,
            ``spec``; ``targetRef`` is added here), e.g. GKE's HealthCheckPolicy on ``/health``; None: none.
    """

    mode: str
    source_cidrs: Sequence[str]
    host: str | None = None
    tls_secret: str | None = None
    ingress_class: str | None = None
    annotations: Mapping[str, str] = field(default_factory=dict)
    gateway_class: str | None = None
    backend_policy: Mapping[str, Any] | None = None


def check(name: str, args: TrackingAccessArgs) -> None:
    """Raises ValueError for an access the component cannot make private (the spec rules refuse it first)."""
    tls = args.mode in ("ingress", "gateway")
    if (args.mode not in MODES or not args.source_cidrs or (tls and not (args.host and args.tls_secret))
            or (args.mode == "gateway" and not args.gateway_class)):
        raise ValueError(f"TrackingServer {name!r}: access needs a mode of {MODES}, source_cidrs, and with ingress "
                         "a host and tls_secret (as with gateway, which also needs a gateway_class)")


def expose(
    name: str,
    args: TrackingAccessArgs,
    meta: Callable[[str], k8s.meta.v1.ObjectMetaArgs],
    selector: Mapping[str, str],
    service: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> None:
    """The internal load balancer Service or the Ingress (children of the TrackingServer, names derived)."""

    def annotated(object_name: str) -> k8s.meta.v1.ObjectMetaArgs:
        base = meta(object_name)
        return k8s.meta.v1.ObjectMetaArgs(name=base.name, namespace=base.namespace, labels=base.labels,
                                          annotations=dict(sorted(args.annotations.items())) or None)  # fmt: skip

    if args.mode == "gateway":
        _gateway(name, args, annotated, meta, service, opts)
        return
    if args.mode == "internal-load-balancer":
        k8s.core.v1.Service(
            f"{name}-internal-lb",
            metadata=annotated(INTERNAL_SERVICE),
            spec=k8s.core.v1.ServiceSpecArgs(
                type="LoadBalancer",
                selector=dict(selector),
                # Client addresses reach the pod unchanged, so the NetworkPolicy's ipBlocks judge the laptop.
                external_traffic_policy="Local",
                load_balancer_source_ranges=sorted(args.source_cidrs),
                ports=[k8s.core.v1.ServicePortArgs(name="http", port=PORT, target_port="http", protocol="TCP")],
            ),
            opts=opts,
        )
        return
    k8s.networking.v1.Ingress(
        f"{name}-ingress-tls",
        metadata=annotated(NAME),
        spec=k8s.networking.v1.IngressSpecArgs(
            ingress_class_name=args.ingress_class,
            tls=[k8s.networking.v1.IngressTLSArgs(hosts=[str(args.host)], secret_name=args.tls_secret)],
            rules=[
                k8s.networking.v1.IngressRuleArgs(
                    host=args.host,
                    http=k8s.networking.v1.HTTPIngressRuleValueArgs(paths=[
                        k8s.networking.v1.HTTPIngressPathArgs(
                            path="/", path_type="Prefix",
                            backend=k8s.networking.v1.IngressBackendArgs(service=k8s.networking.v1.IngressServiceBackendArgs(
                                name=service, port=k8s.networking.v1.ServiceBackendPortArgs(number=PORT))),
                        )
                    ]),
                )
            ],
        ),
        opts=opts,
    )  # fmt: skip


def _gateway(
    name: str,
    args: TrackingAccessArgs,
    annotated: Callable[[str], k8s.meta.v1.ObjectMetaArgs],
    meta: Callable[[str], k8s.meta.v1.ObjectMetaArgs],
    service: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> None:
    """A Gateway with one HTTPS listener (TLS terminated with ``tls_secret``, routes from MLflow's namespace only),
    the HTTPRoute from it to MLflow's Service, and the target's policy for that Service."""
    k8s.apiextensions.CustomResource(
        f"{name}-gateway",
        api_version=GATEWAY_API,
        kind="Gateway",
        metadata=annotated(NAME),
        spec={
            "gatewayClassName": args.gateway_class,
            "listeners": [{
                "name": LISTENER, "protocol": "HTTPS", "port": 443, "hostname": args.host,
                "tls": {"mode": "Terminate", "certificateRefs": [{"group": "", "kind": "Secret", "name": args.tls_secret}]},
                "allowedRoutes": {"namespaces": {"from": "Same"}},
            }],
        },
        opts=opts,
    )  # fmt: skip
    k8s.apiextensions.CustomResource(
        f"{name}-route",
        api_version=GATEWAY_API,
        kind="HTTPRoute",
        metadata=meta(NAME),
        spec={
            "parentRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": NAME,
                            "sectionName": LISTENER}],
            "hostnames": [args.host],
            "rules": [{"matches": [{"path": {"type": "PathPrefix", "value": "/"}}],
                       "backendRefs": [{"group": "", "kind": "Service", "name": service, "port": PORT}]}],
        },
        opts=opts,
    )  # fmt: skip
    if args.backend_policy is not None:
        policy = dict(args.backend_policy)
        k8s.apiextensions.CustomResource(
            f"{name}-backend-policy",
            api_version=str(policy["apiVersion"]),
            kind=str(policy["kind"]),
            metadata=meta(NAME),
            spec={**dict(policy["spec"]), "targetRef": {"group": "", "kind": "Service", "name": service}},
            opts=opts,
        )
