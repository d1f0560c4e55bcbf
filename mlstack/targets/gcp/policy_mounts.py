"""GCP bucket-mount rules over the recorded wire inputs: a read-only mount's identity never writes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mlstack.targets.policy import Finding, Rule, each, finding

if TYPE_CHECKING:
    from mlstack.engine.plan.model import Plan

BUCKET_MEMBER = "gcp:storage/bucketIAMMember:BucketIAMMember"
#: A read-only mount's grant is named ``<identity>-<mount>-ro`` (``components/gcp/data_identity.py``).
READ_ONLY_SUFFIX = "-ro"
#: Roles that only list and read objects.
READ_ROLES = ("roles/storage.objectViewer", "roles/storage.legacyObjectReader")


def _read_only_mounts(plan: Plan) -> Iterator[Finding]:
    for r in each(plan, BUCKET_MEMBER):
        role = str(r.inputs.get("role", ""))
        if r.name.endswith(READ_ONLY_SUFFIX) and role not in READ_ROLES:
            yield finding(r, f"a read-only bucket mount's grant has {role}: its identity could change the data every "
                             f"reader sees (use {READ_ROLES[0]})")


RULES: list[Rule] = [
    Rule("MLS-GCP-030", "A read-only bucket mount's identity cannot write",
         "A read-only mount is read-only in IAM, not only in the mount: a pod can always call Cloud Storage directly.",
         ("no Checkov/Trivy id (bucket mount scope)",), (BUCKET_MEMBER,), _read_only_mounts),
]
