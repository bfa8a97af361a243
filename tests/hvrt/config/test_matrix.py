"""``matrix:``: cross product, excludes, aliases and dotted axes, labels, located errors."""
from __future__ import annotations

import pytest

from hvrt.config.matrix import axis_field
from hvrt.errors import ConfigError

MATRIX = """\
profiles:
  base: {abstract: true, tempest: {suite: default}, ini: {"*": {nova.conf: {DEFAULT: {debug: true}}}}}
matrix:
  - name: "{os}-{image_format}-{cow}"
    extends: base
    axes:
      os: [2012r2, 2016]
      image_format: [vhd, vhdx]
      cow: [{value: true, name: cow}, {value: false, name: nocow}]
    exclude:
      - {os: 2016, image_format: vhd}
      - {os: 2012r2, cow: nocow}
    set:
      include_default: false
      ini: {"*": {nova.conf: {DEFAULT: {verbose: true}}}}
"""


def test_cross_product_minus_excludes_in_axis_order(load) -> None:
    config = load(MATRIX)
    generated = [p.name for p in config.scenario_profiles()]
    assert generated == ["2012r2-vhd-cow", "2012r2-vhdx-cow", "2016-vhdx-cow", "2016-vhdx-nocow"]
    p = config.profiles["2016-vhdx-nocow"]
    assert (p.os, p.image.format, p.cow, p.include_default, p.extends) == ("2016", "vhdx", False, False, ("base",))
    assert p.tempest.suite == "default"
    assert p.ini["*"]["nova.conf"]["DEFAULT"] == {"debug": "True", "verbose": "True"}


def test_generated_profiles_do_not_share_state(load) -> None:
    config = load("""\
        matrix:
          - name: "m-{tempest.concurrency}-{network}"
            axes:
              tempest.concurrency: [1, 4]
              network: [vlan, flat]
            set: {os: 2016, tempest: {suite: smoke}}
        """)
    got = {n: (p.tempest.concurrency, p.tempest.suite, p.network.type) for n, p in config.profiles.items()}
    assert got == {"m-1-vlan": (1, "smoke", "vlan"), "m-1-flat": (1, "smoke", "flat"),
                   "m-4-vlan": (4, "smoke", "vlan"), "m-4-flat": (4, "smoke", "flat")}


def test_dotted_free_axis_and_memory_alias(load) -> None:
    config = load("""\
        matrix:
          - name: "dm-{memory_ratio}-{devstack.OVS_ENABLE_TUNNELING}"
            axes:
              memory_ratio: [1.5, 2.0]
              devstack.OVS_ENABLE_TUNNELING: [true]
            set: {os: 2016}
        """)
    p = config.profiles["dm-2.0-true"]
    assert (p.memory.mode, p.memory.dynamic_ratio) == ("dynamic", 2.0)
    assert p.devstack_vars == {"OVS_ENABLE_TUNNELING": "True"}
    assert "dm-1.5-true" in config.profiles


def test_matrix_profiles_are_checked_like_written_ones(load) -> None:
    with pytest.raises(ConfigError) as err:
        load("""\
            matrix:
              - name: "{os}-{vm_generation}"
                axes:
                  os: [2012, 2016]
                  vm_generation: [1, 2]
                set: {live_migration: true}
            """)
    text = str(err.value)
    # os 2012 has only hv5 (one node): live migration cannot be planned; gen 2 needs 2012r2+
    assert ":14:12: matrix[0].axes.os[0]: needs 2 node(s) labelled os: 2012; the lab has 1 (hv5) (in profile '2012-1')" in text
    assert ":15:26: matrix[0].axes.vm_generation[1]: generation 2 VMs need os 2012r2 or later, not 2012 " \
        "(in profile '2012-2')" in text
    assert "'2016-2'" not in text


def test_axis_aliases_and_dotted_paths() -> None:
    assert axis_field("image_format") == "image.format"
    assert axis_field("network") == "network.type"
    assert axis_field("memory") == "memory.mode"
    assert axis_field("tempest.max_attempts") == "tempest.max_attempts"
    assert axis_field("devstack.ANY_VAR") == "devstack.ANY_VAR"
    assert axis_field("cow") == "cow"
    for bad in ("image", "hosts", "ini", "image.size", "tempest.skip", "nope"):
        assert axis_field(bad) is None, bad


def test_generated_name_clash_with_written_profile(load) -> None:
    with pytest.raises(ConfigError, match=r"matrix\[0\]: profile '2016-vhd' is already defined at .*hvrt.yaml:12:3"):
        load("""\
            profiles:
              2016-vhd: {os: 2016}
            matrix:
              - name: "{os}-{image_format}"
                axes: {os: [2016], image_format: [vhd]}
            """)
