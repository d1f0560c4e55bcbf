"""In-cluster services that stand in for a cloud's managed ones, for clusters mlstack does not create.

``components/k8s/`` is the platform layer every target gets; this package holds what a cloud would otherwise
provide, run on the cluster itself: PostgreSQL (CloudNativePG), the SeaweedFS S3 object store, a Distribution image
registry, the NFS subdirectory provisioner, the API server's audit policy, the description of existing node
pools, and :class:`~.environment.OnPremEnvironment`, which composes them on ``target.cloud: onprem``.
:class:`~.nfs_backend.NfsBackend` is used on GCP too, where the provisioner serves one Filestore share.

Type tokens keep their ``mlstack:k8s:`` area (``mlstack:k8s:ObjectStore``, ...): they were registered under it
before this package existed, and a token is part of every deployed resource's URN, so it never changes.
Modules here import from ``..k8s`` (hardening, the provider check), never the other way round.
"""
