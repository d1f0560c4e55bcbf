"""The VPC a GKE environment lives in: subnet with pod/service ranges, Cloud NAT, private services access."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp

from .._base import child_opts

TOKEN = "mlstack:gcp:Network"


@dataclass(frozen=True, kw_only=True)
class NetworkArgs:
    """Inputs of :class:`Network`.

    Attributes:
        project_id: the GCP project that owns every resource.
        region: the region of the subnet, router and NAT.
        subnet_cidr: primary range of the node subnet. Default ``10.0.0.0/20`` (4,092 nodes).
        pods_cidr: secondary range for pod IPs (VPC-native). Default ``10.4.0.0/14``.
        services_cidr: secondary range for ClusterIP services. Default ``10.8.0.0/20``.
        private_services_cidr: range reserved for private services access (Cloud SQL, Filestore), peered
            through Service Networking. Default ``10.20.0.0/16``.
        proxy_only_cidr: range of a proxy-only subnet (purpose ``REGIONAL_MANAGED_PROXY``, role ``ACTIVE``) in
            ``region``, where the Envoy proxies of regional internal Application Load Balancers run (a
            ``gce-internal`` Ingress, a ``gke-l7-rilb`` Gateway need one); a /26 or larger (Google recommends a
            /23), clear of the other ranges. Default None: none (a VPC has at most one active per region).
        labels: labels on the resources that take them (the global address).
    """

    project_id: str
    region: str
    subnet_cidr: str = "10.0.0.0/20"
    pods_cidr: str = "10.4.0.0/14"
    services_cidr: str = "10.8.0.0/20"
    private_services_cidr: str = "10.20.0.0/16"
    flow_log_sampling: float = 0.5
    proxy_only_cidr: str | None = None
    labels: dict[str, str] = field(default_factory=dict)


class Network(pulumi.ComponentResource):
    """A custom-mode VPC with one regional subnet, Cloud NAT for egress and private services access.

    The private services access range and its ``servicenetworking`` connection live here (one place) so that
    Cloud SQL and Filestore share one peering; consumers depend on :attr:`private_services_connection`.

    Outputs:
        network_id, network_name, network_self_link, subnetwork_self_link, pods_range_name,
        services_range_name, private_services_range_name, private_services_connection (the resource),
        proxy_only_subnetwork_self_link (or None).
    """

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        p = args.project_id
        self.pods_range_name: str = f"{name}-pods"
        self.services_range_name: str = f"{name}-services"

        # Custom mode: auto mode would create a subnet in every region with ranges we do not plan.
        vpc = gcp.compute.Network(
            f"{name}-vpc",
            project=p,
            auto_create_subnetworks=False,
            routing_mode="REGIONAL",
            opts=child_opts(self),
        )
        subnet = gcp.compute.Subnetwork(
            f"{name}-subnet",
            project=p,
            region=args.region,
            network=vpc.id,
            ip_cidr_range=args.subnet_cidr,
            # Nodes have no external IPs: Google APIs (GCR, GCS, Artifact Registry) over private access.
            private_ip_google_access=True,
            secondary_ip_ranges=[
                gcp.compute.SubnetworkSecondaryIpRangeArgs(range_name=self.pods_range_name, ip_cidr_range=args.pods_cidr),
                gcp.compute.SubnetworkSecondaryIpRangeArgs(
                    range_name=self.services_range_name, ip_cidr_range=args.services_cidr
                ),
            ],
            log_config=gcp.compute.SubnetworkLogConfigArgs(
                aggregation_interval="INTERVAL_5_SEC",
                flow_sampling=args.flow_log_sampling,
                metadata="INCLUDE_ALL_METADATA",
            ),
            opts=child_opts(self),
        )
        self.proxy_only_subnetwork_self_link: pulumi.Output[str] | None = None
        if args.proxy_only_cidr is not None:
            # Only the load balancers' proxies take addresses here (no VMs, no flow logs, no private access).
            self.proxy_only_subnetwork_self_link = gcp.compute.Subnetwork(
                f"{name}-proxy-only",
                project=p,
                region=args.region,
                network=vpc.id,
                ip_cidr_range=args.proxy_only_cidr,
                purpose="REGIONAL_MANAGED_PROXY",
                role="ACTIVE",
                opts=child_opts(self),
            ).self_link
        router = gcp.compute.Router(
            f"{name}-router", project=p, region=args.region, network=vpc.id, opts=child_opts(self)
        )
        gcp.compute.RouterNat(
            f"{name}-nat",
            project=p,
            region=args.region,
            router=router.name,
            nat_ip_allocate_option="AUTO_ONLY",
            # Only our subnet (primary and secondary ranges) egresses through this NAT.
            source_subnetwork_ip_ranges_to_nat="LIST_OF_SUBNETWORKS",
            subnetworks=[
                gcp.compute.RouterNatSubnetworkArgs(name=subnet.id, source_ip_ranges_to_nats=["ALL_IP_RANGES"])
            ],
            log_config=gcp.compute.RouterNatLogConfigArgs(enable=True, filter="ERRORS_ONLY"),
            opts=child_opts(self),
        )

        address, prefix = args.private_services_cidr.split("/")
        psa_range = gcp.compute.GlobalAddress(
            f"{name}-psa-range",
            project=p,
            network=vpc.id,
            purpose="VPC_PEERING",
            address_type="INTERNAL",
            address=address,
            prefix_length=int(prefix),
            labels=dict(sorted(args.labels.items())),
            opts=child_opts(self),
        )
        self.private_services_connection = gcp.servicenetworking.Connection(
            f"{name}-psa",
            network=vpc.id,
            service="servicenetworking.googleapis.com",
            reserved_peering_ranges=[psa_range.name],
            opts=child_opts(self),
        )

        self.network_id: pulumi.Output[str] = vpc.id
        # The self link ends in the network's name; reading it from there needs no extra look-up.
        self.network_name: pulumi.Output[str] = vpc.self_link.apply(lambda link: link.rsplit("/", 1)[-1])
        self.network_self_link: pulumi.Output[str] = vpc.self_link
        self.subnetwork_self_link: pulumi.Output[str] = subnet.self_link
        self.private_services_range_name: pulumi.Output[str] = psa_range.name
        self.register_outputs(
            {
                "network_id": self.network_id,
                "network_name": self.network_name,
                "network_self_link": self.network_self_link,
                "subnetwork_self_link": self.subnetwork_self_link,
                "pods_range_name": self.pods_range_name,
                "services_range_name": self.services_range_name,
                "private_services_range_name": self.private_services_range_name,
                "proxy_only_subnetwork_self_link": self.proxy_only_subnetwork_self_link,
            }
        )
