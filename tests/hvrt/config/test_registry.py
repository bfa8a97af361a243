"""Schemas reach the loader through ``hvrt_config_schema`` of the plugins the file enables.

The plugins here are real distributions (dist-info with entry points on sys.path),
found and loaded by the same factory a run uses.
"""
from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from hvrt import hookimpl
from hvrt.config import load_config
from hvrt.config.registry import SSH, SchemaConflict, Schemas, collect, discover
from hvrt.config.schema import Block, Field
from hvrt.errors import ConfigError, ConfigErrors
from hvrt.plugins import create_plugin_manager

EXTRA = """
    import hvrt
    from hvrt.config.schema import Block, Field

    SETTINGS = Block("settings", "extra", (Field("depth", "integer", minimum=1, maximum=9, default=3),
                                           Field("url", rule="url:http")))
    NODE = Block("node", "extra", (Field("zone"),))

    @hvrt.hookimpl
    def hvrt_config_schema():
        return [SETTINGS, NODE]
"""
CLASH = """
    import hvrt
    from hvrt.config.schema import Block, Field

    @hvrt.hookimpl
    def hvrt_config_schema():
        return [Block("settings", "extra", (Field("other"),))]
"""
BROKEN = "import no_such_module_anywhere\n"

LAB = """\
lab:
  controllers:
    ctl: {address: 127.0.0.2, transport: local}
  nodes:
    hv1: {address: 127.0.0.11, labels: {os: 2012r2}}
"""


@pytest.fixture
def distribution(hvrt_distribution):
    """Throw-away distributions with hvrt entry points (hvrt.testing's fixture)."""
    return hvrt_distribution


@pytest.fixture
def config(tmp_path: Path):
    def write(text: str) -> Path:
        path = tmp_path / "cfg" / "hvrt.yaml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(LAB + textwrap.dedent(text))
        return path

    return write


