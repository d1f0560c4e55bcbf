"""What ``storage.bucket_mounts`` resolves to once the spec is valid: one scope per (mount, team), the bucket folder
that team's claim mounts and its identity may reach. The rules (``rules_mounts``) and the targets' mappings read
the same answers."""

from __future__ import annotations

from dataclasses import dataclass

from mlstack.spec.models import Spec

#: Claim names the platform layer already gives every team namespace.
TAKEN_CLAIMS = ("shared", "scratch")


@dataclass(frozen=True)
class MountScope:
    """One team's claim of one mount.

    Attributes:
        mount: the mount's key, the claim's name in the team's namespace.
        team: the team (its namespace has the same name).
        bucket: the key in ``storage.buckets``.
        prefix: the folder mounted and reachable, without slashes at either end; None: the whole bucket.
        read_only: the mount and the team's identity only read.
    """

    mount: str
    team: str
    bucket: str
    prefix: str | None
    read_only: bool


def teams_of(spec: Spec, mount: str) -> list[str]:
    """The teams that get ``mount``'s claim: those it names, else every team, sorted."""
    named = spec.storage.bucket_mounts[mount].teams
    return sorted(set(named) if named else set(spec.teams))


def scopes(spec: Spec) -> list[MountScope]:
    """Every (mount, team) scope, by mount then team."""
    out = []
    for key, m in sorted(spec.storage.bucket_mounts.items()):
        for team in teams_of(spec, key):
            prefix = "/".join(p for p in (m.prefix, team if m.per_team else None) if p) or None
            out.append(MountScope(key, team, m.bucket, prefix, m.read_only))
    return out


def by_team(spec: Spec) -> dict[str, list[MountScope]]:
    """Team -> its scopes (teams without a mount left out), sorted."""
    out: dict[str, list[MountScope]] = {}
    for scope in scopes(spec):
        out.setdefault(scope.team, []).append(scope)
    return dict(sorted(out.items()))
