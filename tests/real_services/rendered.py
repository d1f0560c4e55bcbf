"""The platform layer as the engine renders it, secrets included, for running its pods on this machine.

A plan masks every secret (``[secret]``). To run a pod for real we need what the cluster would receive, so
this module records the same program under the same mocks with a monitor that also keeps the unmasked
inputs. Nothing here builds an object by hand: commands, environments, Secrets and ConfigMaps are the
component's own output.
"""

from __future__ import annotations

import asyncio
import secrets
import shutil
import string
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime import rpc, settings

from mlstack.engine.plan import recorder
from mlstack.engine.plan.mocks import MockOutputs

LOCAL_SPEC = Path(__file__).resolve().parent / "stacks" / "local.yaml"
REPO_BASE = Path(__file__).resolve().parents[2] / "stacks" / "base.yaml"


def reveal(value: Any) -> Any:
    """Wire value -> plain data with secrets unwrapped (the recorder's ``clean`` masks them)."""
    if isinstance(value, dict):
        sig = value.get(recorder._SIG_KEY)
        if sig == recorder._SECRET_SIG:
            return reveal(value.get("value"))
        if sig == recorder._RESOURCE_SIG:
            return value.get("urn", "")
        if sig == recorder._OUTPUT_SIG:
            return reveal(value["value"]) if "value" in value else recorder.UNKNOWN
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value == rpc.UNKNOWN:
        return recorder.UNKNOWN
    return value


class LocalMocks(MockOutputs):
    """The plan's mocks, but a RandomPassword gets a fresh random value (as the random provider gives), so
    every generated credential differs, as it does in a real deployment."""

    def new_resource(self, args):
        res_id, state = super().new_resource(args)
        if args.typ == "random:index/randomPassword:RandomPassword":
            alphabet = string.ascii_letters + string.digits
            state["result"] = "".join(secrets.choice(alphabet) for _ in range(int(args.inputs.get("length", 32))))
        return res_id, state


class RevealingMonitor(recorder.RecordingMonitor):
    """The plan's recording monitor, also keeping each registration's inputs with secrets revealed."""

    def __init__(self, mocks: MockOutputs) -> None:
        super().__init__(mocks)
        self.revealed: dict[str, tuple[str, dict[str, Any]]] = {}

    def RegisterResource(self, request):  # noqa: N802 - gRPC method name
        if request.type != "pulumi:pulumi:Stack":
            urn = self.make_urn(request.parent, request.type, request.name)
            self.revealed[urn] = (request.type, reveal(json_format.MessageToDict(request.object)))
        return super().RegisterResource(request)


@dataclass
class Rendered:
    """Kubernetes objects of a recorded program, by (kind, namespace, name)."""

    objects: dict[tuple[str, str, str], dict[str, Any]]

    def get(self, kind: str, namespace: str, name: str) -> dict[str, Any]:
        try:
            return self.objects[(kind, namespace, name)]
        except KeyError:
            have = sorted(f"{ns}/{n}" for k, ns, n in self.objects if k == kind)
            raise KeyError(f"no {kind} {namespace}/{name} in the render; have {have}") from None

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [o for (k, _, _), o in sorted(self.objects.items()) if k == kind]

    def secret_data(self, namespace: str, name: str) -> dict[str, str]:
        obj = self.get("Secret", namespace, name)
        if obj.get("data"):
            import base64

            return {k: base64.b64decode(v).decode() for k, v in obj["data"].items()}
        return dict(obj.get("stringData") or {})

    def config_map_data(self, namespace: str, name: str) -> dict[str, str]:
        return dict(self.get("ConfigMap", namespace, name).get("data") or {})


def render(program: Callable[[], None], *, project: str = "acme-ml", stack: str = "local") -> Rendered:
    """Records ``program`` under the plan's mocks; returns its Kubernetes objects with secrets revealed."""
    monitor = RevealingMonitor(LocalMocks())
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        pulumi_mocks.set_mocks(monitor.mocks, project=project, stack=stack, preview=False, monitor=monitor)
        settings.set_root_resource(None)  # type: ignore[arg-type]
        from pulumi.runtime.stack import run_in_stack

        loop.run_until_complete(asyncio.wait_for(run_in_stack(program), recorder.PLAN_TIMEOUT_S))
    finally:
        recorder._reset_runtime(loop)
    objects: dict[tuple[str, str, str], dict[str, Any]] = {}
    for type_, inputs in monitor.revealed.values():
        if not type_.startswith("kubernetes:"):
            continue
        kind = type_.rsplit(":", 1)[-1]
        meta = inputs.get("metadata") or {}
        objects[(kind, meta.get("namespace", ""), meta.get("name", ""))] = inputs
    return Rendered(objects)


def platform_program(
    *,
    database_uri: str,
    artifacts_uri: str,
    mlflow_env: dict[str, str],
    mlflow_secret_env: dict[str, str],
    mlflow_python_hooks: dict[str, str] | None = None,
    spec_path: Path = LOCAL_SPEC,
) -> Callable[[], None]:
    """The engine's own platform layer for ``spec_path``, bound to this machine's database and bucket.

    Only the target bindings are local (what a target pack hands the platform layer); the spec mapping,
    the components and their pod specs are exactly what ``mlstack up`` deploys.
    """

    def program() -> None:
        import pulumi_kubernetes as k8s

        from mlstack.catalog import load_catalog
        from mlstack.engine.plan import platform
        from mlstack.targets.bindings import Bindings
        from mlstack.engine.plan.versions import resolved_versions
        from mlstack.spec import load_spec_file

        with tempfile.TemporaryDirectory() as stacks:
            shutil.copy(REPO_BASE, Path(stacks) / "base.yaml")
            for f in spec_path.parent.glob("*.yaml"):  # the spec and any overlay it extends
                shutil.copy(f, Path(stacks) / f.name)
            spec = load_spec_file(Path(stacks) / spec_path.name)
        bindings = Bindings(
            provider=k8s.Provider("local-k8s", context="local"),
            storage_provisioner="local.mlstack.io/none",
            storage_parameters={},
            artifacts_uri=artifacts_uri,
            database_uri=database_uri,
            mlflow_env=mlflow_env,
            mlflow_secret_env=mlflow_secret_env,
            mlflow_python_hooks=mlflow_python_hooks or {},
        )
        platform.provision(spec, load_catalog(), resolved_versions(spec), bindings)

    return program
