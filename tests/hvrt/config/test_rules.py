"""Cross-field rules of runnable profiles (the Hyper-V facts in hvrt.config.rules)."""
from __future__ import annotations

import pytest

from hvrt.errors import ConfigError


def profile_of(load, body: str):
    return load("profiles:\n  p:\n" + "".join(f"    {line}\n" for line in body.splitlines())).profiles["p"]


@pytest.mark.parametrize(("body", "message"), [
    ("os: 2012r2\nremotefx: true\nvm_generation: 2", "RemoteFX on generation 2 VMs needs os 2016"),
    ("os: 2016\nvm_generation: 2\nimage: {format: vhd}", "generation 2 VMs boot only from VHDX"),
    ("os: 2016\nmemory: {mode: fixed, dynamic_ratio: 1.2}", "memory.dynamic_ratio only applies to mode: dynamic"),
    ("os: 2012\nutils_api: v1\nhosts: [hv5]\nini: {hv1: {nova.conf: {DEFAULT: {debug: true}}}}",
     "INI overrides for 'hv1', which is not one of the pinned hosts (hv5)"),
    ("os: 2016\nnetwork: {type: ovs-vxlan, tunnel_endpoint: 127.0.0.9}\nimage: {format: vhdx, url: https://example.invalid/x/c.vhd.gz}",
     "image.url names a VHD file but image.format is vhdx"),
])
def test_rule_violations(load, body: str, message: str) -> None:
    with pytest.raises(ConfigError, match="profiles.p") as err:
        profile_of(load, body)
    assert message in str(err.value)


@pytest.mark.parametrize("body", [
    "os: 2016\nremotefx: true\nvm_generation: 2",
    "os: 2012\nutils_api: v1",
    "os: 2016\nmemory: {dynamic_ratio: 1.5}",
    "os: 2012r2\nlive_migration: true",
    "os: 2016\nnetwork: {type: ovs-vxlan, tunnel_endpoint: 127.0.0.9}",
    "os: 2016\nimage: {format: vhd, url: https://example.invalid/x-fixed.vhd.gz, type: fixed}",
])
def test_valid_combinations_load(load, body: str) -> None:
    assert profile_of(load, body).name == "p"


def test_remotefx_and_utils_v1_on_2008r2(load) -> None:
    config = load("""\
        lab:
          controllers: {ctl: {address: 127.0.0.2}}
          nodes: {old: {address: 127.0.0.20, labels: {os: 2008r2}}}
        profiles:
          p: {os: 2008r2, remotefx: true, utils_api: v1}
        """, lab=False)
    p = config.profiles["p"]
    assert (p.remotefx, p.utils_api, p.vm_generation) == (True, "v1", 1)


def test_dynamic_ratio_alone_means_dynamic_memory(load) -> None:
    p = profile_of(load, "os: 2016\nmemory: {dynamic_ratio: 1.5}")
    assert (p.memory.mode, p.memory.dynamic_ratio) == ("dynamic", 1.5)


def test_live_migration_defaults_to_two_nodes(load) -> None:
    p = profile_of(load, "os: 2012r2\nlive_migration: true")
    assert p.nodes_needed == 2 and p.hosts == ()
