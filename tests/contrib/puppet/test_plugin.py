"""The ``puppet`` configurator through hvrt's plugin manager, against the Linux test node.

Each test builds the run and scenario contexts the engine would build and calls the
``hvrt_configure_node`` hook; Puppet really runs on the node (over SSH as the test
user when the lab's sshd is available).
"""
from __future__ import annotations

import configparser
import hashlib
import json
import logging
import shutil
from pathlib import Path

import hvrt_puppet.plugin
import pytest

import hvrt
from hvrt.config.model import Config, Host, Installer, Profile, Release, Scenario, Secret
from hvrt.context import Deployment, RunContext, ScenarioContext
from hvrt.errors import ConfigError, ConfigurationFailed
from hvrt.plugins import create_plugin_manager
from hvrt.redact import Redactor
from hvrt.results import ScenarioResult, TestCase, TestStatus

pytestmark = [pytest.mark.puppet, pytest.mark.skipif(shutil.which("puppet") is None, reason="needs puppet")]

NOVA_INI = {
    "*": {"nova.conf": {"DEFAULT": {"debug": "true"}}},
    "lin1": {
        "nova.conf": {"DEFAULT": {"allow_resize_to_same_host": "false"}, "hyperv": {"vswitch_name": "external"}},
        "neutron_hyperv_agent.conf": {"SECURITYGROUP": {"enable_security_group": "true"}},
    },
}


def make_ctx(tmp_path: Path, node: Host, *, ini: dict | None = None, installer: Installer | None = None,
             secrets: tuple[str, ...] = (), live_migration: bool = False) -> ScenarioContext:
    tmp_path.mkdir(parents=True, exist_ok=True)
    config_file = tmp_path / "hvrt.yaml"
    config_file.write_text("# the lab of this test is built in code\n")
    controller = Host("ctl", "controller", "127.0.0.1", "local")
    profile = Profile("2012r2-vhdx", ini=NOVA_INI if ini is None else ini, live_migration=live_migration)
    release = Release(name="rel", installer=installer or Installer())
    config = Config(str(config_file), {"ctl": controller}, {node.name: node}, release, {profile.name: profile},
                    plugins=("puppet",))
    pm = create_plugin_manager(enabled=(), extra=[("puppet", hvrt_puppet.plugin)])
    run = RunContext(config, pm, "run-1", tmp_path / "results", redactor=Redactor(secrets))
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


def node_options(linux_node, etc: Path, **more: object) -> Host:
    options: dict[str, object] = {"config_dir": str(etc), **more}
    if not linux_node.over_ssh:
        options.setdefault("unshare", True)
    return linux_node.host_with(**options)


def ini_file(path: Path) -> dict[str, dict[str, str]]:
    parser = configparser.RawConfigParser(default_section="\0")
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path, encoding="utf-8")
    return {s: dict(parser[s]) for s in parser.sections()}


@pytest.mark.slow
def test_configures_the_node_then_finds_nothing_to_change(linux_node, tmp_path: Path) -> None:
    etc = linux_node.fresh_dir("plugin-etc")
    ctx = make_ctx(tmp_path, node_options(linux_node, etc))

    record = configure(ctx)
    assert record["configurator"] == "puppet" and record["status"] == "changed" and record["exit_code"] == 2
    assert ini_file(etc / "nova.conf") == {
        "DEFAULT": {"debug": "true", "allow_resize_to_same_host": "false"}, "hyperv": {"vswitch_name": "external"},
    }
    assert ini_file(etc / "neutron_hyperv_agent.conf") == {"SECURITYGROUP": {"enable_security_group": "true"}}
    assert f"Ini_setting[{etc}/nova.conf [DEFAULT] debug]" in record["changed_resources"]

    saved = {p.relative_to(ctx.dir).as_posix() for p in ctx.dir.rglob("*") if p.is_file()}
    assert {"config/lin1/puppet-report.yaml", "config/lin1/puppet-summary.json", "config/lin1/puppet-log.json",
            "config/lin1/puppet-data.json", "config/lin1/puppet-output.log"} <= saved
    assert set(ctx.result.artifacts) == saved
    report = (ctx.dir / "config/lin1/puppet-report.yaml").read_text()
    assert report.startswith("--- !ruby/object:Puppet::Transaction::Report") and "status: changed" in report
    data = json.loads((ctx.dir / "config/lin1/puppet-data.json").read_text())
    assert data["hvrt::ini"]["nova.conf"]["hyperv"] == {"vswitch_name": "external"}
    assert data["hvrt::scenario"]["node"] == "lin1"
    # the work folder with the data is gone from the node
    assert not ctx.transport(ctx.nodes[0]).run(["test", "-e", record["workdir"]], timeout=30).ok

    again = configure(make_ctx(tmp_path / "again", node_options(linux_node, etc)))
    assert again["status"] == "unchanged" and again["exit_code"] == 0 and again["changed_resources"] == []


