"""Small naming helpers the GCP components share (not components themselves)."""

from __future__ import annotations

import re


def account_id(name: str, suffix: str) -> str:
    """A service account id (6-30 chars, ``[a-z][-a-z0-9]*[a-z0-9]``) from a component name and a suffix.

    The name is lower-cased, characters outside ``[a-z0-9-]`` become ``-`` and it is cut so that
    ``<name>-<suffix>`` fits in 30 characters; a result under 6 characters gets the prefix ``mlstack-``.
    """
    base = re.sub(r"[^a-z0-9-]", "-", name.lower())
    base = base[: 29 - len(suffix)].strip("-")
    result = f"{base}-{suffix}" if base else suffix
    if len(result) < 6:  # ids are at least 6 characters
        result = f"mlstack-{result}"
    if not re.fullmatch(r"[a-z][-a-z0-9]{4,28}[a-z0-9]", result):
        raise ValueError(f"cannot derive a service account id from {name!r} and {suffix!r}: got {result!r}")
    return result


def role_slug(role: str) -> str:
    """``roles/logging.logWriter`` -> ``logging-logwriter``: a role as part of a logical resource name."""
    return role.removeprefix("roles/").replace(".", "-").replace("/", "-").lower()


def cel_string(value: str) -> str:
    """A CEL string literal (double quotes; backslashes and quotes escaped)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def cel_list(values: list[str] | tuple[str, ...]) -> str:
    """A CEL list of string literals, in the given order: ``["a", "b"]``."""
    return "[" + ", ".join(cel_string(v) for v in values) + "]"
