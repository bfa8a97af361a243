"""The typed configuration model that the loader builds and everything else reads.

All classes are frozen dataclasses: once a config is loaded nothing changes it.
:class:`Source` records where a value came from so later errors can point at it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

HYPERV_OS = ("2008r2", "2012", "2012r2", "2016", "2019", "2022", "2025")
IMAGE_FORMATS = ("vhd", "vhdx")
IMAGE_TYPES = ("dynamic", "fixed")
NETWORK_TYPES = ("vlan", "flat", "ovs-vxlan", "ovs-vlan")
MEMORY_MODES = ("fixed", "dynamic")
UTILS_APIS = ("v1", "v2")
VM_GENERATIONS = (1, 2)
TRANSPORTS = ("winrm", "ssh", "local")
STAGE_NAMES = ("plan", "provision", "configure", "deploy", "test", "collect", "report", "teardown")


@dataclass(frozen=True)
class Source:
    """Where a value was written: file, 1-based line and column."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class Secret:
    """A credential read from ``${env:NAME}`` or ``${file:PATH}``.

    ``str()`` and ``repr()`` never show the value; call :meth:`reveal` at the one
    place that must send it. Every secret loaded is known to the run's redactor.
    """

    __slots__ = ("_value", "origin")

    def __init__(self, value: str, origin: str) -> None:
        self._value = value
        self.origin = origin

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({self.origin})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class Host:
    """A machine of the lab: a DevStack controller or a Hyper-V compute node.

    ``options`` holds the host's tool blocks (``winrm:``, ``ssh:``, ``salt:``, ...),
    checked when the config loads against the blocks plugins declare
    (:mod:`hvrt.config.schema`); a plugin reads its own with ``read_block``.
    """

    name: str
    role: Literal["controller", "node"]
    address: str
    transport: str
    port: int | None = None
    user: str | None = None
    password: Secret | None = None
    key_file: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    configurator: str = "winrm"
    options: dict[str, Any] = field(default_factory=dict)
    source: Source | None = None

    @property
    def os(self) -> str | None:
        return self.labels.get("os")


@dataclass(frozen=True)
class RepoOverride:
    """A downstream repository for one OpenStack project (DevStack ``*_REPO``/``*_BRANCH``)."""

    project: str
    repo: str | None = None
    branch: str | None = None


@dataclass(frozen=True)
class Installer:
    """The compute installer MSI: a URL the node downloads or a local file hvrt uploads."""

    url: str | None = None
    path: str | None = None
    sha256: str | None = None
    features: tuple[str, ...] = ()
    properties: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Release:
    """What is being released: installer, DevStack branch or tag, repo overrides."""

    name: str = "dev"
    installer: Installer = field(default_factory=Installer)
    devstack_repo: str = "https://opendev.org/openstack/devstack"
    devstack_branch: str = "master"
    repos: dict[str, RepoOverride] = field(default_factory=dict)
    password: Secret | None = None


@dataclass(frozen=True)
class Image:
    format: str = "vhdx"
    type: str = "dynamic"
    url: str | None = None
    heat_url: str | None = None


@dataclass(frozen=True)
class Network:
    """Neutron settings: ``vlan`` (with a range), ``flat``, ``ovs-vxlan``, ``ovs-vlan``."""

    type: str = "vlan"
    vlan_range: str = "500:2000"
    physical_network: str = "physnet1"
    tunnel_endpoint: str | None = None

    @property
    def uses_ovs(self) -> bool:
        return self.type.startswith("ovs")


@dataclass(frozen=True)
class Memory:
    mode: str = "fixed"
    dynamic_ratio: float | None = None


@dataclass(frozen=True)
class TempestSuite:
    """Which tests run: a suite name picks list files; explicit lists add to them.

    ``skip`` and ``xfail`` map a test id prefix to its reason.
    """

    suite: str = "default"
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    isolated: tuple[str, ...] = ()
    skip: dict[str, str] = field(default_factory=dict)
    xfail: dict[str, str] = field(default_factory=dict)
    lists_dir: str | None = None
    concurrency: int = 2
    max_attempts: int = 2