@pytest.mark.slow
def test_a_failed_resource_is_named_and_the_report_kept(linux_node, tmp_path: Path) -> None:
    etc = linux_node.fresh_dir("plugin-etc-fail")
    (etc / "agent").write_text("a file where a folder should be\n")
    ctx = make_ctx(tmp_path, node_options(linux_node, etc),
                   ini={"lin1": {"nova.conf": {"DEFAULT": {"debug": "true"}},
                                 "agent/neutron_hyperv_agent.conf": {"AGENT": {"polling_interval": "2"}}}})
    with pytest.raises(ConfigurationFailed) as failure:
        configure(ctx)
    error = failure.value
    assert error.host == "lin1" and error.step == "configure"
    assert f"Ini_setting[{etc}/agent/neutron_hyperv_agent.conf [AGENT] polling_interval]" in error.message
    assert "(6)" in error.message  # failures plus the change to nova.conf
    assert "Not a directory" in error.detail
    summary = json.loads((ctx.dir / "config/lin1/puppet-summary.json").read_text())
    assert summary["exit_code"] == 6 and len(summary["failed"]) == 1
    assert (ctx.dir / "config/lin1/puppet-report.yaml").exists()


@pytest.mark.slow
def test_a_catalog_that_does_not_compile_fails_with_puppets_message(linux_node, tmp_path: Path) -> None:
    etc = linux_node.fresh_dir("plugin-etc-compile")
    node = node_options(linux_node, etc, data={"hvrt::max_migrations": 0})
    ctx = make_ctx(tmp_path, node)
    with pytest.raises(ConfigurationFailed) as failure:
        configure(ctx)
    assert "could not run the catalog" in failure.value.message
    assert "max_migrations" in failure.value.message
    assert not (etc / "nova.conf").exists()
    assert json.loads((ctx.dir / "config/lin1/puppet-summary.json").read_text())["exit_code"] == 1


@pytest.mark.slow
def test_secrets_never_reach_the_saved_files(linux_node, tmp_path: Path) -> None:
    etc = linux_node.fresh_dir("plugin-etc-secret")
    secret = "Sup3r-Secret-Pw"
    ctx = make_ctx(tmp_path, node_options(linux_node, etc), secrets=(secret,),
                   ini={"*": {"nova.conf": {"keystone_authtoken": {"password": secret, "username": "nova"}}}})
    configure(ctx)
    assert ini_file(etc / "nova.conf")["keystone_authtoken"]["password"] == secret
    for path in ctx.dir.rglob("*"):
        if path.is_file():
            assert secret not in path.read_text(errors="replace"), path


@pytest.mark.slow
def test_a_sites_own_code_base_takes_the_place_of_the_module(linux_node, tmp_path: Path) -> None:
    etc = linux_node.fresh_dir("plugin-etc-site")
    site = tmp_path / "site-puppet"
    manifests = site / "modules" / "acme_hyperv" / "manifests"
    manifests.mkdir(parents=True)
    (manifests / "init.pp").write_text(
        "class acme_hyperv (String $config_dir) {\n"
        "  $ini = lookup('hvrt::ini')\n"
        "  $scenario = lookup('hvrt::scenario')\n"
        "  file { \"${config_dir}/acme.txt\":\n"
        "    content => \"${scenario['name']} debug=${ini['nova.conf']['DEFAULT']['debug']}\\n\",\n"
        "  }\n"
        "}\n"
    )
    node = node_options(linux_node, etc, module_path=str(site / "modules"), **{"class": "acme_hyperv"},
                        data={"acme_hyperv::config_dir": str(etc)})
    record = configure(make_ctx(tmp_path, node))
    assert record["applied"] == "acme_hyperv" and record["status"] == "changed"
    assert (etc / "acme.txt").read_text() == "2012r2-vhdx debug=true\n"
    assert not (etc / "nova.conf").exists()  # the shipped module was not used

    manifest = tmp_path / "site.pp"
    manifest.write_text(f"file {{ '{etc}/from-manifest.txt': content => lookup('hvrt::scenario')['profile'] }}\n")
    record = configure(make_ctx(tmp_path / "m", node_options(linux_node, etc, manifest=str(manifest))))
    assert record["applied"] == "site.pp"
    assert (etc / "from-manifest.txt").read_text() == "2012r2-vhdx"


