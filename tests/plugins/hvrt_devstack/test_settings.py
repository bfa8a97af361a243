"""``settings: devstack:``, ``settings: deploy:`` and a controller's ``devstack:`` block:
declared as schemas, checked when the config loads, read with their defaults."""
from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import pytest
from hvrt_devstack import settings
from hvrt_devstack.settings import DevstackSettings, load_settings

from hvrt.config import load_config
from hvrt.config.model import Config, Host, Release, Source
from hvrt.config.registry import discover
from hvrt.errors import ConfigError, ConfigErrors

LAB = """\
lab:
  controllers:
    ctl:
      address: 127.0.0.2
      transport: local
      devstack: {dest: /srv/stack, image_timeout: -1}
  nodes:
    hv1: {address: 127.0.0.11, labels: {os: 2012r2}}
plugins: [devstack]
profiles:
  p: {}
"""


def errors(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "hvrt.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(path, environ={}, schemas=settings.hvrt_config_schema())
    found = err.value.errors if isinstance(err.value, ConfigErrors) else [err.value]
    return [str(e).removeprefix(f"{path}:") for e in found]


def test_the_mistakes_a_new_user_made_fail_at_load(tmp_path: Path) -> None:
    found = errors(tmp_path, LAB + "settings:\n  devstack: {stak_timeout: 5}\n  deploy: {clouds_yml: c.yaml}\n")
    assert found == [
        "6:51: lab.controllers.ctl.devstack.image_timeout: must be greater than 0, got -1",
        "13:14: settings.devstack.stak_timeout: unknown key (did you mean 'stack_timeout'?)",
        "14:12: settings.deploy.clouds_yml: unknown key (did you mean 'clouds_yaml'?)",
    ]


@pytest.mark.parametrize(("block", "expected"), [
    ("deploy: {deployer: existing}", "settings.deploy.cloud: the existing deployer needs settings.deploy.cloud"),
    ("deploy: {deployer: '-x'}", "settings.deploy.deployer: '-x' is not a plugin name"),
    ("devstack: {localrc: {BAD-NAME: 1}}", "settings.devstack.localrc.BAD-NAME: 'BAD-NAME' is not a valid name"),
    ("devstack: {localrc: {OK: \"a\\nb\"}}", "settings.devstack.localrc.OK: contains a LF character"),
    ("devstack: {post_config: {$NOVA_CONF: {DEFAULT: {debug: \"x\\r\\ny=1\"}}}}",
     "settings.devstack.post_config.$NOVA_CONF.DEFAULT.debug: contains a CR character"),
    ("devstack: {post_config: {$NOVA_CONF: {'[x]': {a: 1}}}}", "post_config.$NOVA_CONF.[x]: '[x]' is not a valid name"),
    ("devstack: {auth_url: 'file:///etc/passwd'}", "settings.devstack.auth_url: scheme file:// is not allowed"),
    ("devstack: {dest: '--help'}", "settings.devstack.dest: must not start with '-'"),
    ("devstack: {min_free_disk_mb: 1.5}", "settings.devstack.min_free_disk_mb: expected an integer, got a number"),
    ("devstack: {health_interval: .nan}", "settings.devstack.health_interval: must be a finite number, got nan"),
])
def test_bad_values(tmp_path: Path, block: str, expected: str) -> None:
    found = errors(tmp_path, LAB.replace(", image_timeout: -1", "") + f"settings:\n  {block}\n")
    assert any(expected in line for line in found), found


def _config(settings_block: dict) -> Config:
    return Config(path="/lab/hvrt.yaml", controllers={}, nodes={}, release=Release(), profiles={},
                  settings={"devstack": settings_block})


def test_load_settings_fills_the_defaults_and_the_paths_under_dest() -> None:
    read = load_settings(_config({"dest": "/srv/stack/", "health_timeout": 5}))
    assert read.dest == "/srv/stack" and read.devstack_dir == "/srv/stack/devstack"
    assert read.health_timeout == 5 and read.stack_timeout == 7200.0
    assert read.tempest_command == ["/srv/stack/tempest/.tox/tempest/bin/tempest"]
    assert read.config_dirs == list(settings.CONFIG_DIRS)


def test_the_controller_block_wins_and_is_checked_the_same_way() -> None:
    ctl = Host("ctl", "controller", "127.0.0.2", "local", options={"devstack": {"dest": "/mine", "stack_timout": 1}},
               source=Source("/lab/hvrt.yaml", 4, 5))
    with pytest.raises(ConfigError) as err:
        load_settings(_config({"dest": "/theirs"}), ctl)
    assert str(err.value) == ("/lab/hvrt.yaml:4:5: settings.devstack.stack_timout: unknown key "
                              "(did you mean 'stack_timeout'?)")
    ok = Host("ctl", "controller", "127.0.0.2", "local", options={"devstack": {"dest": "/mine"}})
    assert load_settings(_config({"dest": "/theirs", "git_timeout": 3}), ok).dest == "/mine"


def test_dataclass_defaults_match_the_schema() -> None:
    declared = {f.name: f for f in settings.FIELDS}
    assert set(declared) == {f.name for f in fields(DevstackSettings)}
    plain = DevstackSettings()
    for name, field in declared.items():
        if field.default is not None:
            assert getattr(plain, name) == field.default, name


def test_the_entry_points_declare_the_blocks() -> None:
    for name in ("devstack", "existing"):
        schemas = discover([name])
        assert schemas.settings_block("deploy") is settings.DEPLOY
    assert discover(["devstack"]).host_block("controller", "devstack") is settings.CONTROLLER
