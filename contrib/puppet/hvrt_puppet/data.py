"""The Hiera data hvrt hands to Puppet for one node of one scenario.

Everything the module needs travels as data (a JSON file read by Hiera's
``json_data`` backend), never as Puppet code, so no value from the config can
change what the manifest does. The values come from the node's
:class:`~hvrt.nodestate.NodeState` (computed once in the core, the same the winrm
configurator applies): INI files, installer features and properties, the virtual
switch, live migration and services. Site code bases read the same keys with
``lookup()``; ``hvrt::scenario`` describes the scenario for them.

Puppet's ``package`` resource cannot look into the MSI, so a state's optional
features (which the winrm and salt configurators install only when the package has
them) are left out; list them in ``release.installer.features`` to have Puppet
install them.
"""
from __future__ import annotations

import json
import re
from typing import Any

from hvrt.config.model import Host, Installer
from hvrt.nodestate import NodeState

HIERA_CONFIG = """\
---
version: 5
defaults:
  datadir: data
  data_hash: json_data
hierarchy:
  - name: "hvrt scenario data"
    path: "hvrt.json"
"""


SECRET_KEY = re.compile(r"password|passwd|secret|token|credential|private_key", re.IGNORECASE)
"""Keys whose values are masked in the copy of the data kept with the results
(the module's ``secret_pattern`` treats the same keys as sensitive)."""
MASK = "***"


def masked(value: Any, key: str = "") -> Any:
    """A copy of the data fit for the results folder: password-like keys masked."""
    if isinstance(value, dict):
        return {k: masked(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v, key) for v in value]
    if value is not None and SECRET_KEY.search(key.rsplit("::", 1)[-1]):
        return MASK
    return value


def ini_value(value: object) -> str | None:
    """An INI value as Puppet should write it: booleans lower-case, ``None`` kept (removes)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def ini_data(state: NodeState) -> dict[str, dict[str, dict[str, str | None]]]:
    """``file name -> section -> key -> value`` of the node state (secrets revealed, for the node)."""
    return {fname: {section: {key: ini_value(v) for key, v in values.items()} for section, values in sections.items()}
            for fname, sections in state.ini_values().items()}


def installer_data(state: NodeState, installer: Installer, remote_msi: str | None) -> dict[str, Any]:
    """``hvrt::installer_*`` keys; an uploaded MSI is referred to by its path on the node."""
    source = remote_msi or installer.url
    if not source:
        return {}
    return {
        "hvrt::installer_source": source,
        "hvrt::installer_features": list(state.features),
        "hvrt::installer_properties": state.msi_properties(),
    }


def scenario_data(state: NodeState, profile: Any) -> dict[str, Any]:
    return {
        "name": state.scenario,
        "profile": state.profile,
        "node": state.node,
        "os": profile.os,
        "image_format": profile.image.format,
        "network_type": profile.network.type,
        "live_migration": profile.live_migration,
        "vm_generation": profile.vm_generation,
    }


def host_data(state: NodeState) -> dict[str, Any]:
    """The virtual switch, live migration and services keys of the state."""
    switch = state.vswitch
    migration = state.live_migration
    return {
        "hvrt::vswitch": {"name": switch.name, "type": switch.type, "create": switch.create,
                          "adapter": switch.adapter, "allow_management_os": switch.allow_management_os},
        "hvrt::manage_live_migration": migration.managed,
        "hvrt::live_migration": migration.enabled,
        "hvrt::migration_authentication": migration.authentication,
        "hvrt::max_migrations": migration.max_migrations,
        "hvrt::migration_networks": list(migration.networks),
        "hvrt::migration_performance": migration.performance,
        "hvrt::services": list(state.services),
    }


def build(
    *, state: NodeState, profile: Any, node: Host, installer: Installer, remote_msi: str | None,
    config_dir: str | None, extra: dict[str, Any], windows: bool = False,
) -> dict[str, Any]:
    """All Hiera keys for one node; ``extra`` (the node's ``puppet.data``) wins.

    ``config_dir`` is the node's ``puppet.config_dir``; a Windows node without one
    gets the state's (where the MSI puts the files).
    """
    data: dict[str, Any] = {
        "hvrt::ini": ini_data(state),
        **host_data(state),
        "hvrt::scenario": scenario_data(state, profile),
    }
    folder = config_dir or (state.config_dir.replace("\\", "/") if windows else None)
    if folder:
        data["hvrt::config_dir"] = folder
    data.update(installer_data(state, installer, remote_msi))
    data.update(extra)
    return data


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=True) + "\n"
