"""GCP Network and Cluster under recording mocks: exact inputs, parents and protection."""

from __future__ import annotations

import json

import pytest

from mlstack.engine.plan.mocks import physical_name
from mlstack.errors import EngineError

P = "acme-ml-1234"
R = "us-central1"
SUBNET = f"https://www.googleapis.com/compute/v1/projects/{P}/regions/{R}/subnetworks/sub"


def _cluster_args(**kw):
    from mlstack.components.gcp.cluster import ClusterArgs

    base = dict(
        project_id=P, region=R, network="projects/p/global/networks/vpc", subnetwork=SUBNET,
        pods_range_name="pods", services_range_name="services", labels={"env": "test"},
    )
    base.update(kw)
    return ClusterArgs(**base)


def test_network(record_plan):
    from mlstack.components.gcp.network import Network, NetworkArgs

    plan = record_plan(lambda: Network("acme", NetworkArgs(project_id=P, region=R, labels={"env": "test"})), region=R, gcp_project=P)
    comp = plan.one("mlstack:gcp:Network", "acme")
    vpc = plan.one("gcp:compute/network:Network", "acme-vpc")
    assert vpc.inputs == {"autoCreateSubnetworks": False, "project": P, "routingMode": "REGIONAL"}
    subnet = plan.one("gcp:compute/subnetwork:Subnetwork", "acme-subnet")
    assert subnet.inputs["privateIpGoogleAccess"] is True
    assert subnet.inputs["ipCidrRange"] == "10.0.0.0/20"
    assert subnet.inputs["secondaryIpRanges"] == [
        {"ipCidrRange": "10.4.0.0/14", "rangeName": "acme-pods"},
        {"ipCidrRange": "10.8.0.0/20", "rangeName": "acme-services"},
    ]
    assert subnet.inputs["logConfig"] == {"aggregationInterval": "INTERVAL_5_SEC", "flowSampling": 0.5, "metadata": "INCLUDE_ALL_METADATA"}
    nat = plan.one("gcp:compute/routerNat:RouterNat", "acme-nat")
    assert nat.inputs["natIpAllocateOption"] == "AUTO_ONLY"
    assert nat.inputs["sourceSubnetworkIpRangesToNat"] == "LIST_OF_SUBNETWORKS"
    assert nat.inputs["subnetworks"][0]["sourceIpRangesToNats"] == ["ALL_IP_RANGES"]
    assert nat.inputs["logConfig"] == {"enable": True, "filter": "ERRORS_ONLY"}
    psa = plan.one("gcp:compute/globalAddress:GlobalAddress", "acme-psa-range")
    assert {k: psa.inputs[k] for k in ("address", "prefixLength", "purpose", "addressType")} == {
        "address": "10.20.0.0", "prefixLength": 16, "purpose": "VPC_PEERING", "addressType": "INTERNAL"
    }
    conn = plan.one("gcp:servicenetworking/connection:Connection", "acme-psa")
    assert conn.inputs["service"] == "servicenetworking.googleapis.com"
    assert conn.inputs["reservedPeeringRanges"] == [physical_name("acme-psa-range", {})]
    assert conn.inputs["network"] == physical_name("acme-vpc", {})
    assert {r.name for r in plan.children(comp)} == {"acme-vpc", "acme-subnet", "acme-router", "acme-nat", "acme-psa-range", "acme-psa"}


