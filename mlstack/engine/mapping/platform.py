"""The platform layer (identical on every target): spec + Bindings -> PlatformArgs."""

from __future__ import annotations

from typing import Any

from mlstack.catalog import Catalog
from mlstack.engine.mapping.bindings import Bindings
from mlstack.spec import Spec


def provision(spec: Spec, catalog: Catalog, versions: dict[str, str], bindings: Bindings) -> dict[str, Any]:
    """Registers the Kubernetes platform layer; returns its stack outputs."""
    return {}
