"""What oslo.config reads from the INI files the Salt configurator writes (mode ``local``, real Salt).

The node's config folder already holds files as installers leave them: one group
spelled ``[ovs]`` and ``[OVS]``, keys assigned twice. The profile's overrides use
other spellings again (``OVS``, ``agent``). After the run, oslo.config's own parser
and ``ConfigOpts`` must return every value the profile set.
"""
from __future__ import annotations

from pathlib import Path

import hvrt_saltstack.plugin as salt_plugin
import pytest
from oslo_config import cfg

pytestmark = [pytest.mark.salt, pytest.mark.slow]

INSTALLED = {
    "nova.conf": """\
# from the installer's template
[DEFAULT]
debug = False
debug = False
use_cow_images = True
[hyperv]
dynamic_memory_ratio = 2.0
enable_remotefx = False
[HYPERV]
dynamic_memory_ratio = 3.0
""",
    "neutron_ovs_agent.conf": """\
[DEFAULT]
debug = False
[OVS]
local_ip = 192.0.2.1
integration_bridge = br-old
[ovs]
local_ip = 192.0.2.2
local_ip = 192.0.2.3
[agent]
tunnel_types = gre
[AGENT]
tunnel_types = geneve
[securitygroup]
enable_security_group = False
""",
}

INI = {"hv1": {
    "nova.conf": {"DEFAULT": {"debug": "True"}, "hyperv": {"dynamic_memory_ratio": "1.5"},
                  "Hyperv": {"enable_remotefx": "True"}},
    "neutron_ovs_agent.conf": {
        "DEFAULT": {"debug": "True"},
        "OVS": {"local_ip": "14.14.14.1", "tunnel_bridge": "br-tun"},
        "ovs": {"integration_bridge": "br-int"},
        "AGENT": {"tunnel_types": "vxlan"},
        "SECURITYGROUP": {"enable_security_group": "True", "firewall_driver": "openvswitch"},
    },
    "neutron_hyperv_agent.conf": {"AGENT": {"enable_metrics_collection": "False"},
                                  "agent": {"polling_interval": "2"}},
}}


def meant(file_sections: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for section, values in file_sections.items():
        out.setdefault(cfg._normalize_group_name(section), {}).update(values)
    return out


def oslo_reads(path: Path, groups: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """The value ``ConfigOpts`` returns for each meant key, and that it is the last assignment."""
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


def test_salt_writes_what_oslo_config_reads_over_case_variants_and_duplicates(
    saltkit, saltlab, hvrt_run, tmp_path
) -> None:
    etc = tmp_path / "node" / "etc"
    etc.mkdir(parents=True)
    for name, text in INSTALLED.items():
        (etc / name).write_text(text)
    cfg_file = tmp_path / "hvrt.yaml"
    cfg_file.write_text(saltkit.lab_yaml(
        nodes={"hv1": {"address": "127.0.0.11", "transport": "local", "labels": {"os": "2016"},
                       "configurator": "salt",
                       "salt": {"mode": "local", "config_dir": str(etc), "workdir": str(tmp_path / "node" / "work")}}},
        profiles={"2016-salt": {"os": "2016", "hosts": ["hv1"], "ini": INI}},
    ))
    outcome = hvrt_run(cfg_file, profiles=["2016-salt"], plugins=[("salt", salt_plugin), ("saltlab", saltlab)])
    assert outcome.exit_code == 0, outcome.summary.to_dict()
    for name, sections in INI["hv1"].items():
        wanted = meant(sections)
        assert oslo_reads(etc / name, wanted) == wanted, name
    agent = (etc / "neutron_hyperv_agent.conf").read_text()
    assert agent.count("[AGENT]") + agent.count("[agent]") == 1  # one request spelling, one section
