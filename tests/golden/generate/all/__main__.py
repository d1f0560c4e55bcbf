"""Pulumi program of acme-ml: builds stacks/<stack>.yaml through mlstack's engine.

`mlstack plan` records this same function offline and `mlstack up` runs it through the Pulumi engine, so the
plan reviewed in a pull request is the plan that is applied.
"""

from pathlib import Path

import pulumi

from mlstack.engine.program import build
from mlstack.spec import load_spec

build(load_spec(pulumi.get_stack(), Path(__file__).resolve().parent / "stacks"))
