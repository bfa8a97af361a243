"""The ``salt`` configurator in mode ``master``: Salt's ``LocalClient`` publishes
``state.apply`` through a real salt-master on 127.0.0.1 to a real minion, which
applies the shipped states (served by the master from this package's file tree).
"""
from __future__ import annotations

import configparser
import json

import hvrt_saltstack.plugin as salt_plugin
import pytest

pytestmark = [pytest.mark.salt, pytest.mark.slow]


def master_lab(saltkit, salt_cluster, etc: str, target: str = "runner1") -> str:
    node = {"address": "127.0.0.11", "transport": "local", "labels": {"os": "2022"}, "configurator": "salt",
            "salt": {"mode": "master", "master_config": str(salt_cluster.master_config), "target": target,
                     "config_dir": etc, "timeout": 120}}
    ini = {"*": {"nova.conf": {"DEFAULT": {"my_ip": "127.0.0.11"}, "hyperv": {"vswitch_name": "external"}}}}
    return saltkit.lab_yaml(nodes={"hv1": node}, profiles={"2022-master": {"os": "2022", "hosts": ["hv1"],
                                                                           "ini": ini}})


def test_local_client_applies_the_states_on_the_minion(saltkit, saltlab, salt_cluster, hvrt_run,
                                                       tmp_path) -> None:
    etc = tmp_path / "node-etc"
    cfg = tmp_path / "hvrt.yaml"
    cfg.write_text(master_lab(saltkit, salt_cluster, str(etc)))
    plugins = [("salt", salt_plugin), ("saltlab", saltlab)]
    outcome = hvrt_run(cfg, profiles=["2022-master"], plugins=plugins)
    assert outcome.exit_code == 0, outcome.summary.scenarios[0].error
    nova = configparser.RawConfigParser(default_section="__none__")
    assert nova.read(etc / "nova.conf")
    assert nova["DEFAULT"]["my_ip"] == "127.0.0.11" and nova["hyperv"]["vswitch_name"] == "external"
    folder = outcome.run_dir / "2022-master" / "config" / "hv1"
    state = json.loads((folder / "salt-state.json").read_text())
    assert state["mode"] == "master" and state["ok"] and state["changed"] == 2
    assert "LocalClient(" in (folder / "salt-output.log").read_text()

    second = hvrt_run(cfg, profiles=["2022-master"], plugins=plugins)
    assert second.exit_code == 0
    again = json.loads((second.run_dir / "2022-master" / "config" / "hv1" / "salt-state.json").read_text())
    assert again["changed"] == 0 and again["ok"]


def test_a_minion_that_does_not_answer_is_a_configuration_failure(saltkit, saltlab, salt_cluster, hvrt_run,
                                                                  tmp_path) -> None:
    cfg = tmp_path / "hvrt.yaml"
    cfg.write_text(master_lab(saltkit, salt_cluster, str(tmp_path / "etc"), target="runner9"))
    outcome = hvrt_run(cfg, profiles=["2022-master"], plugins=[("salt", salt_plugin), ("saltlab", saltlab)])
    assert outcome.exit_code == 3
    assert "minion 'runner9' did not answer" in outcome.summary.scenarios[0].error
