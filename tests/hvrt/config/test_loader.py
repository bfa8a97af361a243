"""``load_config`` on complete files: typed lab, release, plugins, settings, plugin profiles."""
from __future__ import annotations

from pathlib import Path

import pytest

from hvrt.config import load_config
from hvrt.config.model import Secret
from hvrt.config.schema import Block, Field
from hvrt.errors import ConfigError, ConfigErrors

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "hvrt.yaml"

FULL = """\
version: 1
lab:
  controllers:
    ctl:
      address: 127.0.0.2
      user: stack
      key_file: keys/id_ed25519
      ssh: {connect_timeout: 5}
  nodes:
    hv1:
      address: 127.0.0.11
      port: 5986
      user: Administrator
      password: ${env:NODE_PW}
      labels: {os: 2012r2, rack: 7}
      configurator: salt
      winrm: {scheme: https}
      agent: {minion_id: hv1, token: "${file:secrets/salt-token}"}
    hv2: {address: 127.0.0.12, transport: ssh, labels: {os: 2012r2}}
release:
  name: 2024.10-rc
  installer:
    path: msi/HyperVNovaCompute.msi
    sha256: 0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef
    features: [HyperVNovaCompute, NeutronHyperVAgent]
    properties: {ENABLELOGGING: 1, RPCBACKEND: RabbitMQ, DEBUG: true}
  devstack: {branch: 2024.10}
  repos:
    nova: {repo: https://example.invalid/nova.git, branch: hyperv-fixes}
    networking-hyperv: {branch: stable/2024.1}
  password: ${file:secrets/admin}
plugins: [winrm, tempest]
settings:
  agent: {regex: "^tempest\\\\.api", password: "${env:NODE_PW}"}
timeouts: {deploy: 3600, test: 7200.5}
profiles:
  p:
    os: 2012r2
    tempest: {lists_dir: lists, include: [tempest.api.compute], xfail: {tempest.api.x: bug 1}}
    devstack: {Q_ML2_TENANT_NETWORK_TYPE: vlan, VOLUME_BACKING_FILE_SIZE: 50000M}
    timeouts: {configure: 1800}
"""


AGENT = (Block("node", "agent", (Field("minion_id"), Field("token"))),
         Block("settings", "agent", (Field("regex"), Field("password"))))
"""A plugin's blocks: one per node, one in ``settings:``."""


@pytest.fixture
def full(tmp_path: Path):
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "salt-token").write_text("tok-123\n")
    (tmp_path / "secrets" / "admin").write_text("admin-pw\n")
    path = tmp_path / "hvrt.yaml"
    path.write_text(FULL)
    return load_config(path, environ={"NODE_PW": "node-pw"}, schemas=AGENT), tmp_path


def test_hosts(full) -> None:
    config, base = full
    ctl, hv1, hv2 = config.controllers["ctl"], config.nodes["hv1"], config.nodes["hv2"]
    assert (ctl.role, ctl.transport, ctl.user, ctl.password) == ("controller", "ssh", "stack", None)
    assert ctl.key_file == str(base / "keys" / "id_ed25519")
    assert ctl.options == {"ssh": {"connect_timeout": 5}}
    assert (hv1.role, hv1.transport, hv1.port, hv1.configurator) == ("node", "winrm", 5986, "salt")
    assert hv1.labels == {"os": "2012r2", "rack": "7"} and hv1.os == "2012r2"
    assert hv1.password == Secret("node-pw", "x") and repr(hv1.password) == "Secret(env:NODE_PW)"
    assert hv1.options["agent"] == {"minion_id": "hv1", "token": Secret("tok-123", "")}
    assert (hv2.transport, hv2.configurator) == ("ssh", "winrm")
    assert str(hv1.source).endswith("hvrt.yaml:10:5")


