"""The baseline gate: rules mandatory whatever `protect` says, tested against ways of slipping past it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mlstack.cli import main
from mlstack.engine.review.policy import BASELINE, RULES
from mlstack.targets.policy import world_open
from stack_text import with_sections

ROOT = Path(__file__).resolve().parents[2]
GATE_FAILED = 3


@pytest.fixture
def stacks(tmp_path):
    dst = tmp_path / "stacks"
    shutil.copytree(ROOT / "stacks", dst, ignore=shutil.ignore_patterns("*.lock.json"))
    return dst


def append(stacks: Path, env: str, text: str) -> None:
    path = stacks / f"{env}.yaml"
    body = path.read_text()
    if "\nprotect:" in body and "protect:" in text:
        body = "\n".join(line for line in body.splitlines() if not line.startswith("protect:")) + "\n"
    path.write_text(with_sections(body, text))


def gate(stacks: Path, env: str, capsys) -> tuple[int, dict]:
    code = main(["--stacks-dir", str(stacks), "check", "--env", env, "--fail-on", "mandatory", "--format", "json"])
    out = capsys.readouterr()
    return code, (json.loads(out.out) if out.out.strip().startswith("{") else {"err": out.err})


def result(report: dict, rule: str) -> dict:
    return next(r for r in report["rules"] if r["id"] == rule)


def test_world_open_sees_every_spelling_of_the_internet():
    assert world_open(["0.0.0.0/0"]) and world_open(["0.0.0.0/00"]) and world_open(["0.0.0.0/1", "128.0.0.0/1"])
    assert world_open([f"{i * 64}.0.0.0/2" for i in range(4)]) and world_open(["1.0.0.0/7"])
    assert world_open(["not-a-cidr"]) and world_open(["::/0"])
    assert not world_open(["203.0.113.0/24", "198.51.100.0/24"]) and not world_open(["10.0.0.0/8"])
    assert not world_open(["1.0.0.0/8"])  # exactly a /8 is the most a narrow list may hold


def test_the_baseline_is_a_known_set_of_rules():
    ids = {r.id for r in RULES}
    assert BASELINE <= ids and {"MLS-AWS-001", "MLS-GCP-001", "MLS-AWS-007", "MLS-GEN-002"} <= BASELINE


OPEN = "cluster: {endpoint: public, allowed_cidrs: [0.0.0.0/0]}\n"


@pytest.mark.parametrize(("env", "extra"), [
    ("prod", "protect: false\n" + OPEN),  # the named evasion: protection turned off
    ("staging", OPEN),  # an environment that was never protected
    ("prod", "protect: false\ncluster: {endpoint: public, allowed_cidrs: [0.0.0.0/1, 128.0.0.0/1]}\n"),
    ("prod", "protect: false\ncluster: {endpoint: public, allowed_cidrs: [0.0.0.0/00]}\n"),
    ("prod", "protect: false\ncluster: {endpoint: public, allowed_cidrs: [0.0.0.0/2, 64.0.0.0/2, 128.0.0.0/2, 192.0.0.0/2]}\n"),
    ("gcp-staging", OPEN),
])
def test_a_world_open_endpoint_fails_the_gate_whatever_protect_says(stacks, capsys, env, extra):
    append(stacks, env, extra)
    code, report = gate(stacks, env, capsys)
    rule = "MLS-GCP-001" if env.startswith("gcp") else "MLS-AWS-001"
    assert code == GATE_FAILED, report
    assert (result(report, rule)["status"], result(report, rule)["level"]) == ("fail", "mandatory")


def test_a_waiver_cannot_lift_a_baseline_rule(stacks, capsys):
    append(stacks, "prod", "protect: false\n" + OPEN + "waivers: {MLS-AWS-001: \"we accept the risk\"}\n")
    assert main(["--stacks-dir", str(stacks), "check", "--env", "prod", "--fail-on", "mandatory"]) == 2
    assert ("waivers.MLS-AWS-001: MLS-AWS-001 (EKS API endpoint is not public) is a baseline rule: mandatory in "
            "every environment, whatever protect says, and no waiver lifts it") in capsys.readouterr().err


def test_a_narrow_public_endpoint_passes(stacks, capsys):
    append(stacks, "staging", "cluster: {endpoint: public, allowed_cidrs: [203.0.113.0/24]}\n")
    code, report = gate(stacks, "staging", capsys)
    assert result(report, "MLS-AWS-001")["status"] == "pass" and code == 0, report


def test_other_rules_stay_advisory_where_unprotected(stacks, capsys):
    code, report = gate(stacks, "staging", capsys)
    levels = {r["id"]: r["level"] for r in report["rules"]}
    assert levels["MLS-AWS-001"] == "mandatory" and levels["MLS-AWS-009"] == "advisory"
