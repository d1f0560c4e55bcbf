"""Property-based fuzzing of the spec contract (Hypothesis).

Each case mutates one example spec at one leaf (its type, its value, a deleted, renamed or unknown key, a YAML
edge case spliced into the text, an encoding problem) and runs `mlstack plan`. The contract, on every case:
exit 0 (the mutation kept the spec valid) or exit 2 with every problem located in a file (file:line:col
where the problem has a place), never a traceback or an internal error, no resource registered, and bounded
time and memory. ``MLSTACK_FUZZ_EXAMPLES`` raises the number of cases (the suite runs a fixed, derandomized set
of about 30 s).
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import time
from pathlib import Path
from unittest import mock

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlstack.cli import main

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted(p.name for p in (ROOT / "stacks").glob("*.yaml"))
ENV_OF = {"base.yaml": "staging"}  # a base is exercised through an environment that extends it
EXAMPLES = int(os.environ.get("MLSTACK_FUZZ_EXAMPLES", "100"))
MAX_SECONDS = 5.0  # per case, on a loaded machine (a clean rejection takes well under 0.1 s)
MAX_RSS_GROWTH_MIB = 300
PROBLEM_LINE = re.compile(r"^  [^\s:][^:]*\.yaml(:\d+:\d+)?: ")
TOTALS = {"cases": 0, "rejected": 0, "accepted": 0}


def leaves(data, path=()):
    """Every (path, value) of the tree, mappings and lists included (a mutation may replace a whole branch)."""
    yield path, data
    if isinstance(data, dict):
        for k, v in data.items():
            yield from leaves(v, (*path, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from leaves(v, (*path, i))


def _set(data, path, value):
    node = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def _delete(data, path):
    node = data
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]


VALUES = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70), st.floats(allow_nan=True), st.booleans(), st.none(),
    st.text(max_size=40), st.text(alphabet=st.characters(codec="utf-8", max_codepoint=0x2070), max_size=20),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=8), st.integers(), max_size=3),
    st.sampled_from(["0.0.0.0/0", "10.0.0.1/16", "999.1.1.1/33", "../../etc/passwd", "x" * 300, "", "latest",
                     "arn:aws:iam::1:role/x", "s3://k:secret@b", "ghp_" + "a" * 36, "010", "1:30", "yes", "1e3"]),
)
SNIPPETS = st.sampled_from([
    "!!int abc", "!foo x", "!!binary '&&&'", "!!timestamp 2020-13-45", "&a [*a]", "*nope", "<<: 3", "? [a]\n: b",
    "{a: 1, a: 2}", "[[[[[[[[", "'unterminated", "\t- tab", "---\nx: 1", "%YAML 1.1\n---", "\x07bell", "\x1b[31m",
    "\u202eevil", "a\u200bb", "key: &x {y: *x}", "<<: [*missing]", "0o17", "0b101", "1_000", ".nan", "~",
])


@st.composite
def cases(draw):
    name = draw(st.sampled_from(FILES))
    text = (ROOT / "stacks" / name).read_text()
    kind = draw(st.sampled_from(["value", "delete", "unknown", "rename", "splice", "bytes"]))
    if kind == "splice":
        lines = text.splitlines(True)
        at = draw(st.integers(0, len(lines)))
        indent = draw(st.sampled_from(["", "  ", "    "]))
        prefix = draw(st.sampled_from(["", "x: ", "tags: ", "node_pools: "]))
        snippet = indent + prefix + draw(SNIPPETS) + "\n"
        return name, ("".join(lines[:at]) + snippet + "".join(lines[at:])).encode("utf-8", "surrogatepass"), kind
    if kind == "bytes":
        raw = text.encode()
        at = draw(st.integers(0, len(raw)))
        return name, raw[:at] + draw(st.binary(min_size=1, max_size=4)) + raw[at:], kind
    data = yaml.safe_load(text)
    paths = [p for p, _ in leaves(data) if p]
    path = draw(st.sampled_from(paths))
    if kind == "value":
        _set(data, path, draw(VALUES))
    elif kind == "delete":
        _delete(data, path)
    elif kind == "unknown":
        target = data
        for part in path[:-1]:
            target = target[part]
        if isinstance(target, dict):
            target[draw(st.sampled_from(["extra", "nodepools", "Max", "<<", "x-y", "\u00e9"]))] = draw(VALUES)
    else:  # rename a key (or index) to something else
        node = data
        for part in path[:-1]:
            node = node[part]
        if isinstance(node, dict):
            node[draw(st.text(min_size=1, max_size=30))] = node.pop(path[-1])
    return name, yaml.safe_dump(data, sort_keys=False, allow_unicode=True).encode("utf-8", "surrogatepass"), kind


@pytest.fixture(scope="module")
def rss_start():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


@settings(max_examples=EXAMPLES, deadline=None, derandomize=EXAMPLES <= 100, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large])
@given(case=cases())
def test_every_mutated_spec_is_valid_or_a_located_exit_2(tmp_path_factory, capsys, rss_start, case):
    name, content, kind = case
    stacks = tmp_path_factory.mktemp("fuzz") / "stacks"
    shutil.copytree(ROOT / "stacks", stacks, ignore=shutil.ignore_patterns("*.lock.json"))
    (stacks / name).write_bytes(content)
    env = ENV_OF.get(name, name.removesuffix(".yaml"))
    capsys.readouterr()
    start = time.perf_counter()
    code = main(["--stacks-dir", str(stacks), "validate", "--env", env])
    err = capsys.readouterr().err
    if code == 2:  # the plan refuses it too, before anything is registered
        with mock.patch("mlstack.engine.plan.recorder.record", side_effect=AssertionError("registered")) as record:
            assert main(["--stacks-dir", str(stacks), "plan", "--env", env]) == 2
        capsys.readouterr()
        assert record.call_count == 0
    elapsed = time.perf_counter() - start
    TOTALS["cases"] += 1
    assert code in (0, 2), (kind, err[-800:])
    assert "Traceback" not in err and "internal error" not in err, err[-800:]
    assert elapsed < MAX_SECONDS, (kind, elapsed)
    growth = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_start) / 1024
    assert growth < MAX_RSS_GROWTH_MIB, growth
    if code == 0:
        TOTALS["accepted"] += 1
        return
    TOTALS["rejected"] += 1
    lines = err.splitlines()
    assert lines and "\x1b" not in err
    if lines[0].startswith("spec error: "):
        assert all(PROBLEM_LINE.match(line) for line in lines[1:]), err[-800:]
    else:
        assert lines[0].startswith("error: ") and len(lines) == 1, err[-800:]


def test_fuzz_totals_are_reported():
    """Runs after the fuzz test (file order): prints the totals for the closing note (-s to see them)."""
    print(f"fuzz: {TOTALS}")
    assert TOTALS["cases"] == 0 or TOTALS["cases"] == TOTALS["accepted"] + TOTALS["rejected"]
