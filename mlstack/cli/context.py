"""Global CLI state set by the top-level options (``--stacks-dir``, ``--verbose``)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class State:
    stacks_dir: Path = field(default_factory=lambda: Path(os.environ.get("MLSTACK_STACKS_DIR", "stacks")))
    verbose: bool = False


STATE = State()
