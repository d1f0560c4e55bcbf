"""Every YAML snippet in the docs that is a spec, or a part of one, is one `mlstack validate` accepts; and the
training example's credentials are the Secret the platform creates.

A snippet is a spec part when its top-level keys are spec fields (or ``extends``, or ``x-`` anchors). A whole
spec (with ``project`` and ``target``) is validated as it is, beside the example stacks (its ``extends`` resolves
there); a part is validated as an overlay of the example environment its first line names
(``# in stacks/<env>.yaml``; default staging), through mlstack's own ``extends`` merge.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml

from mlstack.cli import main
from mlstack.spec.schema import stack_file_schema

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted((ROOT / "docs").rglob("*.md")) + [ROOT / "README.md"]
FENCE = re.compile(r"^(?P<indent>[ \t]*)```yaml\n(?P<body>.*?)^(?P=indent)```", re.S | re.M)
IN_ENV = re.compile(r"^# in stacks/(?P<env>[a-z0-9-]+)\.yaml")


def _snippets() -> list[tuple[str, str]]:
    found = []
    for doc in DOCS:
        for i, m in enumerate(FENCE.finditer(doc.read_text(encoding="utf-8"))):
            indent = len(m["indent"])
            body = "\n".join(line[indent:] for line in m["body"].splitlines()) + "\n"
            found.append((f"{doc.relative_to(ROOT)}#{i}", body))
    return found


def _is_spec_part(body: str) -> bool:
    """Top-level keys that are spec fields, each holding the kind of value the field takes (a job's ``env:``
    list is not the spec's ``env:`` name)."""
    data = yaml.safe_load(body)
    if not isinstance(data, dict) or not data:
        return False
    props = stack_file_schema()["properties"]
    for key, value in data.items():
        if str(key).startswith("x-"):
            continue
        if key not in props:
            return False
        node = props[key]
        kinds = {k.get("type", "object") for k in node.get("anyOf", [node])}  # a $ref: a section (a map)
        if kinds and _KIND[type(value)] not in kinds and not (value is None and "null" in kinds):
            return False
    return True


_KIND = {str: "string", int: "integer", bool: "boolean", float: "number", dict: "object", list: "array",
         type(None): "null"}


SPEC_SNIPPETS = [(where, body) for where, body in _snippets() if _is_spec_part(body)]


def test_the_collector_finds_the_spec_snippets():
    where = {w.split("#")[0] for w, _ in SPEC_SNIPPETS}
    assert {"docs/architecture.md", "docs/platform.md", "docs/review.md", "docs/safety.md"} <= where
    assert not _is_spec_part("apiVersion: v1\nkind: Pod\n") and not _is_spec_part("- {name: A, value: b}\n")


@pytest.mark.parametrize(("where", "body"), SPEC_SNIPPETS, ids=[w for w, _ in SPEC_SNIPPETS])
def test_every_spec_snippet_in_the_docs_validates(where, body, tmp_path, capsys):
    stacks = tmp_path / "stacks"
    shutil.copytree(ROOT / "stacks", stacks)
    data = yaml.safe_load(body)
    if "project" in data and "target" in data:
        env, text = data.get("env", "snippet"), body  # a whole spec: in place of the example of its name
    else:
        m = IN_ENV.match(body)
        env, text = "snippet", f"extends: {m['env'] if m else 'staging'}.yaml\n{body}"
    (stacks / f"{env}.yaml").write_text(text)
    code = main(["--stacks-dir", str(stacks), "validate", "--env", env])
    out, err = capsys.readouterr()
    assert code == 0, f"{where} is refused by mlstack validate:\n{err}"
    assert all(line.startswith("warning: ") for line in err.splitlines()), err  # what mlstack could not check
    assert "valid" in out


def test_the_training_example_reads_secrets_the_platform_creates(example_plan):
    """docs/platform.md's job environment names a Secret and keys that every example plan creates in the team's
    namespace (a ``kubernetes.io/basic-auth`` Secret: its keys are ``username`` and ``password`` by the type's
    contract; the plan shows its values only as ``[secret]``), and the tracking URI of the plan's MLflow Service."""
    (env_block,) = [b for _, b in _snippets() if b.startswith("# in a team namespace")]
    namespace = re.match(r"# in a team namespace, e\.g\. (\S+)", env_block)[1]
    env = {e["name"]: e for e in yaml.safe_load(env_block)["env"]}
    refs = {(e["valueFrom"]["secretKeyRef"]["name"], e["valueFrom"]["secretKeyRef"]["key"])
            for e in env.values() if "valueFrom" in e}
    assert refs == {("mlflow-research", "username"), ("mlflow-research", "password")}
    for name in ("staging", "gcp-staging", "onprem"):
        plan = example_plan(name)
        secrets = {(r.inputs["metadata"]["namespace"], r.inputs["metadata"]["name"]): r.inputs
                   for r in plan.of_type("kubernetes:core/v1:Secret")}
        for secret, _key in refs:
            assert secrets[(namespace, secret)]["type"] == "kubernetes.io/basic-auth", (name, secret)
        services = {(r.inputs["metadata"]["namespace"], r.inputs["metadata"]["name"]): r.inputs
                    for r in plan.of_type("kubernetes:core/v1:Service")}
        (port,) = services[("mlflow", "mlflow")]["spec"]["ports"]
        assert env["MLFLOW_TRACKING_URI"]["value"] == f"http://mlflow.mlflow.svc.cluster.local:{port['port']}"
