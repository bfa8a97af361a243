"""The DevStack deployer's settings (``settings: devstack:`` in hvrt.yaml), declared as schemas.

Read once per scenario by the deployer, the pre-flight check and the collector.
Paths are on the controller. ``compute_url`` / ``network_url`` point the health check
at APIs over what Keystone's catalog lists (or, with no Keystone, at the sandbox's
simulated status API alone).
A controller's own ``devstack:`` block takes the same keys and wins over
``settings: devstack:``. ``settings: deploy:`` chooses the deployer (``devstack``,
the default, or ``existing``) and holds the ``existing`` deployer's keys (its cloud
name may come from ``OS_CLOUD`` instead, as openstacksdk allows).

The blocks are checked when the config loads (``hvrt_config_schema``);
:func:`load_settings` reads them with the same checks and the defaults.
"""
from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from hvrt import hookimpl
from hvrt.config.model import Config, Host, Source
from hvrt.config.schema import Block, Field, read_block

CONFIG_DIRS = ("/etc/nova", "/etc/neutron", "/etc/keystone", "/etc/glance", "/etc/cinder",
               "/etc/placement", "/etc/heat")
SHELL_VARIABLE = r"[A-Za-z_][A-Za-z0-9_]*"
INI_SECTION = r"[^\[\]\s](?:[^\[\]]*[^\[\]\s])?"
INI_KEY = r"[^\[\]=:\s](?:[^\[\]=:]*[^\[\]=:\s])?"

FIELDS = (
    Field("dest", rule="path", default="/opt/stack", doc="DevStack's DEST on the controller"),
    Field("devstack_dir", rule="path", doc="the DevStack checkout (default DEST/devstack)"),
    Field("logdir", rule="path", doc="DevStack's LOGDIR (default DEST/logs)"),
    Field("image_cache", rule="path", doc="where images are cached (default DEST/images)"),
    Field("stack_timeout", "number", rule="timeout", default=7200.0, doc="seconds stack.sh may take"),
    Field("git_timeout", "number", rule="timeout", default=900.0, doc="seconds a git checkout may take"),
    Field("image_timeout", "number", rule="timeout", default=1800.0, doc="seconds an image download may take"),
    Field("health_timeout", "number", rule="timeout", default=600.0,
          doc="seconds to wait for every node to be in service"),
    Field("health_interval", "number", rule="timeout", default=10.0, doc="seconds between health polls"),
    Field("min_free_disk_mb", "integer", default=20480, minimum=0,
          doc="free disk under DEST the pre-flight check requires"),
    Field("username", default="admin", pattern=r"[^\s].*", pattern_doc="a user name", doc="cloud admin user"),
    Field("project", default="admin", pattern=r"[^\s].*", pattern_doc="a project name", doc="cloud admin project"),
    Field("auth_url", rule="url:http", doc="Keystone URL (default http://CONTROLLER/identity)"),
    Field("compute_url", rule="url:http", doc="Nova API URL for the health check"),
    Field("network_url", rule="url:http", doc="Neutron API URL for the health check"),
    Field("tempest_command", "list", item=Field("", rule="path"), single=True,
          doc="the tempest command on the controller (default DEST/tempest/.tox/tempest/bin/tempest)"),
    Field("tempest_conf", rule="path", doc="the deployed tempest.conf (default DEST/tempest/etc/tempest.conf)"),
    Field("physical_interface", pattern=r"[A-Za-z0-9][A-Za-z0-9_.:@-]{0,14}", pattern_doc="a network interface name",
          doc="the controller's NIC for tenant traffic: local.conf's PUBLIC_INTERFACE, which DevStack adds to "
              "the OVS physical bridge br-eth1 (the legacy lab used eth1)"),
    Field("networking_hyperv", default="networking-hyperv", pattern=r"[^\s].*", pattern_doc="a pip requirement",
          doc="what pip installs for the hyperv ML2 mechanism driver (e.g. networking-hyperv==3.0.0)"),
    Field("nova_manage", "list", item=Field("", rule="path"), single=True,
          doc="nova-manage on the controller (default the one on PATH, else DEST/data/venv/bin/nova-manage)"),
    Field("config_dirs", "list", item=Field("", rule="path"), doc="service config folders the collector saves"),
    Field("localrc", "mapping", item=Field("", "setting"), key_pattern=SHELL_VARIABLE,
          doc="extra local.conf variables, name -> value"),
    Field("post_config", "mapping", key_pattern=r"[^\s\[\]|]+",
          item=Field("", "mapping", key_pattern=INI_SECTION,
                     item=Field("", "mapping", key_pattern=INI_KEY, item=Field("", "setting"))),
          doc="local.conf post-config sections: file -> section -> key -> value"),
)
SETTINGS = Block("settings", "devstack", FIELDS, doc="the DevStack deployer")
CONTROLLER = Block("controller", "devstack", FIELDS,
                   doc="a controller's own DevStack settings (over settings.devstack)")
