"""The cloud's own versions in the lock (lock_version 3 ``platform``): EKS platform, add-on and AMI release versions,
GKE master and node versions. Recorded from the ``platform_versions`` output, passed back as inputs by a lock,
and checked with the cloud through invokes before the program registers anything (``Locked.verify``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlstack.engine.plan.mocks import MockOutputs
from mlstack.engine.plan.planner import plan_spec
from mlstack.engine.plan.program import PLATFORM_OUTPUT, Locked, make_program, recorded_platform
from mlstack.engine.plan.recorder import record
from mlstack.errors import EngineError
from mlstack.spec import load_spec

STACKS = Path(__file__).resolve().parents[2] / "stacks"
EKS_LOCK = {"addon/amazon-cloudwatch-observability": "v4.6.0-eksbuild.1", "addon/aws-efs-csi-driver": "v2.1.13-eksbuild.1", "addon/eks-node-monitoring-agent": "v1.7.0-eksbuild.1",
            "addon/vpc-cni": "v1.20.4-eksbuild.1",
            "addon/metrics-server": "v0.8.0-eksbuild.1",  # a lock's entry (test data; a real lock records what EKS ran)
            "control_plane": "eks.7", "node_pool/a100": "1.36.2-20261110", "node_pool/system": "1.36.2-20261103"}
GKE_LOCK = {"control_plane": "1.36.2-gke.1100000", "node_pool/a100": "1.36.2-gke.1100000",
            "node_pool/system": "1.36.1-gke.1500000", "node_pool/v5e": "1.36.2-gke.1100000"}
CLUSTER_VERSIONS = "aws:eks/getClusterVersions:getClusterVersions"
AMI_IDS = "aws:ec2/getAmiIds:getAmiIds"
ENGINE_VERSIONS = "gcp:container/getEngineVersions:getEngineVersions"


class CloudMocks(MockOutputs):
    """The plan's mocks, answering the lock check's invokes as a cloud that offers ``offered`` would, and counting
    every resource registered (what "before anything changes" is about)."""

    def __init__(self, offered: dict, **kw) -> None:
        super().__init__(**kw)
        self.offered, self.invokes, self.registered = offered, [], []

    def new_resource(self, args):
        self.registered.append(args.typ)
        return super().new_resource(args)

    def call(self, args):
        if args.token == CLUSTER_VERSIONS:
            self.invokes.append((args.token, dict(args.args)))
            return {"clusterVersions": [{"clusterVersion": m, "defaultPlatformVersion": p} for m, p in self.offered["eks"].items()]}, []
        if args.token == AMI_IDS:
            self.invokes.append((args.token, dict(args.args)))
            name = args.args["filters"][0]["values"][0]
            return {"ids": ["ami-0123456789abcdef0"] if name in self.offered["amis"] else []}, []
        if args.token == ENGINE_VERSIONS:
            self.invokes.append((args.token, dict(args.args)))
            return {"validMasterVersions": self.offered["master"], "validNodeVersions": self.offered["node"],
                    "latestMasterVersion": self.offered["master"][0], "latestNodeVersion": self.offered["node"][0]}, []
        return super().call(args)


def offer_addons(monkeypatch, offered: dict[str, set[str]]) -> list:
    """EKS offers ``offered`` add-on versions: ``addon_versions.boto3_offered`` answers from it (its boto3 call is
    tested against botocore's EKS model in test_lock_addons.py); returns the questions asked."""
    from mlstack.targets.aws import addon_versions

    asked: list = []

    def ask(region):
        def versions(addon, kubernetes):
            asked.append((region, addon, kubernetes))
            return offered.get(addon, set())

        return addon_versions.Offered(versions=versions)

    monkeypatch.setattr(addon_versions, "boto3_offered", ask)
    return asked


@pytest.fixture(autouse=True)
def eks_addons(monkeypatch):
    return offer_addons(monkeypatch, {k.removeprefix("addon/"): {v} for k, v in EKS_LOCK.items() if k.startswith("addon/")})


def run_locked(spec, platform: dict, mocks: CloudMocks):
    return record(make_program(spec, locked=Locked(platform=platform, verify=True)), project=spec.project, stack=spec.env,
                  mocks=mocks)


def staging():
    """staging on managed node groups (the Cluster Autoscaler), its A100 pool on spot: every pool has an AMI
    release to lock (the example stack chooses Karpenter, whose NodePools' nodes take the EC2NodeClass alias)."""
    spec = load_spec("staging", STACKS)
    a100 = spec.node_pools["a100"].model_copy(update={"capacity": [], "reservation": None, "spot": True})
    return spec.model_copy(update={"cluster": spec.cluster.model_copy(update={"autoscaler": "cluster-autoscaler"}),
                                   "node_pools": {**spec.node_pools, "a100": a100}})


def pinned_gcp():
    spec = load_spec("gcp-staging", STACKS)
    return spec.model_copy(update={"cluster": spec.cluster.model_copy(update={"release_channel": "UNSPECIFIED"})})


EKS_OFFERED = {"eks": {"1.36": "eks.7"}, "amis": {"amazon-eks-node-al2023-x86_64-nvidia-1.36-v20261110",
                                                   "amazon-eks-node-al2023-x86_64-standard-1.36-v20261103"}}


def test_an_unlocked_plan_exports_every_cloud_version_as_chosen_by_the_cloud():
    plan = plan_spec(staging())
    assert plan.outputs[PLATFORM_OUTPUT] == dict.fromkeys(EKS_LOCK)
    assert {r.name: r.inputs.get("addonVersion") for r in plan.of_type("aws:eks/addon:Addon")} == {
        "acme-ml-staging-efs-csi": None, "acme-ml-staging-node-monitoring": None, "acme-ml-staging-vpc-cni": None,
        "acme-ml-staging-metrics-server": None, "acme-ml-staging-cloudwatch-observability": None}
    assert {r.inputs.get("releaseVersion") for r in plan.of_type("aws:eks/nodeGroup:NodeGroup")} == {None}


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_every_eks_addon_is_in_the_platform_versions(env):
    plan = plan_spec(load_spec(env, STACKS))
    addons = {f"addon/{r.inputs['addonName']}" for r in plan.of_type("aws:eks/addon:Addon")}
    assert addons and addons == {k for k in plan.outputs[PLATFORM_OUTPUT] if k.startswith("addon/")}


def test_a_locked_plan_deploys_the_locked_eks_versions():
    plan = plan_spec(staging(), platform=EKS_LOCK)
    assert {r.inputs["addonName"]: r.inputs["addonVersion"] for r in plan.of_type("aws:eks/addon:Addon")} == {
        "aws-efs-csi-driver": "v2.1.13-eksbuild.1", "eks-node-monitoring-agent": "v1.7.0-eksbuild.1", "vpc-cni": "v1.20.4-eksbuild.1",
        "metrics-server": "v0.8.0-eksbuild.1", "amazon-cloudwatch-observability": "v4.6.0-eksbuild.1"}
    assert {r.name: r.inputs["releaseVersion"] for r in plan.of_type("aws:eks/nodeGroup:NodeGroup")} == {
        "acme-ml-staging-a100": "1.36.2-20261110", "acme-ml-staging-system": "1.36.2-20261103"}
    assert plan.outputs[PLATFORM_OUTPUT] == EKS_LOCK  # EKS's platform version: the lock's (no input can set it)
    assert plan.one("aws:eks/cluster:Cluster", "acme-ml-staging-cluster").inputs["version"] == "1.36"


def test_gke_versions_are_pinned_only_without_a_release_channel():
    pinned = plan_spec(pinned_gcp(), platform=GKE_LOCK)
    assert pinned.one("gcp:container/cluster:Cluster", "acme-ml-gcp-staging-cluster-gke").inputs["minMasterVersion"] == "1.36.2-gke.1100000"
    assert {r.name: r.inputs["version"] for r in pinned.of_type("gcp:container/nodePool:NodePool")} == {
        "acme-ml-gcp-staging-a100-pool": "1.36.2-gke.1100000", "acme-ml-gcp-staging-system-pool": "1.36.1-gke.1500000",
        "acme-ml-gcp-staging-v5e-slice-0": "1.36.2-gke.1100000"}
    channel = plan_spec(load_spec("gcp-staging", STACKS), platform=GKE_LOCK)  # REGULAR: GKE moves them itself
    assert channel.one("gcp:container/cluster:Cluster", "acme-ml-gcp-staging-cluster-gke").inputs["minMasterVersion"] == "1.36"
    assert {r.inputs.get("version") for r in channel.of_type("gcp:container/nodePool:NodePool")} == {None}
    assert set(plan_spec(load_spec("gcp-staging", STACKS)).outputs[PLATFORM_OUTPUT]) == set(GKE_LOCK)


def test_onprem_has_no_cloud_versions():
    assert PLATFORM_OUTPUT not in plan_spec(load_spec("onprem", STACKS)).outputs


def test_the_eks_check_asks_the_cloud_and_then_deploys(eks_addons):
    mocks = CloudMocks(EKS_OFFERED)
    monitor = run_locked(staging(), EKS_LOCK, mocks)
    assert eks_addons == [("us-west-2", a, "1.36") for a in ("amazon-cloudwatch-observability", "aws-efs-csi-driver", "eks-node-monitoring-agent",
                                                                            "metrics-server", "vpc-cni")]
    assert mocks.invokes == [
        (CLUSTER_VERSIONS, {"clusterVersionsOnlies": ["1.36"]}),
        (AMI_IDS, {"filters": [{"name": "name", "values": ["amazon-eks-node-al2023-x86_64-nvidia-1.36-v20261110"]}], "owners": ["amazon"]}),
        (AMI_IDS, {"filters": [{"name": "name", "values": ["amazon-eks-node-al2023-x86_64-standard-1.36-v20261103"]}], "owners": ["amazon"]}),
    ]
    assert len(monitor.registrations) > 200 and monitor.outputs[PLATFORM_OUTPUT] == EKS_LOCK


def test_a_version_eks_no_longer_offers_is_refused_before_any_resource():
    mocks = CloudMocks({"eks": {"1.36": "eks.9"}, "amis": {"amazon-eks-node-al2023-x86_64-standard-1.36-v20261103"}})
    with pytest.raises(EngineError) as err:
        run_locked(staging(), EKS_LOCK, mocks)
    again = "run `mlstack up --env staging` without --locked to lock what EKS offers now"
    assert str(err.value) == (
        "the lock of staging cannot be honoured, nothing was changed:\n"
        f"  control_plane: the lock has EKS platform version eks.7; EKS gives Kubernetes 1.36 clusters eks.9 and lets no cluster choose one; {again}\n"
        "  node_pool/a100: AMI release 1.36.2-20261110 (amazon-eks-node-al2023-x86_64-nvidia-1.36-v20261110) is no longer "
        f"published in us-west-2; {again}")
    assert [t for t in mocks.registered if t != "pulumi:pulumi:Stack"] == []


def test_a_gone_minor_and_a_malformed_release_are_named():
    mocks = CloudMocks({"eks": {}, "amis": set()})
    with pytest.raises(EngineError) as err:
        run_locked(staging(), {**EKS_LOCK, "node_pool/system": "latest"}, mocks)
    lines = str(err.value).splitlines()
    assert lines[1].startswith("  control_plane: the lock has EKS platform version eks.7; EKS gives Kubernetes 1.36 "
                               "clusters no platform version (the minor is gone) and lets no cluster choose one;")
    assert lines[3] == ("  node_pool/system: release version 'latest' of AMI type AL2023_x86_64_STANDARD cannot be checked "
                        "(expected <kubernetes patch>-<YYYYMMDD> of AL2023_ARM_64_STANDARD, AL2023_x86_64_NEURON, "
                        "AL2023_x86_64_NVIDIA, AL2023_x86_64_STANDARD); run `mlstack up --env staging` without --locked "
                        "to lock what EKS offers now")
    assert [t for t in mocks.registered if t != "pulumi:pulumi:Stack"] == []


GKE_OFFERED = {"master": ["1.36.3-gke.1000000", "1.36.2-gke.1100000"], "node": ["1.36.3-gke.1000000", "1.36.2-gke.1100000"]}


def test_the_gke_check_names_each_version_gke_no_longer_offers():
    mocks = CloudMocks(GKE_OFFERED, region="us-central1")
    with pytest.raises(EngineError) as err:
        run_locked(pinned_gcp(), GKE_LOCK, mocks)
    assert mocks.invokes == [(ENGINE_VERSIONS, {"location": "us-central1", "project": "acme-ml-staging-1234", "versionPrefix": "1.36."})]
    assert str(err.value) == (
        "the lock of gcp-staging cannot be honoured, nothing was changed:\n"
        "  node_pool/system: GKE no longer offers node version 1.36.1-gke.1500000 in us-central1 (newest 1.36: "
        "1.36.3-gke.1000000); run `mlstack up --env gcp-staging` without --locked to lock a version GKE offers now")
    assert [t for t in mocks.registered if t != "pulumi:pulumi:Stack"] == []
    ok = CloudMocks({**GKE_OFFERED, "node": [*GKE_OFFERED["node"], "1.36.1-gke.1500000"]}, region="us-central1")
    assert run_locked(pinned_gcp(), GKE_LOCK, ok).outputs[PLATFORM_OUTPUT] == GKE_LOCK


def test_a_release_channel_cluster_asks_nothing():
    mocks = CloudMocks(GKE_OFFERED, region="us-central1")
    run_locked(load_spec("gcp-staging", STACKS), GKE_LOCK, mocks)
    assert mocks.invokes == []


def test_the_lock_records_set_versions_only():
    assert recorded_platform({"node_pool/b": "1.36.2-20261110", "control_plane": "eks.7", "addon/x": None}) == {
        "control_plane": "eks.7", "node_pool/b": "1.36.2-20261110"}
    assert recorded_platform(None) == {}
