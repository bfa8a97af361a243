"""``settings: tempest:``: declared as a schema, checked when the config loads."""
from __future__ import annotations

from pathlib import Path

import pytest
from hvrt_tempest import settings

from hvrt.config import load_config
from hvrt.config.registry import discover
from hvrt.errors import ConfigError, ConfigErrors

LAB = """\
lab:
  controllers:
    ctl: {address: 127.0.0.2, transport: local}
  nodes:
    hv1: {address: 127.0.0.11, labels: {os: 2012r2}}
plugins: [tempest]
profiles:
  p: {}
settings:
  tempest: """


def load(tmp_path: Path, block: str):
    path = tmp_path / "hvrt.yaml"
    path.write_text(LAB + block + "\n")
    return load_config(path, environ={"TOKEN": "tok-12345"}, schemas=settings.hvrt_config_schema())


def test_a_valid_block(tmp_path: Path) -> None:
    config = load(tmp_path, "{run_timeout: 10800, env: {OS_TOKEN: '${env:TOKEN}'}, validation: false, "
                            "conf: {compute: {build_timeout: 300}}}")
    assert config.plugin_settings("tempest")["env"] == {"OS_TOKEN": "tok-12345"}
    assert "tok-12345" in {s.reveal() for s in config.secrets}


@pytest.mark.parametrize(("block", "expected"), [
    ("{run_timout: 5}", "10:13: settings.tempest.run_timout: unknown key (did you mean 'run_timeout'?)"),
    ("{run_timeout: .inf}", "settings.tempest.run_timeout: must be a finite number, got inf"),
    ("{list_timeout: 0}", "settings.tempest.list_timeout: must be greater than 0"),
    ("{validation: maybe}", "settings.tempest.validation: expected true or false, got a string"),
    ("{conf: {'bad]': {a: 1}}}", "settings.tempest.conf.bad]: 'bad]' is not a valid name"),
    ("{conf: {compute: {'a=b': 1}}}", "settings.tempest.conf.compute.a=b: 'a=b' is not a valid name"),
    ("{conf: {compute: {a: \"1\\n[DEFAULT]\"}}}", "settings.tempest.conf.compute.a: contains a LF character"),
    ("{env: {A: [x]}}", "settings.tempest.env.A: expected a plain value"),
    ("{workspace_root: '-rf'}", "settings.tempest.workspace_root: must not start with '-'"),
])
def test_mistakes_fail_at_load(tmp_path: Path, block: str, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        load(tmp_path, block)
    found = [str(e) for e in (err.value.errors if isinstance(err.value, ConfigErrors) else [err.value])]
    assert any(expected in line for line in found), found


def test_the_entry_point_declares_the_block() -> None:
    assert discover(["tempest"]).settings_block("tempest") is settings.SETTINGS
