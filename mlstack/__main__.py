"""`python -m mlstack` runs the CLI."""

from mlstack.cli import run

run()
