"""Two environments of one stacks folder must not create the same cloud identifiers.

Every resource name is ``<project>-<env>-...``; bucket names are global to the cloud, IAM and cluster names to
the account or project. Two files whose project and env join to the same prefix (``acme-ml`` + ``prod-eu`` and
``acme-ml-prod`` + ``eu``) on the same cloud would fight over the same resources, so the second is refused.
"""

from __future__ import annotations

from pathlib import Path

from mlstack.spec.errors import Problem
from mlstack.spec.models import Spec


def identifier_clashes(spec: Spec, spec_file: Path, mine, envs: list[str]) -> list[Problem]:  # noqa: ANN001 - Loaded
    """Problems (at ``project``) for each other environment of the folder (``envs``) with ``spec``'s prefix and
    cloud.

    The other files are only read (with their bases), not validated: a broken neighbour is its own problem.
    """
    from mlstack.spec.errors import SpecError
    from mlstack.spec.yaml_loader import load_with_extends

    where = mine.locate(("project",))
    problems = []
    for env in envs:
        if env == spec.env:
            continue
        try:
            other = load_with_extends(spec_file.parent / f"{env}.yaml").data
        except SpecError:
            continue
        target = other.get("target") if isinstance(other.get("target"), dict) else {}
        if f"{other.get('project')}-{other.get('env', env)}" == spec.prefix and target.get("cloud") == spec.target.cloud:
            problems.append(Problem(
                where.file if where else str(spec_file), where.line if where else 0, where.column if where else 0,
                "project", f"{spec.env} and {env}.yaml both name their resources {spec.prefix}-... on "
                f"{spec.target.cloud} (project + env): they would create the same buckets, roles and clusters. "
                "Change project or rename one environment"))
    return problems
