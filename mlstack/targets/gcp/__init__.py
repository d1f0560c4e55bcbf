"""The GCP target: GKE (GPU and TPU node pools), Filestore, GCS, Artifact Registry, Cloud SQL, Workload Identity."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlstack.targets.base import Pack, Scaffold, SpecRules
from mlstack.targets.gcp import policy, table


def stack_config(target: Mapping[str, Any]) -> dict[str, str]:
    """The provider config of the stack: its project and region."""
    config = {}
    if target.get("project_id"):
        config["gcp:project"] = target["project_id"]
    if target.get("region"):
        config["gcp:region"] = target["region"]
    return config


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
        member_pattern=r"^[^@\s]+@[^@\s]+\.[a-z]+$",
        member_expected="a Google account or service account e-mail such as ana@acme.com",
    ),
    scaffold=Scaffold(
        flags=("--region", "--project-id"),
        default_region="us-central1",
        region_pattern=r"^[a-z]+-[a-z]+\d$",
        region_examples="us-central1 or europe-west4",
        region_article="a GCP",
    ),
)
