"""Build DevStack's ``local.conf`` and ``local.sh`` for one scenario, in code.

Called by the deployer before ``stack.sh``. The files follow what a Hyper-V CI
controller runs: the controller hosts every OpenStack service except compute (the
Hyper-V nodes are the computes), Neutron ML2 with the Hyper-V (or Open vSwitch)
mechanism driver, images in VHD/VHDX format that the deployer cached on the
controller, and the flags that tell Tempest what the scenario supports. Every value
goes through :func:`shell_value`, since DevStack sources the ``localrc`` part as bash.
The scenario's ``devstack_vars`` override generated variables of the same name.
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from hvrt_tempest.tempestconf import image_file, image_path, scenario_flags

from hvrt.config.model import Profile, Release
from hvrt.errors import ConfigError

ENABLED_SERVICES = (
    "rabbit", "mysql", "key", "n-api", "n-cond", "n-sch", "placement-api", "g-api",
    "neutron", "q-svc", "q-agt", "q-dhcp", "q-l3", "q-meta", "c-api", "c-vol", "c-sch", "tempest",
)
DISABLED_SERVICES = ("n-cpu", "n-net", "n-novnc", "horizon", "swift", "s-proxy")
PINNED_PROJECTS = ("keystone", "nova", "neutron", "glance", "cinder", "placement", "requirements")
"""Projects pinned to the DevStack tag when an end-of-life tag is deployed."""
HYPERV_PLUGIN = "hvrt-networking-hyperv"
"""DevStack plugin name of the networking-hyperv installer (:mod:`.hyperv_plugin`)."""
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SAFE = re.compile(r"^[A-Za-z0-9_.,:/@%+=-]*$")


def shell_value(value: object) -> str:
    """A bash-safe right-hand side: booleans as True/False, others quoted when needed."""
    if isinstance(value, bool):
        return "True" if value else "False"
    text = str(value)
    return text if text and _SAFE.match(text) else shlex.quote(text)


def repo_variable(project: str, suffix: str) -> str:
    """DevStack's variable for a project: ``nova`` -> ``NOVA_REPO``, ``networking-hyperv`` ->
    ``NETWORKING_HYPERV_REPO``."""
    name = re.sub(r"[^A-Za-z0-9]", "_", project).upper() + "_" + suffix
    if not _NAME.match(name):
        raise ConfigError(f"cannot name a DevStack variable for project {project!r}", key="release.repos")
    return name


@dataclass
class StackInputs:
    """What the rendering needs beyond the profile and release."""

    host_ip: str
    password: str
    dest: str = "/opt/stack"
    logdir: str = "/opt/stack/logs"
    image_paths: list[str] = field(default_factory=list)
    heat_image_path: str | None = None
    checkout: str = "master"
    checkout_is_tag: bool = False
    extra_vars: dict[str, str] = field(default_factory=dict)
    post_config: dict[str, dict[str, dict[str, object]]] = field(default_factory=dict)
    physical_interface: str | None = None
    """The controller's NIC for tenant traffic; DevStack adds it to ``OVS_PHYSICAL_BRIDGE``."""
    hyperv_plugin: str | None = None
    """URL of the DevStack plugin that installs networking-hyperv (:mod:`.hyperv_plugin`)."""
    networking_hyperv: str = "networking-hyperv"
    """What that plugin hands to pip."""


