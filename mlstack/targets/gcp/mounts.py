"""GCP bucket mounts: ``storage.bucket_mounts`` -> Cloud Storage FUSE (the GKE add-on ``gcsFuseCsiDriverConfig``,
turned on by the mapping), one Google service account per team for its ``mlstack-data`` ServiceAccount with a
read (or, writable, object user) grant per mounted folder, and each volume's source.

GKE runs the driver and injects its sidecar into pods annotated ``gke-gcsfuse/volumes: "true"``; the sidecar
authenticates as the pod's ServiceAccount through Workload Identity. The volume handle is the bucket's name;
``only-dir`` mounts one folder; ``implicit-dirs`` shows folders that exist only as object-name prefixes (how
datasets are usually uploaded).
"""

from __future__ import annotations

import hashlib
from typing import Any

import pulumi

from mlstack.components.contract import DATA_SERVICE_ACCOUNT
from mlstack.components.gcp.data_identity import BucketGrant, DataIdentity, DataIdentityArgs
from mlstack.components.gcp.identity import ANNOTATION
from mlstack.spec import Spec, mounts
from mlstack.spec.mounts import MountScope

DRIVER = "gcsfuse.csi.storage.gke.io"


def account_id(spec: Spec, team: str) -> str:
    """A Google service account id unique per environment and team (ids are project-wide, 6-30 characters)."""
    digest = hashlib.sha256(f"{spec.prefix}/{team}".encode()).hexdigest()[:8]
    return f"{f'data-{team}'[:21].rstrip('-')}-{digest}"


def team_identities(spec: Spec, bucket_names: dict[str, pulumi.Output[str]]) -> dict[str, DataIdentity]:
    """Team -> the Google identity of its ``mlstack-data`` ServiceAccount (``<prefix>-mounts-<team>``)."""
    return {
        team: DataIdentity(
            f"{spec.prefix}-mounts-{team}",
            DataIdentityArgs(
                project_id=str(spec.target.project_id),
                namespace=team,
                service_account_name=DATA_SERVICE_ACCOUNT,
                grants=[BucketGrant(key=s.mount, bucket=bucket_names[s.bucket], prefix=s.prefix, read_only=s.read_only)
                        for s in scopes],
                account_id=account_id(spec, team),
            ),
        )
        for team, scopes in mounts.by_team(spec).items()
    }


def mount_options(scope: MountScope) -> list[str]:
    """Cloud Storage FUSE's options: folders from object-name prefixes, and the folder when one is mounted."""
    return ["implicit-dirs", *([f"only-dir={scope.prefix}"] if scope.prefix else [])]


def volumes(spec: Spec, bucket_names: dict[str, pulumi.Output[str]]) -> dict[str, dict[str, Any]]:
    """``<mount>/<team>`` -> the volume source of that team's claim."""
    return {
        f"{s.mount}/{s.team}": {"csi_driver": DRIVER, "volume_handle": bucket_names[s.bucket], "mount_options": mount_options(s)}
        for s in mounts.scopes(spec)
    }


def annotations(identities: dict[str, DataIdentity]) -> dict[str, dict[str, Any]]:
    """Team -> its ``mlstack-data`` ServiceAccount's Workload Identity annotation."""
    return {team: {ANNOTATION: identity.gsa_email} for team, identity in sorted(identities.items())}
