"""The script the verification Job runs (``verify.py`` in its ConfigMap): one function per check.

It prints ``CHECK <name> PASS|FAIL <detail>`` per check, the contract ``mlstack verify`` reads
(:mod:`mlstack.engine.deploy.verify`); a detail may carry figures as ``name=<number><unit>`` (the NCCL check's
``busbw=<GB/s>``). Kept apart from :mod:`.verify_job` so each stays readable; the tests run its functions
against recorded API answers and real tool output.

One script serves every Job of the verification: the environment's main Job and one Job per GPU pool. Each Job
names the checks it runs in ``MLSTACK_CHECKS`` (from :data:`MAIN_CHECKS` and :data:`POOL_CHECKS`); a pool's Job
also sets ``MLSTACK_POOL``, and its lines read ``CHECK <check>[<pool>] ...``. Adding a check is one function in
the script, one entry in its ``CHECKS`` table and its name in one of the two tuples below.
"""

#: The checks of the environment's main Job, in the order it prints them.
MAIN_CHECKS = ("shared", "tracking", "gang-admission", "nccl-allreduce")
#: The checks each GPU pool's Job runs on one node of that pool, printed as ``<check>[<pool>]``. Where the
#: environment has no GPU pool, the main Job runs them first instead (and ``gpu`` says it skipped).
POOL_CHECKS = ("gpu", "gpu-metrics")

