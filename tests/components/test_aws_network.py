"""Network under recording mocks: VPC, subnets per zone, NAT, EKS load-balancer tags, existing VPC."""

from __future__ import annotations

import pytest

from mlstack.components.aws.network import Network, NetworkArgs, subnet_cidrs

SUBNET = "aws:ec2/subnet:Subnet"


def _plan(record_plan, args: NetworkArgs):
    return record_plan(lambda: Network("acme-ml-staging-network", args), region="us-west-2")


def test_vpc_subnets_and_tags(record_plan):
    plan = _plan(record_plan, NetworkArgs(cluster_name="acme-ml-staging", tags={"cost-center": "1234"}))
    comp = plan.one("mlstack:aws:Network", "acme-ml-staging-network")
    vpc = plan.one("aws:ec2/vpc:Vpc", "acme-ml-staging-network-vpc")
    assert vpc.parent == comp.urn
    assert vpc.inputs["cidrBlock"] == "10.0.0.0/16"
    assert vpc.inputs["enableDnsSupport"] is True and vpc.inputs["enableDnsHostnames"] is True
    assert vpc.inputs["tags"] == {"Name": "acme-ml-staging-network-vpc", "cost-center": "1234"}

    private = [plan.one(SUBNET, f"acme-ml-staging-network-private-{i}") for i in range(3)]
    public = [plan.one(SUBNET, f"acme-ml-staging-network-public-{i}") for i in range(3)]
    assert [s.inputs["availabilityZone"] for s in private] == ["us-west-2a", "us-west-2b", "us-west-2c"]
    assert [s.inputs["cidrBlock"] for s in private] == ["10.0.0.0/19", "10.0.32.0/19", "10.0.64.0/19"]
    assert [s.inputs["cidrBlock"] for s in public] == ["10.0.224.0/22", "10.0.228.0/22", "10.0.232.0/22"]
    assert private[0].inputs["tags"] == {
        "Name": "acme-ml-staging-network-private-0",
        "cost-center": "1234",
        "kubernetes.io/cluster/acme-ml-staging": "shared",
        "kubernetes.io/role/internal-elb": "1",
    }
    assert public[1].inputs["tags"]["kubernetes.io/role/elb"] == "1"
    assert public[1].inputs["tags"]["kubernetes.io/cluster/acme-ml-staging"] == "shared"
    assert all(s.inputs["mapPublicIpOnLaunch"] is False for s in private + public)
    assert all(r.parent == comp.urn for r in plan.resources if r.type != "mlstack:aws:Network")


def test_nat_per_zone_by_default(record_plan):
    plan = _plan(record_plan, NetworkArgs())
    nats = plan.of_type("aws:ec2/natGateway:NatGateway")
    assert [n.name for n in nats] == [f"acme-ml-staging-network-nat-{i}" for i in range(3)]
    routes = {r.name: r.inputs["routes"] for r in plan.of_type("aws:ec2/routeTable:RouteTable")}
    nat_ids = {r.inputs["routes"][0]["natGatewayId"] for r in plan.of_type("aws:ec2/routeTable:RouteTable") if "natGatewayId" in r.inputs["routes"][0]}
    assert len(nat_ids) == 3
    assert set(routes["acme-ml-staging-network-public"][0]) == {"cidrBlock", "gatewayId"}
    assert len(plan.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")) == 6
    assert plan.one("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "acme-ml-staging-network-default-sg")


def test_single_nat_gateway(record_plan):
    plan = _plan(record_plan, NetworkArgs(single_nat_gateway=True, az_count=2))
    assert [n.name for n in plan.of_type("aws:ec2/natGateway:NatGateway")] == ["acme-ml-staging-network-nat-0"]
    private_routes = [
        r.inputs["routes"][0]["natGatewayId"]
        for r in plan.of_type("aws:ec2/routeTable:RouteTable")
        if r.name.startswith("acme-ml-staging-network-private-")
    ]
    assert len(private_routes) == 2 and len(set(private_routes)) == 1
    assert "kubernetes.io/cluster/" not in str(plan.of_type(SUBNET)[0].inputs["tags"])


def test_existing_vpc_creates_nothing(record_plan):
    args = NetworkArgs(existing_vpc_id="vpc-0abc", existing_private_subnet_ids=["subnet-1", "subnet-2"])
    plan = _plan(record_plan, args)
    assert [r.type for r in plan.resources] == ["mlstack:aws:Network"]


def test_validation():
    with pytest.raises(ValueError, match="az_count"):
        NetworkArgs(az_count=1)
    with pytest.raises(ValueError, match="existing_private_subnet_ids"):
        NetworkArgs(existing_vpc_id="vpc-1")
    with pytest.raises(ValueError, match="/16 to /24"):
        NetworkArgs(vpc_cidr="10.0.0.0/8")
    assert subnet_cidrs("10.1.0.0/20", 2) == (["10.1.0.0/23", "10.1.2.0/23"], ["10.1.14.0/26", "10.1.14.64/26"])
