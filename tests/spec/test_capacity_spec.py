"""Bad input for the node-provisioning fields (cluster.autoscaler, a pool's capacity order, reservation,
instance_types, disruption): each is rejected with file:line:col, the field path and a fix, before any
resource is registered (``errors_of`` asserts nothing was recorded)."""

from __future__ import annotations

import textwrap

import pytest

from spec.test_malformed import errors_of, where, write

AWS = textwrap.dedent(
    """\
    project: acme-ml
    target: {cloud: aws, region: us-west-2}
    cluster: {autoscaler: AUTOSCALER}
    node_pools:
      system: {machine: m6i.xlarge, min: 2, max: 4}
      gpu: POOL
    storage:
      shared: {size_gib: 1024}
      buckets: {datasets: {}, artifacts: {}}
    teams:
      research: {group: research, gpu_quota: 8}
    """
)
GCP = textwrap.dedent(
    """\
    project: acme-ml
    target: {cloud: gcp, region: us-central1, project_id: acme-1234}
    node_pools:
      system: {machine: n2-standard-4, min: 2, max: 4}
      gpu: POOL
    storage:
      shared: {size_gib: 1024}
      buckets: {datasets: {}, artifacts: {}}
    teams:
      research: {group: research, gpu_quota: 8}
    """
)
ONPREM = textwrap.dedent(
    """\
    project: acme-ml
    target: {cloud: onprem, kube_context: lab}
    node_pools:
      system: {selector: {role: system}}
      gpu: POOL
    storage:
      shared: {nfs_server: nas.lab, nfs_path: /exports/ml}
      buckets: {datasets: {}, artifacts: {}}
    teams:
      research: {group: research}
    """
)
H100 = "{accelerator: nvidia-h100, gpus_per_node: 8, min: 0, max: 2, EXTRA}"


def aws(extra: str, autoscaler: str = "karpenter") -> str:
    return AWS.replace("AUTOSCALER", autoscaler).replace("POOL", H100.replace("EXTRA", extra))


def problem(tmp_path, text: str, path: str, needle: str, occurrence: int = 0) -> str:
    """The one problem at ``path``, located at the ``occurrence``-th ``needle`` of the file."""
    (found,) = [p for p in errors_of(write(tmp_path, text)) if p.path == path]
    start = 0
    for _ in range(occurrence):
        start = text.index(needle, start) + 1
    index = text.index(needle, start)
    assert (found.line, found.column) == where(text[:index] + "\0" + text[index + 1:], "\0"), found
    return found.message


@pytest.mark.parametrize(
    ("extra", "path", "needle", "message"),
    [
        ("capacity: [reserved, spot]", "node_pools.gpu.reservation", "gpu: {",
         "required with capacity type reserved: the reservation to consume, e.g. reservation: {id: cr-0123456789abcdef0}"),
        ("capacity: [spot], reservation: {id: cr-0123456789abcdef0}", "node_pools.gpu.capacity", "capacity: [spot]",
         "a reservation is consumed only by the reserved capacity type. Add reserved to capacity"),
        ("capacity: [spot, spot]", "node_pools.gpu.capacity", "capacity: [spot, spot]",
         "lists spot more than once; each capacity type appears once, in the order to try"),
        ("spot: true, capacity: [spot, on-demand]", "node_pools.gpu.spot", "spot: true",
         "spot: true is shorthand for capacity: [spot]; give one of them"),
        ("capacity: [on-demand, flex-start]", "node_pools.gpu.capacity.1", "flex-start",
         "flex-start is not a capacity type on aws (it offers reserved, spot, on-demand). flex-start is GKE's Dynamic "
         "Workload Scheduler; on aws reserve GPUs with a Capacity Block instead"),
        ("capacity: [reserved], reservation: {id: r-1}", "node_pools.gpu.reservation.id", "id: r-1",
         "expected a reservation id such as cr-0123456789abcdef0, got 'r-1'"),
        ("capacity: [reserved], reservation: {id: cr-0123456789abcdef0, project: acme-shared-1234}", "node_pools.gpu.reservation.project",
         "project: acme-shared-1234", "only for gcp (shared reservations). Remove it"),
        ("instance_types: [p5.48xlarge, g5.xlarge]", "node_pools.gpu.instance_types.1", "g5.xlarge",
         "g5.xlarge does not carry nvidia-h100 in the catalogue; machine types with it: p5.48xlarge"),
        ("instance_types: [p5.48xlarge, P5.48xlarge]", "node_pools.gpu.instance_types.1", "P5.48xlarge",
         "'P5.48xlarge' is not a aws machine type name (e.g. m6i.xlarge)"),
        ("machine: p5.48xlarge, instance_types: [p5.48xlarge]", "node_pools.gpu.instance_types", "instance_types:",
         "give machine or instance_types, not both"),
    ],
)
def test_aws_pool_fields(tmp_path, extra, path, needle, message):
    assert message in problem(tmp_path, aws(extra), path, needle)


