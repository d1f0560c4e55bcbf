"""Output helpers: Rich on a terminal, plain text when piped (so CI logs and `| grep` stay readable)."""

from __future__ import annotations

import sys
from functools import cache


def is_tty() -> bool:
    return sys.stdout.isatty()


@cache
def console():
    """A Rich console for stdout; imported only when a command prints something rich."""
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def echo(text: str = "") -> None:
    """Prints a line: plain when piped, through Rich (markup off) on a terminal."""
    if is_tty():
        console().print(text, markup=False)
    else:
        sys.stdout.write(text + "\n")


def err(text: str) -> None:
    sys.stderr.write(text + "\n")
