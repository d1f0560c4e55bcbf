"""Which input changes force a resource to be replaced (deleted and created again) rather than updated.

A dated table per resource type token, in wire (camelCase) paths. The bridged providers (pulumi-aws,
pulumi-gcp) replace exactly where the upstream Terraform schema says ``ForceNew``; pulumi-kubernetes keeps its own
table (``forceNewProperties``) and also replaces on ``metadata.name``/``metadata.namespace``.

Matching: list indexes are ignored (``fileShares[0].name`` matches ``fileShares.name``); a pattern matches its
own path and everything below it; ``except`` names paths below a pattern that update in place. When a whole
block appears or disappears (``vpcConfig`` absent -> present), the values at each pattern below it are compared.

Sources (checked 2026-11-29 against the providers' sources in the versions mlstack pins, pulumi-aws 7.x =
terraform-provider-aws 6.x, pulumi-gcp 10.x = terraform-provider-google 7.x, pulumi-kubernetes 4.x):
- terraform-provider-aws internal/service/eks/cluster.go and node_group.go (ForceNew fields read directly:
  EKS cluster subnets, security groups and encryption config update in place; node group instance types,
  capacity type, disk size, AMI type, subnets and role replace);
- terraform-provider-google services/container/node_config.go (machineType/diskType/diskSizeGb ForceNew
  removed in 5.10, magic-modules PR 9575), resource_container_cluster.go, resource_sql_database_instance.go,
  resource_filestore_instance.go, resource_storage_bucket.go;
- pulumi-kubernetes provider/pkg/provider/diff.go (``forceNew``);
- the Terraform Registry resource pages ("Changing this forces a new resource") for the rest.
Entries marked ``note`` are approximations stated as such.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

AS_OF = "2026-11-29"
SOURCES = (
    "https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service/eks/cluster.go",
    "https://github.com/hashicorp/terraform-provider-aws/blob/main/internal/service/eks/node_group.go",
    "https://github.com/hashicorp/terraform-provider-google/blob/main/google/services/container/node_config.go",
    "https://github.com/GoogleCloudPlatform/magic-modules/pull/9575",
    "https://github.com/pulumi/pulumi-kubernetes/blob/master/provider/pkg/provider/diff.go",
    "https://registry.terraform.io/providers/hashicorp/aws/latest/docs",
    "https://registry.terraform.io/providers/hashicorp/google/latest/docs",
)
ALL = "*"  # every input replaces (random provider resources)


@dataclass(frozen=True)
class ReplaceRule:
    """Paths of one resource type whose change replaces the resource."""

    paths: tuple[str, ...]
    except_: tuple[str, ...] = ()
    note: str = ""
    source: str = ""


_TF_AWS = "terraform-provider-aws schema (ForceNew)"
_TF_GCP = "terraform-provider-google schema (ForceNew)"
_K8S_SRC = "pulumi-kubernetes provider/pkg/provider/diff.go"

_NODE_CONFIG_UPDATABLE = (
    "nodeConfig.labels", "nodeConfig.resourceLabels", "nodeConfig.taints", "nodeConfig.tags",
    "nodeConfig.workloadMetadataConfig", "nodeConfig.kubeletConfig", "nodeConfig.linuxNodeConfig",
    "nodeConfig.machineType", "nodeConfig.diskSizeGb", "nodeConfig.diskType", "nodeConfig.imageType",
    "nodeConfig.gcfsConfig", "nodeConfig.resourceManagerTags", "nodeConfig.storagePools",
    "nodeConfig.loggingVariant", "nodeConfig.containerdConfig", "nodeConfig.fastSocket",
)

RULES: dict[str, ReplaceRule] = {
    # -- AWS ------------------------------------------------------------------------------------------------
    "aws:ec2/vpc:Vpc": ReplaceRule(("cidrBlock", "instanceTenancy", "ipv4IpamPoolId"), source=_TF_AWS),
    "aws:ec2/subnet:Subnet": ReplaceRule(("vpcId", "cidrBlock", "availabilityZone", "availabilityZoneId"), source=_TF_AWS),
    "aws:ec2/eip:Eip": ReplaceRule(("domain", "networkBorderGroup", "publicIpv4Pool", "address"), source=_TF_AWS),
    "aws:ec2/natGateway:NatGateway": ReplaceRule(("subnetId", "allocationId", "connectivityType", "privateIp"), source=_TF_AWS),
    "aws:ec2/routeTable:RouteTable": ReplaceRule(("vpcId",), source=_TF_AWS),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": ReplaceRule(("subnetId", "gatewayId"), source=_TF_AWS),
    "aws:ec2/securityGroup:SecurityGroup": ReplaceRule(("name", "namePrefix", "description", "vpcId"), source=_TF_AWS),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": ReplaceRule(("vpcId",), source=_TF_AWS),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ReplaceRule(("securityGroupId",), source=_TF_AWS),
    "aws:ec2/launchTemplate:LaunchTemplate": ReplaceRule(
        ("name", "namePrefix"), note="other changes create a new template version", source=_TF_AWS
    ),
    "aws:eks/cluster:Cluster": ReplaceRule(
        (
            "name", "roleArn", "bootstrapSelfManagedAddons", "accessConfig.bootstrapClusterCreatorAdminPermissions",
            "kubernetesNetworkConfig.ipFamily", "kubernetesNetworkConfig.serviceIpv4Cidr", "outpostConfig",
            "remoteNetworkConfig",
        ),
        note="vpcConfig subnets/security groups, encryptionConfig, logging and version update in place",
        source="terraform-provider-aws internal/service/eks/cluster.go",
    ),
    "aws:eks/nodeGroup:NodeGroup": ReplaceRule(
        (
            "amiType", "capacityType", "clusterName", "diskSize", "instanceTypes", "launchTemplate.id",
            "launchTemplate.name", "nodeGroupName", "nodeGroupNamePrefix", "nodeRoleArn", "remoteAccess", "subnetIds",
        ),
        note="scalingConfig, labels, taints, version and launchTemplate.version update in place",
        source="terraform-provider-aws internal/service/eks/node_group.go",
    ),
    "aws:eks/accessEntry:AccessEntry": ReplaceRule(("clusterName", "principalArn", "type"), source=_TF_AWS),
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": ReplaceRule(
        ("clusterName", "policyArn", "principalArn", "accessScope"), source=_TF_AWS
    ),
    "aws:iam/role:Role": ReplaceRule(("name", "namePrefix", "path"), source=_TF_AWS),
    "aws:iam/rolePolicy:RolePolicy": ReplaceRule(("name", "namePrefix", "role"), source=_TF_AWS),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ReplaceRule(("role", "policyArn"), source=_TF_AWS),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": ReplaceRule(("url",), source=_TF_AWS),
    "aws:kms/key:Key": ReplaceRule(
        ("customerMasterKeySpec", "keyUsage", "multiRegion", "customKeyStoreId", "xksKeyId"), source=_TF_AWS
    ),
    "aws:cloudwatch/logGroup:LogGroup": ReplaceRule(("name", "namePrefix", "logGroupClass"), source=_TF_AWS),
    "aws:cloudtrail/trail:Trail": ReplaceRule(("name",), source=_TF_AWS),
    "aws:s3/bucket:Bucket": ReplaceRule(("bucket", "bucketPrefix", "objectLockEnabled"), source=_TF_AWS),
    "aws:s3/bucketVersioning:BucketVersioning": ReplaceRule(("bucket", "expectedBucketOwner"), source=_TF_AWS),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": ReplaceRule(
        ("bucket", "expectedBucketOwner"), source=_TF_AWS
    ),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": ReplaceRule(("bucket",), source=_TF_AWS),
    "aws:s3/bucketPolicy:BucketPolicy": ReplaceRule(("bucket",), source=_TF_AWS),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": ReplaceRule(("bucket",), source=_TF_AWS),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": ReplaceRule(
        ("bucket", "expectedBucketOwner"), source=_TF_AWS
    ),
    "aws:ecr/repository:Repository": ReplaceRule(("name", "encryptionConfigurations"), source=_TF_AWS),
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": ReplaceRule(("repository",), source=_TF_AWS),
    "aws:efs/fileSystem:FileSystem": ReplaceRule(
        ("creationToken", "encrypted", "kmsKeyId", "performanceMode", "availabilityZoneName"), source=_TF_AWS
    ),
    "aws:efs/mountTarget:MountTarget": ReplaceRule(("fileSystemId", "subnetId", "ipAddress"), source=_TF_AWS),
    "aws:efs/fileSystemPolicy:FileSystemPolicy": ReplaceRule(("fileSystemId",), source=_TF_AWS),
    "aws:efs/backupPolicy:BackupPolicy": ReplaceRule(("fileSystemId",), source=_TF_AWS),
    "aws:rds/instance:Instance": ReplaceRule(
        (
            "identifier", "identifierPrefix", "engine", "availabilityZone", "storageEncrypted", "kmsKeyId", "dbName",
            "username", "characterSetName", "ncharCharacterSetName", "timezone", "snapshotIdentifier",
            "restoreToPointInTime", "s3Import", "customIamInstanceProfile",
        ),
        note="instanceClass, allocatedStorage, multiAz, engineVersion (with allowMajorVersionUpgrade) update in "
        "place; moving dbSubnetGroupName to another VPC fails at apply rather than planning a replace",
        source=_TF_AWS,
    ),
    "aws:rds/subnetGroup:SubnetGroup": ReplaceRule(("name", "namePrefix"), source=_TF_AWS),
    # -- GCP ------------------------------------------------------------------------------------------------
    "gcp:compute/network:Network": ReplaceRule(("name", "project", "autoCreateSubnetworks", "description"), source=_TF_GCP),
    "gcp:compute/subnetwork:Subnetwork": ReplaceRule(
        ("name", "project", "network", "region"), note="ipCidrRange may only grow in place", source=_TF_GCP
    ),
    "gcp:compute/router:Router": ReplaceRule(("name", "project", "network", "region"), source=_TF_GCP),
    "gcp:compute/routerNat:RouterNat": ReplaceRule(("name", "project", "router", "region"), source=_TF_GCP),
    "gcp:compute/globalAddress:GlobalAddress": ReplaceRule(
        ("name", "project", "address", "addressType", "purpose", "prefixLength", "network", "ipVersion"), source=_TF_GCP
    ),
    "gcp:servicenetworking/connection:Connection": ReplaceRule(("network", "service"), source=_TF_GCP),
    "gcp:container/cluster:Cluster": ReplaceRule(
        (
            "name", "location", "project", "network", "subnetwork", "ipAllocationPolicy", "clusterIpv4Cidr",
            "privateClusterConfig.masterIpv4CidrBlock", "privateClusterConfig.privateEndpointSubnetwork",
            "initialNodeCount", "enableAutopilot", "networkingMode", "defaultMaxPodsPerNode", "enableKubernetesAlpha",
            "description", "nodeConfig",
        ),
        except_=_NODE_CONFIG_UPDATABLE,
        note="releaseChannel, masterAuthorizedNetworksConfig, workloadIdentityConfig, databaseEncryption, "
        "logging/monitoring and addons update in place",
        source="terraform-provider-google services/container/resource_container_cluster.go",
    ),
    "gcp:container/nodePool:NodePool": ReplaceRule(
        (
            "name", "namePrefix", "cluster", "location", "project", "initialNodeCount", "maxPodsPerNode",
            "placementPolicy", "queuedProvisioning", "networkConfig.podRange", "networkConfig.createPodRange",
            "networkConfig.podIpv4CidrBlock", "nodeConfig",
        ),
        except_=_NODE_CONFIG_UPDATABLE,
        note="most nodeConfig fields (guestAccelerators, spot, preemptible, serviceAccount, oauthScopes, "
        "shieldedInstanceConfig, localSsdCount, reservationAffinity) replace the pool; machineType, disk size and "
        "type, labels, taints update in place with a rolling node upgrade",
        source="terraform-provider-google services/container/node_config.go, resource_container_node_pool.go",
    ),
    "gcp:sql/databaseInstance:DatabaseInstance": ReplaceRule(
        ("name", "region", "project", "masterInstanceName", "replicaConfiguration", "encryptionKeyName"),
        note="databaseVersion upgrades a major version in place; settings.tier resizes in place (restart)",
        source=_TF_GCP,
    ),
    "gcp:sql/database:Database": ReplaceRule(("name", "instance", "project"), source=_TF_GCP),
    "gcp:sql/user:User": ReplaceRule(("name", "instance", "host", "project"), source=_TF_GCP),
    "gcp:storage/bucket:Bucket": ReplaceRule(("name", "location", "project"), source=_TF_GCP),
    "gcp:storage/bucketIAMMember:BucketIAMMember": ReplaceRule(("bucket", "role", "member", "condition"), source=_TF_GCP),
    "gcp:filestore/instance:Instance": ReplaceRule(
        ("name", "location", "zone", "project", "tier", "networks", "fileShares.name", "kmsKeyName", "protocol"),
        note="fileShares.capacityGb may grow in place",
        source=_TF_GCP,
    ),
    "gcp:artifactregistry/repository:Repository": ReplaceRule(
        ("repositoryId", "location", "format", "project", "kmsKeyName", "mode"), source=_TF_GCP
    ),
    "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": ReplaceRule(
        ("repository", "location", "project", "role", "member", "condition"), source=_TF_GCP
    ),
    "gcp:serviceaccount/account:Account": ReplaceRule(("accountId", "project"), source=_TF_GCP),
    "gcp:serviceaccount/iAMMember:IAMMember": ReplaceRule(("serviceAccountId", "role", "member", "condition"), source=_TF_GCP),
    "gcp:projects/iAMMember:IAMMember": ReplaceRule(("project", "role", "member", "condition"), source=_TF_GCP),
    "gcp:projects/iAMAuditConfig:IAMAuditConfig": ReplaceRule(("project", "service"), source=_TF_GCP),
    "gcp:kms/keyRing:KeyRing": ReplaceRule(("name", "location", "project"), source=_TF_GCP),
    "gcp:kms/cryptoKey:CryptoKey": ReplaceRule(
        ("name", "keyRing", "purpose", "importOnly", "skipInitialVersionCreation", "versionTemplate.protectionLevel"),
        source=_TF_GCP,
    ),
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember": ReplaceRule(("cryptoKeyId", "role", "member", "condition"), source=_TF_GCP),
    "gcp:iam/workloadIdentityPool:WorkloadIdentityPool": ReplaceRule(("workloadIdentityPoolId", "project"), source=_TF_GCP),
    "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider": ReplaceRule(
        ("workloadIdentityPoolId", "workloadIdentityPoolProviderId", "project"), source=_TF_GCP
    ),
    "gcp:logging/projectBucketConfig:ProjectBucketConfig": ReplaceRule(("bucketId", "location", "project"), source=_TF_GCP),
    # -- random ---------------------------------------------------------------------------------------------
    "random:index/randomPassword:RandomPassword": ReplaceRule((ALL,), source="terraform-provider-random (every argument ForceNew)"),
    "random:index/randomString:RandomString": ReplaceRule((ALL,), source="terraform-provider-random (every argument ForceNew)"),
    "random:index/randomId:RandomId": ReplaceRule((ALL,), source="terraform-provider-random (every argument ForceNew)"),
    # -- Kubernetes (plus metadata.name / metadata.namespace on every kind) --------------------------------
    "kubernetes:apps/v1:Deployment": ReplaceRule(("spec.selector",), source=_K8S_SRC),
    "kubernetes:apps/v1:DaemonSet": ReplaceRule(("spec.selector",), note="immutable in the API", source=_K8S_SRC),
    "kubernetes:apps/v1:StatefulSet": ReplaceRule(
        ("spec.podManagementPolicy", "spec.revisionHistoryLimit", "spec.selector", "spec.serviceName", "spec.volumeClaimTemplates"),
        source=_K8S_SRC,
    ),
    "kubernetes:batch/v1:Job": ReplaceRule(
        ("spec.completions", "spec.parallelism", "spec.selector", "spec.template"), source=_K8S_SRC
    ),
    "kubernetes:core/v1:ConfigMap": ReplaceRule(("binaryData", "data"), source=_K8S_SRC),
    "kubernetes:core/v1:Secret": ReplaceRule(("type", "stringData", "data"), source=_K8S_SRC),
    "kubernetes:core/v1:Service": ReplaceRule(("spec.clusterIP",), source=_K8S_SRC),
    "kubernetes:core/v1:ResourceQuota": ReplaceRule(("spec.scopes",), source=_K8S_SRC),
    "kubernetes:core/v1:PersistentVolumeClaim": ReplaceRule(
        ("spec.accessModes", "spec.resources", "spec.selector", "spec.storageClassName", "spec.volumeName", "spec.volumeMode"),
        source=_K8S_SRC,
    ),
    "kubernetes:storage.k8s.io/v1:StorageClass": ReplaceRule(
        ("parameters", "provisioner", "reclaimPolicy", "volumeBindingMode"),
        note="reclaimPolicy and volumeBindingMode are immutable in the API",
        source=_K8S_SRC,
    ),
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": ReplaceRule(("roleRef",), source=_K8S_SRC),
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding": ReplaceRule(("roleRef",), source=_K8S_SRC),
    "kubernetes:helm.sh/v3:Release": ReplaceRule(("name", "namespace"), note="a renamed release is a new release", source="pulumi-kubernetes helm_release.go"),
}
K8S_METADATA = ("metadata.name", "metadata.namespace")
_INDEX = re.compile(r"\[\d+\]")


def rule_for(type_: str) -> ReplaceRule | None:
    """The rule of a type token, including the metadata rule every Kubernetes kind has."""
    rule = RULES.get(type_)
    if type_.startswith("kubernetes:") and not type_.startswith("kubernetes:helm.sh/"):
        paths = K8S_METADATA + (rule.paths if rule else ())
        return ReplaceRule(paths, rule.except_ if rule else (), rule.note if rule else "", rule.source if rule else _K8S_SRC)
    return rule


def _under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + ".")


def _get(value: Any, rel: str) -> Any:
    for part in rel.split(".") if rel else []:
        if isinstance(value, list):
            value = [_get(v, part) for v in value]
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


def forces_replacement(type_: str, path: str, old: Any = None, new: Any = None) -> bool:
    """Whether changing input ``path`` (wire names; may carry ``[n]`` indexes) of a ``type_`` replaces it.

    ``old``/``new`` are the values at ``path``; they matter when ``path`` is a block above a pattern (a block
    added or removed replaces only if the values at the pattern differ).
    """
    rule = rule_for(type_)
    if rule is None:
        return False
    bare = _INDEX.sub("", path)
    if any(_under(bare, e) for e in rule.except_):
        return False
    for pattern in rule.paths:
        if pattern == ALL or _under(bare, pattern):
            if pattern != ALL and rule.except_ and bare == pattern:
                # The whole block changed: replace only when something outside the updatable paths changed.
                return _differs_outside(old, new, pattern, rule.except_)
            return True
        if pattern.startswith(bare + ".") or not bare:
            rel = pattern[len(bare) + 1 :] if bare else pattern
            if _get(old, rel) != _get(new, rel):
                return True
    return False


def _differs_outside(old: Any, new: Any, pattern: str, excepted: tuple[str, ...]) -> bool:
    skip = {e[len(pattern) + 1 :].split(".")[0] for e in excepted if e.startswith(pattern + ".")}
    o = {k: v for k, v in (old or {}).items() if k not in skip} if isinstance(old, dict) or old is None else old
    n = {k: v for k, v in (new or {}).items() if k not in skip} if isinstance(new, dict) or new is None else new
    return o != n


def table() -> list[dict[str, Any]]:
    """The table as data (for docs and ``--format json``), sorted by type."""
    return [
        {"type": t, "paths": list(r.paths), "except": list(r.except_), "note": r.note, "source": r.source}
        for t, r in sorted(RULES.items())
    ]
