"""Deploying: the Pulumi workspace, lifecycle operations, the environment lock, promotion and verification.

Uses ``mlstack.engine.plan`` (the program ``up`` runs is the one ``plan`` records) and ``review`` (the plan
diff ``promote`` shows); never ``scaffold`` or the CLI.
"""
