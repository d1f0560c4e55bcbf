"""diff_plans, replacement detection, normalisation between environments, text rendering."""

from __future__ import annotations

from mlstack.engine.review.diff import diff_plans, empty_plan, render_text
from mlstack.engine.review.replace_rules import RULES, forces_replacement

from .fixtures import plan, reg

NG = "aws:eks/nodeGroup:NodeGroup"
RDS = "aws:rds/instance:Instance"


def test_create_update_replace_delete_and_blocking():
    base = plan(
        reg(NG, "gpu", {"instanceTypes": ["p4d.24xlarge"], "scalingConfig": {"maxSize": 1, "minSize": 0}}),
        reg(RDS, "db", {"identifier": "db", "instanceClass": "db.t4g.medium"}, protect=True),
        reg("aws:s3/bucket:Bucket", "old", protect=True),
        reg("aws:ecr/repository:Repository", "same", {"name": "same"}),
    )
    head = plan(
        reg(NG, "gpu", {"instanceTypes": ["p4d.24xlarge"], "scalingConfig": {"maxSize": 4, "minSize": 0}}),
        reg(RDS, "db", {"identifier": "db2", "instanceClass": "db.t4g.medium"}, protect=True),
        reg("aws:ecr/repository:Repository", "same", {"name": "same"}),
        reg("aws:ecr/repository:Repository", "new", {"name": "new"}),
    )
    d = diff_plans(base, head, base_label="main", head_label="working tree")
    assert d.counts() == {"create": 1, "update": 1, "replace": 1, "delete": 1, "same": 1, "blocking": 2}
    by_name = {c.name: c for c in d.changes}
    assert by_name["new"].action == "create"
    assert by_name["gpu"].action == "update"
    assert [(p.path, p.old, p.new, p.forces_replacement) for p in by_name["gpu"].properties] == [("scalingConfig.maxSize", 1, 4, False)]
    assert by_name["db"].action == "replace" and by_name["db"].blocking
    assert by_name["db"].properties[0].forces_replacement
    assert by_name["old"].action == "delete" and by_name["old"].blocking
    assert not by_name["new"].blocking


def test_everything_is_a_create_against_an_empty_plan():
    head = plan(reg(NG, "a"), reg(NG, "b"))
    d = diff_plans(empty_plan("acme-ml", "test"), head)
    assert d.counts()["create"] == 2 and d.counts()["same"] == 0


def test_options_changes_are_updates():
    d = diff_plans(plan(reg(RDS, "db")), plan(reg(RDS, "db", protect=True)))
    assert [(p.path, p.old, p.new) for p in d.changes[0].properties] == [
        ("options.protect", False, True), ("options.retain_on_delete", False, True)]
    assert d.changes[0].action == "update"


def test_replace_rules():
    assert forces_replacement(NG, "instanceTypes")
    assert not forces_replacement(NG, "scalingConfig.maxSize")
    assert forces_replacement("gcp:container/nodePool:NodePool", "nodeConfig.guestAccelerators[0].count")
    assert not forces_replacement("gcp:container/nodePool:NodePool", "nodeConfig.machineType")
    assert forces_replacement("gcp:filestore/instance:Instance", "fileShares[0].name")
    assert not forces_replacement("gcp:filestore/instance:Instance", "fileShares[0].capacityGb")
    assert forces_replacement("kubernetes:core/v1:Namespace", "metadata.name")
    assert forces_replacement("kubernetes:apps/v1:Deployment", "spec.selector.matchLabels.app")
    assert not forces_replacement("kubernetes:apps/v1:Deployment", "spec.template.spec.containers[0].image")
    assert forces_replacement("random:index/randomPassword:RandomPassword", "length")
    assert not forces_replacement("aws:eks/cluster:Cluster", "vpcConfig.subnetIds")
    # A block added: replaces only when a forcing path below it differs.
    assert forces_replacement("aws:eks/cluster:Cluster", "kubernetesNetworkConfig", None, {"serviceIpv4Cidr": "172.20.0.0/16"})
    assert not forces_replacement("aws:eks/cluster:Cluster", "accessConfig", None, {"authenticationMode": "API"})
    assert not forces_replacement("unknown:type:T", "anything")
    assert all(r.source for r in RULES.values())


def test_render_text():
    d = diff_plans(plan(reg(RDS, "db", {"identifier": "a"}, protect=True)), plan(reg(RDS, "db", {"identifier": "b"}, protect=True)),
                   base_label="main", head_label="working tree")
    assert render_text(d) == (
        "test: main -> working tree: 0 to create, 0 to update, 1 to replace, 0 to delete, 0 unchanged; 1 BLOCKING\n"
        "  +- aws:rds/instance:Instance  db  [BLOCKING: replaces a protected resource]\n"
        '       identifier: "a" -> "b"  (forces replacement)\n'
    )


def test_a_property_the_resource_ignores_is_no_change():
    """Pulumi keeps the old value of an ``ignore_changes`` property: the EKS cluster's bootstrap-admin flag,
    off for new clusters, must not show an old cluster as replaced."""
    import dataclasses

    eks = "aws:eks/cluster:Cluster"
    access = {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": True}
    base = plan(reg(eks, "c", {"accessConfig": access, "version": "1.30"}))
    new = reg(eks, "c", {"accessConfig": {**access, "bootstrapClusterCreatorAdminPermissions": False}, "version": "1.31"})
    head = plan(dataclasses.replace(new, ignore_changes=["accessConfig.bootstrapClusterCreatorAdminPermissions"]))
    (change,) = diff_plans(base, head).changes
    assert change.action == "update"
    assert [(p.path, p.forces_replacement) for p in change.properties] == [("version", False)]
    # Without the ignore the flag forces replacement, as EKS does.
    (change,) = diff_plans(base, plan(new)).changes
    assert change.action == "replace"
