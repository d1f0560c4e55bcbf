"""Lazy public names for the component packages (PEP 562), written once.

Each package lists its public names and the module that defines each; a name is imported when first used, so a
program that uses one component does not import every module's SDK classes. Imports nothing but the standard
library.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def exports(package: str, table: Mapping[str, str]) -> Callable[[str], Any]:
    """The module ``__getattr__`` of ``package``: ``table`` maps each public name to its module (relative to the
    package); the value is imported on first use and then kept in the package's namespace."""

    def __getattr__(name: str) -> Any:
        module = table.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f".{module}", package), name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
