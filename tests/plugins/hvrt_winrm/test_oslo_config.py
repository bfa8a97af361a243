"""What oslo.config reads from the INI files the WinRM configurator leaves on a node.

The imported legacy scenarios (VLAN, flat, OVS) are configured on simulated nodes by
the real ``hvrt_configure_node`` hook, once on the files the simulated MSI writes and
once on files that also hold what real installer-made configs can: the same group
spelled ``[ovs]`` and ``[OVS]``, keys assigned twice, a section that comes again later.
Every nova.conf and agent config is then read with oslo.config (``ConfigParser`` and
``ConfigOpts`` with the options registered), and every value hvrt meant to set (the
seed dimensions' values, then the profile's overrides) must be the value returned,
assigned exactly once in its group.
"""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hvrt_winrm import settings as S
from hvrt_winrm.transport import WinRMTransport
from oslo_config import cfg

from hvrt.config import load_config
from hvrt.config.legacy import convert, copy_lists, render
from hvrt.config.model import Config, Network, Profile
from hvrt.ini import case_clashes
from hvrt.sandbox.wsman import fn_hyperv, powershell

REPO = Path(__file__).resolve().parents[3]
SHARED = REPO.parent / "shared" / "fixtures" / "legacy-cloudbase"
LEGACY = SHARED if (SHARED / "config.yaml").is_file() else REPO / "examples" / "legacy" / "source"

# what an installer's own templates can hold besides the values the simulated MSI writes
INSTALLER_EXTRAS = {
    "nova.conf": """\
# from the installer's template
[DEFAULT]
debug = False
use_cow_images = True
use_cow_images = True
allow_resize_to_same_host = True
[HYPERV]
dynamic_memory_ratio = 2.0
[hyperv]
force_hyperv_utils_v1 = True
force_hyperv_utils_v1 = True
""",
    "neutron_hyperv_agent.conf": """\
[agent]
physical_network_vswitch_mappings = *:old
[AGENT]
enable_metrics_collection = True
enable_metrics_collection = True
[SecurityGroup]
enable_security_group = False
[DEFAULT]
debug = False
""",
    "neutron_ovs_agent.conf": """\
[ovs]
local_ip = 192.0.2.1
integration_bridge = br-old
[OVS]
local_ip = 192.0.2.2
local_ip = 192.0.2.3
tunnel_bridge = br-old
[agent]
tunnel_types = gre
[AGENT]
tunnel_types = geneve
enable_metrics_collection = True
[securitygroup]
enable_security_group = False
[DEFAULT]
debug = False
debug = False
""",
}

SCENARIOS = {
    # name: (legacy scenario, network it is run with, hosts)
    "vlan": ("HyperV2012_VHD_v1", None),
    "flat": ("HyperV2012r2_VHDX_no_CoW", Network(type="flat")),
    "ovs-vxlan": ("HyperV2016_OVS_VXLAN_VHDX", None),
    "ovs-kilo": ("HyperV2016_OVS_KILO_VXLAN_VHDX", None),
}


@pytest.fixture(scope="module")
def legacy(tmp_path_factory: pytest.TempPathFactory) -> Config:
    """The legacy config as ``hvrt import-legacy`` turns it into hvrt.yaml, loaded."""
    out = tmp_path_factory.mktemp("legacy")
    result = convert(LEGACY / "config.yaml", LEGACY)
    copy_lists(result, out)
    (out / "hvrt.yaml").write_text(render(result, "config.yaml"), encoding="utf-8")
    return load_config(out / "hvrt.yaml", environ={"HVRT_NODE_PASSWORD": "-", "HVRT_ADMIN_PASSWORD": "-"})


def scenario_profile(legacy: Config, scenario: str) -> Profile:
    name, network = SCENARIOS[scenario]
    profile = legacy.profiles[name]
    return replace(profile, network=network) if network else profile


@pytest.fixture
def installer_extras(monkeypatch: pytest.MonkeyPatch) -> None:
    """The simulated MSI install, after which the config files also hold :data:`INSTALLER_EXTRAS`."""
    def install(node: Any, params: dict[str, Any]) -> dict[str, Any]:
        result = fn_hyperv.install_msi(node, params)
        for fname, extra in INSTALLER_EXTRAS.items():
            path = node.model.path(S.CONFIG_FILES[fname])
            if path.exists():
                path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")
        return result

    monkeypatch.setitem(powershell._IMPLEMENTED, "Install-HvrtMsi", install)


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str, dict[str, Any]]]:
    """Every module call the configurator sends (node, function, params), recorded on the way out."""
    calls: list[tuple[str, str, dict[str, Any]]] = []
    real = WinRMTransport.invoke_many

    def record(self: WinRMTransport, batch: list[tuple[str, dict[str, Any]]], **kwargs: Any) -> list[Any]:
        calls.extend((self.host_name, fn, json.loads(json.dumps(params))) for fn, params in batch)
        return real(self, batch, **kwargs)

    monkeypatch.setattr(WinRMTransport, "invoke_many", record)
    return calls


def configure(sim_nodes: dict, make_ctx: Any, profile: Profile) -> tuple[Any, dict[str, Any]]:
    """``profile`` configured on one simulated node per host (named as the host); returns the context
    and the simulated node of each host. Each node has the lab's ``external`` switch, as the legacy
    labs did."""
    nodes = [sim_nodes["hv-01"], sim_nodes["hv-02"]][:len(profile.hosts)]
    for node in nodes:
        switches = {**node.model.state()["vmswitches"],
                    "external": {"name": "external", "type": "External", "adapter": "Ethernet",
                                 "allow_management_os": True}}
        node.model.update(vmswitches=switches)
    ctx = make_ctx(nodes, profile, names=list(profile.hosts))
    for host in ctx.nodes:
        ctx.run.pm.hook.hvrt_configure_node(ctx=ctx, node=host)
    return ctx, dict(zip(profile.hosts, nodes, strict=True))


