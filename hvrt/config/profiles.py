"""Turn one merged profile mapping into a typed :class:`~hvrt.config.model.Profile`.

Every key a profile may hold is listed in :data:`PROFILE_SCHEMA` (nested mappings
list their own keys; ``FREE`` marks user-named keys such as INI files or DevStack
variables). Values bound for INI files and local.conf are stored as strings:
YAML booleans become ``True``/``False`` (as the legacy tool wrote them, and as
oslo.config and DevStack read them), numbers keep the text as written.
Cross-field rules live in :mod:`hvrt.config.rules`.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from hvrt.config.check import (
    Problems,
    as_map,
    check_keys,
    did_you_mean,
    read_bool,
    read_enum,
    read_int,
    read_number,
    read_str,
    read_str_list,
    read_str_map,
    setting_text,
)
from hvrt.config.model import (
    HYPERV_OS,
    IMAGE_FORMATS,
    IMAGE_TYPES,
    MEMORY_MODES,
    NETWORK_TYPES,
    STAGE_NAMES,
    UTILS_APIS,
    VM_GENERATIONS,
    Image,
    IniOverrides,
    Memory,
    Network,
    Profile,
    TempestSuite,
)
from hvrt.config.values import MAX_CONCURRENCY, RULES, address, path, profile_name, timeout
from hvrt.config.yamlsrc import LMap, Meta

FREE: dict[str, Any] = {}
"""Marks a mapping whose keys are chosen by the user."""

PROFILE_SCHEMA: dict[str, Any] = {
    "extends": None, "abstract": None, "description": None, "os": None,
    "image": {"format": None, "type": None, "url": None, "heat_url": None},
    "cow": None,
    "network": {"type": None, "vlan_range": None, "physical_network": None, "tunnel_endpoint": None},
    "memory": {"mode": None, "dynamic_ratio": None},
    "utils_api": None, "live_migration": None, "vm_generation": None, "remotefx": None,
    "allow_resize_to_same_host": None, "hosts": None, "node_count": None, "controller": None,
    "configurator": None, "ini": FREE,
    "tempest": {"suite": None, "include": None, "exclude": None, "isolated": None, "skip": FREE,
                "xfail": FREE, "lists_dir": None, "concurrency": None, "max_attempts": None},
    "devstack": FREE, "include_default": None, "timeouts": FREE,
}

VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
VLAN_RANGE = re.compile(r"(\d+):(\d+)")
MAX_ATTEMPTS = 10
MAX_NODES = 256
INI_SECTION_FORBIDDEN = re.compile(r"[\[\]]")
INI_KEY_FORBIDDEN = re.compile(r"[=:\[\]]")


def check_name(name: str, meta: Meta, p: Problems, what: str = "profile name") -> bool:
    """A profile name is one safe path element: its results folder is named after it."""
    problem = profile_name(name)
    if problem is None:
        return True
    p.error(f"bad {what} {name!r}: {problem}", meta.key_source, meta.path)
    return False


def _rule(m: LMap, key: str, text: str | None, problem: str | None, p: Problems) -> str | None:
    if text is None or problem is None:
        return text
    meta = m.meta_of(key)
    p.error(problem, meta.source, meta.path)
    return None


def read_profile(name: str, m: LMap, p: Problems, base_dir: Path, nodes: dict[str, Any],
                 defined: Meta) -> Profile:
    """Read every typed field of one (already merged) profile."""
    check_keys(m, tuple(PROFILE_SCHEMA), p)
    default = Profile(name=name)
    return Profile(
        name=name,
        os=read_enum(m, "os", p, HYPERV_OS, default.os),
        image=_image(m, p),
        cow=bool(read_bool(m, "cow", p, default.cow)),
        network=_network(m, p),
        memory=_memory(m, p),
        utils_api=read_enum(m, "utils_api", p, UTILS_APIS, default.utils_api),
        live_migration=bool(read_bool(m, "live_migration", p, False)),
        vm_generation=read_enum(m, "vm_generation", p, VM_GENERATIONS, default.vm_generation),
        remotefx=bool(read_bool(m, "remotefx", p, False)),
        allow_resize_to_same_host=read_bool(m, "allow_resize_to_same_host", p, None),
        hosts=_hosts(m, p, nodes),
        node_count=read_int(m, "node_count", p, None, minimum=1, maximum=MAX_NODES),
        controller=read_str(m, "controller", p),
        configurator=read_str(m, "configurator", p),
        ini=_ini(m, p, nodes),
        tempest=_tempest(m, p, base_dir),
        devstack_vars=_devstack(m, p),
        include_default=bool(read_bool(m, "include_default", p, True)),
        timeouts=read_timeouts(m, "timeouts", p),
        description=read_str(m, "description", p, "", multiline=True) or "",
        source=defined.key_source,
    )


def _sub(m: LMap, key: str, p: Problems) -> LMap:
    sub = as_map(m.get(key), m.meta_of(key), p)
    if sub is None:
        return LMap(m.meta_of(key).path, m.source)
    check_keys(sub, tuple(PROFILE_SCHEMA[key]) if key in PROFILE_SCHEMA else (), p)
    return sub


def _image(m: LMap, p: Problems) -> Image:
    sub = _sub(m, "image", p)
    d = Image()
    urls = {}
    for key in ("url", "heat_url"):
        text = read_str(sub, key, p)
        urls[key] = _rule(sub, key, text, RULES["url:image"](text) if text is not None else None, p)
    return Image(
        format=read_enum(sub, "format", p, IMAGE_FORMATS, d.format),
        type=read_enum(sub, "type", p, IMAGE_TYPES, d.type),
        url=urls["url"],
        heat_url=urls["heat_url"],
    )


def _network(m: LMap, p: Problems) -> Network:
    sub = _sub(m, "network", p)
    d = Network()
    vlan_range = read_str(sub, "vlan_range", p, d.vlan_range) or d.vlan_range
    match = VLAN_RANGE.fullmatch(vlan_range)
    if match is None or not 1 <= int(match.group(1)) <= int(match.group(2)) <= 4094:
        meta = sub.meta_of("vlan_range")
        p.error(f"expected FIRST:LAST with 1 <= FIRST <= LAST <= 4094, got {vlan_range!r}", meta.source, meta.path)
    endpoint = read_str(sub, "tunnel_endpoint", p)
    return Network(
        type=read_enum(sub, "type", p, NETWORK_TYPES, d.type),
        vlan_range=vlan_range,
        physical_network=read_str(sub, "physical_network", p, d.physical_network) or d.physical_network,
        tunnel_endpoint=_rule(sub, "tunnel_endpoint", endpoint, address(endpoint) if endpoint else None, p),
    )


def _memory(m: LMap, p: Problems) -> Memory:
    sub = _sub(m, "memory", p)
    ratio = read_number(sub, "dynamic_ratio", p, None, above=1.0)
    # a ratio alone implies dynamic memory; an explicit ``mode: fixed`` with a ratio is an error
    default_mode = "dynamic" if ratio is not None else "fixed"
    return Memory(mode=read_enum(sub, "mode", p, MEMORY_MODES, default_mode), dynamic_ratio=ratio)


def _hosts(m: LMap, p: Problems, nodes: dict[str, Any]) -> tuple[str, ...]:
    hosts = read_str_list(m, "hosts", p)
    seen: set[str] = set()
    lst = m.get("hosts")
    metas = getattr(lst, "meta", [])
    for host, meta in zip(hosts, metas, strict=False):
        if host not in nodes:
            p.error(f"unknown node '{host}'{did_you_mean(host, nodes)} (the lab's nodes: "
                    f"{', '.join(nodes) or 'none'})", meta.source, meta.path)
        elif host in seen:
            p.error(f"node '{host}' listed twice", meta.source, meta.path)
        seen.add(host)
    return hosts


def _ini(m: LMap, p: Problems, nodes: dict[str, Any]) -> dict[str, IniOverrides]:
    """``host|"*" -> file -> section -> key -> value`` with values as strings."""
    top = as_map(m.get("ini"), m.meta_of("ini"), p)
    out: dict[str, IniOverrides] = {}
    for host, files in (top or {}).items():
        meta = top.meta_of(host)  # type: ignore[union-attr]
        if host != "*" and host not in nodes:
            p.error(f"unknown node '{host}'{did_you_mean(host, nodes)} (use a node name or \"*\")",
                    meta.key_source, meta.path)
        files_map = as_map(files, meta, p) or {}
        for fname, sections in files_map.items():
            fmeta = files_map.meta_of(fname)  # type: ignore[attr-defined]
            if _ini_name_problem(fname, fmeta, p, "file"):
                continue
            sections_map = as_map(sections, fmeta, p) or {}
            for section, values in sections_map.items():
                smeta = sections_map.meta_of(section)  # type: ignore[attr-defined]
                if _ini_name_problem(section, smeta, p, "section"):
                    continue
                values_map = as_map(values, smeta, p) or {}
                for key, value in values_map.items():
                    vmeta = values_map.meta_of(key)  # type: ignore[attr-defined]
                    if _ini_name_problem(key, vmeta, p, "key"):
                        continue
                    if value is None:
                        p.error("missing value (write '' for an empty string)", vmeta.source, vmeta.path)
                        continue
                    text = setting_text(value, vmeta, p)
                    if text is not None:
                        out.setdefault(host, {}).setdefault(fname, {}).setdefault(section, {})[key] = text
    return out


def _ini_name_problem(name: str, meta: Meta, p: Problems, what: str) -> bool:
    """Record why an INI file, section or key name cannot be written; ``True`` if it cannot."""
    problem = None
    if not name.strip() or name != name.strip():
        problem = f"an INI {what} name must not be empty or start or end with white space"
    elif what == "file" and any(part in (".", "..") for part in re.split(r"[/\\]", name)):
        problem = "an INI file name must not hold '.' or '..' path parts"
    elif what == "section" and INI_SECTION_FORBIDDEN.search(name):
        problem = "an INI section name cannot contain '[' or ']'"
    elif what == "key" and INI_KEY_FORBIDDEN.search(name):
        problem = "an INI key cannot contain '=', ':', '[' or ']'"
    if problem is not None:
        p.error(problem, meta.key_source, meta.path)
    return problem is not None


def _tempest(m: LMap, p: Problems, base_dir: Path) -> TempestSuite:
    sub = _sub(m, "tempest", p)
    d = TempestSuite()
    lists_dir = read_str(sub, "lists_dir", p)
    lists_dir = _rule(sub, "lists_dir", lists_dir, path(lists_dir) if lists_dir is not None else None, p)
    return TempestSuite(
        suite=read_str(sub, "suite", p, d.suite) or d.suite,
        include=read_str_list(sub, "include", p),
        exclude=read_str_list(sub, "exclude", p),
        isolated=read_str_list(sub, "isolated", p),
        skip=read_str_map(sub, "skip", p),
        xfail=read_str_map(sub, "xfail", p),
        lists_dir=str((base_dir / Path(lists_dir).expanduser()).resolve()) if lists_dir else None,
        concurrency=read_int(sub, "concurrency", p, d.concurrency, minimum=1, maximum=MAX_CONCURRENCY)
        or d.concurrency,
        max_attempts=read_int(sub, "max_attempts", p, d.max_attempts, minimum=1, maximum=MAX_ATTEMPTS)
        or d.max_attempts,
    )


def _devstack(m: LMap, p: Problems) -> dict[str, str]:
    values = read_str_map(m, "devstack", p, setting=True)
    sub = m.get("devstack")
    for name in values:
        if not VARIABLE.fullmatch(name):
            meta = sub.meta_of(name)  # type: ignore[union-attr]
            p.error("not a shell variable name (letters, digits and '_')", meta.key_source, meta.path)
    return values


def read_timeouts(m: LMap, key: str, p: Problems) -> dict[str, float]:
    """``stage: seconds`` for stages of :data:`STAGE_NAMES`."""
    sub = as_map(m.get(key), m.meta_of(key), p)
    if sub is None:
        return {}
    check_keys(sub, STAGE_NAMES, p, what="stage")
    out = {}
    for stage in sub:
        if stage in STAGE_NAMES:
            seconds = read_number(sub, stage, p, None)
            problem = timeout(seconds) if seconds is not None else None
            if problem is not None:
                meta = sub.meta_of(stage)
                p.error(problem, meta.source, meta.path)
            elif seconds is not None:
                out[stage] = seconds
    return out
