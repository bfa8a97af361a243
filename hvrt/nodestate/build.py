"""Compute a node's :class:`~hvrt.nodestate.state.NodeState` from (config, scenario, node).

Called once per node in the ``configure`` stage by whichever configurator the node
has (winrm, salt, puppet), so the three apply the same values. The mapping follows
the legacy tool's installer call (``windows/Utils.psm1`` ``InstallComputeMSI``) and
``docs/legacy.md`` section 9 lists where hvrt departs from it:

* MSI features: the compute service, the profile's Neutron agent, iSCSI initiator,
  FreeRDP; Ceilometer's compute agent when the package has it; ``LiveMigration``
  when the scenario migrates and the node is not a cluster member.
* MSI properties: install and log folders, the controller's endpoints and the
  release password for every service account, the existing vSwitch (``ADDVSWITCH=0``),
  copy-on-write and the dynamic memory ratio from the profile, config drive,
  logging, live migration limits and the account nova-compute runs as.
* INI values: what a seed dimension needs beyond the MSI (utils v1, RemoteFX, resize
  to the same host, the OVS agent's bridges and this node's own tunnel address),
  then the profile's ``ini:`` overrides (``"*"``, then the node's own), sections
  merged by oslo.config group.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from hvrt.config.model import Config, Host, Profile, Secret
from hvrt.errors import ConfigurationFailed
from hvrt.ini import merge_files, oslo_group_key
from hvrt.nodestate.host import host_settings
from hvrt.nodestate.state import IniFile, IniValue, LiveMigration, NodeState, Value, VSwitch

if TYPE_CHECKING:
    from hvrt.context import ScenarioContext

PRODUCT = "OpenStack Hyper-V Nova Compute"
INSTALL_DIR = "C:\\OpenStack\\cloudbase\\nova"
LOG_DIR = "C:\\OpenStack\\Log"
CONFIG_DIR = INSTALL_DIR + "\\etc"
BASE_FEATURES = ("HyperVNovaCompute", "NeutronHyperVAgent", "iSCSISWInitiator", "FreeRDP")
OPTIONAL_FEATURES = ("CeilometerComputeAgent",)
FEATURE_SERVICES = {
    "HyperVNovaCompute": ("nova-compute",),
    "NeutronHyperVAgent": ("neutron-hyperv-agent",),
    "NeutronOVSAgent": ("neutron-ovs-agent",),
    "CeilometerComputeAgent": ("ceilometer-polling",),
}
GEN2_RELEASES = ("2012r2", "2016", "2019", "2022", "2025")
SECRET_KEY = re.compile(r"(?i)passw(or)?d|secret|token|credential|private_key")
NOT_SECRET = frozenset({"", "0", "1", "true", "false", "yes", "no", "on", "off", "none"})
"""Values a password-like key may hold that are flags, never secrets (CONFIGDRIVEINJECTPASSWORD=1)."""
RDP_PORT = 8000
NEUTRON_PORT = 9696

Entry = tuple[str, str, str, Value, str]
"""``(file, section, key, value, origin)``"""


def for_context(ctx: ScenarioContext, node: Host) -> NodeState:
    """The state of ``node`` in the scenario ``ctx`` runs (its leased controller)."""
    return build(ctx.config, ctx.profile, node, ctx.controller, scenario=ctx.name)


def build(config: Config, profile: Profile, node: Host, controller: Host, *, scenario: str | None = None) -> NodeState:
    """The desired state of ``node``; raises :class:`ConfigurationFailed` (step ``settings``)
    for what no node can be given (generation 2 on an old host, a VXLAN node without
    its tunnel address, an external switch to create without an adapter)."""
    hs = host_settings(config, node)
    os_name = node.os or profile.os
    if profile.vm_generation == 2 and os_name not in GEN2_RELEASES:
        raise ConfigurationFailed(f"generation 2 VMs need Windows Server 2012 R2 or later, node is {os_name}",
                                  host=node.name, step="settings")
    secrets: list[Secret] = []
    vswitch = _vswitch(hs, node)
    migration = _live_migration(profile, hs)
    features, optional = _features(config, profile, migration)
    properties = _properties(config, profile, node, controller, hs, vswitch, migration, features, secrets)
    ini = _ini(profile, node, hs, secrets)
    return NodeState(
        node=node.name, scenario=scenario or profile.name, profile=profile.name, os=os_name,
        product=PRODUCT, install_dir=INSTALL_DIR, log_dir=LOG_DIR, config_dir=CONFIG_DIR,
        features=features, optional_features=optional, properties=properties, ini=ini,
        vswitch=vswitch, live_migration=migration,
        services=_services(features), optional_services=_services(optional),
        secrets=tuple(dict.fromkeys(secrets)),
    )


# ------------------------------------------------------------------ host parts

def _vswitch(hs: Mapping[str, Any], node: Host) -> VSwitch:
    block = hs["vswitch"]
    create = block.get("create")
    if create == "external" and not block.get("adapter"):
        raise ConfigurationFailed(
            f"vswitch.create: external needs vswitch.adapter (the network adapter to bind switch "
            f"{block['name']!r} to) in lab.nodes.{node.name}.hyperv", host=node.name, step="settings")
    return VSwitch(name=str(block["name"]), type=str(create or "external").capitalize(), create=create is not None,
                   adapter=block.get("adapter"), allow_management_os=bool(block.get("allow_management_os", True)))


def _live_migration(profile: Profile, hs: Mapping[str, Any]) -> LiveMigration:
    settings: dict[str, Any] = {
        "authentication": str(hs["live_migration_auth"]), "max_migrations": int(hs["max_migrations"]),
        "max_storage_migrations": int(hs["max_storage_migrations"]),
        "networks": tuple(str(n) for n in hs["live_migration_networks"]),
    }
    if not profile.live_migration:
        return LiveMigration(managed=False, enabled=False, reason="the scenario does not migrate", **settings)
    if hs["clustered"]:
        return LiveMigration(managed=False, enabled=True, reason="cluster member: migration belongs to the cluster",
                             **settings)
    return LiveMigration(managed=True, enabled=True, **settings)


def _features(config: Config, profile: Profile, migration: LiveMigration) -> tuple[tuple[str, ...], tuple[str, ...]]:
    configured = config.release.installer.features
    if configured:
        return tuple(configured), ()
    agent = "NeutronOVSAgent" if profile.network.uses_ovs else "NeutronHyperVAgent"
    features = [f if f != "NeutronHyperVAgent" else agent for f in BASE_FEATURES]
    if migration.managed:
        features.append("LiveMigration")
    return tuple(features), OPTIONAL_FEATURES


def _services(features: Iterable[str]) -> tuple[str, ...]:
    return tuple(s for f in features for s in FEATURE_SERVICES.get(f, ()))


def identity_url(config: Config, controller: Host) -> str:
    """Keystone v3 on the controller: ``settings: devstack: auth_url`` when given, else DevStack's
    ``http://CONTROLLER/identity``."""
    base = str(config.plugin_settings("devstack").get("auth_url") or f"http://{controller.address}/identity")
    base = base.rstrip("/")
    return base if base.endswith("/v3") else base + "/v3"


