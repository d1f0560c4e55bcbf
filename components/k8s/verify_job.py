"""The verification Job: proves from inside the cluster that an environment works.

One pod, on a GPU pool when the environment has one, that
1. runs ``nvidia-smi`` and fails unless it lists a GPU (the device plugin and driver work),
2. writes a file to the ``shared`` volume and reads it back (the ReadWriteMany class and claim work),
3. logs a run to MLflow and registers a model (tracking, artifacts and the registry work, with auth).

The Job is created suspended (``suspend: true``) by default: ``up`` leaves it planned and in place, and
``mlstack verify`` runs a new Job from its pod template (so the Pulumi-managed object never drifts). That
keeps the object identical in every plan and keeps ``up`` from waiting on a GPU node to scale up. The script
prints ``CHECK <name> PASS|FAIL <detail>`` per check, the contract ``mlstack verify`` reads. Finished Jobs are
garbage-collected after ``ttl_seconds_after_finished``.

The script runs in the MLflow image (it has ``mlflow``); ``nvidia-smi`` is mounted into the container by
the NVIDIA container toolkit when the pod is given a GPU (``NVIDIA_DRIVER_CAPABILITIES`` includes utility),
on PATH on EKS and on-prem; GKE mounts the driver under ``/usr/local/nvidia`` without setting PATH, so the
script runs it with PATH and LD_LIBRARY_PATH extended by ``/usr/local/nvidia/bin`` and ``/lib64``.
The ``shared`` PVC in the Job's namespace is created by ``SharedStorage`` (the Platform lists the Job's
namespace there), so the claim is defined in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from . import hardening as h
from . import require_provider

TOKEN = "mlstack:k8s:VerifyJob"
JOB = "mlstack-verify"
SYSTEM_NAMESPACE = "mlstack-system"

SCRIPT = '''\
"""mlstack verification: GPU, shared volume, MLflow tracking and registry.