AGENT_BINARY = r"[A-Za-z0-9][A-Za-z0-9_.-]*"


def _check_deploy(values: Mapping[str, Any], _transport: str | None) -> Iterator[tuple[str, str]]:
    """The existing deployer needs a cloud name: ``cloud``, else ``OS_CLOUD`` as openstacksdk reads it."""
    if values.get("deployer") == "existing" and not values.get("cloud") and not os.environ.get("OS_CLOUD"):
        yield "cloud", "the existing deployer needs settings.deploy.cloud (or OS_CLOUD in the environment)"


DEPLOY = Block("settings", "deploy", (
    Field("deployer", default="devstack", pattern=r"[A-Za-z_][A-Za-z0-9_.-]*", pattern_doc="a plugin name",
          doc="the plugin that deploys the cloud (devstack, existing, ...)"),
    Field("cloud", doc="existing: the cloud's name in clouds.yaml (default OS_CLOUD)"),
    Field("clouds_yaml", rule="path", doc="existing: the clouds.yaml file (default openstacksdk's search path: "
          "OS_CLIENT_CONFIG_FILE, ./clouds.yaml, ~/.config/openstack/, /etc/openstack/)"),
    Field("secure_yaml", rule="path", doc="existing: the secure.yaml file (default the one beside clouds_yaml, "
          "else the search path)"),
    Field("compute_url", rule="url:http", doc="existing: Nova API URL for the health check (over the catalog)"),
    Field("network_url", rule="url:http", doc="existing: Neutron API URL for the health check (over the catalog)"),
    Field("controller_host", pattern=r"[^\s].*", pattern_doc="a host name",
          doc="existing: the host the controller's Neutron agents register as (default the hosts of the DHCP "
              "and L3 agents)"),
    Field("controller_agents", "list", item=Field("", pattern=AGENT_BINARY, pattern_doc="an agent binary"),
          doc="existing: agents that must be alive on the controller, e.g. neutron-dhcp-agent (default every "
              "DHCP, L3 and Open vSwitch agent registered there)"),
    Field("health_timeout", "number", rule="timeout", default=300.0,
          doc="existing: seconds to wait for every node to be in service"),
    Field("health_interval", "number", rule="timeout", default=5.0, doc="existing: seconds between health polls"),
    Field("tempest_conf", rule="path", doc="existing: tempest.conf on the controller"),
    Field("tempest_command", "list", item=Field("", rule="path"), single=True,
          doc="existing: the tempest command on the controller"),
    Field("workdir", rule="path", doc="existing: where Tempest workspaces go on the controller"),
), check=_check_deploy, doc="which deployer brings the cloud up")


@dataclass
class DevstackSettings:
    dest: str = "/opt/stack"
    devstack_dir: str = ""
    logdir: str = ""
    image_cache: str = ""
    stack_timeout: float = 7200.0
    git_timeout: float = 900.0
    image_timeout: float = 1800.0
    health_timeout: float = 600.0
    health_interval: float = 10.0
    min_free_disk_mb: int = 20480
    username: str = "admin"
    project: str = "admin"
    auth_url: str | None = None
    compute_url: str | None = None
    network_url: str | None = None
    tempest_command: list[str] = field(default_factory=list)
    tempest_conf: str = ""
    config_dirs: list[str] = field(default_factory=lambda: list(CONFIG_DIRS))
    physical_interface: str | None = None
    networking_hyperv: str = "networking-hyperv"
    nova_manage: list[str] = field(default_factory=list)
    localrc: dict[str, str] = field(default_factory=dict)
    post_config: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.dest = self.dest.rstrip("/") or "/"
        self.devstack_dir = self.devstack_dir or f"{self.dest}/devstack"
        self.logdir = self.logdir or f"{self.dest}/logs"
        self.image_cache = self.image_cache or f"{self.dest}/images"
        self.tempest_conf = self.tempest_conf or f"{self.dest}/tempest/etc/tempest.conf"
        self.tempest_command = list(self.tempest_command) or [f"{self.dest}/tempest/.tox/tempest/bin/tempest"]


def load_settings(config: Config, controller: Host | None = None) -> DevstackSettings:
    """``settings: devstack:`` with the controller's own ``devstack:`` block on top
    (several controllers on one machine need their own ``dest``)."""
    raw = config.plugin_settings("devstack") | dict((controller.options.get("devstack") or {}) if controller else {})
    source = controller.source if controller is not None and controller.options.get("devstack") else None
    source = source or Source(config.path, 0, 0)
    values = read_block(SETTINGS, raw, path="settings.devstack", source=source)
    return DevstackSettings(**{k: v for k, v in values.items() if v is not None})


def selected_deployer(config: Config) -> str:
    return str(config.plugin_settings("deploy").get("deployer", "devstack"))


@hookimpl
def hvrt_config_schema() -> list[Block]:
    """The blocks the DevStack deployers read: ``settings.devstack``, ``settings.deploy``
    and a controller's ``devstack:`` block."""
    return [SETTINGS, DEPLOY, CONTROLLER]
