"""Network: a VPC with private and public subnets across availability zones, NAT, and EKS load-balancer tags."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from .._base import child_opts
from ._util import name_tags

TOKEN = "mlstack:aws:Network"


@dataclass(frozen=True, kw_only=True)
class NetworkArgs:
    """Arguments of :class:`Network`.

    Attributes:
        vpc_cidr: IPv4 CIDR of the VPC (``/16`` to ``/24``); default ``10.0.0.0/16``. With ``existing_vpc_id``
            it must be the existing VPC's CIDR (it is only passed through as the ``vpc_cidr`` output).
        az_count: availability zones to spread subnets over (2 to 6; EKS needs at least 2); default 3. Zones
            are the first ``az_count`` of the region's available zones, in the order AWS lists them.
        single_nat_gateway: one NAT gateway for all zones instead of one per zone. Default False: a zone
            outage then cuts egress only for that zone, at the price of one NAT gateway (plus its hourly
            fee) per zone. Set True for cost-sensitive, non-production environments.
        cluster_name: EKS cluster name for the ``kubernetes.io/cluster/<name>: shared`` subnet tag; None
            omits that tag (AwsEnvironment fills it in).
        existing_vpc_id: use this VPC instead of creating one; then nothing is created and the ``existing_*``
            ids are exposed as outputs.
        existing_private_subnet_ids: private subnet ids of ``existing_vpc_id`` (required with it).
        existing_public_subnet_ids: public subnet ids of ``existing_vpc_id``; default none.
        tags: tags for every resource, merged with ``Name``.
    """

    vpc_cidr: str = "10.0.0.0/16"
    az_count: int = 3
    single_nat_gateway: bool = False
    cluster_name: str | None = None
    existing_vpc_id: str | None = None
    existing_private_subnet_ids: Sequence[str] = ()
    existing_public_subnet_ids: Sequence[str] = ()
    tags: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.existing_vpc_id is not None:
            if not self.existing_private_subnet_ids:
                raise ValueError("existing_vpc_id needs existing_private_subnet_ids")
            return
        if not 2 <= self.az_count <= 6:
            raise ValueError(f"az_count must be between 2 and 6, got {self.az_count}")
        net = ipaddress.ip_network(self.vpc_cidr)
        if not 16 <= net.prefixlen <= 24:
            raise ValueError(f"vpc_cidr must be a /16 to /24 network, got {self.vpc_cidr}")


def subnet_cidrs(vpc_cidr: str, az_count: int) -> tuple[list[str], list[str]]:
    """Private and public subnet CIDRs for ``az_count`` zones.

    The VPC is cut in eight; zone ``i`` gets eighth ``i`` as its private subnet (pods take one VPC address
    each under the VPC CNI, so private subnets are large); the last eighth is cut in eight again for the
    small public subnets that hold only NAT gateways and load balancers. A /16 gives /19 private and
    /22 public subnets.
    """
    eighths = list(ipaddress.ip_network(vpc_cidr).subnets(prefixlen_diff=3))
    public = list(eighths[7].subnets(prefixlen_diff=3))
    return [str(eighths[i]) for i in range(az_count)], [str(public[i]) for i in range(az_count)]


class Network(pulumi.ComponentResource):
    """A VPC for EKS: private subnets for nodes and pods, public subnets for NAT and load balancers.

    Outputs:
        vpc_id, vpc_cidr, private_subnet_ids (one per zone), public_subnet_ids (one per zone).
    """

    vpc_id: pulumi.Output[str]
    vpc_cidr: pulumi.Output[str]
    private_subnet_ids: list[pulumi.Output[str]]
    public_subnet_ids: list[pulumi.Output[str]]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        if args.existing_vpc_id is not None:
            self.vpc_id = pulumi.Output.from_input(args.existing_vpc_id)
            self.vpc_cidr = pulumi.Output.from_input(args.vpc_cidr)
            self.private_subnet_ids = [pulumi.Output.from_input(s) for s in args.existing_private_subnet_ids]
            self.public_subnet_ids = [pulumi.Output.from_input(s) for s in args.existing_public_subnet_ids]
        else:
            self._create(name, args)
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "vpc_cidr": self.vpc_cidr,
                "private_subnet_ids": self.private_subnet_ids,
                "public_subnet_ids": self.public_subnet_ids,
            }
        )

    def _create(self, name: str, args: NetworkArgs) -> None:
        tags = args.tags
        cluster_tag = {f"kubernetes.io/cluster/{args.cluster_name}": "shared"} if args.cluster_name else {}
        zones = aws.get_availability_zones_output(state="available", opts=pulumi.InvokeOutputOptions(parent=self))
        private_cidrs, public_cidrs = subnet_cidrs(args.vpc_cidr, args.az_count)

        vpc = aws.ec2.Vpc(
            f"{name}-vpc",
            cidr_block=args.vpc_cidr,
            enable_dns_support=True,
            enable_dns_hostnames=True,  # EKS private endpoints and EFS mount-target DNS names need both
            tags=name_tags(tags, f"{name}-vpc"),
            opts=child_opts(self),
        )
        # Adopt the VPC's default security group and strip its rules, so nothing can fall back on it.
        aws.ec2.DefaultSecurityGroup(
            f"{name}-default-sg", vpc_id=vpc.id, tags=name_tags(tags, f"{name}-default-sg"), opts=child_opts(self)
        )
        igw = aws.ec2.InternetGateway(
            f"{name}-igw", vpc_id=vpc.id, tags=name_tags(tags, f"{name}-igw"), opts=child_opts(self)
        )
        public_rt = aws.ec2.RouteTable(
            f"{name}-public",
            vpc_id=vpc.id,
            routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", gateway_id=igw.id)],
            tags=name_tags(tags, f"{name}-public"),
            opts=child_opts(self),
        )

        public_subnets: list[aws.ec2.Subnet] = []
        private_subnets: list[aws.ec2.Subnet] = []
        nat_ids: list[pulumi.Output[str]] = []
        for i in range(args.az_count):
            zone = zones.names[i]
            pub_name, priv_name = f"{name}-public-{i}", f"{name}-private-{i}"
            public = aws.ec2.Subnet(
                pub_name,
                vpc_id=vpc.id,
                cidr_block=public_cidrs[i],
                availability_zone=zone,
                map_public_ip_on_launch=False,  # only NAT gateways and load balancers live here
                tags=name_tags(tags, pub_name, **{"kubernetes.io/role/elb": "1"}, **cluster_tag),
                opts=child_opts(self),
            )
            private = aws.ec2.Subnet(
                priv_name,
                vpc_id=vpc.id,
                cidr_block=private_cidrs[i],
                availability_zone=zone,
                map_public_ip_on_launch=False,
                tags=name_tags(tags, priv_name, **{"kubernetes.io/role/internal-elb": "1"}, **cluster_tag),
                opts=child_opts(self),
            )
            aws.ec2.RouteTableAssociation(
                f"{pub_name}-rta", subnet_id=public.id, route_table_id=public_rt.id, opts=child_opts(self)
            )
            public_subnets.append(public)
            private_subnets.append(private)
            if i == 0 or not args.single_nat_gateway:
                eip = aws.ec2.Eip(
                    f"{name}-nat-{i}-eip", domain="vpc", tags=name_tags(tags, f"{name}-nat-{i}-eip"), opts=child_opts(self)
                )
                nat = aws.ec2.NatGateway(
                    f"{name}-nat-{i}",
                    allocation_id=eip.id,
                    subnet_id=public.id,
                    connectivity_type="public",
                    tags=name_tags(tags, f"{name}-nat-{i}"),
                    opts=child_opts(self, depends_on=[igw]),  # a NAT gateway needs the IGW attached first
                )
                nat_ids.append(nat.id)
            private_rt = aws.ec2.RouteTable(
                priv_name,
                vpc_id=vpc.id,
                routes=[aws.ec2.RouteTableRouteArgs(cidr_block="0.0.0.0/0", nat_gateway_id=nat_ids[-1])],
                tags=name_tags(tags, priv_name),
                opts=child_opts(self),
            )
            aws.ec2.RouteTableAssociation(
                f"{priv_name}-rta", subnet_id=private.id, route_table_id=private_rt.id, opts=child_opts(self)
            )

        self.vpc_id = vpc.id
        self.vpc_cidr = vpc.cidr_block
        self.private_subnet_ids = [s.id for s in private_subnets]
        self.public_subnet_ids = [s.id for s in public_subnets]
