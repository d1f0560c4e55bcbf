"""The GCP table: every ``gcp:`` resource type mlstack creates (and the mlstack components that stand for a
capability), with the plan's mock answer, replace triggers, cost, parity and data-safety flags.

Replace triggers are wire (camelCase) paths, read where the upstream Terraform schema says ``ForceNew``
(pulumi-gcp 10.x = terraform-provider-google 7.x; checked 2026-11-29): services/container/node_config.go
(machineType/diskType/diskSizeGb ForceNew removed in 5.10, magic-modules PR 9575), resource_container_cluster.go,
resource_sql_database_instance.go, resource_filestore_instance.go, resource_storage_bucket.go, and the Terraform
Registry resource pages for the rest. Entries with a ``note`` approximate.
"""

from __future__ import annotations

import re
from typing import Any

from mlstack.targets.base import AcceleratorHint, Parity, ReplaceRule, ResourceType, State
from mlstack.targets.kit import lustre_cost, physical_name, pname, pool_name, with_

_TF = "terraform-provider-google schema (ForceNew)"
_CA = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1PQ0sKLS0tLS1FTkQgQ0VSVElGSUNBVEUtLS0tLQo="
CLUSTER = "gcp:container/cluster:Cluster"
_ZONE = re.compile(r"^[a-z]+-[a-z]+\d+-[a-z]$")
_NODE_CONFIG_UPDATABLE = (
    "nodeConfig.labels", "nodeConfig.resourceLabels", "nodeConfig.taints", "nodeConfig.tags",
    "nodeConfig.workloadMetadataConfig", "nodeConfig.kubeletConfig", "nodeConfig.linuxNodeConfig",
    "nodeConfig.machineType", "nodeConfig.diskSizeGb", "nodeConfig.diskType", "nodeConfig.imageType",
    "nodeConfig.gcfsConfig", "nodeConfig.resourceManagerTags", "nodeConfig.storagePools",
    "nodeConfig.loggingVariant", "nodeConfig.containerdConfig", "nodeConfig.fastSocket",
)


def generic_mock(m: Any, name: str, inputs: State) -> tuple[str, State]:
    pn = physical_name(name, inputs)
    return f"projects/{m.gcp_project}/locations/{m.region}/{pn}", {"name": pn}


# -- cost extractors ---------------------------------------------------------------------------------------


def _zones(pool: Any, plan: Any) -> int:
    locations = pool.inputs.get("nodeLocations")
    if locations:
        return len(locations)
    cluster = next(iter(plan.of_type(CLUSTER)), None)
    if cluster is None:
        return 1
    if cluster.inputs.get("nodeLocations"):
        return len(cluster.inputs["nodeLocations"])
    location = str(cluster.inputs.get("location", ""))
    return 1 if _ZONE.match(location) else 3


def _cost_pool(c: Any, r: Any, plan: Any) -> None:
    nc = r.inputs.get("nodeConfig") or {}
    spot = nc.get("spot") is True or nc.get("preemptible") is True
    auto = r.inputs.get("autoscaling") or {}
    zones = _zones(r, plan)
    if auto.get("totalMinNodeCount") is not None or auto.get("totalMaxNodeCount") is not None:
        lo, hi, note = int(auto.get("totalMinNodeCount") or 0), int(auto.get("totalMaxNodeCount") or 0), ""
    elif auto:
        lo = int(auto.get("minNodeCount") or 0) * zones
        hi = int(auto.get("maxNodeCount") or 0) * zones
        note = f"per-zone counts x {zones} zone(s)" if zones > 1 else ""
    else:
        n = int(r.inputs.get("nodeCount") or r.inputs.get("initialNodeCount") or 0) * zones
        lo, hi, note = n, n, "fixed size"
    if r.inputs.get("placementPolicy"):
        note = (note + "; " if note else "") + f"TPU slice {(r.inputs.get('placementPolicy') or {}).get('tpuTopology', '')}".rstrip()
    c.pool(pool_name(r), str(nc.get("machineType", "?")), spot, lo, hi, note)


def _cost_cluster(c: Any, r: Any, plan: Any) -> None:
    c.add_fixed(r.name, "GKE cluster management fee", c.key("gke_cluster_hourly", r.name))


def _cost_nat(c: Any, r: Any, plan: Any) -> None:
    c.add_fixed(r.name, "Cloud NAT gateway (hourly, data processed extra)", c.key("nat_gateway_hourly", r.name))


