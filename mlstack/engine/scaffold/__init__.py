"""Scaffolding: new projects (``init``), new environments (``new-env`` with overrides) and CI pipelines (``ci``).

Uses ``mlstack.engine.plan`` and the lock reader of ``deploy.lock`` (its one owner); never ``review`` or the CLI.
"""
