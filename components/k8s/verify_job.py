"""The verification Job: proves from inside the cluster that an environment works.

A main Job whose one pod
1. writes a file to the ``shared`` volume and reads it back (the ReadWriteMany class and claim work),
2. logs a run to MLflow and registers a model (tracking, artifacts and the registry work, with auth),
3. with Kueue, submits a 2-pod JobSet through a team's LocalQueue and waits until both pods ran
   (``CHECK gang-admission``; :mod:`.gang_check`),
4. where a GPU pool can run two or more multi-node nodes, runs a 2-node NCCL all-reduce through that queue and
   reports the bus bandwidth (``CHECK nccl-allreduce``; :mod:`.nccl_check`); elsewhere it says why it skips;
and one Job per GPU pool (``gpu_pools``; :mod:`.gpu_check`) whose pod runs on that pool's nodes with every
device of one node and fails unless ``nvidia-smi`` lists them all (``CHECK gpu[<pool>]``: driver, device
plugin and devices work), then fails unless the node's DCGM exporter exports a GPU series for that node
(``CHECK gpu-metrics[<pool>]``; the GPU Jobs' pods may reach only DNS and that exporter, NetworkPolicy
``mlstack-verify-gpu-egress``). Without a GPU pool the main Job prints ``CHECK gpu`` and ``CHECK gpu-metrics``
itself, saying they skipped.

Every Job is created suspended (``suspend: true``) by default: ``up`` leaves it planned and in place, and
``mlstack verify`` runs a new Job from each one's pod template, waiting for all (so the Pulumi-managed object never drifts). That
keeps the object identical in every plan and keeps ``up`` from waiting on a GPU node to scale up. The script
prints ``CHECK <name> PASS|FAIL <detail>`` per check (:mod:`.verify_script`), the contract ``mlstack verify``
reads. Finished Jobs are
garbage-collected after ``ttl_seconds_after_finished``.

The script runs in the MLflow image (it has ``mlflow``); ``nvidia-smi`` is mounted into the container by
the NVIDIA container toolkit when the pod is given a GPU (``NVIDIA_DRIVER_CAPABILITIES`` includes utility),
on PATH on EKS and on-prem; GKE mounts the driver under ``/usr/local/nvidia`` without setting PATH, so the
script runs it with PATH and LD_LIBRARY_PATH extended by ``/usr/local/nvidia/bin`` and ``/lib64``.
The ``shared`` PVC in the Job's namespace is created by ``SharedStorage`` (the Platform lists the Job's
namespace there), so the claim is defined in one place.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from . import hardening as h
from . import require_provider
from ..contract import POOL_LABEL, SYSTEM_NAMESPACE
from .gpu_check import EGRESS_POLICY, GpuMetricsCheckArgs, GpuPoolCheckArgs, egress_policy, pool_pod
from .gpu_check import job_name as gpu_job_name
from .gang_check import ROLE, SERVICE_ACCOUNT, TOKEN_DIR, gang_jobset, gang_role_rules
from .nccl_check import CONFIGMAP as NCCL_CONFIGMAP
from .nccl_check import ROLE as NCCL_ROLE
from .nccl_check import NcclCheckArgs, config_data, nccl_role_rules, nccl_trainjob
from .team import ENVIRONMENT_CONFIGMAP
from .verify_script import MAIN_CHECKS, POOL_CHECKS, SCRIPT

__all__ = ["JOB", "SCRIPT", "SYSTEM_NAMESPACE", "GpuMetricsCheckArgs", "GpuPoolCheckArgs", "VerifyJob", "VerifyJobArgs"]

TOKEN = "mlstack:k8s:VerifyJob"
JOB = "mlstack-verify"



@dataclass(frozen=True, kw_only=True)
class VerifyJobArgs:
    """The verification Job.

    Attributes:
        image: the pinned MLflow image the script runs in.
        tracking_uri: the MLflow server's URI; set by the Platform from its TrackingServer.
        tracking_username: the MLflow user the Job logs as; set by the Platform (the admin).
        tracking_password: that user's password (secret); set by the Platform.
        gpu_pools: GPU pool name -> where its GPU check runs (:class:`.gpu_check.GpuPoolCheckArgs`): a
            suspended Job ``<job>-gpu-<pool>`` each; none by default (the main Job's GPU check then skips).
            Replaces ``accelerator`` (one pool, by its accelerator label) of earlier releases.
        gpu_metrics: where each GPU Job's ``gpu-metrics`` check reads its node's DCGM exporter
            (:class:`.gpu_check.GpuMetricsCheckArgs`); None (the default) skips the check, saying
            ``gpu_metrics_skip_reason``. The Platform sets it from its telemetry.
        gpu_metrics_skip_reason: what the check reports without ``gpu_metrics``; "the platform runs no DCGM
            exporter". The engine says why where the cloud collects GPU metrics itself.
        namespace: namespace of the Job, created here; "mlstack-system".
        pvc_name: the ``shared`` claim in that namespace; "shared".
        suspend: create the Job suspended, to be started by the lifecycle command; True.
        ttl_seconds_after_finished: seconds a finished Job is kept before deletion; 86400.
        active_deadline_seconds: the most the Job may run, GPU node scale-up included; 1800.
        model_name: the registered model's name; "mlstack-verify".
        cpu: CPU request and limit; "500m". memory: memory request and limit; "1Gi".
        gang_namespace: a team namespace whose LocalQueue the gang check submits a 2-pod JobSet through
            (:mod:`.gang_check`); None skips the check (no Kueue, or no team). The Platform sets it.
        gang_queue: that namespace's LocalQueue; "default".
        gang_timeout_seconds: how long the gang check waits for both pods; 600.
        environment: the environment's stamp (``MLSTACK_*``, as in each team namespace): written to the ConfigMap
            ``mlstack-environment`` in the Job's namespace and loaded by its pod (``envFrom``), so the verification
            run is stamped like a training run; empty (the default) creates neither. The Platform sets it.
        nccl: the NCCL all-reduce check of a GPU pool that can run two or more multi-node nodes, in the team
            namespace it names (:mod:`.nccl_check`; its runtime is Trainer's); needs ``gang_namespace`` (the
            check's ServiceAccount). None skips the check.
        nccl_skip_reason: what the check reports when ``nccl`` is None; set by the Platform's caller.
        nccl_timeout_seconds: how long the NCCL check waits for its job (two GPU nodes may have to scale up
            first); 1200. Added to ``active_deadline_seconds``.
    """

    image: str
    tracking_uri: str | None = None
    tracking_username: pulumi.Input[str] | None = None
    tracking_password: pulumi.Input[str] | None = None
    gpu_pools: Mapping[str, GpuPoolCheckArgs] = field(default_factory=dict)
    gpu_metrics: GpuMetricsCheckArgs | None = None
    gpu_metrics_skip_reason: str = "the platform runs no DCGM exporter"
    namespace: str = SYSTEM_NAMESPACE
    pvc_name: str = "shared"
    suspend: bool = True
    ttl_seconds_after_finished: int = 86400
    active_deadline_seconds: int = 1800
    model_name: str = JOB
    cpu: str = "500m"
    memory: str = "1Gi"
    gang_namespace: str | None = None
    gang_queue: str = "default"
    gang_timeout_seconds: int = 600
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    nccl: NcclCheckArgs | None = None
    nccl_skip_reason: str = "the environment has no GPU pool that can run 2 or more multi-node nodes"
    nccl_timeout_seconds: int = 1200


class VerifyJob(pulumi.ComponentResource):
    """Namespace, ConfigMap (the script), Secret (MLflow credentials), a suspended ``batch/v1`` Job and one
    more per GPU pool, with the GPU Jobs' egress NetworkPolicy.

    Attributes:
        job_name: the main Job's name.
        gpu_jobs: GPU pool -> the name of its GPU Job (outputs; empty without GPU pools).
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

        data = {"verify.py": SCRIPT}
        gang = args.gang_namespace is not None
        if args.nccl is not None and not gang:
            raise ValueError(f"VerifyJob {name!r}: the NCCL check submits through a team queue: set gang_namespace")
        if gang:
            # Sorted keys: the ConfigMap is the same text in every plan.
            data["gang-jobset.json"] = json.dumps(gang_jobset(args.image, args.gang_queue), indent=2, sort_keys=True)
            if args.nccl is not None:
                data["nccl-trainjob.json"] = json.dumps(nccl_trainjob(args.nccl, args.gang_queue), indent=2, sort_keys=True)
            sa = self._gang_access(name, args, labels, ns, child)
            if args.nccl is not None:
                self._nccl_access(name, args.nccl, labels, ns, sa, child)
        script = k8s.core.v1.ConfigMap(f"{name}-script", metadata=meta(JOB), data=data, opts=child)
        creds = k8s.core.v1.Secret(
            f"{name}-mlflow",
            metadata=meta(f"{JOB}-mlflow"),
            type="kubernetes.io/basic-auth",
            string_data={"username": args.tracking_username, "password": pulumi.Output.secret(args.tracking_password)},
            opts=child,
        )
        env_from = None
        if args.environment:
            stamp = k8s.core.v1.ConfigMap(
                f"{name}-environment", metadata=meta(ENVIRONMENT_CONFIGMAP), data=dict(sorted(args.environment.items())), opts=child
            )
            env_from = [k8s.core.v1.EnvFromSourceArgs(config_map_ref=k8s.core.v1.ConfigMapEnvSourceArgs(name=stamp.metadata.name))]
        tmp, tmp_mount = h.tmp_volume()
        env = [
            k8s.core.v1.EnvVarArgs(name="HOME", value="/tmp"),
            k8s.core.v1.EnvVarArgs(name="MLFLOW_TRACKING_URI", value=args.tracking_uri),
            h.secret_env_var("MLFLOW_TRACKING_USERNAME", creds.metadata.name, "username"),
            h.secret_env_var("MLFLOW_TRACKING_PASSWORD", creds.metadata.name, "password"),
            # The GPU checks run in the pools' own Jobs; without a GPU pool this one says it skipped them.
            k8s.core.v1.EnvVarArgs(name="MLSTACK_CHECKS", value=",".join(MAIN_CHECKS if args.gpu_pools else POOL_CHECKS + MAIN_CHECKS)),
            k8s.core.v1.EnvVarArgs(name="MLSTACK_EXPECT_GPU", value="0"),
            k8s.core.v1.EnvVarArgs(name="MLSTACK_SHARED_PATH", value="/shared"),
            k8s.core.v1.EnvVarArgs(name="MLSTACK_VERIFY_MODEL", value=args.model_name),
        ]
        mounts = [
            tmp_mount,
            k8s.core.v1.VolumeMountArgs(name="script", mount_path="/opt/mlstack", read_only=True),
            k8s.core.v1.VolumeMountArgs(name="shared", mount_path="/shared"),
        ]
        extra_volumes = []
        if not gang:
            env.append(k8s.core.v1.EnvVarArgs(name="MLSTACK_NCCL_SKIP", value="the environment has no team queue"))
        if gang:
            env += [
                k8s.core.v1.EnvVarArgs(name="MLSTACK_GANG_NAMESPACE", value=args.gang_namespace),
                k8s.core.v1.EnvVarArgs(name="MLSTACK_GANG_JOBSET", value="/opt/mlstack/gang-jobset.json"),
                k8s.core.v1.EnvVarArgs(name="MLSTACK_GANG_TIMEOUT", value=str(args.gang_timeout_seconds)),
                k8s.core.v1.EnvVarArgs(name="MLSTACK_TOKEN_DIR", value=TOKEN_DIR),
            ]
            env += self._nccl_env(args)
            mounts.append(k8s.core.v1.VolumeMountArgs(name="api-token", mount_path=TOKEN_DIR, read_only=True))
            # The API token only where the check needs it (the pod automounts none): an hour, this audience.
            extra_volumes.append(
                k8s.core.v1.VolumeArgs(
                    name="api-token",
                    projected=k8s.core.v1.ProjectedVolumeSourceArgs(
                        sources=[
                            k8s.core.v1.VolumeProjectionArgs(
                                service_account_token=k8s.core.v1.ServiceAccountTokenProjectionArgs(path="token", expiration_seconds=3600)
                            ),
                            k8s.core.v1.VolumeProjectionArgs(
                                config_map=k8s.core.v1.ConfigMapProjectionArgs(
                                    name="kube-root-ca.crt", items=[k8s.core.v1.KeyToPathArgs(key="ca.crt", path="ca.crt")]
                                )
                            ),
                        ],
                        default_mode=0o444,
                    ),
                )
            )
        pod = k8s.core.v1.PodSpecArgs(
            restart_policy="Never",
            automount_service_account_token=False,
            service_account_name=SERVICE_ACCOUNT if gang else None,
            security_context=h.pod_security_context(),
            containers=[
                k8s.core.v1.ContainerArgs(
                    name="verify",
                    image=args.image,
                    command=["python", "/opt/mlstack/verify.py"],
                    env=env,
                    env_from=env_from,
                    resources=h.resources(args.cpu, args.memory),
                    security_context=h.container_security_context(),
                    volume_mounts=mounts,
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
                *extra_volumes,
            ],
        )
        deadline = args.active_deadline_seconds + (args.nccl_timeout_seconds if args.nccl else 0)
        job = self._job(f"{name}-job", JOB, args, ns, labels, pod, deadline, child)
        gpu_jobs = {}
        for pool, check in sorted(args.gpu_pools.items()):
            pool_spec = pool_pod(pool, check, image=args.image, script_config_map=script, cpu=args.cpu, memory=args.memory,
                                 metrics=args.gpu_metrics, metrics_skip_reason=args.gpu_metrics_skip_reason)
            pool_labels = {**labels, POOL_LABEL: pool}
            gpu_jobs[pool] = self._job(f"{name}-gpu-{pool}", gpu_job_name(JOB, pool), args, ns, pool_labels, pool_spec,
                                       args.active_deadline_seconds, child).metadata.name
        if args.gpu_pools:
            k8s.networking.v1.NetworkPolicy(f"{name}-gpu-egress", metadata=meta(EGRESS_POLICY),
                                            spec=egress_policy(labels, args.gpu_metrics), opts=child)
        self.job_name: pulumi.Output[str] = job.metadata.name
        self.gpu_jobs: dict[str, pulumi.Output[str]] = gpu_jobs
        self.namespace: pulumi.Output[str] = ns.metadata.name
        self.register_outputs({"job_name": self.job_name, "gpu_jobs": self.gpu_jobs, "namespace": self.namespace})

    @staticmethod
    def _job(resource_name: str, job_name: str, args: VerifyJobArgs, ns: k8s.core.v1.Namespace, labels: dict[str, str],
             pod: k8s.core.v1.PodSpecArgs, deadline_seconds: int, child: pulumi.ResourceOptions) -> k8s.batch.v1.Job:
        """A suspended (by default) Job of the verification: ``mlstack verify`` runs copies of its pod template."""
        return k8s.batch.v1.Job(
            resource_name,
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=job_name,
                namespace=ns.metadata.name,
                labels=labels,
                # Pulumi waits for a Job to complete; a suspended one never does. Skip the wait.
                annotations={"pulumi.com/skipAwait": "true"},
            ),
            spec=k8s.batch.v1.JobSpecArgs(
                suspend=args.suspend,
                backoff_limit=0,
                ttl_seconds_after_finished=args.ttl_seconds_after_finished,
                active_deadline_seconds=deadline_seconds,
                template=k8s.core.v1.PodTemplateSpecArgs(metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels), spec=pod),
            ),
            opts=child,
        )

    def _gang_access(self, name: str, args: VerifyJobArgs, labels: dict[str, str], ns: k8s.core.v1.Namespace,
                     child: pulumi.ResourceOptions) -> k8s.core.v1.ServiceAccount:
        """The ServiceAccount the gang check runs as, and its Role (JobSets in the team namespace only)."""
        sa = k8s.core.v1.ServiceAccount(
            f"{name}-sa",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=SERVICE_ACCOUNT, namespace=ns.metadata.name, labels=labels),
            automount_service_account_token=False,
            opts=child,
        )
        assert args.gang_namespace is not None
        _bound_role(f"{name}-gang", ROLE, args.gang_namespace, gang_role_rules(), labels, sa, ns, child)
        return sa

    @staticmethod
    def _nccl_access(name: str, nccl: NcclCheckArgs, labels: dict[str, str], ns: k8s.core.v1.Namespace,
                     sa: k8s.core.v1.ServiceAccount, child: pulumi.ResourceOptions) -> None:
        """In the NCCL check's team namespace: its Role (TrainJobs, pods' logs) and the ConfigMap its pods mount
        (their user's passwd entry and the ssh configuration)."""
        _bound_role(f"{name}-nccl", NCCL_ROLE, nccl.namespace, nccl_role_rules(), labels, sa, ns, child)
        k8s.core.v1.ConfigMap(
            f"{name}-nccl",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=NCCL_CONFIGMAP, namespace=nccl.namespace, labels=labels),
            data=config_data(),
            opts=child,
        )

    @staticmethod
    def _nccl_env(args: VerifyJobArgs) -> list[k8s.core.v1.EnvVarArgs]:
        """The NCCL check's settings, or why it skips."""
        if args.nccl is None:
            return [k8s.core.v1.EnvVarArgs(name="MLSTACK_NCCL_SKIP", value=args.nccl_skip_reason)]
        values = {
            "MLSTACK_NCCL_NAMESPACE": args.nccl.namespace,
            "MLSTACK_NCCL_TRAINJOB": "/opt/mlstack/nccl-trainjob.json",
            "MLSTACK_NCCL_TIMEOUT": str(args.nccl_timeout_seconds),
            "MLSTACK_NCCL_RANKS": str(args.nccl.ranks),
            "MLSTACK_NCCL_POOL": args.nccl.pool,
        }
        return [k8s.core.v1.EnvVarArgs(name=k, value=v) for k, v in values.items()]


def _bound_role(child_name: str, role_name: str, namespace: str, granted: list[dict], labels: dict[str, str],
                sa: k8s.core.v1.ServiceAccount, ns: k8s.core.v1.Namespace, child: pulumi.ResourceOptions) -> None:
    """A Role with ``granted`` rules in a team namespace, bound to the verification ServiceAccount:
    ``<child_name>-role`` and ``<child_name>-binding``."""
    meta = k8s.meta.v1.ObjectMetaArgs(name=role_name, namespace=namespace, labels=labels)
    rules = [k8s.rbac.v1.PolicyRuleArgs(api_groups=r["apiGroups"], resources=r["resources"], verbs=r["verbs"]) for r in granted]
    role = k8s.rbac.v1.Role(f"{child_name}-role", metadata=meta, rules=rules, opts=child)
    k8s.rbac.v1.RoleBinding(
        f"{child_name}-binding",
        metadata=meta,
        role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="Role", name=role.metadata.name),
        subjects=[k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name=sa.metadata.name, namespace=ns.metadata.name)],
        opts=child,
    )