def _cost_sql(c: Any, r: Any, plan: Any) -> None:
    s = r.inputs.get("settings") or {}
    tier = str(s.get("tier", ""))
    ha = s.get("availabilityType") == "REGIONAL"
    c.add_fixed(r.name, f"Cloud SQL {tier}{' regional (HA)' if ha else ''}", c.key(f"database_hourly:{tier}", r.name) * (2 if ha else 1))
    gib = int(s.get("diskSize") or 10)
    c.add_monthly(f"{r.name}-storage", f"Cloud SQL storage {gib} GiB{' x2 (HA)' if ha else ''}",
                  gib * c.key("cloudsql_storage_gib_month", f"{r.name}-storage") * (2 if ha else 1))


def _cost_filestore(c: Any, r: Any, plan: Any) -> None:
    tier = str(r.inputs.get("tier", "BASIC_HDD"))
    # The provider's ``fileShares`` is one object (the API allows one share); accept a list as well. The
    # instance's provisioned capacity is what is billed, whatever the NFS provisioner carves out of it.
    shares = r.inputs.get("fileShares") or []
    shares = [shares] if isinstance(shares, dict) else shares
    gib = sum(int(f.get("capacityGb") or 0) for f in shares if isinstance(f, dict))
    c.add_monthly(r.name, f"Filestore {tier} {gib} GiB (provisioned)", gib * c.key(f"filestore_{tier.lower()}_gib_month", r.name))


def _pool_accelerators(inputs: State) -> AcceleratorHint:
    nc = inputs.get("nodeConfig") or {}
    found = frozenset(str(g.get("type")) for g in nc.get("guestAccelerators") or [] if isinstance(g, dict))
    kinds = frozenset({"tpu"}) if (inputs.get("placementPolicy") or {}).get("tpuTopology") else frozenset()
    return AcceleratorHint(labels=nc.get("labels") or {}, found=found, kinds=kinds)


def _sa_id(m: Any, name: str, inputs: State) -> str:
    return f"projects/{m.gcp_project}/serviceAccounts/{inputs.get('accountId', name)}@{m.gcp_project}.iam.gserviceaccount.com"


def _pool_id(m: Any, name: str, inputs: State) -> str:
    return f"projects/000000000000/locations/global/workloadIdentityPools/{inputs.get('workloadIdentityPoolId', name)}"


def _provider_id(m: Any, name: str, inputs: State) -> str:
    return (f"projects/000000000000/locations/global/workloadIdentityPools/{inputs.get('workloadIdentityPoolId')}"
            f"/providers/{inputs.get('workloadIdentityPoolProviderId', name)}")


def _sa_email(m: Any, i: str, inputs: State) -> str:
    return f"{inputs.get('accountId')}@{m.gcp_project}.iam.gserviceaccount.com"


