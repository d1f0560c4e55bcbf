from __future__ import annotations

from pathlib import Path

import pytest

from mlstack.engine.deploy import workspace as ws
from mlstack.errors import PulumiCliMissing, UsageError
from mlstack.spec import Spec

from .fakes import FakeAutomation

VERSIONS = {"pulumi_aws": "7.51.0", "pulumi_gcp": "10.2.0", "pulumi_kubernetes": "4.34.0", "pulumi_random": "4.21.0"}
PASS = {"PULUMI_CONFIG_PASSPHRASE": "pw"}


def spec(**over) -> Spec:
    data = {"project": "acme-ml", "env": "staging", "target": {"cloud": "aws", "region": "us-west-2"}}
    data.update(over)
    return Spec.model_validate(data)


def settings(s: Spec, tmp_path: Path, environ=PASS):
    return ws.workspace_settings(s, tmp_path / "proj" / "stacks", environ, VERSIONS.__getitem__)


def test_aws_settings(tmp_path):
    got = settings(spec(), tmp_path)
    root = (tmp_path / "proj").resolve()
    assert got == ws.WorkspaceSettings(
        project="acme-ml",
        stack="staging",
        backend_url=f"file://{root}/.mlstack/state",
        secrets_provider="passphrase",
        config={"aws:region": "us-west-2"},
        plugins={"aws": "7.51.0", "kubernetes": "4.34.0", "random": "4.21.0"},
        env_vars={"PULUMI_SKIP_UPDATE_CHECK": "true"},
        work_dir=f"{root}/.mlstack/work/staging",
        state_dir=f"{root}/.mlstack/state",
    )


def test_gcp_and_onprem_config_and_plugins(tmp_path):
    g = settings(spec(target={"cloud": "gcp", "region": "europe-west4", "project_id": "acme-1"}), tmp_path)
    assert g.config == {"gcp:project": "acme-1", "gcp:region": "europe-west4"}
    assert g.plugins == {"gcp": "10.2.0", "kubernetes": "4.34.0", "random": "4.21.0"}
    o = settings(spec(target={"cloud": "onprem", "kube_context": "lab", "kubeconfig_path": "/k/config"}), tmp_path)
    assert o.config == {"kubernetes:context": "lab", "kubernetes:kubeconfig": "/k/config"}
    assert o.plugins == {"kubernetes": "4.34.0", "random": "4.21.0"}


def test_spec_backend_and_kms(tmp_path):
    got = settings(spec(backend="s3://acme-state", secrets_provider="awskms://alias/acme"), tmp_path, environ={})
    assert (got.backend_url, got.secrets_provider, got.state_dir) == ("s3://acme-state", "awskms://alias/acme", None)


def test_passphrase_file_is_enough(tmp_path):
    assert settings(spec(), tmp_path, {"PULUMI_CONFIG_PASSPHRASE_FILE": "/p"}).secrets_provider == "passphrase"


def test_missing_passphrase(tmp_path):
    with pytest.raises(UsageError, match="PULUMI_CONFIG_PASSPHRASE is not set") as e:
        settings(spec(), tmp_path, {})
    assert e.value.exit_code == 2


def test_real_sdk_versions_pin_plugins():
    from importlib.metadata import version

    assert ws.required_plugins(spec())["aws"] == version("pulumi_aws")


@pytest.mark.parametrize("cli,needed", [(None, "not on PATH"), ("3.180.1", "is version 3.180.1"), ("garbage", "is version garbage")])
def test_cli_missing_or_old(cli, needed):
    with pytest.raises(PulumiCliMissing) as e:
        ws.check_cli(FakeAutomation(cli=cli))
    msg = str(e.value)
    assert needed in msg and "3.181.0" in msg and "curl -fsSL https://get.pulumi.com | sh" in msg
    assert e.value.exit_code == 1


def test_cli_ok():
    assert ws.check_cli(FakeAutomation(cli="v3.200.1")) == "3.200.1"


def test_real_adapter_without_cli(monkeypatch):
    from mlstack.engine.deploy.workspace_pulumi import PulumiAutomation

    monkeypatch.setattr("shutil.which", lambda name: None)
    assert PulumiAutomation().cli_version() is None


def test_bare_file_not_found_becomes_cli_missing():
    from mlstack.engine.deploy.workspace_pulumi import _translated

    with pytest.raises(PulumiCliMissing, match="not found.*curl -fsSL"):
        with _translated("up"):
            raise FileNotFoundError(2, "No such file or directory", "pulumi")


def test_open_stack_creates_state_installs_plugins_sets_config(tmp_path, monkeypatch):
    monkeypatch.setattr("mlstack.engine.plan.program.make_program", lambda s, pins=None, stamp=None, locked=None: (lambda: None))
    auto = FakeAutomation()
    s = spec()
    st = settings(s, tmp_path)
    ws.open_stack(s, st, auto)
    assert Path(st.state_dir).is_dir() and Path(st.work_dir).is_dir()
    assert auto.calls == [
        ("open", "acme-ml", "staging"),
        ("install_plugin", "aws", "7.51.0"),
        ("install_plugin", "kubernetes", "4.34.0"),
        ("install_plugin", "random", "4.21.0"),
        ("set_config", {"aws:region": "us-west-2"}),
    ]


@pytest.mark.parametrize("text,holder", [
    ("error: the stack is currently locked by 1 lock(s). Either wait ...\n  file:///x/.pulumi/locks/o/p/s/u.json: "
     "created by ana@ci-7 (pid 478) at 2024-05-16T20:31:35Z", "ana@ci-7 (pid 478) since 2024-05-16T20:31:35Z"),
    ("error: [409] Conflict: Another update is currently in progress.", "another update in Pulumi Cloud"),
    ("something else", "another process"),
])
def test_lock_holder(text, holder):
    assert ws.lock_holder(text) == holder


def test_command_error_text_keeps_the_first_stderr_line():
    from mlstack.engine.deploy.workspace_pulumi import _error_lines

    text = "code: 1\n stdout: \n stderr: error: could not find plugin aws\n  more detail\nerror: update failed"
    assert _error_lines(text) == "error: could not find plugin aws\nerror: update failed"
