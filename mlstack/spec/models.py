"""The stack spec: pydantic v2 models, strict and frozen. Cross-field rules live in ``rules.py``.

Every field documents its default. Named collections (node pools, buckets, teams) are maps keyed by a stable
name: the key becomes the resource name, so renaming a key replaces the resource and reordering changes nothing.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import ConfigDict, Field

from mlstack.components.contract import ACCELERATOR_LABEL, pool_size
from mlstack.spec.model_base import Cidr, Model, Name
from mlstack.spec.models_access import TrackingAccess
from mlstack.spec.models_ci import Ci, CiNotebook
from mlstack.spec.models_capacity import CapacityType, Reservation
from mlstack.spec.models_hub import PasswordRotation
from mlstack.spec.models_storage import BucketMount, ScratchStorage

class Target(Model):
    """Where the environment runs."""

    cloud: Literal["aws", "gcp", "onprem"] = Field(description="aws (EKS), gcp (GKE) or onprem (an existing cluster).", examples=["aws"])
    region: str | None = Field(None, description="Cloud region (aws, gcp). Required there, forbidden on onprem.", examples=["us-west-2"])
    project_id: str | None = Field(None, description="GCP project id (gcp only, required there).", examples=["acme-ml-1234"])
    kube_context: str | None = Field(None, description="kubeconfig context of the existing cluster (onprem only, required there).", examples=["lab"])
    kubeconfig_path: str | None = Field(None, description="onprem: kubeconfig file; default: the KUBECONFIG environment or ~/.kube/config.", examples=["~/.kube/lab.yaml"])


class Versions(Model):
    """Everything `mlstack promote` copies from one environment to the next. Unset: the catalogue's default."""

    kubernetes: str | None = Field(None, pattern=r"^1\.\d{2}$", description="Kubernetes minor version, e.g. '1.35': one the catalogue has a support window for on the target's cloud (`mlstack catalog versions`).", examples=["1.35"])
    mlflow: str | None = Field(None, pattern=r"^\d+\.\d+\.\d+$", description="MLflow server version, e.g. '3.17.2'; at least 3.6.", examples=["3.17.2"])
    postgres: str | None = Field(None, pattern=r"^\d+(\.\d+)?$", description="Postgres major (or major.minor) for the tracking database.", examples=["16"])
    gpu_device_plugin: str | None = Field(None, description="NVIDIA device plugin chart version.", examples=["0.20.0"])


class Network(Model):
    """The cluster network (aws, gcp). Onprem uses the existing cluster's network."""

    cidr: Cidr = Field("10.0.0.0/16", description="Primary CIDR of the VPC (aws) or node subnet (gcp).", examples=["10.20.0.0/16"])
    availability_zones: int = Field(3, ge=2, le=6, description="aws: private and public subnets in this many AZs.", examples=[2])
    single_nat_gateway: bool = Field(False, description="aws: one NAT gateway for all AZs (cheaper, one AZ's outage cuts egress). Default: one per AZ.", examples=[True])
    existing_vpc_id: str | None = Field(None, description="aws: use this VPC instead of creating one (needs existing_private_subnet_ids).", examples=["vpc-0a1b2c3d4e5f67890"])
    existing_private_subnet_ids: list[str] = Field(default_factory=list, description="aws: private subnets of existing_vpc_id.", examples=[["subnet-0a1b2c3d", "subnet-4e5f6a7b"]])


