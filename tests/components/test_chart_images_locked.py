"""The images of the charts issue 15 added are set from the catalogue (so a plan names them and a lock pins them by
digest): the DCGM exporter's, the FSx CSI driver's and its four sidecars', Karpenter's controller (with the chart's
own digest cleared). Without an image each chart keeps its default."""

from __future__ import annotations

import pulumi
import pytest
from k8s_checks import record_with_provider

from mlstack.catalog import load_catalog

RELEASE = "kubernetes:helm.sh/v3:Release"
DCGM = "nvcr.io/nvidia/k8s/dcgm-exporter:4.5.3-4.8.2-distroless"
FSX = {
    "image": "public.ecr.aws/fsx-csi-driver/aws-fsx-csi-driver:v1.9.0",
    "liveness_probe_image": "public.ecr.aws/csi-components/livenessprobe:v2.18.0-eksbuild.3",
    "node_driver_registrar_image": "public.ecr.aws/csi-components/csi-node-driver-registrar:v2.16.0-eksbuild.3",
    "provisioner_image": "public.ecr.aws/csi-components/csi-provisioner:v6.2.0-eksbuild.2",
    "resizer_image": "public.ecr.aws/csi-components/csi-resizer:v2.1.0-eksbuild.3",
}
KARPENTER = "public.ecr.aws/karpenter/controller:1.14.1"


def _map(ref: str) -> dict[str, str]:
    repository, _, tag = ref.rpartition(":")
    return {"repository": repository, "tag": tag, "pullPolicy": "IfNotPresent"}


def test_the_catalogue_pins_the_chart_default_images():
    images = load_catalog().versions.images
    assert images["dcgm-exporter"].ref == DCGM
    assert [images[k].ref for k in ("aws-fsx-csi-driver", "fsx-csi-livenessprobe", "fsx-csi-node-driver-registrar",
                                    "fsx-csi-provisioner", "fsx-csi-resizer")] == list(FSX.values())
    assert images["karpenter"].ref == KARPENTER
    assert all(images[k].checked == "2026-12-02" and images[k].source for k in ("dcgm-exporter", "karpenter", "fsx-csi-resizer"))


def test_the_dcgm_exporter_image_is_a_chart_value_when_given(record_plan):
    from mlstack.components.k8s.gpu_telemetry import GpuTelemetry, GpuTelemetryArgs

    def values(**kw):
        plan = record_with_provider(record_plan, lambda o: GpuTelemetry("t", GpuTelemetryArgs(chart_version="4.8.2", **kw), o))
        return plan.one(RELEASE, "t-release").inputs["values"]

    assert values(image=DCGM)["image"] == _map(DCGM)
    assert "image" not in values()


def test_the_fsx_driver_and_sidecar_images_are_chart_values_when_given(record_plan):
    from mlstack.components.aws.lustre_csi_driver import LustreCsiDriver, LustreCsiDriverArgs

    def values(**kw):
        args = LustreCsiDriverArgs(chart_version="1.17.0", **kw)
        return record_with_provider(record_plan, lambda o: LustreCsiDriver("fsx", args, o)).one(RELEASE, "fsx").inputs["values"]

    given = values(**FSX)
    assert given["image"] == _map(FSX["image"])
    assert given["sidecars"] == {
        "livenessProbe": {"image": _map(FSX["liveness_probe_image"])},
        "nodeDriverRegistrar": {"image": _map(FSX["node_driver_registrar_image"])},
        "provisioner": {"image": _map(FSX["provisioner_image"])},
        "resizer": {"image": _map(FSX["resizer_image"])},
    }
    assert given["node"] == {"tolerateAllTaints": True}
    assert "image" not in values() and "sidecars" not in values()
    assert values(resizer_image=FSX["resizer_image"])["sidecars"] == {"resizer": {"image": _map(FSX["resizer_image"])}}


def test_the_karpenter_controller_image_clears_the_charts_digest(record_plan):
    import pulumi_kubernetes as k8s

    from mlstack.components.aws.karpenter import Karpenter, KarpenterArgs
    from mlstack.engine.plan.model import plan_program

    def controller(**kw):
        def program():
            provider = k8s.Provider("k", kubeconfig="{}")
            Karpenter("kp", KarpenterArgs(cluster_name="c", oidc_provider_arn="arn:aws:iam::1:oidc-provider/x",
                                          oidc_provider_url="x", chart_version="1.14.1", **kw),
                      opts=pulumi.ResourceOptions(providers=[provider]))

        return plan_program(program, project="p", env="test", region="us-west-2").one(RELEASE, "kp").inputs["values"]["controller"]

    assert controller(image=KARPENTER)["image"] == {"repository": "public.ecr.aws/karpenter/controller", "tag": "1.14.1", "digest": ""}
    assert "image" not in controller()  # the chart's own image and digest
    with pytest.raises(Exception, match="operator image 'public.ecr.aws/karpenter/controller' must be 'repository:tag'"):
        controller(image="public.ecr.aws/karpenter/controller")


def test_a_lock_puts_the_digest_in_the_tag_of_each():
    from mlstack.engine.plan.pins import rewrite

    digest = "sha256:" + "d" * 64
    value = {"repository": "public.ecr.aws/karpenter/controller", "tag": "1.14.1", "digest": ""}
    assert rewrite({"controller": {"image": value}}, {KARPENTER: digest}) == {
        "controller": {"image": {**value, "tag": f"1.14.1@{digest}"}}}
    sidecar = _map(FSX["resizer_image"])
    assert rewrite({"sidecars": {"resizer": {"image": sidecar}}}, {FSX["resizer_image"]: digest}) == {
        "sidecars": {"resizer": {"image": {**sidecar, "tag": f"v2.1.0-eksbuild.3@{digest}"}}}}
