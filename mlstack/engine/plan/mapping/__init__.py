"""Spec -> component Args: the one place that knows both the spec and the components.

One module per target (aws, gcp, onprem) provisions the target's infrastructure and returns ``Bindings``:
the few target-bound values the Kubernetes platform layer needs. ``platform.py`` maps the rest of the spec,
identically for every target.
"""
