"""What oslo.config reads from the INI files the Puppet configurator writes (real Puppet).

The node's files already hold what installers leave: one group spelled ``[ovs]`` and
``[OVS]``, keys assigned twice, the spelling the profile uses appearing before
another one. The module's ``hvrt_oslo`` provider of ``ini_setting`` resolves each
section to the file's last spelling of its group; oslo.config's own parser and
``ConfigOpts`` must then return every value the profile set, and a second apply
changes nothing.
"""
from __future__ import annotations

import logging
import shutil
from pathlib import Path

import hvrt_puppet.plugin
import pytest
from oslo_config import cfg

from hvrt.config.model import Config, Host, Installer, Profile, Release, Scenario
from hvrt.context import RunContext, ScenarioContext
from hvrt.plugins import create_plugin_manager
from hvrt.redact import Redactor
from hvrt.results import ScenarioResult

pytestmark = [pytest.mark.puppet, pytest.mark.slow,
              pytest.mark.skipif(shutil.which("puppet") is None, reason="needs puppet")]

INSTALLED = {
    "nova.conf": """\
# from the installer's template
[DEFAULT]
debug = false
debug = false
[hyperv]
dynamic_memory_ratio = 2.0
[HYPERV]
dynamic_memory_ratio = 3.0
enable_remotefx = false
""",
    "neutron_ovs_agent.conf": """\
[DEFAULT]
debug = false
[OVS]
local_ip = 192.0.2.1
integration_bridge = br-old
[ovs]
local_ip = 192.0.2.2
local_ip = 192.0.2.3
[AGENT]
tunnel_types = gre
[securitygroup]
enable_security_group = false
""",
}

INI = {"lin1": {
    "nova.conf": {"DEFAULT": {"debug": "true"}, "hyperv": {"dynamic_memory_ratio": "1.5"},
                  "Hyperv": {"enable_remotefx": "true"}},
    "neutron_ovs_agent.conf": {
        "DEFAULT": {"debug": "true"},
        "OVS": {"local_ip": "14.14.14.1", "tunnel_bridge": "br-tun"},
        "ovs": {"integration_bridge": "br-int"},
        "agent": {"tunnel_types": "vxlan"},
        "SECURITYGROUP": {"enable_security_group": "true", "firewall_driver": "openvswitch"},
    },
}}


def make_ctx(tmp_path: Path, node: Host) -> ScenarioContext:
    tmp_path.mkdir(parents=True, exist_ok=True)
    config_file = tmp_path / "hvrt.yaml"
    config_file.write_text("# the lab of this test is built in code\n")
    controller = Host("ctl", "controller", "127.0.0.1", "local")
    profile = Profile("2016-ovs", ini=INI)
    config = Config(str(config_file), {"ctl": controller}, {node.name: node}, Release(name="rel", installer=Installer()),
                    {profile.name: profile}, plugins=("puppet",))
    pm = create_plugin_manager(enabled=(), extra=[("puppet", hvrt_puppet.plugin)])
    run = RunContext(config, pm, "run-1", tmp_path / "results", redactor=Redactor(()))
    scenario = Scenario(profile.name, profile, (node.name,), ("ctl",))
    folder = tmp_path / "results" / scenario.name
    folder.mkdir(parents=True, exist_ok=True)
    return ScenarioContext(run, scenario, [node], controller, folder, ScenarioResult(scenario.name),
                           logging.getLogger("test.puppet"))


def configure(ctx: ScenarioContext) -> dict:
    try:
        return ctx.run.pm.hook.hvrt_configure_node(ctx=ctx, node=ctx.nodes[0])
    finally:
        ctx.close_transports()


def meant(file_sections: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for section, values in file_sections.items():
        out.setdefault(cfg._normalize_group_name(section), {}).update(values)
    return out


def oslo_reads(path: Path, groups: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    normalized: dict = {}
    parser = cfg.ConfigParser(str(path), {})
    parser._add_normalized(normalized)
    parser.parse()
    conf = cfg.ConfigOpts()
    for group, values in groups.items():
        conf.register_opts([cfg.StrOpt(k) for k in values], group=None if group == "DEFAULT" else group)
    conf(args=[], project="hvrt-test", default_config_files=[str(path)], default_config_dirs=[])
    seen: dict[str, dict[str, str]] = {}
    for group, values in groups.items():
        for key in values:
            value = (conf if group == "DEFAULT" else conf[group])[key]
            assert normalized[group][key][-1] == value
            seen.setdefault(group, {})[key] = value
    return seen


def test_puppet_writes_what_oslo_config_reads_over_case_variants_and_duplicates(linux_node, tmp_path) -> None:
    etc = linux_node.fresh_dir("oslo-etc")
    for name, text in INSTALLED.items():
        (etc / name).write_text(text)
        if linux_node.over_ssh:
            shutil.chown(etc / name, linux_node.user, linux_node.user)
    options: dict[str, object] = {"config_dir": str(etc)}
    if not linux_node.over_ssh:
        options["unshare"] = True
    node = linux_node.host_with(**options)
    record = configure(make_ctx(tmp_path / "first", node))
    assert record["status"] == "changed", record
    for name, sections in INI["lin1"].items():
        wanted = meant(sections)
        assert oslo_reads(etc / name, wanted) == wanted, name
    text = (etc / "neutron_ovs_agent.conf").read_text()
    assert "local_ip = 14.14.14.1" in text.split("[ovs]", 1)[1]  # written in the group's last section
    again = configure(make_ctx(tmp_path / "again", node))
    assert again["status"] == "unchanged" and again["exit_code"] == 0, again