IniOverrides = dict[str, dict[str, dict[str, str]]]
"""config file name -> INI section -> key -> value."""


@dataclass(frozen=True)
class Profile:
    """A fully resolved scenario definition (``extends:`` and ``matrix:`` already applied)."""

    name: str
    os: str = "2012r2"
    image: Image = field(default_factory=Image)
    cow: bool = True
    network: Network = field(default_factory=Network)
    memory: Memory = field(default_factory=Memory)
    utils_api: str = "v2"
    live_migration: bool = False
    vm_generation: int = 1
    remotefx: bool = False
    allow_resize_to_same_host: bool | None = None
    hosts: tuple[str, ...] = ()
    node_count: int | None = None
    controller: str | None = None
    configurator: str | None = None
    ini: dict[str, IniOverrides] = field(default_factory=dict)
    tempest: TempestSuite = field(default_factory=TempestSuite)
    devstack_vars: dict[str, str] = field(default_factory=dict)
    include_default: bool = True
    timeouts: dict[str, float] = field(default_factory=dict)
    description: str = ""
    source: Source | None = None
    abstract: bool = False
    """A base for ``extends:`` only; never a scenario of its own."""
    extends: tuple[str, ...] = ()
    """The parents named by ``extends:``, as written (not the whole chain)."""

    @property
    def nodes_needed(self) -> int:
        """How many compute nodes the scenario leases: pinned hosts, else 2 for live migration."""
        if self.hosts:
            return len(self.hosts)
        if self.node_count:
            return self.node_count
        return 2 if self.live_migration else 1

    def ini_for(self, host: str) -> IniOverrides:
        """The INI overrides of one node: the ``"*"`` entry merged under the host's own."""
        merged: IniOverrides = {}
        for key in ("*", host):
            for fname, sections in self.ini.get(key, {}).items():
                for section, values in sections.items():
                    merged.setdefault(fname, {}).setdefault(section, {}).update(values)
        return merged


@dataclass(frozen=True)
class Scenario:
    """One run of the pipeline: a profile plus what it needs from the lab.

    ``candidate_nodes`` are the nodes that may be leased (pinned hosts, or every node
    whose ``os`` label matches); the scheduler leases ``profile.nodes_needed`` of them.
    """

    name: str
    profile: Profile
    candidate_nodes: tuple[str, ...]
    candidate_controllers: tuple[str, ...]

    @property
    def nodes_needed(self) -> int:
        return self.profile.nodes_needed


@dataclass(frozen=True)
class Config:
    """The whole loaded configuration."""

    path: str
    controllers: dict[str, Host]
    nodes: dict[str, Host]
    release: Release
    profiles: dict[str, Profile]
    plugins: tuple[str, ...] = ("winrm", "devstack", "tempest", "html")
    settings: dict[str, Any] = field(default_factory=dict)
    timeouts: dict[str, float] = field(default_factory=dict)
    secrets: tuple[Secret, ...] = ()
    warnings: tuple[str, ...] = ()
    """Things that load but deserve attention (e.g. a password written inline)."""
    coordination: str | None = None
    """``lab.coordination``: the tooz URL of the host leases every hvrt process of the lab
    shares (None: ``$HVRT_COORDINATION``, else a folder of this runner host; see
    :mod:`hvrt.leases.url`)."""

    @property
    def hosts(self) -> dict[str, Host]:
        return {**self.controllers, **self.nodes}

    def plugin_settings(self, plugin: str) -> dict[str, Any]:
        """The ``settings: <plugin>:`` block for one plugin (empty when absent), as written:
        checked against the plugin's declaration, references already resolved to strings."""
        return dict(self.settings.get(plugin) or {})

    def scenario_profiles(self) -> list[Profile]:
        """The profiles that are scenarios (not ``abstract``), in config order."""
        return [p for p in self.profiles.values() if not p.abstract]