def network_vars(profile: Profile, host_ip: str, physical_interface: str | None = None) -> dict[str, object]:
    """Neutron's part of ``localrc``. ``physical_interface`` becomes ``PUBLIC_INTERFACE``:
    with ``q-l3`` enabled DevStack then adds that NIC to ``OVS_PHYSICAL_BRIDGE`` (moving
    its addresses), which the VLAN and flat networks need to leave the controller."""
    net = profile.network
    bridge = "br-eth1"
    common: dict[str, object] = {
        "Q_PLUGIN": "ml2",
        "Q_ML2_PLUGIN_MECHANISM_DRIVERS": "openvswitch,hyperv",
        "Q_USE_PROVIDERNET_FOR_PUBLIC": False,
        "PHYSICAL_NETWORK": net.physical_network,
        "OVS_PHYSICAL_BRIDGE": bridge,
        "OVS_BRIDGE_MAPPINGS": f"{net.physical_network}:{bridge}",
    }
    if physical_interface:
        common["PUBLIC_INTERFACE"] = physical_interface
    vlans: dict[str, object] = {"ENABLE_TENANT_VLANS": True, "TENANT_VLAN_RANGE": net.vlan_range,
                                "ML2_VLAN_RANGES": f"{net.physical_network}:{net.vlan_range}"}
    if net.type in ("vlan", "ovs-vlan"):
        return {**common, "Q_ML2_TENANT_NETWORK_TYPE": "vlan", "ENABLE_TENANT_VLANS": True,
                "ENABLE_TENANT_TUNNELS": False, **vlans, "OVS_ENABLE_TUNNELING": False}
    if net.type == "flat":
        return {**common, "Q_ML2_TENANT_NETWORK_TYPE": "flat", "ENABLE_TENANT_VLANS": False,
                "ENABLE_TENANT_TUNNELS": False, "Q_ML2_PLUGIN_FLAT_TYPE_OPTIONS":
                f"flat_networks={net.physical_network}", "OVS_ENABLE_TUNNELING": False}
    if net.type == "ovs-vxlan":
        return {**common, "Q_ML2_PLUGIN_MECHANISM_DRIVERS": "openvswitch",
                "Q_ML2_PLUGIN_TYPE_DRIVERS": "flat,vlan,vxlan", "Q_ML2_TENANT_NETWORK_TYPE": "vxlan",
                # VLAN provider networks on the physical network stay available, as before
                **vlans, "ENABLE_TENANT_TUNNELS": True, "OVS_ENABLE_TUNNELING": True,
                "Q_ML2_PLUGIN_VXLAN_TYPE_OPTIONS": "vni_ranges=1001:2000",
                "TUNNEL_ENDPOINT_IP": net.tunnel_endpoint or host_ip}
    raise ConfigError(f"network type {net.type!r} is not supported by the DevStack deployer",
                      key="network.type")


def same_host_resize(profile: Profile) -> bool:
    """Resize to the same host only when there is a single node (unless the profile says)."""
    if profile.allow_resize_to_same_host is not None:
        return profile.allow_resize_to_same_host
    return profile.nodes_needed < 2


def localrc_vars(profile: Profile, release: Release, inputs: StackInputs) -> dict[str, object]:
    images = ",".join(f"file://{p}" for p in inputs.image_paths)
    values: dict[str, object] = {
        "HOST_IP": inputs.host_ip,
        "SERVICE_HOST": inputs.host_ip,
        "DEST": inputs.dest,
        "LOGDIR": inputs.logdir,
        "LOGFILE": f"{inputs.logdir}/stack.sh.log",
        "VERBOSE": True,
        "LOG_COLOR": False,
        "IP_VERSION": 4,
        "USE_VENV": False,
        "API_RATE_LIMIT": False,
        "ADMIN_PASSWORD": inputs.password,
        "DATABASE_PASSWORD": inputs.password,
        "RABBIT_PASSWORD": inputs.password,
        "SERVICE_PASSWORD": inputs.password,
        "SERVICE_TOKEN": inputs.password,
        "DOWNLOAD_DEFAULT_IMAGES": False,
        "IMAGE_URLS": images,
        **network_vars(profile, inputs.host_ip, inputs.physical_interface),
        "CINDER_VOLUME_CLEAR": "none",
        "CINDER_SECURE_DELETE": False,
        "VOLUME_BACKING_FILE_SIZE": "50000M",
        "LIVE_MIGRATION_AVAILABLE": profile.live_migration,
        "USE_BLOCK_MIGRATION_FOR_LIVE_MIGRATION": profile.live_migration,
    }
    if uses_hyperv_driver(values) and inputs.hyperv_plugin:
        values["HVRT_NETWORKING_HYPERV"] = inputs.networking_hyperv
    if inputs.heat_image_path:
        values["HEAT_CFN_IMAGE_URL"] = f"file://{inputs.heat_image_path}"
    if inputs.checkout_is_tag:
        for project in PINNED_PROJECTS:
            values[repo_variable(project, "BRANCH")] = inputs.checkout
    for project, override in sorted(release.repos.items()):
        if override.repo:
            values[repo_variable(project, "REPO")] = override.repo
        if override.branch:
            values[repo_variable(project, "BRANCH")] = override.branch
    for source in (inputs.extra_vars, profile.devstack_vars):
        for name, value in source.items():
            if not _NAME.match(name):
                raise ConfigError(f"not a shell variable name: {name!r}", key="devstack_vars")
            values[name] = value
    return values


def uses_hyperv_driver(values: dict[str, object]) -> bool:
    """Whether Neutron loads the ``hyperv`` ML2 mechanism driver (from networking-hyperv)."""
    return "hyperv" in str(values.get("Q_ML2_PLUGIN_MECHANISM_DRIVERS", "")).split(",")


def post_config(profile: Profile, inputs: StackInputs) -> dict[str, dict[str, dict[str, object]]]:
    sections: dict[str, dict[str, dict[str, object]]] = {
        "$NOVA_CONF": {"DEFAULT": {"allow_resize_to_same_host": same_host_resize(profile)}},
        "$NEUTRON_CONF": {"database": {"min_pool_size": 5, "max_pool_size": 50, "max_overflow": 50}},
    }
    for conf, extra in inputs.post_config.items():
        for section, values in extra.items():
            sections.setdefault(conf, {}).setdefault(section, {}).update(values)
    return sections