def _ratio(profile: Profile) -> str:
    if profile.memory.mode != "dynamic":
        return "1"
    ratio = profile.memory.dynamic_ratio if profile.memory.dynamic_ratio is not None else 1.5
    return f"{ratio:g}"


def _properties(config: Config, profile: Profile, node: Host, controller: Host, hs: Mapping[str, Any],
                vswitch: VSwitch, migration: LiveMigration, features: tuple[str, ...],
                secrets: list[Secret]) -> dict[str, Value]:
    c = controller.address
    password: Value = config.release.password if config.release.password is not None else ""
    auth = identity_url(config, controller)
    props: dict[str, Value] = {
        "INSTALLDIR": INSTALL_DIR, "GLANCEHOST": f"http://{c}",
        "RPCBACKEND": "RabbitMQ", "RPCBACKENDHOST": c, "RPCBACKENDUSER": "stackrabbit", "RPCBACKENDPASSWORD": password,
        "INSTANCESPATH": str(hs["instances_path"]), "LOGDIR": LOG_DIR,
        "RDPCONSOLEURL": f"http://{c}:{RDP_PORT}",
        "ADDVSWITCH": "0", "VSWITCHNAME": vswitch.name,
        "USECOWIMAGES": "1" if profile.cow else "0", "FORCECONFIGDRIVE": "1", "CONFIGDRIVEINJECTPASSWORD": "1",
        "DYNAMICMEMORYRATIO": _ratio(profile), "ENABLELOGGING": "1", "VERBOSELOGGING": "1",
        "PLACEMENTPROJECTNAME": "service", "PLACEMENTUSERNAME": "placement", "PLACEMENTPASSWORD": password,
        "PLACEMENTDOMAINNAME": "Default", "PLACEMENTUSERDOMAINNAME": "Default", "PLACEMENTREGIONNAME": "RegionOne",
        "PLACEMENTAUTHURL": auth,
        "NEUTRONURL": f"http://{c}:{NEUTRON_PORT}", "NEUTRONADMINTENANTNAME": "service",
        "NEUTRONADMINUSERNAME": "neutron", "NEUTRONADMINPASSWORD": password, "NEUTRONADMINAUTHURL": auth,
        "CEILOMETERADMINTENANTNAME": "service", "CEILOMETERADMINUSERNAME": "ceilometer",
        "CEILOMETERADMINPASSWORD": password, "CEILOMETERADMINAUTHURL": auth,
    }
    if "LiveMigration" in features:
        props.update({
            "LIVEMIGRAUTHTYPE": "1" if migration.authentication == "Kerberos" else "0",
            "MAXACTIVEVSMIGR": str(migration.max_migrations),
            "MAXACTIVESTORAGEMIGR": str(migration.max_storage_migrations),
            "MIGRNETWORKSANY": "0" if migration.networks else "1",
        })
    account = _service_account(node, hs, "LiveMigration" in features)
    if account is not None:
        props["NOVACOMPUTESERVICEUSER"], props["NOVACOMPUTESERVICEPASSWORD"] = account
    for name, value in config.release.installer.properties.items():
        props[str(name)] = value if isinstance(value, Secret) else str(value)
    for name, value in list(props.items()):
        props[name] = _secret(name, value, f"release.installer.properties.{name}", secrets)
    return props


