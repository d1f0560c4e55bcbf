"""The AWS table: every ``aws:`` resource type mlstack creates (and the mlstack components that stand for a
capability), with the plan's mock answer, replace triggers, cost, parity and data-safety flags.

Replace triggers are wire (camelCase) paths, read where the upstream Terraform schema says ``ForceNew``
(pulumi-aws 7.x = terraform-provider-aws 6.x; checked 2026-11-29): internal/service/eks/cluster.go and
node_group.go read directly (EKS cluster subnets, security groups and encryption config update in place; node
group instance types, capacity type, disk size, AMI type, subnets and role replace), the Terraform Registry
resource pages ("Changing this forces a new resource") for the rest. Entries with a ``note`` approximate.
"""

from __future__ import annotations

import hashlib
from typing import Any

from mlstack.targets.base import AcceleratorHint, Parity, ReplaceRule, ResourceType, State
from mlstack.targets.kit import hexid, lustre_cost, physical_name, pname, pool_name, suffix, with_

ACCOUNT = "123456789012"
_TF = "terraform-provider-aws schema (ForceNew)"
_CA = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1PQ0sKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo="


# (region prefix, partition, DNS suffix), first match wins: GovCloud, China, then the commercial partition.
# Source: AWS General Reference, "Amazon Resource Names (ARNs)" (partition); checked 2026-12-01.
PARTITIONS = (("us-gov-", "aws-us-gov", "amazonaws.com"), ("cn-", "aws-cn", "amazonaws.com.cn"), ("", "aws", "amazonaws.com"))


def partition(m: Any) -> tuple[str, str]:
    """The partition and DNS suffix of the plan's region, as ``aws.get_partition`` answers there."""
    return next((p, d) for prefix, p, d in PARTITIONS if str(m.region).startswith(prefix))


def arn(m: Any, service: str, resource: str, region: bool = True) -> str:
    """An ARN in the plan's partition, account and region (``region=False`` for global services such as IAM)."""
    return f"arn:{partition(m)[0]}:{service}:{m.region if region else ''}:{ACCOUNT}:{resource}"


def generic_mock(m: Any, name: str, inputs: State) -> tuple[str, State]:
    pn = physical_name(name, inputs)
    return pn, {"arn": arn(m, "mock", pn), "id": pn}


def _bucket(m: Any, i: str, _: State) -> str:
    return f"{i}.s3.{m.region}.amazonaws.com"


# -- cost extractors ---------------------------------------------------------------------------------------


def _cost_node_group(c: Any, r: Any, plan: Any) -> None:
    types = r.inputs.get("instanceTypes") or []
    sc = r.inputs.get("scalingConfig") or {}
    spot = r.inputs.get("capacityType") == "SPOT"
    note = f"first of {len(types)} instance types" if len(types) > 1 else ""
    c.pool(pool_name(r), str(types[0]) if types else "?", spot, int(sc.get("minSize") or 0), int(sc.get("maxSize") or 0), note)


def _cost_cluster(c: Any, r: Any, plan: Any) -> None:
    c.add_fixed(r.name, "EKS cluster fee", c.key("eks_cluster_hourly", r.name))


def _cost_nat(c: Any, r: Any, plan: Any) -> None:
    c.add_fixed(r.name, "NAT gateway (hourly, data processed extra)", c.key("nat_gateway_hourly", r.name))


def _cost_rds(c: Any, r: Any, plan: Any) -> None:
    cls = str(r.inputs.get("instanceClass", ""))
    ha = r.inputs.get("multiAz") is True
    hourly = c.key(f"database_hourly:{cls}", r.name) * (2 if ha else 1)
    c.add_fixed(r.name, f"RDS {cls}{' Multi-AZ' if ha else ''}", hourly)
    gib = int(r.inputs.get("allocatedStorage") or 0)
    c.add_monthly(f"{r.name}-storage", f"RDS storage {gib} GiB{' x2 (Multi-AZ)' if ha else ''}",
                  gib * c.key("rds_storage_gib_month", f"{r.name}-storage") * (2 if ha else 1))


