"""The AWS target: EKS, managed node groups, EFS, S3, ECR, RDS, IAM (IRSA, CI OIDC), KMS, CloudTrail."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlstack.targets.aws import policy, table
from mlstack.targets.base import Pack, Scaffold, SpecRules


def stack_config(target: Mapping[str, Any]) -> dict[str, str]:
    """The provider config of the stack: its region."""
    return {"aws:region": target["region"]} if target.get("region") else {}


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
    rules=tuple(policy.RULES),
    spec=SpecRules(
        region_example="us-west-2",
        machine_pattern=r"^[a-z][a-z0-9-]*\.[a-z0-9]+$",
        machine_example="m6i.xlarge",
        existing_vpc=True,
        cluster_admins=True,
        member_pattern=r"^arn:aws[a-z-]*:iam::\d{12}:(role|user)/[\w+=,.@/-]+$",
        member_expected="an IAM role or user ARN such as arn:aws:iam::123456789012:role/research",
    ),
    scaffold=Scaffold(
        flags=("--region",),
        default_region="us-west-2",
        region_pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$",
        region_examples="us-west-2, eu-central-1 or us-gov-west-1",
        region_article="an AWS",
    ),
)