class Cluster(Model):
    """The Kubernetes control plane."""

    endpoint: Literal["private", "public"] = Field("private", description="API endpoint reachability. Default private; public needs allowed_cidrs.", examples=["public"])
    allowed_cidrs: list[Cidr] = Field(default_factory=list, description="CIDRs allowed to reach a public endpoint.", examples=[["203.0.113.0/24"]])
    log_retention_days: int = Field(90, ge=1, le=3653, description="Control-plane and container log retention (aws CloudWatch), days.", examples=[30])
    container_logs: bool = Field(
        True, description="aws: ship every container's stdout/stderr (MLflow's access log too) to CloudWatch Logs with the "
        "amazon-cloudwatch-observability add-on, KMS-encrypted, kept log_retention_days. false ships none (kubectl logs "
        "only). gcp ships them through GKE's logging either way; onprem: not read.", examples=[False],
    )
    admins: list[str] = Field(
        default_factory=list,
        description="aws: IAM role or user ARNs given cluster-admin, each through its own EKS access entry.", examples=[["arn:aws:iam::123456789012:role/platform-admin"]],
    )
    deployer_admin: bool = Field(
        True,
        description="aws: cluster-admin for the identity running `mlstack up`, through a removable access entry "
        "(never EKS's permanent creator admin). Set false once `admins` names the administrators.", examples=[False],
    )
    release_channel: Literal["RAPID", "REGULAR", "STABLE", "UNSPECIFIED"] = Field(
        "REGULAR", description="gcp: GKE release channel; UNSPECIFIED pins versions.kubernetes.", examples=["STABLE"]
    )
    gpu_operator: bool = Field(
        False, description="onprem: install the NVIDIA GPU operator (drivers, toolkit) instead of only the device plugin.", examples=[True]
    )
    gpu_node_os: str | None = Field(
        None, pattern=r"^[a-z]+[0-9]+(\.[0-9]+)*$",
        description="onprem, with gpu_operator (required there): the GPU nodes' OS as the operator names it, ID and "
        "VERSION_ID of /etc/os-release (major only for rhel, rocky, ol). The driver image is the catalogue's driver "
        "version for that OS (<version>-<os>), so the plan names it and a lock pins its digest.",
        examples=["ubuntu24.04"],
    )
    autoscaler: Literal["karpenter", "cluster-autoscaler"] | None = Field(
        None,
        description="aws: what adds nodes. cluster-autoscaler (the default): one managed node group per pool, one "
        "capacity type each. karpenter: Karpenter NodePools (several instance types, capacity fallbacks such as "
        "[reserved, spot, on-demand], reservations, Capacity Blocks); a pool's min stays a managed node group. The "
        "default keeps an existing environment's node groups on upgrade (docs/capacity.md). Refused elsewhere.",
        examples=["karpenter"],
    )


class NodePool(Model):
    """A pool of nodes. Cloud pools scale between min and max; onprem pools select existing nodes."""

    machine: str | None = Field(
        None,
        description="Machine type. CPU pools: any of the cloud's (m6i.xlarge, n2-standard-4; default the catalogue's "
        "system machine). Accelerator pools: default the catalogue's machine for accelerator and gpus_per_node; name one "
        "it does not list (with gpus_per_node) to use it directly: validate checks its name and family and warns what "
        "it could not check (docs/machine-types.md).",
        examples=["m6i.xlarge"],
    )
    accelerator: str | None = Field(None, description="Portable accelerator name (nvidia-a100-80gb, tpu-v5e, ...); see `mlstack catalog`.", examples=["nvidia-a100-80gb"])
    gpus_per_node: int | None = Field(None, ge=1, le=16, description="Accelerators per node; default the smallest count the catalogue offers. Required with a machine the catalogue does not list.", examples=[8])
    topology: str | None = Field(None, pattern=r"^\d+x\d+(x\d+)?$", description="TPU slice topology, e.g. 2x4 (TPU pools only).", examples=["2x4"])
    min: int | None = Field(None, ge=0, le=1000, description="Fewest nodes (TPU pools: slices); 0 scales to zero. Default 0 for accelerator pools, 1 otherwise.", examples=[0])
    max: int | None = Field(None, le=1000, description="Most nodes (TPU pools: slices). Default: min, or 1.", examples=[4])
    spot: bool = Field(False, description="Spot / preemptible capacity (cheaper, may be reclaimed). Shorthand for capacity: [spot].", examples=[True])
    capacity: list[CapacityType] = Field(
        default_factory=list,
        description="Capacity types in the order to try them, e.g. [reserved, spot, on-demand]. Default [spot] with "
        "spot: true, else [on-demand]. aws: more than one type, or reserved, needs cluster.autoscaler: karpenter. gcp "
        "(GPU pools): the list makes the pool a ComputeClass (min 0), priorities in this order; flex-start (DWS) where "
        "the catalogue says the machine supports it. onprem: refused.",
        examples=[["reserved", "spot", "on-demand"]],
    )
    reservation: Reservation | None = Field(None, description="The reservation the reserved capacity type consumes (required with it).")
    instance_types: list[str] = Field(
        default_factory=list,
        description="aws: EC2 instance types the pool may launch (instead of machine). Default: the machine (CPU "
        "pools), or every type the catalogue lists with this accelerator and gpus_per_node (accelerator pools).",
        examples=[["p4d.24xlarge", "p4de.24xlarge"]],
    )
    disruption: Literal["when-empty", "when-underutilized"] | None = Field(
        None,
        description="aws with karpenter: which nodes Karpenter may remove on its own. when-empty (default for "
        "accelerator pools) never evicts a running pod; when-underutilized (default for CPU pools) also moves pods "
        "to pack nodes tighter (docs/capacity.md).",
        examples=["when-underutilized"],
    )
    disk_size_gib: int = Field(200, ge=20, le=16384, description="Root disk size, GiB.", examples=[500])
    local_nvme: Literal["raid0", "unused"] | None = Field(
        None,
        description="The machine's local NVMe disks (EC2 instance store, GKE Local SSD), striped into one RAID0 array that "
        "holds the container images and the pods' ephemeral storage (emptyDir): raid0, the default where the catalogue "
        "says the machine has them; unused leaves them alone (not off: YAML 1.1 reads that as false). aws, gcp node pools (docs/capacity.md); onprem: refused.",
        examples=["unused"],
    )
    labels: dict[str, str] = Field(default_factory=dict, description="Extra node labels.", examples=[{"workload": "training"}])
    zones: list[str] = Field(
        default_factory=list,
        description="gcp: the zones of the pool (e.g. the zones of the region that offer its GPU); default the "
        "cluster's zones (GPU pools) or the catalogue's first zone offering the TPU (TPU pools).", examples=[["us-central1-a", "us-central1-c"]],
    )
    selector: dict[str, str] | None = Field(None, description="onprem: labels that select the existing nodes of this pool.", examples=[{ACCELERATOR_LABEL: "nvidia-a100-80gb"}])
    multi_node: bool | None = Field(
        None,
        description="Place the pool for multi-node jobs: aws: EFA interfaces, a cluster placement group, one subnet "
        "(AZ); gcp: COMPACT placement in one zone and gVNIC. Trades capacity (one AZ/zone, close hosts) for "
        "bandwidth. Default: on for GPU/Trainium pools whose machine type supports it (gcp: that name their zones).", examples=[True],
    )

    def size(self) -> tuple[int, int]:
        """(fewest, most) nodes, TPU pools: slices, with the defaults filled in (``contract.pool_size``)."""
        return pool_size(self.min, self.max, accelerated=self.accelerator is not None)


