"""Malformed ``ci.notebooks`` (and the CI trust without a provider): exact path, file:line:col, message and fix;
nothing registered."""

from __future__ import annotations

import textwrap

import pytest

from mlstack.spec import load_spec_file

from .test_malformed_workloads import _problems, _where, _write

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
      buckets: {artifacts: {}}
    ci:
      provider: github
      repository: acme/ml-platform
      notebooks:
        evaluate:
          path: notebooks/evaluate.ipynb
          parameters: {epochs: 3, dataset: s3://acme-datasets/eval, strict: true, rate: 0.1}
        gpu-eval:
          path: notebooks/gpu.ipynb
          runner: kubernetes
          team: research
          pool: a100
          image: ghcr.io/acme/notebooks:1.0.0
    teams:
      research: {group: research, quotas: {a100: 8}}
      vision: {group: vision}
    """
)


def test_base_is_valid(tmp_path):
    spec = load_spec_file(_write(tmp_path, BASE))
    evaluate, gpu = spec.ci.notebooks["evaluate"], spec.ci.notebooks["gpu-eval"]
    assert evaluate.parameters == {"epochs": 3, "dataset": "s3://acme-datasets/eval", "strict": True, "rate": 0.1}
    assert (evaluate.runner, evaluate.team, evaluate.pool, evaluate.image, evaluate.experiment) == ("ci", None, None, None, None)
    assert (evaluate.timeout_minutes, evaluate.queue, evaluate.cpu, evaluate.memory_gib, evaluate.accelerators) == (60, "default", 2, 8, 1)
    assert (gpu.runner, gpu.team, gpu.pool, gpu.image) == ("kubernetes", "research", "a100", "ghcr.io/acme/notebooks:1.0.0")
    assert spec.ci.trusted


def test_ci_without_a_provider_lists_notebooks_and_creates_no_trust(tmp_path):
    text = BASE.replace("  provider: github\n  repository: acme/ml-platform\n", "")
    spec = load_spec_file(_write(tmp_path, text))
    assert spec.ci.provider is None and spec.ci.repository is None and not spec.ci.trusted
    assert sorted(spec.ci.notebooks) == ["evaluate", "gpu-eval"]


CASES = [
    ("provider without repository", "  repository: acme/ml-platform\n", "", "ci.repository", "ci:\n",
     "the github CI trust is pinned to one repository. Add repository: OWNER/REPO (GitHub) or group/project (GitLab)"),
    ("repository without provider", "  provider: github\n", "", "ci.provider", "ci:\n",
     "repository names the repository a CI trust accepts: add provider: github or gitlab, or remove repository"),
    ("absolute path", "path: notebooks/evaluate.ipynb", "path: /etc/evaluate.ipynb", "ci.notebooks.evaluate.path", "path: /etc",
     "/etc/evaluate.ipynb"),
    ("path leaving the project", "path: notebooks/evaluate.ipynb", "path: ../other/evaluate.ipynb", "ci.notebooks.evaluate.path",
     "path: ../", "must stay inside the project: a path relative to the project root without '..', got '../other/evaluate.ipynb'"),
    ("not a notebook", "path: notebooks/evaluate.ipynb", "path: notebooks/evaluate.py", "ci.notebooks.evaluate.path", "path: notebooks/evaluate.py",
     "notebooks/evaluate.py"),
    ("unknown runner", "runner: kubernetes", "runner: lambda", "ci.notebooks.gpu-eval.runner", "runner: lambda",
     "must be one of 'ci' or 'kubernetes', got 'lambda'"),
    ("a parameter that is a list", "strict: true", "strict: [1, 2]", "ci.notebooks.evaluate.parameters.strict", "strict: [1, 2]",
     "expected a string, a number or true/false, got a list"),
    ("team on the CI runner", "    path: notebooks/evaluate.ipynb\n", "    path: notebooks/evaluate.ipynb\n      team: research\n",
     "ci.notebooks.evaluate.team", "team: research\n      parameters",
     "only for runner: kubernetes (a Job in a team's namespace); the CI runner ignores it. Set runner: kubernetes, or remove team"),
    ("kubernetes without a team", "      team: research\n      pool", "      pool", "ci.notebooks.gpu-eval.team", "gpu-eval:",
     "runner kubernetes runs the notebook in a team's namespace with its queue and MLflow user: name the team (teams: research, vision)"),
    ("unknown team", "team: research", "team: reserch", "ci.notebooks.gpu-eval.team", "team: reserch",
     "unknown team 'reserch' (teams: research, vision). Add it under teams:, or name one of them"),
    ("team CI may not use", "  repository: acme/ml-platform\n", "  repository: acme/ml-platform\n  teams: [vision]\n",
     "ci.notebooks.gpu-eval.team", "team: research", "CI may run Jobs only in the namespaces of ci.teams (vision). Add 'research' to ci.teams, or name one of them"),
    ("unknown pool", "pool: a100", "pool: h100", "ci.notebooks.gpu-eval.pool", "pool: h100",
     "no node pool 'h100' (node_pools: a100, system). Name one, or remove pool to run on any node"),
    ("kubernetes without an image", "      image: ghcr.io/acme/notebooks:1.0.0\n", "", "ci.notebooks.gpu-eval.image", "gpu-eval:",
     "runner kubernetes needs the Job's image: one with mlstack[notebook] and the notebook's dependencies, pinned"),
    ("image on latest", "notebooks:1.0.0", "notebooks:latest", "ci.notebooks.gpu-eval.image", "image: ghcr.io",
     "pin a tag or digest (not latest), e.g. ghcr.io/acme/notebooks:1.4.0, got 'ghcr.io/acme/notebooks:latest'"),
    ("timeout of zero", "runner: kubernetes\n", "runner: kubernetes\n      timeout_minutes: 0\n", "ci.notebooks.gpu-eval.timeout_minutes",
     "timeout_minutes: 0", "must be >= 1, got 0"),
    ("queue without Kueue", "runner: kubernetes\n", "runner: kubernetes\n      queue: batch\n", "ci.notebooks.gpu-eval.queue", "queue: batch",
     "workloads.enabled is false: there is no Kueue queue to submit to. Remove queue, or enable workloads"),
    ("notebook name not a DNS label", "    gpu-eval:\n", "    GPU_eval:\n", "ci.notebooks.GPU_eval.[key]", "GPU_eval",
     "expected a DNS-safe name: lowercase letters, digits and '-', starting with a letter, got 'GPU_eval'"),
    ("misspelt field", "      pool: a100\n", "      node_pool: a100\n", "ci.notebooks.gpu-eval.node_pool", "node_pool: a100",
     "unknown field 'node_pool'"),
]


@pytest.mark.parametrize(("old", "new", "path", "anchor", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_malformed_notebooks(tmp_path, old, new, path, anchor, message):
    assert old in BASE
    text = BASE.replace(old, new, 1)
    if "queue: batch" in new:
        text = text.replace("teams:\n  research: {group: research, quotas: {a100: 8}}", "workloads: {enabled: false}\nteams:\n  research: {group: research}")
    problems = _problems(_write(tmp_path, text))
    matching = [p for p in problems if p.path == path]
    assert matching, f"no problem at {path}; got {[str(p) for p in problems]}"
    assert message in matching[0].message
    assert matching[0].file.endswith("staging.yaml")
    assert (matching[0].line, matching[0].column) == _where(text, anchor)
