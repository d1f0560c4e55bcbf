"""Realistic, deterministic outputs for the credential-free plan.

A plan answers what the program consumes (ids, ARNs, endpoints, e-mails) with values shaped like the
cloud's own, derived only from the resource's name and inputs so that two plans are byte-identical.
An invoke with no answer here is an error that names it: an empty answer would plan something wrong.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from pulumi.runtime.mocks import MockCallArgs, MockResourceArgs, Mocks

from mlstack.errors import EngineError

ACCOUNT = "123456789012"
State = dict[str, Any]


def _suffix(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:7]


def physical_name(name: str, inputs: State, key: str = "name") -> str:
    """The name the cloud would hold: the explicit one, or Pulumi's auto-name (logical name + suffix)."""
    return inputs.get(key) or f"{name}-{_suffix(name)}"


class MockOutputs(Mocks):
    """Answers registrations and invokes as a cloud would, without one.

    Args:
        region: the AWS or GCP region of the target.
        gcp_project: the GCP project id, where the target is GCP.
    """

    def __init__(self, region: str = "us-west-2", gcp_project: str = "mlstack-plan") -> None:
        self.region = region
        self.gcp_project = gcp_project

    # -- resources ---------------------------------------------------------------------------------------
    def new_resource(self, args: MockResourceArgs) -> tuple[str, State]:
        state: State = dict(args.inputs)
        extra = _RESOURCES.get(args.typ)
        if extra is None:
            module = args.typ.split(":", 1)[0]
            extra = {"aws": _aws_generic, "gcp": _gcp_generic, "kubernetes": _k8s_generic}.get(module, _generic)
        res_id, outputs = extra(self, args.name, state)
        state.update(outputs)
        return res_id, state

    # -- invokes -----------------------------------------------------------------------------------------
    def call(self, args: MockCallArgs) -> tuple[State, list[tuple[str, str]] | None]:
        answer = _INVOKES.get(args.token)
        if answer is None:
            raise EngineError(
                f"the plan cannot answer the invoke {args.token!r}: a component calls a data source the "
                "credential-free plan has no answer for. Add it to mlstack/engine/plan/mocks.py or avoid the call."
            )
        return answer(self, args.args), []

    # -- helpers -----------------------------------------------------------------------------------------
    def arn(self, service: str, resource: str, region: bool = True) -> str:
        return f"arn:aws:{service}:{self.region if region else ''}:{ACCOUNT}:{resource}"


Handler = Callable[[MockOutputs, str, State], tuple[str, State]]


def _generic(m: MockOutputs, name: str, inputs: State) -> tuple[str, State]:
    return f"{name}-id", {}


def _aws_generic(m: MockOutputs, name: str, inputs: State) -> tuple[str, State]:
    pname = physical_name(name, inputs)
    return pname, {"arn": m.arn("mock", pname), "id": pname}


def _gcp_generic(m: MockOutputs, name: str, inputs: State) -> tuple[str, State]:
    pname = physical_name(name, inputs)
    return f"projects/{m.gcp_project}/locations/{m.region}/{pname}", {"name": pname}


def _k8s_generic(m: MockOutputs, name: str, inputs: State) -> tuple[str, State]:
    meta = dict(inputs.get("metadata") or {})
    meta.setdefault("name", physical_name(name, meta))
    ns = meta.get("namespace")
    return (f"{ns}/{meta['name']}" if ns else meta["name"]), {"metadata": meta}


def _with(id_fn: Callable[[MockOutputs, str, State], str], **fields: Callable[[MockOutputs, str, State], Any]) -> Handler:
    def handler(m: MockOutputs, name: str, inputs: State) -> tuple[str, State]:
        rid = id_fn(m, name, inputs)
        return rid, {"id": rid, **{k: f(m, rid, inputs) for k, f in fields.items()}}

    return handler


def _pname(key: str = "name") -> Callable[[MockOutputs, str, State], str]:
    return lambda m, name, inputs: physical_name(name, inputs, key)


def _hexid(prefix: str) -> Callable[[MockOutputs, str, State], str]:
    return lambda m, name, inputs: f"{prefix}-{hashlib.sha256(name.encode()).hexdigest()[:17]}"


