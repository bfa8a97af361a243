"""What the configurator writes on a node, derived from the scenario (pure functions),
and the blocks of the config this plugin reads, declared as schemas.

Kept apart from the code that talks to the node so the mapping from seed dimensions
to installer features, MSI properties and INI values can be read (and tested) alone.
``settings: winrm:`` holds the Hyper-V host settings for every node and the
pre-flight limits; a node's ``hyperv:`` block overrides the host settings for that
node; the ``winrm:`` block of a host is :data:`hvrt_winrm.options.WINRM`.
"""
from __future__ import annotations

from typing import Any

from hvrt import hookimpl
from hvrt.config.model import Host, Profile
from hvrt.config.schema import Block, Field
from hvrt.errors import ConfigurationFailed
from hvrt_winrm.options import WINRM

PRODUCT = "OpenStack Hyper-V Nova Compute"
INSTALL_DIR = "C:\\Program Files\\Cloudbase Solutions\\OpenStack\\Nova"
LOG_DIR = INSTALL_DIR + "\\Log"
WORK_DIR = "C:\\ProgramData\\hvrt"
MSI_LOG = WORK_DIR + "\\logs\\msi-install.log"
CONFIG_FILES = {
    "nova.conf": INSTALL_DIR + "\\etc\\nova.conf",
    "neutron_hyperv_agent.conf": INSTALL_DIR + "\\etc\\neutron_hyperv_agent.conf",
    "neutron_ovs_agent.conf": INSTALL_DIR + "\\etc\\neutron_ovs_agent.conf",
}
FEATURE_SERVICES = {
    "HyperVNovaCompute": ["nova-compute"],
    "NeutronHyperVAgent": ["neutron-hyperv-agent"],
    "NeutronOVSAgent": ["neutron-ovs-agent"],
}
GEN2_RELEASES = ("2012r2", "2016", "2019", "2022", "2025")
WINDOWS_PATH = r"[A-Za-z]:\\[^\x00-\x1f\"*?<>|]*"

HOST_FIELDS = (
    Field("vswitch_name", default="external", pattern=r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}",
          pattern_doc="a switch name (letters, digits, ' ', '.', '_', '-')", doc="the Hyper-V virtual switch"),
    Field("vswitch_type", choices=("External", "Internal", "Private"), default="Internal",
          doc="switch type; External needs vswitch_adapter"),
    Field("vswitch_adapter", doc="network adapter of an External switch"),
    Field("live_migration_networks", "list", item=Field("", rule="network"), default=(),
          doc="subnets for live migration (empty: any network)"),
    Field("live_migration_auth", choices=("Kerberos", "CredSSP"), default="Kerberos",
          doc="live migration authentication"),
    Field("max_migrations", "integer", default=2, minimum=1, maximum=64, doc="simultaneous live migrations"),
    Field("instances_path", default="C:\\OpenStack\\Instances", pattern=WINDOWS_PATH,
          pattern_doc="an absolute Windows path (C:\\...)", doc="where Nova keeps instances"),
)
HYPERV = Block("node", "hyperv", HOST_FIELDS, doc="Hyper-V host settings of one node (over settings.winrm)")
SETTINGS = Block("settings", "winrm", (
    *HOST_FIELDS,
    Field("max_clock_skew", "number", default=300.0, minimum=1, maximum=3600,
          doc="seconds a node's clock may differ from the runner's"),
    Field("min_free_disk_gb", "number", default=20.0, minimum=0,
          doc="free disk a node needs"),
), doc="the WinRM configurator and pre-flight checks")


def host_settings(node: Host, plugin_settings: dict[str, Any]) -> dict[str, Any]:
    """Plugin-wide ``settings: winrm:`` values, overridden by the node's ``hyperv:`` options."""
    merged = {f.name: f.default for f in HOST_FIELDS}
    merged.update({k: v for k, v in plugin_settings.items() if k in merged})
    merged.update(node.options.get("hyperv") or {})
    return merged


def features(profile: Profile, configured: tuple[str, ...]) -> list[str]:
    if configured:
        return list(configured)
    agent = "NeutronOVSAgent" if profile.network.uses_ovs else "NeutronHyperVAgent"
    return ["HyperVNovaCompute", agent, "iSCSISWInitiator", "FreeRDP"]


