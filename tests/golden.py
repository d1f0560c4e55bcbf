"""Golden files: compare, or rewrite when MLSTACK_UPDATE_GOLDEN=1 (then review the diff)."""

from __future__ import annotations

import os
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent / "golden"


def check_golden(relative: str, actual: str) -> None:
    path = GOLDEN / relative
    if os.environ.get("MLSTACK_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"no golden file {path}; run with MLSTACK_UPDATE_GOLDEN=1 to create it"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, f"{relative} differs from its golden file; rerun with MLSTACK_UPDATE_GOLDEN=1 and review"
