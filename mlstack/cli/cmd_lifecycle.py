"""Commands of the lifecycle area (being written)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Adds this area's commands to the app."""
