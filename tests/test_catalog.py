"""The catalogue's look-ups: exact facts and the errors a look-up gives (broken copies, strictness and load
speed: test_catalog_integrity.py)."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import re

import pytest

from mlstack.catalog import CatalogError, ImagePin, load_catalog


@pytest.fixture(scope="module")
def cat():
    return load_catalog()


# -- accelerators ----------------------------------------------------------------------------------------------


def test_portable_names(cat):
    # Names are portable (vendor-model, lowercase) and the ones the docs' examples use exist; the full list is
    # data, not a test (an added accelerator must not break one).
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)+", name) for name in cat.accelerators)
    assert {"nvidia-t4", "nvidia-a100-80gb", "nvidia-h100", "tpu-v5e", "aws-trainium"} <= set(cat.accelerators)
    assert cat.accelerators["nvidia-h200"].memory_gib == 141
    assert cat.accelerators["tpu-v5e"].kind == "tpu"
    assert cat.accelerators["aws-trainium"].kind == "trainium"


def test_a100_80gb_on_aws_is_p4de(cat):
    offer = cat.machine_for("nvidia-a100-80gb", "aws", 8)
    assert offer.machine_type == "p4de.24xlarge"
    assert offer.ami_type == "AL2023_x86_64_NVIDIA"
    assert (offer.count, offer.vcpus, offer.memory_gib) == (8, 96, 1152)
    assert offer.gcp_accelerator_type is None


@pytest.mark.parametrize(
    ("accelerator", "count", "machine"),
    [
        ("nvidia-t4", 1, "g4dn.xlarge"),
        ("nvidia-t4", 4, "g4dn.12xlarge"),
        ("nvidia-a10g", 1, "g5.xlarge"),
        ("nvidia-a10g", 4, "g5.12xlarge"),
        ("nvidia-a10g", 8, "g5.48xlarge"),
        ("nvidia-l4", 8, "g6.48xlarge"),
        ("nvidia-l40s", 4, "g6e.12xlarge"),
        ("nvidia-a100-40gb", 8, "p4d.24xlarge"),
        ("nvidia-h100", 8, "p5.48xlarge"),
        ("nvidia-h200", 8, "p5e.48xlarge"),
    ],
)
def test_aws_gpu_machines(cat, accelerator, count, machine):
    offer = cat.machine_for(accelerator, "aws", count)
    assert offer.machine_type == machine
    assert offer.count == count
    assert offer.ami_type == "AL2023_x86_64_NVIDIA"


def test_trainium_uses_the_neuron_ami(cat):
    offer = cat.machine_for("aws-trainium", "aws", 16)
    assert (offer.machine_type, offer.ami_type) == ("trn1.32xlarge", "AL2023_x86_64_NEURON")
    assert cat.offered_counts("aws-trainium", "aws") == [1, 16]


@pytest.mark.parametrize(
    ("accelerator", "count", "machine", "guest"),
    [
        ("nvidia-t4", 1, "n1-standard-8", "nvidia-tesla-t4"),
        ("nvidia-t4", 2, "n1-standard-16", "nvidia-tesla-t4"),
        ("nvidia-t4", 4, "n1-standard-32", "nvidia-tesla-t4"),
        ("nvidia-l4", 1, "g2-standard-4", "nvidia-l4"),
        ("nvidia-l4", 2, "g2-standard-24", "nvidia-l4"),
        ("nvidia-a100-40gb", 4, "a2-highgpu-4g", "nvidia-tesla-a100"),
        ("nvidia-a100-80gb", 8, "a2-ultragpu-8g", "nvidia-a100-80gb"),
        ("nvidia-h100", 8, "a3-highgpu-8g", "nvidia-h100-80gb"),
        ("nvidia-h200", 8, "a3-ultragpu-8g", "nvidia-h200-141gb"),
    ],
)
def test_gcp_gpu_machines(cat, accelerator, count, machine, guest):
    offer = cat.machine_for(accelerator, "gcp", count)
    assert (offer.machine_type, offer.gcp_accelerator_type, offer.ami_type) == (machine, guest, None)


def test_offered_counts(cat):
    assert cat.offered_counts("nvidia-h100", "gcp") == [8]
    assert cat.offered_counts("nvidia-h100", "aws") == [8]
    assert cat.offered_counts("nvidia-t4", "gcp") == [1, 2, 4]
    assert cat.offered_counts("nvidia-t4", "aws") == [1, 4, 8]
    assert cat.offered_counts("nvidia-a100-40gb", "gcp") == [1, 2, 4, 8]
    assert cat.offered_counts("nvidia-a10g", "gcp") == []
    assert cat.offered_counts("nvidia-a10g", "onprem") == []


def test_clouds_for(cat):
    assert cat.clouds_for("nvidia-t4") == ["aws", "gcp"]
    assert cat.clouds_for("nvidia-a10g") == ["aws"]
    assert cat.clouds_for("nvidia-l40s") == ["aws"]
    assert cat.clouds_for("aws-trainium") == ["aws"]
    assert cat.clouds_for("tpu-v5e") == ["gcp"]


def test_machine_for_errors_list_the_offered_counts(cat):
    with pytest.raises(CatalogError) as exc:
        cat.machine_for("nvidia-a10g", "aws", 2)
    assert str(exc.value) == "nvidia-a10g on aws is offered with 1, 4, 8 per node, not 2"
    with pytest.raises(CatalogError) as exc:
        cat.machine_for("nvidia-h100", "gcp", 4)
    assert str(exc.value) == "nvidia-h100 on gcp is offered with 8 per node, not 4"
    with pytest.raises(CatalogError) as exc:
        cat.machine_for("nvidia-a10g", "gcp", 1)
    assert str(exc.value) == "nvidia-a10g is not offered on gcp; it is offered on aws"
    with pytest.raises(CatalogError) as exc:
        cat.machine_for("tpu-v5e", "aws", 4)
    assert str(exc.value) == "tpu-v5e is not offered on aws; it is offered on gcp"
    with pytest.raises(CatalogError, match=r"^unknown accelerator 'nvidia-b200'; known: aws-trainium, "):
        cat.machine_for("nvidia-b200", "aws", 8)


# -- TPUs ------------------------------------------------------------------------------------------------------


def test_tpu_gke_accelerators(cat):
    assert {g: t.gke_accelerator for g, t in cat.tpus.items()} == {
        "tpu-v4": "tpu-v4-podslice",
        "tpu-v5e": "tpu-v5-lite-podslice",
        "tpu-v5p": "tpu-v5p-slice",
        "tpu-v6e": "tpu-v6e-slice",
    }


@pytest.mark.parametrize(
    ("gen", "topology", "machine", "chips", "chips_per_vm", "nodes", "multi_host"),
    [
        ("tpu-v5e", "2x4", "ct5lp-hightpu-8t", 8, 8, 1, False),
        ("tpu-v5e", "4x4", "ct5lp-hightpu-4t", 16, 4, 4, True),
        ("tpu-v5e", "16x16", "ct5lp-hightpu-4t", 256, 4, 64, True),
        ("tpu-v5e", "2x2", "ct5lp-hightpu-4t", 4, 4, 1, False),
        ("tpu-v4", "2x2x1", "ct4p-hightpu-4t", 4, 4, 1, False),
        ("tpu-v4", "2x2x2", "ct4p-hightpu-4t", 8, 4, 2, True),
        ("tpu-v5p", "2x2x2", "ct5p-hightpu-4t", 8, 4, 2, True),
        ("tpu-v6e", "4x4", "ct6e-standard-4t", 16, 4, 4, True),
        ("tpu-v6e", "2x4", "ct6e-standard-8t", 8, 8, 1, False),
    ],
)
def test_tpu_slices(cat, gen, topology, machine, chips, chips_per_vm, nodes, multi_host):
    s = cat.tpu_slice(gen, topology)
    assert (s.topology, s.machine_type, s.chips, s.chips_per_vm, s.nodes, s.multi_host) == (
        topology, machine, chips, chips_per_vm, nodes, multi_host,
    )  # fmt: skip


def test_tpu_slice_errors_list_valid_topologies(cat):
    with pytest.raises(CatalogError) as exc:
        cat.tpu_slice("tpu-v5e", "3x3")
    assert str(exc.value) == (
        "topology '3x3' is not valid for tpu-v5e; valid: 1x1, 2x2, 2x4, 4x4, 4x8, 8x8, 8x16, 16x16"
    )
    with pytest.raises(CatalogError) as exc:
        cat.tpu_slice("tpu-v4", "2x4")
    assert str(exc.value) == "topology '2x4' is not valid for tpu-v4; valid: 2x2x1, 2x2x2, 2x2x4, 2x4x4, 4x4x4, 4x4x8"
    with pytest.raises(CatalogError, match=r"^unknown TPU generation 'tpu-v3'; known: tpu-v4, tpu-v5e"):
        cat.tpu_slice("tpu-v3", "2x2")


def test_tpu_regions(cat):
    assert cat.tpus["tpu-v4"].regions == {"us-central2": ["us-central2-b"]}
    assert cat.tpus["tpu-v5e"].regions["us-west4"] == ["us-west4-a"]
    assert cat.tpus["tpu-v5p"].regions == {"us-central1": ["us-central1-a"], "us-east5": ["us-east5-a"]}
    assert cat.tpus["tpu-v6e"].regions["us-east5"] == ["us-east5-a", "us-east5-b"]
    assert "us-west2" not in cat.tpus["tpu-v6e"].regions


def test_tpu_machines_priced_where_offered(cat):
    for gen, tpu in cat.tpus.items():
        for t in tpu.topologies.values():
            for region in tpu.regions:
                assert cat.price("gcp", t.machine_type, region) is not None, (gen, t.machine_type, region)


def test_versions_are_pinned(cat):
    v = cat.versions
    # The default minor is one every cloud supports; the CI's CLI is of the SDK's major release.
    assert all(v.kubernetes in windows for windows in cat.kubernetes_support.values())
    assert v.pulumi_cli.split(".")[0] == importlib.metadata.version("pulumi").split(".")[0]
    assert v.mlflow and v.rds_postgres_engine_version and v.cloudsql_database_version == "POSTGRES_16"
    assert v.gke_gpu_driver_version == "DEFAULT"
    assert set(v.charts) >= {
        "nvidia-device-plugin", "gpu-operator", "cloudnative-pg", "cluster-autoscaler", "neuron-helm-chart",
        "nfs-subdir-external-provisioner", "aws-efs-csi-driver",
    }  # fmt: skip
    for name, chart in v.charts.items():
        assert chart.repo.startswith(("https://", "oci://")), name  # Helm repositories or OCI registries
    assert set(v.images) >= {"mlflow", "postgres", "seaweedfs", "registry", "nfs-subdir-external-provisioner"}
    assert "minio" not in v.charts and "minio" not in v.images  # replaced on-prem (docs/design-changes.md)
    assert v.images["mlflow"].ref == f"ghcr.io/mlflow/mlflow:v{v.mlflow}-full"  # the variant with the DB/S3/GCS clients
    assert v.images["registry"].ref == "docker.io/library/registry:3.0.0"


def test_image_ref_with_digest():
    digest = "sha256:" + "a" * 64
    assert ImagePin(repository="r", tag="1", digest=digest).ref == f"r:1@{digest}"
    assert ImagePin(repository="r", tag="1").ref == "r:1"


# -- machines, storage, databases, prices ---------------------------------------------------------------------


def test_system_machines(cat):
    assert cat.default_system_machine == {"aws": "m6i.xlarge", "gcp": "n2-standard-4"}
    m = cat.machines["aws"]["m6i.xlarge"]
    assert (m.vcpus, m.memory_gib, m.ami_type) == (4, 16, "AL2023_x86_64_STANDARD")
    assert (cat.machines["gcp"]["n2-standard-8"].vcpus, cat.machines["gcp"]["n2-standard-8"].memory_gib) == (8, 32)


def test_database_sizes(cat):
    assert cat.database_sizes["small"] == {"aws": "db.t4g.medium", "gcp": "db-custom-2-7680"}
    assert cat.database_hourly("aws", "small") == 0.065
    assert cat.database_hourly("gcp", "large") == 0.3472
    assert cat.database_hourly("aws", "huge") is None


def test_prices(cat):
    assert cat.prices.currency == "USD"
    assert cat.prices.as_of == "2026-11-29"
    assert cat.price("aws", "g5.xlarge", "us-west-2") == 1.006
    assert cat.price("aws", "g5.xlarge", "us-east-1", spot=True) == 0.3521
    assert cat.price("aws", "p5e.48xlarge", "us-east-1", spot=True) is None
    assert cat.price("gcp", "ct5lp-hightpu-4t", "us-west4") == 4.8
    assert cat.price("gcp", "ct4p-hightpu-4t", "us-central2") == 12.88
    assert cat.price("aws", "g5.xlarge", "eu-west-1") is None
    assert cat.price("gcp", "no-such-machine", "us-central1") is None
    assert cat.prices.fixed["aws"]["eks_cluster_hourly"] == 0.10
    assert cat.prices.fixed["gcp"]["gke_cluster_hourly"] == 0.10


def test_dated_sources(cat):
    # The catalogue is as old as its oldest file; each source was read on or after it, and not in the future.
    assert cat.as_of == min(o.as_of for o in cat.origins.values())
    assert len(cat.sources) >= 20
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    assert all(cat.as_of <= s.retrieved <= today for s in cat.sources)


def test_new_chart_pins_say_when_and_where_they_were_checked(cat):
    for name in ("karpenter", "aws-fsx-csi-driver", "dcgm-exporter"):
        pin = cat.versions.charts[name]
        assert pin.checked == "2026-12-01" and pin.source.startswith("https://github.com/"), name
    assert cat.versions.charts["karpenter"].ref == "oci://public.ecr.aws/karpenter/karpenter"
    assert cat.versions.charts["dcgm-exporter"].ref == "dcgm-exporter"


def test_flex_start_on_the_gke_families_that_offer_it(cat):
    flex = sorted(o.machine_type for a in cat.accelerators.values() for o in a.offers.get("gcp", []) if o.flex_start)
    assert "a3-highgpu-8g" in flex and "g2-standard-4" in flex and "n1-standard-8" not in flex
