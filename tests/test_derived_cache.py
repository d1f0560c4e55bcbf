"""The cache of derived data (``mlstack.derived``): the validated catalogue and the spec schemas read back are
what a fresh run makes, value for value and byte for byte; the key follows the code and data; damaged entries
are misses; the cache stays off unless the CLI turns it on, and ``MLSTACK_NO_CACHE=1`` turns it off."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import BaseModel

import mlstack.catalog as catalog
from mlstack import derived
from mlstack.catalog import codec
from mlstack.catalog.models import Catalog
from mlstack.spec import schema

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """The cache on, in a temporary folder; every entry written there."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("MLSTACK_CACHE_DIR", str(folder))
    monkeypatch.delenv("MLSTACK_NO_CACHE", raising=False)
    derived.enable()
    catalog.load_catalog.cache_clear()
    yield folder
    derived.enable(False)
    catalog.load_catalog.cache_clear()


def _walk(a: object, b: object, where: str = "catalog") -> None:
    """``a`` and ``b`` are the same tree: same types, same values, same fields set, at every level."""
    assert type(a) is type(b), where
    if isinstance(a, BaseModel):
        assert a.model_fields_set == b.model_fields_set, where
        for name in type(a).model_fields:
            _walk(getattr(a, name), getattr(b, name), f"{where}.{name}")
    elif isinstance(a, dict):
        assert list(a) == list(b), where
        for key in a:
            _walk(a[key], b[key], f"{where}.{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _walk(x, y, f"{where}[{i}]")
    else:
        assert a == b, where


def test_a_cached_catalogue_is_the_validated_one_model_for_model(cache):
    fresh = catalog.parse_catalog(catalog.DATA_DIR)
    first = catalog.load_catalog()  # a miss: validated, then stored
    entries = list((cache / "catalog").glob("*.json"))
    assert len(entries) == 1
    catalog.load_catalog.cache_clear()
    hit = catalog.load_catalog()
    assert hit is not first
    assert hit == fresh
    _walk(hit, fresh)
    assert codec.encode(hit) == entries[0].read_text(encoding="utf-8")
    # Behaviour read through the models' methods and computed fields is the same too.
    some_tpu = next(iter(next(iter(hit.tpus.values())).topologies.values()))
    assert some_tpu.multi_host == next(iter(next(iter(fresh.tpus.values())).topologies.values())).multi_host
    assert hit.efa_interfaces("p5.48xlarge") == fresh.efa_interfaces("p5.48xlarge")


def test_a_decoded_catalogue_builds_no_validator():
    code = (
        "import os\nfrom mlstack.catalog import codec, parse_catalog, DATA_DIR\n"
        "text = codec.encode(parse_catalog(DATA_DIR))\n"
        "print(text)\n"
    )
    text = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT).stdout
    check = (
        "import sys\nfrom mlstack.catalog import codec\nfrom mlstack.catalog.models import Catalog, Accelerator\n"
        "c = codec.decode(Catalog, sys.stdin.read())\n"
        "print(Catalog.__pydantic_complete__, Accelerator.__pydantic_complete__, len(c.accelerators))\n"
    )
    out = subprocess.run([sys.executable, "-c", check], input=text, capture_output=True, text=True, check=True,
                         cwd=ROOT).stdout.split()
    assert out[:2] == ["False", "False"]
    assert int(out[2]) == len(catalog.parse_catalog(catalog.DATA_DIR).accelerators)


@pytest.mark.parametrize("damage", ["", "{", "[]", '{"as_of": 5, "nope": 1}', '{"versions": []}'])
def test_a_damaged_catalogue_entry_is_a_miss_and_is_replaced(cache, damage):
    catalog.load_catalog()
    (entry,) = (cache / "catalog").glob("*.json")
    good = entry.read_text(encoding="utf-8")
    entry.write_text(damage, encoding="utf-8")
    catalog.load_catalog.cache_clear()
    assert catalog.load_catalog() == catalog.parse_catalog(catalog.DATA_DIR)
    assert entry.read_text(encoding="utf-8") == good


def test_decode_refuses_what_the_models_do_not_say():
    with pytest.raises(TypeError, match="has no field 'nope'"):
        codec.decode(Catalog, json.dumps({"nope": 1}))
    with pytest.raises(TypeError, match="Versions is an object"):
        codec.decode(Catalog, json.dumps({"versions": []}))
    with pytest.raises(TypeError, match="a catalogue entry is an object"):
        codec.decode(Catalog, "[]")


@pytest.mark.parametrize("kind", ["spec", "stack-file"])
def test_a_cached_schema_is_the_fresh_render_byte_for_byte(cache, kind):
    fresh = schema.render(kind)
    assert schema.schema_text(kind) == fresh  # a miss: rendered, stored
    (entry,) = (cache / "schema").glob("*.json")
    assert entry.read_text(encoding="utf-8") == fresh
    assert schema.schema_text(kind) == fresh  # a hit
    entry.write_text(fresh[:-3], encoding="utf-8")  # damaged: a miss, replaced
    assert schema.schema_text(kind) == fresh
    assert entry.read_text(encoding="utf-8") == fresh


def test_the_schemas_committed_are_what_the_cache_serves(cache):
    for kind, file in schema.SCHEMA_FILES.items():
        schema.schema_text(kind)
        assert schema.schema_text(kind) == (ROOT / file).read_text(encoding="utf-8")


