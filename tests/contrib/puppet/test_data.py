"""The Hiera data of one node: INI values as Puppet writes them, installer, masking."""
from __future__ import annotations

import json

from hvrt_puppet import data

from hvrt.config.model import Host, Installer, Network, Profile


def test_the_node_gets_its_own_ini_over_the_shared_one() -> None:
    profile = Profile("p", ini={"*": {"nova.conf": {"DEFAULT": {"debug": "false", "use_cow_images": True}}},
                                "hv1": {"nova.conf": {"DEFAULT": {"debug": "true", "stale": None}}}})
    built = data.build(scenario="s1", profile=profile, node=Host("hv1", "node", "127.0.0.12", "winrm"),
                       installer=Installer(), remote_msi=None, config_dir=None, extra={})
    assert built["hvrt::ini"] == {"nova.conf": {"DEFAULT": {"debug": "true", "use_cow_images": "true", "stale": None}}}
    assert "hvrt::config_dir" not in built and "hvrt::installer_source" not in built
    assert built["hvrt::live_migration"] is False


def test_installer_scenario_and_extra_keys() -> None:
    profile = Profile("2016-ovs", os="2016", live_migration=True, network=Network(type="ovs-vxlan"))
    installer = Installer(url="https://example.invalid/HyperVNovaCompute.msi", features=("HyperVNovaCompute",),
                          properties={"PLACEMENTPASSWORD": "pw-123456"})
    built = data.build(scenario="s2", profile=profile, node=Host("hv2", "node", "127.0.0.13", "winrm"),
                       installer=installer, remote_msi=None, config_dir="D:/nova/etc",
                       extra={"hvrt::live_migration": False, "site::x": 1})
    assert built["hvrt::installer_source"] == "https://example.invalid/HyperVNovaCompute.msi"
    assert built["hvrt::installer_features"] == ["HyperVNovaCompute"]
    assert built["hvrt::config_dir"] == "D:/nova/etc"
    assert built["hvrt::live_migration"] is False and built["site::x"] == 1  # extra keys win
    assert built["hvrt::scenario"] == {"name": "s2", "profile": "2016-ovs", "node": "hv2", "os": "2016",
                                       "image_format": "vhdx", "network_type": "ovs-vxlan",
                                       "live_migration": True, "vm_generation": 1}
    uploaded = data.installer_data(installer, r"C:\ProgramData\hvrt\puppet\in\installer\x.msi")
    assert uploaded["hvrt::installer_source"].endswith("x.msi")

    shown = json.loads(data.dumps(data.masked(built)))
    assert shown["hvrt::installer_properties"] == {"PLACEMENTPASSWORD": "***"}
    assert shown["hvrt::installer_features"] == ["HyperVNovaCompute"]
    assert built["hvrt::installer_properties"]["PLACEMENTPASSWORD"] == "pw-123456"  # the original is untouched


def test_ini_values_as_puppet_should_write_them() -> None:
    assert [data.ini_value(v) for v in (True, False, 3, 1.5, "x", None)] == ["true", "false", "3", "1.5", "x", None]
    masked = data.masked({"hvrt::ini": {"n.conf": {"auth": {"password": "p", "admin_token": "t", "user": "u",
                                                            "empty_secret": None}}}})
    assert masked["hvrt::ini"]["n.conf"]["auth"] == {"password": "***", "admin_token": "***", "user": "u",
                                                     "empty_secret": None}
