"""The typed desired state of one Hyper-V node for one scenario, and its JSON form.

Plain frozen data: :func:`hvrt.nodestate.build.build` makes it, the configurators
(winrm, salt, puppet) only read it. Secrets stay :class:`~hvrt.config.model.Secret`
objects until a configurator reveals them for the node; :meth:`NodeState.to_dict`
masks every one of them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hvrt.config.model import Secret

MASK = "***"
SCHEMA_VERSION = 1
"""Bumped when a key of :meth:`NodeState.to_dict` changes meaning or disappears."""

Value = str | Secret


def reveal(value: Value) -> str:
    return value.reveal() if isinstance(value, Secret) else value


def shown(value: Value) -> str:
    return MASK if isinstance(value, Secret) else value


@dataclass(frozen=True)
class IniValue:
    """One INI value and where it came from.

    ``origin`` is ``seed:<dimension>`` (a typed field of the profile: ``utils_api``,
    ``remotefx``, ``network``, ``allow_resize_to_same_host``), ``host:<key>`` (the
    node's Hyper-V host settings, e.g. ``host:tunnel_address``), ``profile`` (the
    profile's ``ini: "*":`` entry) or ``node`` (the profile's entry for this node).
    """

    value: Value
    origin: str


@dataclass(frozen=True)
class IniFile:
    """One INI file of the node: ``name`` as the profile writes it, ``path`` on the node."""

    name: str
    path: str
    sections: dict[str, dict[str, IniValue]]

    def values(self) -> dict[str, dict[str, str]]:
        """``section -> key -> value`` with secrets revealed (what is sent to the node)."""
        return {s: {k: reveal(v.value) for k, v in keys.items()} for s, keys in self.sections.items()}


@dataclass(frozen=True)
class VSwitch:
    """The virtual switch: used when it exists with ``type``, created only when ``create``.

    hvrt never removes an existing switch or changes its type.
    """

    name: str
    type: str
    """``External``, ``Internal`` or ``Private`` (Hyper-V's spelling)."""
    create: bool
    adapter: str | None = None
    allow_management_os: bool = True


@dataclass(frozen=True)
class LiveMigration:
    """Hyper-V live migration of the host. ``managed`` is false when hvrt leaves it alone
    (the scenario does not migrate, or the node is a cluster member); ``reason`` says why."""

    managed: bool
    enabled: bool
    authentication: str = "Kerberos"
    max_migrations: int = 8
    max_storage_migrations: int = 8
    networks: tuple[str, ...] = ()
    performance: str = "Compression"
    reason: str = ""


@dataclass(frozen=True)
class NodeState:
    """What one node gets in one scenario; the same object drives every configurator."""

    node: str
    scenario: str
    profile: str
    os: str
    product: str
    install_dir: str
    log_dir: str
    config_dir: str
    features: tuple[str, ...]
    """MSI features always installed (``ADDLOCAL``)."""
    optional_features: tuple[str, ...]
    """Features installed only when the package has them (a release may not ship one)."""
    properties: dict[str, Value]
    ini: dict[str, IniFile]
    vswitch: VSwitch
    live_migration: LiveMigration
    services: tuple[str, ...]
    """Services that must run once configured."""
    optional_services: tuple[str, ...] = ()
    """Services of optional features: restarted when installed."""
    secrets: tuple[Secret, ...] = field(default=(), repr=False)

    def msi_properties(self) -> dict[str, str]:
        """The MSI public properties with secrets revealed (for the node only)."""
        return {k: reveal(v) for k, v in self.properties.items()}

    def ini_values(self) -> dict[str, dict[str, dict[str, str]]]:
        """``file name -> section -> key -> value``, secrets revealed."""
        return {name: f.values() for name, f in self.ini.items()}

    def ini_by_path(self) -> dict[str, dict[str, dict[str, str]]]:
        """Like :meth:`ini_values`, keyed by the file's path on the node."""
        return {f.path: f.values() for f in self.ini.values()}

    def secret_texts(self) -> list[str]:
        """Every secret value the state carries (for the run's redactor)."""
        return [s.reveal() for s in self.secrets if s.reveal()]

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON form (``docs/node-state.md``); every secret is ``***``."""
        return {
            "version": SCHEMA_VERSION,
            "node": self.node,
            "scenario": self.scenario,
            "profile": self.profile,
            "os": self.os,
            "installer": {
                "product": self.product,
                "install_dir": self.install_dir,
                "log_dir": self.log_dir,
                "features": list(self.features),
                "optional_features": list(self.optional_features),
                "properties": {k: shown(v) for k, v in self.properties.items()},
            },
            "ini": {
                name: {"path": f.path,
                       "sections": {s: {k: {"value": shown(v.value), "origin": v.origin} for k, v in keys.items()}
                                    for s, keys in f.sections.items()}}
                for name, f in self.ini.items()
            },
            "config_dir": self.config_dir,
            "vswitch": {"name": self.vswitch.name, "type": self.vswitch.type, "create": self.vswitch.create,
                        "adapter": self.vswitch.adapter,
                        "allow_management_os": self.vswitch.allow_management_os},
            "live_migration": {
                "managed": self.live_migration.managed, "enabled": self.live_migration.enabled,
                "authentication": self.live_migration.authentication,
                "max_migrations": self.live_migration.max_migrations,
                "max_storage_migrations": self.live_migration.max_storage_migrations,
                "networks": list(self.live_migration.networks),
                "performance": self.live_migration.performance, "reason": self.live_migration.reason,
            },
            "services": list(self.services),
            "optional_services": list(self.optional_services),
        }
