"""Two environments' plans side by side (``diff --env a --env b``): what differs once names and mock ids agree.

Each environment names its resources after itself (``acme-ml-staging-vpc``), and the credential-free plan
answers with ids derived from those names (``vpc-<17 hex digits>``, ``<name>-<7 hex>``, KMS key ids ...). To
line two environments up, both plans' strings are rewritten to a common form:

- the environment name, where it stands as a word, becomes ``<env>``;
- every hex token the plan's mocks issued becomes ``<id:NAME>``, NAME the normalised name of the resource whose
  mock issued it. The tokens are found by asking each resource's mock (the packs' tables) for its answer again
  and taking the maximal runs of hex digits in it. A string is rewritten run by run, each run looked up whole,
  so a key id ``<7 hex>00000`` is never read as an 8-digit prefix followed by ``0000``, and the cost is one pass
  over the plan to build the map and one regular-expression pass over each string: linear in plan size.

A value written the same in both plans is the same, whatever normalising would make of it (``/dev/xvda`` in
an environment called ``dev``): values, dict keys and URNs are first matched as written, then normalised.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from types import SimpleNamespace
from typing import Any

from mlstack import targets
from mlstack.engine.plan.model import Plan, mock_setting
from mlstack.engine.plan.registration import Registration
from mlstack.engine.review.diff import ENV_PLACEHOLDER, PlanDiff, PropertyChange, ResourceChange, ignored

# The shortest token a mock issues is the 7-digit auto-name suffix; shorter runs ("0000", "8000") are text.
_HEX_RUN = re.compile(r"[0-9A-Fa-f]{7,}")


class Normaliser:
    """Rewrites one plan's strings to the common form (see the module docstring)."""

    def __init__(self, plan: Plan) -> None:
        self.env = plan.env
        self._word = re.compile(rf"(?<![A-Za-z0-9]){re.escape(plan.env)}(?![A-Za-z0-9])") if plan.env else None
        self.ids = mock_tokens(plan, self._rename)
        self._urn_prefix = f"urn:pulumi:{plan.env}::"

    def _rename(self, text: str) -> str:
        if self._word is not None and self.env in text:
            return self._word.sub(ENV_PLACEHOLDER, text)
        return text

    def _token(self, m: re.Match[str]) -> str:
        run = m.group()
        return self.ids.get(run.lower(), run)

    def text(self, value: str) -> str:
        """``value`` with the environment name and every mock token replaced."""
        value = self._rename(value)
        return _HEX_RUN.sub(self._token, value) if self.ids else value

    def value(self, value: Any) -> Any:
        """A copy of ``value`` (plain data) with every string, dict keys included, normalised."""
        return _deep(self.text, value)

    def urn(self, urn: str) -> str:
        """A URN with its stack part (the environment) and its name normalised."""
        if urn.startswith(self._urn_prefix):
            return f"urn:pulumi:{ENV_PLACEHOLDER}::" + self.text(urn[len(self._urn_prefix) :])
        return self.text(urn)


def mock_tokens(plan: Plan, rename: Callable[[str], str]) -> dict[str, str]:
    """Every hex token of the plan's mock answers that depends on the environment (lower case) -> ``<id:NAME>``,
    NAME the normalised name of the resource whose answer holds it.

    Each resource's mock is asked twice: with the resource as recorded and with its name and inputs renamed
    (``rename``: the environment name replaced). The runs that differ are the resource's own ids; those in both
    are constants (an account id) or ids the answer only passes on from its inputs (an EKS cluster's
    ``vpcConfig`` holds its subnets' ids), which keep the label of the resource that issued them.
    """
    answers = SimpleNamespace(**mock_setting(plan.target))
    out: dict[str, str] = {}
    for r in plan.resources:
        handler = targets.mock_handler(r.type)
        issued = set(_runs(handler(answers, r.name, dict(r.inputs))))
        if not issued:
            continue
        issued -= set(_runs(handler(answers, rename(r.name), _deep(rename, r.inputs))))
        label = f"<id:{rename(r.name)}>"
        for run in sorted(issued):
            out.setdefault(run, label)
    return out


