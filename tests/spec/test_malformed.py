"""Malformed specs: each gives the exact path, location and message, and registers no resource."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from mlstack.spec import SpecError, load_spec_file

BASE = textwrap.dedent(
    """\
    project: acme-ml
    target:
      cloud: aws
      region: us-west-2
    node_pools:
      system: {machine: m6i.xlarge, min: 2, max: 4}
      a100: {accelerator: nvidia-a100-80gb, gpus_per_node: 8, min: 0, max: 2, spot: true}
    storage:
      shared: {size_gib: 1024}
      buckets: {datasets: {}, artifacts: {}}
    registry:
      repositories: [trainer, serving]
    ci:
      provider: github
      repository: acme/ml-platform
      refs: [refs/heads/main]
    teams:
      research: {group: research, gpu_quota: 8}
    """
)


def write(tmp_path: Path, text: str, name: str = "staging.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def errors_of(path: Path) -> list:
    """The problems of planning ``path``'s environment, asserting the engine never ran (no resource registered)."""
    from unittest import mock

    from mlstack.engine.review.planning import plan_env

    with mock.patch("mlstack.engine.plan.recorder.record") as record, pytest.raises(SpecError) as info:
        plan_env(path.stem, path.parent)
    assert record.call_count == 0
    return info.value.problems


def where(text: str, needle: str) -> tuple[int, int]:
    """1-based line and column of the first occurrence of ``needle``."""
    index = text.index(needle)
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


def test_base_is_valid(tmp_path):
    spec = load_spec_file(write(tmp_path, BASE))
    assert spec.env == "staging"
    assert spec.node_pools["a100"].max == 2
    assert spec.protected is False


