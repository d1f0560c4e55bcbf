"""`pulumi up -s staging` in this repository runs __main__.py: the same program `mlstack plan` records."""

from __future__ import annotations

import runpy
from pathlib import Path

import yaml

from mlstack.cli.render import plan_json
from mlstack.engine.plan.model import plan_program
from mlstack.engine.review.planning import plan_env

ROOT = Path(__file__).resolve().parents[2]


def test_pulumi_yaml_names_a_python_project():
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert project["name"] == "mlstack"
    assert project["runtime"]["name"] == "python"
    assert project["runtime"]["options"]["virtualenv"] == ".venv"  # the README's install location


def test_main_builds_the_same_plan_as_mlstack_plan():
    via_main = plan_program(lambda: runpy.run_path(str(ROOT / "__main__.py")) and None, project="acme-ml", env="staging")
    via_cli = plan_env("staging", ROOT / "stacks")
    via_main.target = via_cli.target  # the CLI adds the spec's target block; the resources must be identical
    assert plan_json(via_main) == plan_json(via_cli)
