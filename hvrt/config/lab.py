"""The ``lab:`` section: DevStack controllers and Hyper-V compute nodes.

Nodes default to the ``winrm`` transport and configurator; controllers to ``ssh``.
A host's name is one safe path element (results are filed under it) and its address
an IP address or host name; two hosts reached at the same address, port and
transport are an error. Per-tool blocks (``winrm:``, ``ssh:``, ``salt:``, ...) are the
blocks plugins declare (:mod:`hvrt.config.registry`); each is checked against its
declaration and kept in ``Host.options`` for the plugin. A block named after a
plugin that declares nothing is kept unchecked (with a warning when the config does
not enable that plugin); any other key is an error with a "did you mean".
"""
from __future__ import annotations

import ipaddress
from pathlib import Path

from hvrt.config.check import (
    Problems,
    as_map,
    check_keys,
    did_you_mean,
    read_enum,
    read_int,
    read_str,
    scalar_str,
    type_name,
)
from hvrt.config.model import HYPERV_OS, TRANSPORTS, Host, Secret
from hvrt.config.registry import Schemas
from hvrt.config.schema import validate
from hvrt.config.secrets import SecretStore
from hvrt.config.values import address as address_problem
from hvrt.config.values import host_name, path
from hvrt.config.yamlsrc import LMap
from hvrt.leases import url as lease_url

HOST_KEYS = ("address", "port", "transport", "user", "password", "key_file", "labels")
NODE_KEYS = (*HOST_KEYS, "configurator")
LAB_KEYS = ("controllers", "nodes", "coordination")


def read_lab(lab: LMap, p: Problems, store: SecretStore, base_dir: Path,
             schemas: Schemas | None = None) -> tuple[dict[str, Host], dict[str, Host]]:
    """Controllers and nodes of the lab, in the order the file lists them."""
    schemas = schemas or Schemas()
    check_keys(lab, LAB_KEYS, p)
    groups: dict[str, dict[str, Host]] = {"controllers": {}, "nodes": {}}
    for group, role in (("controllers", "controller"), ("nodes", "node")):
        meta = lab.meta_of(group)
        hosts = as_map(lab.get(group), meta, p)
        if not hosts:
            p.error(f"the lab needs at least one {role}", meta.source if group in lab else lab.source, meta.path)
            continue
        for name, body in hosts.items():
            host = _read_host(name, role, body, hosts, p, store, base_dir, schemas)
            if host is not None:
                groups[group][name] = host
    nodes_map = lab.get("nodes")
    for name in groups["controllers"].keys() & groups["nodes"].keys():
        meta = nodes_map.meta_of(name)  # both groups read, so ``nodes`` is a mapping
        p.error("a host cannot be both a controller and a node", meta.key_source, meta.path)
    _check_addresses([*groups["controllers"].values(), *groups["nodes"].values()], lab, p)
    return groups["controllers"], groups["nodes"]


def read_coordination(lab: LMap, p: Problems, store: SecretStore) -> str | None:
    """``lab.coordination``: the tooz URL of the host leases (:mod:`hvrt.leases.url`).

    Written out, or as a ``${env:...}``/``${file:...}`` reference, which a URL holding
    a password must be. ``$HVRT_COORDINATION``, which overrides it at run time, is
    checked here too, so a bad one stops the load rather than the run.
    """
    found: str | None = None
    if lab.get("coordination") is not None:
        meta = lab.meta_of("coordination")
        value = lab["coordination"]
        text = store.reference(value, meta) if isinstance(value, str) else None
        if not isinstance(value, str):
            p.error(f"expected a coordination URL, got {type_name(value)}", meta.source, meta.path)
        elif text is not None:
            url = text.reveal() if isinstance(text, Secret) else text
            bad = lease_url.problem(url, from_secret=isinstance(text, Secret))
            if bad is None:
                found = url
            else:
                p.error(bad, meta.source, meta.path)
    env = store.environ.get(lease_url.ENV)
    bad_env = lease_url.problem(env, from_secret=True) if env else None
    if bad_env is not None:
        p.error(f"${lease_url.ENV} (which overrides lab.coordination) {bad_env}", lab.source, "lab.coordination")
    return found


