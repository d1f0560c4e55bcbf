"""A locked plan references every image by digest, in every Kubernetes object and chart value, on all four example
environments; `mlstack plan` shows the lock's digests; `mlstack lock` prints and checks a lock."""

from __future__ import annotations

import hashlib
import json

import pytest
from example_plans import example_plan

from mlstack.cli import main
from mlstack.engine.deploy import lock as lk
from mlstack.engine.deploy.pinning import plan_images, unpinned
from mlstack.engine.plan.planner import plan_spec
from mlstack.spec import load_spec
from tests.lifecycle.fakes import copy_stacks

TOOLS = {"mlstack": "0.1.0", "pulumi": "3.272.0", "pulumi_cli": "3.272.0"}


def fixture_digest(ref: str) -> str:
    return "sha256:" + hashlib.sha256(ref.encode()).hexdigest()


@pytest.mark.parametrize("env", ["staging", "prod", "gcp-staging", "onprem"])
def test_every_image_of_a_locked_plan_is_by_digest(env):
    from pathlib import Path

    refs = plan_images(example_plan(env))
    assert refs and all("@" not in r for r in refs)
    pins = {r: fixture_digest(r) for r in refs}
    locked = example_plan(env, pins)
    assert unpinned(locked) == []
    assert plan_images(locked) == sorted(f"{r}@{pins[r]}" for r in refs)


def test_plan_shows_the_locked_digests(tmp_path, capsys):
    stacks = copy_stacks(tmp_path)
    spec = load_spec("onprem", stacks)
    refs = plan_images(plan_spec(spec))
    lk.write_lock(lk.lock_path("onprem", stacks), lk.build_lock(spec, {}, TOOLS, images={r: fixture_digest(r) for r in refs}))
    assert main(["--stacks-dir", str(stacks), "plan", "--env", "onprem", "--format", "json"]) == 0
    text = capsys.readouterr().out
    for ref in refs:
        assert f'"{ref}@{fixture_digest(ref)}"' in text or f'"tag": "{ref.rsplit(":", 1)[1]}@{fixture_digest(ref)}"' in text
    (stacks / "onprem.lock.json").unlink()
    assert main(["--stacks-dir", str(stacks), "plan", "--env", "onprem", "--format", "json"]) == 0
    assert "@sha256:" not in capsys.readouterr().out


def test_a_locked_plan_loads_its_spec_once(tmp_path, capsys, monkeypatch):
    # The lock's project check reads the spec the plan loaded; it used to load and validate the spec again.
    import mlstack.spec as spec_module

    stacks = copy_stacks(tmp_path)
    spec = load_spec("onprem", stacks)
    lk.write_lock(lk.lock_path("onprem", stacks), lk.build_lock(spec, {}, TOOLS))
    loads = []
    real = spec_module.load_spec_file
    monkeypatch.setattr(spec_module, "load_spec_file", lambda *a, **k: loads.append(a) or real(*a, **k))
    assert main(["--stacks-dir", str(stacks), "plan", "--env", "onprem", "--format", "json"]) == 0
    assert len(loads) == 1 and json.loads(capsys.readouterr().out)["env"] == "onprem"
    lk.write_lock(lk.lock_path("onprem", stacks), {**lk.build_lock(spec, {}, TOOLS), "project": "other"})
    assert main(["--stacks-dir", str(stacks), "plan", "--env", "onprem"]) == 2
    assert capsys.readouterr().err == (
        f"error: {lk.lock_path('onprem', stacks)} is the lock of project 'other' env 'onprem', not of project "
        f"{spec.project!r} env 'onprem': it was copied from elsewhere; delete it or restore the right one\n")