def meant_values(sent: list[tuple[str, str, dict[str, Any]]], host: str) -> dict[str, dict[str, dict[str, str]]]:
    """``path -> oslo group -> key -> value``: what the configurator asked ``host`` to write, in order."""
    meant: dict[str, dict[str, dict[str, str]]] = {}
    for node, fn, params in sent:
        if node != host or fn != "Set-HvrtIniValues":
            continue
        for section, values in params["values"].items():
            group = meant.setdefault(params["path"], {}).setdefault(cfg._normalize_group_name(section), {})
            group.update({str(k): str(v) for k, v in values.items()})
    return meant


def oslo_assignments(path: Path) -> dict[str, dict[str, list[str]]]:
    """``group -> key -> every value assigned``, as oslo.config's parser files them."""
    normalized: dict[str, dict[str, list[str]]] = {}
    parser = cfg.ConfigParser(str(path), {})
    parser._add_normalized(normalized)
    parser.parse()
    return normalized


def oslo_options(path: Path, groups: dict[str, dict[str, str]]) -> cfg.ConfigOpts:
    """``path`` loaded by ``ConfigOpts`` with every meant key registered as a string option."""
    conf = cfg.ConfigOpts()
    for group, values in groups.items():
        conf.register_opts([cfg.StrOpt(key) for key in values], group=None if group == "DEFAULT" else group)
    conf(args=[], project="hvrt-test", default_config_files=[str(path)], default_config_dirs=[])
    return conf


def check_node_files(ctx: Any, nodes: dict[str, Any], sent: list) -> dict[str, Path]:
    """Every value sent to every node is what oslo.config reads, once; the profile's overrides are
    among them. Returns the files checked, by file name."""
    files: dict[str, Path] = {}
    for host, node in nodes.items():
        meant = meant_values(sent, host)
        for fname, sections in ctx.profile.ini_for(host).items():
            path = next(p for p in meant if p.rsplit("\\", 1)[-1] == fname)
            for section, values in sections.items():
                assert {k: meant[path][cfg._normalize_group_name(section)][k] for k in values} == values
        for path, groups in meant.items():
            local = node.model.path(path)
            assignments = oslo_assignments(local)
            conf = oslo_options(local, groups)
            for group, values in groups.items():
                read = conf if group == "DEFAULT" else conf[group]
                for key, value in values.items():
                    assert assignments[group][key] == [value], (host, path, group, key)
                    assert read[key] == value, (host, path, group, key)
            files[path.rsplit("\\", 1)[-1]] = local
    return files


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_oslo_config_reads_every_value_on_the_files_the_msi_writes(sim_nodes, make_ctx, legacy, sent, scenario):
    ctx, nodes = configure(sim_nodes, make_ctx, scenario_profile(legacy, scenario))
    agent = "neutron_ovs_agent.conf" if ctx.profile.network.uses_ovs else "neutron_hyperv_agent.conf"
    assert {"nova.conf", agent} <= set(check_node_files(ctx, nodes, sent))


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_oslo_config_reads_every_value_on_files_with_case_variants_and_duplicates(
        sim_nodes, make_ctx, legacy, sent, scenario, installer_extras):
    ctx, nodes = configure(sim_nodes, make_ctx, scenario_profile(legacy, scenario))
    files = check_node_files(ctx, nodes, sent)
    agent = "neutron_ovs_agent.conf" if ctx.profile.network.uses_ovs else "neutron_hyperv_agent.conf"
    text = files[agent].read_text(encoding="utf-8")
    assert "[OVS]" in text or "[SecurityGroup]" in text  # the installer's extras were there
    nova = oslo_assignments(files["nova.conf"])
    assert nova["DEFAULT"]["transport_url"][-1].startswith("rabbit://")  # what hvrt does not set stays
    assert nova["DEFAULT"]["debug"] == ["True"]  # the legacy override beat the template's False


def test_the_ovs_nodes_get_their_own_tunnel_address_from_the_overrides(sim_nodes, make_ctx, legacy, sent,
                                                                        installer_extras):
    ctx, nodes = configure(sim_nodes, make_ctx, scenario_profile(legacy, "ovs-vxlan"))
    for host, address in (("NUC01HV2016OVS", "14.14.14.1"), ("NUC02HV2016OVS", "14.14.14.2")):
        path = nodes[host].model.path(S.CONFIG_FILES["neutron_ovs_agent.conf"])
        conf = oslo_options(path, {"ovs": {"local_ip": "", "tunnel_bridge": "", "integration_bridge": ""},
                                   "agent": {"tunnel_types": ""}})
        assert conf.ovs.local_ip == address and conf.ovs.tunnel_bridge == "br-tun"
        assert conf.ovs.integration_bridge == "br-int" and conf.agent.tunnel_types == "vxlan"


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_no_request_holds_two_keys_of_one_mapping_differing_only_in_case(sim_nodes, make_ctx, legacy, sent,
                                                                         scenario):
    """Windows PowerShell 5.1's ConvertFrom-Json refuses such a request (DuplicateKeysInJsonString)."""
    configure(sim_nodes, make_ctx, scenario_profile(legacy, scenario))
    assert [fn for _, fn, _ in sent].count("Set-HvrtIniValues") >= 2
    assert [(fn, clash) for _, fn, params in sent for clash in case_clashes(params)] == []
