"""The DevStack deployer's settings (``settings: devstack:`` in hvrt.yaml) with defaults.

Read once per scenario by the deployer, the pre-flight check and the collector.
Paths are on the controller. ``compute_url`` / ``network_url`` point the health check
at APIs the Keystone catalog does not list (the sandbox's simulated status API).
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from hvrt.config.model import Config, Host
from hvrt.errors import ConfigError

CONFIG_DIRS = ("/etc/nova", "/etc/neutron", "/etc/keystone", "/etc/glance", "/etc/cinder",
               "/etc/placement", "/etc/heat")


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
    known = {f.name for f in fields(DevstackSettings)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"unknown devstack setting(s): {', '.join(unknown)}", key="settings.devstack")
    try:
        return DevstackSettings(**raw)
    except TypeError as exc:
        raise ConfigError(str(exc), key="settings.devstack") from None


def selected_deployer(config: Config) -> str:
    return str(config.plugin_settings("deploy").get("deployer", "devstack"))
