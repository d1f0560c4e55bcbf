"""Fixtures of the generate tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def no_tty(monkeypatch):
    from mlstack.cli import cmd_generate

    monkeypatch.setattr(cmd_generate, "_interactive", lambda: False)
