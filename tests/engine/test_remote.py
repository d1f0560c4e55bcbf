"""`mlstack remote`: Pulumi Kubernetes Operator objects and Pulumi Deployments settings, built offline."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml

from mlstack.cli import main
from mlstack.engine.deploy.remote import RemoteSource, deployment_settings, operator_manifests
from mlstack.errors import UsageError
from tests.k8s_checks import validate_manifests

ROOT = Path(__file__).resolve().parents[2]
STACK_SCHEMA = json.loads((ROOT / "tests" / "schemas" / "pulumi-operator-stack.schema.json").read_text())
SOURCE = RemoteSource("https://github.com/acme/ml-platform.git", branch="main")
IMAGE = "pulumi/pulumi:3.272.0-nonroot"


def _objects(**kw):
    args = dict(project="acme-ml", env="staging", cloud="aws", backend="s3://acme-state/pulumi", secrets_provider=None,
                config={"aws:region": "us-west-2"}, source=SOURCE, namespace="pulumi-operator", image=IMAGE,
                identity="arn:aws:iam::123456789012:role/op", secret="mlstack-staging")
    args.update(kw)
    return operator_manifests(**args)


class _Reg:
    def __init__(self, manifest):
        self.urn = f"{manifest['kind']}/{manifest['metadata']['name']}"


def _check(objects):
    sa, binding, stack = objects
    assert validate_manifests([(_Reg(sa), sa), (_Reg(binding), binding)], "1.36") == []
    jsonschema.validate(stack, STACK_SCHEMA)
    return sa, binding, stack


def test_aws_stack_uses_irsa_the_spec_backend_and_the_passphrase_secret():
    sa, binding, stack = _check(_objects())
    assert sa["metadata"]["annotations"] == {"eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/op"}
    assert binding["roleRef"]["name"] == "system:auth-delegator"
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "acme-ml-staging", "namespace": "pulumi-operator"}]
    assert stack["spec"] == {
        "stack": "staging",
        "projectRepo": "https://github.com/acme/ml-platform.git",
        "repoDir": ".",
        "shallow": True,
        "backend": "s3://acme-state/pulumi",
        "serviceAccountName": "acme-ml-staging",
        "refresh": True,
        "destroyOnFinalize": False,
        "continueResyncOnCommitMatch": False,
        "workspaceTemplate": {"spec": {
            "image": IMAGE, "securityProfile": "restricted",
            "resources": {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"memory": "4Gi"}},
        }},
        "branch": "main",
        "config": {"aws:region": "us-west-2"},
        "envRefs": {"PULUMI_CONFIG_PASSPHRASE": {"type": "Secret", "secret": {"name": "mlstack-staging", "key": "passphrase"}}},
    }


def test_gcp_uses_workload_identity_and_a_kms_provider_needs_no_passphrase():
    sa, _, stack = _check(_objects(cloud="gcp", identity="mlstack@p.iam.gserviceaccount.com", secret=None,
                                   secrets_provider="gcpkms://projects/p/locations/global/keyRings/r/cryptoKeys/k",
                                   config={"gcp:project": "p", "gcp:region": "us-central1"}))
    assert sa["metadata"]["annotations"] == {"iam.gke.io/gcp-service-account": "mlstack@p.iam.gserviceaccount.com"}
    assert stack["spec"]["secretsProvider"].startswith("gcpkms://")
    assert "envRefs" not in stack["spec"]


def test_onprem_mounts_the_kubeconfig_read_only_and_deploys_a_commit():
    commit = "0123456789abcdef0123456789abcdef01234567"
    sa, _, stack = _check(_objects(cloud="onprem", identity=None, config={"kubernetes:context": "lab"},
                                   source=RemoteSource("git@example.com:acme/ml.git", commit=commit, repo_dir="infra")))
    assert "annotations" not in sa["metadata"]
    spec = stack["spec"]
    assert (spec["commit"], spec["repoDir"]) == (commit, "infra") and "branch" not in spec
    ws = spec["workspaceTemplate"]["spec"]
    assert ws["env"] == [{"name": "KUBECONFIG", "value": "/home/pulumi/.kube/config"}]
    assert ws["podTemplate"]["spec"]["volumes"] == [
        {"name": "kubeconfig", "secret": {"secretName": "mlstack-staging", "items": [{"key": "config", "path": "config"}]}}]
    assert ws["podTemplate"]["spec"]["containers"][0]["volumeMounts"] == [
        {"name": "kubeconfig", "mountPath": "/home/pulumi/.kube", "readOnly": True}]


def test_the_schema_rejects_a_misspelt_field():
    *_, stack = _objects()
    stack["spec"]["destroyOnFinalise"] = True
    with pytest.raises(jsonschema.ValidationError, match="destroyOnFinalise"):
        jsonschema.validate(stack, STACK_SCHEMA)


@pytest.mark.parametrize(("change", "message"), [
    ({"backend": None}, "cannot reach this machine's local state"),
    ({"backend": "file:///tmp/state"}, "set `backend:` in stacks/staging.yaml"),
    ({"identity": None}, "the aws target needs --role-arn"),
    ({"secret": None}, "name the Secret holding the passphrase"),
    ({"backend": "https://api.pulumi.com"}, "needs --access-token-secret"),
    ({"source": RemoteSource("https://x/y.git")}, "exactly one of --branch or --commit"),
    ({"source": RemoteSource("", branch="main")}, "--repo is required"),
])
def test_refusals_name_the_fix(change, message):
    with pytest.raises(UsageError, match=message):
        _objects(**change)


def test_deployment_settings_for_aws_and_gcp():
    body = deployment_settings(env="prod", cloud="aws", backend="https://api.pulumi.com", secrets_provider=None,
                               source=SOURCE, image=IMAGE, identity="arn:aws:iam::1:role/deploy")
    assert body == {
        "sourceContext": {"git": {"repoUrl": SOURCE.repo, "repoDir": ".", "branch": "main"}},
        "operationContext": {
            "preRunCommands": ["python -m pip install -r requirements.txt"],
            "options": {"skipInstallDependencies": True},
            "oidc": {"aws": {"roleArn": "arn:aws:iam::1:role/deploy", "sessionName": "mlstack-prod"}},
            "environmentVariables": {"PULUMI_CONFIG_PASSPHRASE": "<set as a secret in Pulumi Cloud>"},
        },
        "executorContext": {"executorImage": {"reference": IMAGE}},
    }
    login = {"projectId": "p", "workloadPoolId": "pool", "providerId": "pulumi", "serviceAccount": "d@p.iam.gserviceaccount.com"}
    gcp = deployment_settings(env="prod", cloud="gcp", backend="https://api.pulumi.com", secrets_provider="gcpkms://k",
                              source=SOURCE, image=IMAGE, login=login)
    assert gcp["operationContext"]["oidc"] == {"gcp": login}
    assert "environmentVariables" not in gcp["operationContext"]
    with pytest.raises(UsageError, match="stored in Pulumi Cloud"):
        deployment_settings(env="prod", cloud="aws", backend="s3://b", secrets_provider=None, source=SOURCE,
                            image=IMAGE, identity="arn")
    with pytest.raises(UsageError, match="workloadPoolId, providerId, serviceAccount"):
        deployment_settings(env="prod", cloud="gcp", backend="https://api.pulumi.com", secrets_provider=None,
                            source=SOURCE, image=IMAGE, login={"projectId": "p"})


def test_cli_writes_the_objects_atomically(tmp_path, capsys):
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks", ignore=shutil.ignore_patterns("*.lock.json"))
    staging = tmp_path / "stacks" / "staging.yaml"
    staging.write_text(staging.read_text() + "backend: s3://acme-state/pulumi\n")
    out = tmp_path / "deploy" / "staging.operator.yaml"
    code = main(["--stacks-dir", str(tmp_path / "stacks"), "remote", "operator", "--env", "staging",
                 "--repo", SOURCE.repo, "--branch", "main", "--role-arn", "arn:aws:iam::1:role/op",
                 "--secret", "s", "--output", str(out)])
    assert code == 0, capsys.readouterr().err
    docs = list(yaml.safe_load_all(out.read_text()))
    assert [d["kind"] for d in docs] == ["ServiceAccount", "ClusterRoleBinding", "Stack"]
    assert docs[2]["spec"]["workspaceTemplate"]["spec"]["image"].startswith("pulumi/pulumi:")
    assert not list(out.parent.glob("*.tmp*"))


def test_cli_refuses_the_local_backend_with_exit_2(capsys):
    code = main(["--stacks-dir", str(ROOT / "stacks"), "remote", "operator", "--env", "staging",
                 "--repo", SOURCE.repo, "--branch", "main", "--role-arn", "arn", "--secret", "s"])
    assert code == 2
    assert "cannot reach this machine's local state" in capsys.readouterr().err


def test_a_new_target_needs_only_its_packs_remote_facts(monkeypatch):
    """remote.py names no target: a pack's ``Remote`` alone decides the identity, annotation and login."""
    from dataclasses import replace

    from mlstack import targets
    from mlstack.targets.base import Remote

    login = lambda env, role, opts: {"azure": {"clientId": opts.get("clientId", ""), "env": env}}  # noqa: E731
    azure = replace(targets.pack("onprem"), name="azure", remote=Remote(
        identity_option="--client-id", identity_what="the managed identity", identity_annotation="azure.workload.identity/client-id",
        deployments_login=login))
    real = targets.pack
    monkeypatch.setattr(targets, "pack", lambda name: azure if name == "azure" else real(name))
    with pytest.raises(UsageError, match=r"^the azure target needs --client-id \(the managed identity\)$"):
        _objects(cloud="azure", identity=None)
    sa, _, stack = _objects(cloud="azure", identity="0000-1111")
    assert sa["metadata"]["annotations"] == {"azure.workload.identity/client-id": "0000-1111"}
    assert "podTemplate" not in stack["spec"]["workspaceTemplate"]["spec"]
    body = deployment_settings(env="prod", cloud="azure", backend="https://api.pulumi.com", secrets_provider="azurekeyvault://k",
                               source=SOURCE, image=IMAGE, login={"clientId": "c"})
    assert body["operationContext"]["oidc"] == {"azure": {"clientId": "c", "env": "prod"}}
