"""One scenario configured by winrm, salt and puppet gives a node the same state.

The node state (``hvrt.nodestate``) of one node is applied three ways: by the winrm
configurator to a simulated Hyper-V node over real WinRM, and by real ``salt-call
--local`` and real ``puppet apply`` (each through hvrt's own configurator, over the
local transport) writing into the configuration folder of two more simulated nodes
(their ``C:\\OpenStack\\cloudbase\\nova\\etc`` on disk). Windows-only parts (the MSI,
the switch, live migration) cannot run under Salt or Puppet here, so for them the
data each configurator hands its tool is compared with the state instead.
"""
from __future__ import annotations

import importlib.util
import json
import logging
import os
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from hvrt import nodestate
from hvrt.config.model import Config, Host, Installer, Network, Profile, Release, Scenario, Secret
from hvrt.context import RunContext, ScenarioContext
from hvrt.ini import oslo_group_key
from hvrt.plugins import create_plugin_manager
from hvrt.redact import Redactor
from hvrt.results import ScenarioResult
from hvrt.sandbox.wsman import SimulatedNode, make_installer
from hvrt.sandbox.wsman.ini import parse

pytestmark = [pytest.mark.slow, pytest.mark.salt, pytest.mark.puppet,
              pytest.mark.skipif(shutil.which("salt-call") is None or shutil.which("puppet") is None,
                                 reason="needs salt-call and puppet")]

_spec = importlib.util.spec_from_file_location("hvrt_tests_simnode", Path(__file__).parents[1] / "simnode.py")
simnode = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(simnode)  # type: ignore[union-attr]
_bounded_time, node_password = simnode._bounded_time, simnode.node_password

RELEASE_PASSWORD = "Parity-Release-Pw-3141"
CLUSTER_PATH = "C:\\ClusterStorage\\Volume1\\Instances\\"
PROFILE = Profile(
    name="2016-ovs-parity", os="2016", utils_api="v1", remotefx=True, allow_resize_to_same_host=False,
    live_migration=True, network=Network(type="ovs-vxlan", tunnel_endpoint="127.0.0.9"),
    ini={"*": {"nova.conf": {"DEFAULT": {"debug": "True", "instances_path": CLUSTER_PATH}},
               "neutron_ovs_agent.conf": {"OVS": {"tunnel_bridge": "br-tun"}, "SECURITYGROUP": {
                   "enable_security_group": "True"}}},
         "hv": {"nova.conf": {"hyperv": {"mounted_disk_query_retry_count": "20"}},
                "neutron_ovs_agent.conf": {"AGENT": {"enable_metrics_collection": "False"}}}},
)
HYPERV = {"tunnel_address": "127.0.0.71", "domain": "PARITY"}


@pytest.fixture(scope="module")
def nodes(tmp_path_factory: pytest.TempPathFactory, node_password: str) -> Iterator[dict[str, SimulatedNode]]:
    specs = {"winrm": ("127.0.0.72", {"os_release": "2016"}), "salt": ("127.0.0.73", {"os_release": "2016"}),
             "puppet": ("127.0.0.74", {"os_release": "2016"})}
    with simnode.simulated_nodes(tmp_path_factory, node_password, specs) as started:
        yield started


def context(tmp_path: Path, node: Host, plugin: tuple[str, Any], installer: Installer) -> ScenarioContext:
    controller = Host("ctl", "controller", "127.0.0.1", "local")
    secret = Secret(RELEASE_PASSWORD, "env:PARITY_RELEASE_PASSWORD")
    config = Config(str(tmp_path / "hvrt.yaml"), {"ctl": controller}, {node.name: node},
                    Release(name="parity", installer=installer, password=secret), {PROFILE.name: PROFILE},
                    plugins=(plugin[0],), secrets=(secret, *([node.password] if node.password else [])))
    run = RunContext(config, create_plugin_manager(enabled=(), extra=[plugin]), "r1", tmp_path / "results",
                     redactor=Redactor(s.reveal() for s in config.secrets))
    scenario = Scenario(PROFILE.name, PROFILE, (node.name,), ("ctl",))
    folder = run.run_dir / scenario.name
    folder.mkdir(parents=True, exist_ok=True)
    return ScenarioContext(run, scenario, [node], controller, folder, ScenarioResult(scenario.name),
                           logging.getLogger("test.parity"))


