"""The ``salt:`` block of a lab node: how hvrt reaches the node's Salt, read per configure call.

The config loader keeps each tool's block as free-form ``Host.options``; this module
checks the Salt one and turns it into :class:`SaltOptions`. A mistake names the
config file, the host and the key (with a "did you mean"). Relative local paths are
taken from the folder of the config file.

Three modes: ``local`` runs ``salt-call --local`` on the node through hvrt's own
transport; ``ssh`` runs ``salt-ssh`` from the runner; ``master`` publishes through a
salt-master's ``LocalClient`` to a minion.
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath
from typing import Any

from hvrt.config.model import Host
from hvrt.errors import ConfigError

MODES = ("local", "ssh", "master")
WINDOWS_CONFIG_DIR = r"C:\Program Files\Cloudbase Solutions\OpenStack\Nova\etc"
WINDOWS_WORKDIR = r"C:\ProgramData\hvrt\salt"
WINDOWS_SALT_CALL = r"C:\Program Files\Salt Project\Salt\salt-call.exe"
DEFAULT_SERVICES = ("nova-compute", "neutron-hyperv-agent")
DEFAULT_SLS = "hvrt.compute"
SLS_NAME = re.compile(r"\A[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*\Z")
KEYS = (
    "mode", "target", "sls", "platform", "config_dir", "workdir", "salt_call", "services",
    "timeout", "saltenv", "pillar", "master_config", "roster", "salt_ssh", "file_roots",
    "installer_source", "product", "live_migration", "keep_workdir", "known_hosts",
)
ROSTER_KEYS = ("host", "port", "user", "passwd", "priv", "sudo", "set_path", "timeout", "thin_dir",
               "ssh_options", "minion_opts")


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
    product: str = "OpenStack Hyper-V Nova Compute"
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
        raw = host.options.get("salt") or {}
        check = _Checker(host, config_path)
        if not isinstance(raw, Mapping):
            raise check.error("", "must be a mapping")
        check.known(raw, KEYS, "")
        mode = check.choice(raw, "mode", MODES, "local")
        platform = check.choice(raw, "platform", ("posix", "windows"),
                                "windows" if host.transport == "winrm" else "posix")
        windows = platform == "windows"
        base = Path(config_path).resolve().parent
        sls = check.text(raw, "sls") or DEFAULT_SLS
        if not SLS_NAME.match(sls):
            raise check.error("sls", f"{sls!r} is not an SLS name like hvrt.compute")
        default_services = DEFAULT_SERVICES if windows else ()
        services = tuple(check.strings(raw, "services", default_services))
        roster = check.mapping(raw, "roster")
        check.known(roster, ROSTER_KEYS, "roster.")
        master_config = check.text(raw, "master_config")
        if mode == "master" and not master_config:
            raise check.error("master_config", "mode master needs the salt-master's config file")
        known_hosts = check.text(raw, "known_hosts")
        timeout = raw.get("timeout", 1800)
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
            raise check.error("timeout", "must be a positive number of seconds")
        return cls(
            mode=mode,
            target=check.text(raw, "target") or host.name,
            platform=platform,
            sls=sls,
            config_dir=check.text(raw, "config_dir") or (WINDOWS_CONFIG_DIR if windows else None),
            workdir=check.text(raw, "workdir") or (WINDOWS_WORKDIR if windows else None),
            salt_call=check.text(raw, "salt_call") or (WINDOWS_SALT_CALL if windows else "salt-call"),
            services=services,
            timeout=float(timeout),
            saltenv=check.text(raw, "saltenv") or "base",
            pillar=check.mapping(raw, "pillar"),
            master_config=(base / master_config) if master_config else None,
            roster=roster,
            salt_ssh=check.text(raw, "salt_ssh") or "salt-ssh",
            file_roots=tuple(base / p for p in check.strings(raw, "file_roots", ())),
            installer_source=check.text(raw, "installer_source"),
            product=check.text(raw, "product") or "OpenStack Hyper-V Nova Compute",
            live_migration=check.mapping(raw, "live_migration"),
            keep_workdir=bool(raw.get("keep_workdir", False)),
            known_hosts=(base / known_hosts) if known_hosts else None,
        )


class _Checker:
    def __init__(self, host: Host, config_path: str) -> None:
        self.host = host
        self.config_path = config_path

    def error(self, key: str, message: str) -> ConfigError:
        source = self.host.source
        dotted = f"lab.nodes.{self.host.name}.salt" + (f".{key}" if key else "")
        return ConfigError(
            message, file=source.file if source else self.config_path,
            line=source.line if source else None, column=source.column if source else None, key=dotted,
        )

    def known(self, raw: Mapping[str, Any], keys: tuple[str, ...], prefix: str) -> None:
        for key in raw:
            if key not in keys:
                close = difflib.get_close_matches(str(key), keys, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise self.error(f"{prefix}{key}", f"unknown key{hint}")

    def text(self, raw: Mapping[str, Any], key: str) -> str | None:
        value = raw.get(key)
        if value is None:
            return None
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise self.error(key, "must be a string")
        return str(value)

    def choice(self, raw: Mapping[str, Any], key: str, allowed: tuple[str, ...], default: str) -> str:
        value = self.text(raw, key) or default
        if value not in allowed:
            raise self.error(key, f"must be one of {', '.join(allowed)}, not {value!r}")
        return value

    def strings(self, raw: Mapping[str, Any], key: str, default: tuple[str, ...]) -> list[str]:
        value = raw.get(key)
        if value is None:
            return list(default)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(key, "must be a list of strings")
        return list(value)

    def mapping(self, raw: Mapping[str, Any], key: str) -> dict[str, Any]:
        value = raw.get(key)
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.error(key, "must be a mapping")
        return dict(value)