def test_lock_prints_digest_and_contents_and_checks_the_spec(tmp_path, capsys):
    stacks = copy_stacks(tmp_path)
    run = lambda *a: main(["--stacks-dir", str(stacks), *a])  # noqa: E731
    assert run("lock", "--env", "staging") == 2
    assert "staging.lock.json does not exist: `mlstack up --env staging` writes it" in capsys.readouterr().err
    spec = load_spec("staging", stacks)
    platform = {key: "v1" for key in example_plan("staging").outputs["platform_versions"]}  # what `up` records
    lock = lk.build_lock(spec, {}, TOOLS, platform=platform)
    path = lk.lock_path("staging", stacks)
    lk.write_lock(path, lock)
    assert run("lock", "--env", "staging") == 0
    out = capsys.readouterr().out
    first, rest = out.split("\n", 1)
    assert first == f"{path}: {lk.lock_digest(lock)}" and json.loads(rest) == lock
    without_outputs = {k: v for k, v in lock.items() if k != "outputs"}
    assert lk.lock_digest(lock) == "sha256:" + hashlib.sha256(lk.render_lock(without_outputs).encode()).hexdigest()
    assert lk.lock_digest({**lock, "outputs": {"x": "y"}}) == lk.lock_digest(lock)  # known before the deploy
    assert run("lock", "--env", "staging", "--check") == 0
    assert capsys.readouterr().out == (f"{path}: {lk.lock_digest(lock)} matches stacks/staging.yaml (spec {lock['spec_digest']}; "
                                       "8 cloud version(s), which `up --locked` checks with the cloud)\n")
    base = stacks / "base.yaml"
    base.write_text(base.read_text().replace('postgres: "16"', 'postgres: "17"'))
    assert run("lock", "--env", "staging", "--check") == 3
    err = capsys.readouterr().err
    assert f"{path} no longer matches stacks/staging.yaml:\n  spec digest: lock {lock['spec_digest']}, now sha256:" in err
    assert err.endswith("  versions.postgres: lock 16, now 17\n")


def test_diff_between_environments_shows_digest_drift(tmp_path, capsys):
    stacks = copy_stacks(tmp_path)
    ref = "ghcr.io/mlflow/mlflow:v3.15.2-full"
    for env, digest in (("staging", "sha256:" + "1" * 64), ("prod", "sha256:" + "2" * 64)):
        lk.write_lock(lk.lock_path(env, stacks), lk.build_lock(load_spec(env, stacks), {}, TOOLS, images={ref: digest}))
    assert main(["--stacks-dir", str(stacks), "diff", "--env", "staging", "--env", "prod", "--format", "json"]) == 0
    (entry,) = json.loads(capsys.readouterr().out)["envs"]
    assert entry["version_drift"][f"image {ref}"] == {"staging": "sha256:" + "1" * 64, "prod": "sha256:" + "2" * 64}


def test_each_team_namespace_gets_the_environment_stamp():
    from pathlib import Path

    spec = load_spec("onprem", Path(__file__).resolve().parents[2] / "stacks")
    refs = plan_images(plan_spec(spec))
    pins = {r: fixture_digest(r) for r in refs}
    plan = plan_spec(spec, pins)
    maps = {r.inputs["metadata"]["namespace"]: r.inputs for r in plan.of_type("kubernetes:core/v1:ConfigMap")
            if r.inputs["metadata"]["name"] == "mlstack-environment"}
    assert sorted(maps) == sorted([*spec.teams, "mlstack-system"])  # the verify Job's namespace too
    data = maps[sorted(spec.teams)[0]]["data"]
    assert (data["MLSTACK_PROJECT"], data["MLSTACK_ENV"]) == ("acme-ml", "onprem")
    assert json.loads(data["MLSTACK_VERSIONS"])["kubernetes"] == "1.36"
    assert json.loads(data["MLSTACK_IMAGE_DIGESTS"]) == pins


#: Where each chart mlstack installs takes the images it deploys (its values.yaml at the pinned version): every one
#: must be set by mlstack, so that the plan names it and a lock pins it by digest.
CHART_IMAGE_VALUES = {
    "cluster-autoscaler": ["image"],
    "nvidia-device-plugin": ["image"],  # the plugin, and GFD/MPS when on (same image)
    "cloudnative-pg": ["image"],  # also the operator's OPERATOR_IMAGE_NAME
    "kueue": ["controllerManager.manager.image"],
    "jobset": ["image"],
    "kubeflow-trainer": ["image"],  # {registry, repository, tag}
    "nfs-subdir-external-provisioner": ["image"],
    # In EKS's own ECR account: its digest is read with the credentials `docker login` stored (oci.docker_auth).
    "aws-efa-k8s-device-plugin": ["image"],
    "dcgm-exporter": ["image"],
    "aws-fsx-csi-driver": ["image", *(f"sidecars.{s}.image" for s in ("livenessProbe", "nodeDriverRegistrar", "provisioner", "resizer"))],
    # The chart's own digest is cleared (digest: ""), so the chart joins repository:tag and the lock's digest is
    # in the tag (a chart digest as well would give two).
    "oci://public.ecr.aws/karpenter/karpenter": ["controller.image"],
    "kuberay-operator": ["image"],  # opt-in (workloads.kuberay)
    "aws-load-balancer-controller": ["image"],  # opt-in (tracking.access ingress of class alb, on AWS)
    # On-prem opt-in (cluster.gpu_operator): {repository, image, version} maps, locked as version "<tag>@<digest>";
    # the driver's tag is its version with the nodes' OS (cluster.gpu_node_os). Plus the bundled NFD subchart.
    # Its DCGM exporter is off: the platform's own (dcgm-exporter above) runs on every target.
    "gpu-operator": ["operator", "validator", "driver", "driver.manager", "toolkit", "devicePlugin", "gfd",
                     "migManager", "node-feature-discovery.image"],
    # Only where a pool has Neuron devices; the device plugin is the one image it deploys (scheduler off).
    "oci://public.ecr.aws/neuron/neuron-helm-chart": ["devicePlugin.image"],
}
#: Charts that run images no lock pins, and why (docs/lifecycle.md, Lock files): none since issue 16.
CHART_IMAGES_NOT_LOCKED: dict[str, str] = {}


