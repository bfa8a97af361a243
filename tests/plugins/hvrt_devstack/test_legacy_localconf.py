"""The local.conf hvrt plans for each imported legacy scenario equals what the legacy tool gave DevStack.

The 16 scenarios of the legacy ``config.yaml`` are imported with hvrt's importer
(``hvrt.config.legacy``, as ``hvrt import-legacy`` does) and loaded; for each, the
``local.conf`` the DevStack deployer plans (``planned_local_conf``, the text ``hvrt plan
--effective`` shows) is parsed into its ``localrc`` variables, enabled services,
plugins and post-config values, and compared with the values the legacy scripts of
``cloudbase/openstack-hyperv-release-tests`` at 87e2dc0d produce for that scenario:
the template ``local.conf`` as ``run.sh:364-396`` fills it in, each value written down
below with the file and line it comes from. A second test checks the written-down
template against the legacy ``local.conf`` itself, run through ``run.sh``'s ``sed``
substitutions, so a transcription error cannot hide.

Where hvrt differs on purpose, the legacy value is turned into hvrt's by a function
named after the row of ``docs/legacy.md`` section 10 that documents it; a test checks
that every such row exists. Facts of the legacy lab that were not in its scripts'
inputs (its controller NIC, the networking-hyperv release it installed) are given to
hvrt as settings in :data:`LAB_SETTINGS`.
"""
from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from hvrt_devstack import localconf, postdeploy
from hvrt_devstack.plugin import planned_local_conf

from hvrt.config import load_config
from hvrt.config.legacy import convert, copy_lists, render
from hvrt.config.model import Config
from hvrt.config.select import scenario_for
from hvrt.redact import MASK

REPO = Path(__file__).resolve().parents[3]
SHARED = Path("/work/shared/fixtures/legacy-cloudbase")
LEGACY = SHARED if (SHARED / "config.yaml").is_file() else REPO / "examples" / "legacy" / "source"
DOCS = (REPO / "docs" / "legacy.md").read_text(encoding="utf-8")

CONTROLLER = "127.0.0.2"  # the imported lab's controller: the legacy DEVSTACK_IP_ADDR (run.sh:266)
BRANCH = "stable/ocata"  # the run.sh argument DEVSTACK_BRANCH (run.sh:206); Ocata is the last the legacy tool knew
PASSWORD = "Passw0rd"  # run.sh:236 DEVSTACK_PASSWORD
LEGACY_IMAGES = "$HOME/devstack"  # run.sh:249-250 images_dir=$devstack_dir="$HOME/devstack"
LEGACY_LOGS = "$HOME/screen_logs"  # run.sh:285,383: <%DEVSTACK_LOGS_DIR%> becomes $container_screen_logs
LAB_SETTINGS = {"devstack": {
    "physical_interface": "eth1",  # utils.sh:427 adds the container's eth1 to br-eth1; local.conf:86
    "networking_hyperv": "networking-hyperv==3.0.0",  # utils.sh:430 pip install networking-hyperv==3.0.0
}}

# ---------------------------------------------------------------- the legacy side

