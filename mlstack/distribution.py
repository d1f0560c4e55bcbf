"""The distribution: on the package index mlstack is ``mlstack-iac`` (the index's ``mlstack`` belongs to an
unrelated project); the import package and the command stay ``mlstack``. A leaf every layer may use: it imports
only the standard library (``mlstack --version`` imports it).
"""

from __future__ import annotations

DISTRIBUTION = "mlstack-iac"
"""The distribution name: ``pip install mlstack-iac``; generated ``requirements.txt`` files name it."""


def version() -> str:
    """The installed distribution's version (``0+unknown`` when running from a source tree never installed)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version(DISTRIBUTION)
    except PackageNotFoundError:  # pragma: no cover - a source tree on sys.path, not installed
        return "0+unknown"


def requirement() -> str:
    """The requirement line a generated project pins: this very release, from the package index."""
    return f"{DISTRIBUTION}=={version()}"


def extra_requirements(extra: str) -> list[str]:
    """The requirements an extra of the installed distribution adds (``policy`` -> ``pulumi-policy>=...``), as
    pyproject.toml declares them: the one place their versions are written."""
    from importlib.metadata import PackageNotFoundError, requires

    try:
        declared = requires(DISTRIBUTION) or []
    except PackageNotFoundError:  # pragma: no cover - a source tree on sys.path, not installed
        return []
    out = []
    for line in declared:
        req, _, marker = line.partition(";")
        if marker.replace("'", '"').replace(" ", "") == f'extra=="{extra}"':
            out.append(req.strip())
    return sorted(out)
