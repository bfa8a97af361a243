"""The pillar hvrt hands to Salt for one node of one scenario (pure functions).

Everything the ``hvrt.compute`` states need travels as pillar data under the key
``hvrt``: the installer (where the MSI is on the node, its features and
properties), the INI files (full path -> section -> key -> value, from the
profile's overrides for this node), live migration and the services. The states
only ever print these values through ``tojson``, so no value from the config can
change what a state does. The node's ``salt.pillar`` block is merged last.
"""
from __future__ import annotations

import json
import re
from typing import Any

from hvrt.config.model import Host, Installer, Profile, Secret
from hvrt.errors import ConfigurationFailed
from hvrt.ini import merge_sections
from hvrt_saltstack.options import SaltOptions

MSI_PROPERTY = re.compile(r"\A[A-Z][A-Z0-9_.]*\Z")
SECRET_KEY = re.compile(r"(?i)passw(or)?d|secret|token|credential|private_key|auth_key")
MASK = "***"
_WINDOWS_ABSOLUTE = re.compile(r"\A[A-Za-z]:\\")


def ini_value(value: object) -> str:
    """An INI value as text; booleans the way oslo.config writes them."""
    if isinstance(value, Secret):
        return value.reveal()
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def ini_path(fname: str, options: SaltOptions, node: str) -> str:
    """Where an INI file named in the profile lives on the node."""
    absolute = _WINDOWS_ABSOLUTE.match(fname) if options.windows else fname.startswith("/")
    if absolute:
        return fname
    if "/" in fname or "\\" in fname or fname in ("", ".", ".."):
        raise ConfigurationFailed(
            f"INI override file {fname!r}: give a file name or an absolute path", host=node, step="configure"
        )
    if not options.config_dir:
        raise ConfigurationFailed(
            f"INI override file {fname!r} needs salt.config_dir on this node", host=node, step="configure"
        )
    return str(options.remote_path(options.config_dir, fname))


def ini_files(profile: Profile, node: str, options: SaltOptions) -> dict[str, dict[str, dict[str, str]]]:
    """``path -> section -> key -> value`` for the node; spellings of one oslo.config group
    (``OVS``/``ovs``) merged into one section (:func:`hvrt.ini.merge_sections`), so that
    ``ini.sls`` can match each section to the file's own spelling of the group."""
    return {
        ini_path(fname, options, node): merge_sections(
            {str(section): {str(key): ini_value(value) for key, value in values.items()}
             for section, values in sections.items()},
            file=fname, host=node)
        for fname, sections in profile.ini_for(node).items()
    }


def installer_data(installer: Installer, options: SaltOptions, node_path: str | None,
                   source: str | None, node: str) -> dict[str, Any]:
    """``hvrt:installer``; empty when the release names no MSI or the node is not Windows."""
    if not options.windows or not (node_path or source):
        return {}
    bad = [name for name in installer.properties if not MSI_PROPERTY.match(str(name))]
    if bad:
        raise ConfigurationFailed(
            f"installer property {bad[0]!r} is not a public MSI property (upper case)", host=node,
            step="configure",
        )
    workdir = options.workdir or ""
    data: dict[str, Any] = {
        "path": node_path or str(options.remote_path(workdir, "installer.msi")),
        "product": options.product,
        "features": list(installer.features),
        "properties": {str(k): str(v) for k, v in installer.properties.items()},
        "log": str(options.remote_path(workdir, "msi-install.log")),
        "uninstall_log": str(options.remote_path(workdir, "msi-uninstall.log")),
        "timeout": int(options.timeout),
    }
    if source and not node_path:
        data["source"] = source
        if installer.sha256:
            data["sha256"] = installer.sha256.lower()
    return data


def live_migration(profile: Profile, options: SaltOptions) -> dict[str, Any]:
    data: dict[str, Any] = {"enabled": profile.live_migration, "authentication": "Kerberos",
                            "max_migrations": 2, "networks": []}
    data.update(options.live_migration)
    return data


def build(
    *, scenario: str, profile: Profile, node: Host, options: SaltOptions, installer: Installer,
    installer_path: str | None = None, installer_source: str | None = None,
) -> dict[str, Any]:
    """The whole pillar (``{"hvrt": {...}}``) for one node of one scenario."""
    files = ini_files(profile, node.name, options)
    dirs = {path: str(options.remote_path(path).parent) for path in files}
    data: dict[str, Any] = {
        "scenario": scenario,
        "profile": profile.name,
        "node": node.name,
        "os": node.os or profile.os,
        "platform": options.platform,
        "installer": installer_data(installer, options, installer_path, installer_source, node.name),
        "ini": files,
        "ini_dirs": sorted(set(dirs.values())),
        "ini_dirs_of": dirs,
        "live_migration": live_migration(profile, options),
        "services": list(options.services),
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
