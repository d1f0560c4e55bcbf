"""CLI: ``mlstack policy-pack DIR [--env E]`` writes the pack (golden files), regenerates over itself, refuses to
overwrite what it did not write, and rejects a bad waiver before writing anything."""

from __future__ import annotations

import shutil
from pathlib import Path

from mlstack.cli import main
from mlstack.engine.scaffold.policy_pack import PackScope, pack_files

from golden import check_golden

ROOT = Path(__file__).resolve().parents[2]
STACKS = ROOT / "stacks"
FILES = ["PulumiPolicy.yaml", "__main__.py", "requirements.txt"]


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["--stacks-dir", str(STACKS), *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_golden_pack_of_prod_and_of_every_environment():
    for scope, folder in ((PackScope(name="mlstack-acme-ml-prod", protected=True, cloud="aws", env="prod"), "prod"),
                          (PackScope(name="mlstack"), "all")):
        for path, text in pack_files(scope, "policy").items():
            if path.name != "requirements.txt" or folder == "all":  # the requirements are the same for every pack
                check_golden(f"policy/{folder}/{path.name}", text)


def test_policy_pack_writes_the_three_files_and_regenerates_over_itself(tmp_path, capsys):
    pack = tmp_path / "policy"
    code, out, err = run(capsys, "policy-pack", str(pack), "--env", "staging")
    assert code == 0, err
    assert sorted(p.name for p in pack.iterdir()) == FILES
    assert err.splitlines() == [f"wrote {pack / name}" for name in FILES]
    assert out.startswith(f"next: python3 -m venv {pack / 'venv'} && {pack / 'venv'}/bin/pip install -r {pack / 'requirements.txt'}")
    main_py = (pack / "__main__.py").read_text()
    assert 'serve("mlstack-acme-ml-staging", LEVELS, target="aws")' in main_py
    assert '"MLS-GEN-001": "disabled",  # checked in protected environments only' in main_py
    assert '"MLS-GCP-001": "disabled",  # about gcp; this environment runs on aws' in main_py
    # a pack is regenerated over itself: for prod now
    code, _, err = run(capsys, "policy-pack", str(pack), "--env", "prod")
    assert code == 0, err
    assert '"MLS-GEN-001": "mandatory",  # Stateful resources are protected' in (pack / "__main__.py").read_text()


def test_policy_pack_refuses_files_it_did_not_write(tmp_path, capsys):
    pack = tmp_path / "policy"
    pack.mkdir()
    (pack / "requirements.txt").write_text("requests\n")
    code, _, err = run(capsys, "policy-pack", str(pack))
    assert code == 2
    assert err == (f"error: refusing to overwrite 1 file(s) mlstack did not write (use --force):\n  {pack / 'requirements.txt'}\n")
    assert sorted(p.name for p in pack.iterdir()) == ["requirements.txt"]  # nothing written
    code, _, _ = run(capsys, "policy-pack", str(pack), "--force")
    assert code == 0 and (pack / "requirements.txt").read_text().splitlines()[-1] == "pulumi-policy<2,>=1.21"
    assert 'serve("mlstack", LEVELS, target=None)' in (pack / "__main__.py").read_text()


def test_a_waiver_of_an_unknown_rule_stops_before_writing(tmp_path, capsys):
    stacks = tmp_path / "stacks"
    shutil.copytree(STACKS, stacks)
    spec = stacks / "staging.yaml"
    spec.write_text(spec.read_text() + "waivers:\n  MLS-NOPE-001: \"no such rule\"\n")
    code, _, err = run(capsys, "--stacks-dir", str(stacks), "policy-pack", str(tmp_path / "policy"), "--env", "staging")
    assert code == 2 and "waivers.MLS-NOPE-001: unknown policy rule 'MLS-NOPE-001'" in err
    assert not (tmp_path / "policy").exists()
