"""Helpers every component shares: child options and protection of stateful resources.

Only ``pulumi`` is imported here: components never import the spec, engine or CLI.
"""

from __future__ import annotations

import pulumi


def child_opts(parent: pulumi.Resource, **kwargs) -> pulumi.ResourceOptions:
    """Options for a child resource: ``parent`` set (providers and aliases follow it), plus ``kwargs``."""
    return pulumi.ResourceOptions(parent=parent, **kwargs)


def stateful_opts(parent: pulumi.Resource, protect: bool, **kwargs) -> pulumi.ResourceOptions:
    """Options for a resource that holds data: when ``protect`` is on, ``protect`` and ``retain_on_delete``.

    ``protect`` stops `pulumi destroy` and replacements; ``retain_on_delete`` keeps the cloud resource even
    when it leaves the program, so data survives a refactor that drops it from state.
    """
    return pulumi.ResourceOptions(parent=parent, protect=protect, retain_on_delete=protect, **kwargs)


def tags_with(tags: dict[str, str] | None, **extra: str) -> dict[str, str]:
    """The caller's tags plus ``extra``, sorted so that plans are deterministic."""
    merged = dict(tags or {})
    merged.update(extra)
    return dict(sorted(merged.items()))