def test_the_key_follows_every_byte_of_the_files_and_the_extra_parts(tmp_path):
    a, b = tmp_path / "a.py", tmp_path / "b.yaml"
    a.write_text("x = 1\n")
    b.write_text("k: v\n")
    key = derived.source_key("catalog", [a, b])
    assert derived.source_key("catalog", [b, a]) == key  # order of discovery does not matter
    assert derived.source_key("schema", [a, b]) != key
    assert derived.source_key("catalog", [a, b], "3.12") != key
    b.write_text("k: w\n")
    changed = derived.source_key("catalog", [a, b])
    assert changed != key
    renamed = b.rename(tmp_path / "c.yaml")  # the same bytes under another name
    assert derived.source_key("catalog", [a, renamed]) not in (key, changed)


def test_entries_are_bounded_oldest_out(cache):
    made = []
    for i in range(derived.MAX_ENTRIES + 3):
        derived.cached("schema", f"k{i:02d}", lambda i=i: f"{{\"n\": {i}}}\n", str, str)
        made.append(f"k{i:02d}.json")
    assert sorted(p.name for p in (cache / "schema").iterdir()) == made[-derived.MAX_ENTRIES:]


def test_the_cache_is_off_unless_turned_on_and_off_with_mlstack_no_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MLSTACK_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("MLSTACK_NO_CACHE", raising=False)
    derived.enable(False)
    assert not derived.active()
    calls = []
    assert derived.cached("schema", "k", lambda: calls.append(1) or "{}\n", str, str) == "{}\n"
    assert list(tmp_path.iterdir()) == []
    derived.enable()
    try:
        monkeypatch.setenv("MLSTACK_NO_CACHE", "1")
        assert not derived.active()
        monkeypatch.setenv("MLSTACK_NO_CACHE", "0")
        assert derived.active()
    finally:
        derived.enable(False)


def test_the_folder_is_named_by_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("MLSTACK_CACHE_DIR", str(tmp_path / "named"))
    assert derived.folder() == tmp_path / "named"
    monkeypatch.delenv("MLSTACK_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert derived.folder() == tmp_path / "xdg" / "mlstack"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert derived.folder() == tmp_path / "home" / ".cache" / "mlstack"


def test_a_cache_folder_that_cannot_be_written_only_costs_the_saving(tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("MLSTACK_CACHE_DIR", str(blocker))
    monkeypatch.delenv("MLSTACK_NO_CACHE", raising=False)
    derived.enable()
    try:
        assert derived.cached("schema", "k", lambda: "{}\n", str, str) == "{}\n"
    finally:
        derived.enable(False)
    assert blocker.read_text() == "not a folder"


def test_the_console_script_reuses_the_catalogue_and_the_schema(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "MLSTACK_CACHE_DIR": str(tmp_path / "c"), "NO_COLOR": "1"}
    run = "import sys; from mlstack.cli import run; sys.argv = ['mlstack', *sys.argv[1:]]; run()"
    for _ in range(2):
        out = subprocess.run([sys.executable, "-c", run, "--stacks-dir", str(ROOT / "stacks"), "validate", "--env",
                              "staging"], capture_output=True, text=True, env=env, cwd=ROOT)
        assert out.returncode == 0, out.stderr
        assert out.stdout.splitlines()[0] == f"{ROOT}/stacks/staging.yaml: valid (aws, 2 node pools, protect off)"
        text = subprocess.run([sys.executable, "-c", run, "schema"], capture_output=True, text=True, env=env,
                              cwd=ROOT, check=True).stdout
        assert text == (ROOT / "schema/spec.schema.json").read_text(encoding="utf-8")
    assert len(list((tmp_path / "c" / "catalog").glob("*.json"))) == 1
    assert len(list((tmp_path / "c" / "schema").glob("*.json"))) == 1
    off = subprocess.run([sys.executable, "-c", run, "schema"], capture_output=True, text=True, check=True, cwd=ROOT,
                         env={**env, "MLSTACK_CACHE_DIR": str(tmp_path / "off"), "MLSTACK_NO_CACHE": "1"}).stdout
    assert off == text
    assert not (tmp_path / "off").exists()


def test_a_cached_gpu_dashboard_is_the_fresh_render_byte_for_byte_and_needs_no_jinja(cache):
    from mlstack.engine.plan import dashboard

    fresh = dashboard._render("GPUs (DCGM)", "Prometheus")
    assert dashboard.render() == fresh  # a miss: rendered, stored
    (entry,) = (cache / "dashboard").glob("*.json")
    assert entry.read_text(encoding="utf-8") == fresh
    assert dashboard.render() == fresh  # a hit
    assert dashboard.render(title="Other") == dashboard._render("Other", "Prometheus")  # its own entry
    assert len(list((cache / "dashboard").glob("*.json"))) == 2
    entry.write_text(fresh.replace("\n", " "), encoding="utf-8")  # still JSON, not the canonical text: a miss
    assert dashboard.render() == fresh
    assert entry.read_text(encoding="utf-8") == fresh
    code = ("import sys; from mlstack import derived; derived.enable(); from mlstack.engine.plan import dashboard\n"
            "text = dashboard.render(); print('jinja2' in sys.modules, len(text))")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cache.parent), "MLSTACK_CACHE_DIR": str(cache)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.split() == ["False", str(len(fresh))]  # a hit imports no Jinja2
