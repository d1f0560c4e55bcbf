"""The real-services stage: PostgreSQL, an S3 API (moto) and MLflow as the TrackingServer component renders it.

``.ci/services/<name>.sh start|stop`` starts and stops each service (``.ci/run`` runs them around pytest);
the fixtures in ``conftest.py`` use a running one or start it through the same script. See
docs/real-services.md.
"""