# (description, old text, new text, expected path, anchor for line:col, expected message)
CASES = [
    ("max below min", "min: 0, max: 2", "min: 3, max: 2", "node_pools.a100.max", "max: 2", "must be >= min (3), got 2"),
    ("negative max", "min: 0, max: 2", "min: 0, max: -1", "node_pools.a100.max", "max: -1", "must be >= min (0), got -1"),
    ("negative min", "min: 2, max: 4", "min: -1, max: 4", "node_pools.system.min", "min: -1", "must be >= 0, got -1"),
    ("max as text", "min: 0, max: 2", "min: 0, max: two", "node_pools.a100.max", "max: two", "expected a whole number, got 'two'"),
    ("spot as text", "spot: true", "spot: maybe", "node_pools.a100.spot", "spot: maybe", "expected true or false, got 'maybe'"),
    ("misspelt max", "min: 2, max: 4", "min: 2, maxx: 4", "node_pools.system.maxx", "maxx", "unknown field 'maxx'. Did you mean 'max'?"),
    ("misspelt top-level", "teams:\n", "teamz:\n", "teamz", "teamz", "unknown field 'teamz'. Did you mean 'teams'?"),
    ("misspelt target field", "region: us-west-2", "regoin: us-west-2", "target.regoin", "regoin", "unknown field 'regoin'. Did you mean 'region'?"),
    ("unknown cloud", "cloud: aws", "cloud: azure", "target.cloud", "cloud: azure", "must be one of 'aws', 'gcp' or 'onprem', got 'azure'"),
    ("missing project", "project: acme-ml\n", "", "project", None, "required field is missing. Add it."),
    ("missing region", "  region: us-west-2\n", "", "target.region", "target", "required for target.cloud aws. Add e.g. region: us-west-2"),
    ("project with capitals", "project: acme-ml", "project: Acme-ML", "project", "project", "expected a DNS-safe name"),
    ("project too long", "project: acme-ml", "project: " + "a" * 30, "project", "project", "must be at most 24 characters, got 30"),
    ("pool name not DNS-safe", "  a100:", "  A100_big:", "node_pools.A100_big", "A100_big", "is not DNS-safe"),
    ("bucket name not DNS-safe", "datasets: {}", "Data_Sets: {}", "storage.buckets.Data_Sets", "Data_Sets", "is not DNS-safe"),
    ("pool name too long", "  a100:", "  a100-very-long-pool-name-here:", "node_pools.a100-very-long-pool-name-here", "a100-very", "must fit 40"),
    ("unknown accelerator", "accelerator: nvidia-a100-80gb", "accelerator: nvidia-a100-80g", "node_pools.a100.accelerator", "accelerator", "unknown accelerator 'nvidia-a100-80g'. Did you mean 'nvidia-a100-80gb'?"),
    ("TPU on aws", "accelerator: nvidia-a100-80gb, gpus_per_node: 8", "accelerator: tpu-v5e, topology: 2x4", "node_pools.a100.accelerator", "accelerator", "pool 'a100' asks for tpu-v5e, but TPUs need target.cloud gcp (this target is aws)"),
    ("GPU count not offered", "gpus_per_node: 8", "gpus_per_node: 3", "node_pools.a100.gpus_per_node", "gpus_per_node: 3", "offered"),
    ("gpus on CPU pool", "machine: m6i.xlarge, min: 2", "machine: m6i.xlarge, gpus_per_node: 2, min: 2", "node_pools.system.gpus_per_node", "gpus_per_node: 2", "only for accelerator pools"),
    ("machine on accelerator pool", "{accelerator: nvidia-a100-80gb,", "{machine: p4d.24xlarge, accelerator: nvidia-a100-80gb,", "node_pools.a100.machine", "machine: p4d", "p4d.24xlarge carries 8 x nvidia-a100-40gb (the catalogue lists it), not nvidia-a100-80gb"),
    ("bad machine name", "machine: m6i.xlarge", "machine: n2-standard-4", "node_pools.system.machine", "machine: n2", "is not a aws machine type name"),
    ("topology on GPU pool", "gpus_per_node: 8,", "gpus_per_node: 8, topology: 2x4,", "node_pools.a100.topology", "topology: 2x4", "only for TPU pools"),
    ("bad topology text", "gpus_per_node: 8,", "gpus_per_node: 8, topology: big,", "node_pools.a100.topology", "topology: big", "expected a TPU topology such as 2x4 or 2x2x2, got 'big'"),
    ("selector on cloud", "min: 2, max: 4}", "min: 2, max: 4, selector: {a: b}}", "node_pools.system.selector", "selector", "only for onprem"),
    ("no system pool", "  system: {machine: m6i.xlarge, min: 2, max: 4}\n", "", "node_pools", "node_pools", "needs at least one CPU pool with min >= 1"),
    ("public endpoint without cidrs", "node_pools:\n", "cluster: {endpoint: public}\nnode_pools:\n", "cluster.allowed_cidrs", "cluster", "a public endpoint needs allowed_cidrs"),
    ("bad endpoint", "node_pools:\n", "cluster: {endpoint: open}\nnode_pools:\n", "cluster.endpoint", "endpoint", "must be one of 'private' or 'public', got 'open'"),
    ("bad cidr", "node_pools:\n", "cluster: {endpoint: public, allowed_cidrs: [everywhere]}\nnode_pools:\n", "cluster.allowed_cidrs.0", "everywhere", "expected a CIDR block such as 10.0.0.0/16, got 'everywhere'"),
    ("cidrs with private endpoint", "node_pools:\n", "cluster: {allowed_cidrs: [10.0.0.0/8]}\nnode_pools:\n", "cluster.allowed_cidrs", "allowed_cidrs", "only used with endpoint: public"),
    ("artifacts bucket missing", "buckets: {datasets: {}, artifacts: {}}", "buckets: {datasets: {}}", "tracking.artifacts_bucket", None, "names bucket 'artifacts', which storage.buckets does not define (have: datasets)"),
    ("gpu quota above capacity", "gpu_quota: 8}", "gpu_quota: 40}", "teams.research.gpu_quota", "gpu_quota: 40", "40 GPUs is more than the GPU pools can ever provide (16 at their max)"),
    ("gpu team without gpu pools", "  a100: {accelerator: nvidia-a100-80gb, gpus_per_node: 8, min: 0, max: 2, spot: true}\n", "", "teams.research.gpu_quota", "gpu_quota: 8", "team 'research' asks for 8 GPUs but the cluster has no GPU pools"),
    ("unknown CI team", "refs: [refs/heads/main]", "refs: [refs/heads/main]\n  teams: [research, platform]", "ci.teams.1", "platform]", "unknown team 'platform'"),
    ("Neuron quota without Trainium pools", "gpu_quota: 8}", "gpu_quota: 8, neuron_quota: 4}", "teams.research.neuron_quota", "neuron_quota", "the cluster has no Trainium pools"),
    ("unknown CI provider", "provider: github", "provider: bitbucket", "ci.provider", "provider: bitbucket", "must be one of 'github' or 'gitlab', got 'bitbucket'"),
    ("bad CI repository", "repository: acme/ml-platform", "repository: ml-platform", "ci.repository", "repository", "got 'ml-platform'"),
    ("short CI ref", "refs: [refs/heads/main]", "refs: [main]", "ci.refs.0", "main]", "expected a full git ref such as refs/heads/main"),
    ("wildcard branch ref", "refs: [refs/heads/main]", "refs: ['refs/heads/*']", "ci.refs.0", "'refs/heads/*'", "wildcards only under refs/tags/"),
    ("empty CI refs", "refs: [refs/heads/main]", "refs: []", "ci.refs", "refs: []", "must have at least 1 item(s)"),
    ("repository listed twice", "[trainer, serving]", "[trainer, trainer]", "registry.repositories.1", "trainer]", "repository 'trainer' is listed twice"),
    ("kube_context on aws", "region: us-west-2", "region: us-west-2\n  kube_context: lab", "target.kube_context", "kube_context", "only for target.cloud onprem"),
    ("project_id on aws", "region: us-west-2", "region: us-west-2\n  project_id: p-1", "target.project_id", "project_id", "only for target.cloud gcp"),
    ("tier on aws", "shared: {size_gib: 1024}", "shared: {size_gib: 1024, tier: BASIC_HDD}", "storage.shared.tier", "tier", "only for gcp"),
    ("nfs on aws", "shared: {size_gib: 1024}", "shared: {size_gib: 1024, nfs_server: nas}", "storage.shared.nfs_server", "nfs_server", "only for onprem"),
    ("waiver without reason", "teams:\n", "waivers: {MLS001: ''}\nteams:\n", "waivers.MLS001", "MLS001", "a waiver needs a reason"),
    ("kubernetes version format", "teams:\n", "versions: {kubernetes: '1.3'}\nteams:\n", "versions.kubernetes", "kubernetes", "expected a Kubernetes minor version such as '1.33', got '1.3'"),
    ("kubernetes version as number", "teams:\n", "versions: {kubernetes: 1.33}\nteams:\n", "versions.kubernetes", "kubernetes", "expected a string, got 1.33. Quote it"),
    ("backup retention too short", "teams:\n", "tracking: {database: {backup_retention_days: 3}}\nteams:\n", "tracking.database.backup_retention_days", "backup_retention_days", "must be >= 7, got 3"),
    ("bad database size", "teams:\n", "tracking: {database: {size: huge}}\nteams:\n", "tracking.database.size", "size: huge", "must be one of 'small', 'medium' or 'large', got 'huge'"),
    ("node pools as list", "node_pools:\n  system: {machine: m6i.xlarge, min: 2, max: 4}\n  a100: {accelerator: nvidia-a100-80gb, gpus_per_node: 8, min: 0, max: 2, spot: true}\n", "node_pools: [system]\n", "node_pools", "node_pools", "expected a mapping"),
    ("unknown backend", "teams:\n", "backend: ftp://x\nteams:\n", "backend", "backend", "expected a URL starting with one of"),
    ("env differs from file", "project: acme-ml\n", "project: acme-ml\nenv: prod\n", "env", "env: prod", "is 'prod' but the file is staging.yaml"),
]