def test_release_plugins_settings_timeouts(full) -> None:
    config, base = full
    r = config.release
    assert r.name == "2024.10-rc" and r.devstack_branch == "2024.10"
    assert r.devstack_repo == "https://opendev.org/openstack/devstack"
    assert r.installer.path == str(base / "msi" / "HyperVNovaCompute.msi") and r.installer.url is None
    assert r.installer.sha256 == "0123456789abcdef" * 4
    assert r.installer.features == ("HyperVNovaCompute", "NeutronHyperVAgent")
    assert r.installer.properties == {"ENABLELOGGING": "1", "RPCBACKEND": "RabbitMQ", "DEBUG": "True"}
    assert r.repos["nova"].repo == "https://example.invalid/nova.git" and r.repos["nova"].branch == "hyperv-fixes"
    assert r.repos["networking-hyperv"].repo is None
    assert r.password.reveal() == "admin-pw"
    assert config.plugins == ("winrm", "tempest")
    assert config.plugin_settings("agent")["regex"] == "^tempest\\.api"
    assert config.plugin_settings("agent")["password"] == "node-pw"  # a string, and a known secret
    assert config.plugin_settings("html") == {}
    assert config.timeouts == {"deploy": 3600.0, "test": 7200.5}
    assert {s.reveal() for s in config.secrets} == {"node-pw", "tok-123", "admin-pw"}
    assert config.warnings == ()


def test_profile_fields(full) -> None:
    config, base = full
    p = config.profiles["p"]
    assert p.tempest.lists_dir == str(base / "lists")
    assert p.tempest.include == ("tempest.api.compute",) and p.tempest.xfail == {"tempest.api.x": "bug 1"}
    assert p.devstack_vars == {"Q_ML2_TENANT_NETWORK_TYPE": "vlan", "VOLUME_BACKING_FILE_SIZE": "50000M"}
    assert p.timeouts == {"configure": 1800.0}
    assert p.nodes_needed == 1


def test_defaults_of_a_minimal_file(load) -> None:
    config = load("profiles:\n  only: {}\n")
    assert config.plugins == ("winrm", "devstack", "tempest", "html")
    assert config.release.name == "dev" and config.release.password is None
    p = config.profiles["only"]
    assert (p.os, p.image.format, p.cow, p.network.type, p.memory.mode, p.utils_api) == \
        ("2012r2", "vhdx", True, "vlan", "fixed", "v2")
    assert p.include_default and not p.abstract and p.source.line == 12
    assert config.controllers["ctl2"].transport == "ssh" and config.nodes["hv1"].transport == "winrm"


def test_plugin_profiles_are_validated_like_the_files_own(load) -> None:
    config = load("profiles:\n  mine: {}\n", extra_profiles=[{"name": "extra", "os": "2016", "cow": False}])
    assert list(config.profiles) == ["mine", "extra"]
    assert config.profiles["extra"].cow is False
    with pytest.raises(ConfigErrors) as err:
        load("profiles:\n  mine: {}\n", extra_profiles=[{"name": "mine"}, {"name": "bad", "os": "95"}])
    text = str(err.value)
    assert "<profile 1 from a plugin>: profiles.mine: profile 'mine' is already defined at " in text
    assert "<profile 2 from a plugin>: profiles.bad.os: '95' is not one of:" in text


def test_yaml_anchors_and_merge_keys(load) -> None:
    config = load("""\
        lab:
          controllers: {ctl: {address: 127.0.0.2}}
          nodes:
            a: &node {address: 127.0.0.11, user: admin, labels: {os: 2016}}
            b: {<<: *node, address: 127.0.0.12}
        profiles:
          p: {os: 2016, live_migration: true}
        """, lab=False)
    assert (config.nodes["b"].address, config.nodes["b"].user, config.nodes["b"].os) == ("127.0.0.12", "admin", "2016")


def test_example_configuration_loads() -> None:
    config = load_config(EXAMPLE, environ={"HVRT_NODE_PASSWORD": "n", "HVRT_ADMIN_PASSWORD": "a"})
    assert {"2012r2-vhdx", "2012r2-vhd-fixed-nocow", "2012-vhdx", "2012r2-ovs-vxlan"} <= set(config.profiles)
    assert config.profiles["2012r2-ovs-vxlan"].network.uses_ovs
    assert all(h.address.startswith("127.") for h in config.hosts.values())


def test_non_yaml_bytes_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bin.yaml"
    bad.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError, match="bin.yaml"):
        load_config(bad)
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "none.yaml")
