"""Helpers of the generate tests: option sets per cloud and a golden-file comparison.

Regenerate every golden render with: MLSTACK_UPDATE_GOLDEN=1 python -m pytest tests/generate
"""

from __future__ import annotations

from pathlib import Path

from golden import check_golden

GOLDEN = Path(__file__).resolve().parent.parent / "golden" / "generate"

FLAGS = {
    "aws": ["--cloud", "aws", "--region", "us-west-2"],
    "gcp": ["--cloud", "gcp", "--region", "us-central1", "--project-id", "acme-ml-1234"],
    "onprem": ["--cloud", "onprem", "--kube-context", "lab", "--nfs-server", "nfs.lab.internal", "--nfs-path", "/exports/ml"],
}


def options(cloud: str, ci: str = "github", **extra):
    from mlstack.engine.scaffold.generate import ProjectOptions

    values = {
        "aws": {"region": "us-west-2"},
        "gcp": {"region": "us-central1", "project_id": "acme-ml-1234"},
        "onprem": {"kube_context": "lab", "nfs_server": "nfs.lab.internal", "nfs_path": "/exports/ml"},
    }[cloud]
    if ci in ("github", "gitlab"):
        values["repository"] = "acme/ml-platform"
    return ProjectOptions(project="acme-ml", cloud=cloud, ci=ci, **{**values, **extra})


def init_argv(directory: Path, cloud: str, ci: str = "github") -> list[str]:
    argv = ["init", str(directory), "--project", "acme-ml", "--ci", ci, *FLAGS[cloud]]
    if ci in ("github", "gitlab"):
        argv += ["--repository", "acme/ml-platform"]
    return argv


def compare_golden(rel: str, text: str) -> None:
    check_golden(f"generate/{rel}", text)
