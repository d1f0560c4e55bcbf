"""AWS bucket mounts: ``storage.bucket_mounts`` -> Mountpoint for Amazon S3 (the ``aws-mountpoint-s3-csi-driver``
EKS add-on, made by the environment so its version is locked), one IRSA role per team for its ``mlstack-data``
ServiceAccount scoped to the folders it mounts, and each volume's source.

The volumes use pod-level credentials (``authenticationSource: pod``): Mountpoint signs its S3 requests as the
pod's own ServiceAccount, so a team reaches only what its role allows, and the driver has no role at all. A
read-only scope may list its folder and get objects (and decrypt them with the bucket's key); a writable one may
also put, delete and abort uploads there (and encrypt). ``stsRegion`` is set because the nodes' instance metadata
answers only one network hop (IMDSv2, hop limit 1), which is too few for the driver to find the region itself.
"""

from __future__ import annotations

from typing import Any

import pulumi

from mlstack.components.aws.environment import AwsEnvironment
from mlstack.components.aws.irsa_role import WorkloadRole, WorkloadRoleArgs
from mlstack.components.contract import DATA_SERVICE_ACCOUNT
from mlstack.spec import Spec, mounts
from mlstack.spec.mounts import MountScope
from mlstack.targets.aws.policy_mounts import READ_ONLY_SID  # policy MLS-AWS-030 refuses writes in these statements

DRIVER = "s3.csi.aws.com"
READ = ("s3:GetObject",)
WRITE = ("s3:AbortMultipartUpload", "s3:DeleteObject", "s3:PutObject")


def _sid(scope: MountScope, what: str) -> str:
    """An IAM statement id (alphanumeric) naming the scope."""
    base = READ_ONLY_SID if scope.read_only else "WritableMount"
    return base + "".join(part.capitalize() for part in f"{scope.mount}-{scope.team}-{what}".split("-"))


def statements(scope: MountScope, bucket_arn: pulumi.Input[str], key_arn: pulumi.Input[str]) -> list[dict[str, Any]]:
    """The IAM statements of one scope: list its folder, read (and, when writable, write) its objects, the key."""
    prefix = scope.prefix
    listing: dict[str, Any] = {"Sid": _sid(scope, "list"), "Effect": "Allow", "Action": "s3:ListBucket", "Resource": bucket_arn}
    if prefix:
        listing["Condition"] = {"StringLike": {"s3:prefix": [prefix, f"{prefix}/*"]}}
    objects = pulumi.Output.format("{0}/{1}*", bucket_arn, f"{prefix}/" if prefix else "")
    return [
        listing,
        {"Sid": _sid(scope, "objects"), "Effect": "Allow", "Action": sorted(READ if scope.read_only else READ + WRITE),
         "Resource": objects},
        {"Sid": _sid(scope, "key"), "Effect": "Allow",
         "Action": ["kms:Decrypt"] if scope.read_only else ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": key_arn},
    ]


def team_roles(spec: Spec, env: AwsEnvironment, tags: dict[str, str]) -> dict[str, WorkloadRole]:
    """Team -> the IRSA role of its ``mlstack-data`` ServiceAccount (``<prefix>-mounts-<team>``)."""
    return {
        team: WorkloadRole(
            f"{spec.prefix}-mounts-{team}",
            WorkloadRoleArgs(
                namespace=team,
                service_account=DATA_SERVICE_ACCOUNT,
                policy_statements=[st for s in scopes for st in statements(s, env.bucket_arns[s.bucket], env.bucket_key_arns[s.bucket])],
                oidc_provider_arn=env.oidc_provider_arn,
                oidc_provider_url=env.oidc_provider_url,
                tags=tags,
            ),
        )
        for team, scopes in mounts.by_team(spec).items()
    }


def mount_options(scope: MountScope, region: str) -> list[str]:
    """Mountpoint's options: any user of the pod may read (pods run as non-root users), the region, the folder, and
    ``read-only`` (or, writable, deleting allowed)."""
    return ["allow-other", f"region {region}", *([f"prefix {scope.prefix}/"] if scope.prefix else []),
            "read-only" if scope.read_only else "allow-delete"]


def volumes(spec: Spec, env: AwsEnvironment) -> dict[str, dict[str, Any]]:
    """``<mount>/<team>`` -> the volume source of that team's claim."""
    region = str(spec.target.region)
    return {
        f"{s.mount}/{s.team}": {
            "csi_driver": DRIVER,
            "volume_handle": f"s3-{s.mount}-{s.team}",  # unique per volume: the kubelet mounts a handle once per pod
            "volume_attributes": {"bucketName": env.bucket_names[s.bucket], "authenticationSource": "pod", "stsRegion": region},
            "mount_options": mount_options(s, region),
        }
        for s in mounts.scopes(spec)
    }


def identities(roles: dict[str, WorkloadRole]) -> dict[str, dict[str, Any]]:
    """Team -> its ``mlstack-data`` ServiceAccount's IRSA annotation."""
    return {team: {"eks.amazonaws.com/role-arn": role.role_arn} for team, role in sorted(roles.items())}
