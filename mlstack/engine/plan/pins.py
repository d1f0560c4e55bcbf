"""Images by digest: the program's one rewrite of every image reference a lock pins.

A lock (``images``: ``"<repository>:<tag>" -> "sha256:..."``) is applied as a Pulumi stack transformation, so it
reaches every Kubernetes object and every Helm chart value that any component registers, without each component
knowing about locks: a string equal to a pinned reference becomes ``<repository>:<tag>@<digest>`` (the tag stays
for people, the digest is what the kubelet pulls), and a chart's ``{repository, tag}`` pair (or ``{registry,
repository, tag}``) whose reference is pinned gets ``tag: "<tag>@<digest>"`` (charts join them as
``[registry/]repository:tag``). The NVIDIA GPU operator's chart names images as ``{repository, image, version}``
(joined as ``repository/image:version`` by its templates and by the operator's ``imagePath``): a pinned one gets
``version: "<tag>@<digest>"``, a reference both joins keep valid (``repository/image:<tag>@<digest>``); a bare
``sha256:`` version would not, as the chart joins the operator's own image with ``:`` whatever the version
(``gpu-operator.fullimage``, deployments/gpu-operator/templates/_helpers.tpl at v26.7.0, 10ee5b3). The driver's
map also carries the nodes' OS (``GPU_DRIVER_OS_TAG``): the operator appends ``-<OS>`` to a version without a
digest, so its reference is ``repository/image:<version>-<OS>``, and the locked version ``<version>-<OS>@<digest>``
(with a digest the operator appends nothing). ``plan`` with a lock records the digests, ``up --locked`` deploys
them: the same program.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mlstack import targets
from mlstack.components.contract import GPU_DRIVER_OS_TAG


def chart_image_ref(values: Mapping[str, Any]) -> str | None:
    """The image a chart's ``{repository, tag}`` (or ``{registry, repository, tag}``) value map names, as
    ``registry/repository:tag``, or a GPU operator ``{repository, image, version}`` map's, as the operator joins
    it; None for a map that is not an image (no registry host in the reference)."""
    repo, tag, registry = values.get("repository"), values.get("tag"), values.get("registry")
    if not isinstance(repo, str):
        return None
    if not isinstance(tag, str) or not tag:
        return _operator_image_ref(repo, values)
    if isinstance(registry, str) and registry:
        host, ref = registry, f"{registry}/{repo}:{tag}"
    else:
        host, ref = (repo.split("/", 1)[0] if "/" in repo else ""), f"{repo}:{tag}"
    return ref if "." in host else None


def _operator_image_ref(repo: str, values: Mapping[str, Any]) -> str | None:
    """``repository/image:version`` of a GPU operator image map (``-<OS>`` appended for the driver's, as the
    operator's ``resolveDriverTag`` does when the version holds no digest); None for any other map."""
    image, version = values.get("image"), values.get("version")
    if not (isinstance(image, str) and image and isinstance(version, str) and version) or "/" in image or ":" in image:
        return None
    if version.startswith("sha256:"):  # the operator's own digest form: repository/image@sha256:...
        ref = f"{repo}/{image}@{version}"
    else:
        os_tag = values.get(GPU_DRIVER_OS_TAG)
        suffix = f"-{os_tag}" if isinstance(os_tag, str) and os_tag and "sha256:" not in version else ""
        ref = f"{repo}/{image}:{version}{suffix}"
    return ref if "." in repo.split("/", 1)[0] else None


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
            # The tag is the reference's (the driver's with its OS), whichever key carries it.
            out["tag" if out.get("tag") else "version"] = f"{ref.rpartition(':')[2]}@{pins[ref]}"
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
