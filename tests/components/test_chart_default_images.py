"""Images charts would take from their own defaults are set explicitly (so a plan names them and a lock pins them by
digest): the NVIDIA device plugin's and the CloudNativePG operator's; without an image the chart's default stays."""

from __future__ import annotations

import pulumi
import pytest
from k8s_checks import record_with_provider

RELEASE = "kubernetes:helm.sh/v3:Release"
PLUGIN = "nvcr.io/nvidia/k8s-device-plugin:v0.20.0"
OPERATOR = "ghcr.io/cloudnative-pg/cloudnative-pg:1.28.1"


def _gpu(record_plan, **kw):
    from mlstack.components.k8s.gpu_support import GpuSupport, GpuSupportArgs

    return record_with_provider(record_plan, lambda opts: GpuSupport("gpu", GpuSupportArgs(chart_version="0.20.0", **kw), opts))


def test_the_device_plugin_image_is_a_chart_value_when_given(record_plan):
    values = _gpu(record_plan, image=PLUGIN).one(RELEASE, "gpu-release").inputs["values"]
    assert values["image"] == {"repository": "nvcr.io/nvidia/k8s-device-plugin", "tag": "v0.20.0", "pullPolicy": "IfNotPresent"}
    assert "image" not in _gpu(record_plan).one(RELEASE, "gpu-release").inputs["values"]
    with pytest.raises(Exception, match="operator image 'nvcr.io/nvidia/k8s-device-plugin:latest' must pin a version"):
        _gpu(record_plan, image="nvcr.io/nvidia/k8s-device-plugin:latest")


def _postgres(record_plan, **kw):
    from mlstack.components.onprem.postgres import InClusterPostgres, InClusterPostgresArgs

    def build(opts):
        InClusterPostgres("db", InClusterPostgresArgs(namespace="mlstack-postgres", operator_chart_version="0.27.1",
                                                      postgres_image="ghcr.io/cloudnative-pg/postgresql:16.10", **kw),
                          opts=opts)

    return record_with_provider(record_plan, build)


def test_the_cloudnative_pg_operator_image_is_a_chart_value_when_given(record_plan):
    values = _postgres(record_plan, operator_image=OPERATOR).one(RELEASE, "db-operator").inputs["values"]
    assert values["image"] == {"repository": "ghcr.io/cloudnative-pg/cloudnative-pg", "tag": "1.28.1", "pullPolicy": "IfNotPresent"}
    assert "image" not in _postgres(record_plan).one(RELEASE, "db-operator").inputs["values"]


def test_the_catalogue_pins_them_and_the_plugin_image_follows_the_plugin_version():
    from mlstack.catalog import load_catalog
    from mlstack.engine.plan.platform import device_plugin_image

    cat = load_catalog()
    assert cat.versions.images["nvidia-device-plugin"].ref == PLUGIN
    assert cat.versions.images["cloudnative-pg"].ref == OPERATOR
    assert device_plugin_image(cat, "0.20.0") == PLUGIN
    assert device_plugin_image(cat, "0.19.3") == "nvcr.io/nvidia/k8s-device-plugin:v0.19.3"  # a spec's own version


@pytest.mark.parametrize(("pin", "moved", "message"), [
    ('repository: nvcr.io/nvidia/k8s-device-plugin\n      tag: "v0.20.0"', 'repository: nvcr.io/nvidia/k8s-device-plugin\n      tag: "v0.19.3"',
     r"versions.images.nvidia-device-plugin: tag v0.19.3 is not v0.20.0 \(the chart's\)"),
    ('controller, tag: "1.14.1"', 'controller, tag: "1.13.0"', r"versions.images.karpenter: tag 1.13.0 is not 1.14.1 \(the chart's\)"),
])
def test_an_image_of_another_release_than_its_chart_is_refused(tmp_path, pin, moved, message):
    import shutil

    from mlstack.catalog import DATA_DIR, CatalogError, parse_catalog

    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    versions = data / "versions.yaml"
    assert pin in versions.read_text()
    versions.write_text(versions.read_text().replace(pin, moved))
    with pytest.raises(CatalogError, match=message):
        parse_catalog(data)


def test_the_efa_plugin_image_is_set_from_its_pin():
    from mlstack.components.k8s.efa_support import EfaSupportArgs, efa_values

    ref = "602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/aws-efa-k8s-device-plugin:v0.5.20"
    assert efa_values(EfaSupportArgs(chart_version="v0.5.30", image=ref))["image"] == {
        "repository": "602401143452.dkr.ecr.us-west-2.amazonaws.com/eks/aws-efa-k8s-device-plugin", "tag": "v0.5.20"}
    assert "image" not in efa_values(EfaSupportArgs(chart_version="v0.5.30"))
