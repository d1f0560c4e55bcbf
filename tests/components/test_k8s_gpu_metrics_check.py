"""``CHECK gpu-metrics``: the verification script's check run for real against a loopback HTTP exporter.

The exporter is a real HTTP server on 127.0.0.1 (port chosen at run time, stopped after each test) serving the
Prometheus text the DCGM exporter serves; the script reads it over HTTP exactly as it reads the node-local
Service in a cluster. Only the clock and the sleep between attempts are the test's, so retries take no time.
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

NODE = "ip-10-0-1-5.ec2.internal"
HEADER = "# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).\n# TYPE DCGM_FI_DEV_GPU_UTIL gauge\n"


def _series(metric, node, gpu, value):
    return (f'{metric}{{gpu="{gpu}",UUID="GPU-{gpu}a7",pci_bus_id="00000000:10:1C.0",device="nvidia{gpu}",'
            f'modelName="NVIDIA A100-SXM4-80GB",Hostname="{node}",DCGM_FI_DRIVER_VERSION="570.172.08"}} {value}\n')


GOOD = HEADER + _series("DCGM_FI_DEV_GPU_UTIL", NODE, 0, 30) + _series("DCGM_FI_DEV_GPU_UTIL", NODE, 1, 10) + \
    _series("DCGM_FI_DEV_FB_USED", NODE, 0, 1024)


class Exporter:
    """A loopback exporter: ``bodies`` are served in turn to ``/metrics`` (the last one repeats); an int body is
    answered with that HTTP status instead. ``requests`` counts what it served."""

    def __init__(self, *bodies):
        self.bodies, self.requests = list(bodies), 0
        exporter = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 (http.server's name)
                body = exporter.bodies[min(exporter.requests, len(exporter.bodies) - 1)]
                exporter.requests += 1
                if self.path != "/metrics" or isinstance(body, int):
                    self.send_error(404 if self.path != "/metrics" else body)
                    return
                data = body.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/metrics"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def exporters():
    started = []

    def start(*bodies):
        started.append(Exporter(*bodies))
        return started[-1]

    yield start
    for exporter in started:
        exporter.stop()


class Clock:
    """Time that moves only when the check sleeps."""

    def __init__(self):
        self.now, self.sleeps = 0.0, []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def _script(monkeypatch, url, **environ):
    from mlstack.components.k8s.verify_script import SCRIPT

    for key in ("MLSTACK_CHECKS", "MLSTACK_POOL", "MLSTACK_GPU_METRICS_SKIP"):
        monkeypatch.delenv(key, raising=False)
    # In a pod (the check reads no API: the address only says it runs in a cluster).
    values = {"KUBERNETES_SERVICE_HOST": "10.100.0.1", "MLSTACK_EXPECT_GPU": "1", "MLSTACK_GPU_DEVICES": "2", "MLSTACK_GPU_METRICS_URL": url,
              "MLSTACK_GPU_METRIC": "DCGM_FI_DEV_GPU_UTIL", "MLSTACK_NODE_NAME": NODE, "MLSTACK_GPU_METRICS_TIMEOUT": "30"}
    for key, value in {**values, **environ}.items():
        monkeypatch.setenv(key, value)
    namespace: dict = {"__name__": "verify"}
    exec(compile(SCRIPT, "verify.py", "exec"), namespace)
    return namespace


def _run(ns):
    clock = Clock()
    return ns["check_gpu_metrics"](clock=clock, sleep=clock.sleep), clock


def test_passes_on_its_nodes_series_from_the_exporter(monkeypatch, exporters):
    exporter = exporters(GOOD + _series("DCGM_FI_DEV_GPU_UTIL", "ip-10-0-2-9.ec2.internal", 0, 99))
    detail, clock = _run(_script(monkeypatch, exporter.url))
    # Two GPUs of this node (the other node's series is not counted), utilisation averaged over them.
    assert detail == f"DCGM_FI_DEV_GPU_UTIL exported for node {NODE}: gpus=2 util=20%"
    assert (exporter.requests, clock.sleeps) == (1, [])


def test_retries_while_the_exporter_is_not_ready_then_passes(monkeypatch, exporters):
    exporter = exporters(503, HEADER, GOOD)
    detail, clock = _run(_script(monkeypatch, exporter.url))
    assert detail == f"DCGM_FI_DEV_GPU_UTIL exported for node {NODE}: gpus=2 util=20%"
    assert (exporter.requests, clock.sleeps) == (3, [5, 5])


def test_fails_on_a_missing_metric_after_its_timeout(monkeypatch, exporters):
    exporter = exporters(_series("DCGM_FI_DEV_FB_USED", NODE, 0, 1024))
    with pytest.raises(RuntimeError) as caught:
        _run(_script(monkeypatch, exporter.url))
    assert str(caught.value) == (f"no DCGM_FI_DEV_GPU_UTIL series at {exporter.url}, for 30 s "
                                 "(is the DCGM exporter running and ready on this node?)")
    assert exporter.requests == 7  # at 0, 5, ..., 30 s: bounded


def test_fails_on_another_nodes_series_or_too_few_gpus(monkeypatch, exporters):
    other = exporters(_series("DCGM_FI_DEV_GPU_UTIL", "ip-10-0-2-9.ec2.internal", 0, 99))
    with pytest.raises(RuntimeError) as caught:
        _run(_script(monkeypatch, other.url, MLSTACK_GPU_METRICS_TIMEOUT="0"))
    assert str(caught.value) == (f"DCGM_FI_DEV_GPU_UTIL only for node(s) ip-10-0-2-9.ec2.internal, not {NODE}, for 0 s "
                                 "(is the DCGM exporter running and ready on this node?)")
    few = exporters(GOOD)
    with pytest.raises(RuntimeError) as caught:
        _run(_script(monkeypatch, few.url, MLSTACK_GPU_DEVICES="8", MLSTACK_GPU_METRICS_TIMEOUT="0"))
    assert str(caught.value).startswith(f"DCGM_FI_DEV_GPU_UTIL for 2 GPU(s) of node {NODE}, the pod was given 8, for 0 s")


def test_fails_when_the_exporter_is_unreachable(monkeypatch):
    with socket.socket() as s:  # a loopback port nobody listens on: bound, then closed
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/metrics"
    with pytest.raises(RuntimeError) as caught:
        _run(_script(monkeypatch, url, MLSTACK_GPU_METRICS_TIMEOUT="10"))
    message = str(caught.value)
    assert message.startswith(f"{url} unreachable (URLError: <urlopen error [Errno 111] Connection refused>), for 10 s")
    assert message.endswith("(is the DCGM exporter running and ready on this node?)")


def test_skips_without_a_gpu_pool_or_an_exporter(monkeypatch):
    ns = _script(monkeypatch, "http://unused", MLSTACK_EXPECT_GPU="0")
    assert _run(ns)[0] == "skipped: the environment has no GPU pool"
    reason = "the cloud collects GPU metrics itself (managed DCGM collection)"
    ns = _script(monkeypatch, "http://unused", MLSTACK_GPU_METRICS_SKIP=reason)
    assert _run(ns)[0] == f"skipped: {reason}"
    ns = _script(monkeypatch, "http://unused", KUBERNETES_SERVICE_HOST="")
    assert _run(ns)[0] == "skipped: not in a Kubernetes cluster (KUBERNETES_SERVICE_HOST unset)"


def test_a_pool_job_prints_the_line_and_mlstack_verify_reads_its_pool_and_figures(monkeypatch, exporters, capsys):
    exporter = exporters(GOOD)
    ns = _script(monkeypatch, exporter.url, MLSTACK_CHECKS="gpu-metrics", MLSTACK_POOL="a100")
    assert ns["main"]() == 0
    out = capsys.readouterr().out
    assert out == f"CHECK gpu-metrics[a100] PASS DCGM_FI_DEV_GPU_UTIL exported for node {NODE}: gpus=2 util=20%\n"
    from mlstack.engine.deploy.verify import Figure, parse_checks

    (check,) = parse_checks(out)
    assert (check.name, check.pool, check.passed) == ("gpu-metrics[a100]", "a100", True)
    assert check.figures == {"gpus": Figure(2.0, ""), "util": Figure(20.0, "%")}
    (failed,) = parse_checks("CHECK gpu-metrics[l4] FAIL RuntimeError: no DCGM_FI_DEV_GPU_UTIL series at http://x, for 180 s\n")
    assert (failed.pool, failed.passed, failed.figures) == ("l4", False, {})


def test_parses_the_exposition_format():
    from mlstack.components.k8s.verify_script import SCRIPT

    ns: dict = {"__name__": "verify"}
    exec(compile(SCRIPT, "verify.py", "exec"), ns)
    text = (HEADER + 'DCGM_FI_DEV_GPU_UTIL{gpu="0",modelName="A \\"quoted\\" \\\\ name",Hostname="n1"} 37 1700000000000\n'
            "DCGM_FI_DEV_GPU_UTIL 5\nDCGM_FI_DEV_GPU_UTIL_X{gpu=\"0\"} 1\nDCGM_FI_DEV_GPU_UTIL{gpu=\"1\"} NaN\n")
    samples = ns["parse_samples"](text, "DCGM_FI_DEV_GPU_UTIL")
    assert samples[:2] == [({"gpu": "0", "modelName": 'A "quoted" \\ name', "Hostname": "n1"}, 37.0), ({}, 5.0)]
    assert samples[2][0] == {"gpu": "1"} and samples[2][1] != samples[2][1]  # NaN: a sample all the same
    assert len(samples) == 3
