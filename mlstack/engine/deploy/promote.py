"""``mlstack promote --from A --to B``: copy the versions A last deployed (its lock) into B's spec file.

The destination file is edited round-trip (ruamel.yaml): comments, key order, quoting and flow style stay as
written; only the ``versions:`` values change. When B's file has no ``versions:`` block (its versions come
from a shared base file), the block is written into B's own file, after ``target:``: editing the base would
also change A (and every other environment extending it) and invalidate A's lock. The whole versions block is
written, so B stays pinned to what A ran even when the base moves on.
"""

from __future__ import annotations

import difflib
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlstack.errors import UsageError
from mlstack.spec import Spec, SpecError
from mlstack.spec.edit import round_trip_yaml


@dataclass
class PromoteResult:
    source: str
    target: str
    versions: dict[str, str]
    old_text: str
    new_text: str
    spec_diff: str
    plan_diff: str
    notes: list[str] = field(default_factory=list)
    written: bool = False

    @property
    def changed(self) -> bool:
        return self.old_text != self.new_text


def set_versions(text: str, versions: dict[str, str], after: str = "target") -> tuple[str, bool]:
    """``text`` with its top-level ``versions:`` set to ``versions`` (created after ``after`` when absent).

    Returns the new text and whether the block had to be created. Values are written double-quoted: a plain
    1.30 would read back as the float 1.3.
    """
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString as Q

    y = round_trip_yaml()
    doc = y.load(text)
    if not isinstance(doc, CommentedMap):
        raise UsageError("the destination spec is not a YAML mapping")
    created = "versions" not in doc or doc["versions"] is None
    if created:
        block = CommentedMap()
        keys = list(doc.keys())
        pos = keys.index(after) + 1 if after in keys else len(keys)
        doc.insert(pos, "versions", block)
    block = doc["versions"]
    for key, value in sorted(versions.items()):
        if key in block and str(block[key]) == value:
            continue  # leave identical values (and their quoting) alone
        block[key] = Q(value)
    out = io.StringIO()
    y.dump(doc, out)
    return out.getvalue(), created


def unified(old: str, new: str, name: str) -> str:
    return "".join(difflib.unified_diff(old.splitlines(True), new.splitlines(True), f"a/{name}", f"b/{name}"))


def load_edited(stacks_dir: Path, env: str, text: str) -> Spec:
    """Loads ``env`` as if its file held ``text``, from a scratch copy of the stacks folder (the real file is
    untouched until ``--write``)."""
    from mlstack.spec.edit import load_in_scratch

    try:
        return load_in_scratch({f"{env}.yaml": text}, stacks_dir, [env], prefix="mlstack-promote-")[env]
    except SpecError as exc:
        raise UsageError(f"with the promoted versions, {env}'s spec would be invalid (nothing written):\n{exc}") from None


def plan_diff_text(before: Any, after: Any, source: str, target: str) -> str:
    try:
        from mlstack.engine.review.diff import diff_plans, render_text
    except ImportError:  # pragma: no cover - the diff module ships with mlstack; kept for partial installs
        old, new = before.by_urn(), after.by_urn()
        lines = [f"+ {u}" for u in sorted(new.keys() - old.keys())] + [f"- {u}" for u in sorted(old.keys() - new.keys())]
        lines += [f"~ {u}" for u in sorted(old.keys() & new.keys()) if old[u].inputs != new[u].inputs]
        return "\n".join(lines) + "\n" if lines else "no resource changes\n"
    return render_text(diff_plans(before, after, base_label=f"{target} now", head_label=f"{target} with {source}'s versions"))


