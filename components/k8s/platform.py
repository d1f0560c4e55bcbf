"""The platform layer every cluster gets: GPU support, shared storage, MLflow, team namespaces, CI access, verification.

The engine maps the spec into :class:`PlatformArgs`. Only the fields a target binds differ between aws, gcp
and onprem (storage provisioner and parameters, artifacts URI, identity annotations, image registry host in
the image names); everything else is the same, so the same spec gives the same Kubernetes objects on every
target. The Platform wires the parts together so the engine need not: it lists the team namespaces (and the
verification namespace) in the shared storage, the tracking server's NetworkPolicy and the CI Roles, and
hands the tracking server's URI and the verification Job's own MLflow user to the Job, and a user per team.

Pass the cluster's Kubernetes provider as ``pulumi.ResourceOptions(providers=[provider])``; every child
inherits it (see ``mlstack.components.k8s``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

import pulumi

from . import require_provider
from .ci_access import CiAccess, CiAccessArgs
from .gpu_dashboard import GpuDashboard, GpuDashboardArgs
from .gpu_support import GpuSupport, GpuSupportArgs
from .gpu_telemetry import GpuTelemetry, GpuTelemetryArgs, node_metrics_check
from .scratch_storage import ScratchStorage, ScratchStorageArgs
from .shared_storage import SharedStorage, SharedStorageArgs
from .team import Team, TeamArgs
from .tracking_server import TrackingServer, TrackingServerArgs
from .verify_job import VerifyJob, VerifyJobArgs
from .workloads import Workloads, WorkloadsArgs

TOKEN = "mlstack:k8s:Platform"
VERIFY_KEY = "mlstack-verify"
VERIFY_USER = "mlstack-verify"  # the verification Job's own MLflow user (default permission: it creates its own)


@dataclass(frozen=True, kw_only=True)
class PlatformArgs:
    """Everything the platform layer needs.

    Attributes:
        storage: the shared StorageClass (provisioner and parameters bound by the target). Its
            ``namespaces`` are set here: every team namespace plus the verification namespace.
        tracking: the MLflow server. Its ``allowed_namespaces`` are set here: the team namespaces plus the
            verification namespace.
        verify: the verification Job. Its tracking URI and credentials are set here from the server, and with
            ``telemetry`` where its GPU Jobs read their node's DCGM exporter.
        teams: team name -> its namespace settings; default none.
        gpu: GPU support (device plugin or operator); None when the cluster has no GPU pool.
        ci: CI access; None for no CI identity. Its ``namespaces`` are set here: every team namespace.
        workloads: the workload layer (Kueue, queues, JobSet, Trainer, KubeRay); None for none. Ordered after
            the team namespaces (its LocalQueues live there).
        scratch: the ``scratch`` volume (its source bound by the target); None without a scratch tier. Its
            ``namespaces`` are set here: every team namespace.
        telemetry: the DCGM exporter on GPU nodes; None where the cluster has no GPU pool or the cloud collects
            GPU metrics itself (GKE).
        dashboard: the GPU dashboard ConfigMap (in the verification namespace); None without GPU pools.
    """

    storage: SharedStorageArgs
    tracking: TrackingServerArgs
    verify: VerifyJobArgs
    teams: Mapping[str, TeamArgs] = field(default_factory=dict)
    gpu: GpuSupportArgs | None = None
    ci: CiAccessArgs | None = None
    workloads: WorkloadsArgs | None = None
    scratch: ScratchStorageArgs | None = None
    telemetry: GpuTelemetryArgs | None = None
    dashboard: GpuDashboardArgs | None = None


class Platform(pulumi.ComponentResource):
    """Composes GpuSupport, Team (one per team), TrackingServer, SharedStorage, CiAccess, VerifyJob and Workloads.

    Children are named ``<name>-gpu``, ``<name>-<team>``, ``<name>-tracking``, ``<name>-storage``,
    ``<name>-ci``, ``<name>-verify``, ``<name>-workloads``, ``<name>-scratch``, ``<name>-telemetry`` and ``<name>-dashboard``.

    Attributes:
        tracking_uri: the MLflow URI inside the cluster.
        admin_secret_name: the Secret with the MLflow admin's credentials (namespace ``mlflow``).
        team_namespaces: team name -> namespace name (outputs).
        storage_class_name: the shared StorageClass's name.
        verify_job_name: the verification Job's name. verify_namespace: its namespace.
        verify_gpu_jobs: GPU pool -> the name of its verification GPU Job, in that namespace (outputs).
        ci_service_account: the CI ServiceAccount's name, or None without CI.
        gpu, teams, tracking, storage, ci, verify, workloads, scratch, telemetry, dashboard: the child components
            (the last three None when not asked for).
    """

    def __init__(self, name: str, args: PlatformArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        require_provider(self, name)
        child = pulumi.ResourceOptions(parent=self)

        self.gpu = GpuSupport(f"{name}-gpu", args.gpu, child) if args.gpu else None
        # A team's namespace is the team's name unless its args name another; its egress reaches the tracking
        # server's namespace, whatever that is named.
        team_args = {
            team: dataclasses.replace(
                args.teams[team], namespace=args.teams[team].namespace or team, tracking_namespace=args.tracking.namespace
            )
            for team in sorted(args.teams)
        }
        self.teams = {team: Team(f"{name}-{team}", a, child) for team, a in team_args.items()}
        namespaces: dict[str, pulumi.Output[str]] = {team: t.namespace for team, t in self.teams.items()}
        plain_namespaces = {a.namespace or team for team, a in team_args.items()}
        reserved = {"default", "kube-system", "kube-public", "kube-node-lease", args.tracking.namespace, args.verify.namespace}
        if args.ci:
            reserved.add(args.ci.namespace)
        if args.workloads:
            reserved.update(args.workloads.namespaces)
        if len(plain_namespaces) != len(team_args) or plain_namespaces & reserved:
            raise ValueError(
                f"Platform {name!r}: team namespaces {sorted(a.namespace or t for t, a in team_args.items())} must be "
                f"distinct and none of {sorted(reserved)}"
            )

        # An MLflow user per team (named as the team; its Secret mlflow-<team> in the team's namespace) and one
        # for the verification Job: nobody but the platform engineer uses the admin.
        self.tracking = TrackingServer(
            f"{name}-tracking",
            dataclasses.replace(
                args.tracking,
                allowed_namespaces=sorted({*plain_namespaces, args.verify.namespace}),
                users=sorted({*self.teams, VERIFY_USER}),
                user_secrets=dict(namespaces),
            ),
            child,
        )
        # The gang check submits through the first team's queue (its namespace must exist first).
        gang_team = sorted(team_args)[0] if args.workloads and args.workloads.queues and team_args else None
        self.verify = VerifyJob(
            f"{name}-verify",
            dataclasses.replace(
                args.verify,
                tracking_uri=self.tracking.tracking_uri,
                tracking_username=VERIFY_USER,
                tracking_password=self.tracking.user_passwords[VERIFY_USER],
                gang_namespace=(team_args[gang_team].namespace or gang_team) if gang_team else None,
                # Each GPU Job reads the exporter of its own node, through the telemetry's node-local Service.
                gpu_metrics=node_metrics_check(args.telemetry) if args.telemetry else args.verify.gpu_metrics,
            ),
            pulumi.ResourceOptions(parent=self, depends_on=[self.teams[t] for t in _verify_teams(args, gang_team)]) if gang_team else child,
        )
        self.storage = SharedStorage(
            f"{name}-storage",
            dataclasses.replace(args.storage, namespaces={**namespaces, VERIFY_KEY: self.verify.namespace}),
            child,
        )
        self.scratch = (
            ScratchStorage(f"{name}-scratch", dataclasses.replace(args.scratch, namespaces=dict(namespaces)), child)
            if args.scratch
            else None
        )
        self.telemetry = GpuTelemetry(f"{name}-telemetry", args.telemetry, child) if args.telemetry else None
        self.dashboard = (
            GpuDashboard(
                f"{name}-dashboard",
                dataclasses.replace(args.dashboard, namespace=args.verify.namespace),
                # The ConfigMap lives in the verification Job's namespace, which the Job's component creates.
                pulumi.ResourceOptions(parent=self, depends_on=[self.verify]),
            )
            if args.dashboard
            else None
        )
        self.ci = None
        if args.ci:
            # CI deploys into every team namespace unless its args name the teams (keys) it may use.
            ci_namespaces = {t: ns for t, ns in namespaces.items() if not args.ci.namespaces or t in args.ci.namespaces}
            self.ci = CiAccess(f"{name}-ci", dataclasses.replace(args.ci, namespaces=ci_namespaces), child)

        self.workloads = None
        if args.workloads:
            self.workloads = Workloads(
                f"{name}-workloads", args.workloads, pulumi.ResourceOptions(parent=self, depends_on=list(self.teams.values()))
            )

        self.tracking_uri: str = self.tracking.tracking_uri
        self.admin_secret_name: pulumi.Output[str] = self.tracking.admin_secret_name
        self.team_namespaces: dict[str, pulumi.Output[str]] = namespaces
        self.storage_class_name: pulumi.Output[str] = self.storage.storage_class_name
        self.verify_job_name: pulumi.Output[str] = self.verify.job_name
        self.verify_namespace: pulumi.Output[str] = self.verify.namespace
        self.verify_gpu_jobs: dict[str, pulumi.Output[str]] = self.verify.gpu_jobs
        self.ci_service_account: pulumi.Output[str] | None = self.ci.service_account_name if self.ci else None
        self.register_outputs(
            {
                "ci_service_account": self.ci_service_account,
                "team_namespaces": self.team_namespaces,
                "verify_namespace": self.verify_namespace,
                "tracking_uri": self.tracking_uri,
                "admin_secret_name": self.admin_secret_name,
                "storage_class_name": self.storage_class_name,
                "verify_job_name": self.verify_job_name,
                "verify_gpu_jobs": self.verify_gpu_jobs,
            }
        )


def _verify_teams(args: PlatformArgs, gang_team: str) -> list[str]:
    """The teams whose namespaces the verification Job's checks use: the gang check's, and the NCCL check's."""
    nccl = args.verify.nccl
    by_namespace = {(t.namespace or team): team for team, t in args.teams.items()}
    return sorted({gang_team, *([by_namespace[nccl.namespace]] if nccl and nccl.namespace in by_namespace else [])})
