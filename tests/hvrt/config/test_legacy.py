"""The legacy conversion rules, one by one (the whole real import is tested through the CLI)."""
from __future__ import annotations

from pathlib import Path

import pytest

from hvrt.config.legacy import convert, image_from_url, infer_os

CIRROS = "https://example.invalid/images"


@pytest.mark.parametrize(("name", "os_name"), [
    ("HyperV2016_VHDX", "2016"), ("HyperVNano2016_VHDX", "2016"), ("HyperV2012r2_VHD", "2012r2"),
    ("HyperV2012R2MultipleCSVS", "2012r2"), ("HyperV2012_VHD_v1", "2012"), ("Plain", None),
])
def test_infer_os(name: str, os_name: str | None) -> None:
    assert infer_os(name) == os_name


@pytest.mark.parametrize(("url", "image"), [
    (f"{CIRROS}/cirros-0.3.4-x86_64.vhdx.gz", {"format": "vhdx", "type": "dynamic"}),
    (f"{CIRROS}/cirros-0.3.3-x86_64-fixed.vhd.gz", {"format": "vhd", "type": "fixed"}),
    (f"{CIRROS}/Fedora-sda-fixed.vhdx", {"format": "vhdx", "type": "fixed"}),
    (None, {}),
])
def test_image_from_url(url: str | None, image: dict) -> None:
    assert image_from_url(url) == image


def test_devstack_keys_without_a_field_stay_devstack_variables(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text(f"""\
HyperV2012r2_vlan_ovs:
  use_ovs: true
  devstack:
    live_migration: false
    image_url: {CIRROS}/c.vhdx.gz
    Q_ML2_TENANT_NETWORK_TYPE: vlan
    TUNNEL_ENDPOINT_IP: 127.0.0.9
    EXTRA_OPTS: "--verbose"
  hosts:
    h1:
      nova.conf:
        hyperv: {{dynamic_memory_ratio: 2}}
HyperV2012r2_gre:
  devstack:
    Q_ML2_TENANT_NETWORK_TYPE: gre
  hosts:
    h1: {{}}
""")
    (tmp_path / "include-tests-default.txt").write_text("tempest.api.\n")
    profiles = convert(tmp_path / "config.yaml", tmp_path).document["profiles"]
    ovs = profiles["HyperV2012r2_vlan_ovs"]
    assert ovs["network"] == {"type": "ovs-vlan"}
    assert ovs["devstack"] == {"TUNNEL_ENDPOINT_IP": "127.0.0.9", "EXTRA_OPTS": "--verbose"}
    assert ovs["memory"] == {"mode": "dynamic", "dynamic_ratio": 2.0}
    assert ovs["hosts"] == ["h1"] and ovs["tempest"] == {"suite": "default"}
    gre = profiles["HyperV2012r2_gre"]
    assert "network" not in gre and gre["devstack"] == {"Q_ML2_TENANT_NETWORK_TYPE": "gre"}
    assert gre["live_migration"] is False and "allow_resize_to_same_host" not in gre
    assert profiles["legacy"] == {"abstract": True, "description": "shared by every imported legacy scenario",
                                  "tempest": {"lists_dir": "tempest-lists"}}


def test_ini_values_arrive_as_the_legacy_eval_wrote_them(tmp_path: Path) -> None:
    r"""run.sh passed each value through an unquoted bash eval: '\\' became '\', '\x' became 'x'."""
    (tmp_path / "config.yaml").write_text("""\
HyperV2012r2_csv:
  hosts:
    h1:
      nova.conf:
        DEFAULT:
          instances_path: 'C:\\\\ClusterStorage\\\\Volume1\\\\Instances\\\\'
          plain: 'no backslash'
          odd: 'a\\b'
          flag: true
""")
    (tmp_path / "include-tests-default.txt").write_text("tempest.api.\n")
    result = convert(tmp_path / "config.yaml", tmp_path)
    values = result.document["profiles"]["HyperV2012r2_csv"]["ini"]["h1"]["nova.conf"]["DEFAULT"]
    assert values == {"instances_path": "C:\\ClusterStorage\\Volume1\\Instances\\", "plain": "no backslash",
                      "odd": "ab", "flag": True}
    # and the host keeps its instances on a CSV, so it is a cluster member
    assert result.document["lab"]["nodes"]["h1"]["hyperv"] == {"clustered": True}
    assert any("Cluster Shared Volume" in w for w in result.warnings)


def test_a_vxlan_hosts_local_ip_becomes_its_own_tunnel_address(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("""\
HyperV2016_ovs_a:
  use_ovs: true
  devstack: {Q_ML2_TENANT_NETWORK_TYPE: vxlan, TUNNEL_ENDPOINT_IP: 127.0.0.9}
  hosts:
    h1: {neutron_ovs_agent.conf: {OVS: {local_ip: 127.0.0.31}}}
    h2: {neutron_ovs_agent.conf: {ovs: {local_ip: 127.0.0.32}}}
    h3: {neutron_ovs_agent.conf: {OVS: {local_ip: 127.0.0.33}}}
HyperV2016_ovs_b:
  use_ovs: true
  devstack: {Q_ML2_TENANT_NETWORK_TYPE: vxlan, TUNNEL_ENDPOINT_IP: 127.0.0.9}
  hosts:
    h1: {neutron_ovs_agent.conf: {OVS: {local_ip: 127.0.0.31}}}
    h3: {neutron_ovs_agent.conf: {OVS: {local_ip: 127.0.0.43}}}
HyperV2016_vlan:
  hosts:
    h4: {neutron_ovs_agent.conf: {OVS: {local_ip: 127.0.0.34}}}
""")
    (tmp_path / "include-tests-default.txt").write_text("tempest.api.\n")
    result = convert(tmp_path / "config.yaml", tmp_path)
    nodes = result.document["lab"]["nodes"]
    assert nodes["h1"]["hyperv"] == {"tunnel_address": "127.0.0.31"}
    assert nodes["h2"]["hyperv"] == {"tunnel_address": "127.0.0.32"}
    assert "hyperv" not in nodes["h3"]  # two different addresses: the user decides
    assert any("h3 has local_ip 127.0.0.33" in w for w in result.warnings)
    assert "hyperv" not in nodes["h4"]  # not a VXLAN scenario
    # the controller's endpoint stays the controller's
    assert result.document["profiles"]["HyperV2016_ovs_a"]["network"] == {"type": "ovs-vxlan",
                                                                          "tunnel_endpoint": "127.0.0.9"}


def test_a_lab_template_keeps_its_own_host_settings(tmp_path: Path) -> None:
    (tmp_path / "config.yaml").write_text("""\
HyperV2016_ovs:
  use_ovs: true
  devstack: {Q_ML2_TENANT_NETWORK_TYPE: vxlan}
  hosts:
    h1: {neutron_ovs_agent.conf: {OVS: {local_ip: 127.0.0.31}}}
""")
    (tmp_path / "include-tests-default.txt").write_text("tempest.api.\n")
    (tmp_path / "lab.yaml").write_text("""\
lab:
  nodes:
    h1: {address: 127.0.0.21, hyperv: {tunnel_address: 127.0.0.51, domain: LAB}}
""")
    result = convert(tmp_path / "config.yaml", tmp_path, tmp_path / "lab.yaml")
    assert result.document["lab"]["nodes"]["h1"]["hyperv"] == {"tunnel_address": "127.0.0.51", "domain": "LAB"}