# Per scenario (config.yaml line): devstack.live_migration, devstack.allow_resize_to_same_host,
# use_ovs, and the image files as check_get_image leaves them (utils.sh:137-155 gunzips *.gz).
# run.sh:339-352 reads them; Python 2's str() turns the YAML booleans into True/False.
SCENARIOS: dict[str, dict[str, Any]] = {
    "HyperV2016_VHDX": {"lm": False, "resize": True, "ovs": False,  # config.yaml:1-8
                        "image": "cirros-0.3.4-x86_64.vhdx", "heat": "Fedora-x86_64-20-20140618-sda.vhdx"},
    "HyperV2016_NIC_hotplug": {"lm": False, "resize": True, "ovs": False,  # config.yaml:20-27
                               "image": "cirros-0.3.4-x86_64.vhdx", "heat": "Fedora-x86_64-20-20140618-sda.vhdx"},
    "HyperVNano2016_VHDX": {"lm": False, "resize": True, "ovs": False,  # config.yaml:39-46
                            "image": "cirros-0.3.4-x86_64.vhdx", "heat": "Fedora-x86_64-20-20140618-sda.vhdx"},
    "HyperV2012r2MultipleCSVS_Mitaka_VHDX": {"lm": True, "resize": False, "ovs": False,  # config.yaml:68-75
                                             "image": "cirros-0.3.4-x86_64.vhdx",
                                             "heat": "Fedora-x86_64-20-20140618-sda.vhdx"},
    "HyperV2012r2MultipleCSVS_NEWEST_VHDX": {"lm": True, "resize": False, "ovs": False,  # config.yaml:100-107
                                             "image": "cirros-0.3.4-x86_64.vhdx",
                                             "heat": "Fedora-x86_64-20-20140618-sda.vhdx"},
    "HyperV2012r2_VHDX": {"lm": True, "resize": False, "ovs": False,  # config.yaml:132-139
                          "image": "cirros-0.3.4-x86_64.vhdx", "heat": "Fedora-x86_64-20-20140618-sda.vhdx"},
    "HyperV2012r2_VHDX_fixed": {"lm": True, "resize": False, "ovs": False,  # config.yaml:160-167
                                "image": "cirros-0.3.3-x86_64-fixed.vhdx",
                                "heat": "Fedora-x86_64-20-20140618-sda-fixed.vhdx"},
    "HyperV2012r2_VHDX_no_CoW": {"lm": True, "resize": False, "ovs": False,  # config.yaml:184-191
                                 "image": "cirros-0.3.4-x86_64.vhdx", "heat": "Fedora-x86_64-20-20140618-sda.vhdx"},
    "HyperV2012r2_VHDX_fixed_no_CoW": {"lm": True, "resize": False, "ovs": False,  # config.yaml:210-217
                                       "image": "cirros-0.3.3-x86_64-fixed.vhdx",
                                       "heat": "Fedora-x86_64-20-20140618-sda-fixed.vhdx"},
    "HyperV2012r2_VHD": {"lm": True, "resize": False, "ovs": False,  # config.yaml:236-243
                         "image": "cirros-0.3.3-x86_64.vhd", "heat": "Fedora-x86_64-20-20140618-sda.vhd"},
    "HyperV2012r2_VHD_fixed": {"lm": True, "resize": False, "ovs": False,  # config.yaml:260-267
                               "image": "cirros-0.3.3-x86_64-fixed.vhd", "heat": "Fedora-x86_64-20-20140618-sda-fixed.vhd"},
    "HyperV2012r2_dynamic_memory": {"lm": True, "resize": False, "ovs": False,  # config.yaml:284-291
                                    "image": "cirros-0.3.4-x86_64.vhdx", "heat": "Fedora-x86_64-20-20140618-sda.vhdx"},
    "HyperV2012_VHDX": {"lm": False, "resize": True, "ovs": False,  # config.yaml:312-319
                        "image": "cirros-0.3.4-x86_64.vhdx", "heat": "Fedora-x86_64-20-20140618-sda.vhdx"},
    "HyperV2012_VHD_v1": {"lm": False, "resize": True, "ovs": False,  # config.yaml:328-335
                          "image": "cirros-0.3.3-x86_64.vhd", "heat": "Fedora-x86_64-20-20140618-sda.vhd"},
    "HyperV2016_OVS_KILO_VXLAN_VHDX": {"lm": True, "resize": False, "ovs": True,  # config.yaml:350-360
                                       "image": "cirros-0.3.4-x86_64.vhdx",
                                       "heat": "Fedora-x86_64-20-20140618-sda.vhdx"},
    "HyperV2016_OVS_VXLAN_VHDX": {"lm": True, "resize": False, "ovs": True,  # config.yaml:404-414
                                  "image": "cirros-0.3.4-x86_64.vhdx", "heat": "Fedora-x86_64-20-20140618-sda.vhdx"},
}
OVS_LOCALRC = {  # config.yaml:358-360 and 412-414, applied by run.sh:386-396
    "Q_ML2_TENANT_NETWORK_TYPE": "vxlan",  # run.sh:386-388 rewrites the template's line
    "OVS_ENABLE_TUNNELING": "True",  # run.sh:390-392 rewrites the template's line
    "TUNNEL_ENDPOINT_IP": "14.14.14.3",  # run.sh:394-396 adds it after OVS_ENABLE_TUNNELING
}

