"""What MLflow's IRSA role may do: its artifact prefix in one bucket, and the database's rotating secret."""

from __future__ import annotations

from typing import Any

import pulumi

from .bucket import Bucket
from .tracking_database import TrackingDatabase

MLFLOW_PREFIX = "mlflow"


def database_secret_statements(db: TrackingDatabase | None) -> list[dict[str, Any]]:
    """MLflow reads the database password from the RDS-managed secret when it connects (it rotates): that
    secret only, and its key only through Secrets Manager."""
    if db is None:
        return []
    return [
        {"Sid": "DatabaseSecret", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue", "Resource": db.master_user_secret_arn},
        {
            "Sid": "DatabaseSecretKey",
            "Effect": "Allow",
            "Action": "kms:Decrypt",
            "Resource": db.kms_key_arn,
            "Condition": {"StringLike": {"kms:ViaService": "secretsmanager.*.amazonaws.com"}},
        },
    ]


def mlflow_statements(bucket: Bucket) -> list[dict[str, Any]]:
    """MLflow's artifact access: objects under ``mlflow/`` of its bucket, listing that prefix, and the
    bucket key for SSE-KMS. Nothing else in the account."""
    objects = pulumi.Output.format("{0}/{1}/*", bucket.arn, MLFLOW_PREFIX)
    return [
        {
            "Sid": "ArtifactObjects",
            "Effect": "Allow",
            "Action": ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"],
            "Resource": objects,
        },
        {
            "Sid": "ArtifactList",
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": bucket.arn,
            "Condition": {"StringLike": {"s3:prefix": [MLFLOW_PREFIX, f"{MLFLOW_PREFIX}/*"]}},
        },
        {
            "Sid": "ArtifactKey",
            "Effect": "Allow",
            "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
            "Resource": bucket.kms_key_arn,
        },
    ]