def _service_account(node: Host, hs: Mapping[str, Any], migrates: bool) -> tuple[str, Value] | None:
    """nova-compute's account: the legacy tool ran it as DOMAIN\\Administrator when the MSI set up
    live migration, else HOST\\Administrator, with the Administrator password."""
    password = hs.get("service_password") or node.password
    if password is None:
        return None
    user = str(hs.get("service_user") or "")
    if not user:
        name = node.user or "Administrator"
        if "\\" in name or "@" in name:
            user = name
        else:
            user = f"{hs['domain'] if migrates and hs.get('domain') else node.name}\\{name}"
    return user, password if isinstance(password, Secret) else Secret(str(password), "hyperv.service_password")


def _secret(key: str, value: Value, origin: str, secrets: list[Secret]) -> Value:
    if isinstance(value, str) and value.strip().lower() not in NOT_SECRET and SECRET_KEY.search(key):
        value = Secret(value, origin)
    if isinstance(value, Secret):
        secrets.append(value)
    return value


# ---------------------------------------------------------------------- INI

def seed_entries(profile: Profile, node: Host, hs: Mapping[str, Any]) -> list[Entry]:
    """The INI values the profile's typed fields need beyond the MSI properties."""
    out: list[Entry] = []
    if profile.allow_resize_to_same_host is not None:
        out.append(("nova.conf", "DEFAULT", "allow_resize_to_same_host", _bool(profile.allow_resize_to_same_host),
                    "seed:allow_resize_to_same_host"))
    if profile.utils_api == "v1":
        out += [("nova.conf", "hyperv", key, "True", "seed:utils_api")
                for key in ("force_hyperv_utils_v1", "force_volumeutils_v1")]
    if profile.remotefx:
        out.append(("nova.conf", "hyperv", "enable_remotefx", "True", "seed:remotefx"))
    net = profile.network
    if net.uses_ovs:
        agent = "neutron_ovs_agent.conf"
        out.append((agent, "ovs", "integration_bridge", "br-int", "seed:network"))
        if net.type == "ovs-vxlan":
            out += [(agent, "agent", "tunnel_types", "vxlan", "seed:network"),
                    (agent, "ovs", "tunnel_bridge", "br-tun", "seed:network"),
                    (agent, "ovs", "enable_tunneling", "True", "seed:network")]
            if hs.get("tunnel_address"):
                out.append((agent, "ovs", "local_ip", str(hs["tunnel_address"]), "host:tunnel_address"))
        else:
            out.append((agent, "ovs", "bridge_mappings", f"{net.physical_network}:br-{hs['vswitch']['name']}",
                        "seed:network"))
    return out


