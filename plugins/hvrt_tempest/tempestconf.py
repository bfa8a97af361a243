"""Adjust the deployer's tempest.conf to the scenario being tested.

The deployer writes a tempest.conf for the cloud it built; what the Hyper-V
scenario supports is known only from the profile, so the runner sets it here:

* ``[compute-feature-enabled]``: live migration (and block migration for it) from
  ``profile.live_migration``; interface attach only for generation 2 VMs on Windows
  Server 2016 and later (Hyper-V hot-adds network adapters to those only); the console is RDP, so VNC, SPICE
  and serial consoles are off and ``rdp_console`` is on (an option older Tempest
  releases read; newer ones ignore it).
* ``[image]``: the disk format of the profile's image (vhd or vhdx), bare containers.
* ``[validation] run_validation``: from the plugin setting ``validation`` when given.

Then ``settings: tempest: conf: {section: {key: value}}`` overrides anything.
"""
from __future__ import annotations

import configparser
import io
from collections.abc import Mapping
from typing import Any

from hvrt.config.model import Profile

NIC_HOTPLUG_OS = frozenset({"2016", "2019", "2022", "2025"})


def _flag(value: bool) -> str:
    return "true" if value else "false"


def scenario_values(profile: Profile, settings: Mapping[str, Any] | None = None) -> dict[str, dict[str, str]]:
    """The tempest.conf values a scenario imposes, section -> key -> value."""
    settings = settings or {}
    values: dict[str, dict[str, str]] = {
        "compute-feature-enabled": {
            "live_migration": _flag(profile.live_migration),
            "block_migration_for_live_migration": _flag(profile.live_migration),
            "interface_attach": _flag(profile.os in NIC_HOTPLUG_OS and profile.vm_generation == 2),
            "vnc_console": "false",
            "spice_console": "false",
            "serial_console": "false",
            "rdp_console": "true",
        },
        "image": {"disk_formats": profile.image.format, "container_formats": "bare"},
    }
    if "validation" in settings:
        values["validation"] = {"run_validation": _flag(bool(settings["validation"]))}
    for section, overrides in (settings.get("conf") or {}).items():
        for key, value in (overrides or {}).items():
            text = _flag(value) if isinstance(value, bool) else str(value)
            values.setdefault(str(section), {})[str(key)] = text
    return values


def adjust(text: str, profile: Profile, settings: Mapping[str, Any] | None = None) -> str:
    """``text`` (a tempest.conf) with the scenario's values set; other values kept."""
    conf = configparser.RawConfigParser(strict=False)
    conf.optionxform = str  # type: ignore[assignment,method-assign]
    conf.read_string(text)
    for section, values in scenario_values(profile, settings).items():
        if section != "DEFAULT" and not conf.has_section(section):
            conf.add_section(section)
        for key, value in values.items():
            conf.set(section, key, value)
    out = io.StringIO()
    conf.write(out)
    return out.getvalue()
