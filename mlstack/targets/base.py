"""The shape of a target pack: one ``Pack`` per target, one ``ResourceType`` entry per resource type token.

Plain data and pure functions only: importing a pack never imports Pulumi or a cloud SDK (``mlstack --help``
and the spec layer read packs), the pack's mapping module, which builds components, is imported by name when a
program runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

State = dict[str, Any]
ParityStatus = Literal["native", "emulated", "missing"]


class MockContext(Protocol):
    """What a mock handler may read of the plan's mocks: the target's region and project id."""

    region: str
    gcp_project: str


# A mock handler answers one registration: (mocks, logical name, inputs) -> (id, outputs).
MockHandler = Callable[[Any, str, State], tuple[str, State]]
# An invoke handler answers one data-source call: (mocks, args) -> result.
InvokeHandler = Callable[[Any, State], State]


@dataclass(frozen=True)
class ReplaceRule:
    """Input paths (wire, camelCase) of one resource type whose change replaces the resource.

    Attributes:
        paths: a path matches itself and everything below it; ``*`` means every input.
        except_: paths below a pattern that update in place.
        note: what the rule approximates, when it does.
        source: where the rule was read (the provider schema).
    """

    paths: tuple[str, ...]
    except_: tuple[str, ...] = ()
    note: str = ""
    source: str = ""


@dataclass(frozen=True)
class Parity:
    """What a resource type says about a platform capability (``mlstack parity``)."""

    capability: str
    status: ParityStatus
    what: str
    detail: Callable[[list[Any], Any], str] | None = None  # (its resources, the plan) -> a more precise text
    applies: Callable[[Any], bool] | None = None  # only the resources it holds for provide the capability


@dataclass(frozen=True)
class AcceleratorHint:
    """What one recorded resource says about the accelerators of its environment.

    Attributes:
        labels: node labels it carries or selects (the accelerator label among them names the accelerator).
        found: accelerator types it names directly (e.g. a GKE guest accelerator).
        kinds: coarse kinds it implies: ``tpu``, ``device plugin``, ``existing nodes``.
    """

    labels: Mapping[str, Any] = field(default_factory=dict)
    found: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()


class CostSink(Protocol):
    """What a cost extractor may add to an estimate (``mlstack.engine.review.cost``)."""

    shared_storage_gib: int | None

    def pool(self, name: str, machine: str, spot: bool, lo: int, hi: int, note: str = "") -> None: ...
    def add_fixed(self, name: str, what: str, hourly: float, note: str = "") -> None: ...
    def add_monthly(self, name: str, what: str, monthly: float, note: str = "") -> None: ...
    def scratch(self, name: str, what: str, size_gib: int, throughput_mb_s: int, gib_month: float | None, note: str = "") -> None: ...
    def key(self, name: str, part: str) -> float: ...
    def missing(self, text: str) -> None: ...


# A cost extractor prices one recorded resource: (sink, registration, plan) -> None.
CostExtractor = Callable[[CostSink, Any, Any], None]


@dataclass(frozen=True)
class ResourceType:
    """Everything mlstack knows about one resource type token.

    Attributes:
        mock: the plan's answer to its registration (id and outputs); None takes the pack's generic answer.
        replace: the input changes that replace it; None: every change updates in place.
        cost: prices it in ``mlstack cost``; None: free or not priced.
        parity: the capability it provides, for ``mlstack parity``.
        more_parity: further capabilities it provides (a cluster that also collects GPU metrics).
        accelerators: what it says about the environment's accelerators (pools, nodes, device plugins).
        stateful: holds data (or keys to it): protected in protected environments (policy MLS-GEN-001).
        secret_inputs: inputs that must be Pulumi secrets (policy MLS-GEN-002).
        chart_release: a Helm release: its chart (repository, version) is locked and pinned by digest.
    """

    mock: MockHandler | None = None
    replace: ReplaceRule | None = None
    cost: CostExtractor | None = None
    parity: Parity | None = None
    more_parity: tuple[Parity, ...] = ()
    accelerators: Callable[[State], AcceleratorHint] | None = None
    stateful: bool = False
    secret_inputs: tuple[str, ...] = ()
    chart_release: bool = False


@dataclass(frozen=True)
class NameRule:
    """A rule of the cloud's on a name mlstack derives from the spec, checked by ``validate`` (the cloud would
    refuse the name at ``up``, or mlstack would have to rewrite it).

    Attributes:
        name: which derived name: ``cluster`` (the prefix ``<project>-<env>``), ``bucket``
            (``<project>-<env>-<key>``, before the provider's random suffix), ``database`` (``<prefix>-tracking-db``),
            ``tag key`` and ``tag value`` (each of ``tags:``).
        rule: the cloud's rule, as the error quotes it.
        source: where the rule is documented.
        match: the whole name must match this regular expression.
        forbid: no part of the name may match this one.
        max_length: the longest the name may be.
    """

    name: Literal["cluster", "bucket", "database", "tag key", "tag value"]
    rule: str
    source: str
    match: str | None = None
    forbid: str | None = None
    max_length: int | None = None


@dataclass(frozen=True)
class CapacityRules:
    """How a target provisions nodes: what ``cluster.autoscaler`` and a pool's ``capacity``, ``reservation``,
    ``instance_types`` and ``disruption`` may say (``mlstack.spec.rules_capacity``).

    Attributes:
        refused: nothing provisions nodes on the target: every capacity field is an error with this message.
        autoscalers: the values ``cluster.autoscaler`` takes, its default first; () refuses the field
            (``autoscaler_refused`` says why).
        fallbacks_with: the autoscaler that takes several capacity types, the reserved type and ``disruption``;
            "" when any autoscaler of the target does.
        capacity_types: the types a pool's ``capacity`` may list; () refuses ``capacity`` and ``reservation``
            (``capacity_refused`` says why).
        capacity_hint: added to the error for a type the target does not offer.
        catalogue_flag: capacity type -> the catalogue offer flag it needs (``flex-start`` -> ``flex_start``).
        capacity_kinds: accelerator kinds a ``capacity`` list is for (() : every pool).
        reservation_id: the shape of a reservation id; ``reservation_example`` quotes one.
        capacity_blocks: ``reservation.capacity_block`` is allowed.
        shared_reservations: ``reservation.project`` is allowed.
        instance_types: ``instance_types`` is allowed.
    """

    refused: str = ""
    autoscalers: tuple[str, ...] = ()
    autoscaler_refused: str = ""
    fallbacks_with: str = ""
    capacity_types: tuple[str, ...] = ()
    capacity_refused: str = ""
    capacity_hint: str = ""
    catalogue_flag: Mapping[str, str] = field(default_factory=dict)
    capacity_kinds: tuple[str, ...] = ()
    reservation_id: str = r"^\S+$"
    reservation_example: str = ""
    capacity_blocks: bool = False
    shared_reservations: bool = False
    instance_types: bool = False


@dataclass(frozen=True)
class SpecRules:
    """What a spec of this target may and must say: the facts the spec layer's cross-field rules
    (``mlstack.spec.rules``) read, so that no rule there names a target.

    Attributes:
        region_example: the target has regions and ``target.region`` is required (the example quoted); None:
            it has none, and a region is an error.
        project_id_required: the message when ``target.project_id`` is missing; None: the target has no project
            id and one is an error.
        existing_cluster: the environment runs on a cluster that exists (``target.kube_context`` required):
            mlstack creates no cluster, nodes or file system, pools select existing nodes by label.
        machine_pattern: the shape of the target's machine type names; machine_example quotes one.
        pool_zones: pools may name the zones they run in.
        tpus: the target offers TPU slices.
        existing_vpc: an existing network may be named (``network.existing_vpc_id``).
        shared_tiers: what ``storage.shared.tier`` chooses on this target ("Filestore tiers"); "" when no tier.
        scratch: the catalogue's Lustre offering (a key of ``lustre``) that ``storage.scratch`` creates on this
            target; "": mlstack creates none (an existing-cluster target names an export instead).
        scratch_bucket: ``storage.scratch.bucket`` links a bucket into the scratch file system on this target.
        scratch_zone: the scratch file system is zonal and ``storage.scratch.zone`` places it.
        member_pattern: the shape of a team member; member_expected describes it.
        cluster_admins: ``cluster.admins`` grants cluster-admin through the cloud (identities of
            ``member_pattern``'s shape); elsewhere the field is refused.
        names: the cloud's rules on the names mlstack derives from the spec.
        capacity: how the target provisions nodes (autoscaler, capacity order, reservations, instance types).
        network_prefixes: the prefix lengths ``network.cidr`` may have (lo, hi); None: mlstack creates no network
            here and the field is not read.
        reserved_ranges: what -> CIDR of the ranges the environment reserves besides its node subnet (the mapping
            passes them to the components); ``network.cidr``'s node subnet must not overlap them.
        node_subnet_prefix: the node subnet is the first /N of ``network.cidr`` (or all of a smaller one); None:
            the whole network is checked against ``reserved_ranges``.
        zone_counts: ``network.availability_zones`` is checked against the catalogue's zones of the region.
        interconnect: what a multi-node pool is placed with (the catalogue's ``interconnect.<target>``), for
            messages; "" when mlstack places no pool (existing nodes).
        interconnect_one_zone: that placement is in one zone: a multi-node pool names exactly one zone.
        gateway_refused: why ``tracking.access.mode: gateway`` cannot serve MLflow here (the fix included); None:
            it can.
        gateway_class_required: the target has no GatewayClass of its own: ``tracking.access.gateway_class`` is
            required with mode gateway.
    """

    region_example: str | None = None
    project_id_required: str | None = None
    existing_cluster: bool = False
    machine_pattern: str | None = None
    machine_example: str = ""
    pool_zones: bool = False
    tpus: bool = False
    existing_vpc: bool = False
    shared_tiers: str = ""
    scratch: str = ""
    scratch_bucket: bool = False
    scratch_zone: bool = False
    member_pattern: str = r"^\S+$"
    member_expected: str = "a user name without spaces"
    cluster_admins: bool = False
    names: tuple[NameRule, ...] = ()
    capacity: CapacityRules = field(default_factory=CapacityRules)
    network_prefixes: tuple[int, int] | None = None
    reserved_ranges: Mapping[str, str] = field(default_factory=dict)
    node_subnet_prefix: int | None = None
    zone_counts: bool = False
    interconnect: str = ""
    interconnect_one_zone: bool = False
    gateway_refused: str | None = None
    gateway_class_required: bool = False


# The Pulumi Deployments OIDC login of a target: (env, --role-arn, KEY=VALUE login options) -> the ``oidc`` block
# of the deployment settings, or the text of what is missing (a usage error naming the option to add).
DeploymentsLogin = Callable[[str, "str | None", Mapping[str, str]], "dict[str, Any] | str"]


@dataclass(frozen=True)
class Remote:
    """How a remote engine's workspace (``mlstack remote``, ``mlstack.engine.deploy.remote``) gets this target's
    credentials.

    Attributes:
        identity_option: the option naming the cloud identity the Pulumi Kubernetes Operator's workspace pod
            uses (required); None: the target needs none.
        identity_what: what that identity is, for the message when it is missing.
        identity_annotation: the ServiceAccount annotation that binds the pod to the identity (IRSA, Workload
            Identity).
        kubeconfig_secret: the workspace reaches the cluster with a kubeconfig from the named Secret (key
            ``config``), mounted read-only; ``--secret`` is then required.
        deployments_login: Pulumi Deployments' OIDC login; None: the settings carry no ``oidc`` block.
    """

    identity_option: str | None = None
    identity_what: str = ""
    identity_annotation: str | None = None
    kubeconfig_secret: bool = False
    deployments_login: DeploymentsLogin | None = None


@dataclass(frozen=True)
class Scaffold:
    """What ``mlstack init`` asks and checks for a target.

    Attributes:
        flags: the options a new project of this target needs (besides --project and --cloud).
        default_region: the region ``init`` offers when asked interactively, None for regionless targets.
        region_pattern: the shape of the target's region names (a format check, not a list: new regions keep
            appearing), None for regionless targets.
        region_examples: region names quoted when a region does not match.
        region_article: how a message names one of its regions ("an AWS" region).
    """

    flags: tuple[str, ...]
    default_region: str | None = None
    region_pattern: str | None = None
    region_examples: str = ""
    region_article: str = "a"


@dataclass(frozen=True)
class Pack:
    """Everything mlstack knows about one target (or, for ``kubernetes``, about what every target shares).

    Attributes:
        name: the pack's name; for a target pack, the spec's ``target.cloud`` value.
        target: whether a spec may name it as its ``target.cloud`` (the shared kubernetes pack may not).
        providers: the Pulumi packages whose type tokens it owns (``aws`` owns ``aws:*``).
        plugins: provider plugin name -> the Python SDK distribution whose version pins it.
        sdk_modules: the Python modules a plan of this target imports (besides the shared pack's).
        types: the table: resource type token -> entry.
        invokes: data-source token -> the plan's answer.
        generic_mock: the answer for a type of its providers the table has no ``mock`` for.
        stack_config: the spec's target block -> Pulumi stack config (``aws:region``...).
        mapping: the module whose ``provision(spec, catalog, versions) -> Bindings`` builds the target.
        priced: its machines and always-on parts are in the catalogue's price table.
        price_regions: the regions the price table's always-on prices were read for.
        unpriced_note: what ``mlstack cost`` says of an unpriced target.
        rules: its policy rules (``mlstack.targets.policy.Rule``), about this target only.
        spec: what a spec of the target may and must say (``mlstack.spec.rules``).
        scaffold: what ``mlstack init`` asks and checks for the target.
        remote: how a remote engine's workspace gets the target's credentials (``mlstack remote``).
        tpu_slice_labels: the node labels (accelerator, topology) the target puts on every node of a TPU slice,
            which a Kueue flavor of a TPU pool selects (the accelerator's value is the catalogue's
            ``gke_accelerator``); None: the target has no TPU slices.
        cluster_objects: its providers' resources are objects on the cluster (their images are pinned by digest).
        implicit_replace: input paths whose change replaces every type of its providers (Kubernetes names).
        implicit_replace_skip: type token prefixes the implicit rule does not cover (Helm releases).
    """

    name: str
    target: bool
    providers: tuple[str, ...]
    plugins: Mapping[str, str] = field(default_factory=dict)
    sdk_modules: tuple[str, ...] = ()
    types: Mapping[str, ResourceType] = field(default_factory=dict)
    invokes: Mapping[str, InvokeHandler] = field(default_factory=dict)
    generic_mock: MockHandler | None = None
    stack_config: Callable[[Mapping[str, Any]], dict[str, str]] | None = None
    mapping: str = ""
    priced: bool = False
    price_regions: tuple[str, ...] = ()
    unpriced_note: str = ""
    rules: tuple[Any, ...] = ()
    spec: SpecRules = field(default_factory=SpecRules)
    scaffold: Scaffold | None = None
    remote: Remote = field(default_factory=Remote)
    tpu_slice_labels: tuple[str, str] | None = None
    cluster_objects: bool = False
    implicit_replace: tuple[str, ...] = ()
    implicit_replace_skip: tuple[str, ...] = ()
    implicit_replace_source: str = ""

    def owns(self, token: str) -> bool:
        """Whether a type or invoke token belongs to one of this pack's providers."""
        return token.split(":", 1)[0] in self.providers
