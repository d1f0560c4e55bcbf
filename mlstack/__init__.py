"""mlstack: declarative infrastructure-as-code for ML platforms, on Pulumi.

Installed as the distribution ``mlstack-iac`` (``mlstack.distribution``); the import package and the command
are ``mlstack``. Importing this package imports nothing else.
"""
