"""The GCP target: GKE (GPU and TPU node pools), Filestore, GCS, Artifact Registry, Cloud SQL, Workload Identity."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlstack.targets.base import CapacityRules, NameRule, Pack, Remote, Scaffold, SpecRules
from mlstack.targets.gcp import policy, table


def stack_config(target: Mapping[str, Any]) -> dict[str, str]:
    """The provider config of the stack: its project and region."""
    config = {}
    if target.get("project_id"):
        config["gcp:project"] = target["project_id"]
    if target.get("region"):
        config["gcp:region"] = target["region"]
    return config


PROXY_ONLY = "proxy-only subnet"
# What a GKE environment reserves next to its node subnet (VPC-native pods and services, private services
# access for Cloud SQL and Filestore, the control plane's peering /28): the mapping passes them to the network
# and cluster components, the spec rules keep ``network.cidr``'s node subnet clear of them.
RESERVED_RANGES = {
    "pods": "10.4.0.0/14",
    "services": "10.8.0.0/20",
    "private services access": "10.20.0.0/16",
    "control plane": "172.16.0.0/28",
    # The region's proxy-only subnet (purpose REGIONAL_MANAGED_PROXY), made only for an internal Application LB
    # (tracking.access ingress on gce-internal, gateway on gke-l7-rilb); a /23 as Google recommends. Reserved
    # always, so turning laptop access on never collides with a network chosen before.
    PROXY_ONLY: "10.9.0.0/23",
}
NODE_SUBNET_PREFIX = 20  # the node subnet is the first /20 of network.cidr (or all of a smaller one)
#: The Workload Identity login Pulumi Deployments need, as ``--gcp KEY=VALUE`` options.
DEPLOYMENTS_LOGIN = ("projectId", "workloadPoolId", "providerId", "serviceAccount")


def deployments_login(env: str, role_arn: str | None, login: Mapping[str, str]) -> dict[str, Any] | str:
    """Pulumi Deployments log in to Google Cloud with OIDC through Workload Identity Federation."""
    missing = [k for k in DEPLOYMENTS_LOGIN if not login.get(k)]
    if missing:
        return f"the Workload Identity login: {', '.join(missing)}"
    return {"gcp": {k: login[k] for k in DEPLOYMENTS_LOGIN}}


_LABELS = "https://cloud.google.com/resource-manager/docs/labels-overview#requirements"
# Google Cloud's rules on the names mlstack derives from a spec (checked 2026-12-02; label rules as the Cloud APIs
# state them, of which mlstack accepts the ASCII part: the mapping no longer rewrites a label).
NAMES = (
    NameRule("cluster", "GKE cluster names have at most 40 lowercase letters, digits and hyphens, start with a letter "
             "and do not end with a hyphen",
             "https://cloud.google.com/kubernetes-engine/docs/reference/rest/v1/projects.locations.clusters",
             match=r"^[a-z]([-a-z0-9]{0,38}[a-z0-9])?$"),
    NameRule("bucket", "Cloud Storage bucket names must not start with goog or contain google (or a close "
             "misspelling such as g00gle)", "https://cloud.google.com/storage/docs/buckets#naming",
             forbid=r"^goog|google|g00gle"),
    NameRule("tag key", "GCP label keys have 1 to 63 lowercase letters, digits, _ and -, and start with a lowercase "
             "letter", _LABELS, match=r"^[a-z][a-z0-9_-]{0,62}$"),
    NameRule("tag value", "GCP label values have at most 63 lowercase letters, digits, _ and -", _LABELS,
             match=r"^[a-z0-9_-]{0,63}$"),
)

PACK = Pack(
    name="gcp",
    target=True,
    providers=("gcp",),
    plugins={"gcp": "pulumi_gcp"},
    sdk_modules=("pulumi_gcp",),
    types=table.TYPES,
    invokes=table.INVOKES,
    generic_mock=table.generic_mock,
    stack_config=stack_config,
    mapping="mlstack.targets.gcp.mapping",
    priced=True,
    price_regions=("us-central1",),
    rules=tuple(policy.RULES),
    spec=SpecRules(
        region_example="us-central1",
        project_id_required="required for target.cloud gcp. Add your GCP project id, e.g. project_id: acme-ml-1234",
        machine_pattern=r"^[a-z][a-z0-9]*-[a-z0-9-]+$",
        machine_example="n2-standard-4",
        pool_zones=True,
        tpus=True,
        shared_tiers="Filestore tiers",
        scratch="gcp-managed-lustre",
        scratch_zone=True,
        names=NAMES,
        member_pattern=r"^[^@\s]+@[^@\s]+\.[a-z]+$",
        member_expected="a Google account or service account e-mail such as ana@acme.com",
        capacity=CapacityRules(
            autoscaler_refused="GKE adds nodes with its own cluster autoscaler and node auto-provisioning. Remove it",
            capacity_refused="capacity fallbacks on gcp (ComputeClasses) are not wired yet; a pool takes spot: true or "
            "on-demand. Remove it (use spot: true for Spot VMs)",
        ),
        network_prefixes=(8, 24),
        reserved_ranges=RESERVED_RANGES,
        node_subnet_prefix=NODE_SUBNET_PREFIX,
        interconnect="COMPACT placement",
        interconnect_one_zone=True,
    ),
    # GKE labels every node of a TPU slice with its generation and topology.
    tpu_slice_labels=("cloud.google.com/gke-tpu-accelerator", "cloud.google.com/gke-tpu-topology"),
    remote=Remote(
        identity_option="--service-account",
        identity_what="the Google service account the workspace uses through Workload Identity",
        identity_annotation="iam.gke.io/gcp-service-account",
        deployments_login=deployments_login,
    ),
    scaffold=Scaffold(
        flags=("--region", "--project-id"),
        default_region="us-central1",
        region_pattern=r"^[a-z]+-[a-z]+\d$",
        region_examples="us-central1 or europe-west4",
        region_article="a GCP",
    ),
)