_RESOURCES: dict[str, Handler] = {
    "aws:ec2/vpc:Vpc": _with(_hexid("vpc"), arn=lambda m, i, _: m.arn("ec2", f"vpc/{i}")),
    "aws:ec2/subnet:Subnet": _with(_hexid("subnet"), arn=lambda m, i, _: m.arn("ec2", f"subnet/{i}")),
    "aws:ec2/securityGroup:SecurityGroup": _with(_hexid("sg"), arn=lambda m, i, _: m.arn("ec2", f"security-group/{i}")),
    "aws:ec2/natGateway:NatGateway": _with(_hexid("nat")),
    "aws:ec2/eip:Eip": _with(_hexid("eipalloc"), publicIp=lambda m, i, _: "198.51.100.10"),
    "aws:ec2/internetGateway:InternetGateway": _with(_hexid("igw")),
    "aws:ec2/routeTable:RouteTable": _with(_hexid("rtb")),
    "aws:ec2/launchTemplate:LaunchTemplate": _with(_hexid("lt"), latestVersion=lambda m, i, _: 1),
    "aws:kms/key:Key": _with(
        lambda m, name, _: f"{hashlib.sha256(name.encode()).hexdigest()[:8]}-0000-4000-8000-{_suffix(name)}00000",
        arn=lambda m, i, _: m.arn("kms", f"key/{i}"),
        keyId=lambda m, i, _: i,
    ),
    "aws:iam/role:Role": _with(_pname(), arn=lambda m, i, _: m.arn("iam", f"role/{i}", region=False), name=lambda m, i, _: i),
    "aws:iam/policy:Policy": _with(_pname(), arn=lambda m, i, _: m.arn("iam", f"policy/{i}", region=False)),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": _with(
        lambda m, name, inputs: str(inputs.get("url", name)).removeprefix("https://"),
        arn=lambda m, i, _: m.arn("iam", f"oidc-provider/{i}", region=False),
    ),
    "aws:eks/cluster:Cluster": _with(
        _pname(),
        arn=lambda m, i, _: m.arn("eks", f"cluster/{i}"),
        name=lambda m, i, _: i,
        endpoint=lambda m, i, _: f"https://{_suffix(i).upper()}0000000000000000000000000.gr7.{m.region}.eks.amazonaws.com",
        certificateAuthority=lambda m, i, _: {"data": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1PQ0sKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo="},
        identities=lambda m, i, _: [
            {"oidcs": [{"issuer": f"https://oidc.eks.{m.region}.amazonaws.com/id/{_suffix(i).upper()}0000000000000000000000000"}]}
        ],
        vpcConfig=lambda m, i, inputs: {**(inputs.get("vpcConfig") or {}), "clusterSecurityGroupId": f"sg-{_suffix(i)}cluster"},
    ),
    "aws:eks/nodeGroup:NodeGroup": _with(
        _pname("nodeGroupName"), arn=lambda m, i, _: m.arn("eks", f"nodegroup/{i}"), nodeGroupName=lambda m, i, _: i
    ),
    "aws:s3/bucket:Bucket": _with(
        _pname("bucket"),
        arn=lambda m, i, _: f"arn:aws:s3:::{i}",
        bucket=lambda m, i, _: i,
        bucketRegionalDomainName=lambda m, i, _: f"{i}.s3.{m.region}.amazonaws.com",
    ),
    "aws:s3/bucketV2:BucketV2": _with(
        _pname("bucket"),
        arn=lambda m, i, _: f"arn:aws:s3:::{i}",
        bucket=lambda m, i, _: i,
        bucketRegionalDomainName=lambda m, i, _: f"{i}.s3.{m.region}.amazonaws.com",
    ),
    "aws:efs/fileSystem:FileSystem": _with(
        _hexid("fs"),
        arn=lambda m, i, _: m.arn("elasticfilesystem", f"file-system/{i}"),
        dnsName=lambda m, i, _: f"{i}.efs.{m.region}.amazonaws.com",
    ),
    "aws:efs/accessPoint:AccessPoint": _with(_hexid("fsap"), arn=lambda m, i, _: m.arn("elasticfilesystem", f"access-point/{i}")),
    "aws:ecr/repository:Repository": _with(
        _pname(),
        arn=lambda m, i, _: m.arn("ecr", f"repository/{i}"),
        repositoryUrl=lambda m, i, _: f"{ACCOUNT}.dkr.ecr.{m.region}.amazonaws.com/{i}",
        name=lambda m, i, _: i,
    ),
    "aws:rds/instance:Instance": _with(
        _pname("identifier"),
        arn=lambda m, i, _: m.arn("rds", f"db:{i}"),
        address=lambda m, i, _: f"{i}.c{_suffix(i)}.{m.region}.rds.amazonaws.com",
        endpoint=lambda m, i, _: f"{i}.c{_suffix(i)}.{m.region}.rds.amazonaws.com:5432",
        port=lambda m, i, _: 5432,
        masterUserSecrets=lambda m, i, _: [
            {"secretArn": m.arn("secretsmanager", f"secret:rds!db-{_suffix(i)}"), "secretStatus": "active"}
        ],
    ),
    "aws:rds/subnetGroup:SubnetGroup": _with(_pname(), arn=lambda m, i, _: m.arn("rds", f"subgrp:{i}")),
    "aws:cloudtrail/trail:Trail": _with(_pname(), arn=lambda m, i, _: m.arn("cloudtrail", f"trail/{i}")),
    "aws:cloudwatch/logGroup:LogGroup": _with(_pname(), arn=lambda m, i, _: m.arn("logs", f"log-group:{i}")),
    "random:index/randomPassword:RandomPassword": _with(
        lambda m, name, inputs: "none",
        result=lambda m, i, inputs: "mock-password-" + "x" * 16,
        bcryptHash=lambda m, i, inputs: "$2a$10$" + "M" * 53,
    ),
    "aws:secretsmanager/secret:Secret": _with(_pname(), arn=lambda m, i, _: m.arn("secretsmanager", f"secret:{i}")),
    "gcp:container/cluster:Cluster": _with(
        _pname(),
        endpoint=lambda m, i, _: "10.0.0.2",
        masterAuth=lambda m, i, _: {"clusterCaCertificate": "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1PQ0sKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo="},
        name=lambda m, i, _: i,
    ),
    "gcp:serviceaccount/account:Account": _with(
        lambda m, name, inputs: f"projects/{m.gcp_project}/serviceAccounts/{inputs.get('accountId', name)}@{m.gcp_project}.iam.gserviceaccount.com",
        email=lambda m, i, inputs: f"{inputs.get('accountId')}@{m.gcp_project}.iam.gserviceaccount.com",
        name=lambda m, i, _: i,
        member=lambda m, i, inputs: f"serviceAccount:{inputs.get('accountId')}@{m.gcp_project}.iam.gserviceaccount.com",
    ),
    "gcp:storage/bucket:Bucket": _with(_pname(), url=lambda m, i, _: f"gs://{i}", name=lambda m, i, _: i),
    "gcp:sql/databaseInstance:DatabaseInstance": _with(
        _pname(),
        privateIpAddress=lambda m, i, _: "10.20.0.3",
        connectionName=lambda m, i, _: f"{m.gcp_project}:{m.region}:{i}",
        name=lambda m, i, _: i,
    ),
    "gcp:filestore/instance:Instance": _with(
        _pname(),
        networks=lambda m, i, inputs: [{**n, "ipAddresses": ["10.30.0.2"]} for n in inputs.get("networks") or [{}]],
    ),
    "gcp:iam/workloadIdentityPool:WorkloadIdentityPool": _with(
        lambda m, name, inputs: f"projects/000000000000/locations/global/workloadIdentityPools/{inputs.get('workloadIdentityPoolId', name)}",
        name=lambda m, i, _: i,
    ),
    "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider": _with(
        lambda m, name, inputs: f"projects/000000000000/locations/global/workloadIdentityPools/{inputs.get('workloadIdentityPoolId')}/providers/{inputs.get('workloadIdentityPoolProviderId', name)}",
        name=lambda m, i, _: i,
    ),
    "gcp:compute/network:Network": _with(
        _pname(), selfLink=lambda m, i, _: f"https://www.googleapis.com/compute/v1/projects/{m.gcp_project}/global/networks/{i}"
    ),
    "gcp:compute/subnetwork:Subnetwork": _with(
        _pname(),
        selfLink=lambda m, i, _: f"https://www.googleapis.com/compute/v1/projects/{m.gcp_project}/regions/{m.region}/subnetworks/{i}",
    ),
    "gcp:artifactregistry/repository:Repository": _with(
        lambda m, name, inputs: f"projects/{m.gcp_project}/locations/{m.region}/repositories/{inputs.get('repositoryId', name)}",
        name=lambda m, i, inputs: inputs.get("repositoryId"),
    ),
    "gcp:kms/cryptoKey:CryptoKey": _with(
        lambda m, name, inputs: f"{inputs.get('keyRing')}/cryptoKeys/{physical_name(name, inputs)}",
    ),
    "gcp:kms/keyRing:KeyRing": _with(
        lambda m, name, inputs: f"projects/{m.gcp_project}/locations/{inputs.get('location', m.region)}/keyRings/{physical_name(name, inputs)}",
    ),
}


