"""MLflow from people's laptops: an internal load balancer or an Ingress with TLS, on the private network only.

Off unless ``TrackingServerArgs.access`` is set (the spec's ``tracking.access``). What makes an endpoint
internal is the target's knowledge, handed in as ``annotations`` and ``ingress_class`` by its pack (AWS
``service.beta.kubernetes.io/aws-load-balancer-internal``, GKE ``networking.gke.io/load-balancer-type:
Internal``, ...); this module only places them. Who may connect is ``source_cidrs``: the load balancer's
``loadBalancerSourceRanges`` and, in ``TrackingServer``, ipBlocks of the server's NetworkPolicy.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from .tracking_pod import NAME, PORT

MODES = ("internal-load-balancer", "ingress")
INTERNAL_SERVICE = f"{NAME}-internal"


@dataclass(frozen=True, kw_only=True)
class TrackingAccessArgs:
    """How laptops reach MLflow.

    Attributes:
        mode: ``internal-load-balancer`` (a second Service, type LoadBalancer, plain HTTP on the private network)
            or ``ingress`` (an Ingress terminating TLS for ``host``).
        source_cidrs: private networks that may connect (at least one).
        host: the DNS name people use; required with ``ingress``.
        tls_secret: a ``kubernetes.io/tls`` Secret in MLflow's namespace with the host's certificate; required
            with ``ingress``.
        ingress_class: the IngressClass (``spec.ingressClassName``); None where the target selects its
            controller by annotation instead (GKE's ``kubernetes.io/ingress.class: gce-internal``).
        annotations: the target's annotations that make the Service's load balancer or the Ingress internal.
    """

    mode: str
    source_cidrs: Sequence[str]
    host: str | None = None
    tls_secret: str | None = None
    ingress_class: str | None = None
    annotations: Mapping[str, str] = field(default_factory=dict)


def check(name: str, args: TrackingAccessArgs) -> None:
    """Raises ValueError for an access the component cannot make private (the spec rules refuse it first)."""
    if args.mode not in MODES or not args.source_cidrs or (args.mode == "ingress" and not (args.host and args.tls_secret)):
        raise ValueError(f"TrackingServer {name!r}: access needs a mode of {MODES}, source_cidrs, and with ingress "
                         "a host and tls_secret")


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
