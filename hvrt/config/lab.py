"""The ``lab:`` section: DevStack controllers and Hyper-V compute nodes.

Nodes default to the ``winrm`` transport and configurator; controllers to ``ssh``.
Per-tool blocks (``winrm:``, ``ssh:``, ``salt:``, ``puppet:``) are kept as free-form
``Host.options`` for the plugin that uses them to validate.
"""
from __future__ import annotations

from pathlib import Path

from hvrt.config.check import (
    Problems,
    as_map,
    check_keys,
    read_enum,
    read_int,
    read_str,
    scalar_str,
)
from hvrt.config.model import HYPERV_OS, TRANSPORTS, Host
from hvrt.config.secrets import SecretStore
from hvrt.config.yamlsrc import LMap

OPTION_BLOCKS = ("winrm", "ssh", "salt", "puppet", "devstack")
HOST_KEYS = ("address", "port", "transport", "user", "password", "key_file", "labels", *OPTION_BLOCKS)
NODE_KEYS = (*HOST_KEYS, "configurator")
LAB_KEYS = ("controllers", "nodes")


def read_lab(lab: LMap, p: Problems, store: SecretStore, base_dir: Path) -> tuple[dict[str, Host], dict[str, Host]]:
    """Controllers and nodes of the lab, in the order the file lists them."""
    check_keys(lab, LAB_KEYS, p)
    groups: dict[str, dict[str, Host]] = {"controllers": {}, "nodes": {}}
    for group, role in (("controllers", "controller"), ("nodes", "node")):
        meta = lab.meta_of(group)
        hosts = as_map(lab.get(group), meta, p)
        if not hosts:
            p.error(f"the lab needs at least one {role}", meta.source if group in lab else lab.source, meta.path)
            continue
        for name, body in hosts.items():
            host = _read_host(name, role, body, hosts, p, store, base_dir)
            if host is not None:
                groups[group][name] = host
    nodes_map = lab.get("nodes")
    for name in groups["controllers"].keys() & groups["nodes"].keys():
        meta = nodes_map.meta_of(name)  # both groups read, so ``nodes`` is a mapping
        p.error("a host cannot be both a controller and a node", meta.key_source, meta.path)
    return groups["controllers"], groups["nodes"]


def _read_host(name: str, role: str, body: object, parent: LMap, p: Problems,
               store: SecretStore, base_dir: Path) -> Host | None:
    meta = parent.meta_of(name)
    m = as_map(body, meta, p, allow_null=False)
    if m is None:
        return None
    check_keys(m, NODE_KEYS if role == "node" else HOST_KEYS, p)
    address = read_str(m, "address", p, required=True)
    default_transport = "winrm" if role == "node" else "ssh"
    transport = read_enum(m, "transport", p, TRANSPORTS, default_transport)
    key_file = read_str(m, "key_file", p)
    if key_file is not None:
        key_file = str((base_dir / Path(key_file).expanduser()).resolve())
    return Host(
        name=name,
        role="node" if role == "node" else "controller",
        address=address or "",
        transport=transport,
        port=read_int(m, "port", p, None, minimum=1, maximum=65535),
        user=read_str(m, "user", p),
        password=store.credential(m, "password"),
        key_file=key_file,
        labels=_read_labels(m, role, p),
        configurator=(read_str(m, "configurator", p, "winrm") or "winrm"),
        options={k: store.plain(m[k], m.meta_of(k)) or {} for k in OPTION_BLOCKS if k in m},
        source=meta.key_source,
    )


def _read_labels(m: LMap, role: str, p: Problems) -> dict[str, str]:
    labels = as_map(m.get("labels"), m.meta_of("labels"), p)
    if labels is None:
        return {}
    out: dict[str, str] = {}
    for key, value in labels.items():
        meta = labels.meta_of(key)
        if key == "os" and role == "node":
            os_name = read_enum(labels, "os", p, HYPERV_OS, None)
            if os_name is not None:
                out["os"] = os_name
            continue
        text = scalar_str(value, meta, p) if value is not None else None
        if text is not None:
            out[str(key)] = text
    return out