def render_local_conf(profile: Profile, release: Release, inputs: StackInputs) -> str:
    lines = [f"# local.conf of scenario {profile.name}, generated by hvrt", "[[local|localrc]]"]
    values = localrc_vars(profile, release, inputs)
    for name, value in values.items():
        lines.append(f"{name}={shell_value(value)}")
    lines.append("")
    lines += [f"enable_service {s}" for s in ENABLED_SERVICES]
    lines += [f"disable_service {s}" for s in DISABLED_SERVICES]
    if uses_hyperv_driver(values) and inputs.hyperv_plugin:
        lines.append(f"enable_plugin {HYPERV_PLUGIN} {shell_value(inputs.hyperv_plugin)} master")
    for conf, sections in post_config(profile, inputs).items():
        lines += ["", f"[[post-config|{conf}]]"]
        for section, values in sections.items():
            lines.append(f"[{section}]")
            lines += [f"{key} = {_ini_value(value)}" for key, value in values.items()]
    return "\n".join(lines) + "\n"


def _ini_value(value: object) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    text = str(value)
    if "\n" in text:
        raise ConfigError(f"a post-config value cannot span lines: {text!r}", key="post_config")
    return text


def tempest_flags(profile: Profile) -> dict[str, dict[str, str]]:
    """tempest.conf options ``local.sh`` sets (section -> option -> value).

    The scenario's flags are :func:`hvrt_tempest.tempestconf.scenario_flags`, the same
    values the Tempest runner writes, so the two never disagree; added here are what
    only this deployer knows: the flavors it creates and the image's SSH user.
    """
    flags = scenario_flags(profile)
    flags["compute"].update({"flavor_ref": "42", "flavor_ref_alt": "84"})
    flags["compute-feature-enabled"]["resize"] = "true"
    flags["validation"]["image_ssh_user"] = "cirros"
    return flags


def render_local_sh(profile: Profile, image: str | None = None) -> str:
    """DevStack runs ``local.sh`` after stacking: flavors, image properties, Tempest flags.

    ``image`` is where the scenario's image is on the controller; ``[scenario] img_file``
    is the image's file in that folder, or, without it, in the folder of the path
    DevStack wrote (the rule of :func:`hvrt_tempest.tempestconf.image_path`).
    """
    lines = [
        "#!/usr/bin/env bash",
        f"# Post-stack steps of scenario {profile.name}, generated by hvrt.",
        "set -o errexit -o nounset -o pipefail",
        'TOP_DIR=$(cd "$(dirname "$0")" && pwd)',
        'source "$TOP_DIR/functions"',
        'source "$TOP_DIR/openrc" admin admin',
        'TEMPEST_CONFIG=${TEMPEST_CONFIG:-$DEST/tempest/etc/tempest.conf}',
        "openstack flavor show hvrt.tiny >/dev/null 2>&1 || "
        "openstack flavor create --id 42 --ram 512 --disk 1 --vcpus 1 hvrt.tiny",
        "openstack flavor show hvrt.small >/dev/null 2>&1 || "
        "openstack flavor create --id 84 --ram 1024 --disk 2 --vcpus 1 hvrt.small",
    ]
    props = ["--property", "hypervisor_type=hyperv"]
    if profile.vm_generation == 2:
        props += ["--property", "hw_machine_type=hyperv-gen2"]
    lines.append("for image in $(openstack image list -f value -c ID); do")
    lines.append("    openstack image set " + " ".join(shlex.quote(p) for p in props) + ' "$image"')
    lines.append("done")
    for section, options in tempest_flags(profile).items():
        for option, value in options.items():
            lines.append(f'iniset "$TEMPEST_CONFIG" {shlex.quote(section)} {shlex.quote(option)} '
                         f"{shlex.quote(_ini_value(value))}")
    name = image_file(profile)
    if name is not None and image is not None:
        lines.append(f'iniset "$TEMPEST_CONFIG" scenario img_file {shlex.quote(image_path(profile, image) or name)}')
    elif name is not None:
        lines.append('iniset "$TEMPEST_CONFIG" scenario img_file '
                     f'"$(dirname "$(iniget "$TEMPEST_CONFIG" scenario img_file)")"/{shlex.quote(name)}')
    # the alternative image is the image under test too, as the Tempest runner sets it
    lines.append('iniset "$TEMPEST_CONFIG" compute image_ref_alt "$(iniget "$TEMPEST_CONFIG" compute image_ref)"')
    return "\n".join(lines) + "\n"
