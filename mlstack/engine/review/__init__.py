"""Reviewing plans: diff, cost, policy, parity and the pull-request report.

Uses ``mlstack.engine.plan``; never ``deploy``, ``scaffold`` or the CLI.
"""
