"""The Hiera data hvrt hands to Puppet for one node of one scenario.

Everything the module needs travels as data (a JSON file read by Hiera's
``json_data`` backend), never as Puppet code, so no value from the config can
change what the manifest does. Site code bases read the same keys with
``lookup()``; ``hvrt::scenario`` describes the scenario for them.
"""
from __future__ import annotations

import json
from typing import Any

from hvrt.config.model import Host, Installer, Profile

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


def ini_value(value: object) -> str | None:
    """An INI value as Puppet should write it: booleans lower-case, ``None`` kept (removes)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def ini_data(profile: Profile, node: str) -> dict[str, dict[str, dict[str, str | None]]]:
    return {
        fname: {section: {key: ini_value(v) for key, v in values.items()} for section, values in sections.items()}
        for fname, sections in profile.ini_for(node).items()
    }


def installer_data(installer: Installer, remote_msi: str | None) -> dict[str, Any]:
    """``hvrt::installer_*`` keys; an uploaded MSI is referred to by its path on the node."""
    source = remote_msi or installer.url
    if not source:
        return {}
    return {
        "hvrt::installer_source": source,
        "hvrt::installer_features": list(installer.features),
        "hvrt::installer_properties": {k: str(v) for k, v in installer.properties.items()},
    }


def scenario_data(name: str, profile: Profile, node: Host) -> dict[str, Any]:
    return {
        "name": name,
        "profile": profile.name,
        "node": node.name,
        "os": profile.os,
        "image_format": profile.image.format,
        "network_type": profile.network.type,
        "live_migration": profile.live_migration,
        "vm_generation": profile.vm_generation,
    }


def build(
    *, scenario: str, profile: Profile, node: Host, installer: Installer,
    remote_msi: str | None, config_dir: str | None, extra: dict[str, Any],
) -> dict[str, Any]:
    """All Hiera keys for one node; ``extra`` (the node's ``puppet.data``) wins."""
    data: dict[str, Any] = {
        "hvrt::ini": ini_data(profile, node.name),
        "hvrt::live_migration": profile.live_migration,
        "hvrt::scenario": scenario_data(scenario, profile, node),
    }
    if config_dir:
        data["hvrt::config_dir"] = config_dir
    data.update(installer_data(installer, remote_msi))
    data.update(extra)
    return data


def dumps(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, sort_keys=True) + "\n"
