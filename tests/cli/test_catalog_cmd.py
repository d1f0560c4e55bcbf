"""`mlstack catalog`: what the catalogue knows per topic, cloud and region, each fact with its date and source."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from mlstack.catalog import DATA_DIR, load_catalog
from mlstack.cli import main


@pytest.fixture(scope="module")
def cat():
    return load_catalog()


def _json(capsys, *argv: str) -> dict:
    code = main(["catalog", *argv, "--format", "json"])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    return json.loads(out)


def test_every_top_level_key_knows_its_file_date_and_sources(cat):
    import yaml

    for key, origin in cat.origins.items():
        doc = yaml.safe_load((DATA_DIR / origin.file).read_text())
        assert key in doc, (key, origin.file)
        assert origin.as_of == doc["as_of"]
        assert [s.url for s in origin.sources] == [s["url"] for s in doc["sources"]]
    assert cat.origins["accelerators"].file == "accelerators.yaml"
    assert cat.origins["availability_zones"].file == "regions.yaml"


def test_accelerator_offers_per_cloud_with_their_date_and_source(capsys, cat):
    data = _json(capsys, "accelerators", "--cloud", "aws")
    assert (data["topic"], data["cloud"], data["region"], data["as_of"]) == ("accelerators", "aws", None, cat.as_of)
    a100 = [r for r in data["rows"] if r["accelerator"] == "nvidia-a100-80gb"]
    offers = sorted(cat.accelerators["nvidia-a100-80gb"].offers["aws"], key=lambda o: o.count)
    assert [(r["machine_type"], r["count"], r["vcpus"], r["memory_gib"]) for r in a100] == [
        (o.machine_type, o.count, o.vcpus, o.memory_gib) for o in offers]
    row = a100[0]
    assert row["cloud"] == "aws" and row["kind"] == "gpu"
    assert row["multi_node"] is (cat.efa_interfaces(row["machine_type"]) > 0)
    assert row["priced_regions"] == sorted(cat.prices.machines["aws"][row["machine_type"]])
    assert (row["checked"], row["source"]) == (cat.origins["accelerators"].as_of, "accelerators.yaml")
    assert {r["cloud"] for r in data["rows"]} == {"aws"}
    assert data["sources"]["accelerators.yaml"]["sources"][0] == cat.origins["accelerators"].sources[0].model_dump()


def test_a_region_narrows_to_its_cloud_and_shows_its_prices(capsys, cat):
    data = _json(capsys, "accelerators", "--region", "us-central1")
    assert {r["cloud"] for r in data["rows"]} == {"gcp"}
    l4 = next(r for r in data["rows"] if r["machine_type"] == "g2-standard-4")
    assert l4["on_demand_hourly"] == cat.price("gcp", "g2-standard-4", "us-central1")
    assert l4["spot_hourly"] == cat.price("gcp", "g2-standard-4", "us-central1", spot=True)
    assert l4["prices_checked"] == cat.prices.as_of
    assert "priced_regions" not in l4


def test_text_is_a_table_with_dates_and_the_files_sources(capsys, cat):
    assert main(["catalog", "accelerators", "--cloud", "aws", "--region", "us-west-2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"mlstack catalogue, accelerators (aws, us-west-2); the oldest fact is from {cat.as_of}"
    assert [c.strip() for c in out[2].split("  ") if c.strip()] == [
        "ACCELERATOR", "KIND", "CLOUD", "MACHINE TYPE", "COUNT", "VCPUS", "MEMORY GIB", "MULTI-NODE", "USD/H",
        "SPOT USD/H", "CHECKED", "SOURCE"]
    p5e = next(line for line in out if " p5e.48xlarge " in line).split()
    assert p5e[:8] == ["nvidia-h200", "gpu", "aws", "p5e.48xlarge", "8", "192", "2048", "yes"]
    # p5e has no spot estimate in the price table: said, not guessed.
    assert p5e[8:] == [f"{cat.price('aws', 'p5e.48xlarge', 'us-west-2'):.4f}", "no", "price",
                       cat.origins["accelerators"].as_of, "accelerators.yaml"]
    assert "sources of the files above:" in out
    src = cat.origins["accelerators"].sources[0]
    assert f"    {src.title}: {src.url} (retrieved {src.retrieved})" in out


def test_machines_list_cpu_types_and_accelerator_machines(capsys, cat):
    rows = {r["machine_type"]: r for r in _json(capsys, "machines", "--cloud", "aws")["rows"]}
    assert rows["m6i.xlarge"]["system_default"] is True and rows["m6i.xlarge"]["accelerator"] is None
    assert (rows["m6i.xlarge"]["checked"], rows["m6i.xlarge"]["source"]) == (cat.origins["machines"].as_of, "machines.yaml")
    assert (rows["p4de.24xlarge"]["accelerator"], rows["p4de.24xlarge"]["count"]) == ("nvidia-a100-80gb", 8)
    assert rows["p4de.24xlarge"]["source"] == "accelerators.yaml"
    assert set(cat.machines["aws"]) <= set(rows)
    assert not any(name.startswith(("n1-", "g2-")) for name in rows)


def test_tpus_in_a_region_with_their_zones(capsys, cat):
    rows = _json(capsys, "tpus", "--region", "us-east5")["rows"]
    assert sorted({r["accelerator"] for r in rows}) == sorted(n for n, g in cat.tpus.items() if "us-east5" in g.regions)
    v6e = next(r for r in rows if r["accelerator"] == "tpu-v6e" and r["topology"] == "4x4")
    assert v6e["zones"] == {"us-east5": cat.tpus["tpu-v6e"].regions["us-east5"]}
    assert (v6e["chips"], v6e["nodes"], v6e["multi_host"], v6e["machine_type"]) == (16, 4, True, "ct6e-standard-4t")
    assert _json(capsys, "tpus", "--cloud", "aws")["rows"] == []


def test_regions_one_row_per_fact(capsys, cat):
    rows = _json(capsys, "regions")["rows"]
    facts = {(r["cloud"], r["region"], r["fact"]): r for r in rows}
    west1 = facts[("aws", "us-west-1", "availability_zones")]
    assert (west1["value"], west1["checked"], west1["source"]) == (2, cat.origins["availability_zones"].as_of, "regions.yaml")
    priced = facts[("aws", "us-west-2", "priced_machines")]
    assert priced["value"] == sorted(m for m, t in cat.prices.machines["aws"].items() if "us-west-2" in t)
    assert priced["source"] == "prices.yaml"
    assert facts[("gcp", "us-east5", "tpu_zones:tpu-v6e")]["value"] == ["us-east5-a", "us-east5-b"]
    assert ("aws", "us-west-1", "priced_machines") not in facts  # no prices there: not claimed


def test_versions_with_their_checked_dates_and_support_windows(capsys, cat):
    rows = _json(capsys, "versions", "--cloud", "gcp")["rows"]
    by = {r["what"]: r for r in rows}
    k8s = by["kubernetes"]
    assert (k8s["version"], k8s["checked"], k8s["source"]) == (
        cat.versions.kubernetes, cat.versions.provenance["kubernetes"].checked, cat.versions.provenance["kubernetes"].source)
    chart = cat.versions.charts["nvidia-device-plugin"]
    assert by["chart:nvidia-device-plugin"] == {"what": "chart:nvidia-device-plugin", "version": chart.version,
                                                "newest_known": chart.newest_known, "checked": chart.checked,
                                                "source": chart.source}
    windows = [r for r in rows if r["what"].startswith("kubernetes_support:")]
    assert [r["version"] for r in windows] == sorted(cat.kubernetes_support["gcp"], key=lambda m: int(m.split(".")[1]))
    assert {r["cloud"] for r in windows} == {"gcp"}
    w = cat.kubernetes_support["gcp"]["1.36"]
    assert by["kubernetes_support:gcp:1.36"]["estimated"] is w.estimated is True


def test_versions_text_has_both_tables(capsys, cat):
    assert main(["catalog", "versions", "--cloud", "aws"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[2].split()[:3] == ["PIN", "VERSION", "NEWEST"]
    w = cat.kubernetes_support["aws"]["1.35"]
    line = next(x for x in out if x.startswith("aws ") and " 1.35 " in x).split()
    assert line[:6] == ["aws", "1.35", w.released, w.end_of_standard_support, w.end_of_extended_support, "no"]


def test_an_unknown_region_is_a_usage_error_with_the_closest(capsys):
    assert main(["catalog", "machines", "--region", "us-wst-2"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("error: the catalogue has no facts about region 'us-wst-2' on aws or gcp. "
                          "Did you mean 'us-west-2'? Regions it knows: ")
    assert main(["catalog", "tpus", "--cloud", "aws", "--region", "us-central1"]) == 2
    assert "no facts about region 'us-central1' on aws." in capsys.readouterr().err


def test_an_unknown_cloud_or_topic_is_a_usage_error(capsys):
    assert main(["catalog", "--cloud", "onprem"]) == 2
    assert capsys.readouterr().err == (
        "error: the catalogue has no cloud 'onprem'; it covers aws, gcp (on-prem nodes exist already: any accelerator "
        "name the catalogue lists works there)\n")
    assert main(["catalog", "gpus"]) == 2
    assert "'gpus' is not one of: accelerators, machines, tpus, regions, versions" in capsys.readouterr().err


def test_catalog_imports_no_cloud_sdk():
    code = ("import sys; from mlstack.cli import main; main(['catalog', 'machines', '--format', 'json']); "
            "print(sorted(m for m in sys.modules if m.startswith('pulumi')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
