"""The ``salt:`` block of a lab node: how hvrt reaches the node's Salt, read per configure call.

The block is declared as the schema :data:`SALT` (through ``hvrt_config_schema``),
so the config loader checks it when the file loads; :meth:`SaltOptions.for_host`
reads it with the same checks (a mistake names the config file, the host and the
key, with a "did you mean") and the platform's defaults. Relative local paths are
taken from the folder of the config file.

Three modes: ``local`` runs ``salt-call --local`` on the node through hvrt's own
transport; ``ssh`` runs ``salt-ssh`` from the runner; ``master`` publishes through a
salt-master's ``LocalClient`` to a minion.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath
from typing import Any

import hvrt
from hvrt.config.model import Host, Source
from hvrt.config.schema import Block, Field, Requires, read_block

MODES = ("local", "ssh", "master")
WINDOWS_CONFIG_DIR = r"C:\Program Files\Cloudbase Solutions\OpenStack\Nova\etc"
WINDOWS_WORKDIR = r"C:\ProgramData\hvrt\salt"
WINDOWS_SALT_CALL = r"C:\Program Files\Salt Project\Salt\salt-call.exe"
DEFAULT_SERVICES = ("nova-compute", "neutron-hyperv-agent")
DEFAULT_SLS = "hvrt.compute"
SLS_NAME = r"[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*"
PRODUCT = "OpenStack Hyper-V Nova Compute"

ROSTER = (
    Field("host", rule="address", doc="address salt-ssh connects to (default the node's)"),
    Field("port", "integer", minimum=1, maximum=65535, doc="SSH port"),
    Field("user", doc="SSH user"),
    Field("passwd", doc="SSH password (a ${env:...} reference)"),
    Field("priv", rule="path", doc="SSH private key"),
    Field("sudo", "boolean", doc="run Salt with sudo"),
    Field("set_path", doc="PATH on the node"),
    Field("timeout", "integer", minimum=1, maximum=3600, doc="SSH connect timeout (seconds)"),
    Field("thin_dir", rule="path", doc="where the thin Salt is unpacked on the node"),
    Field("ssh_options", "list", item=Field(""), doc="extra ssh -o options"),
    Field("minion_opts", "mapping", doc="minion options for salt-ssh"),
)
SALT = Block("node", "salt", doc="how hvrt applies the Salt states on the node", fields=(
    Field("mode", choices=MODES, default="local",
          doc="local: salt-call --local on the node; ssh: salt-ssh from the runner; master: a salt-master"),
    Field("target", doc="the minion id (default the node's name)"),
    Field("sls", default=DEFAULT_SLS, pattern=SLS_NAME, pattern_doc="an SLS name like hvrt.compute",
          doc="the states to apply"),
    Field("platform", choices=("posix", "windows"), doc="the node's OS family (default windows over winrm)"),
    Field("config_dir", rule="path", doc="the Nova config folder on the node"),
    Field("workdir", rule="path", doc="hvrt's work folder on the node"),
    Field("salt_call", rule="path", doc="salt-call on the node"),
    Field("services", "list", item=Field(""), doc="services to restart (default the Hyper-V agents on Windows)"),
    Field("timeout", "number", rule="timeout", default=1800.0, doc="seconds the states may take"),
    Field("saltenv", default="base", pattern=r"[A-Za-z0-9_.-]+", pattern_doc="a Salt environment name",
          doc="the Salt environment"),
    Field("pillar", "mapping", doc="extra pillar data"),
    Field("master_config", rule="path", doc="the salt-master's config file (mode master)"),
    Field("roster", "block", fields=ROSTER, doc="salt-ssh roster entry (mode ssh)"),
    Field("salt_ssh", rule="path", default="salt-ssh", doc="the salt-ssh command"),
    Field("file_roots", "list", item=Field("", rule="path"), doc="extra Salt file roots"),
    Field("installer_source", doc="where the minion gets the MSI (salt://..., https://...)"),
    Field("product", default=PRODUCT, doc="the installed product's name"),
    Field("live_migration", "mapping", doc="live migration pillar overrides"),
    Field("keep_workdir", "boolean", default=False, doc="leave the work folder on the node"),
    Field("known_hosts", rule="path", doc="known_hosts for salt-ssh"),
), requires=(
    Requires("mode", "master", ("master_config",), "mode master needs the salt-master's config file"),
))


@dataclass(frozen=True)
class SaltOptions:
    """How to apply the states on one node; ``docs/saltstack.md`` explains each key."""

    mode: str
    target: str
    platform: str
    sls: str = DEFAULT_SLS
    config_dir: str | None = None
    workdir: str | None = None
    salt_call: str = "salt-call"
    services: tuple[str, ...] = ()
    timeout: float = 1800.0
    saltenv: str = "base"
    pillar: dict[str, Any] = field(default_factory=dict)
    master_config: Path | None = None
    roster: dict[str, Any] = field(default_factory=dict)
    salt_ssh: str = "salt-ssh"
    file_roots: tuple[Path, ...] = ()
    installer_source: str | None = None
    product: str = PRODUCT
    live_migration: dict[str, Any] = field(default_factory=dict)
    keep_workdir: bool = False
    known_hosts: Path | None = None

    @property
    def windows(self) -> bool:
        return self.platform == "windows"

    def remote_path(self, *parts: str) -> PurePath:
        """A path on the node, in the node's own syntax."""
        return PureWindowsPath(*parts) if self.windows else PurePosixPath(*parts)

    @classmethod
    def for_host(cls, host: Host, config_path: str) -> SaltOptions:
        """The node's ``salt:`` block checked against :data:`SALT`, with the platform's defaults."""
        where = "lab.nodes" if host.role == "node" else "lab.controllers"
        raw = read_block(SALT, host.options.get("salt"), path=f"{where}.{host.name}.salt",
                         source=host.source or Source(config_path, 0, 0), transport=host.transport)
        platform = raw["platform"] or ("windows" if host.transport == "winrm" else "posix")
        windows = platform == "windows"
        base = Path(config_path).resolve().parent
        roster = {k: v for k, v in raw["roster"].items() if v is not None}
        return cls(
            mode=raw["mode"],
            target=raw["target"] or host.name,
            platform=platform,
            sls=raw["sls"],
            config_dir=raw["config_dir"] or (WINDOWS_CONFIG_DIR if windows else None),
            workdir=raw["workdir"] or (WINDOWS_WORKDIR if windows else None),
            salt_call=raw["salt_call"] or (WINDOWS_SALT_CALL if windows else "salt-call"),
            services=tuple(raw["services"] if raw["services"] is not None else
                           (DEFAULT_SERVICES if windows else ())),
            timeout=float(raw["timeout"]),
            saltenv=raw["saltenv"],
            pillar=dict(raw["pillar"] or {}),
            master_config=(base / raw["master_config"]) if raw["master_config"] else None,
            roster=roster,
            salt_ssh=raw["salt_ssh"],
            file_roots=tuple(base / p for p in raw["file_roots"] or ()),
            installer_source=raw["installer_source"],
            product=raw["product"],
            live_migration=dict(raw["live_migration"] or {}),
            keep_workdir=bool(raw["keep_workdir"]),
            known_hosts=(base / raw["known_hosts"]) if raw["known_hosts"] else None,
        )


@hvrt.hookimpl
def hvrt_config_schema() -> list[Block]:
    """The block the salt configurator reads: a node's ``salt:`` block."""
    return [SALT]
