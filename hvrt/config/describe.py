"""Plain (JSON-ready) descriptions of profiles and scenarios for ``hvrt plan`` and ``hvrt profiles``.

Nothing here holds a secret: profiles carry none, and hosts are described by name only.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from hvrt.config.model import Config, Profile, Scenario

LIST_KINDS = ("include", "exclude", "isolated")


def image_text(profile: Profile) -> str:
    return f"{profile.image.format}/{profile.image.type}"


def network_text(profile: Profile) -> str:
    net = profile.network
    if net.type in ("vlan", "ovs-vlan"):
        return f"{net.type} {net.vlan_range} on {net.physical_network}"
    if net.type == "ovs-vxlan" and net.tunnel_endpoint:
        return f"{net.type} (tunnel endpoint {net.tunnel_endpoint})"
    return net.type


def memory_text(profile: Profile) -> str:
    mem = profile.memory
    return f"dynamic (ratio {mem.dynamic_ratio:g})" if mem.dynamic_ratio else mem.mode


def suite_files(profile: Profile) -> dict[str, str]:
    """The list files the suite picks from ``lists_dir`` that exist: kind -> path."""
    lists_dir = profile.tempest.lists_dir
    if not lists_dir:
        return {}
    out = {}
    for kind in LIST_KINDS:
        path = Path(lists_dir) / f"{kind}-tests-{profile.tempest.suite}.txt"
        if path.is_file():
            out[kind] = str(path)
    return out


def profile_dict(profile: Profile) -> dict[str, Any]:
    """Every field of a profile as plain data."""
    t = profile.tempest
    return {
        "name": profile.name, "abstract": profile.abstract, "extends": list(profile.extends),
        "description": profile.description, "os": profile.os,
        "image": {"format": profile.image.format, "type": profile.image.type,
                  "url": profile.image.url, "heat_url": profile.image.heat_url},
        "cow": profile.cow,
        "network": {"type": profile.network.type, "vlan_range": profile.network.vlan_range,
                    "physical_network": profile.network.physical_network,
                    "tunnel_endpoint": profile.network.tunnel_endpoint},
        "memory": {"mode": profile.memory.mode, "dynamic_ratio": profile.memory.dynamic_ratio},
        "utils_api": profile.utils_api, "live_migration": profile.live_migration,
        "vm_generation": profile.vm_generation, "remotefx": profile.remotefx,
        "allow_resize_to_same_host": profile.allow_resize_to_same_host,
        "hosts": list(profile.hosts), "node_count": profile.node_count,
        "nodes_needed": profile.nodes_needed, "controller": profile.controller,
        "configurator": profile.configurator,
        "tempest": {"suite": t.suite, "include": list(t.include), "exclude": list(t.exclude),
                    "isolated": list(t.isolated), "skip": dict(t.skip), "xfail": dict(t.xfail),
                    "lists_dir": t.lists_dir, "list_files": suite_files(profile),
                    "concurrency": t.concurrency, "max_attempts": t.max_attempts},
        "devstack": dict(profile.devstack_vars), "include_default": profile.include_default,
        "timeouts": dict(profile.timeouts), "ini": profile.ini,
    }


def configurator_of(config: Config, profile: Profile, node: str) -> str:
    if profile.configurator:
        return profile.configurator
    host = config.nodes.get(node)
    return host.configurator if host else "winrm"


def scenario_dict(config: Config, scenario: Scenario) -> dict[str, Any]:
    """A scenario as ``hvrt plan --json`` shows it: the profile plus what it needs from the lab.

    ``ini`` maps each candidate node to the overrides it would get (``"*"`` merged in).
    """
    profile = scenario.profile
    return {
        "name": scenario.name,
        "nodes_needed": scenario.nodes_needed,
        "candidate_nodes": list(scenario.candidate_nodes),
        "candidate_controllers": list(scenario.candidate_controllers),
        "configurators": {n: configurator_of(config, profile, n) for n in scenario.candidate_nodes},
        "ini_by_node": {n: profile.ini_for(n) for n in scenario.candidate_nodes if profile.ini_for(n)},
        "profile": profile_dict(profile),
    }
