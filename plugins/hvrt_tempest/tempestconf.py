"""Adjust the deployer's tempest.conf to the scenario being tested.

The deployer writes a tempest.conf for the cloud it built; what the Hyper-V
scenario supports is known only from the profile, so the runner sets it here.
:func:`scenario_flags` is the one rule for these values: the DevStack deployer's
``local.sh`` writes the same ones (``hvrt_devstack.localconf``), so the file Tempest
reads says the same thing whichever wrote last.

* ``[compute-feature-enabled]``: live migration, block migration for it and
  ``block_migrate_cinder_iscsi`` from ``profile.live_migration``; interface attach
  only for generation 2 VMs on Windows Server 2016 and later (Hyper-V hot-adds
  network adapters to those only); ``swap_volume`` off (the Hyper-V driver cannot
  swap an attached volume); console output from 2016 on; the console is RDP, so
  VNC, SPICE and serial consoles are off and ``rdp_console`` is on (an option older
  Tempest releases read; newer ones ignore it).
* ``[compute]``: ``min_compute_nodes`` (the nodes the scenario leases) and
  ``volume_device_name = sdb`` (Hyper-V attaches volumes as SCSI disks); the runner
  also points ``image_ref_alt`` at the deployer's ``image_ref``, so both are the image under test.
* ``[image]``: the disk format of the profile's image (vhd or vhdx), bare containers.
* ``[scenario]``: ``img_disk_format``, the image's own format (Glance's format checks
  refuse a VHDX file announced as ``vhd``), and ``img_file``: the scenario's image
  (its URL's file name without ``.gz``) in the folder of the path the deployer wrote
  (Tempest needs a full path; :func:`image_path`).
* ``[validation] run_validation``: on (the guests are reached over SSH), unless the
  plugin setting ``validation`` says otherwise.

Then ``settings: tempest: conf: {section: {key: value}}`` overrides anything.
"""
from __future__ import annotations

import configparser
import io
import posixpath
from collections.abc import Mapping
from typing import Any

from hvrt.config.model import Profile

NIC_HOTPLUG_OS = frozenset({"2016", "2019", "2022", "2025"})
"""Windows Server releases on which Hyper-V hot-adds network adapters (to generation 2 VMs)."""
OLD_CONSOLE_OS = frozenset({"2008r2", "2012", "2012r2"})
"""Releases whose Hyper-V gives Nova no serial console output."""


def _flag(value: bool) -> str:
    return "true" if value else "false"


def image_file(profile: Profile) -> str | None:
    """The file name of the scenario's image on the controller (its URL's last part, unzipped)."""
    url = profile.image.url
    if not url:
        return None
    name = url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0]
    return name[:-3] if name.endswith(".gz") else name


def scenario_flags(profile: Profile) -> dict[str, dict[str, str]]:
    """What the scenario tells Tempest it supports, section -> key -> value (Tempest's spelling).

    The one rule for these flags: both the runner (:func:`scenario_values`) and the
    DevStack deployer's ``local.sh`` write exactly these values.
    """
    lm = _flag(profile.live_migration)
    flags: dict[str, dict[str, str]] = {
        "compute": {"min_compute_nodes": str(profile.nodes_needed), "volume_device_name": "sdb"},
        "compute-feature-enabled": {
            "live_migration": lm,
            "block_migration_for_live_migration": lm,
            "block_migrate_cinder_iscsi": lm,
            "interface_attach": _flag(profile.os in NIC_HOTPLUG_OS and profile.vm_generation == 2),
            "swap_volume": "false",
            "console_output": _flag(profile.os not in OLD_CONSOLE_OS),
            "vnc_console": "false",
            "spice_console": "false",
            "serial_console": "false",
            "rdp_console": "true",
        },
        "image": {"disk_formats": profile.image.format, "container_formats": "bare"},
        "scenario": {"img_disk_format": profile.image.format},
        "validation": {"run_validation": "true"},
    }
    return flags


def image_path(profile: Profile, current: str | None) -> str | None:
    """``[scenario] img_file``: the scenario's image file in the folder of ``current`` (the
    path the deployer wrote; Tempest needs a full path); None when the image has no URL."""
    name = image_file(profile)
    if name is None:
        return None
    return posixpath.join(posixpath.dirname(current or "") or ".", name)  # the folder as ``dirname`` gives it


def scenario_values(profile: Profile, settings: Mapping[str, Any] | None = None) -> dict[str, dict[str, str]]:
    """The tempest.conf values a scenario imposes, section -> key -> value: the scenario's
    flags, ``validation`` and ``conf`` from the plugin settings on top."""
    settings = settings or {}
    values = scenario_flags(profile)
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
    wanted = scenario_values(profile, settings)
    for section, values in wanted.items():
        if section != "DEFAULT" and not conf.has_section(section):
            conf.add_section(section)
        for key, value in values.items():
            conf.set(section, key, value)
    current = conf.get("scenario", "img_file") if conf.has_option("scenario", "img_file") else None
    img_file = image_path(profile, current)
    if img_file is not None and "img_file" not in wanted.get("scenario", {}):
        conf.set("scenario", "img_file", img_file)
    if conf.has_option("compute", "image_ref") and "image_ref_alt" not in wanted.get("compute", {}):
        # the alternative image is the image under test too (the deployer's may be another format)
        conf.set("compute", "image_ref_alt", conf.get("compute", "image_ref"))
    out = io.StringIO()
    conf.write(out)
    return out.getvalue()
