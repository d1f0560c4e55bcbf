"""The catalogue's interconnect table: EFA interfaces and GCP placement/gVNIC per machine type, cross-checked."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mlstack.catalog import DATA_DIR, CatalogError, load_catalog, parse_catalog


def test_lookups():
    cat = load_catalog()
    assert [cat.efa_interfaces(m) for m in ("p4de.24xlarge", "p5.48xlarge", "trn1.32xlarge", "g6.xlarge")] == [4, 32, 8, 0]
    assert cat.multi_node_capable("aws", "p5.48xlarge") and not cat.multi_node_capable("aws", "m6i.xlarge")
    assert cat.gcp_networking("a3-highgpu-8g").model_dump() == {"compact_placement": True, "gvnic": True}
    assert not cat.multi_node_capable("gcp", "n1-standard-8") and not cat.multi_node_capable("onprem", "x")


def test_a_machine_no_accelerator_offers_is_refused(tmp_path: Path):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    path = data / "interconnect.yaml"
    path.write_text(path.read_text().replace("p5.48xlarge: {efa_interfaces: 32}", "p9.48xlarge: {efa_interfaces: 32}"))
    with pytest.raises(CatalogError, match="interconnect.aws.p9.48xlarge: not a machine type any accelerator offers on aws"):
        parse_catalog(data)
