"""The AWS target: EKS, managed node groups, EFS, S3, ECR, RDS, IAM (IRSA, CI OIDC), KMS, CloudTrail."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlstack.targets.aws import policy, policy_capacity, table
from mlstack.targets.base import CapacityRules, NameRule, Pack, Remote, Scaffold, SpecRules


def stack_config(target: Mapping[str, Any]) -> dict[str, str]:
    """The provider config of the stack: its region."""
    return {"aws:region": target["region"]} if target.get("region") else {}


_TAG_CHARS = r"^[\w\s.:/=+\-@]*$"
# AWS's rules on the names mlstack derives from a spec (checked 2026-12-02 against the pages named).
NAMES = (
    NameRule("database", "RDS DB instance identifiers have 1 to 63 letters, digits or hyphens, start with a letter, "
             "and neither end with a hyphen nor contain two consecutive hyphens",
             "https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CreateDBInstance.html",
             match=r"^[a-zA-Z][a-zA-Z0-9-]*$", forbid=r"--|-$", max_length=63),
    NameRule("bucket", "S3 bucket names must not start with xn--, sthree- or amzn-s3-demo-",
             "https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucketnamingrules.html",
             forbid=r"^(xn--|sthree-|amzn-s3-demo-)"),
    NameRule("tag key", "AWS tag keys have 1 to 128 letters, digits, spaces and _ . : / = + - @, and the aws: prefix "
             "is reserved", "https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html",
             match=_TAG_CHARS, forbid=r"^aws:", max_length=128),
    NameRule("tag value", "AWS tag values have at most 256 letters, digits, spaces and _ . : / = + - @",
             "https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html", match=_TAG_CHARS, max_length=256),
)

# Node provisioning: managed node groups behind the Cluster Autoscaler by default, Karpenter NodePools on request
# (docs/capacity.md says why the default is the Cluster Autoscaler).
CAPACITY = CapacityRules(
    autoscalers=("cluster-autoscaler", "karpenter"),
    fallbacks_with="karpenter",
    capacity_types=("reserved", "spot", "on-demand"),
    capacity_hint="flex-start is GKE's Dynamic Workload Scheduler; on aws reserve GPUs with a Capacity Block "
    "instead: capacity: [reserved, on-demand] and reservation: {id: cr-..., capacity_block: true}",
    reservation_id=r"^cr-[0-9a-f]{8,17}$",
    reservation_example="cr-0123456789abcdef0",
    capacity_blocks=True,
    instance_types=True,
)
def deployments_login(env: str, role_arn: str | None, login: Mapping[str, str]) -> dict[str, Any] | str:
    """Pulumi Deployments log in to AWS with OIDC, assuming ``--role-arn``."""
    if not role_arn:
        return "--role-arn: the IAM role Pulumi Deployments assume with OIDC"
    return {"aws": {"roleArn": role_arn, "sessionName": f"mlstack-{env}"}}


PACK = Pack(
    name="aws",
    target=True,
    providers=("aws",),
    plugins={"aws": "pulumi_aws"},
    sdk_modules=("pulumi_aws",),
    types=table.TYPES,
    invokes=table.INVOKES,
    generic_mock=table.generic_mock,
    stack_config=stack_config,
    mapping="mlstack.targets.aws.mapping",
    priced=True,
    # The regions the price table's always-on (``fixed``) prices were read for (prices.yaml, "HOW TO READ IT").
    price_regions=("us-east-1", "us-west-2"),
    rules=(*policy.RULES, *policy_capacity.RULES),
    spec=SpecRules(
        region_example="us-west-2",
        machine_pattern=r"^[a-z][a-z0-9-]*\.[a-z0-9]+$",
        machine_example="m6i.xlarge",
        existing_vpc=True,
        scratch="aws-fsx-persistent-2",
        scratch_bucket=True,
        cluster_admins=True,
        names=NAMES,
        network_prefixes=(16, 24),  # the network component cuts the VPC in eighths, then the last eighth again
        zone_counts=True,
        interconnect="EFA",
        member_pattern=r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/[\w+=,.@/-]+$",
        member_expected="an IAM role or user ARN such as arn:aws:iam::123456789012:role/research",
        capacity=CAPACITY,
        # docs/guide/gateway/gateway.md of the AWS Load Balancer Controller (v3.5.0): "configuration of TLS
        # certificates cannot be done via the certificateRefs field of a Gateway Listener" (ACM only).
        gateway_refused="the AWS Load Balancer Controller's Gateway takes certificates from ACM only and ignores a "
        "listener's certificateRefs, so MLflow's tls_secret cannot be served. Use mode: ingress (an internal ALB; "
        "mlstack installs the controller)",
    ),
    remote=Remote(
        identity_option="--role-arn",
        identity_what="the IAM role the workspace assumes through IRSA",
        identity_annotation="eks.amazonaws.com/role-arn",
        deployments_login=deployments_login,
    ),
    scaffold=Scaffold(
        flags=("--region",),
        default_region="us-west-2",
        region_pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$",
        region_examples="us-west-2, eu-central-1 or us-gov-west-1",
        region_article="an AWS",
    ),
)
