"""Pulumi program entry for `pulumi up -s <env>`: builds stacks/<env>.yaml through mlstack's engine.

The same function (`mlstack.engine.program.build`) is what `mlstack plan` records and `mlstack up` runs.
"""

from pathlib import Path

import pulumi

from mlstack.engine.program import build
from mlstack.spec import load_spec

build(load_spec(pulumi.get_stack(), Path(__file__).resolve().parent / "stacks"))