class SharedStorage(Model):
    """The ReadWriteMany file system mounted as the `shared` volume in every team namespace."""

    size_gib: int = Field(1024, ge=1, le=1_048_576, description="Capacity per team volume request, GiB (gcp: the Filestore capacity).", examples=[2048])
    tier: str | None = Field(None, description="gcp: Filestore tier (BASIC_HDD, BASIC_SSD, ZONAL, REGIONAL, ENTERPRISE). Default BASIC_HDD.", examples=["ZONAL"])
    nfs_server: str | None = Field(
        None, pattern=r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$", description="onprem: NFS server host name or IP (required there).", examples=["nas.lab.internal"]
    )
    nfs_path: str | None = Field(None, pattern=r"^/[^\s]*$", description="onprem: exported path on the NFS server, e.g. /exports/ml (required there).", examples=["/exports/ml"])


class BucketSpec(Model):
    """One object-store bucket (S3, GCS, or the on-prem S3 store): private, encrypted, TLS only."""

    versioning: bool = Field(True, description="Keep object versions (recover overwritten data). Default on.", examples=[False])


class Storage(Model):
    """Shared file storage and object-store buckets."""

    shared: SharedStorage | None = Field(None, description="The shared ReadWriteMany file system; none when unset.")
    scratch: ScratchStorage | None = Field(
        None, description="The fast scratch tier: aws FSx for Lustre, gcp Managed Lustre, onprem an existing Lustre or NFS export; none when unset."
    )
    buckets: dict[str, BucketSpec] = Field(default_factory=dict, description="Object-store buckets by name.", examples=[{"datasets": {"versioning": True}, "artifacts": {}}])
    bucket_mounts: dict[Name, BucketMount] = Field(
        default_factory=dict,
        description="Buckets mounted into team namespaces for read-mostly datasets, by claim name: aws Mountpoint for "
        "S3, gcp Cloud Storage FUSE, each team through its own identity scoped to the bucket (or folder); onprem: not "
        "available. Default none.", examples=[{"datasets": {"bucket": "datasets", "prefix": "imagenet"}}],
    )


class Registry(Model):
    """The container registry: ECR (aws), Artifact Registry (gcp), a registry in the cluster (onprem)."""

    repositories: list[Name] = Field(default_factory=list, description="Container image repositories.", examples=[["trainer", "serving"]])
    untagged_expiry_days: int = Field(14, ge=1, le=3650, description="Untagged images are deleted after this many days.", examples=[7])


class Database(Model):
    """The tracking database: RDS Postgres (aws), Cloud SQL Postgres (gcp), CloudNativePG (onprem)."""

    size: Literal["small", "medium", "large"] = Field("small", description="Instance size; the catalogue maps it per cloud.", examples=["medium"])
    high_availability: bool = Field(False, description="Multi-AZ (aws), REGIONAL (gcp), 3 instances (onprem).", examples=[True])
    storage_gib: int = Field(50, ge=20, le=65536, description="Database storage, GiB.", examples=[100])
    backup_retention_days: int = Field(7, ge=7, le=35, description="Automated backups kept this many days (at least 7).", examples=[14])


