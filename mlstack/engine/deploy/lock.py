"""Lock files: ``stacks/<env>.lock.json``, the record of what a successful ``up`` deployed. This module owns the
format: building, writing, reading (strictly validated) and comparing locks.

Shape (lock_version 3)::

    {"env", "lock_version": 2, "project", "spec_digest": "sha256:...",
     "versions": {resolved versions block},
     "tools": {"mlstack", "pulumi", "pulumi_aws", "pulumi_cli", "pulumi_gcp", "pulumi_kubernetes", "pulumi_random"},
     "images": {"<repository>:<tag>": "sha256:<digest>", ...},   # every image the plan deploys, resolved at up
     "charts": {"<release name>": {"chart", "repo", "version", "digest": "sha256:..." | null}},
     "platform": {"control_plane" | "addon/<name>" | "node_pool/<pool>": "<version the cloud runs>"},
     "outputs": {non-secret stack outputs}, ["promoted_from": "<env>"]}

``images`` maps each tag reference the plan uses to the digest its registry served at ``up``; ``up --locked`` and the
offline plan deploy ``<repository>:<tag>@<digest>``. ``charts`` records each Helm release's chart and version, and
its manifest digest where the repository is an OCI registry (classic Helm repositories publish none). ``platform``
records the versions the cloud chose at ``up`` (the stack output ``platform_versions``: EKS platform version, add-on
and AMI release versions; GKE master and node versions); ``up --locked`` passes them back as inputs. Lock version 1
(no images, no charts) and 2 (no platform) files are still read and upgraded in memory (:func:`upgrade_lock`); the
next ``up`` writes version 3.

A lock is checked field by field on read: a wrong type, a nested value where a string belongs, ``lock_version:
true`` or an empty ``versions`` is refused with the field's name (exit 2), never half-used.

Written deterministically: sorted keys, indent 2, trailing newline, no timestamps (the time of a deploy is in
the stack's history and in git; a timestamp would make every re-deploy of an unchanged spec a diff).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

from mlstack import targets
from mlstack.errors import UsageError
from mlstack.spec import Spec

LOCK_VERSION = 3
READABLE_VERSIONS = (1, 2, 3)
# The tools a lock pins: mlstack, the Pulumi SDK, and every pack's provider SDK.
TOOL_DISTS = ("mlstack", "pulumi", *sorted({dist for pack in targets.packs() for dist in pack.plugins.values()}))
DIGEST = r"^sha256:[0-9a-f]{64}$"
#: Deepest nesting a lock's ``outputs`` may have (stack outputs are flat or shallow; deeper is not a lock).
MAX_DEPTH = 16
MAX_BYTES = 4 * 1024 * 1024
#: The keys of a lock's ``platform``: what each target exports in its ``platform_versions`` output.
PLATFORM_KEY = r"^(control_plane|(addon|node_pool)/[A-Za-z0-9][A-Za-z0-9._-]*)$"
PLATFORM_EXPECTED = "expected control_plane, addon/<name> or node_pool/<pool>"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class LockedChart(_Strict):
    chart: StrictStr = Field(min_length=1)
    repo: StrictStr = Field(min_length=1)
    version: StrictStr = Field(min_length=1)
    digest: StrictStr | None = Field(default=None, pattern=DIGEST)


class LockFile(_Strict):
    """The validated shape of a lock file (what ``read_lock`` accepts)."""

    lock_version: StrictInt
    project: StrictStr = Field(min_length=1)
    env: StrictStr = Field(min_length=1)
    spec_digest: StrictStr = Field(pattern=DIGEST)
    versions: dict[StrictStr, StrictStr] = Field(min_length=1)
    tools: dict[StrictStr, StrictStr]
    outputs: dict[StrictStr, Any]
    images: dict[StrictStr, StrictStr] = Field(default_factory=dict)
    charts: dict[StrictStr, LockedChart] = Field(default_factory=dict)
    platform: dict[Annotated[StrictStr, Field(pattern=PLATFORM_KEY)], Annotated[StrictStr, Field(min_length=1)]] = Field(
        default_factory=dict)
    promoted_from: StrictStr | None = None


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


def build_lock(
    spec: Spec,
    outputs: Mapping[str, tuple[Any, bool]],
    tools: Mapping[str, str],
    images: Mapping[str, str] | None = None,
    charts: Mapping[str, Mapping[str, str | None]] | None = None,
    platform: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The lock of a successful ``up``: secret outputs are left out; ``images`` and ``charts`` as resolved
    before the deploy (:mod:`mlstack.engine.deploy.pinning`); ``platform`` as the cloud chose it (the
    ``platform_versions`` output, kept in ``platform``, not twice in ``outputs``)."""
    from mlstack.engine.plan.program import PLATFORM_OUTPUT
    from mlstack.engine.plan.versions import resolved_versions

    return {
        "charts": {k: dict(sorted(v.items())) for k, v in sorted((charts or {}).items())},
        "env": spec.env,
        "images": dict(sorted((images or {}).items())),
        "lock_version": LOCK_VERSION,
        "outputs": {k: v for k, (v, secret) in sorted(outputs.items()) if not secret and k != PLATFORM_OUTPUT},
        "platform": dict(sorted((platform or {}).items())),
        "project": spec.project,
        "spec_digest": spec_digest(spec),
        "tools": dict(sorted(tools.items())),
        "versions": dict(sorted(resolved_versions(spec).items())),
    }