def _cost_efs(c: Any, r: Any, plan: Any) -> None:
    if c.shared_storage_gib is None:
        c.missing(f"{r.name}: EFS usage (storage.shared.size_gib not set)")
        c.add_monthly(r.name, "EFS (billed by usage)", 0.0, "usage unknown: counted as 0")
    else:
        c.add_monthly(r.name, f"EFS {c.shared_storage_gib} GiB stored (assumed: storage.shared.size_gib)",
                      c.shared_storage_gib * c.key("efs_gib_month", r.name))


def _node_group_accelerators(inputs: State) -> AcceleratorHint:
    return AcceleratorHint(labels=inputs.get("labels") or {})


TYPES: dict[str, ResourceType] = {
    # -- cluster and pools ---------------------------------------------------------------------------------
    "aws:eks/cluster:Cluster": ResourceType(
        mock=with_(
            pname(),
            arn=lambda m, i, _: arn(m, "eks", f"cluster/{i}"),
            name=lambda m, i, _: i,
            endpoint=lambda m, i, _: f"https://{suffix(i).upper()}0000000000000000000000000.gr7.{m.region}.eks.amazonaws.com",
            certificateAuthority=lambda m, i, _: {"data": _CA},
            identities=lambda m, i, _: [
                {"oidcs": [{"issuer": f"https://oidc.eks.{m.region}.amazonaws.com/id/{suffix(i).upper()}0000000000000000000000000"}]}
            ],
            vpcConfig=lambda m, i, inputs: {**(inputs.get("vpcConfig") or {}), "clusterSecurityGroupId": f"sg-{suffix(i)}cluster"},
        ),
        replace=ReplaceRule(
            (
                "name", "roleArn", "bootstrapSelfManagedAddons", "accessConfig.bootstrapClusterCreatorAdminPermissions",
                "kubernetesNetworkConfig.ipFamily", "kubernetesNetworkConfig.serviceIpv4Cidr", "outpostConfig",
                "remoteNetworkConfig",
            ),
            note="vpcConfig subnets/security groups, encryptionConfig, logging and version update in place",
            source="terraform-provider-aws internal/service/eks/cluster.go",
        ),
        cost=_cost_cluster,
        parity=Parity("cluster", "native", "EKS"),
        stateful=True,
    ),
    "aws:eks/nodeGroup:NodeGroup": ResourceType(
        mock=with_(pname("nodeGroupName"), arn=lambda m, i, _: arn(m, "eks", f"nodegroup/{i}"), nodeGroupName=lambda m, i, _: i),
        replace=ReplaceRule(
            (
                "amiType", "capacityType", "clusterName", "diskSize", "instanceTypes", "launchTemplate.id",
                "launchTemplate.name", "nodeGroupName", "nodeGroupNamePrefix", "nodeRoleArn", "remoteAccess", "subnetIds",
            ),
            note="scalingConfig, labels, taints, version and launchTemplate.version update in place",
            source="terraform-provider-aws internal/service/eks/node_group.go",
        ),
        cost=_cost_node_group,
        parity=Parity("pools", "native", "EKS managed node groups (autoscaling)"),
        accelerators=_node_group_accelerators,
    ),
    "aws:eks/addon:Addon": ResourceType(
        replace=ReplaceRule(("addonName", "clusterName"), source=_TF),
        parity=Parity("node health", "native", "EKS node monitoring agent + node auto repair on accelerator pools",
                      applies=lambda r: r.inputs.get("addonName") == "eks-node-monitoring-agent"),
    ),
    "aws:eks/accessEntry:AccessEntry": ResourceType(replace=ReplaceRule(("clusterName", "principalArn", "type"), source=_TF)),
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": ResourceType(
        replace=ReplaceRule(("clusterName", "policyArn", "principalArn", "accessScope"), source=_TF)
    ),
    # -- network -------------------------------------------------------------------------------------------
    "aws:ec2/vpc:Vpc": ResourceType(
        mock=with_(hexid("vpc"), arn=lambda m, i, _: arn(m, "ec2", f"vpc/{i}")),
        replace=ReplaceRule(("cidrBlock", "instanceTenancy", "ipv4IpamPoolId"), source=_TF),
    ),
    "aws:ec2/subnet:Subnet": ResourceType(
        mock=with_(hexid("subnet"), arn=lambda m, i, _: arn(m, "ec2", f"subnet/{i}")),
        replace=ReplaceRule(("vpcId", "cidrBlock", "availabilityZone", "availabilityZoneId"), source=_TF),
    ),
    "aws:ec2/securityGroup:SecurityGroup": ResourceType(
        mock=with_(hexid("sg"), arn=lambda m, i, _: arn(m, "ec2", f"security-group/{i}")),
        replace=ReplaceRule(("name", "namePrefix", "description", "vpcId"), source=_TF),
    ),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": ResourceType(replace=ReplaceRule(("vpcId",), source=_TF)),
    # Multi-node (EFA) pools: every argument of a placement group is immutable; a rule moves to another group.
    "aws:ec2/placementGroup:PlacementGroup": ResourceType(
        replace=ReplaceRule(("name", "namePrefix", "strategy", "partitionCount", "spreadLevel"), source=_TF)
    ),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": ResourceType(replace=ReplaceRule(("securityGroupId",), source=_TF)),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ResourceType(
        replace=ReplaceRule(("securityGroupId",), source=_TF)
    ),
    "aws:ec2/natGateway:NatGateway": ResourceType(
        mock=with_(hexid("nat")),
        replace=ReplaceRule(("subnetId", "allocationId", "connectivityType", "privateIp"), source=_TF),
        cost=_cost_nat,
    ),
    "aws:ec2/eip:Eip": ResourceType(
        mock=with_(hexid("eipalloc"), publicIp=lambda m, i, _: "198.51.100.10"),
        replace=ReplaceRule(("domain", "networkBorderGroup", "publicIpv4Pool", "address"), source=_TF),
    ),
    "aws:ec2/internetGateway:InternetGateway": ResourceType(mock=with_(hexid("igw"))),
    "aws:ec2/routeTable:RouteTable": ResourceType(mock=with_(hexid("rtb")), replace=ReplaceRule(("vpcId",), source=_TF)),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": ResourceType(
        replace=ReplaceRule(("subnetId", "gatewayId"), source=_TF)
    ),
    "aws:ec2/launchTemplate:LaunchTemplate": ResourceType(
        mock=with_(hexid("lt"), latestVersion=lambda m, i, _: 1),
        replace=ReplaceRule(("name", "namePrefix"), note="other changes create a new template version", source=_TF),
    ),
    # -- tracking database ---------------------------------------------------------------------------------
    "aws:rds/instance:Instance": ResourceType(
        mock=with_(
            pname("identifier"),
            arn=lambda m, i, _: arn(m, "rds", f"db:{i}"),
            address=lambda m, i, _: f"{i}.c{suffix(i)}.{m.region}.rds.amazonaws.com",
            endpoint=lambda m, i, _: f"{i}.c{suffix(i)}.{m.region}.rds.amazonaws.com:5432",
            port=lambda m, i, _: 5432,
            masterUserSecrets=lambda m, i, _: [
                {"secretArn": arn(m, "secretsmanager", f"secret:rds!db-{suffix(i)}"), "secretStatus": "active"}
            ],
        ),
        replace=ReplaceRule(
            (
                "identifier", "identifierPrefix", "engine", "availabilityZone", "storageEncrypted", "kmsKeyId", "dbName",
                "username", "characterSetName", "ncharCharacterSetName", "timezone", "snapshotIdentifier",
                "restoreToPointInTime", "s3Import", "customIamInstanceProfile",
            ),
            note="instanceClass, allocatedStorage, multiAz, engineVersion (with allowMajorVersionUpgrade) update in "
            "place; moving dbSubnetGroupName to another VPC fails at apply rather than planning a replace",
            source=_TF,
        ),
        cost=_cost_rds,
        parity=Parity("tracking", "native", "MLflow + RDS Postgres"),
        stateful=True,
        secret_inputs=("password",),
    ),
    "aws:rds/subnetGroup:SubnetGroup": ResourceType(
        # name: the RDS instance takes it (dbSubnetGroupName), so its plan shows which group it lives in.
        mock=with_(pname(), name=lambda m, i, _: i, arn=lambda m, i, _: arn(m, "rds", f"subgrp:{i}")),
        replace=ReplaceRule(("name", "namePrefix"), source=_TF),
    ),
    # -- storage and registry ------------------------------------------------------------------------------
    "aws:s3/bucket:Bucket": ResourceType(
        mock=with_(pname("bucket"), arn=lambda m, i, _: f"arn:{partition(m)[0]}:s3:::{i}", bucket=lambda m, i, _: i, bucketRegionalDomainName=_bucket),
        replace=ReplaceRule(("bucket", "bucketPrefix", "objectLockEnabled"), source=_TF),
        parity=Parity("buckets", "native", "S3"),
        stateful=True,
    ),
    "aws:s3/bucketV2:BucketV2": ResourceType(
        mock=with_(pname("bucket"), arn=lambda m, i, _: f"arn:{partition(m)[0]}:s3:::{i}", bucket=lambda m, i, _: i, bucketRegionalDomainName=_bucket),
    ),
    "aws:s3/bucketVersioning:BucketVersioning": ResourceType(replace=ReplaceRule(("bucket", "expectedBucketOwner"), source=_TF)),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": ResourceType(
        replace=ReplaceRule(("bucket", "expectedBucketOwner"), source=_TF)
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": ResourceType(replace=ReplaceRule(("bucket",), source=_TF)),
    "aws:s3/bucketPolicy:BucketPolicy": ResourceType(replace=ReplaceRule(("bucket",), source=_TF)),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": ResourceType(replace=ReplaceRule(("bucket",), source=_TF)),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": ResourceType(
        replace=ReplaceRule(("bucket", "expectedBucketOwner"), source=_TF)
    ),
    "aws:ecr/repository:Repository": ResourceType(
        mock=with_(
            pname(),
            arn=lambda m, i, _: arn(m, "ecr", f"repository/{i}"),
            repositoryUrl=lambda m, i, _: f"{ACCOUNT}.dkr.ecr.{m.region}.amazonaws.com/{i}",
            name=lambda m, i, _: i,
        ),
        replace=ReplaceRule(("name", "encryptionConfigurations"), source=_TF),
        parity=Parity("registry", "native", "ECR"),
        stateful=True,
    ),
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": ResourceType(replace=ReplaceRule(("repository",), source=_TF)),
    "aws:efs/fileSystem:FileSystem": ResourceType(
        mock=with_(
            hexid("fs"),
            arn=lambda m, i, _: arn(m, "elasticfilesystem", f"file-system/{i}"),
            dnsName=lambda m, i, _: f"{i}.efs.{m.region}.amazonaws.com",
        ),
        replace=ReplaceRule(("creationToken", "encrypted", "kmsKeyId", "performanceMode", "availabilityZoneName"), source=_TF),
        cost=_cost_efs,
        parity=Parity("shared storage", "native", "EFS + CSI StorageClass"),
        stateful=True,
    ),
    # -- capacity: scratch tier, interruption queue, managed Prometheus (issue 15 components) -----------------
    "aws:fsx/lustreFileSystem:LustreFileSystem": ResourceType(
        mock=with_(
            hexid("fs"),
            arn=lambda m, i, _: arn(m, "fsx", f"file-system/{i}"),
            dnsName=lambda m, i, _: f"{i}.fsx.{m.region}.amazonaws.com",
            mountName=lambda m, i, _: f"m{hashlib.sha256(i.encode()).hexdigest()[:8]}",
        ),
        replace=ReplaceRule(
            ("deploymentType", "storageType", "subnetIds", "securityGroupIds", "kmsKeyId", "fileSystemTypeVersion", "driveCacheType"),
            source=_TF,
        ),
        cost=lustre_cost("aws-fsx-persistent-2", "storageCapacity", "perUnitStorageThroughput"),
        parity=Parity("scratch storage", "native", "FSx for Lustre PERSISTENT_2 + CSI driver, linked to the datasets bucket"),
        stateful=True,
    ),
    "aws:fsx/dataRepositoryAssociation:DataRepositoryAssociation": ResourceType(
        replace=ReplaceRule(
            ("fileSystemId", "fileSystemPath", "dataRepositoryPath", "batchImportMetaDataOnCreate", "importedFileChunkSize"), source=_TF
        ),
    ),
    "aws:sqs/queue:Queue": ResourceType(
        mock=with_(
            pname(),
            arn=lambda m, i, _: arn(m, "sqs", i),
            url=lambda m, i, _: f"https://sqs.{m.region}.amazonaws.com/{ACCOUNT}/{i}",
            name=lambda m, i, _: i,
        ),
        replace=ReplaceRule(("name", "namePrefix", "fifoQueue"), source=_TF),
    ),
    "aws:cloudwatch/eventRule:EventRule": ResourceType(replace=ReplaceRule(("name", "namePrefix", "eventBusName"), source=_TF)),
    # The interruption queue's target and policy (Karpenter: the staging example).
    "aws:cloudwatch/eventTarget:EventTarget": ResourceType(
        replace=ReplaceRule(("rule", "targetId", "eventBusName"), note="not re-read this session", source=_TF)
    ),
    "aws:sqs/queuePolicy:QueuePolicy": ResourceType(replace=ReplaceRule(("queueUrl",), note="not re-read this session", source=_TF)),
    "aws:amp/workspace:Workspace": ResourceType(
        mock=with_(
            lambda m, name, inputs: f"ws-{hashlib.sha256(name.encode()).hexdigest()[:12]}",
            arn=lambda m, i, _: arn(m, "aps", f"workspace/{i}"),
            prometheusEndpoint=lambda m, i, _: f"https://aps-workspaces.{m.region}.amazonaws.com/workspaces/{i}/",
        ),
        replace=ReplaceRule(("kmsKeyArn",), source=_TF),
        stateful=True,
    ),
    "aws:amp/scraper:Scraper": ResourceType(
        mock=with_(
            lambda m, name, inputs: f"s-{hashlib.sha256(name.encode()).hexdigest()[:12]}",
            arn=lambda m, i, _: arn(m, "aps", f"scraper/{i}"),
            roleArn=lambda m, i, _: arn(
                m, "iam", f"role/aws-service-role/scraper.aps.amazonaws.com/AWSServiceRoleForAmazonPrometheusScraper_{i}", region=False
            ),
        ),
        replace=ReplaceRule(("source",), source=_TF),
        parity=Parity("GPU metrics", "native", "DCGM exporter scraped by Amazon Managed Service for Prometheus"),
    ),
    "aws:efs/accessPoint:AccessPoint": ResourceType(
        mock=with_(hexid("fsap"), arn=lambda m, i, _: arn(m, "elasticfilesystem", f"access-point/{i}"))
    ),
    "aws:efs/mountTarget:MountTarget": ResourceType(replace=ReplaceRule(("fileSystemId", "subnetId", "ipAddress"), source=_TF)),
    "aws:efs/fileSystemPolicy:FileSystemPolicy": ResourceType(replace=ReplaceRule(("fileSystemId",), source=_TF)),
    "aws:efs/backupPolicy:BackupPolicy": ResourceType(replace=ReplaceRule(("fileSystemId",), source=_TF)),
    # -- identity and keys ---------------------------------------------------------------------------------
    "aws:iam/role:Role": ResourceType(
        mock=with_(pname(), arn=lambda m, i, _: arn(m, "iam", f"role/{i}", region=False), name=lambda m, i, _: i),
        replace=ReplaceRule(("name", "namePrefix", "path"), source=_TF),
    ),
    "aws:iam/policy:Policy": ResourceType(mock=with_(pname(), arn=lambda m, i, _: arn(m, "iam", f"policy/{i}", region=False))),
    "aws:iam/rolePolicy:RolePolicy": ResourceType(replace=ReplaceRule(("name", "namePrefix", "role"), source=_TF)),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ResourceType(replace=ReplaceRule(("role", "policyArn"), source=_TF)),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": ResourceType(
        mock=with_(
            lambda m, name, inputs: str(inputs.get("url", name)).removeprefix("https://"),
            arn=lambda m, i, _: arn(m, "iam", f"oidc-provider/{i}", region=False),
        ),
        replace=ReplaceRule(("url",), source=_TF),
    ),
    "aws:kms/key:Key": ResourceType(
        mock=with_(
            lambda m, name, _: f"{_hash8(name)}-0000-4000-8000-{suffix(name)}00000",
            arn=lambda m, i, _: arn(m, "kms", f"key/{i}"),
            keyId=lambda m, i, _: i,
        ),
        replace=ReplaceRule(("customerMasterKeySpec", "keyUsage", "multiRegion", "customKeyStoreId", "xksKeyId"), source=_TF),
        stateful=True,
    ),
    "aws:secretsmanager/secret:Secret": ResourceType(mock=with_(pname(), arn=lambda m, i, _: arn(m, "secretsmanager", f"secret:{i}"))),
    "mlstack:aws:WorkloadRole": ResourceType(parity=Parity("workload identity", "native", "IRSA roles")),
    "mlstack:aws:CiTrust": ResourceType(parity=Parity("CI trust", "native", "IAM OIDC provider + role pinned to repo and ref")),
    # -- audit ---------------------------------------------------------------------------------------------
    "aws:cloudwatch/logGroup:LogGroup": ResourceType(
        mock=with_(pname(), arn=lambda m, i, _: arn(m, "logs", f"log-group:{i}")),
        replace=ReplaceRule(("name", "namePrefix", "logGroupClass"), source=_TF),
    ),
    "aws:cloudtrail/trail:Trail": ResourceType(
        mock=with_(pname(), arn=lambda m, i, _: arn(m, "cloudtrail", f"trail/{i}")),
        replace=ReplaceRule(("name",), source=_TF),
        parity=Parity("audit", "native", "CloudTrail + EKS audit logs"),
    ),
}