class Tracking(Model):
    """The MLflow tracking server and model registry."""

    replicas: int = Field(2, ge=1, le=20, description="MLflow server replicas; > 1 adds a PodDisruptionBudget.", examples=[3])
    artifacts_bucket: str = Field("artifacts", description="Key of storage.buckets that holds MLflow artifacts.", examples=["artifacts"])
    image: str | None = Field(
        None,
        description="MLflow server image with mlflow[auth], psycopg 3 and boto3 / google-cloud-storage; "
        "default ghcr.io/mlflow/mlflow:v<versions.mlflow>-full. Pin a tag or digest, never latest.", examples=["ghcr.io/acme/mlflow:3.17.2"],
    )
    database: Database = Field(default_factory=Database)
    job_execution: bool = Field(
        False,
        description="Run MLflow's job runner (MLFLOW_SERVER_ENABLE_JOB_EXECUTION: scheduled scorers, trace "
        "archival). Off by default: it starts a worker process per job type, measured at 2.1 GiB per pod.", examples=[True],
    )
    access: TrackingAccess | None = Field(
        None, description="Reach MLflow from laptops over the private network; default none: in-cluster only "
        "(kubectl port-forward). Never internet-facing.", examples=[{"mode": "ingress", "source_cidrs": ["10.0.0.0/8"],
        "host": "mlflow.ml.acme.internal", "tls_secret": "mlflow-tls"}],
    )
    password_rotation: PasswordRotation = Field(
        default_factory=PasswordRotation, description="Keepers of the admin's and the verification user's MLflow "
        "passwords (`mlstack hub rotate-credentials --user admin|verify` raises them).", examples=[{"admin": 1}],
    )


class Team(Model):
    """A team: its namespace (named as the key), role binding, quotas, queue and MLflow user."""

    group: str = Field(min_length=1, description="Identity-provider group bound to the team's edit role.", examples=["research"])
    members: list[str] = Field(
        default_factory=list,
        description="Identities that act as the team. aws: IAM role or user ARNs (EKS access entries put them in "
        "`group`); gcp: Google accounts or service accounts (e-mail; bound as RBAC users); onprem: user names "
        "your authenticator presents. Default none: only `group` (which the cluster's authenticator must emit).", examples=[["arn:aws:iam::123456789012:role/acme-research"]],
    )
    gpu_quota: int = Field(0, ge=0, le=4096, description="GPUs the namespace may request at once.", examples=[8])
    tpu_quota: int = Field(0, ge=0, le=4096, description="TPU chips the namespace may request at once (gcp).", examples=[16])
    neuron_quota: int = Field(0, ge=0, le=4096, description="AWS Neuron devices (Trainium) the namespace may request at once (aws).", examples=[16])
    quotas: dict[str, Annotated[int, Field(ge=0, le=4096)]] = Field(
        default_factory=dict,
        description="Accelerators per node pool, keyed by pool name, e.g. {a100: 8, l4: 4}: the team's nominal "
        "Kueue quota on each pool (GPUs, TPU chips or Neuron devices). Replaces gpu_quota/tpu_quota/neuron_quota, "
        "which remain as totals for specs without quotas (see docs/platform.md, 'Migrating from gpu_quota').", examples=[{"a100": 16, "l4": 4}],
    )
    cpu_quota: int = Field(64, ge=1, le=100_000, description="CPU cores the namespace may request.", examples=[128])
    memory_quota_gib: int = Field(256, ge=1, le=1_048_576, description="Memory the namespace may request, GiB.", examples=[512])
    egress_cidrs: list[Cidr] = Field(
        default_factory=list,
        description="Networks the team's pods may reach beyond DNS and the tracking server (default-deny "
        "otherwise), e.g. the object store's endpoints, or 0.0.0.0/0 for the internet.", examples=[["10.30.0.0/16"]],
    )
    mlflow_password_rotation: int = Field(
        0, ge=0, le=1_000_000,
        description="Raise it to give the team's MLflow user a new generated password on the next up: its Secret "
        "mlflow-<team> and the MLflow user (set by the migrations Job) change, the old password is refused. "
        "`mlstack hub rotate-credentials --env E --team T` raises it. 0: the password generated first.", examples=[1],
    )


