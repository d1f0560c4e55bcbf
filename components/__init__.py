"""mlstack's Pulumi components, installed as ``mlstack.components``: ``aws``, ``gcp``, ``k8s`` (the platform layer
every target gets) and ``onprem``. Each package exports its components and their ``...Args`` by name
(``from mlstack.components.aws import Bucket, BucketArgs``); docs/components.md shows a program and its tests."""
