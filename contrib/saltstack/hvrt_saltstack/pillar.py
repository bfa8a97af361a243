"""The pillar hvrt hands to Salt for one node of one scenario (pure functions).

Everything the ``hvrt.compute`` states need travels as pillar data under the key
``hvrt``, taken from the node's :class:`~hvrt.nodestate.NodeState` (computed once in
the core, the same the winrm configurator applies): the installer (where the MSI is
on the node, its features, optional features and properties), the INI files (full
path -> section -> key -> value), the virtual switch, live migration (only when the
state manages it) and the services; ``state`` is the state's JSON form (secrets
masked) for site states. The states only ever print these values through
``tojson``, so no value from the config can change what a state does. The node's
``salt.pillar`` block is merged last.
"""
from __future__ import annotations

import json
import re
from typing import Any

from hvrt.config.model import Host, Installer, Secret
from hvrt.errors import ConfigurationFailed
from hvrt.nodestate import NodeState
from hvrt_saltstack.options import SaltOptions

MSI_PROPERTY = re.compile(r"\A[A-Z][A-Z0-9_.]*\Z")
SECRET_KEY = re.compile(r"(?i)passw(or)?d|secret|token|credential|private_key|auth_key")
MASK = "***"
_WINDOWS_ABSOLUTE = re.compile(r"\A[A-Za-z]:\\")


def ini_path(fname: str, config_dir: str | None, options: SaltOptions, node: str) -> str:
    """Where an INI file named in the profile lives on the node."""
    absolute = _WINDOWS_ABSOLUTE.match(fname) if options.windows else fname.startswith("/")
    if absolute:
        return fname
    if "/" in fname or "\\" in fname or fname in ("", ".", ".."):
        raise ConfigurationFailed(
            f"INI override file {fname!r}: give a file name or an absolute path", host=node, step="configure"
        )
    if not config_dir:
        raise ConfigurationFailed(
            f"INI override file {fname!r} needs salt.config_dir on this node", host=node, step="configure"
        )
    return str(options.remote_path(config_dir, fname))


def config_dir(state: NodeState, node: Host, options: SaltOptions) -> str | None:
    """The node's ``salt.config_dir`` when written, else the state's on Windows (where the MSI puts it)."""
    written = (node.options.get("salt") or {}).get("config_dir")
    if written:
        return str(written)
    return state.config_dir if options.windows else options.config_dir


def ini_files(state: NodeState, node: Host, options: SaltOptions) -> dict[str, dict[str, dict[str, str]]]:
    folder = config_dir(state, node, options)
    return {ini_path(fname, folder, options, node.name): ini.values() for fname, ini in state.ini.items()}


def installer_data(state: NodeState, installer: Installer, options: SaltOptions, node_path: str | None,
                   source: str | None, node: str, sha256: str | None = None) -> dict[str, Any]:
    """``hvrt:installer``; empty when the release names no MSI or the node is not Windows."""
    if not options.windows or not (node_path or source):
        return {}
    properties = state.msi_properties()
    bad = [name for name in properties if not MSI_PROPERTY.match(str(name))]
    if bad:
        raise ConfigurationFailed(
            f"installer property {bad[0]!r} is not a public MSI property (upper case)", host=node,
            step="configure",
        )
    workdir = options.workdir or ""
    data: dict[str, Any] = {
        "path": node_path or str(options.remote_path(workdir, "installer.msi")),
        "product": options.product,
        "features": list(state.features),
        "optional_features": list(state.optional_features),
        "properties": properties,
        "log": str(options.remote_path(workdir, "msi-install.log")),
        "uninstall_log": str(options.remote_path(workdir, "msi-uninstall.log")),
        "timeout": int(options.timeout),
    }
    digest = sha256 or installer.sha256
    if digest:
        data["sha256"] = digest.lower()  # checked on the node before msiexec starts
    if source and not node_path:
        data["source"] = source
    return data


def live_migration(state: NodeState, options: SaltOptions) -> dict[str, Any] | None:
    """What the live migration state sets; ``None`` when hvrt leaves migration alone (the node's
    ``salt.live_migration`` block, when written, applies all the same)."""
    wanted = state.live_migration
    if not wanted.managed and not options.live_migration:
        return None
    data: dict[str, Any] = {"enabled": wanted.enabled, "authentication": wanted.authentication,
                            "max_migrations": wanted.max_migrations, "networks": list(wanted.networks)}
    data.update(options.live_migration)
    return data


def services(state: NodeState, node: Host, options: SaltOptions) -> list[str]:
    written = (node.options.get("salt") or {}).get("services")
    if written is not None:
        return [str(s) for s in written]
    return list(state.services) if options.windows else list(options.services)


def build(
    *, state: NodeState, node: Host, options: SaltOptions, installer: Installer,
    installer_path: str | None = None, installer_source: str | None = None, installer_sha256: str | None = None,
) -> dict[str, Any]:
    """The whole pillar (``{"hvrt": {...}}``) for one node of one scenario."""
    files = ini_files(state, node, options)
    dirs = {path: str(options.remote_path(path).parent) for path in files}
    switch = state.vswitch
    data: dict[str, Any] = {
        "scenario": state.scenario,
        "profile": state.profile,
        "node": node.name,
        "os": state.os,
        "platform": options.platform,
        "installer": installer_data(state, installer, options, installer_path, installer_source, node.name,
                                    installer_sha256),
        "ini": files,
        "ini_dirs": sorted(set(dirs.values())),
        "ini_dirs_of": dirs,
        "vswitch": {"name": switch.name, "type": switch.type, "create": switch.create, "adapter": switch.adapter,
                    "allow_management_os": switch.allow_management_os},
        "live_migration": live_migration(state, options),
        "services": services(state, node, options),
        "state": state.to_dict(),
    }
    data.update(options.pillar)
    return {"hvrt": data}


def masked(data: Any) -> Any:
    """A copy of the pillar for the results: values of password-like keys masked."""
    if isinstance(data, dict):
        return {k: MASK if SECRET_KEY.search(str(k)) and isinstance(v, (str, Secret)) else masked(v)
                for k, v in data.items()}
    if isinstance(data, list):
        return [masked(v) for v in data]
    return data


def pillar_file(pillar: dict[str, Any]) -> str:
    """A pillar SLS that Salt reads with its JSON renderer: no Jinja, no YAML tags."""
    return "#!json\n" + json.dumps(pillar, indent=2, sort_keys=True) + "\n"


PILLAR_TOP = "base:\n  '*':\n    - hvrt_scenario\n"
"""The pillar top file that gives every minion the generated ``hvrt_scenario`` pillar."""