LEGACY_SERVICES = [  # local.conf:6-61, in order, after the disable_service lines have run
    "rabbit", "mysql", "key",  # :6-9
    "n-api", "n-crt", "n-obj", "n-cond", "n-sch", "n-cauth",  # :11-17 (n-novnc, n-net disabled :16,18)
    "neutron", "q-svc", "q-agt", "q-dhcp", "q-l3", "q-meta", "q-lbaas", "q-fwaas", "q-metering", "q-vpn",  # :20-29
    "g-api", "g-reg",  # :33-34 (horizon disabled :31)
    "cinder", "c-api", "c-vol", "c-sch", "c-bak",  # :36-40
    "heat", "h-api", "h-api-cfn", "h-api-cw", "h-eng",  # :47-51
    "ceilometer-acentral", "ceilometer-collector", "ceilometer-api",  # :53-55
    "tempest",  # :57 (n-cpu, ceilometer-acompute disabled :60-61)
]
LEGACY_BRANCH_PROJECTS = ("KEYSTONE", "NOVA", "NEUTRON", "NEUTRON_FWAAS", "NEUTRON_LBAAS", "NEUTRON_VPNAAS",
                          "SWIFT", "GLANCE", "CINDER", "HEAT", "TROVE", "HORIZON", "CEILOMETER")  # local.conf:124-136


def legacy_localrc(scenario: str, branch: str = BRANCH) -> dict[str, str]:
    """The ``[[local|localrc]]`` variables of the legacy local.conf for ``scenario``, as
    ``run.sh:364-396`` fills in the template (``local.conf`` line of each)."""
    s = SCENARIOS[scenario]
    tag = "kilo-eol" if branch == "stable/kilo" else branch  # run.sh:207-210 DEVSTACK_TAG
    values = {
        "HOST_IP": CONTROLLER,  # :3, run.sh:375
        "DOWNLOAD_DEFAULT_IMAGES": "False",  # :63
        "IMAGE_URLS": f",file://{LEGACY_IMAGES}/{s['image']}",  # :70 (+= onto DevStack's empty list), run.sh:376-377
        "HEAT_CFN_IMAGE_URL": f"file://{LEGACY_IMAGES}/{s['heat']}",  # :71, run.sh:376,378
        "IP_VERSION": "4",  # :73
        "Q_PLUGIN": "ml2",  # :75
        "Q_ML2_PLUGIN_MECHANISM_DRIVERS": "openvswitch,hyperv",  # :76
        "Q_ML2_TENANT_NETWORK_TYPE": "vlan",  # :77
        "Q_USE_PROVIDERNET_FOR_PUBLIC": "False",  # :78
        "ENABLE_TENANT_VLANS": "True",  # :79
        "ENABLE_TENANT_TUNNELS": "False",  # :80
        "TENANT_VLAN_RANGE": "500:2000",  # :81
        "PHYSICAL_NETWORK": "physnet1",  # :82
        "OVS_ENABLE_TUNNELING": "False",  # :83
        "OVS_BRIDGE_MAPPINGS": "physnet1:br-eth1",  # :84
        "OVS_PHYSICAL_BRIDGE": "br-eth1",  # :85
        "PUBLIC_INTERFACE": "eth1",  # :86
        "GUEST_INTERFACE_DEFAULT": "eth1",  # :87
        "CINDER_VOLUME_CLEAR": "none",  # :92
        "CINDER_SECURE_DELETE": "False",  # :93
        "VOLUME_BACKING_FILE_SIZE": "50000M",  # :94
        "VOLUME_GROUP_NAME": "devstack-" + branch.replace("/", "-", 1),  # :95, run.sh:232-233,373
        "LIVE_MIGRATION_AVAILABLE": str(s["lm"]),  # :100, run.sh:340,379
        "USE_BLOCK_MIGRATION_FOR_LIVE_MIGRATION": str(s["lm"]),  # :101, run.sh:340,379
        "LIBVIRT_TYPE": "kvm",  # :103
        "CEILOMETER_BACKEND": "mongodb",  # :105
        "API_RATE_LIMIT": "False",  # :107
        "DATABASE_PASSWORD": PASSWORD, "RABBIT_PASSWORD": PASSWORD, "SERVICE_TOKEN": PASSWORD,  # :109-111
        "SERVICE_PASSWORD": PASSWORD, "ADMIN_PASSWORD": PASSWORD,  # :112-113, run.sh:380
        "SCREEN_LOGDIR": LEGACY_LOGS, "LOGDIR": LEGACY_LOGS,  # :115-116, run.sh:383
        "VERBOSE": "True", "LOG_COLOR": "False",  # :117-118
        "SWIFT_LOOPBACK_DISK_SIZE": "50G", "SWIFT_REPLICAS": "1",  # :120-121
        "SWIFT_HASH": "66a3d6b56c1f479c8b4e70ab5d2014f6",  # :122
        **{f"{p}_BRANCH": tag for p in LEGACY_BRANCH_PROJECTS},  # :124-136, run.sh:382
        "REQUIREMENTS_BRANCH": branch,  # :137, run.sh:381
        "USE_VENV": "False",  # :139
        # utils.sh:430: networking-hyperv==3.0.0 pip-installed into the controller's template
        "HVRT_NETWORKING_HYPERV": LAB_SETTINGS["devstack"]["networking_hyperv"],
    }
    if s["ovs"]:
        values.update(OVS_LOCALRC)
    return values


