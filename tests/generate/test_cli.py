"""`mlstack init`, `new-env` and `ci` through the CLI boundary: exit codes, output, files written or not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlstack.cli import main

from .helpers import init_argv

FILES = [
    ".github/workflows/mlstack.yml", ".gitignore", "Pulumi.yaml", "README.md", "__main__.py", "requirements.txt",
    "schema/spec.schema.json", "schema/stack-file.schema.json", "stacks/base.yaml", "stacks/prod.yaml", "stacks/staging.yaml",
]


def _tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.mark.parametrize("cloud", ["aws", "gcp", "onprem"])
def test_init_writes_a_project_that_validates(tmp_path, capsys, no_tty, cloud):
    from mlstack.spec import load_spec
    from mlstack.spec.schema import schema_text

    root = tmp_path / "platform"
    assert main(init_argv(root, cloud)) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [f"wrote {root / f}" for f in FILES] + [
        f"next: cd {root} && mlstack validate --env staging && mlstack plan --env staging"
    ]
    assert _tree(root) == FILES
    assert (root / "schema/spec.schema.json").read_text() == schema_text("spec")
    assert (root / "schema/stack-file.schema.json").read_text() == schema_text("stack-file")
    for env in ("staging", "prod"):
        text = (root / "stacks" / f"{env}.yaml").read_text()
        assert text.startswith("# yaml-language-server: $schema=../schema/stack-file.schema.json\n")
        spec = load_spec(env, root / "stacks")
        assert (spec.project, spec.target.cloud, spec.protected) == ("acme-ml", cloud, env == "prod")
    assert ".mlstack/" in (root / ".gitignore").read_text().splitlines()
    assert "build(load_spec(pulumi.get_stack()" in (root / "__main__.py").read_text()


def test_init_refuses_to_overwrite_lists_files_and_writes_nothing(tmp_path, capsys, no_tty):
    root = tmp_path / "p"
    (root / "stacks").mkdir(parents=True)
    (root / "stacks" / "base.yaml").write_text("project: mine\n")
    (root / "README.md").write_text("mine\n")
    assert main(init_argv(root, "aws")) == 2
    err = capsys.readouterr().err
    assert err == (
        "error: refusing to overwrite 2 existing file(s) (use --force to overwrite):\n"
        f"  {root / 'README.md'}\n  {root / 'stacks/base.yaml'}\n"
    )
    assert _tree(root) == ["README.md", "stacks/base.yaml"]
    assert main([*init_argv(root, "aws"), "--force"]) == 0
    assert _tree(root) == FILES


def test_init_dry_run_lists_and_writes_nothing(tmp_path, capsys, no_tty):
    root = tmp_path / "p"
    assert main([*init_argv(root, "gcp", "gitlab"), "--dry-run"]) == 0
    out = capsys.readouterr().out.splitlines()
    expected = sorted([*FILES[1:], ".gitlab-ci.yml"])
    assert out == [f"would write {root / f}" for f in expected]
    assert not root.exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--project", "Acme_ML", "--cloud", "aws", "--region", "us-west-2", "--repository", "a/b"],
         "error: --project 'Acme_ML' cannot name cloud resources: use a lowercase DNS label of at most 24 characters"),
        (["--project", "a" * 25, "--cloud", "aws"], "cannot name cloud resources"),
        (["--project", "acme", "--cloud", "azure"], "error: --cloud: unknown value 'azure'. Allowed: aws, gcp, onprem"),
        (["--project", "acme", "--cloud", "aws", "--ci", "githb"],
         "error: --ci: unknown value 'githb' (did you mean 'github'?). Allowed: github, gitlab, jenkins"),
        (["--project", "acme", "--cloud", "gcp", "--region", "us-central1", "--repository", "a/b"],
         "error: missing --project-id: gcp project id (no terminal to ask on)"),
        (["--project", "acme", "--cloud", "aws", "--region", "us-west-2"],
         "error: missing --repository: repository whose github ci may deploy (owner/repo) (no terminal to ask on)"),
        (["--cloud", "onprem"], "error: missing --project:"),
        (["--project", "acme", "--cloud", "aws", "--region", "us-west-2", "--repository", "nope"],
         "error: --repository 'nope': expected owner/repo"),
        (["--project", "abcdefghijklmnopqrstuvwx", "--cloud", "aws", "--region", "us-west-2", "--repository", "a/b"],
         "error: the generated stacks do not validate with these values (check --project)"),
        (["--project", "acme", "--cloud", "aws", "--region", "us-west-2", "--repository", "a/b", "--backend", "http://x"],
         "error: the generated stacks do not validate with these values (check --backend): backend: expected a URL"),
        (["--project", "acme", "--cloud", "gcp", "--region", "us-central1", "--project-id", "acme-ml-1234",
          "--repository", "a/b", "--ci", "gitlab", "--gitlab-url", "ftp://x"],
         "(check --gitlab-url): ci.gitlab_url: must be an https:// URL"),
        (["--project", "acme", "--cloud", "aws", "--region", "mars-1", "--repository", "a/b"],
         "error: --region 'mars-1' is not an AWS region name: expected one like us-west-2, eu-central-1 or us-gov-west-1"),
        (["--project", "acme", "--cloud", "aws", "--region", "us-central1", "--repository", "a/b"],
         "error: --region 'us-central1' is not an AWS region name"),
        (["--project", "acme", "--cloud", "gcp", "--region", "us-west-2", "--project-id", "acme-ml-1234", "--repository", "a/b"],
         "error: --region 'us-west-2' is not a GCP region name: expected one like us-central1 or europe-west4"),
    ],
)
def test_init_bad_input_exits_2_and_writes_nothing(tmp_path, capsys, no_tty, argv, message):
    root = tmp_path / "p"
    assert main(["init", str(root), *argv]) == 2
    assert message in capsys.readouterr().err
    assert not root.exists()


@pytest.mark.parametrize(
    "cloud, region, warned",
    [("aws", "us-west-2", False), ("aws", "eu-west-1", True), ("aws", "us-gov-west-1", True),
     ("gcp", "us-central1", False), ("gcp", "asia-northeast1", True)],
)
def test_init_warns_when_the_catalogue_has_no_prices_for_the_region(tmp_path, capsys, no_tty, cloud, region, warned):
    argv = [*init_argv(tmp_path / "p", cloud), "--region", region]  # the last --region wins
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert (tmp_path / "p" / "stacks" / "staging.yaml").is_file()
    if warned:
        assert captured.err.startswith(f"warning: the catalogue has no {cloud} prices for {region} (it has ")
        assert captured.err.endswith("): `mlstack cost` cannot estimate this environment's machines\n")
        assert "warning" not in captured.out
    else:
        assert captured.err == ""


def test_init_asks_on_a_terminal(tmp_path, capsys, monkeypatch):
    from mlstack.cli import cmd_generate

    answers = {"Cloud (aws, gcp, onprem)": "aws", "Region": "eu-west-1", "Repository whose github CI may deploy (owner/repo)": "acme/ml"}
    asked = []
    monkeypatch.setattr(cmd_generate, "_interactive", lambda: True)
    monkeypatch.setattr(cmd_generate.typer, "prompt", lambda q, default=None: asked.append((q, default)) or answers.get(q, default))
    root = tmp_path / "team-ml"
    assert main(["init", str(root)]) == 0
    assert asked == [
        ("Cloud (aws, gcp, onprem)", None),
        ("Project name (lowercase, prefixes every resource)", "team-ml"),
        ("Region", "us-west-2"),
        ("Repository whose github CI may deploy (owner/repo)", None),
    ]
    base = (root / "stacks/base.yaml").read_text()
    assert "project: team-ml\n" in base and "  repository: acme/ml\n" in base
    assert "  region: eu-west-1\n" in (root / "stacks/staging.yaml").read_text()


# -- new-env ---------------------------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path, no_tty, capsys):
    root = tmp_path / "p"
    assert main(init_argv(root, "aws")) == 0
    capsys.readouterr()
    return root


def test_new_env_copies_the_source_with_overrides(project, capsys):
    from mlstack.spec import load_spec

    stacks = project / "stacks"
    argv = ["--stacks-dir", str(stacks), "new-env", "perf", "--from", "staging",
            "--set", "node_pools.l4.max=8", "--set", "versions.kubernetes=1.34", "--add", "tags.cost-center=1234"]
    assert main(argv) == 0
    assert capsys.readouterr().out == f"wrote {stacks / 'perf.yaml'}\n"
    text = (stacks / "perf.yaml").read_text()
    assert text.splitlines()[:3] == [
        "# yaml-language-server: $schema=../schema/stack-file.schema.json",
        "# perf: copied from staging.yaml by `mlstack new-env` with tags.cost-center=1234 (added), node_pools.l4.max=8, "
        "versions.kubernetes=1.34.",
        "extends: base.yaml",
    ]
    spec = load_spec("perf", stacks)
    assert spec.node_pools["l4"].max == 8 and spec.versions.kubernetes == "1.34"
    assert spec.tags["cost-center"] == "1234" and spec.tags["managed-by"] == "mlstack"  # tags merge with base
    assert "    max: 4\n" not in text and "  system: {machine: m6i.xlarge, min: 2, max: 4}\n" in text  # layout kept


def test_new_env_can_extend_the_source(project, capsys):
    from mlstack.spec import load_spec

    stacks = project / "stacks"
    assert main(["--stacks-dir", str(stacks), "new-env", "qa", "--from", "staging", "--extend-source", "--set", "protect=true"]) == 0
    assert (stacks / "qa.yaml").read_text().splitlines()[2:] == ["extends: staging.yaml", "protect: true"]
    assert load_spec("qa", stacks).protected


@pytest.mark.parametrize(
    "sets, message",
    [
        (["node_pools.l4.maxx=8"],
         "error: --set node_pools.l4.maxx=...: node_pools.l4.maxx does not exist: no key 'maxx' at node_pools.l4 "
         "(did you mean 'max'?). Allowed there: accelerator, capacity, disk_size_gib, disruption, gpus_per_node, "
         "instance_types, labels, local_nvme, machine, max, min, multi_node, reservation, selector, spot, topology, zones"),
        (["trackin.replicas=1"], "no key 'trackin' at the top level (did you mean 'tracking'?). Allowed there: audit, backend,"),
        (["registry.repositories.x=1"], "registry.repositories is a list and has no key 'x': set the whole list"),
        (["node_pools.l4.max"], "error: --set: expected path=value (the argument has no '=')"),
        (["node_pools.l4.max=lots"], "  --set node_pools.l4.max=...: expected a whole number, got the value given\n"),
        (["node_pools.l4={min: 0, max: lots}"], "  --set node_pools.l4=...: node_pools.l4.max: expected a whole number"),
        (["node_pools.h100.max=8"],
         "error: --set node_pools.h100.max=...: staging has no node_pools.h100. Existing keys at node_pools: l4, system. "
         "To create it, use --add node_pools.h100.max=..."),
        (["node_pools.sytem.max=8"], "staging has no node_pools.sytem (did you mean 'system'?). Existing keys at node_pools:"),
        (["tags.team=ml"], "error: --set tags.team=...: staging has no tags.team. Existing keys at tags: managed-by, project."),
        (["teams.reserch.gpu_quota=8"], "staging has no teams.reserch (did you mean 'research'?). Existing keys at teams: research."),
        (["waivers.aws-001=legacy"], "staging has no waivers.aws-001. waivers has no keys in staging. To create it, use --add waivers.aws-001=..."),
        (["node_pools.l4.spot=maybe"], "  --set node_pools.l4.spot=...: expected true or false"),
    ],
)
def test_new_env_bad_override_exits_2_and_writes_nothing(project, capsys, sets, message):
    stacks = project / "stacks"
    before = _tree(project)
    argv = ["--stacks-dir", str(stacks), "new-env", "perf", "--from", "staging"]
    for s in sets:
        argv += ["--set", s]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "mlstack-new-env-" not in err  # errors name the real stacks folder, not the scratch copy
    assert "perf.yaml:" not in err  # the file is not written: no line numbers in it
    assert _tree(project) == before


def test_new_env_add_creates_keys_that_set_may_then_refine(project, capsys):
    from mlstack.spec import load_spec

    stacks = project / "stacks"
    argv = ["--stacks-dir", str(stacks), "new-env", "perf", "--from", "staging",
            "--add", "node_pools.h100={accelerator: nvidia-h100, max: 2}", "--set", "node_pools.h100.min=0",
            "--set", "node_pools.l4.max=8"]
    assert main(argv) == 0, capsys.readouterr().err
    spec = load_spec("perf", stacks)
    assert (spec.node_pools["h100"].accelerator, spec.node_pools["h100"].max) == ("nvidia-h100", 2)
    assert spec.node_pools["l4"].max == 8 and set(spec.node_pools) == {"system", "l4", "h100"}


@pytest.mark.parametrize(
    "adds, message",
    [
        (["node_pools.l4.max=8"], "error: --add node_pools.l4.max=...: node_pools.l4 exists already in staging: use --set to change it"),
        (["protect=true"], "error: --add protect=...: protect is not in a named collection, so there is no key to add: use --set"),
        (["node_pools.h100.maxx=8"], "error: --add node_pools.h100.maxx=...: node_pools.h100.maxx does not exist: no key 'maxx'"),
    ],
)
def test_new_env_bad_add_exits_2_and_writes_nothing(project, capsys, adds, message):
    stacks = project / "stacks"
    before = _tree(project)
    argv = ["--stacks-dir", str(stacks), "new-env", "perf", "--from", "staging"]
    for a in adds:
        argv += ["--add", a]
    assert main(argv) == 2
    assert message in capsys.readouterr().err
    assert _tree(project) == before


def test_new_env_cross_field_problem_blames_the_override(project, capsys):
    stacks = project / "stacks"
    # min above max: the rule reports max, a sibling of the --set field, so the --set is blamed
    assert main(["--stacks-dir", str(stacks), "new-env", "perf", "--from", "staging", "--set", "node_pools.l4.min=9"]) == 2
    err = capsys.readouterr().err
    assert "  --set node_pools.l4.min=...: node_pools.l4.max: must be >= min (9), got 4\n" in err
    assert "perf.yaml" not in err


def test_new_env_problem_of_copied_content_names_the_unwritten_file(tmp_path):
    from mlstack.engine.scaffold.overrides import _blame, parse
    from mlstack.spec.errors import Problem

    problem = Problem("/tmp/x/perf.yaml", 18, 5, "registry.untagged_expiry_days", "expected a whole number")
    blamed = _blame(problem, [parse("node_pools.l4.max=8")], tmp_path / "perf.yaml")
    assert str(blamed) == f"{tmp_path / 'perf.yaml'} (not written): registry.untagged_expiry_days: expected a whole number"


def test_new_env_unknown_source_and_bad_name(project, capsys):
    stacks = project / "stacks"
    assert main(["--stacks-dir", str(stacks), "new-env", "perf", "--from", "dev"]) == 2
    assert "unknown environment 'dev'" in capsys.readouterr().err
    assert main(["--stacks-dir", str(stacks), "new-env", "Perf_1", "--from", "staging"]) == 2
    assert "NAME 'Perf_1' is not a name: an environment is named, not located" in capsys.readouterr().err
    assert main(["--stacks-dir", str(stacks), "new-env", "prod", "--from", "staging"]) == 2
    assert "refusing to overwrite 1 existing file(s)" in capsys.readouterr().err


# -- ci --------------------------------------------------------------------------------------------------


def test_ci_reads_lock_outputs_and_refuses_a_mismatched_provider(project, capsys):
    stacks = project / "stacks"
    lock = {"lock_version": 1, "project": "acme-ml", "env": "staging", "outputs": {"ci_role_arn": "arn:aws:iam::1:role/r"}}
    (stacks / "staging.lock.json").write_text(json.dumps(lock))
    assert main(["ci", "github", "--dir", str(project), "--force"]) == 0
    assert capsys.readouterr().out == f"wrote {project / '.github/workflows/mlstack.yml'}\n"
    text = (project / ".github/workflows/mlstack.yml").read_text()
    assert "role-to-assume: arn:aws:iam::1:role/r   # from stacks/staging.lock.json" in text
    assert "role-to-assume: ${{ vars.MLSTACK_PROD_AWS_ROLE_ARN }}" in text
    assert main(["ci", "gitlab", "--dir", str(project)]) == 2
    assert "ci.provider is 'github' in stacks/staging.yaml" in capsys.readouterr().err
    assert not (project / ".gitlab-ci.yml").exists()
    assert main(["ci", "circleci", "--dir", str(project)]) == 2
    assert "error: provider: unknown value 'circleci'. Allowed: github, gitlab, jenkins" in capsys.readouterr().err
    assert main(["--stacks-dir", str(stacks), "ci", "jenkins"]) == 0
    assert (project / "Jenkinsfile").is_file()


def test_ci_corrupt_lock_is_a_usage_error(project, capsys):
    (project / "stacks" / "staging.lock.json").write_text("{not json")
    assert main(["ci", "github", "--dir", str(project), "--force"]) == 2
    assert "staging.lock.json: not a readable lock file" in capsys.readouterr().err
