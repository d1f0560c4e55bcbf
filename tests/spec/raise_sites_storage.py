"""The raise sites and fixtures of the data path (``storage.scratch``, the scratch components, the catalogue's size
ranges, the bucket mounts), merged into ``raise_sites``' tables; the same entry kinds (see ``raise_sites``' docstring)."""

from __future__ import annotations

from raise_sites import F, Fixture, I, N, S

STORAGE_FIXTURES = {
    "fsx-size": Fixture("staging", "storage:\n  scratch: {size_gib: 3000}\n", "storage.scratch.size_gib",
                        "The nearest valid size is 2400"),
    "fsx-throughput": Fixture("staging", "storage:\n  scratch: {throughput_mb_s_per_tib: 300}\n",
                              "storage.scratch.throughput_mb_s_per_tib", "offers 125, 250, 500, 1000 MB/s per TiB, got 300"),
    "fsx-bucket": Fixture("staging", "storage:\n  scratch: {bucket: corpus}\n", "storage.scratch.bucket",
                          "Add it under storage.buckets"),
    "lustre-throughput": Fixture("gcp-staging", "storage:\n  scratch: {throughput_mb_s_per_tib: 300}\n",
                                 "storage.scratch.throughput_mb_s_per_tib", "offers 125, 250, 500, 1000 MB/s per TiB, got 300"),
    "export-path": Fixture("onprem", "storage:\n  scratch: {nfs_path: null}\n", "storage.scratch.nfs_path",
                           "required on onprem: the existing Lustre (NFS-exported) or NFS scratch export"),
}
STORAGE_SITES = {
    # AWS container logs (the audit path): sibling outputs AwsEnvironment fills in.
    'components/aws/container_logs.py::ContainerLogs.__init__::ValueError::{}: cluster_name, oidc_provider_arn and oidc_provider_url are required':
        I("the cluster's name and OIDC outputs"),
    'components/aws/scratch_file_system.py::ScratchFileSystemArgs.__post_init__::ValueError::storage_capacity_gib must be 1200 or a multiple of 2400, got {}':
        F('fsx-size'),
    'components/aws/scratch_file_system.py::ScratchFileSystemArgs.__post_init__::ValueError::throughput_mb_s_per_tib must be one of {}, got {}':
        F('fsx-throughput'),
    'components/aws/scratch_file_system.py::ScratchFileSystemArgs.__post_init__::ValueError::file_system_path must be absolute, got {}':
        I("the mapping (mlstack/targets/<cloud>/mapping.py) passes " + "the default /datasets"),
    'components/aws/scratch_file_system.py::ScratchFileSystem.__init__::ValueError::{}: vpc_id, subnet_id and client_security_group_ids are required':
        I("the network's and the cluster's outputs"),
    'components/aws/environment.py::AwsEnvironmentArgs.__post_init__::ValueError::scratch_bucket {} is not one of the buckets {}':
        F('fsx-bucket'),
    'components/gcp/scratch_file_system.py::ScratchFileSystem.__init__::ValueError::{}: network and private_services_cidr are required':
        I("the network's outputs and the engine's address plan"),
    'components/gcp/scratch_file_system.py::ScratchFileSystemArgs.__post_init__::ValueError::capacity_gib must be positive, got {}':
        S('ScratchStorage', 'size_gib', 'minimum', 1),
    'components/gcp/scratch_file_system.py::ScratchFileSystemArgs.__post_init__::ValueError::filesystem must be 1 to 8 letters or digits, got {}':
        I("the mapping (mlstack/targets/<cloud>/mapping.py) passes " + "the file system name 'scratch'"),
    'components/gcp/scratch_file_system.py::ScratchFileSystemArgs.__post_init__::ValueError::throughput_mb_s_per_tib must be one of {}, got {}':
        F('lustre-throughput'),
    'mlstack/catalog/storage.py::CapacityRange._aligned::ValueError::range {}-{} GiB is not aligned to its step {}': N("the catalogue's own files, parsed and cross-checked at load (tests/test_catalog.py)"),
    'components/k8s/scratch_storage.py::ScratchStorageArgs.__post_init__::ValueError::exactly one of csi_driver and nfs_server is required':
        I("the target binds one volume source (Bindings.scratch_source)"),
    'components/k8s/scratch_storage.py::ScratchStorageArgs.__post_init__::ValueError::csi_driver needs volume_handle':
        I("the file system's outputs"),
    'components/k8s/scratch_storage.py::ScratchStorageArgs.__post_init__::ValueError::nfs_server needs an absolute nfs_path':
        F('export-path'),
    'components/k8s/scratch_storage.py::ScratchStorageArgs.__post_init__::ValueError::size_gib must be positive, got {}':
        S('ScratchStorage', 'size_gib', 'minimum', 1),
    'components/k8s/bucket_mounts.py::BucketMounts.__init__::ValueError::BucketMounts {}: a claim is given twice in one namespace':
        I("the engine makes one volume per (mount, team) of storage.bucket_mounts (mlstack.spec.mounts.scopes)"),
    'components/k8s/gpu_dashboard.py::GpuDashboardArgs.__post_init__::ValueError::dashboard_json must be a Grafana dashboard JSON object':
        I("the engine renders the dashboard from its template and parses it as JSON (mlstack/engine/plan/dashboard.py)"),
}
