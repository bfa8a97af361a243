"""The Hyper-V host settings of a node, declared once and read for every configurator.

``settings: winrm:`` holds them for every node (with the WinRM pre-flight limits) and
a node's ``hyperv:`` block overrides them for that node; the ``vswitch:`` mapping is
merged key by key, so a lab-wide ``vswitch: {name: trunk}`` and a node's
``vswitch: {create: external, adapter: Ethernet2}`` combine. Only the node block
takes ``tunnel_address``: it is the node's own and a lab-wide value would give every
node the same VXLAN endpoint.

The winrm, salt and puppet plugins all return :data:`HYPERV` from
``hvrt_config_schema`` (one declaration, kept once by the registry), so the block is
checked when the config loads whichever configurator is enabled.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hvrt.config.model import Config, Host, Source
from hvrt.config.schema import Block, Field, read_block

SWITCH_NAME = r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}"
SWITCH_TYPES = ("external", "internal", "private")
WINDOWS_PATH = r"[A-Za-z]:\\[^\x00-\x1f\"*?<>|]*"
NETBIOS_DOMAIN = r"[A-Za-z0-9][A-Za-z0-9._-]{0,14}"
ACCOUNT = r"[^\x00-\x1f\"/\[\]:;|=,+*?<>]{1,104}"
SETTINGS_PLUGIN = "winrm"
"""The plugin whose ``settings:`` block holds the lab-wide host settings."""

VSWITCH_FIELDS = (
    Field("name", default="external", pattern=SWITCH_NAME,
          pattern_doc="a switch name (letters, digits, ' ', '.', '_', '-')",
          doc="the switch the compute services use; an existing one is used as it is, never changed or removed"),
    Field("create", choices=SWITCH_TYPES,
          doc="create the switch with this type when it is missing (unset: a missing switch is an error); "
              "an existing switch must have this type (unset: external)"),
    Field("adapter", doc="the network adapter a created external switch is bound to"),
    Field("allow_management_os", "boolean", default=True,
          doc="the host keeps a network adapter on a created external switch"),
)
HOST_FIELDS = (
    Field("vswitch", "block", fields=VSWITCH_FIELDS, doc="the Hyper-V virtual switch"),
    Field("instances_path", default="C:\\OpenStack\\Instances", pattern=WINDOWS_PATH,
          pattern_doc="an absolute Windows path (C:\\...)", doc="where Nova keeps instances"),
    Field("live_migration_networks", "list", item=Field("", rule="network"), default=(),
          doc="subnets for live migration (empty: any network)"),
    Field("live_migration_auth", choices=("Kerberos", "CredSSP"), default="Kerberos",
          doc="live migration authentication"),
    Field("max_migrations", "integer", default=8, minimum=1, maximum=64, doc="simultaneous live migrations"),
    Field("max_storage_migrations", "integer", default=8, minimum=1, maximum=64,
          doc="simultaneous storage migrations"),
    Field("domain", pattern=NETBIOS_DOMAIN, pattern_doc="a NetBIOS domain name",
          doc="the Active Directory domain of the node; with live migration nova-compute runs as DOMAIN\\user"),
    Field("clustered", "boolean", default=False,
          doc="a failover-cluster member: its live migration settings are left to the cluster"),
    Field("service_user", pattern=ACCOUNT, pattern_doc="a Windows account name",
          doc="the account nova-compute runs as (default DOMAIN\\user with live migration, else NODE\\user)"),
    Field("service_password", doc="its password, a ${env:...} or ${file:...} reference (default the node's)"),
)
NODE_FIELDS = (
    *HOST_FIELDS,
    Field("tunnel_address", rule="address",
          doc="this node's own tunnel endpoint (OVS local_ip); never the controller's"),
)
HYPERV = Block("node", "hyperv", NODE_FIELDS, doc="Hyper-V host settings of one node (over settings.winrm)")


def merge(*blocks: Mapping[str, Any] | None) -> dict[str, Any]:
    """Written host settings, later blocks first; ``vswitch`` merged key by key."""
    merged: dict[str, Any] = {}
    names = {f.name for f in NODE_FIELDS}
    for block in blocks:
        for key, value in (block or {}).items():
            if key not in names or value is None:
                continue
            if key == "vswitch" and isinstance(value, Mapping):
                merged[key] = {**merged.get(key, {}), **{k: v for k, v in value.items() if v is not None}}
            else:
                merged[key] = value
    return merged


def host_settings(config: Config, node: Host) -> dict[str, Any]:
    """The node's host settings: defaults, then ``settings: winrm:``, then its ``hyperv:`` block."""
    lab_wide = {k: v for k, v in config.plugin_settings(SETTINGS_PLUGIN).items() if k != "tunnel_address"}
    return settings_of(node, lab_wide)


def settings_of(node: Host, lab_wide: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`host_settings` from the ``settings`` block as written; checked against :data:`HYPERV`
    (a host built in code gets the loader's checks too), with the defaults filled in."""
    merged = merge(lab_wide, node.options.get("hyperv") or {})
    out = read_block(HYPERV, merged, path=f"lab.nodes.{node.name}.hyperv",
                     source=node.source or Source("<config>", 0, 0))
    out["live_migration_networks"] = tuple(out["live_migration_networks"] or ())
    return out
