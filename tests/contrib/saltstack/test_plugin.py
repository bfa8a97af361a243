"""The ``salt`` configurator in mode ``local``, driven by the real engine.

The node is this machine reached through hvrt's ``local`` transport; ``salt-call
--local`` really applies the shipped ``hvrt.compute`` states to a folder standing
for the node's config directory (a Linux node: no MSI, no Windows services).
"""
from __future__ import annotations

import configparser
import json
from pathlib import Path

import hvrt_saltstack.plugin as salt_plugin
import pytest

pytestmark = [pytest.mark.salt, pytest.mark.slow]


def read_ini(path: Path) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(default_section="__none__")  # DEFAULT as a plain section
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    assert parser.read(path), f"{path} is missing"
    return parser


def node_lab(saltkit, tmp_path: Path, ini: dict, **salt: object) -> str:
    salt_block = {"mode": "local", "config_dir": str(tmp_path / "node" / "etc"),
                  "workdir": str(tmp_path / "node" / "work"), **salt}
    return saltkit.lab_yaml(
        nodes={"hv1": {"address": "127.0.0.11", "transport": "local", "labels": {"os": "2016"},
                       "configurator": "salt", "salt": salt_block}},
        profiles={"2016-salt": {"os": "2016", "hosts": ["hv1"], "ini": ini}},
    )


INI = {
    "*": {"nova.conf": {"DEFAULT": {"use_cow_images": "True", "force_config_drive": "False"},
                        "hyperv": {"dynamic_memory_ratio": "1.5"}}},
    "hv1": {"nova.conf": {"hyperv": {"enable_remotefx": "True"}},
            "neutron_hyperv_agent.conf": {"AGENT": {"physical_network_vswitch_mappings": "physnet1:external"},
                                          "keystone_authtoken": {"password": "ini-pass-9f3"}}},
}


def _state(run_dir: Path) -> dict:
    return json.loads((run_dir / "2016-salt" / "config" / "hv1" / "salt-state.json").read_text())


def test_local_mode_applies_the_scenarios_ini_values_and_a_second_apply_changes_nothing(
    saltkit, saltlab, hvrt_run, tmp_path
) -> None:
    cfg = tmp_path / "hvrt.yaml"
    cfg.write_text(node_lab(saltkit, tmp_path, INI))
    plugins = [("salt", salt_plugin), ("saltlab", saltlab)]

    first = hvrt_run(cfg, profiles=["2016-salt"], plugins=plugins)
    assert first.exit_code == 0, first.summary.to_dict()
    etc = tmp_path / "node" / "etc"
    nova = read_ini(etc / "nova.conf")
    assert dict(nova["DEFAULT"]) == {"use_cow_images": "True", "force_config_drive": "False"}
    assert dict(nova["hyperv"]) == {"dynamic_memory_ratio": "1.5", "enable_remotefx": "True"}
    agent = read_ini(etc / "neutron_hyperv_agent.conf")
    assert agent["AGENT"]["physical_network_vswitch_mappings"] == "physnet1:external"
    assert agent["keystone_authtoken"]["password"] == "ini-pass-9f3"

    state = _state(first.run_dir)
    assert state["ok"] and state["mode"] == "local" and state["failed"] == []
    ids = {s["id"] for s in state["states"]}
    assert ids == {f"hvrt-dir {etc}", f"hvrt-ini {etc / 'nova.conf'}",
                   f"hvrt-ini {etc / 'neutron_hyperv_agent.conf'}"}
    assert all(s["changed"] and s["result"] is True for s in state["states"])
    record = json.loads((first.run_dir / "2016-salt" / "results.json").read_text())["facts"]["configure"]["hv1"]
    assert record["configurator"] == "salt" and record["changed"] == 3
    assert [s["function"] for s in record["states"]] == ["file.directory"] + ["ini.options_present"] * 2

    # the pillar (and the whole work folder) is gone from the node afterwards
    assert not (tmp_path / "node" / "work").exists()

    second = hvrt_run(cfg, profiles=["2016-salt"], plugins=plugins)
    assert second.exit_code == 0, second.summary.to_dict()
    again = _state(second.run_dir)
    assert again["ok"] and again["changed"] == 0
    assert all(s["changed"] is False and s["result"] is True for s in again["states"])
    assert read_ini(etc / "nova.conf")["hyperv"]["enable_remotefx"] == "True"


