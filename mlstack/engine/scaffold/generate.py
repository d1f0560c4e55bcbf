"""Generating projects, environments and CI pipelines from the Jinja2 templates shipped in ``mlstack.templates``.

Everything here renders to a ``{relative path: text}`` map first and validates it; only then does
``write_files`` touch the disk, so a bad input never leaves half a project behind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from mlstack.distribution import DISTRIBUTION, requirement
from mlstack.engine.scaffold.generate_ci import CI_FILES, CI_PROVIDERS, ci_files  # noqa: F401 - re-exported
from mlstack.engine.scaffold.render import check_choice, did_you_mean, environment, render  # noqa: F401 - re-exported
from mlstack.errors import UsageError

PROJECT_PATTERN = re.compile(r"^[a-z]([a-z0-9-]*[a-z0-9])?$")
PROJECT_MAX = 24
SCHEMA_FILE = "schema/spec.schema.json"  # the merged spec's schema
STACK_FILE_SCHEMA_FILE = "schema/stack-file.schema.json"  # what editors check each stacks/*.yaml against
SCHEMA_REF = "../" + STACK_FILE_SCHEMA_FILE  # as seen from stacks/<env>.yaml

# Template -> file it renders, relative to the project root.
PROJECT_FILES: dict[str, str] = {
    "project/Pulumi.yaml.j2": "Pulumi.yaml",
    "project/__main__.py.j2": "__main__.py",
    "project/requirements.txt.j2": "requirements.txt",
    "project/README.md.j2": "README.md",
    "project/gitignore.j2": ".gitignore",
    "project/stacks/base.yaml.j2": "stacks/base.yaml",
    "project/stacks/staging.yaml.j2": "stacks/staging.yaml",
    "project/stacks/prod.yaml.j2": "stacks/prod.yaml",
}

# Which `init` flag produced the value at a spec path (so that a validation error blames the right flag);
# anything else comes from --project, which names every resource.
FLAG_OF_PATH = (
    ("backend", "--backend"),
    ("target.cloud", "--cloud"),
    ("target.region", "--region"),
    ("target.project_id", "--project-id"),
    ("target.kube_context", "--kube-context"),
    ("storage.shared.nfs_server", "--nfs-server"),
    ("storage.shared.nfs_path", "--nfs-path"),
    ("ci.provider", "--ci"),
    ("ci.repository", "--repository"),
    ("ci.gitlab_url", "--gitlab-url"),
)


# -- project ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectOptions:
    """What `mlstack init` needs; ``check()`` reports what is missing or wrong as the flag to set."""

    project: str
    cloud: str
    ci: str = "github"
    region: str | None = None
    project_id: str | None = None
    kube_context: str | None = None
    nfs_server: str | None = None
    nfs_path: str | None = None
    repository: str | None = None
    gitlab_url: str = "https://gitlab.com"
    backend: str | None = None
    mlstack_requirement: str | None = None  # None: this release from the index (mlstack.requirement())


def check_project_name(name: str) -> None:
    if not PROJECT_PATTERN.match(name) or len(name) > PROJECT_MAX:
        raise UsageError(
            f"--project {name!r} cannot name cloud resources: use a lowercase DNS label of at most {PROJECT_MAX} "
            "characters (letters, digits and '-', starting with a letter, not ending with '-'), e.g. acme-ml"
        )


def clouds() -> tuple[str, ...]:
    """The targets a project may be created for (the registered target packs)."""
    from mlstack import targets

    return targets.target_names()


def default_region(cloud: str) -> str | None:
    """The region ``init`` offers for ``cloud`` when it asks (None: the target has no regions)."""
    return _scaffold(cloud).default_region


def _scaffold(cloud: str):
    from mlstack import targets
    from mlstack.targets.base import Scaffold

    return targets.pack(cloud).scaffold or Scaffold(flags=())


def required_flags(cloud: str, ci: str) -> list[str]:
    """The option names `init` needs for this cloud and CI (besides --project and --cloud)."""
    flags = list(_scaffold(cloud).flags)
    if ci in ("github", "gitlab"):
        flags = [*flags, "--repository"]
    return flags


def project_files(opts: ProjectOptions) -> dict[str, str]:
    """Every file of a new project (stacks validated), plus the CI pipeline and the JSON Schemas (stack file, spec)."""
    from mlstack.spec.schema import schema_text

    check_project_name(opts.project)
    check_choice("--cloud", opts.cloud, clouds())
    check_choice("--ci", opts.ci, CI_PROVIDERS)
    context = _project_context(opts)
    files = {out: render(tpl, context) for tpl, out in PROJECT_FILES.items()}
    files[SCHEMA_FILE] = schema_text("spec")
    files[STACK_FILE_SCHEMA_FILE] = schema_text("stack-file")
    specs = validate_stacks({k: v for k, v in files.items() if k.startswith("stacks/")}, hint=init_flag_of)
    files.update(ci_files(opts.ci, specs["staging"], specs.get("prod"), locks={}))
    return dict(sorted(files.items()))


def _project_context(opts: ProjectOptions) -> dict[str, Any]:
    from mlstack.catalog import load_catalog

    cat = load_catalog()
    v = cat.versions
    missing = []
    for flag in required_flags(opts.cloud, opts.ci):
        if not getattr(opts, flag.removeprefix("--").replace("-", "_")):
            missing.append(flag)
    if missing:
        raise UsageError(f"--cloud {opts.cloud} --ci {opts.ci} needs {', '.join(missing)}")
    if opts.repository is not None and not re.match(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$", opts.repository):
        raise UsageError(f"--repository {opts.repository!r}: expected owner/repo (GitHub) or group/project (GitLab)")
    if opts.region is not None:
        check_region(opts.cloud, opts.region)
    if opts.mlstack_requirement is not None:
        check_requirement(opts.mlstack_requirement)
    if opts.project_id is not None and not re.match(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$", opts.project_id):
        raise UsageError(f"--project-id {opts.project_id!r}: a GCP project id is 6-30 lowercase letters, digits and '-', e.g. acme-ml-1234")
    return {
        "o": opts,
        "snippets": f"targets/{opts.cloud}/project",  # the target pack's parts of the example stacks and README
        "schema_ref": SCHEMA_REF,
        "mlstack_requirement": opts.mlstack_requirement or requirement(),
        "system_machine": next((m for c, m in cat.default_system_machine.items() if c == opts.cloud), ""),
        "versions": {
            "kubernetes": v.kubernetes,
            "mlflow": v.mlflow,
            "postgres": v.cloudsql_database_version.removeprefix("POSTGRES_"),
            "gpu_device_plugin": v.charts["nvidia-device-plugin"].version,
        },
        "ci_file": CI_FILES[opts.ci][1],
    }


def check_requirement(line: str) -> None:
    """``line`` is a requirement of the mlstack distribution (``mlstack-iac==0.2.0``, ``mlstack-iac @ git+https://...``
    or ``mlstack-iac @ file:///.../mlstack_iac-0.2.0-py3-none-any.whl``), so `pip install -r` installs mlstack.

    Raises:
        UsageError: it is not a requirement line, or it names another distribution.
    """
    from packaging.requirements import InvalidRequirement, Requirement
    from packaging.utils import canonicalize_name

    try:
        req = Requirement(line)
    except InvalidRequirement as exc:
        raise UsageError(f"--mlstack-requirement {line!r} is not a requirement line ({exc}): expected e.g. "
                         f"'{DISTRIBUTION}==0.1.0' or '{DISTRIBUTION} @ git+https://github.com/ORG/mlstack@v0.1.0'") from None
    if canonicalize_name(req.name) != canonicalize_name(DISTRIBUTION):
        raise UsageError(f"--mlstack-requirement {line!r} names {req.name!r}: the distribution is {DISTRIBUTION!r} "
                         "(the index's `mlstack` is an unrelated project)")


def check_region(cloud: str, region: str) -> None:
    """The region has the shape of ``cloud``'s region names (``mars-1`` is nobody's).

    Raises:
        UsageError: it has not; the message gives examples.
    """
    rules = _scaffold(cloud)
    pattern = rules.region_pattern or r"^[a-z]{2,}(-[a-z0-9]+)+$"
    if not re.match(pattern, region):
        examples = rules.region_examples or "us-west-2"
        raise UsageError(f"--region {region!r} is not {rules.region_article} region name: expected one like {examples}")


def region_warning(cloud: str, region: str | None) -> str | None:
    """A warning when the catalogue has no prices for ``region`` (a valid region may still be missing there)."""
    from mlstack.catalog import load_catalog

    if region is None or _scaffold(cloud).region_pattern is None:
        return None
    machines = {c: m for c, m in load_catalog().prices.machines.items() if c == cloud}
    priced = sorted({r for per_cloud in machines.values() for regions in per_cloud.values() for r in regions})
    if region in priced:
        return None
    return (f"warning: the catalogue has no {cloud} prices for {region} (it has {', '.join(priced)}): "
            "`mlstack cost` cannot estimate this environment's machines")


def init_flag_of(path: str) -> str:
    """The `init` flag whose value ends up at spec ``path``."""
    for prefix, flag in FLAG_OF_PATH:
        if path == prefix or path.startswith(prefix + "."):
            return flag
    return "--project"


def validate_stacks(stacks: dict[str, str], hint: str | Callable[[str], str]) -> dict[str, Any]:
    """Validates rendered ``stacks/*.yaml`` texts in a scratch folder; returns ``{env: Spec}``.

    ``hint`` is the flag to check, or a function from a problem's spec path to the flag that set it.

    Raises:
        UsageError: a generated file does not validate (e.g. a project name too long for a resource name).
    """
    from mlstack.spec import SpecError
    from mlstack.spec.edit import load_in_scratch

    try:
        return load_in_scratch({Path(rel).name: text for rel, text in stacks.items()}, prefix="mlstack-gen-")
    except SpecError as exc:
        lines = "; ".join(dict.fromkeys(f"{p.path}: {p.message}" for p in exc.problems))
        flags = dict.fromkeys(hint(p.path) if callable(hint) else hint for p in exc.problems)
        raise UsageError(
            f"the generated stacks do not validate with these values (check {', '.join(flags)}): {lines}"
        ) from None


# -- CI pipelines ----------------------------------------------------------------------------------------


def conflicts(root: Path, files: dict[str, str]) -> list[Path]:
    """Files that exist already with other content."""
    out = []
    for rel, text in sorted(files.items()):
        path = root / rel
        if path.exists() and (not path.is_file() or path.read_text(encoding="utf-8") != text):
            out.append(path)
    return out


def write_files(root: Path, files: dict[str, str], *, force: bool) -> list[Path]:
    """Writes every file, or none (through ``mlstack.fsio``): refuses (listing them) when any exists with other
    content, unless ``force``. Returns the real paths written.

    Raises:
        UsageError: files exist and ``force`` is off.
    """
    clash = conflicts(root, files)
    if clash and not force:
        listed = "\n".join(f"  {p}" for p in clash)
        raise UsageError(f"refusing to overwrite {len(clash)} existing file(s) (use --force to overwrite):\n{listed}")
    from mlstack.fsio import write_files as write_all

    # One transaction: every file or none; nothing outside ``root`` (a symlink leading out is refused).
    return write_all({root / rel: text for rel, text in sorted(files.items())}, root=root)