def configure(ctx: ScenarioContext) -> dict[str, Any]:
    try:
        return ctx.run.pm.hook.hvrt_configure_node(ctx=ctx, node=ctx.nodes[0])
    finally:
        ctx.close_transports()


def etc_of(node: SimulatedNode) -> Path:
    folder = node.model.path(nodestate.CONFIG_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def by_group(path: Path) -> dict[str, dict[str, str]]:
    groups: dict[str, dict[str, str]] = {}
    for section, values in parse(path.read_text(encoding="utf-8")).items():
        groups.setdefault(oslo_group_key(section), {}).update(values)
    return groups


@pytest.fixture(scope="module")
def applied(nodes: dict[str, SimulatedNode], node_password: str,
            tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The scenario configured by each configurator; what each left and recorded."""
    import hvrt_puppet.plugin
    import hvrt_saltstack.plugin
    import hvrt_winrm.plugin

    base = tmp_path_factory.mktemp("parity")
    msi = base / "HyperVNovaCompute.msi"
    make_installer(msi, "30.1.0")
    installer = Installer(path=str(msi))
    password = Secret(node_password, "env:HV_PASSWORD")
    sim = nodes["winrm"]
    winrm_node = Host("hv", "node", sim.address, "winrm", user="Administrator", password=password,
                      labels={"os": "2016"},
                      options={"winrm": {"port": sim.port, "ca_bundle": sim.ca_bundle, "scheme": sim.scheme},
                               "hyperv": HYPERV})
    salt_node = Host("hv", "node", "127.0.0.1", "local", user="Administrator", password=password,
                     labels={"os": "2016"}, configurator="salt",
                     options={"salt": {"mode": "local", "config_dir": str(etc_of(nodes["salt"])),
                                       "workdir": str(base / "salt-work")}, "hyperv": HYPERV})
    puppet_options: dict[str, Any] = {"config_dir": str(etc_of(nodes["puppet"])), "workdir": str(base / "pp-work")}
    if os.geteuid() == 0:
        puppet_options["unshare"] = True
    puppet_node = Host("hv", "node", "127.0.0.1", "local", user="Administrator", password=password,
                       labels={"os": "2016"}, configurator="puppet", options={"puppet": puppet_options,
                                                                              "hyperv": HYPERV})
    out: dict[str, Any] = {"nodes": {"winrm": winrm_node, "salt": salt_node, "puppet": puppet_node}}
    for name, node, plugin in (("winrm", winrm_node, ("winrm", hvrt_winrm.plugin)),
                               ("salt", salt_node, ("salt", hvrt_saltstack.plugin)),
                               ("puppet", puppet_node, ("puppet", hvrt_puppet.plugin))):
        ctx = context(base / name, node, plugin, installer)
        out[name] = {"record": configure(ctx), "dir": ctx.dir / "config" / "hv",
                     "state": nodestate.for_context(ctx, node)}
    return out


def test_the_three_compute_one_state(applied: dict[str, Any]) -> None:
    states = [applied[n]["state"].to_dict() for n in ("winrm", "salt", "puppet")]
    assert states[0] == states[1] == states[2]
    state = applied["winrm"]["state"]
    assert state.ini_values()["neutron_ovs_agent.conf"]["ovs"]["local_ip"] == "127.0.0.71"  # the node's own
    assert "127.0.0.9" not in json.dumps(states[0])  # never the controller's endpoint


def test_every_configurator_leaves_the_same_ini_values(applied: dict[str, Any], nodes: dict[str, SimulatedNode]) -> None:
    state: nodestate.NodeState = applied["winrm"]["state"]
    wanted = {name: {oslo_group_key(s): keys for s, keys in sections.items()}
              for name, sections in state.ini_values().items()}
    assert set(wanted) == {"nova.conf", "neutron_ovs_agent.conf"}
    left: dict[str, dict[str, dict[str, dict[str, str]]]] = {}
    for configurator, node in nodes.items():
        left[configurator] = {name: by_group(etc_of(node) / name) for name in wanted}
    for name, groups in wanted.items():
        for group, keys in groups.items():
            for configurator in nodes:
                found = left[configurator][name].get(group, {})
                assert {k: found.get(k) for k in keys} == keys, (configurator, name, group)
        # Salt and Puppet write exactly the state's keys (there is no MSI under them here)
        assert left["salt"][name] == left["puppet"][name] == groups, name
    # a Windows path arrives with single backslashes, whoever writes it
    assert {left[c]["nova.conf"]["DEFAULT"]["instances_path"] for c in nodes} == {CLUSTER_PATH}


def test_windows_parts_reach_each_tool_as_the_state_says(applied: dict[str, Any]) -> None:
    from hvrt_saltstack import pillar as pillars

    state: nodestate.NodeState = applied["winrm"]["state"]
    masked = state.to_dict()
    # winrm: applied on the node and saved as it was applied (the results' redactor also masks the
    # value of every password-like key, CONFIGDRIVEINJECTPASSWORD's flag among them)
    saved = json.loads((applied["winrm"]["dir"] / "node-state.json").read_text())
    properties = {k: ("***" if "PASSWORD" in k else v) for k, v in masked["installer"]["properties"].items()}
    assert saved == {**masked, "installer": {**masked["installer"], "properties": properties}}
    assert set(applied["winrm"]["record"]["features"]) == {*state.features, *state.optional_features}
    # salt: the pillar saved with the results carries the same state and its parts
    pillar = json.loads((applied["salt"]["dir"] / "salt-pillar.json").read_text())["hvrt"]
    assert pillar["state"] == pillars.masked(masked)  # the saved copy masks password-like keys once more
    assert pillar["vswitch"] == masked["vswitch"]
    assert pillar["live_migration"] == {"enabled": True, "authentication": "Kerberos", "max_migrations": 8,
                                        "networks": []}
    # puppet: the Hiera data saved with the results
    data = json.loads((applied["puppet"]["dir"] / "puppet-data.json").read_text())
    assert data["hvrt::vswitch"] == masked["vswitch"]
    assert data["hvrt::installer_features"] == list(state.features)
    assert data["hvrt::installer_properties"] == properties
    assert data["hvrt::manage_live_migration"] is True and data["hvrt::max_migrations"] == 8
    assert data["hvrt::services"] == list(state.services)
    for name in ("winrm", "salt", "puppet"):
        every = "".join(p.read_text(errors="replace") for p in applied[name]["dir"].rglob("*") if p.is_file())
        assert RELEASE_PASSWORD not in every, name


def test_a_state_that_cannot_be_given_stops_every_configurator_before_the_node(
        applied: dict[str, Any], tmp_path: Path) -> None:
    """A VXLAN node without its own tunnel address: the same error from all three, nothing applied."""
    import hvrt_puppet.plugin
    import hvrt_saltstack.plugin
    import hvrt_winrm.plugin

    from hvrt.errors import ConfigurationFailed

    plugins = {"winrm": hvrt_winrm.plugin, "salt": hvrt_saltstack.plugin, "puppet": hvrt_puppet.plugin}
    for name, node in applied["nodes"].items():
        bare = replace(node, options={k: v for k, v in node.options.items() if k != "hyperv"})
        ctx = context(tmp_path / name, bare, (name, plugins[name]), Installer(url="https://downloads.invalid/x.msi"))
        with pytest.raises(ConfigurationFailed, match="needs this node's own tunnel address") as info:
            configure(ctx)
        assert info.value.host == "hv" and info.value.step == "settings"
