"""`up` locks every image by the digest its registry serves, and `up --locked` keeps that digest after the tag
moves: tested end to end through the CLI against a real registry on loopback (Debian's docker-registry), with
the Pulumi boundary faked (no Pulumi CLI or cluster here) and the program's pins captured."""

from __future__ import annotations

import json

import pytest

from mlstack.cli import main
from mlstack.engine.deploy import workspace as ws
from mlstack.engine.plan.model import Plan
from tests.deploy.test_oci_registry import registry  # noqa: F401 - the loopback registry fixture
from tests.lifecycle.fakes import FakeAutomation, copy_stacks, reg
from tests.oci_image import delete_manifest, push_image

URN = "urn:pulumi:staging::acme-ml::kubernetes:apps/v1:Deployment::trainer"


@pytest.fixture
def setup(tmp_path, monkeypatch, request, registry):  # noqa: F811
    host, base = registry["MLSTACK_REGISTRY_HOST"], registry["MLSTACK_REGISTRY_URL"]
    repo = f"mlstack/{request.node.name.removeprefix('test_')[:40]}"  # one repository per test
    image = f"{host}/{repo}:1.0"
    plan = Plan("acme-ml", "staging", {"cloud": "aws", "region": "us-west-2"}, [
        reg(URN, {"spec": {"template": {"spec": {"containers": [{"name": "t", "image": image}]}}}}),
    ])
    pins_seen: list = []
    stamps: list = []
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "test")
    monkeypatch.setattr("mlstack.engine.deploy.lifecycle.plan_for", lambda spec: plan)
    monkeypatch.setattr("mlstack.engine.plan.program.make_program",
                        lambda spec, pins=None, stamp=None, locked=None: stamps.append((stamp, locked)) or pins_seen.append(pins) or (lambda: None))
    auto = FakeAutomation()
    ws.set_automation(lambda: auto)
    request.node.stamps = stamps
    yield copy_stacks(tmp_path), base, repo, image, pins_seen, auto
    ws.set_automation(None)


def run(stacks, *args) -> int:
    return main(["--stacks-dir", str(stacks), *args])


def test_a_moved_tag_keeps_the_locked_digest(setup, capsys, request):
    stacks, base, repo, image, pins_seen, auto = setup
    first = push_image(base, repo, "1.0", {"train.py": b"print(1)\n"})
    assert run(stacks, "up", "--env", "staging", "--yes") == 0
    lock = json.loads((stacks / "staging.lock.json").read_text())
    assert lock["lock_version"] == 3 and lock["images"] == {image: first} and lock["platform"] == {}
    assert pins_seen[-1] == {image: first}
    assert "1 image(s) by digest (resolved from their registries now)" in capsys.readouterr().out
    from mlstack.engine.deploy.lock import lock_digest

    stamp, locked = request.node.stamps[-1]
    # The environment is stamped with the lock it gets: the program computes the digest once the cloud has chosen
    # its versions (none here).
    assert locked.digest_of({}) == lock_digest(lock) and locked.verify is False and dict(locked.platform) == {}
    assert set(stamp) == {"MLSTACK_GIT_COMMIT"}

    moved = push_image(base, repo, "1.0", {"train.py": b"print(2)\n"})
    assert moved != first
    assert run(stacks, "up", "--env", "staging", "--yes", "--locked") == 0
    assert pins_seen[-1] == {image: first}  # the tag moved; the locked digest is what is deployed
    relocked = json.loads((stacks / "staging.lock.json").read_text())
    assert relocked["images"] == {image: first} and lock_digest(relocked) == lock_digest(lock)
    assert request.node.stamps[-1][1].digest_of({}) == lock_digest(lock) and request.node.stamps[-1][1].verify is True

    assert run(stacks, "up", "--env", "staging", "--yes") == 0  # without --locked: the tag's new digest
    assert pins_seen[-1] == {image: moved}
    assert auto.calls.count(("up",)) == 3


def test_a_digest_gone_from_the_registry_is_refused_before_anything_changes(setup, capsys):
    stacks, base, repo, image, pins_seen, auto = setup
    first = push_image(base, repo, "1.0", {"train.py": b"print(3)\n"})
    assert run(stacks, "up", "--env", "staging", "--yes") == 0
    push_image(base, repo, "1.0", {"train.py": b"print(4)\n"})
    delete_manifest(base, repo, first)
    lock_before = (stacks / "staging.lock.json").read_bytes()
    capsys.readouterr()
    assert run(stacks, "up", "--env", "staging", "--yes", "--locked") == 2
    err = capsys.readouterr().err
    assert (f"  image {image}: the locked digest {first} is no longer served by its registry; restore it there, "
            "or run `mlstack up` without --locked to lock the current one") in err
    assert "cannot be honoured, nothing was changed" in err
    assert auto.calls.count(("up",)) == 1 and len(pins_seen) == 1
    assert (stacks / "staging.lock.json").read_bytes() == lock_before


def test_an_unknown_tag_stops_up_before_anything_changes(setup, capsys):
    stacks, _, _, image, pins_seen, auto = setup
    assert run(stacks, "up", "--env", "staging", "--yes") == 1  # nothing pushed under that tag
    err = capsys.readouterr().err
    assert f"image {image}: the registry answered HTTP 404 for the tag (not found)" in err
    assert ("up",) not in auto.calls and pins_seen == [] and not (stacks / "staging.lock.json").exists()
