"""A spec holds no credentials: a value that looks like one is a spec error that names the field and hides it.

The rule (docs/safety.md): a string anywhere in a spec is refused when it is

- a URL with a password in it (``https://user:pass@host``, ``s3://key:secret@bucket``), or
- a known token or key format: AWS access key ids, GitHub, GitLab and Slack tokens, Google API keys, JSON
  Web Tokens, Stripe secret keys, PEM private keys;

and in the free-form maps (``tags``, ``labels``, ``selector``), whose keys and values are copied onto cloud
resources that anyone with read access can list, a key named like a secret (``api_token``,
``db_password``...) is refused whatever its value. Secrets belong in Pulumi secrets or the cloud's secret
manager. Every message hides the value: the spec is printed, copied into pipelines and written into work
folders, so nothing that reaches it is a secret.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from mlstack.spec.errors import Problem, is_secret_path

_URL_PASSWORD = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://[^/@\s:]*:[^/@\s]+@")
_TOKENS = (
    ("an AWS access key id", re.compile(r"\b(AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[A-Z0-9]{16}\b")),
    ("a GitHub token", re.compile(r"\b(gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b")),
    ("a GitLab token", re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}\b")),
    ("a Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}\b")),
    ("a Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("a JSON Web Token", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    ("a Stripe secret key", re.compile(r"\b(sk|rk)_live_[A-Za-z0-9]{16,}\b")),
    ("a private key", re.compile(r"-----BEGIN ([A-Z ]+ )?PRIVATE KEY-----")),
)
FREE_FORM = frozenset({"tags", "labels", "selector"})


def credential_kind(value: str) -> str | None:
    """What credential ``value`` looks like ("a URL with a password", "a GitHub token"...), or None."""
    if "://" in value and _URL_PASSWORD.match(value):
        return "a URL with a password in it"
    for kind, pattern in _TOKENS:
        if pattern.search(value):
            return kind
    return None


def credential_problems(data: Any, locate) -> list[Problem]:  # noqa: ANN001 - Loaded.locate
    """Every credential-looking value of ``data`` and secret-named key of its free-form maps, as problems."""
    problems = []
    for path, kind in _scan(data, ()):
        where = locate(path)
        dotted = ".".join(path)
        message = (f"{kind}: a spec holds no credentials (it is printed, diffed and copied into pipelines and "
                   "work folders). Remove it and keep the secret in Pulumi config secrets or your cloud's secret "
                   "manager (value hidden)")
        if kind == "secret-named":
            message = ("a key named like a secret in a free-form map: its value would be copied onto cloud "
                       "resources that anyone with read access can list. Remove it, or rename it if it holds no "
                       "secret (value hidden)")
        problems.append(Problem(where.file if where else "", where.line if where else 0,
                                where.column if where else 0, dotted, message))
    return problems


def _scan(value: Any, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], str]]:
    todo: list[tuple[tuple[str, ...], Any]] = [(path, value)]
    while todo:
        path, value = todo.pop()
        if isinstance(value, str):
            kind = credential_kind(value)
            if kind:
                yield path, kind
        elif isinstance(value, dict):
            free = bool(path) and path[-1] in FREE_FORM
            for key, child in value.items():
                child_path = (*path, str(key))
                if free and is_secret_path(str(key)):
                    yield child_path, "secret-named"
                    continue
                todo.append((child_path, child))
        elif isinstance(value, list):
            todo.extend(((*path, str(i)), v) for i, v in enumerate(value))