# Node provisioning (Karpenter, its interruption queue, the Cluster Autoscaler) and laptop access: modules of their own.
from mlstack.targets.aws.table_access import TYPES as _ACCESS  # noqa: E402
from mlstack.targets.aws.table_capacity import TYPES as _CAPACITY  # noqa: E402

assert not set(TYPES) & (set(_CAPACITY) | set(_ACCESS)) and not set(_CAPACITY) & set(_ACCESS), "one entry per type"
TYPES.update({**_CAPACITY, **_ACCESS})


def _hash8(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()[:8]


def _get_azs(m: Any, args: State) -> State:
    names = [f"{m.region}{z}" for z in "abc"]
    return {"names": names, "zoneIds": [f"usw2-az{i}" for i in range(1, 4)], "id": m.region, "state": "available"}


def _session_context(m: Any, args: State) -> State:
    """``aws.iam.get_session_context``: an assumed-role session's IAM role, or the ARN itself (a user)."""
    caller = str(args.get("arn", ""))
    head, _, resource = caller.partition(":assumed-role/")
    if not resource:
        return {"arn": caller, "issuerArn": caller, "issuerName": caller.rsplit("/", 1)[-1], "sessionName": "", "id": caller}
    role, _, session = resource.partition("/")
    issuer = f"{head.replace(':sts:', ':iam:')}:role/{role}"
    return {"arn": caller, "issuerArn": issuer, "issuerName": role, "sessionName": session, "id": caller}


INVOKES = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": _get_azs,
    "aws:index/getCallerIdentity:getCallerIdentity": lambda m, a: {
        "accountId": ACCOUNT,
        "arn": arn(m, "iam", "user/mlstack-plan", region=False),
        "userId": "AIDAMOCKPLAN",
        "id": ACCOUNT,
    },
    "aws:index/getRegion:getRegion": lambda m, a: {"name": m.region, "region": m.region, "id": m.region},
    "aws:index/getPartition:getPartition": lambda m, a: {
        "partition": partition(m)[0], "dnsSuffix": partition(m)[1], "id": partition(m)[0]
    },
    "aws:iam/getSessionContext:getSessionContext": _session_context,
}
