"""MLflow run-context plugin (entry point ``mlflow.run_context_provider``): every run started where an mlstack
environment's variables are set is tagged with that environment, its lock's digest, the image digest and the
git commit of the stacks (:data:`mlstack.stamp.TAGS`). MLflow loads this module itself when mlstack is installed;
nothing else imports it, so mlstack never imports mlflow.
"""

from __future__ import annotations

import os

from mlflow.tracking.context.abstract_context import RunContextProvider

from mlstack.stamp import TAGS


class MlstackRunContext(RunContextProvider):
    """Tags from ``MLSTACK_*`` variables; in context only where ``MLSTACK_ENV`` is set (empty values are left out)."""

    def in_context(self) -> bool:
        return bool(os.environ.get("MLSTACK_ENV"))

    def tags(self) -> dict[str, str]:
        return {tag: os.environ[var] for var, tag in TAGS.items() if os.environ.get(var)}
