"""The pillar of one node: the node state's INI paths and values, installer data, masking for the saved copy."""
from __future__ import annotations

import json

import pytest
from hvrt_saltstack import pillar as pillars
from hvrt_saltstack.options import SaltOptions

from hvrt import nodestate
from hvrt.config.model import Config, Host, Installer, Profile, Release, Secret
from hvrt.errors import ConfigurationFailed

LINUX = Host(name="hv2", role="node", address="127.0.0.12", transport="ssh", configurator="salt",
             options={"salt": {"config_dir": "/etc/nova", "pillar": {"site": "lab-a"}}})
WINDOWS = Host(name="hv1", role="node", address="127.0.0.11", transport="winrm", configurator="salt")
CONTROLLER = Host("ctl", "controller", "127.0.0.1", "local")


def opts(node: Host) -> SaltOptions:
    return SaltOptions.for_host(node, "/srv/hvrt.yaml")


def build(profile: Profile, node: Host, installer: Installer | None = None, **kwargs: object) -> dict:
    installer = installer or Installer()
    config = Config("/srv/hvrt.yaml", {"ctl": CONTROLLER}, {node.name: node},
                    Release(installer=installer, password=Secret("rel-pw-5678", "env:P")), {profile.name: profile})
    state = nodestate.build(config, profile, node, CONTROLLER, scenario="p")
    return pillars.build(state=state, node=node, options=opts(node), installer=installer, **kwargs)


def test_ini_names_go_into_the_config_dir_and_absolute_paths_stay() -> None:
    profile = Profile(name="p", ini={"*": {"nova.conf": {"DEFAULT": {"debug": "True"}}},
                                     "hv2": {"/opt/other.ini": {"s": {"k": "v"}},
                                             "nova.conf": {"DEFAULT": {"debug": "False"}}}})
    data = build(profile, LINUX)
    hvrt = data["hvrt"]
    assert hvrt["ini"] == {"/etc/nova/nova.conf": {"DEFAULT": {"debug": "False"}},
                           "/opt/other.ini": {"s": {"k": "v"}}}
    assert hvrt["ini_dirs"] == ["/etc/nova", "/opt"]
    assert hvrt["installer"] == {} and hvrt["services"] == [] and hvrt["site"] == "lab-a"
    assert hvrt["live_migration"] is None  # the scenario does not migrate: left alone
    assert hvrt["state"]["ini"]["nova.conf"]["sections"]["DEFAULT"]["debug"] == {"value": "False", "origin": "node"}
    assert pillars.pillar_file(data).startswith("#!json\n")
    assert json.loads(pillars.pillar_file(data).split("\n", 1)[1]) == data


def test_a_windows_node_gets_the_states_folders_switch_and_services() -> None:
    profile = Profile(name="p", ini={"*": {"nova.conf": {"DEFAULT": {"debug": "True"}}}})
    hvrt = build(profile, WINDOWS, Installer(path="HyperV.msi"), installer_path=r"C:\w\installer.msi",
                 installer_sha256="AB" * 32)["hvrt"]
    assert list(hvrt["ini"]) == [r"C:\OpenStack\cloudbase\nova\etc\nova.conf"]
    assert hvrt["vswitch"] == {"name": "external", "type": "External", "create": False, "adapter": None,
                               "allow_management_os": True}
    assert hvrt["services"] == ["nova-compute", "neutron-hyperv-agent"]
    installer = hvrt["installer"]
    assert installer["features"] == ["HyperVNovaCompute", "NeutronHyperVAgent", "iSCSISWInitiator", "FreeRDP"]
    assert installer["optional_features"] == ["CeilometerComputeAgent"]
    assert installer["properties"]["INSTALLDIR"] == r"C:\OpenStack\cloudbase\nova"
    assert installer["properties"]["RPCBACKENDPASSWORD"] == "rel-pw-5678"
    assert installer["sha256"] == "ab" * 32  # the node compares it before msiexec
    shown = pillars.masked({"hvrt": hvrt})["hvrt"]
    assert shown["installer"]["properties"]["RPCBACKENDPASSWORD"] == "***"
    assert "rel-pw-5678" not in json.dumps(shown)


@pytest.mark.parametrize("fname", ["../nova.conf", "sub/nova.conf", ".."])
def test_ini_names_that_are_paths_are_refused(fname: str) -> None:
    profile = Profile(name="p", ini={"*": {fname: {"DEFAULT": {"a": "b"}}}})
    with pytest.raises(ConfigurationFailed, match="give a"):
        build(profile, LINUX)


def test_a_linux_node_without_config_dir_cannot_take_ini_names() -> None:
    node = Host(name="hv3", role="node", address="127.0.0.13", transport="ssh", configurator="salt")
    profile = Profile(name="p", ini={"*": {"nova.conf": {"DEFAULT": {"a": "b"}}}})
    with pytest.raises(ConfigurationFailed, match="needs salt.config_dir"):
        build(profile, node)


def test_windows_installer_properties_must_be_public_msi_properties() -> None:
    installer = Installer(url="https://downloads.invalid/a.msi", properties={"lowercase": "x"})
    with pytest.raises(ConfigurationFailed, match="not a public MSI property"):
        build(Profile(name="p"), WINDOWS, installer, installer_source=installer.url)


def test_an_uploaded_msi_is_referred_to_by_its_path_on_the_node() -> None:
    installer = Installer(path="HyperV.msi", sha256="AA" * 32, features=("HyperVNovaCompute",))
    data = build(Profile(name="p", live_migration=True), WINDOWS, installer, installer_path=r"D:\w\installer.msi")
    inst = data["hvrt"]["installer"]
    assert inst["path"] == r"D:\w\installer.msi" and "source" not in inst
    assert inst["features"] == ["HyperVNovaCompute"] and inst["log"].endswith(r"salt\msi-install.log")
    assert data["hvrt"]["live_migration"] == {"enabled": True, "authentication": "Kerberos", "max_migrations": 8,
                                              "networks": []}


def test_secrets_reach_the_node_but_the_saved_copy_is_masked() -> None:
    profile = Profile(name="p", ini={"*": {"nova.conf": {"keystone_authtoken": {
        "password": Secret("s3cret-value", "env:X"), "username": "nova"}}}})
    data = build(profile, LINUX)
    section = data["hvrt"]["ini"]["/etc/nova/nova.conf"]["keystone_authtoken"]
    assert section == {"password": "s3cret-value", "username": "nova"}
    shown = pillars.masked(data)["hvrt"]["ini"]["/etc/nova/nova.conf"]["keystone_authtoken"]
    assert shown == {"password": "***", "username": "nova"}
    assert data["hvrt"]["state"]["ini"]["nova.conf"]["sections"]["keystone_authtoken"]["password"]["value"] == "***"
    props = pillars.masked({"properties": {"RPCBACKENDPASSWORD": "x", "RPCBACKENDHOST": "h"}})
    assert props == {"properties": {"RPCBACKENDPASSWORD": "***", "RPCBACKENDHOST": "h"}}