def legacy_post_config(scenario: str) -> dict[str, dict[str, dict[str, str]]]:
    """local.conf:144-152, ``allow_resize_to_same_host`` filled in by run.sh:341,374."""
    return {"$NOVA_CONF": {"DEFAULT": {"allow_resize_to_same_host": str(SCENARIOS[scenario]["resize"])}},
            "$NEUTRON_CONF": {"database": {"min_pool_size": "5", "max_pool_size": "50", "max_overflow": "50"}}}


@dataclass
class Expected:
    localrc: dict[str, str]
    services: list[str] = field(default_factory=lambda: list(LEGACY_SERVICES))
    plugins: list[str] = field(default_factory=list)
    post_config: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)


# ----------------------------------------------- documented differences (docs/legacy.md section 10)

def d7_masked_passwords(scenario: str, e: Expected) -> None:
    """D7: passwords come from release.password; a plan shows them masked."""
    for name in ("DATABASE_PASSWORD", "RABBIT_PASSWORD", "SERVICE_TOKEN", "SERVICE_PASSWORD", "ADMIN_PASSWORD"):
        e.localrc[name] = MASK


def d14_cached_compressed_images(scenario: str, e: Expected) -> None:
    """D14: images stay compressed in DEST/images; IMAGE_URLS is set, not appended to."""
    for name, key in (("IMAGE_URLS", "image"), ("HEAT_CFN_IMAGE_URL", "heat")):
        e.localrc[name] = f"file:///opt/stack/images/{SCENARIOS[scenario][key]}.gz"


def d15_ovs_without_the_hyperv_driver(scenario: str, e: Expected) -> None:
    """D15: OVS scenarios load only the openvswitch mechanism driver, and so no networking-hyperv."""
    if SCENARIOS[scenario]["ovs"]:
        e.localrc["Q_ML2_PLUGIN_MECHANISM_DRIVERS"] = "openvswitch"
        del e.localrc["HVRT_NETWORKING_HYPERV"]


