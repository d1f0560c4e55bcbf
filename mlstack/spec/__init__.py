"""The stack spec: load a YAML file (with overlays) into a validated, frozen ``Spec``. Never imports Pulumi."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlstack.spec.errors import Problem, SpecError

if TYPE_CHECKING:
    from mlstack.spec.models import Spec

__all__ = ["Problem", "Spec", "SpecError", "load_spec", "load_spec_file", "spec_path", "list_envs"]


def __getattr__(name: str) -> Any:
    # The models are imported when first named: building them is most of a spec command's start-up, and a
    # module of this package that needs no model (names, a cached schema: mlstack.spec.schema) should not pay it.
    if name == "Spec":
        from mlstack.spec.models import Spec

        return Spec
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def spec_path(env: str, stacks_dir: Path) -> Path:
    """The file of environment ``env``.

    Raises:
        UsageError: no such environment; the message lists the environments that exist.
    """
    from mlstack.errors import UsageError
    from mlstack.spec.names import check_env_name

    path = stacks_dir / f"{check_env_name(env)}.yaml"
    if not path.is_file() and not path.is_symlink() and not path.exists():  # a loop or a folder: the loader says so
        from difflib import get_close_matches

        envs = list_envs(stacks_dir)
        have = ", ".join(envs) if envs else f"none: {stacks_dir} has no <env>.yaml files"
        close = get_close_matches(env, envs, n=1, cutoff=0.6)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise UsageError(f"unknown environment {env!r}: {path} does not exist.{hint} Environments: {have}")
    return path


def list_envs(stacks_dir: Path) -> list[str]:
    """Environments in ``stacks_dir``: every ``*.yaml`` that is not only a base for others."""
    return sorted(p.stem for p in stacks_dir.glob("*.yaml") if p.stem != "base" and not p.stem.endswith(".lock"))


def load_spec(env: str, stacks_dir: Path) -> Spec:
    """Loads and validates ``<stacks_dir>/<env>.yaml``."""
    return load_spec_file(spec_path(env, stacks_dir))


def load_spec_file(path: Path) -> Spec:
    """Loads, merges (``extends:``) and validates one spec file.

    Raises:
        SpecError: every problem found, each with file, line, column, field path and a fix.
    """
    from pydantic import ValidationError

    from mlstack.spec import rules
    from mlstack.spec.models import Spec
    from mlstack.spec.validation import problems_from
    from mlstack.spec.yaml_loader import load_with_extends

    loaded = load_with_extends(path)
    data = loaded.data
    from mlstack.spec.credentials import credential_problems

    leaked = credential_problems(data, loaded.locate)  # before validation: no later message can echo them
    if leaked:
        raise SpecError(leaked)
    data.setdefault("env", path.stem)
    if data["env"] != path.stem:
        loc = loaded.locate(("env",))
        raise SpecError(
            [
                Problem(
                    loc.file if loc else str(path),
                    loc.line if loc else 0,
                    loc.column if loc else 0,
                    "env",
                    f"is {data['env']!r} but the file is {path.name}: the file name names the environment. "
                    "Remove env: or rename the file",
                )
            ]
        )
    try:
        spec = Spec.model_validate(data)
    except ValidationError as exc:
        problems = problems_from(exc, Spec, loaded)
        # Unknown keys (typos) change nothing else: without them the spec may validate, and then the
        # cross-field rules can report their problems in the same run. Other type errors stop here, as a
        # rule run on a spec with a field defaulted away could report problems that are not there.
        pruned = _without_unknown_keys(data, exc)
        if pruned is not None:
            try:
                problems += _located(rules.check(Spec.model_validate(pruned)), loaded)
            except ValidationError:
                pass
        raise SpecError(problems) from None
    findings = rules.check(spec)
    if findings:
        raise SpecError(_located(findings, loaded))
    from mlstack.spec.clashes import identifier_clashes

    clashes = identifier_clashes(spec, path, loaded, list_envs(path.parent))
    if clashes:
        raise SpecError(clashes)
    return spec


def _located(findings: list[tuple[str, str]], loaded) -> list[Problem]:
    problems = []
    for path_text, message in findings:
        where = loaded.locate(tuple(path_text.split(".")))
        problems.append(
            Problem(where.file if where else "", where.line if where else 0, where.column if where else 0, path_text, message)
        )
    return problems


def _without_unknown_keys(data: dict, exc) -> dict | None:
    """A copy of ``data`` without the unknown keys ``exc`` names, or None when it has other errors too."""
    import copy

    errors = exc.errors(include_url=False)
    if any(err["type"] != "extra_forbidden" for err in errors):
        return None
    pruned = copy.deepcopy(data)
    for err in errors:
        *parents, key = err["loc"]
        node = pruned
        for part in parents:
            node = node[part]
        node.pop(key, None)
    return pruned