def upgrade_lock(lock: Mapping[str, Any]) -> dict[str, Any]:
    """A lock read from an older format in the current one: what version 1 lacks (``images``, ``charts``) and
    version 2 lacks (``platform``) empty, ``lock_version`` current. ``up --locked`` then refuses for what an
    older lock never recorded (an image or a platform version of the plan not in it); ``up`` fills it in."""
    return {**lock, "charts": dict(lock.get("charts", {})), "images": dict(lock.get("images", {})),
            "lock_version": LOCK_VERSION, "platform": dict(lock.get("platform", {}))}


def lock_digest(lock: Mapping[str, Any]) -> str:
    """``sha256:<hex>`` of the lock as written (``render_lock``) without ``outputs``: what ``mlstack lock`` prints and
    training runs are stamped with. Outputs describe what a deploy produced, not what it deployed, so leaving them
    out makes the digest known before the deploy (the program stamps it into the environment) and the same for
    every re-deploy of the same lock."""
    return "sha256:" + hashlib.sha256(render_lock({k: v for k, v in lock.items() if k != "outputs"}).encode()).hexdigest()


def render_lock(lock: Mapping[str, Any]) -> str:
    return json.dumps(lock, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def write_lock(path: Path, lock: Mapping[str, Any]) -> None:
    """Writes through the atomic writer (a crash never leaves half a lock), inside the project folder."""
    from mlstack.fsio import atomic_write, project_root

    atomic_write(path, render_lock(lock), root=project_root(path.parent))


def read_lock(path: Path, project: str, env: str) -> dict[str, Any] | None:
    """The lock at ``path``, validated field by field; None when there is none.

    Raises:
        UsageError: unreadable or corrupt JSON, an unknown ``lock_version``, a missing or mistyped field (named),
            nesting deeper than :data:`MAX_DEPTH`, or a lock of another project or env. Nothing is half-used.
    """
    if not path.is_file():
        return None
    fix = f"restore it from git (`git checkout -- {path}`), or delete it and run `mlstack up --env {env}`"
    try:
        raw = path.read_bytes()
        if len(raw) > MAX_BYTES:
            raise UsageError(f"{path} is {len(raw)} bytes, more than a lock file holds ({MAX_BYTES}); {fix}")
        data = json.loads(raw.decode("utf-8"))
    except OSError as exc:
        raise UsageError(f"{path} cannot be read ({exc.strerror}); check its permissions") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path} is not valid JSON ({exc}); {fix}") from None
    except RecursionError:
        raise UsageError(f"{path} is nested too deeply to be a lock file; {fix}") from None
    if not isinstance(data, dict):
        raise UsageError(f"{path} is not a lock file: expected a JSON object, got {_kind(data)}; {fix}")
    version = data.get("lock_version")
    if type(version) is not int or version not in READABLE_VERSIONS:
        raise UsageError(f"{path}: lock_version: expected one of {', '.join(map(str, READABLE_VERSIONS))}, got "
                         f"{_shown(version)}; upgrade mlstack, or {fix}")
    depth = _depth(data.get("outputs"))
    if depth > MAX_DEPTH:
        raise UsageError(f"{path}: outputs: nested {depth} levels deep, more than {MAX_DEPTH}; {fix}")
    try:
        LockFile.model_validate(data)
    except ValidationError as exc:
        problems = [f"{_loc(e['loc'])}: missing (required)" if e["type"] == "missing"
                    else f"{_loc(e['loc'])}: {_expected(e)}, got {_shown(e.get('input'))}" for e in exc.errors()]
        raise UsageError(f"{path} is not a valid lock file:\n" + "\n".join(f"  {p}" for p in problems) + f"\n{fix}") from None
    if data["project"] != project or data["env"] != env:
        raise UsageError(f"{path} is the lock of project {data['project']!r} env {data['env']!r}, not of project "
                         f"{project!r} env {env!r}: it was copied from elsewhere; delete it or restore the right one")
    return data


