"""Blocks declared as data: checked when the file loads, and read with defaults by plugins."""
from __future__ import annotations

import pytest

from hvrt.config.model import Host, Secret, Source
from hvrt.config.registry import Schemas
from hvrt.config.schema import Block, Field, Requires, describe, read_block
from hvrt.errors import ConfigError, ConfigErrors

TOOL = Block("settings", "tool", doc="a plugin's settings", fields=(
    Field("mode", choices=("fast", "slow"), default="fast", doc="how"),
    Field("timeout", "number", rule="timeout", default=60.0),
    Field("retries", "integer", default=2, minimum=0, maximum=5),
    Field("enabled", "boolean", default=True),
    Field("name", pattern=r"[a-z]+", pattern_doc="lower-case letters"),
    Field("repo", rule="url:repo"),
    Field("token", doc="a secret"),
    Field("paths", "list", item=Field("", rule="path"), single=True),
    Field("env", "mapping", item=Field("", "setting"), key_pattern=r"[A-Z_]+"),
    Field("inner", "block", fields=(Field("depth", "integer", default=1, minimum=1), Field("label"))),
    Field("low", "integer", default=1),
    Field("high", "integer", default=10, above="low"),
    Field("server"),
), requires=(Requires("mode", "slow", ("server",), "mode slow needs a server"),))
NODE = Block("node", "tool", doc="a node's own block", fields=(Field("port", "integer", minimum=1, maximum=65535),
                                                               Field("key")))
SCHEMAS = Schemas([TOOL, NODE], plugins=frozenset({"tool"}))

LAB = """\
lab:
  controllers:
    ctl: {address: 127.0.0.2, transport: local}
  nodes:
    hv1: {address: 127.0.0.11, labels: {os: 2012r2}}
plugins: []
profiles:
  p: {}
"""


def errors_of(load, text: str) -> list[str]:
    with pytest.raises(ConfigError) as err:
        load(text, lab=False, schemas=SCHEMAS)
    found = err.value.errors if isinstance(err.value, ConfigErrors) else [err.value]
    return [f"{e.line}:{e.column}: {e.key}: {e.message}" for e in found]


def test_a_valid_block_loads_as_written(load) -> None:
    config = load(LAB + "settings:\n  tool: {mode: slow, server: s1, timeout: 5, paths: /a, env: {A_B: 1}}\n",
                  lab=False, schemas=SCHEMAS)
    assert config.plugin_settings("tool") == {"mode": "slow", "server": "s1", "timeout": 5, "paths": "/a",
                                              "env": {"A_B": 1}}


@pytest.mark.parametrize(("body", "expected"), [
    ("{stak: 1}", "10:10: settings.tool.stak: unknown key (allowed: mode, timeout, retries"),
    ("{modee: fast}", "settings.tool.modee: unknown key (did you mean 'mode'?)"),
    ("{mode: quick}", "10:16: settings.tool.mode: 'quick' is not one of: fast, slow"),
    ("{timeout: .inf}", "settings.tool.timeout: must be a finite number, got inf"),
    ("{timeout: .nan}", "settings.tool.timeout: must be a finite number, got nan"),
    ("{timeout: 0}", "settings.tool.timeout: must be greater than 0, got 0"),
    ("{timeout: 1000000000}", "settings.tool.timeout: must be at most 604800 seconds (7 days)"),
    ("{timeout: soon}", "settings.tool.timeout: expected a number, got a string"),
    ("{retries: 9}", "settings.tool.retries: must be between 0 and 5, got 9"),
    ("{retries: 1.5}", "settings.tool.retries: expected an integer, got a number"),
    ("{enabled: yes please}", "settings.tool.enabled: expected true or false, got a string"),
    ("{name: Bob}", "settings.tool.name: 'Bob' is not lower-case letters"),
    ("{repo: --upload-pack=x}", "settings.tool.repo: must not start with '-'"),
    ("{token: \"a\\nb\"}", "settings.tool.token: contains a LF character"),
    ("{token: true}", "settings.tool.token: expected a string, got a boolean (quote it: 'true')"),
    ("{paths: [/a, -b]}", "settings.tool.paths[1]: must not start with '-'"),
    ("{paths: {a: 1}}", "settings.tool.paths: expected a list or one value, got a mapping"),
    ("{env: {lower: 1}}", "settings.tool.env.lower: 'lower' is not a valid name here"),
    ("{env: {A: [1]}}", "settings.tool.env.A: expected a plain value (string, number or boolean), got a list"),
    ("{env: {A: null}}", "settings.tool.env.A: missing value"),
    ("{inner: {depht: 2}}", "settings.tool.inner.depht: unknown key (did you mean 'depth'?)"),
    ("{inner: {depth: 0}}", "settings.tool.inner.depth: must be at least 1, got 0"),
    ("{inner: 3}", "settings.tool.inner: expected a mapping, got an integer"),
    ("{high: 1}", "settings.tool.high: high (1) must be greater than low (1)"),
    ("{mode: slow}", "settings.tool.server: mode slow needs a server"),
    ("[1, 2]", "10:9: settings.tool: expected a mapping, got a list"),
])
def test_every_mistake_is_located(load, body: str, expected: str) -> None:
    found = errors_of(load, LAB + f"settings:\n  tool: {body}\n")
    assert any(expected in line for line in found), found


