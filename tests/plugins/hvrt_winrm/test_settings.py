"""The blocks the winrm plugin declares: checked when the config loads, with file:line:column."""
from __future__ import annotations

import textwrap
from pathlib import Path

import hvrt_winrm.plugin
import pytest
from hvrt_winrm import settings
from hvrt_winrm.options import WINRM

from hvrt.config import load_config
from hvrt.config.model import Host
from hvrt.config.registry import discover
from hvrt.errors import ConfigError, ConfigErrors

CONFIG = """\
lab:
  controllers:
    ctl: {address: 127.0.0.2, transport: local}
  nodes:
    hv1:
      address: 127.0.0.11
      labels: {os: 2012r2}
      winrm: {schem: https, port: 5986}
      hyperv: {vswitch: {create: External}, live_migration_networks: [192.0.2.0/33]}
plugins: [winrm]
settings:
  winrm: {max_clock_skew: .inf, vswitch: {name: "a;b"}}
profiles:
  p: {}
"""


def errors(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as err:
        load_config(path, environ={}, schemas=settings.hvrt_config_schema())
    return [str(e) for e in (err.value.errors if isinstance(err.value, ConfigErrors) else [err.value])]


def test_every_block_of_the_plugin_is_checked_at_load(tmp_path: Path) -> None:
    path = tmp_path / "hvrt.yaml"
    path.write_text(CONFIG)
    found = [line.removeprefix(str(path) + ":") for line in errors(path)]
    assert found == [
        "8:15: lab.nodes.hv1.winrm.schem: unknown key (did you mean 'scheme'?)",
        "9:34: lab.nodes.hv1.hyperv.vswitch.create: 'External' is not one of: external, internal, private"
        " (did you mean 'external'?)",
        "9:71: lab.nodes.hv1.hyperv.live_migration_networks[0]: '192.0.2.0/33' is not an IP network "
        "such as 192.0.2.0/24",
        "12:27: settings.winrm.max_clock_skew: must be a finite number, got inf",
        "12:49: settings.winrm.vswitch.name: 'a;b' is not a switch name (letters, digits, ' ', '.', '_', '-')",
    ]


def test_the_old_switch_keys_are_gone_with_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "hvrt.yaml"
    path.write_text(CONFIG.replace("vswitch: {create: External}", "vswitch_type: Internal")
                    .replace("/33", "/24").replace(".inf", "60").replace('"a;b"', "lab").replace("schem:", "scheme:"))
    found = [line.removeprefix(str(path) + ":") for line in errors(path)]
    assert len(found) == 1 and "lab.nodes.hv1.hyperv.vswitch_type: unknown key (did you mean 'vswitch'?)" in found[0]


def test_a_valid_hyperv_block_overrides_the_plugin_settings(tmp_path: Path) -> None:
    path = tmp_path / "hvrt.yaml"
    path.write_text(textwrap.dedent(CONFIG).replace("schem:", "scheme:").replace("External", "external, adapter: Eth2")
                    .replace("/33", "/24").replace(".inf", "60").replace('"a;b"', "lab"))
    config = load_config(path, environ={}, schemas=settings.hvrt_config_schema())
    merged = settings.host_settings(config.nodes["hv1"], config.plugin_settings("winrm"))
    # the switch block merges key by key: the name from settings, create and adapter from the node
    assert merged["vswitch"] == {"name": "lab", "create": "external", "adapter": "Eth2", "allow_management_os": True}
    assert merged["live_migration_networks"] == ("192.0.2.0/24",) and merged["max_migrations"] == 8


def test_defaults_of_the_host_settings_come_from_the_schema() -> None:
    node = Host("hv1", "node", "127.0.0.11", "winrm")
    merged = settings.host_settings(node, {"unrelated": 1})
    assert merged["vswitch"] == {"name": "external", "create": None, "adapter": None, "allow_management_os": True}
    assert {k: v for k, v in merged.items() if k != "vswitch"} == {
        f.name: (tuple(f.default) if f.type == "list" else f.default)
        for f in settings.HYPERV.fields if f.name != "vswitch"}


def test_a_node_in_code_gets_the_same_checks() -> None:
    node = Host("hv1", "node", "127.0.0.11", "winrm", options={"hyperv": {"tunnel_address": "not an address"}})
    with pytest.raises(ConfigError, match="lab.nodes.hv1.hyperv.tunnel_address"):
        settings.host_settings(node, {})


def test_the_entry_point_declares_the_blocks() -> None:
    assert hvrt_winrm.plugin is not None
    schemas = discover(["winrm"])
    assert schemas.settings_block("winrm") is settings.SETTINGS
    assert schemas.host_block("node", "winrm") is WINRM and schemas.host_block("node", "hyperv") is settings.HYPERV
