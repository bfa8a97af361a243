"""The Hiera data hvrt hands to Puppet for one node of one scenario.

Everything the module needs travels as data (a JSON file read by Hiera's
``json_data`` backend), never as Puppet code, so no value from the config can
change what the manifest does. Site code bases read the same keys with
``lookup()``; ``hvrt::scenario`` describes the scenario for them.
"""
from __future__ import annotations

import json
import re
from typing import Any

from hvrt.config.model import Host, Installer, Profile
from hvrt.ini import oslo_group_key

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


def ini_data(profile: Profile, node: str) -> dict[str, dict[str, dict[str, str | None]]]:
    """``file -> section -> key -> value`` for the node, spellings of one oslo.config group merged.

    oslo.config reads ``[OVS]`` and ``[ovs]`` as one group (``DEFAULT`` is matched
    exactly), and the module's ``hvrt_oslo`` provider resolves a section to the file's
    own spelling of its group; two spellings in the data would be two resources on
    one key. They are merged under the first spelling, later values winning.
    """
    out: dict[str, dict[str, dict[str, str | None]]] = {}
    for fname, sections in profile.ini_for(node).items():
        merged: dict[str, dict[str, str | None]] = {}
        spelling: dict[str, str] = {}
        for section, values in sections.items():
            name = spelling.setdefault(oslo_group_key(section), section)
            merged.setdefault(name, {}).update({key: ini_value(v) for key, v in values.items()})
        out[fname] = merged
    return out


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
