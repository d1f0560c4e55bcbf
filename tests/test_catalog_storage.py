"""The catalogue's storage facts: Lustre sizes per throughput tier and prices, Filestore tiers and ZONAL's two ranges."""

from __future__ import annotations

import pytest

from mlstack.catalog import load_catalog


@pytest.fixture(scope="module")
def cat():
    return load_catalog()


def test_filestore_minimums(cat):
    mins = {name: t.min_capacity_gib for name, t in cat.filestore_tiers.items()}
    assert mins == {"BASIC_HDD": 1024, "BASIC_SSD": 2560, "ZONAL": 1024, "REGIONAL": 100, "ENTERPRISE": 1024}
    assert cat.filestore_tiers["ZONAL"].max_capacity_gib == 102400


def test_lustre_sizes_steps_and_prices(cat):
    from mlstack.catalog.storage import describe_sizes, nearest_size, valid_size

    fsx = cat.lustre["aws-fsx-persistent-2"]
    assert (fsx.deployment_type, fsx.throughputs_mb_s_per_tib, fsx.default_throughput_mb_s_per_tib) == (
        "PERSISTENT_2", [125, 250, 500, 1000], 250)
    ranges = fsx.tier(250).ranges
    assert [s for s in (1200, 2400, 3600, 4800, 100800, 103200) if valid_size(ranges, s)] == [1200, 2400, 4800, 100800]
    assert describe_sizes(ranges) == "1200 GiB, or 2400 to 100800 GiB in steps of 2400 GiB"
    assert [nearest_size(ranges, s) for s in (100, 1700, 1900, 3600, 200000)] == [1200, 1200, 2400, 4800, 100800]
    assert {t: fsx.tier(t).price_gib_month for t in fsx.throughputs_mb_s_per_tib} == {125: 0.145, 250: 0.21, 500: 0.34, 1000: 0.6}
    gcp = cat.lustre["gcp-managed-lustre"]
    assert {t: (gcp.tier(t).ranges[0].min_gib, gcp.tier(t).ranges[-1].max_gib) for t in gcp.throughputs_mb_s_per_tib} == {
        125: (72000, 12240000), 250: (36000, 40032000), 500: (18000, 20016000), 1000: (9000, 10008000)}
    assert [(r.min_gib, r.max_gib, r.step_gib) for r in gcp.tier(1000).ranges] == [(9000, 1530000, 9000), (1584000, 10008000, 72000)]
    assert all(gcp.tier(t).price_gib_month is None for t in gcp.throughputs_mb_s_per_tib)  # no verified price: unpriced


def test_filestore_zonal_has_two_ranges_with_their_own_steps(cat):
    from mlstack.catalog.storage import valid_size

    zonal = cat.filestore_tiers["ZONAL"].ranges
    assert [(r.min_gib, r.max_gib, r.step_gib) for r in zonal] == [(1024, 9984, 256), (10240, 102400, 2560)]
    assert [s for s in (1024, 1280, 1300, 9984, 10000, 10240, 11000, 12800, 102400) if valid_size(zonal, s)] == [
        1024, 1280, 9984, 10240, 12800, 102400]


def test_a_capacity_range_must_be_aligned_to_its_step():
    from pydantic import ValidationError

    from mlstack.catalog.storage import CapacityRange

    with pytest.raises(ValidationError, match="range 1000-9984 GiB is not aligned to its step 256"):
        CapacityRange(min_gib=1000, max_gib=9984, step_gib=256)