def _override_entries(files: Mapping[str, Mapping[str, Mapping[str, Any]]] | None, origin: str,
                      node: str) -> list[Entry]:
    out: list[Entry] = []
    for fname, sections in (files or {}).items():
        for section, values in sections.items():
            for key, value in values.items():
                if value is None:
                    raise ConfigurationFailed(f"INI value {fname} [{section}] {key} is missing", host=node,
                                              step="settings")
                text = value if isinstance(value, Secret) else _bool(value) if isinstance(value, bool) else str(value)
                out.append((str(fname), str(section), str(key), text, origin))
    return out


def _ini(profile: Profile, node: Host, hs: Mapping[str, Any], secrets: list[Secret]) -> dict[str, IniFile]:
    entries = [*seed_entries(profile, node, hs), *_override_entries(profile.ini.get("*"), "profile", node.name),
               *_override_entries(profile.ini.get(node.name), "node", node.name)]
    files: dict[str, dict[str, dict[str, IniValue]]] = {}
    spelling: dict[tuple[str, str], str] = {}
    for fname, section, key, value, origin in entries:
        name = spelling.setdefault((fname, oslo_group_key(section)), section)
        value = _secret(key, value, f"{origin} ini {fname} [{section}] {key}", secrets)
        files.setdefault(fname, {}).setdefault(name, {})[key] = IniValue(value, origin)
    # what cannot travel to a node at all (keys differing only in case, DEFAULT next to default)
    merge_files({f: {s: {k: "" for k in keys} for s, keys in sections.items()} for f, sections in files.items()},
                host=node.name)
    if profile.network.type == "ovs-vxlan":
        ovs = files.get("neutron_ovs_agent.conf", {}).get(spelling.get(("neutron_ovs_agent.conf", "ovs"), "ovs"), {})
        if "local_ip" not in ovs:
            raise ConfigurationFailed(
                f"network ovs-vxlan needs this node's own tunnel address: set "
                f"lab.nodes.{node.name}.hyperv.tunnel_address (the controller's network.tunnel_endpoint "
                f"is never copied to nodes)", host=node.name, step="settings")
    return {fname: IniFile(fname, config_path(fname, node.name), sections) for fname, sections in files.items()}


def config_path(fname: str, node: str) -> str:
    """Where an INI file named in a profile lives on a Windows node: a name relative to the
    install folder's ``etc``, an absolute ``C:\\`` (or ``/``) path as written. Which names a
    configurator accepts is its own rule (the winrm one takes plain names and ``C:\\`` paths)."""
    if fname.strip() in ("", ".", ".."):
        raise ConfigurationFailed(f"INI override file {fname!r}: give a file name or an absolute path",
                                  host=node, step="ini")
    if is_windows_path(fname) or fname.startswith("/"):
        return fname
    return CONFIG_DIR + "\\" + fname


def is_windows_path(path: str) -> bool:
    return len(path) > 2 and path[1] == ":" and path[2] == "\\"


def _bool(value: bool) -> str:
    return "True" if value else "False"