class Preemption(Model):
    """How Kueue takes quota back (ClusterQueue ``preemption``)."""

    reclaim_within_cohort: Literal["Never", "LowerPriority", "Any"] = Field(
        "Any", description="A team reclaims quota it lent by preempting other teams' borrowing jobs: Any (default), LowerPriority or Never.", examples=["LowerPriority"]
    )
    within_team: Literal["Never", "LowerPriority", "LowerOrNewerEqualPriority"] = Field(
        "LowerPriority", description="Inside a team's queue a job may preempt: lower-priority jobs (default), also newer equal ones, or none.", examples=["Never"]
    )


class Workloads(Model):
    """Team queues and multi-node training: Kueue, JobSet, Kubeflow Trainer, KubeRay."""

    enabled: bool = Field(True, description="Kueue: a queue per team, quotas per accelerator pool, all-or-nothing admission. false: teams have only their ResourceQuota.", examples=[True])
    jobset: bool = Field(True, description="The JobSet controller (groups of Jobs as one unit; Trainer builds on it).", examples=[True])
    trainer: bool = Field(True, description="Kubeflow Trainer v2 (TrainJob) with mlstack's torch-distributed runtime. Needs jobset.", examples=[True])
    kuberay: bool = Field(False, description="The KubeRay operator (RayJob, RayCluster), queued by Kueue. Opt-in.", examples=[True])
    borrowing_limit_percent: int = Field(
        100, ge=0, le=1000, description="What a team may borrow from other teams' idle quota, as % of each of its own quotas; 0 turns borrowing off.", examples=[50]
    )
    preemption: Preemption = Field(default_factory=Preemption)
    pods_ready_timeout_seconds: int = Field(
        600, ge=30, le=86400, description="An admitted job whose pods are not all ready by then is evicted and re-queued (gang admission).", examples=[900]
    )
    rdma_resource: str | None = Field(
        None,
        pattern=r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$",
        description="onprem: the extended resource your cluster's RDMA device plugin exposes (e.g. rdma/ib); every "
        "node of a GPU pool's training runtime (torch-distributed-<pool>) requests one. Default none.", examples=["rdma/ib"],
    )


class Audit(Model):
    """Audit logs: a CloudTrail trail (aws), data-access audit logs (gcp), the API server's audit policy (onprem)."""

    retention_days: int = Field(365, ge=1, le=3653, description="Audit logs kept this many days.", examples=[730])


class Spec(Model):
    """One environment of an ML platform. Every field: docs/spec-reference.md; the shape: docs/architecture.md."""

    schema_: str | None = Field(None, alias="$schema", description="Editor hint; ignored.", examples=["../schema/stack-file.schema.json"])
    project: Name = Field(description="Lowercase project name; prefixes every resource name.", examples=["acme-ml"])
    env: Name = Field(description="Environment name; defaults to the file stem.", examples=["staging"])
    target: Target
    versions: Versions = Field(default_factory=Versions)
    tags: dict[str, str] = Field(default_factory=dict, description="Tags/labels on every resource that takes them.", examples=[{"cost-center": "1234"}])
    network: Network = Field(default_factory=Network)
    cluster: Cluster = Field(default_factory=Cluster)
    node_pools: dict[str, NodePool] = Field(default_factory=dict)
    storage: Storage = Field(default_factory=Storage)
    registry: Registry = Field(default_factory=Registry)
    tracking: Tracking = Field(default_factory=Tracking)
    ci: Ci | None = None
    teams: dict[str, Team] = Field(default_factory=dict)
    workloads: Workloads = Field(default_factory=Workloads)
    audit: Audit = Field(default_factory=Audit)
    protect: bool | None = Field(None, description="protect + retain_on_delete on stateful resources; default true when env starts with 'prod'.", examples=[True])
    backend: str | None = Field(None, description="State backend URL (s3://, gs://, azblob://, https://api.pulumi.com); default file://<project dir>/.mlstack/state.", examples=["s3://acme-pulumi-state"])
    secrets_provider: str | None = Field(None, description="awskms://... or gcpkms://...; default passphrase (PULUMI_CONFIG_PASSPHRASE).", examples=["awskms://alias/acme-pulumi"])
    waivers: dict[str, str] = Field(default_factory=dict, description="Policy rule id -> reason for waiving it.", examples=[{"MLS-K8S-001": "lab cluster, no data"}])

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, populate_by_name=True)

    @property
    def protected(self) -> bool:
        """Whether stateful resources get protect and retain_on_delete."""
        return self.protect if self.protect is not None else self.env.startswith("prod")

    @property
    def stack_name(self) -> str:
        return self.env

    @property
    def prefix(self) -> str:
        """The name every resource starts with."""
        return f"{self.project}-{self.env}"
