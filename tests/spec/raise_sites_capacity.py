"""The raise sites and fixtures of GCP node provisioning (ComputeClasses from the spec), merged into
``raise_sites``' tables; the same entry kinds (see ``raise_sites``' docstring)."""

from __future__ import annotations

from raise_sites import F, Fixture, I

CAPACITY_FIXTURES = {
    "class-capacity-twice": Fixture("gcp-staging", "node_pools:\n  a100: {capacity: [spot, spot], reservation: null}\n",
                                    "node_pools.a100.capacity", "lists spot more than once; each capacity type appears once"),
    "class-reservation-without-reserved": Fixture("gcp-staging", "node_pools:\n  a100: {capacity: [spot, on-demand]}\n",
                                                  "node_pools.a100.capacity",
                                                  "a reservation is consumed only by the reserved capacity type"),
}
CAPACITY_SITES = {
    'components/gcp/compute_class.py::ComputeClassArgs.__post_init__::ValueError::capacity must be distinct and non-empty, got {}':
        F('class-capacity-twice'),
    "components/gcp/compute_class.py::ComputeClassArgs.__post_init__::ValueError::capacity 'reservation' and reservation go together":
        F('class-reservation-without-reserved'),
    'components/gcp/compute_class.py::ComputeClassArgs.__post_init__::ValueError::gpu_count must be at least 1, got {}':
        I("the catalogue's GPUs per node of the pool's machine (at least 1, the catalogue's schema)"),
    'components/aws/node_pool.py::NodePoolArgs.__post_init__::ValueError::local_nvme_raid0 needs an AL2023 AMI type (nodeadm), got {}':
        I("the catalogue's AMI types, all AL2023 (accelerators.yaml offer_fields.aws.ami_type values)"),
}
