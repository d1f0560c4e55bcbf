"""The stable import path of the Pulumi program for projects' ``__main__.py`` (``mlstack init`` writes
``from mlstack.engine.program import build``). The program lives in ``mlstack.engine.plan.program``."""

from mlstack.engine.plan.program import build, make_program

__all__ = ["build", "make_program"]
