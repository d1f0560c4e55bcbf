"""The review of a change: per environment the plan diff, the cost delta and the policy result, rendered as text,
JSON or one Markdown pull-request comment; and the CI gates over it.

Two modes: against a git ref (``diff --base REF``: each environment's spec at REF vs the working tree, and the
lock drift between its lock at REF and the working tree's), and between environments (``diff --env a --env b``:
names normalised, version drift and the drift of their locks flagged). Lock drift is every digest and version two
locks pin differently (images, charts, the cloud's versions, tools; :func:`mlstack.engine.deploy.lock.lock_drift`).
All environments are planned in one process, so each cloud SDK is imported once.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from mlstack.engine.review.cost import CostReport
from mlstack.engine.review.diff import PlanDiff
from mlstack.engine.review.policy import PolicyReport
from mlstack.spec.notices import SpecWarning

COMMENT_LIMIT = 65_536
Gate = Literal["mandatory", "replace", "delete"]
MARKER = "<!-- mlstack-review -->"


@dataclass
class EnvReview:
    """One row of the review: the diff of one environment (or of a pair), its cost change and policy result."""

    label: str
    diff: PlanDiff
    cost_base: CostReport | None
    cost_head: CostReport
    policy: PolicyReport
    base_policy: PolicyReport | None = None
    new_env: bool = False
    deleted_env: bool = False
    version_drift: dict[str, dict[str, str]] = field(default_factory=dict)
    #: What mlstack could not check in the (head) spec, located (``mlstack.spec.notices``).
    warnings: list[SpecWarning] = field(default_factory=list)

    @property
    def cost_delta(self) -> dict[str, Any]:
        from mlstack.engine.review.cost import delta

        return delta(self.cost_base, self.cost_head)

    @property
    def mandatory_violations(self) -> int:
        return len(self.policy.violations("mandatory"))

    def to_dict(self) -> dict[str, Any]:
        data = {
            "env": self.label,
            "new_env": self.new_env,
            "deleted_env": self.deleted_env,
            "counts": self.diff.counts(),
            "changes": [c.to_dict() for c in self.diff.changes],
            "cost": {
                "base": self.cost_base.to_dict()["total"] if self.cost_base else None,
                "head": self.cost_head.to_dict()["total"],
                "delta": self.cost_delta,
                "price_table": {"as_of": self.cost_head.as_of, "source": self.cost_head.source_text},
            },
            "policy": {
                "counts": self.policy.counts(),
                "violations": [r.to_dict() for r in self.policy.violations()],
                "waived": [{"id": r.rule.id, "reason": r.waiver} for r in self.policy.results if r.status == "waived"],
                "unused_waivers": [{"id": r.rule.id, "reason": r.waiver} for r in self.policy.unused_waivers],
            },
            "warnings": [w.to_dict() for w in self.warnings],
        }
        if self.version_drift:
            data["version_drift"] = self.version_drift
        return data


@dataclass
class Review:
    mode: Literal["ref", "envs"]
    base: str  # the git ref, or the first environment
    head: str  # "working tree", or the compared environments
    entries: list[EnvReview]

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "base": self.base, "head": self.head, "envs": [e.to_dict() for e in self.entries]}


# -- building ------------------------------------------------------------------------------------------------


def _load(path: Path) -> Any:
    from mlstack.engine.review.policy import validate_waivers
    from mlstack.spec import load_spec_file

    spec = load_spec_file(path)
    validate_waivers(spec.waivers, path)
    return spec


def _shared_gib(spec: Any) -> int | None:
    return spec.storage.shared.size_gib if spec.storage.shared else None


def review_ref(envs: Sequence[str] | None, stacks_dir: Path, ref: str) -> Review:
    """Each environment at git ``ref`` against the working tree (spec files from the ref, code from the tree).

    ``envs`` None: every environment of the working tree and of the ref. One that only the ref has is deleted by
    the change (every resource a delete, blocking when protected); one only the tree has is new (all creates).
    ``version_drift`` is the lock drift: what ``stacks/<env>.lock.json`` at ``ref`` and in the tree pin differently.

    Raises:
        UsageError: bad ref or environment; SpecError: a spec (at the ref: named ``REF:path``) is invalid.
    """
    from mlstack.engine.deploy.lock import lock_drift, lock_in, lock_path
    from mlstack.engine.review import cost
    from mlstack.engine.review.diff import diff_plans, empty_plan
    from mlstack.engine.plan.planner import plan_specs
    from mlstack.engine.review.gitref import materialise
    from mlstack.engine.review.policy import check_plan
    from mlstack.spec import SpecError, list_envs, load_spec_file, spec_path
    from mlstack.spec.notices import located

    entries = []
    with materialise(ref, stacks_dir) as at_ref:
        chosen = list(dict.fromkeys(envs)) if envs else sorted(set(list_envs(stacks_dir)) | set(list_envs(at_ref.path)))
        if not chosen:
            from mlstack.errors import UsageError

            raise UsageError(f"no environments in {stacks_dir} nor in it at {ref}")
        # An environment only the ref has is deleted; spec_path names the closest one when neither has it.
        gone = [env for env in chosen if not (stacks_dir / f"{env}.yaml").exists() and (at_ref.path / f"{env}.yaml").is_file()]
        heads = [(env, None if env in gone else _load(spec_path(env, stacks_dir))) for env in chosen]
        bases = []
        for env, _spec in heads:
            base_file = at_ref.path / f"{env}.yaml"
            base_spec = None
            if base_file.is_file():
                try:
                    base_spec = load_spec_file(base_file)
                except SpecError as exc:
                    raise _relocate(exc, at_ref) from None
            bases.append(base_spec)
        # The code is the working tree's for both sides, and a plan is a pure function of the spec: an
        # unchanged spec is planned once (plan_specs shares equal specs), the rest side by side.
        wanted = [spec for _, spec in heads if spec is not None] + [b for b in bases if b is not None]
        planned = iter(plan_specs(wanted))
        head_plans = [next(planned) if spec is not None else None for _, spec in heads]
        for (env, spec), head, base_spec in zip(heads, head_plans, bases, strict=True):
            base = next(planned) if base_spec is not None else None
            if head is None:  # deleted by the change: the head has nothing of it
                assert base is not None and base_spec is not None
                head, spec = empty_plan(base.project, env), base_spec
            if base is None:
                base = empty_plan(head.project, env)
            d = diff_plans(base, head, base_label=ref, head_label="working tree")
            # The change's own warnings: the working tree's spec (a deleted environment has none).
            warnings = [] if env in gone else located(spec, spec_path(env, stacks_dir))
            cost_head = cost.estimate(head, shared_storage_gib=_shared_gib(spec) if env not in gone else None, warnings=warnings)
            cost_base = cost.estimate(base, shared_storage_gib=_shared_gib(base_spec)) if base_spec else None
            d.extras["cost_delta"] = cost.delta(cost_base, cost_head)
            policy = check_plan(head, protected=spec.protected, waivers={} if env in gone else spec.waivers)
            shown = at_ref.display(lock_path(env, at_ref.path))
            drift = lock_drift(ref, lock_in(at_ref.path, env, (base_spec or spec).project, shown), "working tree",
                               None if env in gone else lock_in(stacks_dir, env, spec.project))
            if drift:
                d.extras["version_drift"] = drift
            entries.append(EnvReview(env, d, cost_base, cost_head, policy, new_env=base_spec is None,
                                     deleted_env=env in gone, version_drift=drift, warnings=warnings))
    return Review("ref", ref, "working tree", entries)


def _relocate(exc: Any, at_ref: Any) -> Any:
    """The same SpecError with the temporary files named ``REF:stacks/<file>``."""
    from mlstack.spec import Problem, SpecError

    problems = [
        Problem(at_ref.display(Path(p.file)) if p.file else p.file, p.line, p.column, p.path, p.message) for p in exc.problems
    ]
    return SpecError(problems)


def review_envs(envs: Sequence[str], stacks_dir: Path) -> Review:
    """The first environment against each of the others, names normalised, with version drift: the resolved
    versions of their specs, and what their locks pin differently (``image``, ``chart``, ``platform`` and ``tool``
    entries; a lock only one of them has is one ``lock`` entry).
    """
    from mlstack.engine.deploy.lock import lock_drift, lock_in
    from mlstack.engine.review import cost
    from mlstack.engine.review.envdiff import compare_envs
    from mlstack.engine.plan.planner import plan_specs
    from mlstack.engine.plan.versions import resolved_versions
    from mlstack.engine.review.policy import check_plan
    from mlstack.errors import UsageError
    from mlstack.spec import spec_path
    from mlstack.spec.notices import located

    if len(envs) < 2:
        raise UsageError("comparing environments needs at least two --env (or give --base REF to diff one against git)")
    specs = [_load(spec_path(env, stacks_dir)) for env in envs]
    loaded = list(zip(envs, specs, plan_specs(specs), strict=True))
    first_env, first_spec, first_plan = loaded[0]
    first_cost = cost.estimate(first_plan, shared_storage_gib=_shared_gib(first_spec),
                               warnings=located(first_spec, spec_path(first_env, stacks_dir)))
    first_policy = check_plan(first_plan, protected=first_spec.protected, waivers=first_spec.waivers)
    a_versions = resolved_versions(first_spec)
    entries = []
    for env, spec, plan in loaded[1:]:
        d = compare_envs(first_plan, plan)
        b_versions = resolved_versions(spec)
        drift = {
            k: {first_env: a_versions.get(k, ""), env: b_versions.get(k, "")}
            for k in sorted(a_versions.keys() | b_versions.keys())
            if a_versions.get(k) != b_versions.get(k)
        }
        # The specs' versions are compared above; the locks' own versions would repeat them.
        drift.update(lock_drift(first_env, lock_in(stacks_dir, first_env, first_spec.project), env,
                                lock_in(stacks_dir, env, spec.project), with_versions=False))
        d.extras["version_drift"] = drift
        warnings = located(spec, spec_path(env, stacks_dir))
        head_cost = cost.estimate(plan, shared_storage_gib=_shared_gib(spec), warnings=warnings)
        d.extras["cost_delta"] = cost.delta(first_cost, head_cost)
        policy = check_plan(plan, protected=spec.protected, waivers=spec.waivers)
        entries.append(EnvReview(f"{first_env}..{env}", d, first_cost, head_cost, policy, first_policy, version_drift=drift,
                                 warnings=warnings))
    return Review("envs", first_env, ", ".join(envs[1:]), entries)


# -- gates -------------------------------------------------------------------------------------------------


def gate_failures(review: Review, gates: Iterable[Gate]) -> list[str]:
    """One message per failed gate and environment; empty when every gate passes."""
    out = []
    for gate in sorted(set(gates)):
        for e in review.entries:
            c = e.diff.counts()
            if gate == "mandatory" and e.mandatory_violations:
                ids = ", ".join(r.rule.id for r in e.policy.violations("mandatory"))
                out.append(f"--fail-on mandatory: {e.label} breaks {e.mandatory_violations} mandatory rule(s): {ids}")
            # Deleting or replacing a protected resource is never acceptable to the gate CI pipelines use: it
            # destroys data (or `up` refuses it half-way), so `mandatory` includes blocking changes.
            if gate == "mandatory" and c["blocking"]:
                names = ", ".join(f"{ch.name} ({ch.action})" for ch in e.diff.blocking)
                out.append(f"--fail-on mandatory: {e.label} deletes or replaces {c['blocking']} protected resource(s): {names}")
            elif gate == "replace" and c["replace"]:
                out.append(f"--fail-on replace: {e.label} replaces {c['replace']} resource(s)")
            elif gate == "delete" and c["delete"]:
                out.append(f"--fail-on delete: {e.label} deletes {c['delete']} resource(s)")
    return out


# -- rendering -----------------------------------------------------------------------------------------------


def render_json(review: Review) -> str:
    return json.dumps(review.to_dict(), indent=2, sort_keys=True) + "\n"


def render_text(review: Review) -> str:
    from mlstack.engine.review.diff import render_text as diff_text

    parts = []
    for e in review.entries:
        parts.append(diff_text(e.diff, skip=("cost_delta",)).rstrip("\n"))
        delta = e.cost_delta
        parts.append(f"  cost delta: {delta['text']} (prices as of {e.cost_head.as_of})")
        parts.extend(f"    no price: {m}" for m in delta["missing"])
        parts.extend(f"  scratch tier: {x.size_gib} GiB, {x.throughput_mb_s} MB/s" for x in e.cost_head.scratch)
        c = e.policy.counts()
        unused = e.policy.unused_waivers
        parts.append(f"  policy: {c['mandatory_violations']} mandatory and {c['advisory_violations']} advisory violation(s), "
                     f"{c['waived']} waived" + (f", {len(unused)} waiver(s) unused (rule not applicable)" if unused else ""))
        for r in e.policy.violations():
            parts.append(f"    {r.rule.id} [{r.level}] {r.rule.title}: " + "; ".join(f"{f.resource}: {f.message}" for f in r.findings[:3]))
        parts.extend(f"  warning: {w.text()}" for w in e.warnings)
    return "\n".join(parts) + "\n"


def _environment():
    from importlib import resources

    import jinja2

    class _Loader(jinja2.BaseLoader):
        def get_source(self, environment: jinja2.Environment, template: str):  # type: ignore[override]
            source = resources.files("mlstack.templates").joinpath("report", template).read_text(encoding="utf-8")
            return source, None, lambda: True

    env = jinja2.Environment(
        loader=_Loader(), undefined=jinja2.StrictUndefined, autoescape=False, keep_trailing_newline=True,
        trim_blocks=True, lstrip_blocks=True,
    )
    env.filters["cell"] = lambda v: str(v).replace("|", "\\|").replace("\n", " ")
    env.filters["money"] = lambda v: f"${v:,.2f}"
    env.filters["show"] = _show
    return env


def _show(value: Any) -> str:
    if value is None:
        return "(absent)"
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    text = text.replace("```", "'''").replace("\n", " ")
    return text if len(text) <= 120 else text[:117] + "..."


def _row(e: EnvReview, mode: str) -> dict[str, Any]:
    c = e.diff.counts()
    delta = e.cost_delta
    return {
        "env": e.label + (" (new)" if e.new_env else " (deleted)" if e.deleted_env else ""),
        "create": c["create"], "update": c["update"], "replace": c["replace"], "delete": c["delete"],
        "blocking": c["blocking"],
        "blocking_mark": f"⛔ {c['blocking']}" if c["blocking"] else "0",
        "cost": delta["text"],
        "mandatory": e.mandatory_violations,
    }


def render_markdown(review: Review, limit: int = COMMENT_LIMIT) -> str:
    """One PR comment for all environments: the summary table, then one collapsed section per environment.

    Never longer than ``limit`` characters: sections are shortened (fewer changes listed), then dropped, with a
    note; the summary table always stays.
    """
    env = _environment()
    comment = env.get_template("comment.md.j2")
    section = env.get_template("env_section.md.j2")
    rows = [_row(e, review.mode) for e in review.entries]
    price = review.entries[0].cost_head if review.entries else None
    context = {"marker": MARKER, "review": review, "rows": rows, "price": price}

    def whole(sections: list[str], note: str) -> str:
        return comment.render(**context, sections=sections, truncation_note=note)

    def render_section(e: EnvReview, max_changes: int | None) -> str:
        changes = e.diff.changes if max_changes is None else e.diff.changes[:max_changes]
        return section.render(e=e, mode=review.mode, changes=changes, hidden=len(e.diff.changes) - len(changes),
                              violations=e.policy.violations(),
                              waived=[r for r in e.policy.results if r.status == "waived"],
                              unused=e.policy.unused_waivers)

    full = [render_section(e, None) for e in review.entries]
    text = whole(full, "")
    if len(text) <= limit:
        return text
    note = (f"The details were shortened to keep this comment under {limit:,} characters; run "
            "`mlstack diff ... --format json` (or the job's artifact) for everything.")
    budget = limit - len(whole([], note)) - 16
    kept: list[str] = []
    for e, s in zip(review.entries, full):
        if len(s) + 1 <= budget:
            kept.append(s)
            budget -= len(s) + 1
            continue
        n = len(e.diff.changes)
        while n > 0:
            n //= 2
            s = render_section(e, n)
            if len(s) + 1 <= budget:
                break
        if len(s) + 1 <= budget:
            kept.append(s)
            budget -= len(s) + 1
    return whole(kept, note)