def _depth(value: Any) -> int:
    """Nesting depth of a JSON value, iteratively (no recursion limit to trip)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level + 1)
            if level + 1 <= MAX_DEPTH:
                stack.extend((v, level + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


def _loc(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) for p in loc) or "lock"


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null",
            int: "a number", float: "a number"}.get(type(value), type(value).__name__)


def _shown(value: Any) -> str:
    """A value as the error shows it: scalars in JSON, containers by kind (never a whole nested blob)."""
    if isinstance(value, dict | list):
        return f"{_kind(value)} of {len(value)} item(s)" if value else f"an empty {'object' if isinstance(value, dict) else 'list'}"
    text = json.dumps(value)
    return (text[:60] + "...") if len(text) > 60 else text


def _expected(err: Mapping[str, Any]) -> str:
    kind = err["type"]
    if kind == "extra_forbidden":
        return "not a lock field"
    if kind in ("string_type", "string_too_short"):
        return "expected a non-empty string"
    if kind == "int_type":
        return "expected an integer"
    if kind in ("dict_type", "model_type"):
        return "expected an object"
    if kind == "too_short":
        return "expected at least one entry"
    if kind == "string_pattern_mismatch":
        return PLATFORM_EXPECTED if (err.get("ctx") or {}).get("pattern") == PLATFORM_KEY else "expected sha256:<64 hex digits>"
    return str(err["msg"]).lower()


def locked_pins(env: str, stacks_dir: Path) -> dict[str, str]:
    """The image digests of ``env``'s lock (``{}`` without a lock, or for a lock_version 1 file).

    Raises:
        UsageError: the lock is invalid, or of another project (:func:`read_lock`).
    """
    return dict(env_lock(env, stacks_dir).get("images", {}))


def locked_platform(env: str, stacks_dir: Path) -> dict[str, str]:
    """The platform versions of ``env``'s lock (``{}`` without a lock, or for a lock older than version 3).

    Raises:
        UsageError: the lock is invalid, or of another project (:func:`read_lock`).
    """
    return dict(env_lock(env, stacks_dir).get("platform", {}))


def env_lock(env: str, stacks_dir: Path, project: str | None = None) -> dict[str, Any]:
    """``env``'s lock in the current format (:func:`upgrade_lock`), ``{}`` without one. ``project``: the spec's,
    when the caller has loaded the spec (else it is loaded here, to check the lock is of this project).

    Raises:
        UsageError: the lock is invalid, or of another project (:func:`read_lock`).
    """
    path = lock_path(env, stacks_dir)
    if not path.is_file():
        return {}
    if project is None:
        from mlstack.spec import load_spec

        project = load_spec(env, stacks_dir).project
    lock = read_lock(path, project, env)
    return upgrade_lock(lock) if lock else {}


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


def lock_entries(lock: Mapping[str, Any], with_versions: bool = True) -> dict[str, str]:
    """A lock as flat entries to compare (``mlstack diff``): the resolved versions by name (unless
    ``with_versions`` is off), ``image <reference>`` -> digest, ``chart <release>`` -> version[@digest], ``platform
    <key>`` -> the cloud's version, ``tool <name>`` -> version. Older locks are read as upgraded."""
    lock = upgrade_lock(lock)
    entries = dict(lock["versions"]) if with_versions else {}
    entries.update({f"image {ref}": digest for ref, digest in lock["images"].items()})
    entries.update({f"chart {name}": c["version"] + (f"@{c['digest']}" if c.get("digest") else "") for name, c in lock["charts"].items()})
    entries.update({f"platform {key}": version for key, version in lock["platform"].items()})
    entries.update({f"tool {name}": version for name, version in lock["tools"].items()})
    return entries


def lock_drift(a_label: str, a: Mapping[str, Any] | None, b_label: str, b: Mapping[str, Any] | None,
               with_versions: bool = True) -> dict[str, dict[str, str]]:
    """What two locks pin differently: entry -> {label: value} (``not locked`` where one lock lacks the entry).
    One lock missing: a single ``lock`` entry with the other's digest and ``no lock``; none: nothing."""
    if a is None and b is None:
        return {}
    if a is None or b is None:
        return {"lock": {a_label: lock_digest(a) if a else "no lock", b_label: lock_digest(b) if b else "no lock"}}
    ea, eb = lock_entries(a, with_versions), lock_entries(b, with_versions)
    return {key: {a_label: ea.get(key, "not locked"), b_label: eb.get(key, "not locked")}
            for key in sorted(ea.keys() | eb.keys()) if ea.get(key) != eb.get(key)}


def lock_in(folder: Path, env: str, project: str, shown: str | None = None) -> dict[str, Any] | None:
    """``env``'s lock in the stacks folder ``folder`` (the working tree's or a ref's copy), None without one.

    Raises:
        UsageError: the lock is invalid (:func:`read_lock`), named ``shown`` when given (``REF:stacks/<env>.lock.json``).
    """
    path = lock_path(env, folder)
    try:
        return read_lock(path, project, env)
    except UsageError as exc:
        if shown is None:
            raise
        raise UsageError(str(exc).replace(str(path), shown)) from None
