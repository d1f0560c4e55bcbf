"""What every target shares: the Kubernetes platform layer's objects and generated secrets.

Not a target of its own (``target.cloud`` never names it): every environment uses it next to its target pack.
"""

from __future__ import annotations

from mlstack.targets.base import Pack
from mlstack.targets.kubernetes import policy, table, telemetry_policy, workloads_policy

PACK = Pack(
    name="kubernetes",
    target=False,
    providers=("kubernetes", "random"),
    plugins={"kubernetes": "pulumi_kubernetes", "random": "pulumi_random"},
    sdk_modules=("pulumi_kubernetes", "pulumi_random"),
    types=table.TYPES,
    generic_mock=table.generic_mock,
    rules=(*policy.RULES, *workloads_policy.RULES, *telemetry_policy.RULES),
    cluster_objects=True,
    implicit_replace=("metadata.name", "metadata.namespace"),
    implicit_replace_skip=("kubernetes:helm.sh/", "random:"),
    implicit_replace_source=table.K8S_SOURCE,
)
