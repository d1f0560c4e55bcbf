"""Every raise site of the engine that a spec could reach, and how each is kept from surprising a user.

``test_validate_every_path.py`` scans ``mlstack/`` (outside the spec layer) and ``components/`` for ``raise``
statements (AST) and requires an entry here for each site of a spec-kind exception (see ``scanned``); a new
site without an entry fails the test, and so does an entry whose site is gone. An entry is one of:

- ``F(name)``: a fixture in ``FIXTURES``: a spec that reaches the site when the spec rules are skipped
  (proved: the plan fails at exactly that raise), and that ``validate`` rejects first, located, with a fix.
- ``S(model, field, key, value)``: the spec's schema itself rules the value out (checked in the JSON Schema).
- ``U(module)``: the component is not built from a spec (checked: nothing the CLI imports imports it).
- ``I(why)``: the engine derives the value itself (a constant, an output, the catalogue); ``N(why)``: not
  about a spec at all (catalogue files, the plan cache, flags, git).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class F:
    fixture: str


@dataclass(frozen=True)
class S:
    model: str
    field: str
    key: str
    value: object


@dataclass(frozen=True)
class U:
    module: str


@dataclass(frozen=True)
class I:  # noqa: E742 - a one-letter tag, like the others
    why: str


@dataclass(frozen=True)
class N:
    why: str


@dataclass(frozen=True)
class Fixture:
    """``overlay`` is written as ``stacks/case.yaml`` after ``extends: <env>.yaml``; ``validate`` must report
    ``path`` in that file (line 2 or later) with a message containing ``says`` (which quotes the fix)."""

    env: str
    overlay: str
    path: str
    says: str


ARN = "arn:aws:iam::123456789012:role/"
FIXTURES = {
    "gpu-operator-no-node-os": Fixture("onprem", "cluster: {gpu_operator: true}\n", "cluster.gpu_node_os",
                                       "required with gpu_operator: the operator installs the NVIDIA driver"),
    "unknown-accelerator": Fixture("staging", "node_pools:\n  x: {accelerator: nvidia-a100}\n", "node_pools.x.accelerator",
                                   "unknown accelerator 'nvidia-a100'. Did you mean"),
    "accelerator-not-on-cloud": Fixture("gcp-staging", "node_pools:\n  x: {accelerator: aws-trainium, gpus_per_node: 1}\n",
                                        "node_pools.x.accelerator", "aws-trainium is not offered on gcp; clouds that offer it: aws"),
    "machine-count": Fixture("staging", "node_pools:\n  x: {accelerator: nvidia-a100-80gb, machine: p4de.24xlarge, gpus_per_node: 4}\n",
                             "node_pools.x.machine", "Set gpus_per_node: 8, or remove gpus_per_node"),
    "machine-unlisted-no-count": Fixture("staging", "node_pools:\n  x: {accelerator: nvidia-a100-80gb, machine: p4x.24xlarge}\n",
                                         "node_pools.x.machine", "is not in the catalogue, so mlstack cannot know how many"),
    "machine-other-family": Fixture("staging", "node_pools:\n  x: {accelerator: nvidia-a100-80gb, machine: g5.96xlarge, gpus_per_node: 8}\n",
                                    "node_pools.x.machine", "g5 machines carry nvidia-a10g in the catalogue"),
    "machine-cpu": Fixture("staging", "node_pools:\n  x: {accelerator: nvidia-a100-80gb, machine: m6i.large, gpus_per_node: 8}\n",
                           "node_pools.x.machine", "m6i.large is a CPU machine type"),
    "machine-other-accelerator": Fixture("staging", "node_pools:\n  x: {accelerator: nvidia-a100-80gb, machine: g5.12xlarge, gpus_per_node: 4}\n",
                                         "node_pools.x.machine", "g5.12xlarge carries 4 x nvidia-a10g (the catalogue lists it)"),
    "gpus-per-node": Fixture("staging", "node_pools:\n  a100: {gpus_per_node: 3}\n", "node_pools.a100.gpus_per_node",
                             "nvidia-a100-80gb on aws is offered with"),
    "tpu-topology": Fixture("gcp-staging", "node_pools:\n  v5e: {topology: 3x3}\n", "node_pools.v5e.topology",
                            "topology '3x3' is not valid for tpu-v5e; valid:"),
    "tracking-ingress-no-certificate": Fixture(
        "staging", "tracking:\n  access: {mode: ingress, source_cidrs: [10.0.0.0/8], host: mlflow.acme.internal}\n",
        "tracking.access.tls_secret", "mode ingress needs tls_secret: the Ingress serves MLflow over TLS"),
    "unknown-waiver": Fixture("staging", "waivers:\n  MLS-NOPE-001: because\n", "waivers.MLS-NOPE-001",
                              "unknown policy rule 'MLS-NOPE-001'. Known rules:"),
    "github-repository": Fixture("staging", "ci: {repository: acme/ml/platform}\n", "ci.repository",
                                 "a GitHub repository is OWNER/REPO, got 'acme/ml/platform'"),
    "ci-ref": Fixture("staging", "ci: {refs: [main]}\n", "ci.refs.0", "expected a full git ref such as refs/heads/main"),
    "ci-ref-gcp": Fixture("gcp-staging", "ci: {provider: gitlab, repository: acme/ml, refs: [main]}\n", "ci.refs.0",
                          "expected a full git ref such as refs/heads/main"),
    "gitlab-url": Fixture("staging", "ci: {provider: gitlab, gitlab_url: \"http://gitlab.acme.internal\"}\n", "ci.gitlab_url",
                          "must be an https:// URL (the OIDC issuer)"),
    "admins-twice": Fixture("staging", f"cluster: {{admins: [\"{ARN}a\", \"{ARN}a\"]}}\n", "cluster.admins.1",
                            "is listed twice (one access entry per principal). Remove one"),
    "admin-arn": Fixture("staging", "cluster: {admins: [\"arn:aws:iam::123456789012:group/ops\"]}\n", "cluster.admins.0",
                         "expected an IAM role or user ARN such as arn:aws:iam::123456789012:role/research"),
    "registry-twice": Fixture("staging", "registry: {repositories: [trainer, trainer]}\n", "registry.repositories.1",
                              "repository 'trainer' is listed twice. Remove one"),
    "reserved-pool": Fixture("staging", "node_pools:\n  cluster: {machine: m6i.large}\n", "node_pools.cluster",
                             "'cluster' names a fixed part of the environment. Choose another name"),
    "pool-and-bucket": Fixture("staging", "storage:\n  buckets:\n    system: {}\n", "storage.buckets.system",
                               "'system' is also a node pool; resource names would clash. Rename one"),
    "artifacts-bucket": Fixture("staging", "tracking: {artifacts_bucket: models}\n", "tracking.artifacts_bucket",
                                "names bucket 'models', which storage.buckets does not define"),
    "artifacts-bucket-gcp": Fixture("gcp-staging", "tracking: {artifacts_bucket: models}\n", "tracking.artifacts_bucket",
                                    "Add it under storage.buckets"),
    "artifacts-bucket-onprem": Fixture("onprem", "tracking: {artifacts_bucket: models}\n", "tracking.artifacts_bucket",
                                       "Add it under storage.buckets"),
    "existing-vpc": Fixture("staging", "network: {existing_vpc_id: vpc-0abc}\n", "network.existing_private_subnet_ids",
                            "required with existing_vpc_id: list the VPC's private subnets"),
    "vpc-prefix": Fixture("staging", "network: {cidr: 10.0.0.0/12}\n", "network.cidr", "on aws it must be /16 to /24"),
    "max-below-min": Fixture("prod", "node_pools:\n  system: {min: 3, max: 2}\n", "node_pools.system.max",
                             "must be >= min (3), got 2"),
    "max-below-min-gcp": Fixture("gcp-staging", "node_pools:\n  system: {min: 3, max: 2}\n", "node_pools.system.max",
                                 "must be >= min (3), got 2"),
    # Karpenter pools (staging chooses cluster.autoscaler: karpenter).
    "capacity-twice": Fixture("staging", "node_pools:\n  a100: {capacity: [spot, spot], reservation: null}\n", "node_pools.a100.capacity",
                              "lists spot more than once; each capacity type appears once"),
    "capacity-flex-start-aws": Fixture("staging", "node_pools:\n  a100: {capacity: [on-demand, flex-start], reservation: null}\n",
                                       "node_pools.a100.capacity.1", "on aws reserve GPUs with a Capacity Block instead"),
    "reserved-without-reservation": Fixture("staging", "node_pools:\n  a100: {reservation: null}\n", "node_pools.a100.reservation",
                                            "required with capacity type reserved: the reservation to consume"),
    "tpu-max-below-min": Fixture("gcp-staging", "node_pools:\n  v5e: {min: 2, max: 1}\n", "node_pools.v5e.max",
                                 "must be >= min (2), got 1"),
    "public-endpoint-gcp": Fixture("gcp-staging", "cluster: {endpoint: public}\n", "cluster.allowed_cidrs",
                                   "a public endpoint needs allowed_cidrs"),
    "own-label": Fixture("gcp-staging", "node_pools:\n  system: {labels: {mlstack.io/accelerator: nvidia-l4}}\n",
                         "node_pools.system.labels.mlstack.io/accelerator", "is set by mlstack on the nodes it creates"),
    "filestore-tier": Fixture("gcp-staging", "storage:\n  shared: {tier: PREMIUM}\n", "storage.shared.tier",
                              "unknown Filestore tier 'PREMIUM'. Valid: BASIC_HDD"),
    "team-platform-namespace": Fixture("staging", "teams:\n  kueue-system: {group: ops}\n", "teams.kueue-system",
                                       "'kueue-system' names a fixed part of the environment. Choose another name"),
    "team-admin": Fixture("staging", "teams:\n  admin: {group: ops}\n", "teams.admin",
                          "'admin' names a fixed part of the environment. Choose another name"),
    "pool-any-node": Fixture("staging", "node_pools:\n  any-node: {accelerator: nvidia-a100-80gb, gpus_per_node: 8, max: 1}\n", "node_pools.any-node",
                             "'any-node' is the Kueue flavor for CPU and memory. Rename the pool"),
    "trainer-without-jobset": Fixture("staging", "workloads: {jobset: false}\n", "workloads.trainer",
                                      "it needs jobset: true. Set jobset: true, or trainer: false"),
    "onprem-selector": Fixture("onprem", "node_pools:\n  cpu: {selector: {}}\n", "node_pools.cpu.selector",
                               "required on onprem, with at least one label"),
}

CATALOGUE_FILES = N("the catalogue's own files, parsed and cross-checked at load (tests/test_catalog.py)")
FLAGS = N("the command line and git (--base, --env), not the spec")
MAPPING = "the mapping (mlstack/targets/<cloud>/mapping.py) passes "
SITES = {
    # the catalogue
    "mlstack/catalog/__init__.py::parse_catalog::CatalogError::no catalogue files in {}": CATALOGUE_FILES,
    "mlstack/catalog/__init__.py::parse_catalog::CatalogError::{}: not valid YAML: {}": CATALOGUE_FILES,
    "mlstack/catalog/__init__.py::parse_catalog::CatalogError::{}: expected a mapping at the top level": CATALOGUE_FILES,
    "mlstack/catalog/__init__.py::parse_catalog::CatalogError::{}: every catalogue file needs `sources:` and `as_of:`": CATALOGUE_FILES,
    "mlstack/catalog/__init__.py::parse_catalog::CatalogError::{}: top-level key {} is defined in two files": CATALOGUE_FILES,
    "mlstack/catalog/__init__.py::parse_catalog::CatalogError::invalid catalogue:": CATALOGUE_FILES,
    "mlstack/catalog/models.py::Catalog._cross_check::ValueError::?": CATALOGUE_FILES,
    "mlstack/catalog/models.py::Catalog._accelerator::CatalogError::unknown accelerator {}; known: {}": F("unknown-accelerator"),
    "mlstack/catalog/models.py::Catalog.machine_for::CatalogError::{} is not offered on {}; it is offered on {}":
        I("pool_machine refuses an accelerator the cloud does not offer before it asks machine_for"),
    "mlstack/catalog/pool_machine.py::pool_machine::CatalogError::{} is not offered on {} in the catalogue (it is on {}), so mlstack doe": F("accelerator-not-on-cloud"),
    "mlstack/catalog/pool_machine.py::pool_machine::CatalogError::{} carries {} x {} (the catalogue lists it), not {}. Set gpus_per_node": F("machine-count"),
    "mlstack/catalog/pool_machine.py::pool_machine::CatalogError::{} is not in the catalogue, so mlstack cannot know how many {} it carr": F("machine-unlisted-no-count"),
    "mlstack/catalog/pool_machine.py::pool_machine::CatalogError::{} machines carry {} in the catalogue, not {}; {} is on {} machines. N": F("machine-other-family"),
    "mlstack/catalog/pool_machine.py::_contradiction::CatalogError::{} is a CPU machine type (the catalogue lists it without accelerators)": F("machine-cpu"),
    "mlstack/catalog/pool_machine.py::_contradiction::CatalogError::{} carries {} x {} (the catalogue lists it), not {}": F("machine-other-accelerator"),
    "mlstack/catalog/models.py::Catalog.machine_for::CatalogError::{} on {} is offered with {} per node, not {}": F("gpus-per-node"),
    "mlstack/catalog/models.py::Catalog.tpu_slice::CatalogError::unknown TPU generation {}; known: {}":
        I("a TPU accelerator's generation: the catalogue's cross-checks give every TPU accelerator one"),
    "mlstack/catalog/models.py::Catalog.tpu_slice::CatalogError::topology {} is not valid for {}; valid: {}": F("tpu-topology"),
    "mlstack/catalog/support.py::chart_finding::CatalogError::unknown chart {}": I("chart names are the engine's own constants"),
    **{f"mlstack/catalog/codec.py::{site}": N("a cached catalogue entry of other code or damaged, read as a miss (mlstack.derived)")
       for site in ("_model::TypeError::{} has no field {}", "_plain::TypeError::catalogue maps are keyed by text",
                    "_plain::TypeError::no JSON form for {}", "_value::TypeError::cannot rebuild {} from {}",
                    "_value::TypeError::expected a list", "_value::TypeError::expected an object",
                    "_value::TypeError::{} is an object", "decode::TypeError::a catalogue entry is an object")},
    # the engine
    "mlstack/cli/cmd_spec.py::_load_and_check::SpecError::?": N("validate itself"),
    "mlstack/engine/plan/cache.py::_decode::ValueError::not this entry": N("a plan-cache entry of another version, read as a miss"),
    "mlstack/engine/plan/model.py::Plan.one::KeyError::no {} named {}; have {}": I("the engine's own lookup of a resource it registered"),
    "mlstack/engine/plan/planner.py::_record_all::value::<re-raise>": N("re-raises a plan worker's failure: its sites are listed here"),
    "mlstack/engine/plan/recorder.py::_until_stalled::TimeoutError::<re-raise>":
        N("the plan's stall deadline, turned into the EngineError below: a component waiting on a missing mock output"),
    "components/_lazy.py::exports.__getattr__::AttributeError::module {} has no attribute {}":
        N("a name a program asks a component package for that it does not export: Python's own AttributeError"),
    'components/k8s/tracking_access.py::check::ValueError::TrackingServer {}: access needs a mode of {}, source_cidrs, and with i':
        F('tracking-ingress-no-certificate'),
    "components/k8s/gpu_check.py::pool_pod::ValueError::GPU check of pool {}: devices must be at least 1, not {}":
        I("devices is a pool's per-node count: its gpus_per_node (schema minimum 1), a catalogue offer's count or 1"),
    'components/k8s/verify_job.py::VerifyJob.__init__::ValueError::VerifyJob {}: the NCCL check submits through a team queue: set gang_na':
        I("the Platform sets gang_namespace whenever it sets the NCCL check (mlstack/engine/plan/workloads.py)"),
    "mlstack/engine/plan/recorder.py::record::cause::<re-raise>": N("re-raises the program's failure: its sites are listed here"),
    "mlstack/engine/plan/recorder.py::record::KeyboardInterrupt::<re-raise>": N("Ctrl-C while a plan records, not a spec"),
    "mlstack/engine/plan/recorder.py::record::EngineError::the program failed: {}": N("wraps the program's own raise: its sites are listed here"),
    'mlstack/engine/plan/recorder.py::record::EngineError::the plan registered nothing for {} s: a component waits on an output t':
        I("a mock missing from a pack table, found by planning every example"),
    "mlstack/engine/plan/recorder.py::RecordingMonitor.RegisterResource::EngineError::duplicate resource URN {}: two resources share a type and name":
        I("names derive from distinct spec keys; keys that would clash are spec rules (reserved-pool, pool-and-bucket)"),
    'mlstack/engine/plan/mocks.py::MockOutputs.call::EngineError::the plan cannot answer the invoke {}: a component calls a data source ':
        I("a data source missing from a pack table, found by planning every example"),
    "mlstack/engine/plan/program.py::_verify::EngineError::the lock of {} cannot be honoured, nothing was changed:":
        N("a lock's cloud versions the cloud no longer offers, asked at `up --locked` (tests/deploy/test_lock_platform.py)"),
    "mlstack/engine/review/policy/__init__.py::validate_waivers::SpecError::?": F("unknown-waiver"),
    "mlstack/engine/review/report.py::review_ref::_relocate::?":
        N("the spec as committed at the base ref (named REF:stacks/<file>); validate judges the working tree's"),
    'mlstack/engine/review/report.py::review_envs::UsageError::comparing environments needs at least two --env (or give --base REF to': FLAGS,
    "mlstack/engine/review/gitref.py::_git::UsageError::--base needs git on PATH": FLAGS,
    "mlstack/engine/review/report.py::review_ref::UsageError::no environments in {} nor in it at {}": FLAGS,
    "mlstack/engine/review/gitref.py::materialise::UsageError::--base {}: {} is not inside a git repository": FLAGS,
    'mlstack/engine/review/gitref.py::materialise::UsageError::--base {}: no such commit, branch or tag (fetch it first, e.g. git fet': FLAGS,
    "mlstack/engine/review/gitref.py::materialise::UsageError::--base {}: the stacks folder {} is outside the repository {}": FLAGS,
    "mlstack/engine/review/gitref.py::materialise::UsageError::--base {}: git archive failed: {}": FLAGS,
    "mlstack/engine/scaffold/overrides.py::_validate::SpecError::?":
        N("new-env's spec before it is written: validate's own problems, blamed on the --set/--add flag"),
    "mlstack/catalog/views.py::_clouds_of::CatalogError::the catalogue has no facts about region {} on {}.{} Regions it knows: ": N("the flags of `mlstack catalog` (--cloud, --region, the topic), not the spec"),
    "mlstack/catalog/views.py::view::CatalogError::the catalogue has no cloud {}; it covers {} (on-prem nodes exist alrea": N("the flags of `mlstack catalog` (--cloud, --region, the topic), not the spec"),
    "mlstack/catalog/views.py::view::CatalogError::unknown catalogue topic {}; topics: {}": N("the flags of `mlstack catalog` (--cloud, --region, the topic), not the spec"),
    "mlstack/targets/__init__.py::pack::KeyError::no target pack {}; registered: {}": S("Target", "cloud", "enum", ["aws", "gcp", "onprem"]),
    "mlstack/targets/__init__.py::_index::AssertionError::{} is in the tables of both {} and {}": I("the packs' tables (tests/engine)"),
}
COMPONENTS = {
    'components/aws/_util.py::kms_key::ValueError::{}: deletion_window_days must be between 7 and 30, got {}':
        I('a constant of the KMS helper (deletion_window_days is never a spec value)'),
    'components/aws/audit.py::AuditArgs.__post_init__::ValueError::retention_days must be at least 1, got {}':
        S('Audit', 'retention_days', 'minimum', 1),
    'components/aws/ci_trust.py::CiTrustArgs.__post_init__::ValueError::repository must be OWNER/NAME, got {}':
        S('Ci', 'repository', 'pattern', '^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$'),
    'components/aws/ci_trust.py::CiTrustArgs.__post_init__::ValueError::a GitHub repository is ORG/REPO, got {}':
        F('github-repository'),
    'components/aws/ci_trust.py::CiTrustArgs.__post_init__::ValueError::refs must name at least one git ref':
        S('Ci', 'refs', 'minItems', 1),
    'components/aws/ci_trust.py::CiTrustArgs.__post_init__::ValueError::refs must start with refs/heads/ or refs/tags/, got {}':
        F('ci-ref'),
    'components/aws/ci_trust.py::CiTrustArgs.__post_init__::ValueError::gitlab_url must be an https:// URL, got {}':
        F('gitlab-url'),
    'components/aws/cluster.py::Cluster.__init__::ValueError::{}: ClusterArgs.subnet_ids is required':
        I("the network's outputs"),
    'components/aws/cluster.py::Cluster.__init__::ValueError::{}: admin_principal_arns lists a principal twice: {}':
        F('admins-twice'),
    'components/aws/cluster.py::check_principal::ValueError::admin principal {} is not an IAM role or user ARN (arn:<partition>:iam':
        F('admin-arn'),
    'components/aws/container_registry.py::ContainerRegistryArgs.__post_init__::ValueError::invalid ECR repository name part {}':
        S('Registry', 'repositories', 'items.pattern', '^[a-z]([a-z0-9-]*[a-z0-9])?$'),
    'components/aws/container_registry.py::ContainerRegistryArgs.__post_init__::ValueError::repositories must be unique':
        F('registry-twice'),
    'components/aws/container_registry.py::ContainerRegistryArgs.__post_init__::ValueError::untagged_expiry_days must be at least 1':
        S('Registry', 'untagged_expiry_days', 'minimum', 1),
    'components/aws/container_registry.py::ContainerRegistry.__init__::ValueError::invalid ECR repository prefix {}':
        S('Spec', 'project', 'pattern', '^[a-z]([a-z0-9-]*[a-z0-9])?$'),
    'components/aws/environment.py::AwsEnvironmentArgs.__post_init__::ValueError::{} names {} are reserved (they name fixed parts of the environment)':
        F('reserved-pool'),
    'components/aws/environment.py::AwsEnvironmentArgs.__post_init__::ValueError::names {} are used both as node pool and bucket':
        F('pool-and-bucket'),
    'components/aws/environment.py::AwsEnvironmentArgs.__post_init__::ValueError::tracking_bucket {} is not one of the buckets {}':
        F('artifacts-bucket'),
    'components/aws/interruption_queue.py::InterruptionQueueArgs.__post_init__::ValueError::message_retention_seconds must be 60..1209600, got {}':
        I('the Karpenter component creates its queue with the default retention (300 s)'),
    'components/aws/irsa_role.py::WorkloadRole.__init__::ValueError::{}: oidc_provider_arn and oidc_provider_url are required':
        I("the cluster's OIDC outputs"),
    'components/aws/karpenter_node_pool.py::KarpenterNodePoolArgs.__post_init__::ValueError::instance_types must not be empty':
        I('instance types are the spec\'s list or, when it is empty, the catalogue\'s machine(s) (spec.rules_capacity.instance_types)'),
    'components/aws/karpenter_node_pool.py::KarpenterNodePoolArgs.__post_init__::ValueError::capacity_types must be distinct and non-empty, got {}':
        F('capacity-twice'),
    'components/aws/karpenter_node_pool.py::KarpenterNodePoolArgs.__post_init__::ValueError::capacity_types {} are not among {}':
        F('capacity-flex-start-aws'),
    "components/aws/karpenter_node_pool.py::KarpenterNodePoolArgs.__post_init__::ValueError::capacity type 'reserved' and capacity_reservation_ids go together":
        F('reserved-without-reservation'),
    'components/aws/karpenter_node_pool.py::KarpenterNodePoolArgs.__post_init__::ValueError::limits must not be empty: an unlimited pool can launch without bound':
        I('limits always carry the accelerator\'s devices, or a CPU pool\'s cpu and memory from catalogue sizes (a spec rule requires them)'),
    'components/aws/karpenter_node_pool.py::KarpenterNodePoolArgs.__post_init__::ValueError::disk_size_gib must be at least 20, got {}':
        S('NodePool', 'disk_size_gib', 'minimum', 20),
    'components/aws/karpenter_node_pool.py::KarpenterNodePool.__init__::ValueError::{}: node_role_name, subnet_ids and security_group_ids are required':
        I('the AWS mapping always passes the Karpenter node role, the private subnets and the cluster security group'),
    'components/aws/network.py::NetworkArgs.__post_init__::ValueError::existing_vpc_id needs existing_private_subnet_ids':
        F('existing-vpc'),
    'components/aws/network.py::NetworkArgs.__post_init__::ValueError::az_count must be between 2 and 6, got {}':
        S('Network', 'availability_zones', 'maximum', 6),
    'components/aws/network.py::NetworkArgs.__post_init__::ValueError::vpc_cidr must be a /16 to /24 network, got {}':
        F('vpc-prefix'),
    'components/aws/node_pool.py::NodePoolArgs.__post_init__::ValueError::instance_types must not be empty':
        I(MAPPING + 'one machine type per pool, from the catalogue or the spec'),
    'components/aws/node_pool.py::NodePoolArgs.__post_init__::ValueError::need 0 <= min_size <= max_size and max_size >= 1, got {}..{}':
        F('max-below-min'),
    'components/aws/node_pool.py::NodePoolArgs.__post_init__::ValueError::desired_size {} is outside {}..{}':
        I(MAPPING + 'no desired_size (the autoscaler owns it)'),
    'components/aws/node_pool.py::NodePoolArgs.__post_init__::ValueError::disk_size_gib must be at least 20, got {}':
        S('NodePool', 'disk_size_gib', 'minimum', 20),
    'components/aws/node_pool.py::NodePoolArgs.__post_init__::ValueError::efa_interfaces must not be negative, got {}':
        I(MAPPING + 'EFA interfaces from the catalogue (never negative)'),
    'components/aws/node_pool.py::NodePool.__init__::ValueError::{}: NodePoolArgs.cluster_name, node_role_arn and subnet_ids are requir':
        I("the cluster's and network's outputs"),
    'components/aws/node_pool.py::NodePool._efa::ValueError::{}: efa_interfaces needs vpc_id and node_security_group_ids':
        I("the network's outputs"),
    'components/aws/shared_file_system.py::SharedFileSystemArgs.__post_init__::ValueError::provisioned_throughput_mibps is required with, and only with, throughp':
        I(MAPPING + 'SharedFileSystemArgs() (bursting throughput)'),
    'components/aws/shared_file_system.py::SharedFileSystem.__init__::ValueError::{}: vpc_id, subnet_ids and nfs_client_security_group_ids are required':
        I("the network's outputs"),
    'components/aws/tracking_database.py::TrackingDatabaseArgs.__post_init__::ValueError::backup_retention_days must be between 7 and 35, got {}':
        S('Database', 'backup_retention_days', 'maximum', 35),
    'components/aws/tracking_database.py::TrackingDatabaseArgs.__post_init__::ValueError::max_allocated_storage_gib must be 0 or >= allocated_storage_gib':
        I(MAPPING + 'max(storage_gib * 4, 100) as the ceiling, never below storage_gib'),
    'components/aws/tracking_database.py::TrackingDatabase.__init__::ValueError::{}: vpc_id, subnet_ids and client_security_group_ids are required':
        I("the network's outputs"),
    'components/gcp/_util.py::account_id::ValueError::cannot derive a service account id from {} and {}: got {}':
        I('names from project and env (DNS labels of at most 24 characters) and fixed suffixes'),
    'components/gcp/ci_trust.py::attribute_condition::ValueError::CI trust needs at least one ref':
        S('Ci', 'refs', 'minItems', 1),
    'components/gcp/ci_trust.py::attribute_condition::ValueError::GitLab ref {} must start with refs/heads/ or refs/tags/':
        F('ci-ref-gcp'),
    'components/gcp/cluster.py::Cluster.__init__::ValueError::cluster {}: network and subnetwork are required':
        I("the network's outputs"),
    'components/gcp/cluster.py::Cluster.__init__::ValueError::cluster {}: pods_range_name and services_range_name are required':
        I("the network's fixed range names"),
    'components/gcp/cluster.py::Cluster.__init__::ValueError::cluster {}: a public endpoint needs authorized_cidrs':
        F('public-endpoint-gcp'),
    'components/gcp/cluster.py::Cluster.__init__::ValueError::cluster {}: without a release channel, kubernetes_version pins the ver':
        I(MAPPING + "the resolved versions.kubernetes (the catalogue's default when unset)"),
    'components/gcp/environment.py::GcpEnvironment.__init__::ValueError::tracking_bucket {} is not one of the buckets {}':
        F('artifacts-bucket-gcp'),
    'components/gcp/identity.py::WorkloadIdentity.__init__::ValueError::workload identity {}: artifacts_bucket is required':
        I(MAPPING + "the environment's artifacts bucket, which exists (artifacts-bucket-gcp)"),
    'components/gcp/node_pool.py::NodePool.__init__::ValueError::node pool {}: cluster and service_account_email are required':
        I("the cluster's outputs"),
    'components/gcp/node_pool.py::NodePool.__init__::ValueError::node pool {}: need 0 <= min_node_count <= max_node_count':
        F('max-below-min-gcp'),
    'components/gcp/node_pool.py::NodePool.__init__::ValueError::node pool {}: accelerator_count must be at least 1 with an accelerator':
        I(MAPPING + "the catalogue's GPU count with the accelerator type"),
    'components/gcp/node_pool.py::NodePool.__init__::ValueError::node pool {}: the {} label is reserved for accelerator pools':
        F('own-label'),
    'components/gcp/shared_file_system.py::SharedFileSystem.__init__::ValueError::shared file system {}: network and reserved_ip_range are required':
        I("the network's outputs"),
    'components/gcp/shared_file_system.py::SharedFileSystem.__init__::ValueError::shared file system {}: tier {} is not one of {}':
        F('filestore-tier'),
    'components/gcp/tpu_node_pool.py::TpuNodePool.__init__::ValueError::TPU pool {}: cluster and service_account_email are required':
        I("the cluster's outputs"),
    'components/gcp/tpu_node_pool.py::TpuNodePool.__init__::ValueError::TPU pool {}: need nodes_per_slice >= 1 and 0 <= min_slices <= max_slic':
        F('tpu-max-below-min'),
    'components/gcp/tracking_database.py::TrackingDatabase.__init__::ValueError::tracking database {}: private_network is required':
        I("the network's outputs"),
    'components/k8s/gpu_support.py::gpu_operator_values::ValueError::GPU operator image {}: not one of {}':
        I("the paths of GPU_OPERATOR_IMAGES (mlstack/engine/plan/platform.py), all chart values the component knows"),
    'components/k8s/gpu_support.py::operator_image_values::ValueError::GPU operator driver image needs driver_os: the operator appends the no':
        F("gpu-operator-no-node-os"),
    "components/k8s/gpu_support.py::operator_image_values::ValueError::GPU operator {} image {} must be 'registry/path/image:tag'":
        I("the catalogue's gpu-operator images, each a registry path (tests/deploy/test_locked_plans.py)"),
    "components/k8s/hardening.py::pinned_image::ValueError::{} {} must be 'repository:tag' with a pinned tag":
        I("images from the catalogue's pins (tests/test_catalog.py) and the spec's tracking.image, which the tracking server does not parse"),
    "components/k8s/hardening.py::pinned_image::ValueError::{} {} must pin a version, not 'latest'":
        I("images from the catalogue's pins (tests/test_catalog.py); tracking.image 'latest' is a spec rule"),
    'components/k8s/kueue.py::kueue_configuration::ValueError::pods_ready_timeout_seconds must be at least 1':
        S('Workloads', 'pods_ready_timeout_seconds', 'minimum', 30),
    'components/k8s/kueue.py::kueue_values::ValueError::replicas must be at least 1':
        I(MAPPING + 'one controller replica'),
    'components/k8s/operator_release.py::install_operator::ValueError::{}: chart {} needs a pinned version':
        I('chart versions from the catalogue, all pinned (tests/test_catalog.py)'),
    'components/k8s/platform.py::Platform.__init__::ValueError::Platform {}: team namespaces {} must be distinct and none of {}':
        F('team-platform-namespace'),
    'components/k8s/shared_storage.py::SharedStorage.__init__::ValueError::SharedStorage {}: size_gib must be positive, got {}':
        S('SharedStorage', 'size_gib', 'minimum', 1),
    'components/k8s/team.py::quota_hard::ValueError::gpu_quota, tpu_quota and neuron_quota must not be negative':
        S('Team', 'gpu_quota', 'minimum', 0),
    'components/k8s/tracking_server.py::TrackingServer.__init__::ValueError::TrackingServer {}: replicas must be at least 1, got {}':
        S('Tracking', 'replicas', 'minimum', 1),
    'components/k8s/tracking_server.py::TrackingServer.__init__::ValueError::TrackingServer {}: users must not include the admin, and user_secrets ':
        F('team-admin'),
    'components/k8s/verify_job.py::VerifyJob.__init__::ValueError::VerifyJob {}: tracking_uri, tracking_username and tracking_password ar':
        I("the tracking server's outputs and the platform's own user"),
    'components/k8s/workload_queues.py::_quantity_times::ValueError::quota {} must be a whole number with an optional Ki..Ei suffix':
        I(MAPPING + 'whole numbers (cpu_quota, memory_quota_gib, accelerator counts)'),
    'components/k8s/workload_queues.py::_check::ValueError::reclaim_within_cohort must be one of {}, got {}':
        S('Preemption', 'reclaim_within_cohort', 'enum', ['Never', 'LowerPriority', 'Any']),
    'components/k8s/workload_queues.py::_check::ValueError::within_cluster_queue must be one of {}, got {}':
        S('Preemption', 'within_team', 'enum', ['Never', 'LowerPriority', 'LowerOrNewerEqualPriority']),
    'components/k8s/workload_queues.py::_check::ValueError::borrowing_limit_percent must not be negative':
        S('Workloads', 'borrowing_limit_percent', 'minimum', 0),
    'components/k8s/workload_queues.py::_check::ValueError::a pool may not be named {}: it is the CPU and memory flavor':
        F('pool-any-node'),
    'components/k8s/workload_queues.py::_check::ValueError::team {}: quotas on {}, which are not flavors ({})':
        I(MAPPING + "quotas on the spec's accelerator pools only (a quota on an unknown pool is a spec rule)"),
    'components/k8s/workload_queues.py::_check::ValueError::team {}: quotas must not be negative':
        S('Team', 'quotas', 'additionalProperties.minimum', 0),
    'components/k8s/workloads.py::Workloads.__init__::ValueError::Workloads {}: queues need kueue':
        I(MAPPING + 'Kueue whenever queues are on (workloads.enabled)'),
    'components/k8s/workloads.py::Workloads.__init__::ValueError::Workloads {}: trainer needs jobset (Trainer runs TrainJobs as JobSets)':
        F('trainer-without-jobset'),
    'components/onprem/nfs_provisioner.py::NfsProvisioner.__init__::ValueError::the NFS provisioner needs a server and an absolute export path':
        I(MAPPING + 'storage.shared.nfs_server and nfs_path, which it asserts (both are required by the spec rules on onprem)'),
    'components/onprem/node_setup.py::OnPremNodePool.__init__::ValueError::node pool {} needs selector labels to find its nodes':
        F('onprem-selector'),
    'components/onprem/node_setup.py::OnPremNodePool.__init__::ValueError::node pool {}: taint {} has effect {}, not one of {}':
        I(MAPPING + "no taints on existing nodes' pools (the operator's own)"),
    'components/onprem/object_store.py::ObjectStore.__init__::ValueError::artifacts bucket {} is not one of the buckets {}':
        F('artifacts-bucket-onprem'),
}
COMPONENTS.update({
    "components/k8s/trainer.py::PoolRuntimeArgs.__post_init__::ValueError::a pool runtime needs the pool's node labels (else Kueue may pick any f":
        I(MAPPING + "each GPU pool's flavor labels: the accelerator label on the pools it creates, or an on-prem "
          "pool's selector, which must name a label (onprem-selector)"),
    "components/k8s/trainer.py::PoolRuntimeArgs.__post_init__::ValueError::a pool runtime needs positive amounts, got {}":
        S("NodePool", "gpus_per_node", "minimum", 1),
})
SITES.update(COMPONENTS)

from raise_sites_storage import STORAGE_FIXTURES, STORAGE_SITES  # noqa: E402 - the data-path entries, kept apart

FIXTURES.update(STORAGE_FIXTURES)
SITES.update(STORAGE_SITES)
from raise_sites_capacity import CAPACITY_FIXTURES, CAPACITY_SITES  # noqa: E402 - GCP ComputeClasses, kept apart

FIXTURES.update(CAPACITY_FIXTURES)
SITES.update(CAPACITY_SITES)