def _at(values: dict, path: str):
    for key in path.split("."):
        values = values[key]
    return values


@pytest.mark.parametrize("env", ["staging", "prod", "gcp-staging", "onprem"])
def test_every_image_a_chart_deploys_is_set_and_locked(env):
    from pathlib import Path

    spec = load_spec(env, Path(__file__).resolve().parents[2] / "stacks")
    pins = {r: fixture_digest(r) for r in plan_images(plan_spec(spec))}
    locked = plan_spec(spec, pins)
    releases = locked.of_type("kubernetes:helm.sh/v3:Release")
    assert releases
    for release in releases:
        chart = release.inputs["chart"]
        assert chart in CHART_IMAGE_VALUES, f"{chart}: where does it take its images?"
        _assert_locked(release, pins)


def _assert_locked(release, pins):
    from mlstack.engine.plan.pins import chart_image_ref

    chart = release.inputs["chart"]
    for path in CHART_IMAGE_VALUES[chart]:
        value = _at(release.inputs["values"], path)
        # The reference the chart (or the GPU operator) joins from the locked map: "<ref>@<digest>".
        ref, _, digest = (chart_image_ref(value) or "").partition("@")
        assert ref in pins and digest == pins[ref], (chart, path, value)
        assert value.get("digest", "") == "", (chart, path, value)  # no second digest from the chart


#: Opt-ins that bring charts the example plans do not install: on-prem's GPU operator and KubeRay, and on AWS the
#: Load Balancer Controller an alb Ingress for the tracking server needs.
OPT_INS = [
    ("onprem", "cluster: {gpu_operator: true, gpu_node_os: ubuntu24.04}\nworkloads: {kuberay: true}",
     {"gpu-operator", "kuberay-operator"}),
    ("staging", "tracking: {access: {mode: ingress, source_cidrs: [10.0.0.0/8], host: mlflow.ml.acme.internal, "
                "tls_secret: mlflow-tls}}", {"aws-load-balancer-controller"}),
]


@pytest.mark.parametrize(("env", "extra", "opted"), OPT_INS)
def test_charts_outside_the_examples_are_locked_or_listed(tmp_path, env, extra, opted):
    from stack_text import with_sections

    stacks = copy_stacks(tmp_path)
    path = stacks / f"{env}.yaml"
    path.write_text(with_sections(path.read_text(), extra))
    spec = load_spec(env, stacks)
    pins = {r: fixture_digest(r) for r in plan_images(plan_spec(spec))}
    charts = {}
    for release in plan_spec(spec, pins).of_type("kubernetes:helm.sh/v3:Release"):
        charts[release.inputs["chart"]] = release
        if release.inputs["chart"] in CHART_IMAGE_VALUES:
            _assert_locked(release, pins)
    assert opted <= set(charts)
    assert set(charts) <= set(CHART_IMAGE_VALUES) | set(CHART_IMAGES_NOT_LOCKED)
    assert not set(CHART_IMAGE_VALUES) & set(CHART_IMAGES_NOT_LOCKED)


def test_chart_image_maps_with_a_registry_key_are_locked_too():
    from mlstack.engine.plan.pins import chart_image_ref, rewrite

    value = {"registry": "ghcr.io", "repository": "kubeflow/trainer/trainer-controller-manager", "tag": "v2.3.0"}
    ref = "ghcr.io/kubeflow/trainer/trainer-controller-manager:v2.3.0"
    assert chart_image_ref(value) == ref
    assert rewrite({"image": value}, {ref: "sha256:" + "c" * 64}) == {"image": {**value, "tag": "v2.3.0@sha256:" + "c" * 64}}
    assert chart_image_ref({"repository": "nginx", "tag": "1.27"}) is None  # no registry host: not an image map here
    assert chart_image_ref({"repository": "nvcr.io/nvidia/k8s-device-plugin", "tag": ""}) is None


