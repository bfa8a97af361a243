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