@pytest.mark.slow
def test_a_local_installer_is_checked_uploaded_and_named_in_the_data(linux_node, tmp_path: Path) -> None:
    etc = linux_node.fresh_dir("plugin-etc-msi")
    msi = tmp_path / "HyperVNovaCompute.msi"
    msi.write_bytes(b"not really an MSI, but bytes with a known hash\n")
    digest = hashlib.sha256(msi.read_bytes()).hexdigest().upper()
    installer = Installer(path=str(msi), sha256=digest.lower(), features=("HyperVNovaCompute",),
                          properties={"ENABLELOGGING": "1"})
    ctx = make_ctx(tmp_path, node_options(linux_node, etc), installer=installer)
    record = configure(ctx)
    assert record["installer_sha256"] == digest
    data = json.loads((ctx.dir / "config/lin1/puppet-data.json").read_text())
    assert data["hvrt::installer_source"] == f"{record['workdir']}/in/installer/HyperVNovaCompute.msi"
    assert data["hvrt::installer_features"] == ["HyperVNovaCompute"]
    # the node state's properties (the legacy installer call's), the release's own among them
    assert data["hvrt::installer_properties"]["ENABLELOGGING"] == "1"
    assert data["hvrt::installer_properties"]["INSTALLDIR"] == "C:\\OpenStack\\cloudbase\\nova"
    assert data["hvrt::installer_properties"]["ADDVSWITCH"] == "0"

    wrong = Installer(path=str(msi), sha256="0" * 64)
    with pytest.raises(ConfigurationFailed, match="SHA-256"):
        configure(make_ctx(tmp_path / "wrong", node_options(linux_node, etc), installer=wrong))


@pytest.mark.slow
def test_puppet_past_its_timeout_is_a_configuration_error(linux_node, tmp_path: Path) -> None:
    etc = linux_node.fresh_dir("plugin-etc-timeout")
    ctx = make_ctx(tmp_path, node_options(linux_node, etc, timeout=0.5))
    with pytest.raises(ConfigurationFailed, match="puppet apply did not finish") as failure:
        configure(ctx)
    assert failure.value.host == "lin1"


def test_other_configurators_are_left_alone(tmp_path: Path) -> None:
    node = Host("hv1", "node", "127.0.0.12", "winrm", configurator="winrm")
    ctx = make_ctx(tmp_path, node)
    assert ctx.run.pm.hook.hvrt_configure_node(ctx=ctx, node=node) is None


def test_a_bad_puppet_block_is_a_config_error_before_any_connection(tmp_path: Path) -> None:
    node = Host("hv1", "node", "127.0.0.12", "winrm", configurator="puppet", options={"puppet": {"modle_path": "x"}})
    ctx = make_ctx(tmp_path, node)
    with pytest.raises(ConfigError, match="did you mean 'module_path'"):
        ctx.run.pm.hook.hvrt_configure_node(ctx=ctx, node=node)


# ------------------------------------------------------------- through the engine


class StandIn:
    """Deploy and test stages for these runs: the configure stage is what is under test."""

    @hvrt.hookimpl
    def hvrt_deploy(self, ctx: ScenarioContext) -> Deployment:
        return Deployment(ctx.controller.name, "http://127.0.0.1:5000/v3", "admin", Secret("unused-pw", "test"))

    @hvrt.hookimpl
    def hvrt_run_tests(self, ctx: ScenarioContext, deployment: Deployment) -> list[TestCase]:
        return [TestCase("tempest.api.compute.test_a.T.test_ok[id-1]", TestStatus.PASSED, 0.01, ["passed"])]


def run_config(linux_node, etc: Path, ini: dict, **puppet: object) -> str:
    host = node_options(linux_node, etc, **puppet)
    node = {"address": host.address, "transport": host.transport, "labels": {"os": "2016"},
            "configurator": "puppet", "puppet": host.options["puppet"]}
    for key in ("port", "user", "key_file"):
        if getattr(host, key) is not None:
            node[key] = getattr(host, key)
    if "ssh" in host.options:
        node["ssh"] = host.options["ssh"]
    config = {
        "lab": {"controllers": {"ctl1": {"address": "127.0.0.1", "transport": "local"}}, "nodes": {"lin1": node}},
        # a run needs an installer; on a Linux node the module manages no package
        "release": {"name": "puppetrel", "installer": {"url": "https://downloads.invalid/HyperVNovaCompute.msi"}},
        "plugins": ["puppet"],
        "profiles": {"2016-puppet": {"os": "2016", "hosts": ["lin1"], "ini": ini}},
    }
    return json.dumps(config, indent=2) + "\n"


