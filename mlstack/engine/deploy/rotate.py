"""``mlstack hub rotate-credentials --env E --team T|--user admin|verify``: a new MLflow password, on the next ``up``.

Where the passwords live: each MLflow user's password is a Pulumi ``random.RandomPassword`` in the environment's
state (never in the spec, the lock or a file); the spec holds only a counter that is the password's keeper:
``teams.<team>.mlflow_password_rotation`` for a team's user, ``tracking.password_rotation.admin`` and
``.verify`` for the admin and the verification Job's user. Raising it (what this command does, in the
environment's own spec file, round-trip, through the one atomic writer) makes the next ``up``:

1. replace that user's ``RandomPassword`` (a new keeper forces a new value; every other password stays);
2. replace the Secret holding it (``mlflow-<team>`` in the team's namespace, ``mlflow-admin``, or
   ``mlstack-verify-mlflow``) and ``mlflow-config`` (``users.json``, or the admin's ``basic_auth.ini``);
3. run a new migrations Job (its name hashes the rotations), which sets the new password on the MLflow user,
   so the old one is refused from then on (MLflow checks the password hash in its database at every request).

Pods that read the Secret through their environment keep the old password until they restart. The command
shows the spec diff and the exact plan changes first, and writes only with ``--write``. When the environment has
a lock, its spec digest follows the edited spec (versions, tools and outputs unchanged), both files or neither.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlstack.errors import UsageError

FIELD = "mlflow_password_rotation"
USERS = ("admin", "verify")  # --user: the hub's own users, keyed under tracking.password_rotation


@dataclass
class Rotation:
    """What a rotation changes (``--format json`` prints it)."""

    env: str
    team: str | None  # the team rotated, or None for --user
    rotation: int  # the new counter
    file: str
    spec_diff: str
    changes: list[dict[str, Any]] = field(default_factory=list)  # the plan diff's changes (secret values masked)
    plan_diff: str = ""
    written: bool = False
    user: str | None = None  # "admin" or "verify" for --user
    field: str = ""  # the spec path raised, e.g. teams.research.mlflow_password_rotation


def field_path(team: str | None, user: str | None) -> tuple[str, ...]:
    """The spec keys of the counter: ``teams.<team>.mlflow_password_rotation`` or ``tracking.password_rotation.<user>``."""
    return ("teams", team, FIELD) if team is not None else ("tracking", "password_rotation", str(user))


def set_rotation(text: str, keys: tuple[str, ...], value: int) -> str:
    """``text`` with the counter at ``keys`` (e.g. ``teams.<team>.mlflow_password_rotation``) set to ``value``;
    the mappings on the way are created where absent."""
    from ruamel.yaml.comments import CommentedMap

    from mlstack.spec.edit import round_trip_yaml

    y = round_trip_yaml()
    doc = y.load(text)
    if not isinstance(doc, CommentedMap):
        raise UsageError("the environment's spec file is not a YAML mapping")
    node = doc
    for key in keys[:-1]:
        if not isinstance(node.get(key), CommentedMap):
            node[key] = CommentedMap()
        node = node[key]
    node[keys[-1]] = value
    out = io.StringIO()
    y.dump(doc, out)
    return out.getvalue()


def current(spec: Any, keys: tuple[str, ...]) -> int:
    """The counter at ``keys`` in the merged spec."""
    node = spec
    for key in keys:
        node = node[key] if isinstance(node, dict) else getattr(node, key)
    return int(node)


def rotate_credentials(env: str, team: str | None, stacks_dir: Path, *, write: bool = False,
                       plan: Callable[[Any], Any] | None = None, user: str | None = None) -> Rotation:
    """Raises the MLflow password rotation of ``team`` (or of ``user``: admin, verify) in ``env``'s spec file;
    returns the spec and plan diff.

    Raises:
        UsageError: not exactly one of team and user, no such team or user, or the edited spec would not
            validate (nothing written).
    """
    from mlstack.engine.deploy.lock import lock_path, read_lock, render_lock, spec_digest
    from mlstack.engine.deploy.promote import unified
    from mlstack.engine.review.diff import diff_plans, render_text
    from mlstack.fsio import project_root, write_files
    from mlstack.spec import SpecError, load_spec, spec_path
    from mlstack.spec.edit import load_in_scratch

    if (team is None) == (user is None):
        raise UsageError("name exactly one whose password to rotate: --team <team> or --user admin|verify")
    if user is not None and user not in USERS:
        raise UsageError(f"--user {user!r}: expected one of {', '.join(USERS)} (a team's user: --team <team>)")
    before = load_spec(env, stacks_dir)
    if team is not None and team not in before.teams:
        raise UsageError(f"{env} has no team {team!r} (its teams: {', '.join(sorted(before.teams)) or 'none'}): "
                         "--team names a key of the spec's teams")
    keys = field_path(team, user)
    value = current(before, keys) + 1
    path = spec_path(env, stacks_dir)
    old_text = path.read_text(encoding="utf-8")
    new_text = set_rotation(old_text, keys, value)
    try:
        after = load_in_scratch({path.name: new_text}, stacks_dir, [env], prefix="mlstack-rotate-")[env]
    except SpecError as exc:
        raise UsageError(f"with the rotation, {env}'s spec would be invalid (nothing written):\n{exc}") from None
    got = current(after, keys)
    if got != value:  # pragma: no cover - the env's own file overrides its base by key
        raise UsageError(f"{path.name} sets {'.'.join(keys)} but the merged spec reads {got}: edit it by hand")
    plan_fn = plan or _default_plan
    diff = diff_plans(plan_fn(before), plan_fn(after), base_label=f"{env} now", head_label=f"{env} rotated")
    result = Rotation(env, team, value, str(path), unified(old_text, new_text, f"{path.parent.name}/{path.name}"),
                      [c.to_dict() for c in diff.changes], render_text(diff), user=user, field=".".join(keys))  # fmt: skip
    if write:
        files: dict[Path, str] = {path: new_text}
        lock = read_lock(lock_path(env, stacks_dir), before.project, env)
        if lock is not None:  # the same versions and tools; only the spec they pin changed
            files[lock_path(env, stacks_dir)] = render_lock({**lock, "spec_digest": spec_digest(after)})
        write_files(files, root=project_root(stacks_dir))
        result.written = True
    return result


def _default_plan(spec: Any) -> Any:
    from mlstack.engine.deploy.lifecycle import plan_for

    return plan_for(spec)