Prints one line per check, `CHECK <name> PASS|FAIL <detail>`, which `mlstack verify` reads; every check runs
even when an earlier one fails, and the exit code is 1 when any failed.
"""
import os
import pathlib
import subprocess
import sys

import mlflow


class Echo(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input):
        return model_input


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
    out = subprocess.run(
        ["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"],
        check=True, capture_output=True, text=True, env=env,
    ).stdout.strip()
    if not out:
        raise RuntimeError("nvidia-smi lists no GPU")
    return out.replace("\\n", "; ")


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
    mlflow.set_experiment("mlstack-verify")
    with mlflow.start_run() as run:
        mlflow.log_param("pod", os.environ["HOSTNAME"])
        mlflow.log_metric("verified", 1.0)
        mlflow.pyfunc.log_model("model", python_model=Echo(), pip_requirements=["mlflow"])
    version = mlflow.register_model(f"runs:/{run.info.run_id}/model", os.environ["MLSTACK_VERIFY_MODEL"])
    return f"run {run.info.run_id}, model {version.name} version {version.version}"


failed = 0
for name, check in (("gpu", check_gpu), ("shared", check_shared), ("tracking", check_tracking)):
    try:
        print(f"CHECK {name} PASS {check()}", flush=True)
    except Exception as exc:  # report and go on: one run shows every failure
        failed += 1
        print(f"CHECK {name} FAIL {type(exc).__name__}: {exc}", flush=True)
sys.exit(1 if failed else 0)
'''


@dataclass(frozen=True, kw_only=True)
class VerifyJobArgs:
    """The verification Job.

    Attributes:
        image: the pinned MLflow image the script runs in.
        tracking_uri: the MLflow server's URI; set by the Platform from its TrackingServer.
        tracking_username: the MLflow user the Job logs as; set by the Platform (the admin).
        tracking_password: that user's password (secret); set by the Platform.
        accelerator: value of the ``mlstack.io/accelerator`` label of the GPU pool to run on (e.g.
            "nvidia-a100-80gb"); None when the environment has no GPU pool (the GPU check is skipped).
        namespace: namespace of the Job, created here; "mlstack-system".
        pvc_name: the ``shared`` claim in that namespace; "shared".
        suspend: create the Job suspended, to be started by the lifecycle command; True.
        ttl_seconds_after_finished: seconds a finished Job is kept before deletion; 86400.
        active_deadline_seconds: the most the Job may run, GPU node scale-up included; 1800.
        model_name: the registered model's name; "mlstack-verify".
        accelerator_label: node label key of GPU pools; "mlstack.io/accelerator".
        taint_key: GPU taint key tolerated; "nvidia.com/gpu".
        cpu: CPU request and limit; "500m". memory: memory request and limit; "1Gi".
    """

    image: str
    tracking_uri: str | None = None
    tracking_username: pulumi.Input[str] | None = None
    tracking_password: pulumi.Input[str] | None = None
    accelerator: str | None = None
    namespace: str = SYSTEM_NAMESPACE
    pvc_name: str = "shared"
    suspend: bool = True
    ttl_seconds_after_finished: int = 86400
    active_deadline_seconds: int = 1800
    model_name: str = JOB
    accelerator_label: str = "mlstack.io/accelerator"
    taint_key: str = "nvidia.com/gpu"
    cpu: str = "500m"
    memory: str = "1Gi"


class VerifyJob(pulumi.ComponentResource):
    """Namespace, ConfigMap (the script), Secret (MLflow credentials) and a suspended ``batch/v1`` Job.

    Attributes:
        job_name: the Job's name.
        namespace: its namespace (an output: the Platform puts the ``shared`` claim there).
    """

    def __init__(self, name: str, args: VerifyJobArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        require_provider(self, name)
        if args.tracking_uri is None or args.tracking_username is None or args.tracking_password is None:
            raise ValueError(f"VerifyJob {name!r}: tracking_uri, tracking_username and tracking_password are required")
        labels = h.MLSTACK_LABELS(JOB, "verify")
        child = pulumi.ResourceOptions(parent=self)
        ns = k8s.core.v1.Namespace(
            f"{name}-ns",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.namespace, labels={**labels, **h.restricted_namespace_labels()}),
            opts=child,
        )

        def meta(object_name: str) -> k8s.meta.v1.ObjectMetaArgs:
            return k8s.meta.v1.ObjectMetaArgs(name=object_name, namespace=ns.metadata.name, labels=labels)

        script = k8s.core.v1.ConfigMap(f"{name}-script", metadata=meta(JOB), data={"verify.py": SCRIPT}, opts=child)
        creds = k8s.core.v1.Secret(
            f"{name}-mlflow",
            metadata=meta(f"{JOB}-mlflow"),
            type="kubernetes.io/basic-auth",
            string_data={"username": args.tracking_username, "password": pulumi.Output.secret(args.tracking_password)},
            opts=child,
        )
        gpu = args.accelerator is not None
        tmp, tmp_mount = h.tmp_volume()
        env = [
            k8s.core.v1.EnvVarArgs(name="HOME", value="/tmp"),
            k8s.core.v1.EnvVarArgs(name="MLFLOW_TRACKING_URI", value=args.tracking_uri),
            h.secret_env_var("MLFLOW_TRACKING_USERNAME", creds.metadata.name, "username"),
            h.secret_env_var("MLFLOW_TRACKING_PASSWORD", creds.metadata.name, "password"),
            k8s.core.v1.EnvVarArgs(name="MLSTACK_EXPECT_GPU", value="1" if gpu else "0"),
            k8s.core.v1.EnvVarArgs(name="MLSTACK_SHARED_PATH", value="/shared"),
            k8s.core.v1.EnvVarArgs(name="MLSTACK_VERIFY_MODEL", value=args.model_name),
            k8s.core.v1.EnvVarArgs(name="NVIDIA_DRIVER_CAPABILITIES", value="compute,utility"),
        ]
        pod = k8s.core.v1.PodSpecArgs(
            restart_policy="Never",
            automount_service_account_token=False,
            security_context=h.pod_security_context(),
            node_selector={args.accelerator_label: args.accelerator} if args.accelerator else None,
            tolerations=[k8s.core.v1.TolerationArgs(key=args.taint_key, operator="Exists", effect="NoSchedule")] if gpu else None,
            containers=[
                k8s.core.v1.ContainerArgs(
                    name="verify",
                    image=args.image,
                    command=["python", "/opt/mlstack/verify.py"],
                    env=env,
                    resources=h.resources(args.cpu, args.memory, extra_limits={"nvidia.com/gpu": "1"} if gpu else None),
                    security_context=h.container_security_context(),
                    volume_mounts=[
                        tmp_mount,
                        k8s.core.v1.VolumeMountArgs(name="script", mount_path="/opt/mlstack", read_only=True),
                        k8s.core.v1.VolumeMountArgs(name="shared", mount_path="/shared"),
                    ],
                )
            ],
            volumes=[
                tmp,
                k8s.core.v1.VolumeArgs(
                    name="script", config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(name=script.metadata.name, default_mode=0o444)
                ),
                k8s.core.v1.VolumeArgs(
                    name="shared", persistent_volume_claim=k8s.core.v1.PersistentVolumeClaimVolumeSourceArgs(claim_name=args.pvc_name)
                ),
            ],
        )
        job = k8s.batch.v1.Job(
            f"{name}-job",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=JOB,
                namespace=ns.metadata.name,
                labels=labels,
                # Pulumi waits for a Job to complete; a suspended one never does. Skip the wait.
                annotations={"pulumi.com/skipAwait": "true"},
            ),
            spec=k8s.batch.v1.JobSpecArgs(
                suspend=args.suspend,
                backoff_limit=0,
                ttl_seconds_after_finished=args.ttl_seconds_after_finished,
                active_deadline_seconds=args.active_deadline_seconds,
                template=k8s.core.v1.PodTemplateSpecArgs(metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels), spec=pod),
            ),
            opts=child,
        )
        self.job_name: pulumi.Output[str] = job.metadata.name
        self.namespace: pulumi.Output[str] = ns.metadata.name
        self.register_outputs({"job_name": self.job_name, "namespace": self.namespace})
