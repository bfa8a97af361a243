"""The blocks of the config this plugin reads, declared as schemas, and the node paths it uses.

``settings: winrm:`` holds the Hyper-V host settings for every node
(:data:`hvrt.nodestate.HOST_FIELDS`) and the pre-flight limits; a node's ``hyperv:``
block (:data:`hvrt.nodestate.HYPERV`) overrides the host settings for that node; the
``winrm:`` block of a host is :data:`hvrt_winrm.options.WINRM`. What a node gets from
them and from the scenario is computed in the core (:mod:`hvrt.nodestate`), the same
for every configurator; this module only names where things live on the node.
"""
from __future__ import annotations

from typing import Any

from hvrt import hookimpl
from hvrt.config.model import Host
from hvrt.config.schema import Block, Field
from hvrt.errors import ConfigurationFailed
from hvrt.nodestate import (
    CONFIG_DIR,
    HOST_FIELDS,
    HYPERV,
    INSTALL_DIR,
    LOG_DIR,
    PRODUCT,
    is_windows_path,
    settings_of,
)
from hvrt_winrm.options import WINRM

__all__ = ["CONFIG_DIR", "CONFIG_FILES", "HOST_FIELDS", "HYPERV", "INSTALL_DIR", "LOG_DIR", "MSI_LOG", "PRODUCT",
           "SETTINGS", "WORK_DIR", "check_ini_name", "host_settings"]

WORK_DIR = "C:\\ProgramData\\hvrt"
MSI_LOG = WORK_DIR + "\\logs\\msi-install.log"
CONFIG_FILES = {name: CONFIG_DIR + "\\" + name
                for name in ("nova.conf", "neutron_hyperv_agent.conf", "neutron_ovs_agent.conf")}

SETTINGS = Block("settings", "winrm", (
    *HOST_FIELDS,
    Field("max_clock_skew", "number", default=300.0, minimum=1, maximum=3600,
          doc="seconds a node's clock may differ from the runner's"),
    Field("min_free_disk_gb", "number", default=20.0, minimum=0,
          doc="free disk a node needs"),
), doc="the WinRM configurator and pre-flight checks")


def host_settings(node: Host, plugin_settings: dict[str, Any]) -> dict[str, Any]:
    """Plugin-wide ``settings: winrm:`` values, overridden by the node's ``hyperv:`` options."""
    return settings_of(node, plugin_settings)


def check_ini_name(fname: str, node: str) -> None:
    """An INI file this configurator can write: a plain name (in the install folder's ``etc``)
    or an absolute ``C:\\`` path."""
    if is_windows_path(fname) and ".." not in fname.split("\\"):
        return
    if "\\" in fname or "/" in fname or ":" in fname or fname in ("", ".", ".."):
        raise ConfigurationFailed(f"INI override file {fname!r}: give a known name or an absolute C:\\ path",
                                  host=node, step="ini")


@hookimpl
def hvrt_config_schema() -> list[Block]:
    """The blocks the winrm plugin reads: ``settings.winrm`` and the ``winrm:``, ``hyperv:`` host blocks."""
    return [SETTINGS, WINRM, HYPERV]
