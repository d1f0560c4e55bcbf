"""The names mlstack's parts agree on, defined once: the contract between the spec, the engine and the components.

Pure Python that imports nothing: the components import it relatively (``from .. import contract``), the spec
layer and the engine as ``mlstack.components.contract``, neither loading Pulumi. ``tests/test_contract.py`` keeps
it a leaf and fails when one of these values is written as a literal anywhere else in ``mlstack/`` or
``components/``.
"""

ACCELERATOR_LABEL = "mlstack.io/accelerator"
"""Node label of every accelerator pool's nodes: the portable accelerator name (``nvidia-a100-80gb``). The device
plugins, the verification Job and the Kueue flavors select on it; on premise the operator labels the nodes."""
POOL_LABEL = "mlstack.io/pool"
"""Node label of every pool's nodes: the spec's pool name (what a Kueue ResourceFlavor selects)."""
TEAM_LABEL = "mlstack.io/team"
"""Label of a team's namespace: the team's name (policy MLS-K8S-007 and MLS-WL-001 find team namespaces by it)."""

MLFLOW_NAMESPACE = "mlflow"
"""Namespace of the MLflow tracking server; the teams' NetworkPolicies allow egress to it."""
MLFLOW_SERVICE_ACCOUNT = "mlflow"
"""ServiceAccount the MLflow server runs as: the identity a target binds to its cloud role (IRSA, Workload
Identity) to reach the artifact store."""
CI_NAMESPACE = "mlstack-ci"
"""Namespace of the CI ServiceAccount (its Roles are in the team namespaces)."""
CI_SERVICE_ACCOUNT = "mlstack-ci"
"""ServiceAccount the CI pipeline acts as in the cluster."""
CI_GROUP = "mlstack-ci"
"""Kubernetes group a cloud maps the CI identity to (an EKS access entry), bound to the CI Roles."""
DATA_SERVICE_ACCOUNT = "mlstack-data"
"""ServiceAccount in each team namespace with a bucket mount: the identity its pods mount the buckets as (a target
binds it to the team's cloud role, scoped to the mounted buckets or folders)."""
SYSTEM_NAMESPACE = "mlstack-system"
"""Namespace of mlstack's own workloads (the verification Job, on premise the audit log collector)."""

RESERVED_PARTS = frozenset({
    "network", "cluster", "vpc-cni", "shared", "efs-csi", "registry", "tracking-db", "mlflow", "ci", "audit", "k8s",
    "platform", "autoscaler", "shared-nfs", "scratch", "fsx-csi", "metrics", "metrics-server", "s3-csi", "mounts",
})
"""Names of an environment's fixed parts (its children are ``<project>-<env>-<part>``): a pool or bucket named
like one would clash with it."""
RESERVED_TEAMS = frozenset({
    "gpu", "tracking", "storage", "ci", "verify", "default", MLFLOW_NAMESPACE, SYSTEM_NAMESPACE, CI_NAMESPACE,
})
"""Names no team may take: a team's namespace is its name, and these are platform parts or system namespaces."""

ACCELERATOR_POOL_MIN = 0
"""Default fewest nodes of an accelerator pool: it scales to zero."""
POOL_MIN = 1
"""Default fewest nodes of any other pool (CPU pools keep the system pods)."""


def pool_size(min_nodes: int | None, max_nodes: int | None, *, accelerated: bool) -> tuple[int, int]:
    """A pool's (fewest, most) nodes with the defaults filled in: fewest ``ACCELERATOR_POOL_MIN`` for an
    accelerator pool, else ``POOL_MIN``; most the fewest, at least 1."""
    lo = min_nodes if min_nodes is not None else (ACCELERATOR_POOL_MIN if accelerated else POOL_MIN)
    return lo, (max_nodes if max_nodes is not None else max(lo, 1))


GPU_DRIVER_OS_TAG = "mlstackOsTag"
"""Key mlstack adds to the GPU operator chart's ``driver`` value: the GPU nodes' OS tag (``ubuntu24.04``), which
the operator appends to the driver's tag at run time. Not a chart value (the chart's templates read only their
own keys and Helm keeps the rest); it lets the plan name the per-OS image the operator will pull, so that a lock
pins that image's digest (``mlstack/engine/plan/pins.py``)."""
