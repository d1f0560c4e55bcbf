"""Images by digest: the program's one rewrite of every image reference a lock pins.

A lock (``images``: ``"<repository>:<tag>" -> "sha256:..."``) is applied as a Pulumi stack transformation, so it
reaches every Kubernetes object and every Helm chart value that any component registers, without each component
knowing about locks: a string equal to a pinned reference becomes ``<repository>:<tag>@<digest>`` (the tag stays
for people, the digest is what the kubelet pulls), and a chart's ``{repository, tag}`` pair (or ``{registry,
repository, tag}``) whose reference is pinned gets ``tag: "<tag>@<digest>"`` (charts join them as
``[registry/]repository:tag``). ``plan`` with a lock records the
digests, ``up --locked`` deploys them: the same program.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlstack import targets


def chart_image_ref(values: Mapping[str, Any]) -> str | None:
    """The image a chart's ``{repository, tag}`` (or ``{registry, repository, tag}``) value map names, as
    ``registry/repository:tag``; None for a map that is not an image (no registry host in the reference)."""
    repo, tag, registry = values.get("repository"), values.get("tag"), values.get("registry")
    if not isinstance(repo, str) or not isinstance(tag, str) or not tag:
        return None
    if isinstance(registry, str) and registry:
        host, ref = registry, f"{registry}/{repo}:{tag}"
    else:
        host, ref = (repo.split("/", 1)[0] if "/" in repo else ""), f"{repo}:{tag}"
    return ref if "." in host else None


def pinned_ref(ref: str, digest: str) -> str:
    return f"{ref}@{digest}"


def rewrite(value: Any, pins: Mapping[str, str]) -> Any:
    """``value`` with every pinned image reference replaced (input types are rewritten in place)."""
    if isinstance(value, str):
        return pinned_ref(value, pins[value]) if value in pins else value
    if isinstance(value, list):
        return [rewrite(v, pins) for v in value]
    if isinstance(value, dict):
        out = {k: rewrite(v, pins) for k, v in value.items()}
        ref = chart_image_ref(out)
        if ref in pins:
            out["tag"] = f"{out['tag']}@{pins[ref]}"
        return out
    if type(value).__module__.startswith("pulumi_kubernetes.") and hasattr(value, "__dict__"):
        for key, item in list(vars(value).items()):
            vars(value)[key] = rewrite(item, pins)
        return value
    return value


def register(pins: Mapping[str, str]) -> None:
    """Registers the rewrite for every resource the program creates after this call (no-op without pins)."""
    if not pins:
        return
    import pulumi

    def transformation(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        if not targets.on_cluster(args.type_):
            return None
        return pulumi.ResourceTransformationResult(props=rewrite(dict(args.props), pins), opts=args.opts)

    pulumi.runtime.register_stack_transformation(transformation)
