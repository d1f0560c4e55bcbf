"""The written pack, run as the Pulumi CLI runs it: its program starts pulumi-policy's analyzer server (loopback,
a port it picks and prints), and the analyzer's own gRPC calls (GetAnalyzerInfo, AnalyzeStack) answer with
``mlstack check``'s levels and findings for a recorded plan. No Pulumi CLI is involved: the test is the client.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from pathlib import Path

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from mlstack.engine.review.policy import check_plan, pack_levels
from mlstack.engine.scaffold.policy_pack import PackScope, pack_files
from mlstack.fsio import write_files

from .crossguard_args import wire

STACKS = Path(__file__).resolve().parents[2] / "stacks"
LEVEL = {"mandatory": analyzer_pb2.MANDATORY, "advisory": analyzer_pb2.ADVISORY, "disabled": analyzer_pb2.DISABLED}


def _first_line(proc: subprocess.Popen, timeout: float) -> str:
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(proc.stdout.readline()), daemon=True).start()  # type: ignore[union-attr]
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        pytest.fail(f"the policy pack printed no port within {timeout} s")


@pytest.fixture
def served(tmp_path):
    """The pack of gcp-staging, written by pack_files and running: (its analyzer stub, the spec, the plan)."""
    from mlstack.engine.plan.planner import plan_spec
    from mlstack.spec import load_spec

    spec = load_spec("gcp-staging", STACKS)
    scope = PackScope(name="mlstack-acme-ml-gcp-staging", protected=spec.protected, waivers=spec.waivers,
                      cloud=spec.target.cloud, env="gcp-staging")
    folder = tmp_path / "policy"
    write_files(pack_files(scope, folder), root=folder)
    proc = subprocess.Popen([sys.executable, "__main__.py"], cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        port = int(_first_line(proc, 60).strip())
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            yield analyzer_pb2_grpc.AnalyzerStub(channel), spec, plan_spec(spec)
    finally:
        proc.kill()
        proc.wait(timeout=30)
        proc.stdout.close()  # type: ignore[union-attr]
        proc.stderr.close()  # type: ignore[union-attr]


def _request(plan) -> analyzer_pb2.AnalyzeStackRequest:
    resources = []
    for r in plan.resources:
        props = struct_pb2.Struct()
        props.update(wire(r.inputs))
        resources.append(analyzer_pb2.AnalyzerResource(
            type=r.type, properties=props, urn=r.urn, name=r.name, parent=r.parent, dependencies=r.depends_on,
            options=analyzer_pb2.AnalyzerResourceOptions(protect=r.protect, parent=r.parent)))
    return analyzer_pb2.AnalyzeStackRequest(resources=resources)


def test_the_served_pack_answers_with_checks_levels_and_findings(served):
    stub, spec, plan = served
    levels = pack_levels(protected=spec.protected, waivers=spec.waivers, cloud=spec.target.cloud)
    info = stub.GetAnalyzerInfo(empty_pb2.Empty(), timeout=60)
    assert info.name == "mlstack-acme-ml-gcp-staging"
    assert {p.name: p.enforcementLevel for p in info.policies} == {k: LEVEL[v.level] for k, v in levels.items()}

    answer = stub.AnalyzeStack(_request(plan), timeout=120)
    report = check_plan(plan, protected=spec.protected, waivers=spec.waivers)
    enforced = {r.rule.id: r for r in report.results if levels[r.rule.id].level != "disabled"}
    expected = sorted((r.rule.id, f.urn, f.message, LEVEL[r.level]) for r in enforced.values() for f in r.findings)
    got = sorted((d.policyName, d.urn, d.message.split("\n", 1)[1], d.enforcementLevel) for d in answer.diagnostics)
    assert got == expected
    assert {"MLS-GCP-010", "MLS-GCP-014", "MLS-GCP-020", "MLS-K8S-001"} == {d[0] for d in got}  # the plan's advisory findings
    assert sorted(n.policy_name for n in answer.not_applicable) == sorted(i for i, r in enforced.items() if r.status == "n/a")
