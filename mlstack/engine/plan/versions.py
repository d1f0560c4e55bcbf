"""The resolved versions block: the spec's `versions`, with the catalogue's defaults for what it leaves out.

This is what the program deploys, what a lock file records and what `promote` copies.
"""

from __future__ import annotations

from mlstack.spec import Spec


def resolved_versions(spec: Spec) -> dict[str, str]:
    """Every version the environment runs, as plain strings, keys sorted."""
    from mlstack.catalog import load_catalog

    v = load_catalog().versions
    default_postgres = v.cloudsql_database_version.removeprefix("POSTGRES_")
    return {
        "gpu_device_plugin": spec.versions.gpu_device_plugin or v.charts["nvidia-device-plugin"].version,
        "kubernetes": spec.versions.kubernetes or v.kubernetes,
        "mlflow": spec.versions.mlflow or v.mlflow,
        "postgres": spec.versions.postgres or default_postgres,
    }
