"""The run stamp's contract, defined once: the environment variables an mlstack environment gives training pods
and the MLflow tags the run-context plugin (:mod:`mlstack.mlflow_plugin`) writes from them, which
``mlstack reproduce`` reads back. Plain constants: no pulumi, no mlflow.
"""

from __future__ import annotations

#: environment variable -> MLflow run tag.
TAGS = {
    "MLSTACK_PROJECT": "mlstack.project",
    "MLSTACK_ENV": "mlstack.env",
    "MLSTACK_LOCK_DIGEST": "mlstack.lock_digest",
    "MLSTACK_IMAGE_DIGEST": "mlstack.image_digest",
    "MLSTACK_GIT_COMMIT": "mlstack.git_commit",
}
ENV_TAG = TAGS["MLSTACK_ENV"]