def test_all_mistakes_of_a_block_come_at_once(load) -> None:
    found = errors_of(load, LAB + "settings:\n  tool:\n    mode: quick\n    retries: -1\n    typo: 1\n")
    assert [line.split(": ")[1] for line in found] == ["settings.tool.mode", "settings.tool.retries",
                                                      "settings.tool.typo"]


def test_references_in_settings_become_strings_and_secrets(load) -> None:
    config = load(LAB + "settings:\n  tool: {token: '${env:TOOL_TOKEN}'}\n", lab=False, schemas=SCHEMAS,
                  environ={"TOOL_TOKEN": "tok-secret-1"})
    assert config.plugin_settings("tool") == {"token": "tok-secret-1"}
    assert "tok-secret-1" in {s.reveal() for s in config.secrets}
    with pytest.raises(ConfigError, match="environment variable NOPE is not set"):
        load(LAB + "settings:\n  tool: {token: '${env:NOPE}'}\n", lab=False, schemas=SCHEMAS)


def test_node_blocks_are_checked_where_written(load) -> None:
    text = LAB.replace("labels: {os: 2012r2}}", "labels: {os: 2012r2}, tool: {port: 0, kye: x}}")
    found = errors_of(load, text)
    assert any("5:67: lab.nodes.hv1.tool.port: must be between 1 and 65535, got 0" in f for f in found), found
    assert any("lab.nodes.hv1.tool.kye: unknown key (did you mean 'key'?)" in f for f in found), found


def test_a_node_block_on_a_controller_is_an_unknown_key(load) -> None:
    text = LAB.replace("transport: local}", "transport: local, tool: {port: 1}}")
    assert any("lab.controllers.ctl.tool: unknown key: 'tool:' is a block of nodes only" in f
               for f in errors_of(load, text))


def test_read_block_fills_defaults_and_checks_plain_data() -> None:
    values = read_block(TOOL, {"paths": "/one", "inner": {"label": 7}}, path="settings.tool",
                        source=Source("f.yaml", 0, 0))
    assert values["mode"] == "fast" and values["timeout"] == 60.0 and values["retries"] == 2
    assert values["paths"] == ["/one"] and values["inner"] == {"depth": 1, "label": "7"}
    assert values["server"] is None and values["env"] is None
    host = Host("hv1", "node", "127.0.0.11", "winrm", source=Source("lab.yaml", 7, 5))
    with pytest.raises(ConfigErrors) as err:
        read_block(TOOL, {"mode": "quick", "retries": 8}, path="lab.nodes.hv1.tool", source=host.source)
    assert [str(e) for e in err.value.errors] == [
        "lab.yaml:7:5: lab.nodes.hv1.tool.mode: 'quick' is not one of: fast, slow",
        "lab.yaml:7:5: lab.nodes.hv1.tool.retries: must be between 0 and 5, got 8",
    ]


def test_a_secret_is_a_string_value() -> None:
    values = read_block(TOOL, {"token": Secret("s3cret", "env:T")}, path="t", source=None)
    assert values["token"].reveal() == "s3cret"


def test_a_bad_declaration_is_refused_at_once() -> None:
    with pytest.raises(ValueError, match="unknown type"):
        Field("x", "text")
    with pytest.raises(ValueError, match="unknown rule"):
        Field("x", rule="email")
    with pytest.raises(ValueError, match="unknown scope"):
        Block("lab", "x", ())


def test_describe_lists_every_field() -> None:
    rows = describe(TOOL)
    assert rows[0] == "| `mode` | one of `fast`, `slow` | `fast` | how |"
    assert rows[2] == "| `retries` | integer, between 0 and 5 | `2` |  |"
    assert len(rows) == len(TOOL.fields)