def test_saved_pillar_and_output_keep_no_password_or_secret(saltkit, saltlab, hvrt_run, tmp_path) -> None:
    cfg = tmp_path / "hvrt.yaml"
    cfg.write_text(node_lab(saltkit, tmp_path, INI, keep_workdir=True))
    outcome = hvrt_run(cfg, profiles=["2016-salt"], plugins=[("salt", salt_plugin), ("saltlab", saltlab)])
    assert outcome.exit_code == 0, outcome.summary.to_dict()
    folder = outcome.run_dir / "2016-salt" / "config" / "hv1"
    pillar = json.loads((folder / "salt-pillar.json").read_text())
    ini = pillar["hvrt"]["ini"][str(tmp_path / "node" / "etc" / "neutron_hyperv_agent.conf")]
    assert ini["keystone_authtoken"]["password"] == "***"
    assert pillar["hvrt"]["node"] == "hv1" and pillar["hvrt"]["scenario"] == "2016-salt"
    salt_files = "".join(p.read_text() for p in folder.glob("salt-*"))
    assert "ini-pass-9f3" not in salt_files
    every_file = "".join(p.read_text(errors="replace") for p in outcome.run_dir.rglob("*") if p.is_file())
    assert saltkit.secret not in every_file
    assert "_|-options_present" in (folder / "salt-output.log").read_text()
    # keep_workdir keeps the states and config on the node, but never the pillar
    work = tmp_path / "node" / "work"
    assert (work / "conf" / "minion").is_file() and (work / "file_root" / "hvrt" / "compute" / "init.sls").is_file()
    assert not (work / "pillar").exists()


def test_a_failed_state_fails_the_scenario_naming_the_state(saltkit, saltlab, hvrt_run, tmp_path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the config folder should be\n")
    bad = str(blocker / "nova.conf")
    ini = {"hv1": {bad: {"DEFAULT": {"debug": "True"}},
                   "nova.conf": {"DEFAULT": {"debug": "True"}}}}
    cfg = tmp_path / "hvrt.yaml"
    cfg.write_text(node_lab(saltkit, tmp_path, ini))
    outcome = hvrt_run(cfg, profiles=["2016-salt"], plugins=[("salt", salt_plugin), ("saltlab", saltlab)])
    assert outcome.exit_code == 3
    scenario = outcome.summary.scenarios[0]
    assert scenario.status.value == "error"
    assert f"file.directory 'hvrt-dir {blocker}'" in scenario.error
    assert f"'hvrt-ini {bad}'" in scenario.error  # failed too, for its requisite
    assert scenario.stage("configure").status == "failed"
    # deploy runs beside configure (stages.CONCURRENT); what follows both never starts
    assert scenario.stage("test").status == "skipped"
    state = _state(outcome.run_dir)
    assert state["ok"] is False and state["failed"] == [f"hvrt-dir {blocker}", f"hvrt-ini {bad}"]
    # the other file was still written: Salt applies what it can
    assert read_ini(tmp_path / "node" / "etc" / "nova.conf")["DEFAULT"]["debug"] == "True"


def test_a_node_of_another_configurator_is_left_to_others(saltkit, saltlab, hvrt_run, tmp_path) -> None:
    lab = saltkit.lab_yaml(
        nodes={"hv1": {"address": "127.0.0.11", "transport": "local", "labels": {"os": "2016"},
                       "configurator": "saltlab"}},
        profiles={"plain": {"os": "2016", "hosts": ["hv1"]}},
    )
    cfg = tmp_path / "hvrt.yaml"
    cfg.write_text(lab)
    outcome = hvrt_run(cfg, profiles=["plain"], plugins=[("salt", salt_plugin), ("saltlab", saltlab)])
    assert outcome.exit_code == 0
    assert outcome.calls.of("hvrt_configure_node")
    record = json.loads((outcome.run_dir / "plain" / "results.json").read_text())["facts"]["configure"]["hv1"]
    assert record["configurator"] == "saltlab"


def test_an_sls_that_does_not_exist_is_a_configuration_failure(saltkit, saltlab, hvrt_run, tmp_path) -> None:
    cfg = tmp_path / "hvrt.yaml"
    cfg.write_text(node_lab(saltkit, tmp_path, INI, sls="site.nothing_here"))
    outcome = hvrt_run(cfg, profiles=["2016-salt"], plugins=[("salt", salt_plugin), ("saltlab", saltlab)])
    assert outcome.exit_code == 3
    error = outcome.summary.scenarios[0].error
    assert "salt could not apply the states" in error and "site.nothing_here" in error
    assert not (tmp_path / "node" / "etc").exists()


def test_a_profile_can_choose_salt_for_its_nodes(saltkit, saltlab, hvrt_run, tmp_path) -> None:
    salt_block = {"mode": "local", "config_dir": str(tmp_path / "etc"), "workdir": str(tmp_path / "work")}
    lab = saltkit.lab_yaml(
        nodes={"hv1": {"address": "127.0.0.11", "transport": "local", "labels": {"os": "2016"},
                       "configurator": "saltlab", "salt": salt_block}},
        profiles={"by-salt": {"os": "2016", "hosts": ["hv1"], "configurator": "salt",
                              "ini": {"*": {"nova.conf": {"DEFAULT": {"debug": "True"}}}}}},
    )
    cfg = tmp_path / "hvrt.yaml"
    cfg.write_text(lab)
    outcome = hvrt_run(cfg, profiles=["by-salt"], plugins=[("salt", salt_plugin), ("saltlab", saltlab)])
    assert outcome.exit_code == 0, outcome.summary.scenarios[0].error
    record = json.loads((outcome.run_dir / "by-salt" / "results.json").read_text())["facts"]["configure"]["hv1"]
    assert record["configurator"] == "salt"
    assert read_ini(tmp_path / "etc" / "nova.conf")["DEFAULT"]["debug"] == "True"
