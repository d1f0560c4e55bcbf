"""`mlstack check` judges the support windows of the versions an environment runs, on a fixed date (--as-of)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from mlstack.cli import main

STACKS = Path(__file__).resolve().parents[2] / "stacks"


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_prod_passes_before_the_90_day_window(capsys):
    # 2026-12-28 is within 90 days of 1.35's end on EKS (2027-03-27): the 1.36 default keeps prod's gate open.
    code, out, _ = run(capsys, "--stacks-dir", str(STACKS), "check", "--env", "prod", "--as-of", "2026-12-28",
                       "--fail-on", "mandatory")
    assert code == 0
    assert out.endswith(
        "Support windows on 2026-12-28 (versions from the spec):\n"
        "  OK      advisory  kubernetes 1.36 on aws: standard support until 2027-08-02 (217 days); "
        "extended support (paid) to 2028-08-02\n"
    )


def test_a_spec_still_on_1_35_is_blocked_from_2026_12_27(tmp_path, capsys):
    stacks = tmp_path / "stacks"
    shutil.copytree(STACKS, stacks)
    base = stacks / "base.yaml"
    base.write_text(base.read_text().replace('kubernetes: "1.36"', 'kubernetes: "1.35"'))
    code, out, err = run(capsys, "--stacks-dir", str(stacks), "check", "--env", "prod", "--as-of", "2026-12-28",
                         "--fail-on", "mandatory")
    assert code == 3  # EXIT_GATE
    assert ("  ENDING  mandatory kubernetes 1.35 on aws: leaves standard support on 2027-03-27, in 89 days; "
            "extended support (paid) to 2028-03-27; upgrade: set versions.kubernetes to '1.36'\n") in out
    assert err.strip().endswith("rule(s) violated: kubernetes 1.35 on aws")


def test_protected_prod_is_blocked_within_90_days(capsys):
    code, out, err = run(capsys, "--stacks-dir", str(STACKS), "check", "--env", "prod", "--as-of", "2027-06-01",
                         "--fail-on", "mandatory")
    assert code == 3  # EXIT_GATE
    assert ("  ENDING  mandatory kubernetes 1.36 on aws: leaves standard support on 2027-08-02, in 62 days; "
            "extended support (paid) to 2028-08-02; upgrade to a newer minor\n") in out
    assert err.strip().endswith("rule(s) violated: kubernetes 1.36 on aws")


def test_unprotected_staging_only_warns(capsys):
    code, out, _ = run(capsys, "--stacks-dir", str(STACKS), "check", "--env", "staging", "--as-of", "2027-08-07",
                       "--fail-on", "mandatory", "--format", "json")
    assert code == 0
    support = json.loads(out)["support"]
    assert support == {
        "as_of": "2027-08-07",
        "versions_from": "spec",
        "findings": [{
            "subject": "kubernetes 1.36 on aws", "status": "ended", "level": "advisory", "violation": True,
            "message": "left standard support on 2027-08-02, 5 days ago; extended support (paid) to 2028-08-02; "
                       "upgrade to a newer minor",
        }],
    }


def test_a_lock_decides_the_versions_checked(tmp_path, capsys):
    stacks = tmp_path / "stacks"
    shutil.copytree(STACKS, stacks)
    from mlstack.engine.deploy.lock import build_lock, write_lock
    from mlstack.spec import load_spec

    spec = load_spec("prod", stacks)
    lock = build_lock(spec, {}, {"mlstack": "0.1.0"})
    lock["versions"]["kubernetes"] = "1.34"
    write_lock(stacks / "prod.lock.json", lock)
    code, out, _ = run(capsys, "--stacks-dir", str(stacks), "check", "--env", "prod", "--as-of", "2026-12-01",
                       "--format", "json", "--fail-on", "mandatory")
    data = json.loads(out)["support"]
    assert code == 3 and data["versions_from"] == "lock"
    assert [(f["subject"], f["status"], f["level"]) for f in data["findings"]] == [("kubernetes 1.34 on aws", "ending", "mandatory")]


def test_onprem_reports_no_window(capsys):
    code, out, _ = run(capsys, "--stacks-dir", str(STACKS), "check", "--env", "onprem", "--as-of", "2026-12-01")
    assert code == 0 and out.endswith("Support windows on 2026-12-01 (versions from the spec):\n  none recorded for this target\n")


def test_bad_as_of_is_a_usage_error(capsys):
    code, _, err = run(capsys, "--stacks-dir", str(STACKS), "check", "--env", "prod", "--as-of", "2027-13-01")
    assert code == 2
    assert "--as-of '2027-13-01': expected a date YYYY-MM-DD, e.g. --as-of 2027-03-01" in err
