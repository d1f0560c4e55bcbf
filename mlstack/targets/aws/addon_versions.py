"""Whether EKS still offers a lock's add-on versions, asked before ``up --locked`` registers anything.

No Pulumi data source lists them: ``aws.eks.get_addon_version`` names only the default or the newest version of
an add-on for a Kubernetes version, so an older locked version could not be told from a withdrawn one. The EKS
API's DescribeAddonVersions lists every version EKS offers for a Kubernetes version; mlstack asks it through
boto3, an optional dependency (``pip install 'mlstack-iac[eks-checks]'``; the test extra has it), with boto3's
default credentials and the spec's region, as the Pulumi AWS provider uses them. Without boto3 the program
warns and passes the versions as they are: one that EKS withdrew then fails at that add-on's own update.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

#: Add-on versions shown when a locked one is gone (the newest first).
SHOWN = 3
#: The warning `up --locked` gives without boto3.
NOT_CHECKED = ("add-on versions are not checked with EKS before the deploy: boto3 is not installed "
               "(pip install 'mlstack-iac[eks-checks]'); a version EKS no longer offers fails at that add-on's update")


@dataclass(frozen=True)
class Offered:
    """Where the versions EKS offers come from.

    Attributes:
        versions: ``(add-on name, Kubernetes minor) -> the add-on versions EKS offers``.
        errors: the exceptions ``versions`` raises when EKS cannot be asked (botocore's), reported, not raised.
    """

    versions: Callable[[str, str], set[str]]
    errors: tuple[type[Exception], ...] = ()


def boto3_offered(region: str, client: Any = None) -> Offered | None:
    """The versions EKS offers in ``region``, asked through boto3 (DescribeAddonVersions, every page) with
    ``client`` (default: an EKS client of boto3's default session); None without boto3."""
    try:
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError
    except ImportError:
        return None
    client = client or boto3.client("eks", region_name=region)

    def versions(addon: str, kubernetes: str) -> set[str]:
        pages = client.get_paginator("describe_addon_versions").paginate(addonName=addon, kubernetesVersion=kubernetes)
        return {v["addonVersion"] for page in pages for a in page.get("addons", []) for v in a.get("addonVersions", [])}

    return Offered(versions=versions, errors=(BotoCoreError, ClientError))


def _newest_first(version: str) -> tuple[int, ...]:
    return tuple(-int(n) for n in re.findall(r"\d+", version))


def addon_problems(addons: Mapping[str, str], kubernetes: str, again: str, offered: Offered) -> list[str]:
    """Each locked add-on version (``{name: version}``) that EKS does not offer for ``kubernetes`` now, or could not
    be asked about, with the way out ``again``. Empty when EKS offers them all."""
    problems = []
    for name, version in sorted(addons.items()):
        try:
            versions = offered.versions(name, kubernetes)
        except offered.errors as exc:
            problems.append(f"addon/{name}: EKS could not be asked which versions it offers ({exc}); the deploy "
                            "needs eks:DescribeAddonVersions and the credentials it deploys with")
            continue
        if version not in versions:
            shown = ", ".join(sorted(versions, key=_newest_first)[:SHOWN]) or "none"
            problems.append(f"addon/{name}: EKS no longer offers version {version} for Kubernetes {kubernetes} "
                            f"(newest offered: {shown}); {again}")
    return problems