def test_the_load_balancer_controllers_image_is_locked(tmp_path):
    """Staging with MLflow behind an internal ALB: the controller's chart is locked like every other."""
    from stack_text import with_sections

    stacks = copy_stacks(tmp_path)
    staging = stacks / "staging.yaml"
    staging.write_text(with_sections(staging.read_text(), json.dumps({"tracking": {"access": {
        "mode": "ingress", "source_cidrs": ["10.0.0.0/8"], "host": "mlflow.ml.acme.internal", "tls_secret": "mlflow-tls"}}})))
    spec = load_spec("staging", stacks)
    pins = {r: fixture_digest(r) for r in plan_images(plan_spec(spec))}
    assert "public.ecr.aws/eks/aws-load-balancer-controller:v3.5.0" in pins
    (release,) = [r for r in plan_spec(spec, pins).of_type("kubernetes:helm.sh/v3:Release")
                  if r.inputs["chart"] == "aws-load-balancer-controller"]
    _assert_locked(release, pins)


def _opted_plans(tmp_path, env: str, extra: str):
    """The unlocked plan of ``env`` with ``extra`` sections, its image references and the plan locked to them."""
    from stack_text import with_sections

    stacks = copy_stacks(tmp_path)
    path = stacks / f"{env}.yaml"
    path.write_text(with_sections(path.read_text(), extra))
    spec = load_spec(env, stacks)
    refs = plan_images(plan_spec(spec))
    return refs, plan_spec(spec, {r: fixture_digest(r) for r in refs})


#: The GPU operator's images at chart v26.7.0 with mlstack's values, by chart value (the catalogue's facts).
GPU_OPERATOR_IMAGES = {
    "operator": ("nvcr.io/nvidia", "gpu-operator", "v26.7.0"),
    "validator": ("nvcr.io/nvidia", "gpu-operator", "v26.7.0"),
    "driver": ("nvcr.io/nvidia", "driver", "595.91.07-ubuntu22.04"),
    "driver.manager": ("nvcr.io/nvidia/cloud-native", "k8s-driver-manager", "v0.12.0"),
    "toolkit": ("nvcr.io/nvidia/k8s", "container-toolkit", "v1.20.0"),
    "devicePlugin": ("nvcr.io/nvidia", "k8s-device-plugin", "v0.20.0"),
    "gfd": ("nvcr.io/nvidia", "k8s-device-plugin", "v0.20.0"),
    "migManager": ("nvcr.io/nvidia/cloud-native", "k8s-mig-manager", "v0.15.0"),
}


def test_the_gpu_operator_and_each_operand_it_deploys_are_locked(tmp_path):
    """On-prem with the GPU operator on Ubuntu 22.04 nodes: the plan names the operator's and every deployed
    operand's image (the driver's per-OS tag, which the operator pulls), and a locked plan gives each chart value
    ``version: "<tag>@<digest>"``: the operator joins ``repository/image:version`` and, the version holding a
    digest, appends no OS to the driver's."""
    refs, locked = _opted_plans(tmp_path, "onprem", "cluster: {gpu_operator: true, gpu_node_os: ubuntu22.04}")
    operator_refs = {f"{r}/{i}:{v}" for r, i, v in GPU_OPERATOR_IMAGES.values()}
    nfd = "registry.k8s.io/nfd/node-feature-discovery:v0.19.0"
    assert operator_refs | {nfd} <= set(refs)
    assert not [r for r in refs if "nvcr.io/nvidia/driver" in r and r != "nvcr.io/nvidia/driver:595.91.07-ubuntu22.04"]
    (release,) = [r for r in locked.of_type("kubernetes:helm.sh/v3:Release") if r.inputs["chart"] == "gpu-operator"]
    values = release.inputs["values"]
    for path, (repository, image, tag) in GPU_OPERATOR_IMAGES.items():
        ref = f"{repository}/{image}:{tag}"
        assert {k: _at(values, path)[k] for k in ("repository", "image", "version")} == {
            "repository": repository, "image": image, "version": f"{tag}@{fixture_digest(ref)}"}, path
    assert values["driver"]["enabled"] is True and values["driver"]["mlstackOsTag"] == "ubuntu22.04"
    # One DCGM exporter per GPU node, the platform's: the operator's is off, so neither named nor locked.
    assert values["dcgmExporter"] == {"enabled": False}
    assert [r for r in refs if "/dcgm-exporter:" in r] == ["nvcr.io/nvidia/k8s/dcgm-exporter:4.5.3-4.8.2-distroless"]
    assert values["node-feature-discovery"]["image"] == {
        "repository": "registry.k8s.io/nfd/node-feature-discovery", "tag": f"v0.19.0@{fixture_digest(nfd)}",
        "pullPolicy": "IfNotPresent"}
    assert [r for r in plan_images(locked) if r.startswith("nvcr.io/nvidia/driver")] == [
        f"nvcr.io/nvidia/driver:595.91.07-ubuntu22.04@{fixture_digest('nvcr.io/nvidia/driver:595.91.07-ubuntu22.04')}"]
    assert unpinned(locked) == []


