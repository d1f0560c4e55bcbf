"""Every generated pipeline passes independent tools, installed offline from the package registries: actionlint
with shellcheck (GitHub workflows, every `run:` script), check-jsonschema's vendored GitLab CI schema, and the
Groovy compiler's parser (Jenkinsfile). Each tool runs once over all renders: every cloud, fresh and deployed,
and the repository's own stacks with their notebook stages. Each is also shown to fail on a broken file."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mlstack.engine.scaffold.generate import CI_FILES

from .test_notebook_stages import pipeline
from .test_templates import CLOUDS, _deployed_ci, _render

BIN = Path(sys.executable).parent
HERE = Path(__file__).resolve().parent
TIMEOUT_S = 300


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(BIN)) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: pip install -e '.[test]' installs it")
    return found


@pytest.fixture(scope="module")
def renders(tmp_path_factory) -> dict[str, list[Path]]:
    """Every pipeline mlstack generates, written to files: provider -> paths."""
    root = tmp_path_factory.mktemp("pipelines")
    out: dict[str, list[Path]] = {}
    for ci in ("github", "gitlab", "jenkins"):
        texts = {f"{cloud}-fresh": _render(cloud, ci)[CI_FILES[ci][1]] for cloud in CLOUDS}
        texts |= {f"{cloud}-deployed": _deployed_ci(cloud, ci) for cloud in CLOUDS}
        texts["notebooks"] = pipeline(tmp_path_factory.mktemp(f"notebooks-{ci}"), ci)
        for name, text in texts.items():
            path = root / ci / name / Path(CI_FILES[ci][1]).name
            path.parent.mkdir(parents=True)
            path.write_text(text, encoding="utf-8")
            out.setdefault(ci, []).append(path)
    return out


def _actionlint(paths: list[Path]) -> subprocess.CompletedProcess:
    return subprocess.run([_tool("actionlint"), "-no-color", "-shellcheck", _tool("shellcheck"), *map(str, paths)],
                          capture_output=True, text=True, timeout=TIMEOUT_S)


def _gitlab_schema(paths: list[Path]) -> subprocess.CompletedProcess:
    return subprocess.run([_tool("check-jsonschema"), "--builtin-schema", "vendor.gitlab-ci", *map(str, paths)],
                          capture_output=True, text=True, timeout=TIMEOUT_S)


def _groovy(paths: list[Path]) -> subprocess.CompletedProcess:
    lib = Path(os.environ.get("MLSTACK_GROOVY_LIB", Path.home() / ".cache/mlstack-ci/npm-groovy-lint-18.0.0/node_modules/npm-groovy-lint/lib/java/groovy/lib"))
    if not list(lib.glob("groovy-[0-9]*.jar")) or shutil.which("java") is None:
        pytest.skip(f"no Groovy parser at {lib} (MLSTACK_GROOVY_LIB) or no java: .ci/run installs npm-groovy-lint's")
    return subprocess.run(["java", "-cp", f"{lib}/*", "groovy.ui.GroovyMain", str(HERE / "groovy_syntax.groovy"), *map(str, paths)],
                          capture_output=True, text=True, timeout=TIMEOUT_S)


def test_every_github_workflow_passes_actionlint_and_shellcheck(renders):
    assert len(renders["github"]) == 7
    done = _actionlint(renders["github"])
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_actionlint_catches_a_shell_mistake_and_a_deprecated_action(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("on: push\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n"
                   "      - uses: actions/checkout@v4\n      - run: echo $HOME/$1 > $OUT\n")
    done = _actionlint([bad])
    assert done.returncode == 1
    assert 'runtime "node20" is deprecated' in done.stdout and "[action]" in done.stdout
    assert "SC2086" in done.stdout and "[shellcheck]" in done.stdout


def test_every_gitlab_pipeline_passes_the_gitlab_ci_schema(renders):
    assert len(renders["gitlab"]) == 7
    done = _gitlab_schema(renders["gitlab"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok -- validation done" in done.stdout


def test_the_gitlab_schema_check_catches_a_wrong_key(tmp_path):
    bad = tmp_path / ".gitlab-ci.yml"
    bad.write_text("job:\n  script: [echo hi]\n  artifact:\n    paths: [x]\n")
    done = _gitlab_schema([bad])
    assert done.returncode == 1 and "Schema validation errors were encountered" in done.stdout


def test_every_jenkinsfile_parses_as_groovy(renders):
    assert len(renders["jenkins"]) == 7
    done = _groovy(renders["jenkins"])
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [f"ok {p}" for p in renders["jenkins"]]


def test_the_groovy_check_catches_a_syntax_error(renders, tmp_path):
    text = renders["jenkins"][0].read_text(encoding="utf-8")
    bad = tmp_path / "Jenkinsfile"
    bad.write_text(text.replace("stage('Review') {", "stage('Review' {", 1), encoding="utf-8")
    done = _groovy([bad])
    assert done.returncode == 1 and f"{bad}: startup failed" in done.stderr and "Unexpected input" in done.stderr
