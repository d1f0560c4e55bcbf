"""The Cluster Autoscaler per Kubernetes minor: one catalogue image per minor EKS supports, of that minor."""

from __future__ import annotations

import shutil

import pytest

from mlstack.catalog import DATA_DIR, CatalogError, load_catalog, parse_catalog


@pytest.fixture(scope="module")
def cat():
    return load_catalog()


def test_the_cluster_autoscaler_clouds_have_one_image_per_minor(cat):
    # CA simulates the scheduler of the minor it was built for: the loader refuses a missing or wrong one (below);
    # here, which clouds it applies to (GKE scales its node pools itself) and where the images come from.
    assert cat.cluster_autoscaler == ["aws"]
    assert {cat.versions.images[f"cluster-autoscaler-{m}"].repository for m in cat.kubernetes_support["aws"]} == {
        "registry.k8s.io/autoscaling/cluster-autoscaler"}


def test_a_minor_without_its_autoscaler_or_with_another_release_is_refused(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    versions = data / "versions.yaml"
    text = versions.read_text()
    versions.write_text(text.replace('tag: "v1.36.1"', 'tag: "v1.35.2"', 1).replace("cluster-autoscaler-1.34:", "cluster-autoscaler-1.31:"))
    with pytest.raises(CatalogError) as err:
        parse_catalog(data)
    assert "versions.images: no cluster-autoscaler-1.34 for kubernetes_support.aws.1.34" in str(err.value)
    assert "versions.images.cluster-autoscaler-1.36: tag v1.35.2 is not a 1.36 release" in str(err.value)
