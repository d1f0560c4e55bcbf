"""AWS bucket-mount rules over the recorded wire inputs: a read-only mount's identity never writes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from mlstack.targets.policy import Finding, Rule, as_list, each, finding, statements

if TYPE_CHECKING:
    from mlstack.engine.plan.model import Plan

ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
#: Statement ids of a read-only mount's scope start with this (``mounts.statements``).
READ_ONLY_SID = "ReadOnlyMount"
#: Actions that change a bucket's objects (or encrypt new ones); a read-only mount grants none.
WRITES = ("s3:put", "s3:delete", "s3:abortmultipartupload", "s3:restore", "s3:replicate", "kms:generatedatakey",
          "kms:encrypt", "kms:reencrypt")


def _writes(action: object) -> bool:
    text = str(action).lower()
    return text in ("*", "s3:*", "kms:*") or text.startswith(WRITES)


def _read_only_mounts(plan: Plan) -> Iterator[Finding]:
    for r in each(plan, ROLE_POLICY):
        for st in statements(r.inputs.get("policy")):
            sid = str(st.get("Sid", ""))
            if not sid.startswith(READ_ONLY_SID) or st.get("Effect") != "Allow":
                continue
            bad = sorted(str(a) for a in as_list(st.get("Action")) if _writes(a))
            if bad:
                yield finding(r, f"statement {sid} of a read-only bucket mount allows {', '.join(bad)}: the mount's "
                                 "identity could change the data every reader sees")


RULES: list[Rule] = [
    Rule("MLS-AWS-030", "A read-only bucket mount's identity cannot write",
         "A read-only mount is read-only in IAM, not only in the mount options: a pod can always call S3 directly.",
         ("no Checkov/Trivy id (bucket mount scope)",), (ROLE_POLICY,), _read_only_mounts),
]