@pytest.mark.slow
def test_a_run_with_configurator_puppet_configures_the_node_and_keeps_the_report(
    linux_node, hvrt_config, hvrt_run
) -> None:
    etc = linux_node.fresh_dir("engine-etc")
    ini = {"lin1": {"nova.conf": {"DEFAULT": {"debug": "true"},
                                  "keystone_authtoken": {"password": "engine-pass-7c1"}}}}
    cfg = hvrt_config(run_config(linux_node, etc, ini))
    outcome = hvrt_run(cfg, profiles=["2016-puppet"], plugins=[("standin", StandIn())])
    assert outcome.exit_code == 0, outcome.summary.to_dict()
    assert ini_file(etc / "nova.conf")["DEFAULT"] == {"debug": "true"}
    assert [c.node.name for c in outcome.calls.of("hvrt_configure_node")] == ["lin1"]

    scenario = outcome.run_dir / "2016-puppet"
    record = json.loads((scenario / "results.json").read_text())["facts"]["configure"]["lin1"]
    assert record["configurator"] == "puppet" and record["status"] == "changed"
    assert record["report"] == "config/lin1/puppet-report.yaml"
    assert "status: changed" in (scenario / record["report"]).read_text()
    data = json.loads((scenario / "config/lin1/puppet-data.json").read_text())
    assert data["hvrt::ini"]["nova.conf"]["keystone_authtoken"]["password"] == "***"
    puppet_files = list((scenario / "config/lin1").glob("puppet-*"))
    assert len(puppet_files) >= 5
    assert not [p for p in puppet_files if "engine-pass-7c1" in p.read_text(errors="replace")]


@pytest.mark.slow
def test_a_failed_resource_fails_the_scenario_in_the_configure_stage(linux_node, hvrt_config, hvrt_run) -> None:
    etc = linux_node.fresh_dir("engine-etc-fail")
    (etc / "agent").write_text("a file where a folder should be\n")
    ini = {"lin1": {"agent/neutron_hyperv_agent.conf": {"AGENT": {"polling_interval": "2"}}}}
    cfg = hvrt_config(run_config(linux_node, etc, ini))
    outcome = hvrt_run(cfg, profiles=["2016-puppet"], plugins=[("standin", StandIn())])
    assert outcome.exit_code == 3
    scenario = outcome.summary.scenarios[0]
    assert scenario.status.value == "error"
    # deploy runs beside configure (stages.CONCURRENT); what follows both never starts
    assert scenario.stage("configure").status == "failed" and scenario.stage("test").status == "skipped"
    assert f"Ini_setting[{etc}/agent/neutron_hyperv_agent.conf [AGENT] polling_interval]" in scenario.error
    assert (outcome.run_dir / "2016-puppet" / "config/lin1/puppet-report.yaml").exists()


# ----------------------------------------------------- a Windows node (simulated)


@pytest.fixture
def simulated_windows_node(tmp_path: Path):
    pytest.importorskip("hvrt_winrm")
    from hvrt.sandbox.wsman import SimulatedNode

    node = SimulatedNode("hv-win", "127.0.0.62", 0, tmp_path / "hv-win", users={"Administrator": "Sim-Pass-4d2"})
    node.start()
    yield node
    node.stop()


def test_on_a_windows_node_without_puppet_the_code_is_uploaded_and_the_failure_is_plain(
    simulated_windows_node, tmp_path: Path
) -> None:
    """The simulated Hyper-V node speaks real WS-Management but runs no Puppet: this
    checks the Windows side up to starting Puppet (paths, upload over WinRM, the error)."""
    sim = simulated_windows_node
    node = Host("hv-win", "node", sim.address, "winrm", user="Administrator", password=Secret("Sim-Pass-4d2", "test"),
                configurator="puppet", options={"winrm": {"port": sim.port, "ca_bundle": sim.ca_bundle,
                                                          "scheme": sim.scheme},
                                                "puppet": {"keep_workdir": True}})
    ctx = make_ctx(tmp_path, node)
    ctx.run.pm = create_plugin_manager(enabled=("winrm",), extra=[("puppet", hvrt_puppet.plugin)])
    with pytest.raises(ConfigurationFailed) as failure:
        configure(ctx)
    assert "puppet.bat" in failure.value.message and "is the Puppet agent installed" in failure.value.message
    uploaded = sim.model.path(r"C:\ProgramData\hvrt\puppet\in")
    assert (uploaded / "site.pp").read_text() == "include hvrt\n"
    assert (uploaded / "modules0" / "hvrt" / "manifests" / "install.pp").is_file()
    data = json.loads((uploaded / "data" / "hvrt.json").read_text())
    assert data["hvrt::ini"] == {"nova.conf": {"DEFAULT": {"debug": "true"}}}  # the "*" entry only
    assert data["hvrt::scenario"]["node"] == "hv-win"