TYPES: dict[str, ResourceType] = {
    # -- cluster and pools ---------------------------------------------------------------------------------
    CLUSTER: ResourceType(
        mock=with_(pname(), endpoint=lambda m, i, _: "10.0.0.2", masterAuth=lambda m, i, _: {"clusterCaCertificate": _CA},
                   name=lambda m, i, _: i),
        replace=ReplaceRule(
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
        cost=_cost_cluster,
        parity=Parity("cluster", "native", "GKE"),
        more_parity=(Parity("GPU metrics", "native", "GKE managed DCGM collection -> Managed Service for Prometheus",
                            applies=lambda r: "DCGM" in ((r.inputs.get("monitoringConfig") or {}).get("enableComponents") or [])),),
        stateful=True,
    ),
    "gcp:container/nodePool:NodePool": ResourceType(
        replace=ReplaceRule(
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
        cost=_cost_pool,
        parity=Parity("pools", "native", "GKE node pools (autoscaling)"),
        accelerators=_pool_accelerators,
    ),
    # -- network -------------------------------------------------------------------------------------------
    "gcp:compute/network:Network": ResourceType(
        mock=with_(pname(), selfLink=lambda m, i, _: f"https://www.googleapis.com/compute/v1/projects/{m.gcp_project}/global/networks/{i}"),
        replace=ReplaceRule(("name", "project", "autoCreateSubnetworks", "description"), source=_TF),
    ),
    "gcp:compute/subnetwork:Subnetwork": ResourceType(
        mock=with_(
            pname(),
            selfLink=lambda m, i, _: f"https://www.googleapis.com/compute/v1/projects/{m.gcp_project}/regions/{m.region}/subnetworks/{i}",
        ),
        replace=ReplaceRule(("name", "project", "network", "region"), note="ipCidrRange may only grow in place", source=_TF),
    ),
    "gcp:compute/firewall:Firewall": ResourceType(replace=ReplaceRule(("name", "project", "network", "direction"), source=_TF)),
    "gcp:compute/router:Router": ResourceType(replace=ReplaceRule(("name", "project", "network", "region"), source=_TF)),
    "gcp:compute/routerNat:RouterNat": ResourceType(
        replace=ReplaceRule(("name", "project", "router", "region"), source=_TF), cost=_cost_nat
    ),
    "gcp:compute/globalAddress:GlobalAddress": ResourceType(
        replace=ReplaceRule(("name", "project", "address", "addressType", "purpose", "prefixLength", "network", "ipVersion"), source=_TF)
    ),
    "gcp:servicenetworking/connection:Connection": ResourceType(replace=ReplaceRule(("network", "service"), source=_TF)),
    # -- tracking database ---------------------------------------------------------------------------------
    "gcp:sql/databaseInstance:DatabaseInstance": ResourceType(
        mock=with_(
            pname(),
            privateIpAddress=lambda m, i, _: "10.20.0.3",
            connectionName=lambda m, i, _: f"{m.gcp_project}:{m.region}:{i}",
            name=lambda m, i, _: i,
        ),
        replace=ReplaceRule(
            ("name", "region", "project", "masterInstanceName", "replicaConfiguration", "encryptionKeyName"),
            note="databaseVersion upgrades a major version in place; settings.tier resizes in place (restart)",
            source=_TF,
        ),
        cost=_cost_sql,
        parity=Parity("tracking", "native", "MLflow + Cloud SQL Postgres"),
        stateful=True,
    ),
    "gcp:sql/database:Database": ResourceType(replace=ReplaceRule(("name", "instance", "project"), source=_TF)),
    "gcp:sql/user:User": ResourceType(replace=ReplaceRule(("name", "instance", "host", "project"), source=_TF), secret_inputs=("password",)),
    # -- storage and registry ------------------------------------------------------------------------------
    "gcp:storage/bucket:Bucket": ResourceType(
        mock=with_(pname(), url=lambda m, i, _: f"gs://{i}", name=lambda m, i, _: i),
        replace=ReplaceRule(("name", "location", "project"), source=_TF),
        parity=Parity("buckets", "native", "GCS"),
        stateful=True,
    ),
    "gcp:storage/bucketIAMMember:BucketIAMMember": ResourceType(
        replace=ReplaceRule(("bucket", "role", "member", "condition"), source=_TF)
    ),
    "gcp:filestore/instance:Instance": ResourceType(
        mock=with_(pname(), networks=lambda m, i, inputs: [{**n, "ipAddresses": ["10.30.0.2"]} for n in inputs.get("networks") or [{}]]),
        replace=ReplaceRule(
            ("name", "location", "zone", "project", "tier", "networks", "fileShares.name", "kmsKeyName", "protocol"),
            note="fileShares.capacityGb may grow in place",
            source=_TF,
        ),
        cost=_cost_filestore,
        parity=Parity("shared storage", "native", "Filestore, shared through the NFS subdir provisioner"),
        stateful=True,
    ),
    "gcp:lustre/instance:Instance": ResourceType(
        mock=with_(
            lambda m, name, inputs: f"projects/{m.gcp_project}/locations/{inputs.get('location')}/instances/{inputs.get('instanceId', name)}",
            instanceId=lambda m, i, inputs: inputs.get("instanceId"),
            mountPoint=lambda m, i, inputs: f"10.20.0.5@tcp:/{inputs.get('filesystem')}",
        ),
        replace=ReplaceRule(
            ("instanceId", "location", "project", "filesystem", "network", "perUnitStorageThroughput", "kmsKey", "placementPolicy"),
            note="capacityGib may grow in place", source=_TF,
        ),
        cost=lustre_cost("gcp-managed-lustre", "capacityGib", "perUnitStorageThroughput"),
        parity=Parity("scratch storage", "native", "Managed Lustre + GKE Lustre CSI driver add-on (static PVs)"),
        stateful=True,
    ),
    "gcp:artifactregistry/repository:Repository": ResourceType(
        mock=with_(
            lambda m, name, inputs: f"projects/{m.gcp_project}/locations/{m.region}/repositories/{inputs.get('repositoryId', name)}",
            name=lambda m, i, inputs: inputs.get("repositoryId"),
        ),
        replace=ReplaceRule(("repositoryId", "location", "format", "project", "kmsKeyName", "mode"), source=_TF),
        parity=Parity("registry", "native", "Artifact Registry"),
        stateful=True,
    ),
    "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": ResourceType(
        replace=ReplaceRule(("repository", "location", "project", "role", "member", "condition"), source=_TF)
    ),
    # -- identity, keys, audit -----------------------------------------------------------------------------
    "gcp:serviceaccount/account:Account": ResourceType(
        mock=with_(_sa_id, email=_sa_email, name=lambda m, i, _: i,
                   member=lambda m, i, inputs: f"serviceAccount:{_sa_email(m, i, inputs)}"),
        replace=ReplaceRule(("accountId", "project"), source=_TF),
    ),
    "gcp:serviceaccount/iAMMember:IAMMember": ResourceType(
        replace=ReplaceRule(("serviceAccountId", "role", "member", "condition"), source=_TF)
    ),
    "gcp:projects/iAMMember:IAMMember": ResourceType(replace=ReplaceRule(("project", "role", "member", "condition"), source=_TF)),
    "gcp:projects/iAMAuditConfig:IAMAuditConfig": ResourceType(
        replace=ReplaceRule(("project", "service"), source=_TF),
        parity=Parity("audit", "native", "Cloud Audit Logs + GKE logging"),
    ),
    "gcp:kms/keyRing:KeyRing": ResourceType(
        mock=with_(lambda m, name, inputs: f"projects/{m.gcp_project}/locations/{inputs.get('location', m.region)}/keyRings/{physical_name(name, inputs)}"),
        replace=ReplaceRule(("name", "location", "project"), source=_TF),
    ),
    "gcp:kms/cryptoKey:CryptoKey": ResourceType(
        mock=with_(lambda m, name, inputs: f"{inputs.get('keyRing')}/cryptoKeys/{physical_name(name, inputs)}"),
        replace=ReplaceRule(
            ("name", "keyRing", "purpose", "importOnly", "skipInitialVersionCreation", "versionTemplate.protectionLevel"),
            source=_TF,
        ),
        stateful=True,
    ),
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember": ResourceType(
        replace=ReplaceRule(("cryptoKeyId", "role", "member", "condition"), source=_TF)
    ),
    "gcp:iam/workloadIdentityPool:WorkloadIdentityPool": ResourceType(
        mock=with_(_pool_id, name=lambda m, i, _: i),
        replace=ReplaceRule(("workloadIdentityPoolId", "project"), source=_TF),
    ),
    "gcp:iam/workloadIdentityPoolProvider:WorkloadIdentityPoolProvider": ResourceType(
        mock=with_(_provider_id, name=lambda m, i, _: i),
        replace=ReplaceRule(("workloadIdentityPoolId", "workloadIdentityPoolProviderId", "project"), source=_TF),
        parity=Parity("CI trust", "native", "Workload Identity Federation"),
    ),
    "gcp:logging/projectBucketConfig:ProjectBucketConfig": ResourceType(
        replace=ReplaceRule(("bucketId", "location", "project"), source=_TF)
    ),
    "mlstack:gcp:WorkloadIdentity": ResourceType(parity=Parity("workload identity", "native", "GKE Workload Identity")),
    "mlstack:gcp:DataIdentity": ResourceType(
        parity=Parity("bucket mounts", "native", "Cloud Storage FUSE CSI driver (GKE add-on), each team's own Workload Identity")),
    # Every GKE node pool mlstack creates autoscales and has auto-repair on (components/gcp/node_pool.py).
    "mlstack:gcp:NodePool": ResourceType(parity=Parity("node provisioning", "native", "GKE cluster autoscaler on node pools")),
    "mlstack:gcp:Cluster": ResourceType(parity=Parity("node health", "native", "GKE node auto-repair on every node pool")),
}

INVOKES = {
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


# Node provisioning (ComputeClasses): a module of its own, first, so its parity rows win over the node pools'.
from mlstack.targets.gcp.table_capacity import TYPES as _CAPACITY  # noqa: E402

assert not set(TYPES) & set(_CAPACITY), "one entry per type"
TYPES = {**_CAPACITY, **TYPES}
