"""The command line before Typer parses it: global options after the subcommand, and the project's stacks
folder found from a subdirectory. Standard library only (``mlstack --help`` imports this).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

GLOBAL_FLAGS = ("--verbose", "-v", "--version", "--no-plan-cache")
GLOBAL_VALUED = ("--stacks-dir",)
STACKS = "stacks"
MAX_PARENTS = 64  # bounded walk up from the working directory


def hoist_globals(args: list[str], takes_value: Callable[[str, str], bool]) -> list[str]:
    """Moves global options written after the subcommand (``mlstack plan --env x --verbose``) before it.

    ``takes_value(command, option)`` says whether ``option`` of ``command`` consumes the next word, so a value
    that happens to read ``-v`` is left alone. Nothing after ``--`` moves.
    """
    front: list[str] = []
    rest: list[str] = []
    command: str | None = None
    i = 0
    while i < len(args):
        word = args[i]
        if word == "--":
            rest.extend(args[i:])
            break
        if command is None:
            if word in GLOBAL_VALUED and i + 1 < len(args):
                front += args[i:i + 2]
                i += 2
                continue
            front.append(word)
            if not word.startswith("-"):
                command = word
            i += 1
            continue
        if word in GLOBAL_FLAGS and not takes_value(command, word):  # `model promote --version N` is its own
            front.insert(len(front) - 1, word)
        elif word in GLOBAL_VALUED and i + 1 < len(args):
            front[len(front) - 1:len(front) - 1] = args[i:i + 2]
            i += 1
        elif word.split("=", 1)[0] in GLOBAL_VALUED and "=" in word:
            front.insert(len(front) - 1, word)
        elif word.startswith("-") and "=" not in word and takes_value(command, word) and i + 1 < len(args):
            rest += args[i:i + 2]
            i += 1
        else:
            rest.append(word)
        i += 1
    return front + rest


def subcommand(args: list[str]) -> str | None:
    """The subcommand a command line names: its first word that is neither an option nor a global option's
    value (``mlstack --stacks-dir s plan`` -> ``plan``); None when there is none (``mlstack --help``)."""
    i = 0
    while i < len(args):
        word = args[i]
        if word == "--":
            return None
        if word in GLOBAL_VALUED:
            i += 2
            continue
        if not word.startswith("-"):
            return word
        i += 1
    return None


def has_stacks_dir(args: Iterable[str]) -> bool:
    return any(a in GLOBAL_VALUED or a.split("=", 1)[0] in GLOBAL_VALUED for a in args)


def find_stacks_dir(start: Path) -> Path | None:
    """The ``stacks/`` folder of the project ``start`` is in: ``start/stacks`` or a parent's, the nearest one
    holding a ``*.yaml``; the walk stops at a git repository's root. Relative to ``start`` when below it or
    above it (``../stacks``), so messages stay short."""
    here = start.resolve()
    for folder in [here, *here.parents][:MAX_PARENTS]:
        candidate = folder / STACKS
        if candidate.is_dir() and any(candidate.glob("*.yaml")):
            return Path(os.path.relpath(candidate, here))
        if (folder / ".git").exists():
            return None
    return None