def test_an_instance_type_listed_twice(tmp_path):
    text = aws("instance_types: [p5.48xlarge, p5.48xlarge]")
    msg = problem(tmp_path, text, "node_pools.gpu.instance_types.1", "p5.48xlarge", occurrence=1)
    assert msg == "p5.48xlarge is listed twice. Remove one"


def test_a_cpu_pool_under_karpenter_needs_catalogue_sizes(tmp_path):
    text = aws("").replace("system: {machine: m6i.xlarge, min: 2, max: 4}", "system: {instance_types: [m6i.xlarge, c7i.4xlarge], min: 2, max: 4}")
    msg = problem(tmp_path, text, "node_pools.system.instance_types.1", "c7i.4xlarge")
    assert msg.startswith("the catalogue has no size for c7i.4xlarge, which the NodePool's limits are computed from. Use one of")


def test_an_unknown_capacity_type_is_a_schema_error(tmp_path):
    msg = problem(tmp_path, aws("capacity: [preemptible]"), "node_pools.gpu.capacity.0", "preemptible")
    assert "'reserved', 'spot', 'on-demand' or 'flex-start'" in msg


def test_fallbacks_need_karpenter(tmp_path):
    text = aws("capacity: [spot, on-demand]", autoscaler="cluster-autoscaler")
    msg = problem(tmp_path, text, "node_pools.gpu.capacity", "capacity: [spot, on-demand]")
    assert msg == ("['spot', 'on-demand'] needs cluster.autoscaler: karpenter (cluster-autoscaler gives a pool one capacity "
                   "type and no reservation). Set cluster.autoscaler: karpenter, or list one of spot, on-demand")
    text = aws("disruption: when-underutilized", autoscaler="cluster-autoscaler")
    msg = problem(tmp_path, text, "node_pools.gpu.disruption", "disruption: when-underutilized")
    assert msg.startswith("only with cluster.autoscaler: karpenter (cluster-autoscaler removes only empty nodes)")


def test_the_autoscaler_is_refused_where_it_cannot_be_chosen(tmp_path):
    text = GCP.replace("POOL", "{accelerator: nvidia-h100, gpus_per_node: 8, min: 0, max: 2}").replace(
        "node_pools:", "cluster: {autoscaler: karpenter}\nnode_pools:")
    msg = problem(tmp_path, text, "cluster.autoscaler", "autoscaler: karpenter")
    assert msg == "only for aws; GKE adds nodes with its own cluster autoscaler and node auto-provisioning. Remove it"
    text = AWS.replace("AUTOSCALER", "kubernetes-autoscaler").replace("POOL", "{accelerator: nvidia-h100, gpus_per_node: 8, max: 2}")
    assert "'karpenter' or 'cluster-autoscaler'" in problem(tmp_path, text, "cluster.autoscaler", "autoscaler: kubernetes-autoscaler")


@pytest.mark.parametrize(
    ("extra", "path", "message"),
    [
        ("instance_types: [a3-highgpu-8g]", "node_pools.gpu.instance_types", "only for aws; a pool here has one machine type. Remove it"),
        ("disruption: when-empty", "node_pools.gpu.disruption", "only for aws (the autoscaler choice there). Remove it"),
    ],
)
def test_gcp_pool_fields(tmp_path, extra, path, message):
    field = extra.split(":", 1)[0]
    text = GCP.replace("POOL", "{accelerator: nvidia-h100, gpus_per_node: 8, max: 2, " + extra + "}")
    assert message in problem(tmp_path, text, path, f"{field}:")


@pytest.mark.parametrize("field", ["capacity: [spot]", "instance_types: [p5.48xlarge]", "disruption: when-empty",
                                   "reservation: {id: cr-0123456789abcdef0}"])
def test_onprem_fields_name_the_alternative(tmp_path, field):
    pool = "{accelerator: nvidia-a100-80gb, selector: {mlstack.io/accelerator: nvidia-a100-80gb}, " + field + "}"
    msg = problem(tmp_path, ONPREM.replace("POOL", pool), f"node_pools.gpu.{field.split(':', 1)[0]}", field)
    assert msg == ("onprem pools describe existing nodes and nothing provisions them. Remove it; add nodes to the cluster "
                   "and select them with selector: labels")


def test_onprem_refuses_the_autoscaler(tmp_path):
    text = ONPREM.replace("POOL", "{selector: {role: gpu}}").replace("node_pools:", "cluster: {autoscaler: karpenter}\nnode_pools:")
    assert problem(tmp_path, text, "cluster.autoscaler", "autoscaler: karpenter").startswith("onprem pools describe existing nodes")


def test_a_valid_capacity_spec_loads(tmp_path):
    from mlstack.spec import load_spec_file

    extra = "capacity: [reserved, spot, on-demand], reservation: {id: cr-0123456789abcdef0, capacity_block: true}, instance_types: [p5.48xlarge]"
    spec = load_spec_file(write(tmp_path, aws(extra)))
    pool = spec.node_pools["gpu"]
    assert (pool.capacity, pool.reservation.id, pool.reservation.capacity_block, pool.instance_types) == (
        ["reserved", "spot", "on-demand"], "cr-0123456789abcdef0", True, ["p5.48xlarge"])