def d16_tunnels_named(scenario: str, e: Expected) -> None:
    """D16: VXLAN scenarios say ENABLE_TENANT_TUNNELS=True and name their type drivers and VNI range."""
    if SCENARIOS[scenario]["ovs"]:
        e.localrc.update({"ENABLE_TENANT_TUNNELS": "True", "Q_ML2_PLUGIN_TYPE_DRIVERS": "flat,vlan,vxlan",
                          "Q_ML2_PLUGIN_VXLAN_TYPE_OPTIONS": "vni_ranges=1001:2000"})


def d17_service_set(scenario: str, e: Expected) -> None:
    """D17: the controller runs the services Tempest needs, with placement, and no Heat, Ceilometer or *aaS."""
    e.services = list(localconf.ENABLED_SERVICES)


def d18_no_variables_of_absent_parts(scenario: str, e: Expected) -> None:
    """D18: no variables for nova-network, screen, libvirt, Ceilometer or Swift, which never run."""
    for name in ("GUEST_INTERFACE_DEFAULT", "SCREEN_LOGDIR", "LIBVIRT_TYPE", "CEILOMETER_BACKEND",
                 "SWIFT_LOOPBACK_DISK_SIZE", "SWIFT_REPLICAS", "SWIFT_HASH"):
        del e.localrc[name]


def d19_log_folder(scenario: str, e: Expected) -> None:
    """D19: DevStack logs to settings.devstack.logdir (default DEST/logs), stack.sh's own log there too."""
    e.localrc.update({"LOGDIR": "/opt/stack/logs", "LOGFILE": "/opt/stack/logs/stack.sh.log"})


def d20_branches_follow_devstack(scenario: str, e: Expected) -> None:
    """D20: on a branch, every project follows DevStack's own branch (stackrc); no *_BRANCH lines."""
    for name in [n for n in e.localrc if n.endswith("_BRANCH")]:
        del e.localrc[name]


def d21_default_volume_group(scenario: str, e: Expected) -> None:
    """D21: Cinder's volume group keeps DevStack's name; it was named after the legacy LXC container."""
    del e.localrc["VOLUME_GROUP_NAME"]


def d22_derived_defaults_written(scenario: str, e: Expected) -> None:
    """D22: values DevStack would derive are written out: SERVICE_HOST, DEST, ML2_VLAN_RANGES."""
    e.localrc.update({"SERVICE_HOST": CONTROLLER, "DEST": "/opt/stack", "ML2_VLAN_RANGES": "physnet1:500:2000"})


def d23_networking_hyperv_plugin(scenario: str, e: Expected) -> None:
    """D23: networking-hyperv comes from hvrt's DevStack plugin in every stack.sh, not a container template."""
    if "HVRT_NETWORKING_HYPERV" in e.localrc:
        e.plugins = [f"{localconf.HYPERV_PLUGIN} file:///opt/stack/hvrt-plugins/networking-hyperv master"]


DEVIATIONS: dict[str, Callable[[str, Expected], None]] = {
    "D7": d7_masked_passwords, "D14": d14_cached_compressed_images, "D15": d15_ovs_without_the_hyperv_driver,
    "D16": d16_tunnels_named, "D17": d17_service_set, "D18": d18_no_variables_of_absent_parts,
    "D19": d19_log_folder, "D20": d20_branches_follow_devstack, "D21": d21_default_volume_group,
    "D22": d22_derived_defaults_written, "D23": d23_networking_hyperv_plugin,
}


def expected(scenario: str) -> Expected:
    e = Expected(localrc=legacy_localrc(scenario), post_config=legacy_post_config(scenario))
    for adjust in DEVIATIONS.values():
        adjust(scenario, e)
    return e


# ---------------------------------------------------------------- the hvrt side

@dataclass
class Parsed:
    localrc: dict[str, str]
    services: list[str]
    plugins: list[str]
    post_config: dict[str, dict[str, dict[str, str]]]


