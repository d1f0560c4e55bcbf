"""``mlstack model promote``: one registered model version, copied from one environment's MLflow to another's.

What moves, through MLflow's own client APIs and each environment's own credentials:
- the source run's parameters, final metric values and tags, into a new run of the experiment
  ``promoted/<name>`` on the target;
- an MLflow 3 logged model (``m-...``) of the target's own, with the source logged model's params, tags and
  type, and the version's artifacts (``MLmodel`` with its signature and input example, environment files,
  weights). ``MLmodel`` is re-pointed at the target's ids (``model_id``, ``run_id``, ``artifact_path``): a copy
  that kept the source's ``model_id`` fails to load on the target (MLflow looks that id up there). A version
  registered from a run's artifacts (no logged model, MLflow 2 style) is copied as the new run's artifacts;
- the registered model's tags and description, and a new version with the source version's tags and
  description, pointing at that logged model and run;
- lineage back to the source: tags ``mlstack.promoted_from.{env,tracking_uri,run_id,model_version,model_id}``
  on the new run, logged model and version.

The target numbers the copy itself (its next version of the name). The name on the target must hold only
copies promoted from the same source environment: a version trained or registered there, or promoted from
another environment, is a different model under that name and the promotion is refused (exit 2), naming the
versions and the way out (``--as`` another name). Run again after a success, it finds its copy by the lineage
tags and changes nothing. Aliases are not copied: the source's numbers mean nothing on the target; ``--alias``
sets one on the copy.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mlstack.engine.deploy.model_endpoint import Endpoint, on
from mlstack.errors import EngineError, UsageError

LINEAGE = "mlstack.promoted_from"
READY_TIMEOUT_S = 120.0
MLMODEL = "MLmodel"


@dataclass(frozen=True)
class Promoted:
    """What a promotion did (``--format json`` prints it as one object)."""

    name: str
    source_env: str
    source_version: str
    target_env: str
    target_name: str
    target_version: str
    target_run_id: str
    target_model_id: str | None  # None: the source version had no MLflow 3 logged model
    created: bool  # False: the target already had this copy, nothing changed
    alias: str | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def lineage(source: Endpoint, run_id: str, version: str, model_id: str | None) -> dict[str, str]:
    """The tags that tie a copy to its source (the tracking URI is informative: it differs per port-forward)."""
    tags = {f"{LINEAGE}.env": source.env, f"{LINEAGE}.tracking_uri": source.uri, f"{LINEAGE}.run_id": run_id,
            f"{LINEAGE}.model_version": version}  # fmt: skip
    if model_id:
        tags[f"{LINEAGE}.model_id"] = model_id
    return tags


def _same_source(tags: dict[str, str], wanted: dict[str, str]) -> bool:
    return all(tags.get(k) == v for k, v in wanted.items() if k != f"{LINEAGE}.tracking_uri")


def promote_model(
    name: str, version: int, source: Endpoint, target: Endpoint, *, target_name: str | None = None, alias: str | None = None
) -> Promoted:
    """Copies version ``version`` of registered model ``name`` from ``source`` to ``target``.

    Args:
        name: the registered model at the source.
        version: its version number at the source.
        source: the source environment's MLflow.
        target: the target environment's MLflow.
        target_name: the name on the target (default: the same name).
        alias: an alias to set on the target's copy (moved there if it pointed at another version).

    Raises:
        UsageError: no such version at the source, credentials refused, or the target's name holds a model
            that is not a copy from this source.
        EngineError: a server failed, or the target did not make the new version ready in time.
    """
    from mlflow.tracking import MlflowClient

    to_name = target_name or name
    src = MlflowClient(tracking_uri=source.uri, registry_uri=source.uri)
    dst = MlflowClient(tracking_uri=target.uri, registry_uri=target.uri)
    with on(source, f"reading {name!r} version {version}"):
        mv = _source_version(src, source, name, version)
        model = src.get_registered_model(name)
        run = src.get_run(mv.run_id) if mv.run_id else None
        model_id = logged_model_id(mv)
        logged = src.get_logged_model(model_id) if model_id else None
    wanted = lineage(source, mv.run_id or "", str(version), logged.model_id if logged else None)
    with on(target, f"looking up {to_name!r}"):
        versions = list(dst.search_model_versions(f"name = '{_quoted(to_name)}'"))
    done = _existing_copy(versions, wanted)
    if done is None:
        _refuse_foreign(versions, to_name, source, target)
        with tempfile.TemporaryDirectory(prefix="mlstack-promote-") as work:
            with on(source, f"downloading the artifacts of {name!r} version {version}"):
                local = _download(src, source, name, str(version), Path(work))
            with on(target, f"copying {name!r} version {version} as {to_name!r}"):
                done = _copy(dst, to_name, mv, model, run, logged, local, wanted)
    if alias:
        with on(target, f"setting alias {alias!r} on {to_name!r} version {done.version}"):
            dst.set_registered_model_alias(to_name, alias, done.version)
    return Promoted(name, source.env, str(version), target.env, to_name, done.version, done.run_id or "",
                    getattr(done, "model_id", None) or None, created=done.created, alias=alias)  # fmt: skip


def logged_model_id(mv) -> str | None:
    """The MLflow 3 logged model a version was registered from: its ``model_id``, which the REST API leaves
    empty in 3.17, else its source ``models:/m-...``."""
    if getattr(mv, "model_id", None):
        return mv.model_id
    source = mv.source or ""
    head, _, rest = source.partition(":/")
    return rest if head == "models" and rest.startswith("m-") and "/" not in rest else None


def _quoted(value: str) -> str:
    return value.replace("'", "\\'")


def _source_version(src, source: Endpoint, name: str, version: int):
    from mlflow.exceptions import MlflowException

    try:
        return src.get_model_version(name, str(version))
    except MlflowException as exc:
        # MLflow's auth answers 403, not 404, for a name it has no permission record of (no such model).
        if exc.error_code in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "PERMISSION_DENIED"):
            raise UsageError(f"{source.env} has no version {version} of registered model {name!r} that user "
                             f"{source.username!r} may read at {source.uri}: check the name and --version (MLflow's "
                             "UI, Models) and that this is the user of the team that owns it") from None
        raise


@dataclass(frozen=True)
class _Copy:
    version: str
    run_id: str
    model_id: str | None
    created: bool


def _existing_copy(versions, wanted: dict[str, str]) -> _Copy | None:
    for v in versions:
        if _same_source(dict(v.tags), wanted):
            return _Copy(v.version, v.run_id or "", logged_model_id(v), created=False)
    return None


def _refuse_foreign(versions, to_name: str, source: Endpoint, target: Endpoint) -> None:
    foreign = sorted((v for v in versions if dict(v.tags).get(f"{LINEAGE}.env") != source.env), key=lambda v: int(v.version))
    if not foreign:
        return
    where = ", ".join(
        f"version {v.version} ({'promoted from ' + dict(v.tags)[f'{LINEAGE}.env'] if f'{LINEAGE}.env' in dict(v.tags) else 'registered there'})"
        for v in foreign
    )
    raise UsageError(
        f"{target.env} already has registered model {to_name!r} with versions that are not copies from "
        f"{source.env}: {where}. Refusing to mix two models under one name. Promote under another name "
        f"(--as {to_name}-{source.env}), or promote from the environment those versions came from."
    )


def _download(src, source: Endpoint, name: str, version: str, work: Path) -> Path:
    import mlflow

    # The version's own artifact URI: `models:/` would resolve against the process's default registry.
    uri = src.get_model_version_download_uri(name, version)
    return Path(mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=str(work / "model"), tracking_uri=source.uri))


def _copy(dst, to_name: str, mv, model, run, logged, local: Path, wanted: dict[str, str]) -> _Copy:
    from mlflow.entities import LoggedModelOutput, LoggedModelStatus, Metric, Param
    from mlflow.exceptions import MlflowException

    experiment = dst.get_experiment_by_name(f"promoted/{to_name}")
    experiment_id = experiment.experiment_id if experiment else dst.create_experiment(f"promoted/{to_name}")
    source_tags = {k: v for k, v in (run.data.tags if run else {}).items() if not k.startswith("mlflow.")}
    new_run = dst.create_run(experiment_id, tags={**source_tags, **wanted}, run_name=f"{to_name}-from-{wanted[f'{LINEAGE}.env']}-v{wanted[f'{LINEAGE}.model_version']}")
    rid = new_run.info.run_id
    if run:
        now = int(time.time() * 1000)
        dst.log_batch(rid, params=[Param(k, v) for k, v in sorted(run.data.params.items())],
                      metrics=[Metric(k, v, now, 0) for k, v in sorted(run.data.metrics.items())])  # fmt: skip
    model_id = None
    if logged is not None:
        new = dst.create_logged_model(
            experiment_id, name=logged.name, source_run_id=rid, model_type=logged.model_type,
            params=dict(logged.params), tags={**dict(logged.tags), **wanted},
        )  # fmt: skip
        model_id = new.model_id
        _repoint(local, run_id=rid, model_id=model_id, artifact_path=new.artifact_location)
        dst.log_model_artifacts(model_id, str(local))
        dst.log_outputs(rid, [LoggedModelOutput(model_id, step=0)])
        dst.finalize_logged_model(model_id, LoggedModelStatus.READY)
        source = f"models:/{model_id}"
    else:
        _repoint(local, run_id=rid, model_id=None, artifact_path="model")
        dst.log_artifacts(rid, str(local), artifact_path="model")
        source = f"runs:/{rid}/model"
    dst.set_terminated(rid)
    try:
        dst.create_registered_model(to_name, tags=dict(model.tags), description=model.description)
    except MlflowException as exc:
        if exc.error_code != "RESOURCE_ALREADY_EXISTS":
            raise
    created = dst.create_model_version(to_name, source=source, run_id=rid, tags={**dict(mv.tags), **wanted},
                                       description=mv.description, model_id=model_id, await_creation_for=0)  # fmt: skip
    _wait_ready(dst, to_name, created.version)
    return _Copy(created.version, rid, model_id, created=True)


def _repoint(local: Path, *, run_id: str, model_id: str | None, artifact_path: str) -> None:
    """Points the copy's ``MLmodel`` at the target's run and logged model (MLflow's own reader and writer)."""
    from mlflow.models import Model

    from mlstack import fsio

    path = local / MLMODEL
    if not path.is_file():
        return  # not an MLflow model directory (a registered folder of files): copied as it is
    meta = Model.load(str(path))
    meta.run_id, meta.artifact_path = run_id, artifact_path
    if model_id is not None:
        meta.model_id = meta.model_uuid = model_id
    # A scratch copy in a temporary folder the user never sees: outside the project by design.
    fsio.atomic_write(path, meta.to_yaml(), outside_ok=True)


def _wait_ready(dst, name: str, version: str) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        status = dst.get_model_version(name, version).status
        if status == "READY":
            return
        if status == "FAILED_REGISTRATION":
            raise EngineError(f"the target failed to register {name!r} version {version}")
        time.sleep(0.5)
    raise EngineError(f"{name!r} version {version} not READY on the target after {READY_TIMEOUT_S:g} s")

