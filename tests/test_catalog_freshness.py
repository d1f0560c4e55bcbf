"""The catalogue stays true: every fact dated and sourced, none older than the catalogue's own threshold, and
the support windows of Kubernetes minors judged on fixed dates.

``test_no_fact_is_stale_today`` reads the wall clock on purpose: it is how staleness shows up in CI (it fails
once a fact is older than ``freshness.max_age_days``). Every other test here pins its date.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from mlstack.catalog import DATA_DIR, load_catalog, parse_catalog
from mlstack.catalog.support import (
    WARN_WITHIN_DAYS,
    chart_finding,
    dated_facts,
    kubernetes_finding,
    stale_facts,
    support_findings,
)

D = dt.date


@pytest.fixture(scope="module")
def cat():
    return load_catalog()


def test_no_fact_is_stale_today(cat):
    today = dt.datetime.now(dt.timezone.utc).date()
    assert stale_facts(cat, today) == []


def test_the_catalogue_sets_its_own_threshold(cat):
    assert cat.freshness.max_age_days == 120
    assert WARN_WITHIN_DAYS == 90


def test_every_versions_fact_is_dated_and_sourced(cat):
    facts = {f.path: f for f in dated_facts(cat)}
    for key in ("kubernetes", "mlflow", "gke_gpu_driver_version", "rds_postgres_engine_version",
                "cloudsql_database_version", "pulumi_cli"):
        assert facts[f"versions.{key}"].checked and facts[f"versions.{key}"].source, key
    for name in cat.versions.charts:
        assert facts[f"versions.charts.{name}"].checked, name
    for name in cat.versions.images:
        assert facts[f"versions.images.{name}"].checked, name
    assert facts["kubernetes_support.aws.1.35"].checked == "2026-12-01"
    assert all(f.checked and f.source for f in facts.values())


def test_a_fact_past_the_threshold_is_stale_with_its_path_and_source(cat):
    # 2026-11-29 + 120 days = 2027-03-29: the last day the oldest facts are fresh.
    assert stale_facts(cat, D(2027, 3, 29)) == []
    problems = stale_facts(cat, D(2027, 3, 30))
    assert "versions.rds_postgres_engine_version: checked 2026-11-29, 121 days ago (the catalogue allows 120): " \
           "re-check it against https://docs.aws.amazon.com/AmazonRDS/latest/PostgreSQLReleaseNotes/postgresql-versions.html " \
           "and update `checked:`" in problems
    assert not any(p.startswith("versions.mlflow:") for p in problems)  # checked 2026-12-01
    assert not any(p.startswith("kubernetes_support.") for p in problems)  # checked 2026-12-01: 119 days


def test_an_undated_or_future_fact_is_reported(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    versions = data / "versions.yaml"
    text = versions.read_text()
    text = text.replace('      version: "4.0.18"\n      newest_known: "4.0.18"\n      checked: "2026-11-29"\n',
                        '      version: "4.0.18"\n      newest_known: "4.0.18"\n', 1)
    text = text.replace('mlflow: {checked: "2026-12-01"', 'mlflow: {checked: "2027-01-01"', 1)
    versions.write_text(text)
    problems = stale_facts(parse_catalog(data), D(2026, 12, 2))  # the newest facts were checked that day
    assert problems == [
        "versions.mlflow: checked 2027-01-01 is after today (2026-12-02)",
        "versions.charts.nfs-subdir-external-provisioner: no `checked:` date",
    ]


def test_a_threshold_edit_is_validated(tmp_path):
    from mlstack.catalog import CatalogError

    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    path = data / "support.yaml"
    path.write_text(path.read_text().replace("max_age_days: 120", "max_age_days: 0"))
    with pytest.raises(CatalogError, match=r"freshness\.max_age_days: Input should be greater than or equal to 1"):
        parse_catalog(data)


def test_window_dates_out_of_order_are_refused(tmp_path):
    from mlstack.catalog import CatalogError

    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    path = data / "support.yaml"
    text = path.read_text()
    path.write_text(text.replace('"1.35": {released: "2026-01-28", end_of_standard_support: "2027-03-27"',
                                 '"1.35": {released: "2026-01-28", end_of_standard_support: "2025-03-27"'))
    with pytest.raises(CatalogError, match=r"kubernetes_support\.aws\.1\.35: dates out of order"):
        parse_catalog(data)


# -- support windows ---------------------------------------------------------------------------------------------


def test_the_stale_facts_of_issue_16_are_fixed(cat):
    eks, gke = cat.kubernetes_support["aws"], cat.kubernetes_support["gcp"]
    assert eks["1.36"].released == "2026-06-02" and eks["1.36"].end_of_standard_support == "2027-08-02"
    assert eks["1.35"].end_of_standard_support == "2027-03-27" and eks["1.35"].end_of_extended_support == "2028-03-27"
    assert eks["1.34"].end_of_standard_support == "2026-12-02"
    assert gke["1.35"].released == "2026-02-11" and gke["1.35"].end_of_standard_support == "2027-04-11"
    assert "1.36" in gke and gke["1.36"].estimated is True
    charts = cat.versions.charts
    assert (charts["nvidia-device-plugin"].version, charts["nvidia-device-plugin"].newest_known) == ("0.20.0", "0.20.0")
    assert charts["gpu-operator"].version == "v26.7.0"


@pytest.mark.parametrize(
    ("today", "protected", "status", "level", "message"),
    [
        (D(2026, 12, 1), True, "supported", "advisory",
         "standard support until 2027-03-27 (116 days); extended support (paid) to 2028-03-27"),
        (D(2026, 12, 27), True, "ending", "mandatory",
         "leaves standard support on 2027-03-27, in 90 days; extended support (paid) to 2028-03-27; "
         "upgrade: set versions.kubernetes to '1.36'"),
        (D(2026, 12, 27), False, "ending", "advisory",
         "leaves standard support on 2027-03-27, in 90 days; extended support (paid) to 2028-03-27; "
         "upgrade: set versions.kubernetes to '1.36'"),
        (D(2027, 3, 28), True, "ended", "mandatory",
         "left standard support on 2027-03-27, 1 days ago; extended support (paid) to 2028-03-27; "
         "upgrade: set versions.kubernetes to '1.36'"),
    ],
)
def test_eks_1_35_on_fixed_dates(cat, today, protected, status, level, message):
    f = kubernetes_finding(cat, "aws", "1.35", protected=protected, today=today)
    assert (f.subject, f.status, f.level, f.message) == ("kubernetes 1.35 on aws", status, level, message)
    assert f.violation is (status != "supported")


def test_91_days_out_is_still_supported(cat):
    assert kubernetes_finding(cat, "aws", "1.35", protected=True, today=D(2026, 12, 26)).status == "supported"


def test_estimated_windows_say_so(cat):
    f = kubernetes_finding(cat, "gcp", "1.36", protected=False, today=D(2027, 6, 1))
    assert f.status == "ending"
    assert f.message.startswith("leaves standard support on 2027-08-01 (estimated), in 61 days")
    assert f.message.endswith("upgrade to a newer minor")  # no newer minor recorded


def test_unrecorded_minor_is_unknown_advisory(cat):
    f = kubernetes_finding(cat, "aws", "1.30", protected=True, today=D(2026, 12, 1))
    assert (f.status, f.level) == ("unknown", "advisory")
    assert f.message == ("no support window recorded for 1.30 on aws (recorded: 1.32, 1.33, 1.34, 1.35, 1.36); "
                         "check the cloud's calendar, or add it to the catalogue's support.yaml")


def test_outdated_chart_is_advisory(cat):
    f = chart_finding(cat, "nvidia-device-plugin", "0.18.2")
    assert f is not None and (f.subject, f.status, f.level) == ("chart nvidia-device-plugin 0.18.2", "outdated", "advisory")
    assert f.message == "a newer release is known: 0.20.0 (checked 2026-12-02)"
    assert chart_finding(cat, "nvidia-device-plugin", "0.20.0") is None


def test_onprem_has_no_kubernetes_window(cat):
    versions = {"kubernetes": "1.35", "gpu_device_plugin": "0.20.0"}
    assert support_findings(cat, "onprem", versions, protected=True, today=D(2027, 6, 1)) == []
    (k8s,) = support_findings(cat, "gcp", versions, protected=True, today=D(2027, 6, 1))
    assert (k8s.subject, k8s.status) == ("kubernetes 1.35 on gcp", "ended")


def test_data_dir_has_the_support_file():
    assert (Path(DATA_DIR) / "support.yaml").is_file()
