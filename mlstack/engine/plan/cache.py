"""A cache of plans, so that a review job does not plan twice what it planned before.

A pull request's review plans the base and the head of every environment on every push; most of them did not
change. A plan is a pure function of its inputs, so it is cached under a key built from all of them:

- the merged spec (every field, the environment's name included), as canonical JSON;
- the catalogue's data files and the source of mlstack itself (``mlstack/`` and ``mlstack.components``), byte
  for byte, so an edited checkout never reads a plan made by other code;
- the versions of Python and of the Pulumi SDKs;
- anything else a caller says the plan reads (``extra``).

A hit therefore returns what a fresh plan would return (tested byte for byte). Entries live in
``<project>/.mlstack/cache/plans/<key>.json``, written through the atomic writer; the folder is kept to
``MAX_ENTRIES`` files and ``MAX_BYTES`` bytes, oldest first out. An unreadable or foreign entry is a miss.
``--no-plan-cache`` (or ``MLSTACK_NO_PLAN_CACHE=1``) turns the cache off, the disk and the in-process memo alike.
"""

from __future__ import annotations

import functools
import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

FORMAT = 1
MAX_ENTRIES = 64
MAX_BYTES = 256 * 1024 * 1024
_SDKS = ("pulumi", "pulumi_aws", "pulumi_gcp", "pulumi_kubernetes", "pulumi_random")

_folder: Path | Callable[[], Path] | None = None
_enabled = False
_memo: dict[str, str] = {}


def configure(folder: Path | Callable[[], Path] | None, *, enabled: bool = True) -> None:
    """Turns the cache on (``folder`` on disk, or memory only when None) or off (``enabled=False``).

    ``folder`` may be a function giving the folder, called when a plan first reads or writes the cache: the
    command line's global callback configures every command, and most of them never plan.
    """
    global _folder, _enabled
    _folder, _enabled = folder, enabled
    _memo.clear()


def _where() -> Path | None:
    global _folder
    if callable(_folder):
        _folder = _folder()
    return _folder


def enabled() -> bool:
    return _enabled


@functools.cache
def _code_digest() -> str:
    """The digest of mlstack's own code and data: every file under the package and the components."""
    import mlstack.components

    h = hashlib.sha256()
    package = Path(__file__).resolve().parents[2]  # mlstack/
    for base in (package, Path(mlstack.components.__file__).resolve().parent):
        for path in sorted(p for p in base.rglob("*") if p.suffix in (".py", ".yaml", ".json") and p.is_file()):
            if "__pycache__" in path.parts:
                continue
            h.update(str(path.relative_to(base)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


@functools.cache
def _sdk_versions() -> tuple[tuple[str, str], ...]:
    from importlib.metadata import PackageNotFoundError, version

    found = []
    for dist in _SDKS:
        try:
            found.append((dist, version(dist)))
        except PackageNotFoundError:
            found.append((dist, "absent"))
    return tuple(found)


def key(spec_data: dict[str, Any], extra: dict[str, Any] | None = None) -> str:
    """The cache key of a plan of the spec whose ``model_dump(mode="json")`` is ``spec_data``."""
    parts = {
        "format": FORMAT,
        "spec": spec_data,
        "extra": extra or {},
        "code": _code_digest(),
        "python": sys.version,
        "sdks": _sdk_versions(),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def get(cache_key: str) -> Any | None:
    """The cached Plan of ``cache_key`` (a fresh object each time), or None."""
    if not _enabled:
        return None
    text = _memo.get(cache_key)
    folder = _where() if text is None else None
    if folder is not None:
        path = folder / f"{cache_key}.json"
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            return None
    if text is None:
        return None
    try:
        return _decode(text, cache_key)
    except (ValueError, KeyError, TypeError):
        return None  # a damaged or foreign entry: plan afresh (put() replaces it)


def put(cache_key: str, plan: Any) -> None:
    """Stores ``plan`` (a Plan without extras) under ``cache_key``; a failure to write is not an error."""
    if not _enabled:
        return
    text = _encode(plan, cache_key)
    _memo[cache_key] = text
    folder = _where()
    if folder is None:
        return
    from mlstack import fsio

    try:
        fsio.atomic_write(folder / f"{cache_key}.json", text, root=folder)
        _trim(folder)
    except Exception:  # noqa: BLE001 - the cache is an optimisation: a full disk must not fail a plan
        return


def _encode(plan: Any, cache_key: str) -> str:
    return json.dumps({
        "format": FORMAT,
        "key": cache_key,
        "project": plan.project,
        "env": plan.env,
        "target": plan.target,
        "resources": [vars(r) for r in plan.resources],  # the fields as they are: json.dumps copies nothing
        "outputs": plan.outputs,
    }, sort_keys=True)


def _decode(text: str, cache_key: str) -> Any:
    from mlstack.engine.plan.model import Plan
    from mlstack.engine.plan.registration import Registration

    data = json.loads(text)
    if data.get("format") != FORMAT or data.get("key") != cache_key:
        raise ValueError("not this entry")
    return Plan(
        project=data["project"],
        env=data["env"],
        target=data["target"],
        resources=[Registration(**r) for r in data["resources"]],
        outputs=data["outputs"],
    )


def _trim(folder: Path) -> None:
    entries = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    total = 0
    for i, path in enumerate(entries):
        total += path.stat().st_size
        if i >= MAX_ENTRIES or total > MAX_BYTES:
            path.unlink(missing_ok=True)
