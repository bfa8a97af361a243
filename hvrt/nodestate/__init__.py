"""What a Hyper-V node gets in a scenario, computed once in the core.

:func:`build` turns (config, profile, node, controller) into a :class:`NodeState`:
MSI features and properties, INI files (file -> section -> key -> value, each with
its origin), the virtual switch, live migration and the services that must run.
The winrm configurator applies it directly, the salt configurator through its
pillar and the puppet configurator through its Hiera data, so the three give a node
the same values. :meth:`NodeState.to_dict` is its JSON form with every secret
masked (documented in ``docs/node-state.md``).
"""
from __future__ import annotations

from hvrt.nodestate.build import (
    CONFIG_DIR,
    FEATURE_SERVICES,
    INSTALL_DIR,
    LOG_DIR,
    PRODUCT,
    build,
    config_path,
    for_context,
    identity_url,
    is_windows_path,
)
from hvrt.nodestate.host import HOST_FIELDS, HYPERV, NODE_FIELDS, host_settings, settings_of
from hvrt.nodestate.state import MASK, IniFile, IniValue, LiveMigration, NodeState, VSwitch

__all__ = [
    "CONFIG_DIR", "FEATURE_SERVICES", "HOST_FIELDS", "HYPERV", "INSTALL_DIR", "LOG_DIR", "MASK", "NODE_FIELDS",
    "PRODUCT", "IniFile", "IniValue", "LiveMigration", "NodeState", "VSwitch", "build", "config_path",
    "for_context", "host_settings", "identity_url", "is_windows_path", "settings_of",
]
