"""The Hiera data of one node: the node state's INI values, installer, switch, migration; masking."""
from __future__ import annotations

import json

from hvrt_puppet import data

from hvrt import nodestate
from hvrt.config.model import Config, Host, Installer, Network, Profile, Release, Secret

CONTROLLER = Host("ctl", "controller", "127.0.0.1", "local")


def state_of(profile: Profile, node: Host, installer: Installer | None = None) -> nodestate.NodeState:
    config = Config("/srv/hvrt.yaml", {"ctl": CONTROLLER}, {node.name: node},
                    Release(installer=installer or Installer(), password=Secret("rel-pw-1234", "env:P")),
                    {profile.name: profile})
    return nodestate.build(config, profile, node, CONTROLLER, scenario="s1")


def test_the_node_gets_its_own_ini_over_the_shared_one() -> None:
    profile = Profile("p", ini={"*": {"nova.conf": {"DEFAULT": {"debug": "false", "use_cow_images": True}}},
                                "hv1": {"nova.conf": {"DEFAULT": {"debug": "true"}}}})
    node = Host("hv1", "node", "127.0.0.12", "winrm")
    built = data.build(state=state_of(profile, node), profile=profile, node=node, installer=Installer(),
                       remote_msi=None, config_dir=None, extra={})
    # the node state's values as they are (the winrm configurator writes the same text)
    assert built["hvrt::ini"] == {"nova.conf": {"DEFAULT": {"debug": "true", "use_cow_images": "True"}}}
    assert "hvrt::config_dir" not in built and "hvrt::installer_source" not in built
    assert built["hvrt::live_migration"] is False and built["hvrt::manage_live_migration"] is False
    assert built["hvrt::vswitch"] == {"name": "external", "type": "External", "create": False, "adapter": None,
                                      "allow_management_os": True}
    assert built["hvrt::services"] == ["nova-compute", "neutron-hyperv-agent"]


def test_installer_scenario_and_extra_keys() -> None:
    profile = Profile("2016-ovs", os="2016", live_migration=True, network=Network(type="ovs-vxlan"))
    node = Host("hv2", "node", "127.0.0.13", "winrm", options={"hyperv": {"tunnel_address": "127.0.0.53"}})
    installer = Installer(url="https://example.invalid/HyperVNovaCompute.msi", features=("HyperVNovaCompute",),
                          properties={"PLACEMENTPASSWORD": "pw-123456"})
    state = state_of(profile, node, installer)
    built = data.build(state=state, profile=profile, node=node, installer=installer, remote_msi=None,
                       config_dir="D:/nova/etc", extra={"hvrt::live_migration": False, "site::x": 1}, windows=True)
    assert built["hvrt::installer_source"] == "https://example.invalid/HyperVNovaCompute.msi"
    assert built["hvrt::installer_features"] == ["HyperVNovaCompute"]
    assert built["hvrt::config_dir"] == "D:/nova/etc"
    assert built["hvrt::live_migration"] is False and built["site::x"] == 1  # extra keys win
    assert built["hvrt::manage_live_migration"] is True and built["hvrt::max_migrations"] == 8
    assert built["hvrt::scenario"] == {"name": "s1", "profile": "2016-ovs", "node": "hv2", "os": "2016",
                                       "image_format": "vhdx", "network_type": "ovs-vxlan",
                                       "live_migration": True, "vm_generation": 1}
    assert built["hvrt::ini"]["neutron_ovs_agent.conf"]["ovs"]["local_ip"] == "127.0.0.53"
    assert built["hvrt::installer_properties"] == state.msi_properties()
    uploaded = data.installer_data(state, installer, r"C:\ProgramData\hvrt\puppet\in\installer\x.msi")
    assert uploaded["hvrt::installer_source"].endswith("x.msi")

    shown = json.loads(data.dumps(data.masked(built)))
    assert shown["hvrt::installer_properties"]["PLACEMENTPASSWORD"] == "***"
    assert shown["hvrt::installer_properties"]["RPCBACKENDPASSWORD"] == "***"
    assert "rel-pw-1234" not in json.dumps(shown)
    assert shown["hvrt::installer_features"] == ["HyperVNovaCompute"]
    assert built["hvrt::installer_properties"]["PLACEMENTPASSWORD"] == "pw-123456"  # the original is untouched


def test_a_windows_node_without_config_dir_gets_the_states() -> None:
    profile = Profile("p", ini={"*": {"nova.conf": {"DEFAULT": {"debug": "true"}}}})
    node = Host("hv1", "node", "127.0.0.12", "winrm")
    built = data.build(state=state_of(profile, node), profile=profile, node=node, installer=Installer(),
                       remote_msi=None, config_dir=None, extra={}, windows=True)
    assert built["hvrt::config_dir"] == "C:/OpenStack/cloudbase/nova/etc"


def test_ini_values_as_puppet_should_write_them() -> None:
    assert [data.ini_value(v) for v in (True, False, 3, 1.5, "x", None)] == ["true", "false", "3", "1.5", "x", None]
    masked = data.masked({"hvrt::ini": {"n.conf": {"auth": {"password": "p", "admin_token": "t", "user": "u",
                                                            "empty_secret": None}}}})
    assert masked["hvrt::ini"]["n.conf"]["auth"] == {"password": "***", "admin_token": "***", "user": "u",
                                                     "empty_secret": None}