@pytest.mark.parametrize(("old", "new", "path", "anchor", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_malformed_spec(tmp_path, old, new, path, anchor, message):
    assert old in BASE, "the case must change the base spec"
    text = BASE.replace(old, new, 1)
    problems = errors_of(write(tmp_path, text))
    matching = [p for p in problems if p.path == path]
    assert matching, f"no problem at {path}; got {[str(p) for p in problems]}"
    problem = matching[0]
    assert message in problem.message
    assert problem.file.endswith("staging.yaml")
    if anchor is not None:
        assert (problem.line, problem.column) == where(text, anchor)


def test_at_least_forty_cases():
    assert len(CASES) >= 40


def test_every_problem_is_reported_at_once(tmp_path):
    text = BASE.replace("min: 0, max: 2", "min: 3, max: 2").replace("cloud: aws", "cloud: aws\n  kube_context: x")
    text = text.replace("gpu_quota: 8}", "gpu_quota: 8, colour: red}")
    problems = errors_of(write(tmp_path, text))
    # an unknown key and the cross-field rules' problems are reported in one run
    assert {p.path for p in problems} == {"teams.research.colour", "node_pools.a100.max", "target.kube_context"}
    # a wrong type stops before the rules (a rule run on a defaulted field could report what is not there)
    typed = text.replace(", colour: red", "").replace("gpu_quota: 8", "gpu_quota: many")
    assert {p.path for p in errors_of(write(tmp_path, typed))} == {"teams.research.gpu_quota"}


def test_message_format(tmp_path):
    text = BASE.replace("min: 0, max: 2", "min: 0, max: -1").replace("gpu_quota: 8", "gpu_quota: 0")
    with pytest.raises(SpecError) as info:
        load_spec_file(write(tmp_path, text))
    line, column = where(text, "max: -1")
    assert str(info.value.problems[0]).endswith(f"staging.yaml:{line}:{column}: node_pools.a100.max: must be >= min (0), got -1")
    assert str(info.value).startswith("1 problem in the spec:")
    assert info.value.exit_code == 2


ONPREM = textwrap.dedent(
    """\
    project: acme-ml
    target: {cloud: onprem, kube_context: lab}
    node_pools:
      system: {selector: {role: worker}}
      gpu: {accelerator: nvidia-l4, gpus_per_node: 4, selector: {mlstack.io/accelerator: nvidia-l4}}
    storage:
      shared: {nfs_server: nas.lab, nfs_path: /exports/ml}
      buckets: {artifacts: {}}
    teams:
      research: {group: research, gpu_quota: 4}
    """
)

ONPREM_CASES = [
    ("min on onprem", "{selector: {role: worker}}", "{selector: {role: worker}, min: 1}", "node_pools.system.min", "onprem pools describe existing nodes and do not scale"),
    ("spot on onprem", "{selector: {role: worker}}", "{selector: {role: worker}, spot: true}", "node_pools.system.spot", "onprem has no spot capacity"),
    ("no selector", "{selector: {role: worker}}", "{}", "node_pools.system.selector", "required on onprem"),
    ("GPU pool not labelled", "selector: {mlstack.io/accelerator: nvidia-l4}", "selector: {gpu: l4}", "node_pools.gpu.selector", "must carry mlstack.io/accelerator=nvidia-l4"),
    ("missing NFS server", "{nfs_server: nas.lab, nfs_path: /exports/ml}", "{nfs_path: /exports/ml}", "storage.shared.nfs_server", "required on onprem: the NFS server"),
    ("bad NFS server", "nfs_server: nas.lab,", "nfs_server: 'bad server!',", "storage.shared.nfs_server", "expected a host name or IP address such as nas.lab.internal, got 'bad server!'"),
    ("relative NFS path", "nfs_path: /exports/ml", "nfs_path: exports/ml", "storage.shared.nfs_path", "expected an absolute path such as /exports/ml, got 'exports/ml'"),
    ("region on onprem", "kube_context: lab}", "kube_context: lab, region: eu}", "target.region", "onprem has no region"),
    ("no kube context", "{cloud: onprem, kube_context: lab}", "{cloud: onprem}", "target.kube_context", "required for target.cloud onprem"),
    ("GPU operator off onprem", "project: acme-ml\n", "project: acme-ml\ncluster: {gpu_operator: true, gpu_node_os: ubuntu24.04}\n", None, None),
    ("GPU operator without node OS", "project: acme-ml\n", "project: acme-ml\ncluster: {gpu_operator: true}\n", "cluster.gpu_node_os", "required with gpu_operator"),
    ("node OS without GPU operator", "project: acme-ml\n", "project: acme-ml\ncluster: {gpu_node_os: ubuntu24.04}\n", "cluster.gpu_node_os", "only with cluster.gpu_operator"),
    ("malformed node OS", "project: acme-ml\n", "project: acme-ml\ncluster: {gpu_operator: true, gpu_node_os: Ubuntu 24.04}\n", "cluster.gpu_node_os", "expected text matching"),
    ("TPU quota without TPU pools", "gpu_quota: 4}", "gpu_quota: 4, tpu_quota: 8}", "teams.research.tpu_quota", "the cluster has no TPU pools"),
]


@pytest.mark.parametrize(("old", "new", "path", "message"), [c[1:] for c in ONPREM_CASES], ids=[c[0] for c in ONPREM_CASES])
def test_malformed_onprem_spec(tmp_path, old, new, path, message):
    assert old in ONPREM
    path_file = write(tmp_path, ONPREM.replace(old, new, 1), "lab.yaml")
    if path is None:  # a valid variation: the GPU operator is an onprem option
        assert load_spec_file(path_file).cluster.gpu_operator is True
        return
    problems = errors_of(path_file)
    assert any(p.path == path and message in p.message for p in problems), [str(p) for p in problems]


def test_onprem_base_is_valid(tmp_path):
    spec = load_spec_file(write(tmp_path, ONPREM, "lab.yaml"))
    assert spec.target.cloud == "onprem" and spec.node_pools["gpu"].selector == {"mlstack.io/accelerator": "nvidia-l4"}


def test_gpu_operator_is_onprem_only(tmp_path):
    text = BASE.replace("teams:\n", "cluster: {gpu_operator: true}\nteams:\n")
    problems = errors_of(write(tmp_path, text))
    assert [p.path for p in problems] == ["cluster.gpu_operator"]
    assert "only for onprem" in problems[0].message


@pytest.mark.parametrize(("old", "new", "path"), [
    ("  a100:", "  registry:", "node_pools.registry"),
    ("datasets: {}", "audit: {}", "storage.buckets.audit"),
    ("  research:", "  kube-system:", "teams.kube-system"),
    ("  research:", "  mlflow:", "teams.mlflow"),
])
def test_reserved_names(tmp_path, old, new, path):
    problems = errors_of(write(tmp_path, BASE.replace(old, new, 1)))
    assert any(p.path == path and "names a fixed part of the environment" in p.message for p in problems)


def test_a_bad_spec_registers_no_resource(tmp_path, monkeypatch):
    """The spec is checked before the program runs: nothing reaches the engine."""
    import mlstack.engine.plan.recorder as recorder
    from mlstack.engine.review.planning import plan_env

    calls = []
    monkeypatch.setattr(recorder, "record", lambda *a, **k: calls.append(a))
    write(tmp_path, BASE.replace("min: 0, max: 2", "min: 3, max: 2"))
    with pytest.raises(SpecError):
        plan_env("staging", tmp_path)
    assert calls == []


GCP = textwrap.dedent(
    """\
    project: acme-ml
    target: {cloud: gcp, region: us-central1, project_id: acme-ml-1234}
    node_pools:
      system: {machine: n2-standard-4, min: 2, max: 4}
      a100: {accelerator: nvidia-a100-80gb, gpus_per_node: 8, min: 0, max: 1}
      v5e: {accelerator: tpu-v5e, topology: 4x4, min: 0, max: 2}
    storage:
      shared: {size_gib: 1024, tier: BASIC_HDD}
      buckets: {artifacts: {}}
    teams:
      research: {group: research, gpu_quota: 8, tpu_quota: 16}
    """
)

GCP_CASES = [
    ("TPU topology not valid for the generation", "topology: 4x4", "topology: 3x3",
     "node_pools.v5e.topology", "2x4", "3x3"),
    ("TPU 3-D topology on a 2-D generation", "topology: 4x4", "topology: 2x2x2",
     "node_pools.v5e.topology", "4x4", "2x2x2"),
    ("GPU count not offered on the machine family", "gpus_per_node: 8", "gpus_per_node: 3",
     "node_pools.a100.gpus_per_node", "offered", "3"),
    ("Filestore size below the tier minimum", "{size_gib: 1024, tier: BASIC_HDD}", "{size_gib: 1024, tier: BASIC_SSD}",
     "storage.shared.size_gib", "Filestore BASIC_SSD takes 2560", "Set size_gib to at least 2560"),
    ("unknown Filestore tier", "tier: BASIC_HDD", "tier: PREMIUM",
     "storage.shared.tier", "unknown Filestore tier 'PREMIUM'", "Valid: BASIC_HDD"),
    ("TPU in a region without it", "region: us-central1", "region: europe-north1",
     "target.region", "pool 'v5e' asks for tpu-v5e, which is not offered in europe-north1", "us-central1"),
    ("TPU pool without topology", "topology: 4x4, ", "",
     "node_pools.v5e.topology", "required for TPU pools. Valid for tpu-v5e:", "4x4"),
    ("GPU count on a TPU pool", "topology: 4x4,", "topology: 4x4, gpus_per_node: 4,",
     "node_pools.v5e.gpus_per_node", "TPU pools are sized by topology", "Remove gpus_per_node"),
    ("missing project id", "region: us-central1, project_id: acme-ml-1234", "region: us-central1",
     "target.project_id", "required for target.cloud gcp", "project_id:"),
    ("zone of another region", "min: 0, max: 1}", "min: 0, max: 1, zones: [us-east1-b]}",
     "node_pools.a100.zones.0", "expected a zone of us-central1 such as us-central1-a", "us-east1-b"),
    ("TPU zone without the generation", "topology: 4x4,", "topology: 4x4, zones: [us-central1-f],",
     "node_pools.v5e.zones.0", "tpu-v5e is offered in us-central1-a of us-central1", "us-central1-f"),
    ("Trainium on gcp", "accelerator: nvidia-a100-80gb, gpus_per_node: 8", "accelerator: aws-trainium",
     "node_pools.a100.accelerator", "aws-trainium is not offered on gcp", "aws"),
]


@pytest.mark.parametrize(("old", "new", "path", "expected", "fix"), [c[1:] for c in GCP_CASES], ids=[c[0] for c in GCP_CASES])
def test_malformed_gcp_spec(tmp_path, old, new, path, expected, fix):
    assert old in GCP
    problems = errors_of(write(tmp_path, GCP.replace(old, new, 1), "gcp.yaml"))
    matching = [p for p in problems if p.path == path]
    assert matching, [str(p) for p in problems]
    assert expected in matching[0].message and fix in matching[0].message


def test_gcp_base_is_valid(tmp_path):
    spec = load_spec_file(write(tmp_path, GCP, "gcp.yaml"))
    assert spec.node_pools["v5e"].topology == "4x4"


@pytest.mark.parametrize(("member", "ok"), [
    ("arn:aws:iam::123456789012:role/research", True),
    ("arn:aws:iam::123456789012:user/ana", True),
    ("research@acme.com", False),
    ("arn:aws:iam::1234:role/x", False),
])
def test_team_members_on_aws_are_iam_principals(tmp_path, member, ok):
    text = BASE.replace("gpu_quota: 8}", f"gpu_quota: 8, members: ['{member}']}}")
    path = write(tmp_path, text)
    if ok:
        assert load_spec_file(path).teams["research"].members == [member]
        return
    problems = errors_of(path)
    assert [p.path for p in problems] == ["teams.research.members.0"]
    assert problems[0].message == f"expected an IAM role or user ARN such as arn:aws:iam::123456789012:role/research on aws, got {member!r}"


def test_zones_are_gcp_only(tmp_path):
    problems = errors_of(write(tmp_path, BASE.replace("min: 0, max: 2", "min: 0, max: 2, zones: [us-west-2a]")))
    assert [(p.path, p.message) for p in problems] == [
        ("node_pools.a100.zones", "only for gcp; on aws pools span the network's zones. Remove it")
    ]


def test_gcp_zones_reach_the_node_pool(tmp_path):
    from mlstack.targets.gcp.mapping import node_pool_args, tpu_pool_args
    from mlstack.catalog import load_catalog

    text = GCP.replace("min: 0, max: 1}", "min: 0, max: 1, zones: [us-central1-a, us-central1-c]}")
    spec = load_spec_file(write(tmp_path, text, "gcp.yaml"))
    args = node_pool_args(spec, "a100", spec.node_pools["a100"], load_catalog())
    assert args.node_locations == ("us-central1-a", "us-central1-c")
    assert tpu_pool_args(spec, "v5e", spec.node_pools["v5e"], load_catalog()).zone == "us-central1-a"