def _check_addresses(hosts: list[Host], lab: LMap, p: Problems) -> None:
    """Two hosts reached at one address, port and transport would be leased as two machines."""
    seen: dict[tuple[str, int | None, str], Host] = {}
    for host in hosts:
        if host.transport == "local" or not host.address:
            continue
        block = host.options.get(host.transport)
        port = host.port or (block.get("port") if isinstance(block, dict) else None)
        key = (_normal_address(host.address), port if isinstance(port, int) else None, host.transport)
        first = seen.setdefault(key, host)
        if first is host:
            continue
        group = lab.get("nodes" if host.role == "node" else "controllers")
        meta = group.meta_of(host.name).path if isinstance(group, LMap) else host.name
        where = f" (line {first.source.line})" if first.source else ""
        p.error(f"address {host.address} is also the address of host '{first.name}'{where}; "
                "give each host its own address or port", host.source or lab.source, f"{meta}.address")


def _normal_address(text: str) -> str:
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return text.lower().rstrip(".")


def _read_host(name: str, role: str, body: object, parent: LMap, p: Problems,
               store: SecretStore, base_dir: Path, schemas: Schemas) -> Host | None:
    meta = parent.meta_of(name)
    bad_name = host_name(name)
    if bad_name is not None:
        p.error(f"bad host name {name!r}: {bad_name}", meta.key_source, meta.path)
        return None
    m = as_map(body, meta, p, allow_null=False)
    if m is None:
        return None
    default_transport = "winrm" if role == "node" else "ssh"
    transport = read_enum(m, "transport", p, TRANSPORTS, default_transport)
    blocks = _read_blocks(m, role, transport, p, schemas)
    address = read_str(m, "address", p, required=True)
    if address is not None:
        _located_rule(m, "address", address_problem(address), p)
    user = read_str(m, "user", p)
    if user is not None and user.startswith("-"):
        _located_rule(m, "user", "must not start with '-'", p)
    key_file = read_str(m, "key_file", p)
    if key_file is not None and _located_rule(m, "key_file", path(key_file), p):
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
        options={k: store.plain(m[k], m.meta_of(k)) or {} for k in blocks},
        source=meta.key_source,
    )


def _located_rule(m: LMap, key: str, problem: str | None, p: Problems) -> bool:
    if problem is None:
        return True
    meta = m.meta_of(key)
    p.error(problem, meta.source, meta.path)
    return False


def _read_blocks(m: LMap, role: str, transport: str, p: Problems, schemas: Schemas) -> list[str]:
    """Check the host's tool blocks; return the keys that are blocks, in file order."""
    own = NODE_KEYS if role == "node" else HOST_KEYS
    declared = tuple(schemas.hosts[role])
    blocks = []
    for key in m:
        if key in own:
            continue
        meta = m.meta_of(key)
        block = schemas.host_block(role, key)
        other = "controller" if role == "node" else "node"
        if block is not None:
            validate(block, m[key], meta, p, transport=transport)
        elif schemas.host_block(other, key) is not None:
            p.error(f"unknown key: '{key}:' is a block of {other}s only", meta.key_source, meta.path)
            continue
        elif key in schemas.plugins:
            pass  # the plugin reads it but declares no schema
        elif key in schemas.installed:
            enabled = ", ".join(sorted(schemas.plugins & schemas.installed)) or "none"
            p.warn(f"plugin '{key}' is installed but not enabled (enabled: {enabled}), so nothing reads "
                   f"or checks this block; add it to plugins:", meta.key_source, meta.path)
        else:
            choices = (*own, *declared)
            hint = did_you_mean(key, choices) or f" (allowed: {', '.join(choices)})"
            p.error(f"unknown key{hint}", meta.key_source, meta.path)
            continue
        if m[key] is None or as_map(m[key], meta, p) is not None:
            blocks.append(key)
    return blocks


def host_path(host: Host) -> str:
    """The key path of a host in the config (``lab.nodes.hv1``)."""
    return f"lab.{'nodes' if host.role == 'node' else 'controllers'}.{host.name}"



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
