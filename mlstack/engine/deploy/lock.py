"""Lock files: ``stacks/<env>.lock.json``, the record of what a successful ``up`` deployed.

Shape (lock_version 1)::

    {"env", "lock_version": 1, "outputs": {non-secret stack outputs}, "project", "spec_digest": "sha256:...",
     "tools": {"mlstack", "pulumi", "pulumi_aws", "pulumi_cli", "pulumi_gcp", "pulumi_kubernetes", "pulumi_random"},
     "versions": {resolved versions block}}

Written deterministically: sorted keys, indent 2, trailing newline, no timestamps (the time of a deploy is in
the stack's history and in git; a timestamp would make every re-deploy of an unchanged spec a diff).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from mlstack.errors import UsageError
from mlstack.spec import Spec

LOCK_VERSION = 1
TOOL_DISTS = ("mlstack", "pulumi", "pulumi_aws", "pulumi_gcp", "pulumi_kubernetes", "pulumi_random")
REQUIRED = ("project", "env", "spec_digest", "versions", "tools", "outputs", "lock_version")


def lock_path(env: str, stacks_dir: Path) -> Path:
    from mlstack.spec.names import check_env_name

    return stacks_dir / f"{check_env_name(env)}.lock.json"


def canonical_spec(spec: Spec) -> dict[str, Any]:
    """The merged spec as plain data: aliases (as written), unset optional fields left out, no ``$schema``.

    ``exclude_none`` keeps the digest stable when a new optional field (default None) is added to the spec
    model; defaults that are values stay in, so the digest covers what the program actually receives.
    """
    data = spec.model_dump(mode="json", by_alias=True, exclude_none=True)
    data.pop("$schema", None)  # an editor hint, not configuration
    return data


def spec_digest(spec: Spec) -> str:
    """``sha256:<hex>`` of the canonical spec JSON (sorted keys, compact). Base file edits change it."""
    text = json.dumps(canonical_spec(spec), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _dist_version(dist: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    from mlstack.distribution import DISTRIBUTION

    try:  # the lock's key stays "mlstack"; the distribution is named mlstack-iac
        return version(DISTRIBUTION if dist == "mlstack" else dist)
    except PackageNotFoundError:
        return "not installed"


def tool_versions(cli_version: str, version_of: Callable[[str], str] = _dist_version) -> dict[str, str]:
    tools = {dist: version_of(dist) for dist in TOOL_DISTS}
    tools["pulumi_cli"] = cli_version
    return dict(sorted(tools.items()))


def build_lock(spec: Spec, outputs: Mapping[str, tuple[Any, bool]], tools: Mapping[str, str]) -> dict[str, Any]:
    """The lock of a successful ``up``: secret outputs are left out."""
    from mlstack.engine.plan.versions import resolved_versions

    return {
        "env": spec.env,
        "lock_version": LOCK_VERSION,
        "outputs": {k: v for k, (v, secret) in sorted(outputs.items()) if not secret},
        "project": spec.project,
        "spec_digest": spec_digest(spec),
        "tools": dict(sorted(tools.items())),
        "versions": dict(sorted(resolved_versions(spec).items())),
    }


def render_lock(lock: Mapping[str, Any]) -> str:
    return json.dumps(lock, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def write_lock(path: Path, lock: Mapping[str, Any]) -> None:
    """Writes through the atomic writer (a crash never leaves half a lock), inside the project folder."""
    from mlstack.fsio import atomic_write, project_root

    atomic_write(path, render_lock(lock), root=project_root(path.parent))


def read_lock(path: Path, project: str, env: str) -> dict[str, Any] | None:
    """The lock at ``path``, None when there is none.

    Raises:
        UsageError: corrupt JSON, unknown lock_version, missing keys, or a lock of another project or env.
    """
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path} is not valid JSON ({exc}); restore it from git or delete it and run `mlstack up --env {env}`") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path} is not a lock file: expected a JSON object")
    if data.get("lock_version") != LOCK_VERSION:
        raise UsageError(f"{path} has lock_version {data.get('lock_version')!r}; this mlstack reads lock_version "
                         f"{LOCK_VERSION}. Upgrade mlstack, or re-create the lock with `mlstack up --env {env}`")
    missing = [k for k in REQUIRED if k not in data]
    if missing:
        raise UsageError(f"{path} is missing {', '.join(missing)}: not a complete mlstack lock file")
    if data["project"] != project or data["env"] != env:
        raise UsageError(f"{path} is the lock of project {data['project']!r} env {data['env']!r}, not of project "
                         f"{project!r} env {env!r}: it was copied from elsewhere; delete it or restore the right one")
    return data


def read_lock_outputs(path: Path) -> dict[str, Any] | None:
    """The ``outputs`` of a lock file, None when there is no lock (what ``mlstack ci`` reads: no other key needed).

    Raises:
        UsageError: the lock file is not JSON or has no outputs mapping.
    """
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"{path}: not a readable lock file ({exc}). Run `mlstack up` again to rewrite it") from None
    outputs = data.get("outputs") if isinstance(data, dict) else None
    if not isinstance(outputs, dict):
        raise UsageError(f"{path}: the lock file has no outputs mapping. Run `mlstack up` again to rewrite it")
    return outputs


def lock_differences(lock: Mapping[str, Any], spec: Spec, tools: Mapping[str, str]) -> list[str]:
    """Why ``up --locked`` must refuse: each difference between the lock and now, empty when they match."""
    diffs = []
    digest = spec_digest(spec)
    if lock["spec_digest"] != digest:
        diffs.append(f"spec digest: lock {lock['spec_digest']}, now {digest} (the spec or its base changed)")
    from mlstack.engine.plan.versions import resolved_versions

    now_versions = resolved_versions(spec)
    for key in sorted(set(lock["versions"]) | set(now_versions)):
        if lock["versions"].get(key) != now_versions.get(key):
            diffs.append(f"versions.{key}: lock {lock['versions'].get(key)}, now {now_versions.get(key)}")
    for key in sorted(set(lock["tools"]) | set(tools)):
        if lock["tools"].get(key) != tools.get(key):
            diffs.append(f"tools.{key}: lock {lock['tools'].get(key)}, now {tools.get(key)}")
    return diffs
