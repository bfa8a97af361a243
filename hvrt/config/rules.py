"""Cross-field rules a runnable (non-abstract) profile must satisfy, and the lab fit.

The Hyper-V facts behind the rules:

* ``utils_api: v1`` is the WMI ``root\\virtualization`` (v1) namespace, which Windows
  Server 2012 R2 removed: v1 needs os 2008r2 or 2012.
* Generation 2 VMs exist from Windows Server 2012 R2 and boot only from VHDX.
* RemoteFX vGPU exists on 2008r2 (SP1) through 2016 and was removed afterwards; a
  generation 2 VM gets RemoteFX only from 2016.
* Live migration needs two compute nodes; dynamic memory needs a ratio above 1.0.
* ``tunnel_endpoint`` only means something for ``ovs-vxlan``.
"""
from __future__ import annotations

from collections.abc import Callable

from hvrt.config.check import Problems, did_you_mean
from hvrt.config.model import HYPERV_OS, Host, Profile
from hvrt.config.yamlsrc import LMap, Meta, join

REMOTEFX_OS = ("2008r2", "2012", "2012r2", "2016")
UTILS_V1_OS = ("2008r2", "2012")


def os_at_least(os_name: str, minimum: str) -> bool:
    return HYPERV_OS.index(os_name) >= HYPERV_OS.index(minimum)


def candidate_nodes(profile: Profile, nodes: dict[str, Host]) -> tuple[str, ...]:
    """Pinned hosts, else every node whose ``os`` label is the profile's os (config order)."""
    if profile.hosts:
        return tuple(profile.hosts)
    return tuple(name for name, host in nodes.items() if host.os == profile.os)


def check_profile(profile: Profile, merged: LMap, defined: Meta, p: Problems,
                  nodes: dict[str, Host], controllers: dict[str, Host]) -> None:
    """Record every rule the profile breaks, located at the field (or the profile's name)."""
    where = _locator(merged, defined)

    def err(field: str, message: str) -> None:
        meta = where(field)
        own = f"profiles.{profile.name}"
        if meta.path != own and not meta.path.startswith(own + "."):
            message += f" (in profile '{profile.name}')"
        p.error(message, meta.source, meta.path)

    _check_nodes(profile, err, nodes)
    if profile.controller is not None and profile.controller not in controllers:
        err("controller", f"unknown controller '{profile.controller}'{did_you_mean(profile.controller, controllers)}"
            f" (the lab's controllers: {', '.join(controllers)})")
    memory = profile.memory
    ratio_written = isinstance(merged.get("memory"), LMap) and merged["memory"].get("dynamic_ratio") is not None
    if memory.mode == "dynamic" and memory.dynamic_ratio is None and not ratio_written:
        err("memory", "dynamic memory needs memory.dynamic_ratio (a number above 1.0, e.g. 1.5)")
    if memory.mode == "fixed" and memory.dynamic_ratio is not None:
        err("memory", "memory.dynamic_ratio only applies to mode: dynamic")
    if profile.utils_api == "v1" and profile.os not in UTILS_V1_OS:
        err("utils_api", f"utils_api v1 needs os {' or '.join(UTILS_V1_OS)}; "
            f"Windows Server {profile.os} has no v1 virtualization WMI namespace")
    if profile.vm_generation == 2:
        if not os_at_least(profile.os, "2012r2"):
            err("vm_generation", f"generation 2 VMs need os 2012r2 or later, not {profile.os}")
        if profile.image.format != "vhdx":
            err("vm_generation", "generation 2 VMs boot only from VHDX images (image.format: vhdx)")
    if profile.remotefx:
        if profile.os not in REMOTEFX_OS:
            err("remotefx", f"RemoteFX needs os {', '.join(REMOTEFX_OS)}; it was removed after 2016")
        elif profile.vm_generation == 2 and profile.os != "2016":
            err("remotefx", "RemoteFX on generation 2 VMs needs os 2016")
    for field, url in (("url", profile.image.url), ("heat_url", profile.image.heat_url)):
        written = _url_format(url)
        if written is not None and written != profile.image.format:
            err("image", f"image.{field} names a {written.upper()} file but image.format is {profile.image.format}")
    if profile.network.tunnel_endpoint and profile.network.type != "ovs-vxlan":
        err("network", "network.tunnel_endpoint only applies to network type ovs-vxlan")


def _url_format(url: str | None) -> str | None:
    """``vhd`` or ``vhdx`` when a URL's file name says so (``.vhd``, ``.vhdx.gz``)."""
    if not url:
        return None
    name = url.rsplit("/", 1)[-1].lower().removesuffix(".gz").removesuffix(".zip")
    for fmt in ("vhdx", "vhd"):
        if name.endswith(f".{fmt}"):
            return fmt
    return None


def _check_nodes(profile: Profile, err: Callable[[str, str], None], nodes: dict[str, Host]) -> None:
    hosts, count = profile.hosts, profile.node_count
    if hosts and count is not None and count != len(hosts):
        err("node_count", f"node_count is {count} but {len(hosts)} hosts are pinned")
    if profile.live_migration and profile.nodes_needed < 2:
        have = f"pins 1 host ({hosts[0]})" if hosts else f"has node_count {count}"
        err("live_migration", f"live migration needs 2 nodes, but the profile {have}")
    for host in hosts:
        label = nodes[host].os if host in nodes else None
        if label is not None and label != profile.os:
            err("hosts", f"node '{host}' runs os {label}, the profile wants {profile.os}")
    for host in profile.ini:
        if host != "*" and host in nodes and hosts and host not in hosts:
            err("ini", f"INI overrides for '{host}', which is not one of the pinned hosts ({', '.join(hosts)})")
    if not hosts:
        found = candidate_nodes(profile, nodes)
        if len(found) < profile.nodes_needed:
            listed = f" ({', '.join(found)})" if found else ""
            err("os", f"needs {profile.nodes_needed} node(s) labelled os: {profile.os}; "
                f"the lab has {len(found)}{listed}")


def _locator(merged: LMap, defined: Meta) -> Callable[[str], Meta]:
    """Where to point for a field: where it was written, else at the profile's name."""

    def where(field: str) -> Meta:
        if field in merged.meta:
            return merged.meta[field]
        return Meta(join(defined.path, field), defined.key_source, defined.key_source)

    return where