def _deep(fn: Callable[[str], str], value: Any) -> Any:
    """A copy of plain data ``value`` with ``fn`` applied to every string, dict keys included."""
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, dict):
        return {fn(k): _deep(fn, v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep(fn, v) for v in value]
    return value


def _runs(values: Iterable[Any]) -> Iterator[str]:
    for v in values:
        if isinstance(v, str):
            for run in _HEX_RUN.findall(v):
                yield run.lower()
        elif isinstance(v, dict):
            yield from _runs(v.values())
        elif isinstance(v, list):
            yield from _runs(v)


def normalise_plan(plan: Plan) -> Plan:
    """A copy of ``plan`` in the common form: URNs, names, inputs, references and outputs normalised."""
    n = Normaliser(plan)

    def reg(r: Registration) -> Registration:
        return Registration(
            urn=n.urn(r.urn),
            type=r.type,
            name=n.text(r.name),
            parent=n.urn(r.parent) if r.parent else "",
            custom=r.custom,
            inputs=n.value(r.inputs),
            protect=r.protect,
            retain_on_delete=r.retain_on_delete,
            depends_on=[n.urn(u) for u in r.depends_on],
            provider=n.text(r.provider),
            ignore_changes=list(r.ignore_changes),
            additional_secret_outputs=list(r.additional_secret_outputs),
        )

    return Plan(
        project=plan.project,
        env=plan.env,
        target=dict(plan.target),
        resources=sorted((reg(r) for r in plan.resources), key=lambda r: r.urn),
        outputs=n.value(plan.outputs),
        extras=dict(plan.extras),
    )


def compare_envs(a: Plan, b: Plan) -> PlanDiff:
    """Environment ``a`` against environment ``b``, resources matched on their normalised URN.

    In the result, ``create`` means "only in b", ``delete`` "only in a" and ``update`` "differs"; nothing is
    blocking or replaced (two environments are not a change of one). Values are shown normalised.
    """
    na, nb = Normaliser(a), Normaliser(b)
    old = {r.urn.removeprefix(na._urn_prefix): r for r in a.resources}
    new = {r.urn.removeprefix(nb._urn_prefix): r for r in b.resources}
    changes: list[ResourceChange] = []
    unchanged = 0
    for _, ka, kb in _pair(old, new, na.text, nb.text):
        ra, rb = old.get(ka) if ka is not None else None, new.get(kb) if kb is not None else None
        if ra is None and rb is not None:
            changes.append(ResourceChange(nb.urn(rb.urn), rb.type, nb.text(rb.name), "create", custom=rb.custom))
            continue
        if rb is None and ra is not None:
            changes.append(ResourceChange(na.urn(ra.urn), ra.type, na.text(ra.name), "delete", custom=ra.custom))
            continue
        assert ra is not None and rb is not None
        props = [
            PropertyChange(path, o, n)
            for path, o, n in _changes(ra.inputs, rb.inputs, na, nb, "")
            if not ignored(path, rb.ignore_changes)
        ]
        for option in ("protect", "retain_on_delete"):
            if getattr(ra, option) != getattr(rb, option):
                props.append(PropertyChange(f"options.{option}", getattr(ra, option), getattr(rb, option)))
        if props:
            changes.append(ResourceChange(nb.urn(rb.urn), rb.type, nb.text(rb.name), "update", props, custom=rb.custom))
        else:
            unchanged += 1
    changes.sort(key=lambda c: c.urn)
    return PlanDiff(a.env, b.env, f"{a.env}..{b.env}", changes, unchanged)


def _pair(
    old: Iterable[str], new: Iterable[str], na: Callable[[str], str], nb: Callable[[str], str]
) -> list[tuple[str, str | None, str | None]]:
    """(shown key, old key, new key) in order of the shown key: keys written the same on both sides pair up as
    they are, the others on their normalised form; a key only one side has pairs with None."""
    old_keys, new_keys = set(old), set(new)
    same = old_keys & new_keys
    rest_old = {na(k): k for k in sorted(old_keys - same)}
    rest_new = {nb(k): k for k in sorted(new_keys - same)}
    out: list[tuple[str, str | None, str | None]] = [(k, k, k) for k in same]
    out += [(k, rest_old.get(k), rest_new.get(k)) for k in rest_old.keys() | rest_new.keys()]
    return sorted(out, key=lambda t: t[0])


def _changes(old: Any, new: Any, na: Normaliser, nb: Normaliser, path: str) -> Iterator[tuple[str, Any, Any]]:
    """(path, old, new) for every leaf that differs once normalised, values shown normalised."""
    if old == new:
        return
    if isinstance(old, str) and isinstance(new, str):
        o, n = na.text(old), nb.text(new)
        if o != n:
            yield path, o, n
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for shown, ko, kn in _pair(old, new, na.text, nb.text):
            child = f"{path}.{shown}" if path else shown
            if ko is None:
                yield child, None, nb.value(new[kn])
            elif kn is None:
                yield child, na.value(old[ko]), None
            else:
                yield from _changes(old[ko], new[kn], na, nb, child)
        return
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        if any(isinstance(v, (dict, list)) for v in old):
            for i, (o, n) in enumerate(zip(old, new)):
                yield from _changes(o, n, na, nb, f"{path}[{i}]")
            return
        if all(not any(_changes(o, n, na, nb, "")) for o, n in zip(old, new)):
            return
    o, n = na.value(old), nb.value(new)
    if o != n:
        yield path, o, n
