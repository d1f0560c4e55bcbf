"""`mlstack lock --check` and the lock's cloud versions: what can be told offline (an entry of the plan the lock
lacks, a locked pool or add-on the spec no longer has, a locked version of another Kubernetes minor), with exact
messages and exit 3; that the cloud still offers a version is `up --locked`'s check, not this one's."""

from __future__ import annotations

from example_plans import example_plan

from mlstack.cli import main
from mlstack.engine.deploy import lock as lk
from mlstack.engine.deploy.pinning import platform_differences
from mlstack.engine.plan.model import Plan
from mlstack.spec import load_spec
from tests.lifecycle.fakes import copy_stacks

TOOLS = {"mlstack": "0.1.0", "pulumi": "3.272.0", "pulumi_cli": "3.272.0"}
GKE = {"control_plane": "1.36.2-gke.1000", "node_pool/a100": "1.36.2-gke.1000", "node_pool/system": "1.36.2-gke.1000"}


def _plan(*keys: str) -> Plan:
    return Plan(project="acme-ml", env="gcp-staging", target={}, resources=[], outputs={"platform_versions": dict.fromkeys(keys)})


def test_a_lock_that_names_every_cloud_version_of_the_plan_has_no_differences():
    assert platform_differences(_plan(*GKE), {"env": "gcp-staging", "platform": GKE}, "1.36") == []
    assert platform_differences(_plan(), {"env": "onprem", "platform": {}}, "1.36") == []  # on-prem records none


def test_each_offline_difference_is_named_with_the_way_out():
    lock = {"env": "gcp-staging", "platform": {**GKE, "node_pool/old": "1.36.2-gke.1000", "node_pool/a100": "1.35.9-gke.200"}}
    assert platform_differences(_plan("control_plane", "node_pool/a100", "node_pool/system", "node_pool/v5e"), lock, "1.36") == [
        "platform node_pool/a100: locked 1.35.9-gke.200 is Kubernetes 1.35, the spec asks for 1.36; `mlstack up --env "
        "gcp-staging` (without --locked) upgrades it and locks the new version",
        "platform node_pool/old: locked 1.36.2-gke.1000, but the plan has no node_pool/old now (removed since the lock); "
        "the next `mlstack up --env gcp-staging` leaves it out of the lock",
        "platform node_pool/v5e: not in the lock (the lock predates it); run `mlstack up --env gcp-staging` without "
        "--locked to lock the version the cloud runs",
    ]


def test_an_eks_platform_version_names_no_minor_and_add_ons_are_compared_by_name():
    lock = {"env": "staging", "platform": {"control_plane": "eks.7", "addon/vpc-cni": "v1.20.4-eksbuild.1",
                                           "addon/gone": "v1.0.0-eksbuild.1"}}
    assert platform_differences(_plan("control_plane", "addon/vpc-cni", "addon/metrics-server"), lock, "1.36") == [
        "platform addon/gone: locked v1.0.0-eksbuild.1, but the plan has no addon/gone now (removed since the lock); "
        "the next `mlstack up --env staging` leaves it out of the lock",
        "platform addon/metrics-server: not in the lock (the lock predates it); run `mlstack up --env staging` without "
        "--locked to lock the version the cloud runs",
    ]


def test_lock_check_reports_them_with_exit_3(tmp_path, capsys):
    stacks = copy_stacks(tmp_path)
    spec = load_spec("staging", stacks)
    platform = {key: "1.36.2-20261110" if key.startswith("node_pool/") else "v1" for key in
                example_plan("staging").outputs["platform_versions"]}
    platform.pop("addon/metrics-server")
    platform["node_pool/retired"] = "1.35.4-20260901"
    path = lk.lock_path("staging", stacks)
    lk.write_lock(path, lk.build_lock(spec, {}, TOOLS, platform=platform))
    before = path.read_bytes()
    assert main(["--stacks-dir", str(stacks), "lock", "--env", "staging", "--check"]) == 3
    assert capsys.readouterr().err == (
        f"{path} no longer matches stacks/staging.yaml:\n"
        "  platform addon/metrics-server: not in the lock (the lock predates it); run `mlstack up --env staging` "
        "without --locked to lock the version the cloud runs\n"
        "  platform node_pool/retired: locked 1.35.4-20260901, but the plan has no node_pool/retired now (removed "
        "since the lock); the next `mlstack up --env staging` leaves it out of the lock\n"
    )
    assert path.read_bytes() == before  # a check writes nothing