SCRIPT = '''\
"""mlstack verification: GPU and its metrics, shared volume, MLflow tracking and registry, gang admission, NCCL all-reduce.

Prints one line per check, `CHECK <name> PASS|FAIL <detail>`, which `mlstack verify` reads; every check runs
even when an earlier one fails, and the exit code is 1 when any failed. MLSTACK_CHECKS names the checks to run
(comma-separated; default all), MLSTACK_POOL the GPU pool a pool Job runs on (its lines: `<check>[<pool>]`).
"""
import json
import os
import pathlib
import re
import ssl
import subprocess
import sys
import time
import urllib.parse
import urllib.request


def extend_path(value, directory):
    return f"{value}{os.pathsep}{directory}" if value else directory


def check_gpu():
    if os.environ.get("MLSTACK_EXPECT_GPU") != "1":
        return "skipped: the environment has no GPU pool"
    # GKE mounts the driver's binaries and libraries under /usr/local/nvidia without putting them on PATH;
    # elsewhere the NVIDIA container toolkit puts nvidia-smi on PATH already, and the extra entries are inert.
    env = dict(os.environ)
    env["PATH"] = extend_path(env.get("PATH", ""), "/usr/local/nvidia/bin")
    env["LD_LIBRARY_PATH"] = extend_path(env.get("LD_LIBRARY_PATH", ""), "/usr/local/nvidia/lib64")
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"],
            check=True, capture_output=True, text=True, env=env,
        ).stdout.strip()
    except FileNotFoundError:
        if not os.environ.get("KUBERNETES_SERVICE_HOST"):
            # Every pod in a cluster has it: this is a local run of the script, on a machine without a GPU.
            return "skipped: no nvidia-smi, and not in a Kubernetes cluster (KUBERNETES_SERVICE_HOST unset)"
        raise RuntimeError("nvidia-smi not found: the pod got no NVIDIA driver (check the device plugin or GPU "
                           "operator and the container toolkit on the pool's nodes)") from None
    gpus = [line.strip() for line in out.splitlines() if line.strip()]
    if not gpus:
        raise RuntimeError("nvidia-smi lists no GPU")
    want = int(os.environ.get("MLSTACK_GPU_DEVICES") or 0)
    if want and len(gpus) != want:
        raise RuntimeError(f"nvidia-smi lists {len(gpus)} GPU(s), the pod was given {want}: {'; '.join(gpus)}")
    return "; ".join(gpus)


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\\{(.*)\\})?\\s+(\\S+)(?:\\s+-?[0-9]+)?$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\\]|\\\\.)*)"')


def parse_samples(text, metric):
    """The samples of ``metric`` in a Prometheus text exposition: (labels, value) pairs, comments skipped."""
    samples = []
    for line in text.splitlines():
        m = SAMPLE.match(line.strip())
        if m and m[1] == metric:
            labels = {k: re.sub(r'\\\\(.)', r'\\1', v) for k, v in LABEL.findall(m[2] or "")}
            try:
                samples.append((labels, float(m[3])))
            except ValueError:
                continue  # not a number: not a sample of ours
    return samples


def read_url(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode(errors="replace")


def check_gpu_metrics(clock=time.monotonic, sleep=time.sleep):
    """A DCGM series for this pod's node, from the exporter on the same node (the node-local Service)."""
    if os.environ.get("MLSTACK_EXPECT_GPU") != "1":
        return "skipped: the environment has no GPU pool"
    skip = os.environ.get("MLSTACK_GPU_METRICS_SKIP", "")
    if skip:
        return f"skipped: {skip}"
    if not os.environ.get("KUBERNETES_SERVICE_HOST"):
        # Every pod in a cluster has it: this is a local run of the script, with no node and no exporter.
        return "skipped: not in a Kubernetes cluster (KUBERNETES_SERVICE_HOST unset)"
    url, metric = os.environ["MLSTACK_GPU_METRICS_URL"], os.environ["MLSTACK_GPU_METRIC"]
    node = os.environ["MLSTACK_NODE_NAME"]
    want = int(os.environ.get("MLSTACK_GPU_DEVICES") or 0)
    timeout = float(os.environ.get("MLSTACK_GPU_METRICS_TIMEOUT") or 180)
    start = clock()
    while True:
        try:
            samples = parse_samples(read_url(url), metric)
        except OSError as exc:  # refused, timed out, DNS: the exporter on this node is not serving (yet)
            why = f"{url} unreachable ({type(exc).__name__}: {exc})"
        else:
            mine = [(labels, value) for labels, value in samples if labels.get("Hostname") == node]
            gpus = sorted({labels.get("gpu", "") for labels, _ in mine})
            if mine and len(gpus) >= want:
                mean = sum(value for _, value in mine) / len(mine)
                return f"{metric} exported for node {node}: gpus={len(gpus)} util={mean:.0f}%"
            others = sorted({labels.get("Hostname", "?") for labels, _ in samples} - {node})
            why = (f"{metric} for {len(gpus)} GPU(s) of node {node}, the pod was given {want}" if mine else
                   f"{metric} only for node(s) {', '.join(others)}, not {node}" if samples else
                   f"no {metric} series at {url}")
        if clock() - start >= timeout:
            raise RuntimeError(f"{why}, for {timeout:.0f} s (is the DCGM exporter running and ready on this node?)")
        sleep(5)


def check_shared():
    path = pathlib.Path(os.environ["MLSTACK_SHARED_PATH"]) / ".mlstack-verify" / os.environ["HOSTNAME"]
    path.parent.mkdir(parents=True, exist_ok=True)
    token = os.urandom(16).hex()
    path.write_text(token)
    if path.read_text() != token:
        raise RuntimeError(f"read back something else from {path}")
    path.unlink()
    return f"wrote and read {path}"


def check_tracking():
    import mlflow  # here, not at the top: a GPU pool's Job runs no MLflow check

    class Echo(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input):
            return model_input

    mlflow.set_experiment("mlstack-verify")
    with mlflow.start_run() as run:
        mlflow.log_param("pod", os.environ["HOSTNAME"])
        mlflow.log_metric("verified", 1.0)
        mlflow.pyfunc.log_model("model", python_model=Echo(), pip_requirements=["mlflow"])
    version = mlflow.register_model(f"runs:/{run.info.run_id}/model", os.environ["MLSTACK_VERIFY_MODEL"])
    return f"run {run.info.run_id}, model {version.name} version {version.version}"


def kube(method, path, body=None, text=False):
    """One call to the API server with the projected service-account token (``text``: the body as text)."""
    token_dir = os.environ["MLSTACK_TOKEN_DIR"]
    token = pathlib.Path(token_dir, "token").read_text()
    url = f"https://{os.environ['KUBERNETES_SERVICE_HOST']}:{os.environ['KUBERNETES_SERVICE_PORT']}{path}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json", "Accept": "application/json"})
    context = ssl.create_default_context(cafile=str(pathlib.Path(token_dir, "ca.crt")))
    with urllib.request.urlopen(request, context=context, timeout=30) as response:
        return response.read().decode(errors="replace") if text else json.load(response)


def check_gang(call=None, clock=time.monotonic, sleep=time.sleep):
    namespace = os.environ.get("MLSTACK_GANG_NAMESPACE", "")
    if not namespace:
        return "skipped: the environment has no team queue"
    if call is None and not os.environ.get("KUBERNETES_SERVICE_HOST"):
        # Every pod in a cluster has it: without it there is no API server to submit to.
        return "skipped: not in a Kubernetes cluster (KUBERNETES_SERVICE_HOST unset)"
    call = call or kube
    body = json.loads(pathlib.Path(os.environ["MLSTACK_GANG_JOBSET"]).read_text())
    body["metadata"]["name"] = f"mlstack-gang-{os.urandom(3).hex()}"
    path = f"/apis/jobset.x-k8s.io/v1alpha2/namespaces/{namespace}/jobsets"
    created = call("POST", path, body)
    name = created["metadata"]["name"]
    try:
        if created.get("spec", {}).get("suspend") is not True:
            raise RuntimeError(f"{namespace}/{name} was not suspended on creation: Kueue did not queue it")
        timeout = float(os.environ["MLSTACK_GANG_TIMEOUT"])
        start = clock()
        while True:
            status = call("GET", f"{path}/{name}").get("status", {})
            conditions = {c.get("type"): c for c in status.get("conditions", []) if c.get("status") == "True"}
            if "Completed" in conditions:
                return f"{namespace}/{name}: 2 pods admitted together through queue {body['metadata']['labels']['kueue.x-k8s.io/queue-name']}, done in {clock() - start:.0f} s"
            if "Failed" in conditions:
                raise RuntimeError(f"{namespace}/{name} failed: {conditions['Failed'].get('message', '')}")
            if clock() - start > timeout:
                raise RuntimeError(f"{namespace}/{name} not done after {timeout:.0f} s: the team's queue cannot admit 2 pods (quota in use?)")
            sleep(5)
    finally:
        call("DELETE", f"{path}/{name}", {"propagationPolicy": "Background"})


def parse_all_reduce(text):
    """all_reduce_perf's report: its result rows (size, out-of-place and in-place busbw and #wrong), the out of
    bounds count and the average bus bandwidth, or None for a summary line it did not print."""
    rows, out_of_bounds, average = [], None, None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("# Out of bounds values"):
            out_of_bounds = int(stripped.split(":", 1)[1].split()[0])
        elif stripped.startswith("# Avg bus bandwidth"):
            average = float(stripped.split(":", 1)[1].split()[0])
        elif stripped and not stripped.startswith("#"):
            f = stripped.split()
            # size count type redop root | time algbw busbw #wrong (out-of-place) | time algbw busbw #wrong (in-place)
            if len(f) >= 13 and f[0].isdigit() and f[1].isdigit():
                try:
                    rows.append({"size": int(f[0]), "busbw": float(f[7]), "wrong": f[8], "in_busbw": float(f[11]), "in_wrong": f[12]})
                except ValueError:
                    continue  # a log line of another program that happens to start with two numbers
    return rows, out_of_bounds, average


def nccl_verdict(text):
    """The check's detail from the launcher's log; raises when the run was wrong or incomplete."""
    rows, out_of_bounds, average = parse_all_reduce(text)
    if not rows or average is None:
        raise RuntimeError("all_reduce_perf printed no results (see the launcher's log)")
    wrong = [r["size"] for r in rows if r["wrong"] != "0" or r["in_wrong"] != "0"]
    if wrong or out_of_bounds:
        raise RuntimeError(f"all_reduce_perf found wrong results (sizes {wrong}, {out_of_bounds} out of bounds)")
    top = max(rows, key=lambda r: r["size"])
    return f"busbw={top['busbw']:.2f}GB/s avg_busbw={average:.2f}GB/s size={top['size']}B"


def check_nccl(call=None, clock=time.monotonic, sleep=time.sleep):
    skip = os.environ.get("MLSTACK_NCCL_SKIP", "")
    if skip:
        return f"skipped: {skip}"
    if call is None and not os.environ.get("KUBERNETES_SERVICE_HOST"):
        return "skipped: not in a Kubernetes cluster (KUBERNETES_SERVICE_HOST unset)"
    call = call or kube
    namespace = os.environ["MLSTACK_NCCL_NAMESPACE"]
    body = json.loads(pathlib.Path(os.environ["MLSTACK_NCCL_TRAINJOB"]).read_text())
    body["metadata"]["name"] = f"mlstack-nccl-{os.urandom(3).hex()}"
    path = f"/apis/trainer.kubeflow.org/v1alpha1/namespaces/{namespace}/trainjobs"
    created = call("POST", path, body)
    name = created["metadata"]["name"]
    try:
        if created.get("spec", {}).get("suspend") is not True:
            raise RuntimeError(f"{namespace}/{name} was not suspended on creation: Kueue did not queue it")
        timeout = float(os.environ["MLSTACK_NCCL_TIMEOUT"])
        start = clock()
        while True:
            status = call("GET", f"{path}/{name}").get("status", {})
            conditions = {c.get("type"): c for c in status.get("conditions", []) if c.get("status") == "True"}
            if "Complete" in conditions:
                break
            if "Failed" in conditions:
                raise RuntimeError(f"{namespace}/{name} failed: {conditions['Failed'].get('message', '')}")
            if clock() - start > timeout:
                raise RuntimeError(f"{namespace}/{name} not done after {timeout:.0f} s: the team's queue cannot admit 2 whole nodes (quota in use?), or the pool cannot scale to 2")
            sleep(10)
        selector = urllib.parse.quote(f"jobset.sigs.k8s.io/jobset-name={name},jobset.sigs.k8s.io/replicatedjob-name=launcher")
        pods = call("GET", f"/api/v1/namespaces/{namespace}/pods?labelSelector={selector}").get("items", [])
        if not pods:
            raise RuntimeError(f"{namespace}/{name}: no launcher pod to read the result from")
        log = call("GET", f"/api/v1/namespaces/{namespace}/pods/{pods[0]['metadata']['name']}/log", text=True)
        ranks = os.environ.get("MLSTACK_NCCL_RANKS", "?")
        return f"{nccl_verdict(log)} ranks={ranks} pool={os.environ.get('MLSTACK_NCCL_POOL', '?')} {namespace}/{name}"
    finally:
        call("DELETE", f"{path}/{name}", {"propagationPolicy": "Background"})


#: Every check by name, in the order a run without MLSTACK_CHECKS prints them.
CHECKS = {"gpu": check_gpu, "gpu-metrics": check_gpu_metrics, "shared": check_shared, "tracking": check_tracking, "gang-admission": check_gang,
          "nccl-allreduce": check_nccl}


def main():
    pool = os.environ.get("MLSTACK_POOL", "")
    names = [n.strip() for n in os.environ.get("MLSTACK_CHECKS", ",".join(CHECKS)).split(",") if n.strip()]
    failed = 0
    for name in names:
        label = f"{name}[{pool}]" if pool else name
        try:
            if name not in CHECKS:
                raise RuntimeError(f"no check {name!r} in this script (it has {', '.join(CHECKS)})")
            print(f"CHECK {label} PASS {CHECKS[name]()}", flush=True)
        except Exception as exc:  # report and go on: one run shows every failure
            failed += 1
            print(f"CHECK {label} FAIL {type(exc).__name__}: {exc}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
'''
