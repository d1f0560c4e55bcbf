"""Rules over every target: protection of stateful resources, secrets kept secret."""

from __future__ import annotations

from collections.abc import Iterator

from mlstack.engine.plan.model import Plan
from mlstack.engine.review.policy.base import Finding, Rule, each, finding
from mlstack.engine.plan.recorder import SECRET

# Resources that hold data (or keys to it): losing one loses data.
STATEFUL = (
    "aws:eks/cluster:Cluster",
    "aws:rds/instance:Instance",
    "aws:s3/bucket:Bucket",
    "aws:efs/fileSystem:FileSystem",
    "aws:ecr/repository:Repository",
    "aws:kms/key:Key",
    "gcp:container/cluster:Cluster",
    "gcp:sql/databaseInstance:DatabaseInstance",
    "gcp:storage/bucket:Bucket",
    "gcp:filestore/instance:Instance",
    "gcp:artifactregistry/repository:Repository",
    "gcp:kms/cryptoKey:CryptoKey",
    "kubernetes:core/v1:PersistentVolumeClaim",
)
SECRET_INPUTS = {
    "kubernetes:core/v1:Secret": ("data", "stringData"),
    "aws:rds/instance:Instance": ("password",),
    "gcp:sql/user:User": ("password",),
}


def _protected(plan: Plan) -> Iterator[Finding]:
    for r in each(plan, *STATEFUL):
        if not (r.protect and r.retain_on_delete):
            yield finding(r, "stateful resource without protect + retain_on_delete")


def _secrets(plan: Plan) -> Iterator[Finding]:
    for type_, keys in SECRET_INPUTS.items():
        for r in plan.of_type(type_):
            for key in keys:
                value = r.inputs.get(key)
                if value is None or value == SECRET:
                    continue
                values = value.values() if isinstance(value, dict) else [value]
                if any(v != SECRET for v in values):
                    yield finding(r, f"{key} is stored in plain text in the state (not a Pulumi secret)")


RULES: list[Rule] = [
    Rule("MLS-GEN-001", "Stateful resources are protected in protected environments",
         "protect blocks destroys and replacements; retain_on_delete keeps data when a resource leaves the program.",
         ("no Checkov/Trivy id (Pulumi resource options)",), STATEFUL, _protected, protected_only=True),
    Rule("MLS-GEN-002", "Secret values are Pulumi secrets", "Plain-text secrets end up readable in the state file.",
         ("no Checkov/Trivy id (Pulumi state encryption)",), tuple(SECRET_INPUTS), _secrets),
]