def promote(source: str, target: str, stacks_dir: Path, *, force: bool = False, write: bool = False,
            plan: Callable[[Spec], Any] | None = None) -> PromoteResult:
    """Computes (and with ``write`` applies) the promotion of ``source``'s deployed versions into ``target``.

    Raises:
        UsageError: same env twice, different target clouds, no lock or a changed source spec (without
            ``force``), a bad lock file. Nothing is written then.
    """
    from mlstack.engine.deploy.lock import lock_path, read_lock, spec_digest
    from mlstack.engine.plan.versions import resolved_versions
    from mlstack.spec import load_spec, spec_path

    if source == target:
        raise UsageError(f"--from and --to are both {source!r}: promote copies between two environments")
    src, dst = load_spec(source, stacks_dir), load_spec(target, stacks_dir)
    if src.target.cloud != dst.target.cloud:
        raise UsageError(f"{source} runs on {src.target.cloud} and {target} on {dst.target.cloud}: versions tested on one "
                         "target are not evidence for another, so promote only copies between environments on the same cloud")
    notes: list[str] = []
    lock = read_lock(lock_path(source, stacks_dir), src.project, source)
    if lock is None:
        if not force:
            raise UsageError(f"{source} has no lock file ({lock_path(source, stacks_dir)}): nothing records what it "
                             f"deployed. Run `mlstack up --env {source}` first, or pass --force to copy the versions "
                             f"its spec resolves to now")
        versions = resolved_versions(src)
        notes.append(f"--force: {source} has no lock; copying the versions its spec resolves to now, which were never deployed")
    else:
        versions = dict(lock["versions"])
        if lock["spec_digest"] != spec_digest(src):
            if not force:
                raise UsageError(f"{source}'s spec changed since its lock ({lock['spec_digest'][:19]}... -> "
                                 f"{spec_digest(src)[:19]}...): the lock no longer describes what its spec says. Run "
                                 f"`mlstack up --env {source}` to deploy and re-lock it, or pass --force to copy the "
                                 "versions it last deployed anyway")
            notes.append(f"--force: {source}'s spec changed since its lock; copying the versions it last deployed")
    path = spec_path(target, stacks_dir)
    old_text = path.read_text(encoding="utf-8")
    new_text, created = set_versions(old_text, versions)
    if created:
        notes.append(f"{path.name} had no versions block (its versions came from its base file, which {source} "
                     f"may share): the block is written into {path.name} so that only {target} changes")
    result = PromoteResult(source, target, versions, old_text, new_text, unified(old_text, new_text, f"{path.parent.name}/{path.name}"), "", notes)
    if not result.changed:
        result.plan_diff = "no changes\n"
        return result
    after = load_edited(stacks_dir, target, new_text)
    plan_fn = plan or _default_plan
    result.plan_diff = plan_diff_text(plan_fn(dst), plan_fn(after), source, target)
    if write:
        # Read (and so validate) the target's lock before writing anything: a bad lock leaves both files as they were.
        from mlstack.engine.deploy.lock import lock_path as lock_file
        from mlstack.engine.deploy.lock import render_lock
        from mlstack.fsio import project_root, write_files

        files: dict[Path, str] = {path: new_text}
        if lock is not None:
            previous = read_lock(lock_path(target, stacks_dir), dst.project, target)
            files[lock_file(target, stacks_dir)] = render_lock(promoted_lock(after, lock, source, previous))
        write_files(files, root=project_root(stacks_dir))  # the spec and its lock: both or neither
        if lock is not None:
            notes.append(f"{target}'s lock now pins the promoted spec and the tools {source} ran, so "
                         f"`mlstack up --env {target} --locked` deploys exactly what {source} verified")
        result.written = True
    return result


def promoted_lock(spec: Spec, source_lock: dict[str, Any], source: str, previous: dict[str, Any] | None) -> dict[str, Any]:
    """The lock of the promoted environment: its new spec digest, the source's versions and the tool versions
    the source was deployed with. Outputs are kept from the target's previous lock (they describe what is
    deployed until the next ``up`` rewrites the lock)."""
    from mlstack.engine.deploy.lock import LOCK_VERSION, spec_digest

    previous = previous or {}
    return {
        "env": spec.env,
        "lock_version": LOCK_VERSION,
        "outputs": previous.get("outputs", {}),
        "project": spec.project,
        "promoted_from": source,
        "spec_digest": spec_digest(spec),
        "tools": dict(source_lock["tools"]),
        "versions": dict(source_lock["versions"]),
    }


def _default_plan(spec: Spec) -> Any:
    from mlstack.engine.deploy.lifecycle import plan_for

    return plan_for(spec)
