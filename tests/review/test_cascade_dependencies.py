"""The cascade follows every dependency a plan records, not only inputs: explicit ``depends_on`` (on a resource,
or on a component holding it), parent and child (a component's children go with it) and providers (what a
provider manages goes with it); a protected dependant blocks; what is only at risk is not followed further."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from mlstack.cli import main
from mlstack.engine.review.cascade import children, ordering_dependants, provider_users
from mlstack.engine.review.diff import diff_plans

from .fixtures import plan, reg

ROOT = Path(__file__).resolve().parents[2]
VPC, SUBNET, BUCKET = "aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:s3/bucket:Bucket"
NS, PVC, CM = "kubernetes:core/v1:Namespace", "kubernetes:core/v1:PersistentVolumeClaim", "kubernetes:core/v1:ConfigMap"
COMPONENT, PROVIDER = "mlstack:k8s:Platform", "pulumi:providers:kubernetes"


def _world(cidr: str, *, provider_inputs: dict | None = None):
    """A VPC and its subnet, a network component holding both, a component that waits for the network (with a
    protected namespace inside it), a Kubernetes provider, a bucket that waits for the subnet, and a ConfigMap that
    waits for the bucket (at risk is not followed)."""
    network = reg("mlstack:aws:Network", "net", custom=False)
    vpc = reg(VPC, "vpc", {"cidrBlock": cidr}, parent=network.urn)
    subnet = reg(SUBNET, "private-0", {"cidrBlock": "10.0.0.0/19", "vpcId": "vpc-1"}, parent=network.urn)
    subnet.input_deps = {"vpcId": [vpc.urn]}
    k8s = reg(PROVIDER, "k8s", provider_inputs or {"kubeconfig": "kc"})
    platform = reg(COMPONENT, "platform", custom=False)
    platform.depends_on = [network.urn]
    team = reg("mlstack:k8s:Team", "platform-research", parent=platform.urn, custom=False)
    ns = reg(NS, "platform-research-ns", {"metadata": {"name": "research"}}, parent=team.urn, protect=True)
    pvc = reg(PVC, "platform-storage-research", {"metadata": {"name": "shared"}}, protect=True)
    for r in (ns, pvc):
        r.provider = "k8s"
    bucket = reg(BUCKET, "logs", {"bucket": "logs"})
    bucket.depends_on = [subnet.urn]
    cm = reg(CM, "after-logs", {"data": {"a": "b"}})
    cm.depends_on = [bucket.urn]
    return plan(network, vpc, subnet, k8s, platform, team, ns, pvc, bucket, cm)


def test_the_relations_are_read_from_the_plan():
    w = _world("10.0.0.0/16")
    urn = {r.name: r.urn for r in w.resources}
    # depends_on a component is depends_on each of its children (Pulumi waits for them all).
    waits = ordering_dependants(w)
    assert waits[urn["vpc"]] == [urn["platform"]] and waits[urn["net"]] == [urn["platform"]]
    assert waits[urn["private-0"]] == [urn["logs"], urn["platform"]]
    assert children(w)[urn["platform"]] == [urn["platform-research"]]
    assert provider_users(w) == {urn["k8s"]: [urn["platform-research-ns"], urn["platform-storage-research"]]}


def test_a_replaced_vpc_puts_what_waits_for_it_and_a_components_children_at_risk():
    d = diff_plans(_world("10.0.0.0/16"), _world("10.1.0.0/16"))
    by = {c.name: c for c in d.changes}
    assert (by["vpc"].action, by["private-0"].action, by["private-0"].caused_by) == ("replace", "replace", "vpc")
    platform = by["platform"]
    assert (platform.action, platform.at_risk, platform.caused_by, platform.blocking) == ("update", True, "vpc", False)
    assert [(p.path, p.old, p.new) for p in platform.properties] == [("dependsOn", "(waits for vpc)", "(vpc is replaced)")]
    team, ns = by["platform-research"], by["platform-research-ns"]
    assert [(p.path, p.old, p.new) for p in team.properties] == [("parent", "(in platform)", "(platform is at risk)")]
    assert (ns.action, ns.at_risk, ns.caused_by, ns.blocking) == ("update", True, "vpc", True)
    assert ns.reason == "a protected resource at risk: vpc is replaced"
    assert (by["logs"].at_risk, by["logs"].caused_by) == (True, "private-0")
    # What is only at risk keeps its identity: the ConfigMap waiting for the bucket is not marked.
    assert "after-logs" not in by and "platform-storage-research" not in by
    assert d.counts() == {"create": 0, "update": 4, "replace": 2, "delete": 0, "same": 4, "blocking": 1}


def test_a_provider_at_risk_or_replaced_takes_what_it_manages():
    from mlstack.engine.review.changes import ResourceChange
    from mlstack.engine.review.cascade import cascade

    w = _world("10.0.0.0/16")
    k8s = next(r for r in w.resources if r.type == PROVIDER)
    subnet = next(r for r in w.resources if r.type == SUBNET)
    k8s.input_deps = {"kubeconfig": [subnet.urn]}
    marked = {c.name: c for c in cascade(w, w, [ResourceChange(subnet.urn, SUBNET, subnet.name, "replace")])}
    assert (marked["k8s"].action, marked["k8s"].at_risk) == ("update", True)
    pvc = marked["platform-storage-research"]
    assert (pvc.action, pvc.at_risk, pvc.blocking, pvc.caused_by) == ("update", True, True, "private-0")
    assert [(p.path, p.new) for p in pvc.properties] == [("provider", "(k8s is at risk)")]
    # A replaced provider replaces what it manages (and they are followed in turn).
    marked = {c.name: c for c in cascade(w, w, [ResourceChange(k8s.urn, PROVIDER, "k8s", "replace")])}
    assert {n: (c.action, c.blocking, c.caused_by) for n, c in marked.items()} == {
        "k8s": ("replace", False, ""), "platform-research-ns": ("replace", True, "k8s"),
        "platform-storage-research": ("replace", True, "k8s")}


def test_a_new_vpc_cidr_in_prod_takes_the_platform_and_blocks_on_its_protected_objects(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("MLSTACK_NO_PLAN_CACHE", "1")
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks", ignore=shutil.ignore_patterns("*.lock.json"))
    for args in (["init", "-q"], ["add", "stacks"], ["commit", "-q", "-m", "base"]):
        subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=tmp_path, check=True,
                       capture_output=True)
    prod = tmp_path / "stacks" / "prod.yaml"
    prod.write_text(prod.read_text() + "network: {cidr: 10.1.0.0/16}\n")
    code = main(["--stacks-dir", str(tmp_path / "stacks"), "diff", "--base", "HEAD", "--env", "prod", "--format", "json",
                 "--fail-on", "mandatory"])
    out, err = capsys.readouterr()
    (entry,) = json.loads(out)["envs"]
    by = {c["name"]: c for c in entry["changes"]}
    # The platform waits for the network and the node groups (depends_on): at risk, and every child with it.
    platform = by["acme-ml-prod-platform"]
    assert (platform["action"], platform["at_risk"], platform["properties"][-1]["path"]) == ("update", True, "dependsOn")
    on_cluster = [c for c in entry["changes"] if c["type"].startswith("kubernetes:")]
    assert on_cluster and all(c["at_risk"] and c["caused_by"] for c in on_cluster)
    # The Kubernetes provider waits for the subnets and reads the cluster's kubeconfig: at risk, and what it
    # manages outside the platform component (the autoscaler, the EFA plugin) with it.
    assert by["acme-ml-prod-k8s"]["at_risk"] is True
    assert {n: by[n]["properties"][-1]["path"] for n in ("acme-ml-prod-autoscaler", "acme-ml-prod-efa-release")} == {
        "acme-ml-prod-autoscaler": "provider", "acme-ml-prod-efa-release": "provider"}
    blocking = sorted((c["type"], c["name"]) for c in entry["changes"] if c["blocking"])
    assert blocking == [
        ("aws:eks/cluster:Cluster", "acme-ml-prod-cluster"), ("aws:rds/instance:Instance", "acme-ml-prod-tracking-db"),
        (NS, "acme-ml-prod-platform-applied-ns"), (NS, "acme-ml-prod-platform-research-ns"),
        (PVC, "acme-ml-prod-platform-storage-applied"), (PVC, "acme-ml-prod-platform-storage-mlstack-verify"),
        (PVC, "acme-ml-prod-platform-storage-research")]
    # update: 108 + the GPU Jobs' egress policy and the exporter's node-local Service (issue 15, gpu-metrics) + the
    # container-logs add-on (it waits for the replaced node groups); same: + the container logs' key, groups and role,
    # + the control-plane logs' key
    assert entry["counts"] == {"blocking": 7, "create": 0, "delete": 0, "replace": 33, "same": 97, "update": 111}
    assert code == 3 and "gate failed: --fail-on mandatory: prod deletes or replaces 7 protected resource(s): " in err
