"""The pillar of one node: INI paths, installer data, masking for the saved copy."""
from __future__ import annotations

import json

import pytest
from hvrt_saltstack import pillar as pillars
from hvrt_saltstack.options import SaltOptions

from hvrt.config.model import Host, Installer, Profile, Secret
from hvrt.errors import ConfigurationFailed

LINUX = Host(name="hv2", role="node", address="127.0.0.12", transport="ssh", configurator="salt",
             options={"salt": {"config_dir": "/etc/nova", "pillar": {"site": "lab-a"}}})
WINDOWS = Host(name="hv1", role="node", address="127.0.0.11", transport="winrm", configurator="salt")


def opts(node: Host) -> SaltOptions:
    return SaltOptions.for_host(node, "/srv/hvrt.yaml")


def test_ini_names_go_into_the_config_dir_and_absolute_paths_stay() -> None:
    profile = Profile(name="p", ini={"*": {"nova.conf": {"DEFAULT": {"debug": "True"}}},
                                     "hv2": {"/opt/other.ini": {"s": {"k": "v"}},
                                             "nova.conf": {"DEFAULT": {"debug": "False"}}}})
    data = pillars.build(scenario="p", profile=profile, node=LINUX, options=opts(LINUX), installer=Installer())
    hvrt = data["hvrt"]
    assert hvrt["ini"] == {"/etc/nova/nova.conf": {"DEFAULT": {"debug": "False"}},
                           "/opt/other.ini": {"s": {"k": "v"}}}
    assert hvrt["ini_dirs"] == ["/etc/nova", "/opt"]
    assert hvrt["installer"] == {} and hvrt["services"] == [] and hvrt["site"] == "lab-a"
    assert pillars.pillar_file(data).startswith("#!json\n")
    assert json.loads(pillars.pillar_file(data).split("\n", 1)[1]) == data


@pytest.mark.parametrize("fname", ["../nova.conf", "sub/nova.conf", ".."])
def test_ini_names_that_are_paths_are_refused(fname: str) -> None:
    profile = Profile(name="p", ini={"*": {fname: {"DEFAULT": {"a": "b"}}}})
    with pytest.raises(ConfigurationFailed, match="give a file name or an absolute path"):
        pillars.build(scenario="p", profile=profile, node=LINUX, options=opts(LINUX), installer=Installer())


def test_a_linux_node_without_config_dir_cannot_take_ini_names() -> None:
    node = Host(name="hv3", role="node", address="127.0.0.13", transport="ssh", configurator="salt")
    profile = Profile(name="p", ini={"*": {"nova.conf": {"DEFAULT": {"a": "b"}}}})
    with pytest.raises(ConfigurationFailed, match="needs salt.config_dir"):
        pillars.build(scenario="p", profile=profile, node=node, options=opts(node), installer=Installer())


def test_windows_installer_properties_must_be_public_msi_properties() -> None:
    installer = Installer(url="https://downloads.invalid/a.msi", properties={"lowercase": "x"})
    with pytest.raises(ConfigurationFailed, match="not a public MSI property"):
        pillars.build(scenario="p", profile=Profile(name="p"), node=WINDOWS, options=opts(WINDOWS),
                      installer=installer, installer_source=installer.url)


def test_an_uploaded_msi_is_referred_to_by_its_path_on_the_node() -> None:
    installer = Installer(path="HyperV.msi", sha256="AA" * 32, features=("HyperVNovaCompute",))
    data = pillars.build(scenario="p", profile=Profile(name="p", live_migration=True), node=WINDOWS,
                         options=opts(WINDOWS), installer=installer, installer_path=r"D:\w\installer.msi")
    inst = data["hvrt"]["installer"]
    assert inst["path"] == r"D:\w\installer.msi" and "source" not in inst
    assert inst["features"] == ["HyperVNovaCompute"] and inst["log"].endswith(r"salt\msi-install.log")
    assert data["hvrt"]["live_migration"]["enabled"] is True


def test_secrets_reach_the_node_but_the_saved_copy_is_masked() -> None:
    profile = Profile(name="p", ini={"*": {"nova.conf": {"keystone_authtoken": {
        "password": Secret("s3cret-value", "env:X"), "username": "nova"}}}})
    data = pillars.build(scenario="p", profile=profile, node=LINUX, options=opts(LINUX), installer=Installer())
    section = data["hvrt"]["ini"]["/etc/nova/nova.conf"]["keystone_authtoken"]
    assert section == {"password": "s3cret-value", "username": "nova"}
    shown = pillars.masked(data)["hvrt"]["ini"]["/etc/nova/nova.conf"]["keystone_authtoken"]
    assert shown == {"password": "***", "username": "nova"}
    props = pillars.masked({"properties": {"RPCBACKENDPASSWORD": "x", "RPCBACKENDHOST": "h"}})
    assert props == {"properties": {"RPCBACKENDPASSWORD": "***", "RPCBACKENDHOST": "h"}}