def test_cluster_private_by_default(record_plan):
    from mlstack.components.gcp.cluster import Cluster

    plan = record_plan(lambda: Cluster("acme", _cluster_args(protect=True)), region=R, gcp_project=P)
    comp = plan.one("mlstack:gcp:Cluster", "acme")
    gke = plan.one("gcp:container/cluster:Cluster", "acme-gke")
    i = gke.inputs
    assert gke.parent == comp.urn
    assert i["privateClusterConfig"] == {"enablePrivateEndpoint": True, "enablePrivateNodes": True, "masterIpv4CidrBlock": "172.16.0.0/28"}
    assert i["masterAuthorizedNetworksConfig"] == {"cidrBlocks": []}
    assert i["workloadIdentityConfig"] == {"workloadPool": f"{P}.svc.id.goog"}
    assert i["enableShieldedNodes"] is True
    assert i["datapathProvider"] == "ADVANCED_DATAPATH"
    assert i["deletionProtection"] is True
    assert i["removeDefaultNodePool"] is True and i["initialNodeCount"] == 1
    assert i["releaseChannel"] == {"channel": "REGULAR"}
    assert "minMasterVersion" not in i
    assert i["ipAllocationPolicy"] == {"clusterSecondaryRangeName": "pods", "servicesSecondaryRangeName": "services"}
    assert i["loggingConfig"] == {"enableComponents": ["APISERVER", "CONTROLLER_MANAGER", "SCHEDULER", "SYSTEM_COMPONENTS", "WORKLOADS"]}
    assert i["masterAuth"] == {"clientCertificateConfig": {"issueClientCertificate": False}}
    assert i["resourceLabels"] == {"env": "test"}
    assert i["project"] == P and i["location"] == R
    assert gke.protect and gke.retain_on_delete
    assert gke.ignore_changes == ["initialNodeCount", "nodeConfig"]

    key = plan.one("gcp:kms/cryptoKey:CryptoKey", "acme-secrets-key")
    assert key.inputs["rotationPeriod"] == "7776000s"
    assert key.protect and key.retain_on_delete
    assert i["databaseEncryption"]["state"] == "ENCRYPTED"
    assert i["databaseEncryption"]["keyName"].endswith("/cryptoKeys/" + i["databaseEncryption"]["keyName"].rsplit("/", 1)[-1])
    grant = plan.one("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember", "acme-secrets-key-gke")
    assert grant.inputs == {
        "cryptoKeyId": i["databaseEncryption"]["keyName"],
        "member": "serviceAccount:service-000000000000@container-engine-robot.iam.gserviceaccount.com",
        "role": "roles/cloudkms.cryptoKeyEncrypterDecrypter",
    }
    assert gke.depends_on == [grant.urn]

    sa = plan.one("gcp:serviceaccount/account:Account", "acme-nodes")
    assert sa.inputs["accountId"] == "acme-nodes"
    roles = sorted(r.inputs["role"] for r in plan.of_type("gcp:projects/iAMMember:IAMMember"))
    assert roles == ["roles/artifactregistry.reader", "roles/logging.logWriter", "roles/monitoring.metricWriter", "roles/monitoring.viewer"]
    assert {r.inputs["member"] for r in plan.of_type("gcp:projects/iAMMember:IAMMember")} == {
        f"serviceAccount:acme-nodes@{P}.iam.gserviceaccount.com"
    }
    assert i["nodeConfig"]["serviceAccount"] == f"acme-nodes@{P}.iam.gserviceaccount.com"


def test_cluster_unprotected_public_and_pinned(record_plan):
    from mlstack.components.gcp.cluster import Cluster

    args = _cluster_args(endpoint="public", authorized_cidrs=("203.0.113.0/24",), release_channel=None, kubernetes_version="1.31",
                         cluster_name="acme-ml-test")
    plan = record_plan(lambda: Cluster("acme", args), region=R, gcp_project=P)
    gke = plan.one("gcp:container/cluster:Cluster", "acme-gke")
    assert gke.inputs["privateClusterConfig"]["enablePrivateEndpoint"] is False
    assert gke.inputs["privateClusterConfig"]["enablePrivateNodes"] is True
    assert gke.inputs["masterAuthorizedNetworksConfig"] == {"cidrBlocks": [{"cidrBlock": "203.0.113.0/24", "displayName": "allowed-0"}]}
    assert gke.inputs["releaseChannel"] == {"channel": "UNSPECIFIED"}
    assert gke.inputs["minMasterVersion"] == "1.31"
    assert gke.inputs["deletionProtection"] is False
    assert gke.inputs["name"] == "acme-ml-test"
    assert not gke.protect and not gke.retain_on_delete


def test_cluster_kubeconfig_is_secret_and_uses_exec_plugin(record_plan):
    import pulumi

    from mlstack.components.gcp.cluster import Cluster

    seen: dict = {}

    def program():
        c = Cluster("acme", _cluster_args())
        pulumi.export("kubeconfig", c.kubeconfig)
        c.kubeconfig.apply(lambda v: seen.setdefault("kubeconfig", v))
        pulumi.export("workload_pool", c.workload_pool)

    plan = record_plan(program, region=R, gcp_project=P)
    assert plan.outputs["kubeconfig"] == "[secret]"
    assert plan.outputs["workload_pool"] == f"{P}.svc.id.goog"
    cfg = json.loads(seen["kubeconfig"])
    name = plan.one("gcp:container/cluster:Cluster", "acme-gke").inputs.get("name") or cfg["current-context"]
    assert cfg["clusters"][0]["cluster"]["server"] == "https://10.0.0.2"
    assert cfg["users"][0]["user"]["exec"]["command"] == "gke-gcloud-auth-plugin"
    assert cfg["current-context"] == name


@pytest.mark.parametrize(
    "kw, message",
    [
        ({"endpoint": "public"}, "a public endpoint needs authorized_cidrs"),
        ({"release_channel": None}, "kubernetes_version pins the version"),
        ({"network": None}, "network and subnetwork are required"),
    ],
)
def test_cluster_rejects_bad_args(record_plan, kw, message):
    from mlstack.components.gcp.cluster import Cluster

    with pytest.raises(EngineError, match=message):
        record_plan(lambda: Cluster("acme", _cluster_args(**kw)), region=R, gcp_project=P)
