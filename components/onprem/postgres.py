"""In-cluster PostgreSQL for the MLflow backend store on the on-premise target.

Why CloudNativePG rather than a Bitnami-style chart: a cloud gives RDS or Cloud SQL, i.e. a database
that fails over, keeps backups and survives node maintenance without an operator on call. The
CloudNativePG operator gives the closest equivalent on a bare cluster:

* failover is operator-managed (it promotes a replica and moves the ``-rw`` Service), where a
  StatefulSet chart needs an extra tool (repmgr/pgpool) and a human for split-brain cases;
* it creates PodDisruptionBudgets for the primary and replicas, so node drains do not take the
  database down, and it switches over before draining the primary's node;
* instance pods run non-root (uid 26), without privilege escalation, with all capabilities
  dropped, a read-only root file system and the RuntimeDefault seccomp profile: they pass Pod
  Security Admission "restricted" without chart overrides;
* backups and point-in-time recovery to an S3 endpoint (the on-prem object store) are part of the
  ``Cluster`` API rather than a cron job bolted on (not wired yet: see ``InClusterPostgresArgs``).

The operator is one Helm release per cluster; the database is a ``postgresql.cnpg.io/v1`` ``Cluster``.
Its ``spec`` is a CRD body, so it is plain data (no typed Args exist for CRDs); the nested core types
in it (resources) are still built with the typed Args.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from .._base import stateful_opts
from ..k8s.hardening import MLSTACK_LABELS, RUNTIME_DEFAULT, resources, restricted_container, restricted_pod
from ..k8s.operator_release import image_values

TOKEN = "mlstack:k8s:InClusterPostgres"
DATABASE = "mlflow"
OWNER = "mlflow"
PORT = 5432


@dataclass(frozen=True, kw_only=True)
class InClusterPostgresArgs:
    """Inputs of :class:`InClusterPostgres`.

    Attributes:
        namespace: namespace of the database ``Cluster`` and its credentials Secret (must exist).
        operator_namespace: namespace of the CloudNativePG operator release (must exist); "cnpg-system".
        operator_chart_version: pinned version of the ``cloudnative-pg`` chart (from the catalogue).
        operator_chart_repository: Helm repository of the chart; the project's official one.
        install_operator: install the operator release; turn off when the cluster already runs
            CloudNativePG (it is cluster-wide, one per cluster). Default on.
        postgres_image: pinned PostgreSQL operand image, e.g. "ghcr.io/cloudnative-pg/postgresql:16.6".
        operator_image: the operator's image, ``repository:tag``: set, it is in the plan and a lock pins it by
            digest; None (the default) leaves the chart's own (its app version).
        cluster_name: the ``Cluster``'s name; Services are ``<cluster_name>-rw``/``-ro``. "mlflow-db".
        high_availability: three instances (one primary, two streaming replicas) spread over nodes
            by required pod anti-affinity, with PodDisruptionBudgets. Off: one instance and no PDB
            (a PDB on a single instance would block every node drain).
        size_gib: size of each instance's data volume in GiB; 20.
        storage_class: StorageClass of the data volumes; None uses the cluster's default class.
            Use block storage (local or Ceph RBD), not the NFS ``shared`` class.
        cpu: CPU request and limit of each instance; "500m".
        memory: memory request and limit of each instance; "1Gi".
        protect: protect and retain the database, its password and its Secret. Default off.
    """

    namespace: pulumi.Input[str]
    operator_chart_version: str
    postgres_image: str
    operator_namespace: pulumi.Input[str] = "cnpg-system"
    operator_chart_repository: str = "https://cloudnative-pg.github.io/charts"
    install_operator: bool = True
    cluster_name: str = "mlflow-db"
    high_availability: bool = False
    size_gib: int = 20
    storage_class: str | None = None
    cpu: str = "500m"
    memory: str = "1Gi"
    protect: bool = False
    operator_image: str | None = None


def _operator_values(image: str | None = None) -> dict:
    # The chart's defaults are already restricted-compliant; pinning them here keeps them so across
    # chart upgrades, and the plan shows them.
    return {
        **({"image": image_values(image)} if image else {}),
        "replicaCount": 1,
        "podSecurityContext": restricted_pod(),
        "containerSecurityContext": restricted_container(runAsUser=10001, runAsGroup=10001),
        "resources": {
            "requests": {"cpu": "100m", "memory": "256Mi"},
            "limits": {"cpu": "500m", "memory": "256Mi"},
        },
    }


class InClusterPostgres(pulumi.ComponentResource):
    """A CloudNativePG PostgreSQL cluster with database ``mlflow`` owned by role ``mlflow``.

    Outputs:
        cluster_name: the ``Cluster``'s name.
        host: the read-write Service's DNS name (follows the primary across failovers).
        port: 5432.
        database: "mlflow".
        username: "mlflow".
        password: the role's password (secret).
        credentials_secret_name: the ``kubernetes.io/basic-auth`` Secret with ``username``/``password``.
        connection_uri: ``postgresql://mlflow:<pw>@<host>:5432/mlflow`` (secret).
    """

    def __init__(self, name: str, args: InClusterPostgresArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(TOKEN, name, None, opts)
        labels = MLSTACK_LABELS("postgres", component="tracking-database")

        depends: list[pulumi.Resource] = []
        if args.install_operator:
            operator = k8s.helm.v3.Release(
                f"{name}-operator",
                k8s.helm.v3.ReleaseArgs(
                    name="cnpg",
                    chart="cloudnative-pg",
                    version=args.operator_chart_version,
                    repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=args.operator_chart_repository),
                    namespace=args.operator_namespace,
                    values=_operator_values(args.operator_image),
                    # The Cluster below needs the CRDs and the webhook up before it is created.
                    atomic=True,
                    timeout=600,
                ),
                opts=pulumi.ResourceOptions(parent=self),
            )
            depends.append(operator)

        # Letters and digits only: the password goes into a URI unescaped.
        password = random.RandomPassword(
            f"{name}-password", length=32, special=False, opts=stateful_opts(self, args.protect)
        )
        secret_name = f"{args.cluster_name}-{OWNER}"
        secret = k8s.core.v1.Secret(
            f"{name}-credentials",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=secret_name, namespace=args.namespace, labels=labels),
            type="kubernetes.io/basic-auth",
            string_data={"username": OWNER, "password": password.result},
            opts=stateful_opts(self, args.protect),
        )

        instances = 3 if args.high_availability else 1
        storage: dict[str, object] = {"size": f"{args.size_gib}Gi"}
        if args.storage_class:
            storage["storageClass"] = args.storage_class
        spec = {
            "instances": instances,
            "imageName": args.postgres_image,
            "primaryUpdateStrategy": "unsupervised",
            "enablePDB": args.high_availability,
            "affinity": {
                "enablePodAntiAffinity": True,
                "topologyKey": "kubernetes.io/hostname",
                "podAntiAffinityType": "required" if args.high_availability else "preferred",
            },
            "seccompProfile": dict(RUNTIME_DEFAULT),
            "storage": storage,
            "resources": resources(args.cpu, args.memory),
            "bootstrap": {"initdb": {"database": DATABASE, "owner": OWNER, "secret": {"name": secret.metadata.name}}},
        }
        cluster = k8s.apiextensions.CustomResource(
            f"{name}-cluster",
            api_version="postgresql.cnpg.io/v1",
            kind="Cluster",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.cluster_name, namespace=args.namespace, labels=labels),
            spec=spec,
            opts=stateful_opts(self, args.protect, depends_on=depends),
        )

        # Derived from the Cluster's id so that consumers (MLflow) wait for the database to exist.
        self.cluster_name: pulumi.Output[str] = cluster.id.apply(lambda _: args.cluster_name)
        self.host: pulumi.Output[str] = pulumi.Output.all(cluster.id, args.namespace).apply(
            lambda v: f"{args.cluster_name}-rw.{v[1]}.svc.cluster.local"
        )
        self.port = PORT
        self.database = DATABASE
        self.username = OWNER
        self.password: pulumi.Output[str] = pulumi.Output.secret(password.result)
        self.credentials_secret_name: pulumi.Output[str] = secret.metadata.name
        self.connection_uri: pulumi.Output[str] = pulumi.Output.secret(
            pulumi.Output.concat("postgresql://", OWNER, ":", password.result, "@", self.host, f":{PORT}/{DATABASE}")
        )
        self.register_outputs(
            {
                "database": self.database,
                "password": self.password,
                "port": self.port,
                "username": self.username,
                "cluster_name": self.cluster_name,
                "host": self.host,
                "credentials_secret_name": self.credentials_secret_name,
                "connection_uri": self.connection_uri,
            }
        )


__all__ = ["InClusterPostgres", "InClusterPostgresArgs"]