def test_the_gpu_operator_without_the_driver_names_no_driver_image(record_plan):
    """``install_driver`` off (the component's default): no driver DaemonSet, so no driver image to name or lock."""
    from k8s_checks import record_with_provider

    from mlstack.components.k8s.gpu_support import GpuSupport, GpuSupportArgs

    images = {path: f"{r}/{i}:{v}" for path, (r, i, v) in GPU_OPERATOR_IMAGES.items()}
    images["driver"] = "nvcr.io/nvidia/driver:595.91.07"
    args = GpuSupportArgs(chart_version="v26.7.0", gpu_operator=True, operator_images=images)
    plan = record_with_provider(record_plan, lambda o: GpuSupport("g", args, o))
    refs = plan_images(plan)
    assert not [r for r in refs if "/driver:" in r]
    assert plan.one("kubernetes:helm.sh/v3:Release", "g-release").inputs["values"]["driver"] == {
        "enabled": False, "manager": {"repository": "nvcr.io/nvidia/cloud-native", "image": "k8s-driver-manager",
                                      "version": "v0.12.0"}}


TRAINIUM_POOL = "  trn:\n    accelerator: aws-trainium\n    gpus_per_node: 16\n    max: 1\n"


def test_the_neuron_device_plugin_is_locked(tmp_path):
    """Staging with a Trainium pool: the Neuron chart's device plugin image (chart 1.10.0's own tag) is set, named
    and locked; the chart's scheduler extension is off, so its image is not."""
    stacks = copy_stacks(tmp_path)
    path = stacks / "staging.yaml"
    path.write_text(path.read_text().replace("  a100:\n", TRAINIUM_POOL + "  a100:\n", 1))
    spec = load_spec("staging", stacks)
    refs = plan_images(plan_spec(spec))
    ref = "public.ecr.aws/neuron/neuron-device-plugin:2.32.0.0"
    assert ref in refs and not [r for r in refs if "neuron-scheduler" in r]
    locked = plan_spec(spec, {r: fixture_digest(r) for r in refs})
    (release,) = [r for r in locked.of_type("kubernetes:helm.sh/v3:Release")
                  if r.inputs["chart"] == "oci://public.ecr.aws/neuron/neuron-helm-chart"]
    assert release.inputs["values"] == {"npd": {"enabled": False}, "devicePlugin": {"image": {
        "repository": "public.ecr.aws/neuron/neuron-device-plugin", "tag": f"2.32.0.0@{fixture_digest(ref)}",
        "pullPolicy": "IfNotPresent"}}}
    _assert_locked(release, {r: fixture_digest(r) for r in refs})


def test_gpu_operator_image_maps_are_joined_as_the_operator_does():
    """``repository/image:version``; the driver's with ``-<OS>`` unless its version holds a digest (then as it is);
    a bare ``sha256:`` version (the operator's own digest form) as ``repository/image@sha256:…``."""
    from mlstack.engine.plan.pins import chart_image_ref, rewrite

    d = "sha256:" + "d" * 64
    driver = {"repository": "nvcr.io/nvidia", "image": "driver", "version": "595.91.07", "mlstackOsTag": "rhel9"}
    assert chart_image_ref(driver) == "nvcr.io/nvidia/driver:595.91.07-rhel9"
    locked = rewrite({"driver": driver}, {"nvcr.io/nvidia/driver:595.91.07-rhel9": d})["driver"]
    assert locked == {**driver, "version": f"595.91.07-rhel9@{d}"}
    assert chart_image_ref(locked) == f"nvcr.io/nvidia/driver:595.91.07-rhel9@{d}"
    assert chart_image_ref({"repository": "nvcr.io/nvidia", "image": "gpu-operator", "version": d}) == f"nvcr.io/nvidia/gpu-operator@{d}"
    assert chart_image_ref({"repository": "nvcr.io/nvidia", "image": "gpu-operator", "version": ""}) is None
    assert chart_image_ref({"repository": "gpu-operator", "image": "x", "version": "v1"}) is None  # no registry host