def _get_azs(m: MockOutputs, args: State) -> State:
    names = [f"{m.region}{z}" for z in "abc"]
    return {"names": names, "zoneIds": [f"usw2-az{i}" for i in range(1, 4)], "id": m.region, "state": "available"}


_INVOKES: dict[str, Callable[[MockOutputs, State], State]] = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": _get_azs,
    "aws:index/getCallerIdentity:getCallerIdentity": lambda m, a: {
        "accountId": ACCOUNT,
        "arn": f"arn:aws:iam::{ACCOUNT}:user/mlstack-plan",
        "userId": "AIDAMOCKPLAN",
        "id": ACCOUNT,
    },
    "aws:index/getRegion:getRegion": lambda m, a: {"name": m.region, "region": m.region, "id": m.region},
    "aws:index/getPartition:getPartition": lambda m, a: {"partition": "aws", "dnsSuffix": "amazonaws.com", "id": "aws"},
    "gcp:organizations/getProject:getProject": lambda m, a: {
        "projectId": m.gcp_project,
        "number": "000000000000",
        "name": m.gcp_project,
        "id": f"projects/{m.gcp_project}",
    },
    "gcp:organizations/getClientConfig:getClientConfig": lambda m, a: {
        "project": m.gcp_project,
        "region": m.region,
        "accessToken": "mock",
        "id": "mock",
    },
}