def services(feature_list: list[str]) -> list[str]:
    return [s for f in feature_list for s in FEATURE_SERVICES.get(f, [])]


def msi_properties(controller: str, password: str, hs: dict[str, Any], configured: dict[str, str]) -> dict[str, str]:
    props = {
        "RPCBACKEND": "RabbitMQ", "RPCBACKENDHOST": controller, "RPCBACKENDPORT": "5672",
        "RPCBACKENDUSER": "stackrabbit", "RPCBACKENDPASSWORD": password,
        "GLANCEHOST": controller, "GLANCEPORT": "9292",
        "INSTANCESPATH": str(hs["instances_path"]), "LOGDIR": LOG_DIR,
        "NEUTRONURL": f"http://{controller}:9696", "NEUTRONADMINAUTHURL": f"http://{controller}/identity",
        "NEUTRONADMINUSERNAME": "neutron", "NEUTRONADMINPASSWORD": password,
        "NEUTRONADMINTENANTNAME": "service", "VSWITCHNAME": str(hs["vswitch_name"]),
    }
    props.update(configured)
    return props


def dimension_ini(profile: Profile, node: Host, hs: dict[str, Any]) -> dict[str, dict[str, dict[str, str]]]:
    """INI values each seed dimension implies (the profile's own INI overrides win over these)."""
    if profile.vm_generation == 2 and (node.os or profile.os) not in GEN2_RELEASES:
        raise ConfigurationFailed(f"generation 2 VMs need Windows Server 2012 R2 or later, node is {node.os}",
                                  host=node.name, step="settings")
    ratio = profile.memory.dynamic_ratio if profile.memory.mode == "dynamic" else 1.0
    nova: dict[str, dict[str, str]] = {
        "DEFAULT": {"use_cow_images": _bool(profile.cow), "instances_path": str(hs["instances_path"])},
        "hyperv": {
            "dynamic_memory_ratio": str(ratio if ratio is not None else 1.5),
            "force_hyperv_utils_v1": _bool(profile.utils_api == "v1"),
            "enable_remotefx": _bool(profile.remotefx),
        },
    }
    if profile.allow_resize_to_same_host is not None:
        nova["DEFAULT"]["allow_resize_to_same_host"] = _bool(profile.allow_resize_to_same_host)
    result = {"nova.conf": nova}
    net = profile.network
    if net.uses_ovs:
        ovs: dict[str, dict[str, str]] = {"ovs": {"integration_bridge": "br-int"}}
        if net.type == "ovs-vxlan":
            ovs["agent"] = {"tunnel_types": "vxlan"}
            if net.tunnel_endpoint:
                ovs["ovs"]["local_ip"] = net.tunnel_endpoint
        else:
            ovs["ovs"]["bridge_mappings"] = f"{net.physical_network}:br-{hs['vswitch_name']}"
        result["neutron_ovs_agent.conf"] = ovs
    else:
        result["neutron_hyperv_agent.conf"] = {
            "AGENT": {"physical_network_vswitch_mappings": f"{net.physical_network}:{hs['vswitch_name']}"}
        }
    return result


def merged_ini(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, dict[str, dict[str, str]]]:
    merged: dict[str, dict[str, dict[str, str]]] = {}
    for source in (base, overrides):
        for fname, sections in source.items():
            for section, values in sections.items():
                merged.setdefault(fname, {}).setdefault(section, {}).update(
                    {str(k): str(v) for k, v in values.items()})
    return merged


def config_path(fname: str, node: str) -> str:
    if fname in CONFIG_FILES:
        return CONFIG_FILES[fname]
    if len(fname) > 2 and fname[1] == ":" and fname[2] == "\\":
        return fname
    if "\\" in fname or "/" in fname or fname in ("", ".", ".."):
        raise ConfigurationFailed(f"INI override file {fname!r}: give a known name or an absolute C:\\ path",
                                  host=node, step="ini")
    return INSTALL_DIR + "\\etc\\" + fname


def _bool(value: bool) -> str:
    return "True" if value else "False"


@hookimpl
def hvrt_config_schema() -> list[Block]:
    """The blocks the winrm plugin reads: ``settings.winrm`` and the ``winrm:``, ``hyperv:`` host blocks."""
    return [SETTINGS, WINRM, HYPERV]