def messages(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as err:
        load_config(path, environ={})
    return [str(e) for e in (err.value.errors if isinstance(err.value, ConfigErrors) else [err.value])]


def test_a_plugin_declares_its_blocks_through_its_entry_point(distribution, config) -> None:
    distribution("hvrt-cfgschema", {"extra": "cfgschema_extra"}, {"cfgschema_extra": EXTRA})
    good = config("""\
        plugins: [extra]
        settings: {extra: {depth: 2}}
        profiles: {p: {}}
        """)
    assert load_config(good, environ={}).plugin_settings("extra") == {"depth": 2}
    bad = config("""\
        plugins: [extra]
        settings:
          extra: {dpeth: 2, url: ftp://x}
        profiles: {p: {}}
        """)
    found = messages(bad)
    assert any(line.endswith("hvrt.yaml:8:11: settings.extra.dpeth: unknown key (did you mean 'depth'?)")
               for line in found), found
    assert any("settings.extra.url: scheme ftp:// is not allowed here" in line for line in found), found


def test_node_blocks_come_from_the_plugin_too(distribution, config) -> None:
    distribution("hvrt-cfgschema", {"extra": "cfgschema_extra"}, {"cfgschema_extra": EXTRA})
    path = config("plugins: [extra]\nprofiles: {p: {}}\n")
    path.write_text(path.read_text().replace("{os: 2012r2}}", "{os: 2012r2}, extra: {zoen: a}}"))
    assert any("5:62: lab.nodes.hv1.extra.zoen: unknown key (did you mean 'zone'?)" in m for m in messages(path))


def test_without_the_plugin_enabled_its_block_is_kept_with_a_warning(distribution, config) -> None:
    distribution("hvrt-cfgschema", {"extra": "cfgschema_extra"}, {"cfgschema_extra": EXTRA})
    path = config("plugins: []\nprofiles: {p: {}}\n")
    path.write_text(path.read_text().replace("{os: 2012r2}}", "{os: 2012r2}, extra: {zone: a}}"))
    loaded = load_config(path, environ={})
    assert loaded.nodes["hv1"].options == {"extra": {"zone": "a"}}
    assert any("lab.nodes.hv1.extra: plugin 'extra' is installed but not enabled" in w for w in loaded.warnings)


def test_a_plugin_that_fails_to_load_is_an_error_at_its_entry(distribution, config) -> None:
    distribution("hvrt-cfgbroken", {"broken": "cfgschema_broken"}, {"cfgschema_broken": BROKEN})
    found = messages(config("plugins: [winrm, broken]\nprofiles: {p: {}}\n"))
    assert len(found) == 1 and found[0].endswith(
        "hvrt.yaml:6:18: plugins[1]: plugin 'broken' failed to load: "
        "ModuleNotFoundError: No module named 'no_such_module_anywhere'"), found
    found = messages(config("plugins: [nosuch]\nprofiles: {p: {}}\n"))
    assert "hvrt.yaml:6:11: plugins[0]: plugin 'nosuch' failed to load: no such plugin" in found[0]


def test_two_different_declarations_of_one_block_are_refused(distribution, config) -> None:
    distribution("hvrt-cfgschema", {"extra": "cfgschema_extra", "clash": "cfgschema_clash"},
                 {"cfgschema_extra": EXTRA, "cfgschema_clash": CLASH})
    found = messages(config("plugins: [extra, clash]\nprofiles: {p: {}}\n"))
    assert "settings.extra is declared twice, differently" in found[0]


def test_the_same_declaration_twice_is_kept_once() -> None:
    block = Block("settings", "x", (Field("a"),))
    again = Block("settings", "x", (Field("a"),))
    schemas = Schemas([block, again])
    assert schemas.settings_block("x") is block
    with pytest.raises(SchemaConflict):
        Schemas([block, Block("settings", "x", (Field("b"),))])
    with pytest.raises(SchemaConflict, match="not a Block"):
        Schemas(["settings.x"])  # type: ignore[list-item]


def test_hvrt_config_schema_is_historic() -> None:
    class Early:
        @hookimpl
        def hvrt_config_schema(self) -> list[Block]:
            return [Block("settings", "early", ())]

    class Late:
        @hookimpl
        def hvrt_config_schema(self) -> list[Block]:
            return [Block("settings", "late", ())]

    pm = create_plugin_manager([], extra=[("early", Early())])
    found = collect(pm)
    assert [b.name for b in found] == ["early"]
    pm.register(Late(), name="late")
    assert [b.name for b in found] == ["early", "late"]


def test_discover_knows_the_enabled_registered_and_installed_plugins() -> None:
    class Mine:
        @hookimpl
        def hvrt_config_schema(self) -> list[Block]:
            return [Block("settings", "mine", (Field("a"),))]

    schemas = discover([], extra=[("mine", Mine())])
    assert schemas.settings_block("mine") is not None and schemas.host_block("node", "ssh") is SSH
    assert {"core", "transports", "mine"} <= schemas.plugins
    assert {"winrm", "devstack", "tempest", "html"} <= schemas.installed


def test_the_core_checks_the_ssh_block(config) -> None:
    path = config("plugins: []\nprofiles: {p: {}}\n")
    path.write_text(path.read_text().replace("transport: local}", "transport: ssh, ssh: {conect_timeout: 5, "
                                                                  "keepalive: -1, known_hosts: '-oProxy'}}"))
    found = messages(path)
    assert any("lab.controllers.ctl.ssh.conect_timeout: unknown key (did you mean 'connect_timeout'?)" in m
               for m in found), found
    assert any("lab.controllers.ctl.ssh.keepalive: must be between 0 and 3600, got -1" in m for m in found)
    assert any("lab.controllers.ctl.ssh.known_hosts: must not start with '-'" in m for m in found)


def test_settings_of_a_plugin_that_declares_nothing_are_its_own(config) -> None:
    loaded = load_config(config("plugins: [html]\nsettings: {html: {anything: 1}}\nprofiles: {p: {}}\n"),
                         environ={})
    assert loaded.plugin_settings("html") == {"anything": 1} and loaded.warnings == ()


def test_a_settings_block_nobody_reads(config) -> None:
    loaded = load_config(config("plugins: []\nsettings: {zzq: {a: 1}}\nprofiles: {p: {}}\n"), environ={})
    assert any("settings.zzq: no loaded plugin declares settings.zzq, so it is not checked" in w
               for w in loaded.warnings), loaded.warnings
    found = messages(config("plugins: [html]\nsettings: {htlm: {a: 1}}\nprofiles: {p: {}}\n"))
    assert "settings.htlm: unknown settings block (did you mean 'html'?)" in found[0]