def parse_local_conf(text: str) -> Parsed:
    """A local.conf as DevStack reads it: localrc assignments (shell words), services,
    plugins, and post-config sections."""
    localrc: dict[str, str] = {}
    plugins: list[str] = []
    post: dict[str, dict[str, dict[str, str]]] = {}
    meta = section = ""
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if m := re.match(r"^\[\[(.+?)\|(.+)\]\]$", line):
            meta, section = (m.group(1).strip(), "") if m.group(1) == "local" else (m.group(2), "")
            continue
        if meta == "local":
            if m := re.match(r"^([A-Za-z_][A-Za-z0-9_]*)(\+?=)(.*)$", line):
                words = shlex.split(m.group(3))
                localrc[m.group(1)] = (words[0] if words else "")
            elif line.startswith("enable_plugin "):
                plugins.append(" ".join(shlex.split(line)[1:]))
        elif m := re.match(r"^\[(.+)\]$", line):
            section = m.group(1)
            post.setdefault(meta, {}).setdefault(section, {})
        else:
            key, _, value = line.partition("=")
            post[meta][section][key.strip()] = value.strip()
    return Parsed(localrc, postdeploy.enabled_services(text), plugins, post)


@pytest.fixture(scope="module")
def legacy_lab(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """The legacy config imported by hvrt, run on :data:`BRANCH`, with :data:`LAB_SETTINGS`."""
    out = tmp_path_factory.mktemp("legacy")
    result = convert(LEGACY / "config.yaml", LEGACY)
    copy_lists(result, out)
    result.document["release"]["devstack"] = {"branch": BRANCH}
    result.document["settings"] = LAB_SETTINGS
    (out / "hvrt.yaml").write_text(render(result, "config.yaml"), encoding="utf-8")
    return load_config(out / "hvrt.yaml", environ={"HVRT_NODE_PASSWORD": PASSWORD, "HVRT_ADMIN_PASSWORD": PASSWORD})


def planned(config: Config, scenario: str) -> Parsed:
    return parse_local_conf(planned_local_conf(config, scenario_for(config, config.profiles[scenario]),
                                               config.controllers["devstack"]))


# ------------------------------------------------------------------------ tests

def test_every_legacy_scenario_is_compared() -> None:
    legacy = yaml.safe_load((LEGACY / "config.yaml").read_text(encoding="utf-8"))
    assert list(SCENARIOS) == list(legacy) and len(SCENARIOS) == 16
    for name, s in legacy.items():
        devstack = s["devstack"]
        assert (devstack["live_migration"], devstack["allow_resize_to_same_host"], s.get("use_ovs", False)) == (
            SCENARIOS[name]["lm"], SCENARIOS[name]["resize"], SCENARIOS[name]["ovs"]), name
        assert (devstack["image_url"].rsplit("/", 1)[1], devstack["heat_image_url"].rsplit("/", 1)[1]) == (
            SCENARIOS[name]["image"] + ".gz", SCENARIOS[name]["heat"] + ".gz"), name
        extra = {k: str(v) for k, v in devstack.items() if k.isupper()}
        assert extra == (OVS_LOCALRC if SCENARIOS[name]["ovs"] else {}), name


def legacy_sed(template: str, scenario: str) -> str:
    """run.sh:373-396 applied to the legacy local.conf (what the container got)."""
    s = SCENARIOS[scenario]
    subs = {"DEVSTACK_VOLUME_GROUP_NAME": "devstack-" + BRANCH.replace("/", "-", 1),
            "DEVSTACK_SAME_HOST_RESIZE": str(s["resize"]), "DEVSTACK_IP_ADDR": CONTROLLER,
            "DEVSTACK_IMAGES_DIR": LEGACY_IMAGES, "DEVSTACK_IMAGE_FILE": s["image"],
            "DEVSTACK_HEAT_IMAGE_FILE": s["heat"], "DEVSTACK_LIVE_MIGRATION": str(s["lm"]),
            "DEVSTACK_PASSWORD": PASSWORD, "DEVSTACK_BRANCH": BRANCH, "DEVSTACK_TAG": BRANCH,
            "DEVSTACK_LOGS_DIR": LEGACY_LOGS}
    for name, value in subs.items():
        template = template.replace(f"<%{name}%>", value)
    if s["ovs"]:
        template = re.sub(r"(?m)^Q_ML2_TENANT_NETWORK_TYPE=.*$", "Q_ML2_TENANT_NETWORK_TYPE=vxlan", template)
        template = re.sub(r"(?m)^OVS_ENABLE_TUNNELING=.*$", "OVS_ENABLE_TUNNELING=True\nTUNNEL_ENDPOINT_IP=14.14.14.3",
                          template)
    return template


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_written_down_values_are_the_legacy_local_conf(scenario: str) -> None:
    if not (LEGACY / "local.conf").is_file():
        pytest.skip(f"the legacy local.conf is not in {LEGACY}")
    parsed = parse_local_conf(legacy_sed((LEGACY / "local.conf").read_text(encoding="utf-8"), scenario))
    written = legacy_localrc(scenario)
    del written["HVRT_NETWORKING_HYPERV"]  # not in local.conf: the controller template got it (utils.sh:430)
    assert parsed.localrc == written
    assert parsed.services == LEGACY_SERVICES
    assert parsed.plugins == []  # the legacy local.conf enables no DevStack plugin
    assert parsed.post_config == legacy_post_config(scenario)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_local_conf_equals_the_legacy_one(legacy_lab: Config, scenario: str) -> None:
    want, got = expected(scenario), planned(legacy_lab, scenario)
    assert got.localrc == want.localrc
    assert got.services == want.services
    assert got.plugins == want.plugins
    assert got.post_config == want.post_config


def test_an_eol_tag_pins_the_deployed_projects(legacy_lab: Config) -> None:
    """D20 for tags: on an end-of-life tag (legacy: stable/kilo -> kilo-eol, run.sh:207-210)
    hvrt pins the projects it deploys, requirements included (the stable branch is gone)."""
    profile = legacy_lab.profiles["HyperV2012r2_VHDX"]
    inputs = localconf.StackInputs(host_ip=CONTROLLER, password=PASSWORD, checkout="kilo-eol", checkout_is_tag=True)
    got = parse_local_conf(localconf.render_local_conf(profile, legacy_lab.release, inputs)).localrc
    legacy = legacy_localrc("HyperV2012r2_VHDX", branch="stable/kilo")
    pinned = {f"{p.upper()}_BRANCH" for p in localconf.PINNED_PROJECTS}
    assert {n: got[n] for n in got if n.endswith("_BRANCH")} == dict.fromkeys(pinned, "kilo-eol")
    # the projects both deploy carry the same tag; legacy kept requirements on the branch
    assert {n for n in pinned if legacy.get(n) == "kilo-eol"} == pinned - {"PLACEMENT_BRANCH", "REQUIREMENTS_BRANCH"}
    assert legacy["REQUIREMENTS_BRANCH"] == "stable/kilo"


def test_controller_agents_follow_the_legacy_services(legacy_lab: Config) -> None:
    """The health check judges the controller's agents that local.conf enables: the legacy
    services q-agt, q-dhcp, q-l3 and q-meta (local.conf:22-25) are all deployed by hvrt too."""
    text = planned_local_conf(legacy_lab, scenario_for(legacy_lab, legacy_lab.profiles["HyperV2012r2_VHDX"]),
                              legacy_lab.controllers["devstack"])
    agents = ("neutron-dhcp-agent", "neutron-l3-agent", "neutron-metadata-agent", "neutron-openvswitch-agent")
    assert postdeploy.controller_agents(text) == agents
    legacy = "[[local|localrc]]\n" + "\n".join(f"enable_service {s}" for s in LEGACY_SERVICES) + "\n"
    assert postdeploy.controller_agents(legacy) == agents


def test_every_deviation_used_here_is_documented() -> None:
    section = DOCS.split("## 10.", 1)[1]
    rows = set(re.findall(r"^\| (D\d+) \|", section, re.M))
    assert set(DEVIATIONS) - {"D7"} <= rows and "| D7 |" in DOCS
    assert all(fn.__doc__ and fn.__doc__.startswith(f"{name}:") for name, fn in DEVIATIONS.items())
