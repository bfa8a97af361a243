"""The ``hvrt.scenario_passed`` state judging a finished run (``run_dir``) and in
test mode (``test=True`` plans, runs nothing), through the session's salt-master."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.salt, pytest.mark.slow]

NODES = {"hv1": {"address": "127.0.0.11", "transport": "local", "labels": {"os": "2012r2"},
                 "configurator": "saltlab"}}
PROFILES = {"good": {"os": "2012r2", "hosts": ["hv1"]}, "bad": {"os": "2012r2", "hosts": ["hv1"]}}


def steps_of(done: subprocess.CompletedProcess[str]) -> dict:
    data = json.loads(done.stdout)
    return {v["__id__"]: v for v in next(iter(data["data"].values())).values()}


def test_judging_a_finished_run_and_planning_in_test_mode(saltkit, salt_cluster, tmp_path: Path) -> None:
    cfg = tmp_path / "hvrt.yaml"
    cfg.write_text(saltkit.lab_yaml(nodes=NODES, profiles=PROFILES, settings={"fail": {"bad": "deploy"}}))
    done = subprocess.run([sys.executable, "-m", "hvrt.cli.main", "run", "-c", str(cfg), "--all", "--json",
                           "--results", str(tmp_path / "results")], capture_output=True, text=True,
                          env=saltkit.env(), timeout=120, check=False)
    assert done.returncode == 3, done.stderr
    run_dir = json.loads(done.stdout)["run_dir"]
    (salt_cluster.srv / "orch" / "judge.sls").write_text(saltkit.sls(f"""
        good:
          hvrt.scenario_passed:
            - run_dir: {run_dir}
        bad:
          hvrt.scenario_passed:
            - run_dir: {tmp_path / "results"}
        missing:
          hvrt.scenario_passed:
            - run_dir: {run_dir}
        """))
    judged = steps_of(salt_cluster.orchestrate("orch.judge"))
    # each scenario of a run is judged on its own (the run as a whole exited 3)
    assert judged["good"]["result"] is True and judged["good"]["changes"]["exit_code"] == 3
    assert judged["good"]["comment"] == "scenario good passed (1 passed, 0 failed of 1)"
    assert judged["missing"]["result"] is False and "has no scenario missing" in judged["missing"]["comment"]
    assert judged["bad"]["result"] is False
    assert "scenario bad error" in judged["bad"]["comment"]
    assert "saltlab failure injected in deploy" in judged["bad"]["comment"]

    (salt_cluster.srv / "orch" / "dry.sls").write_text(saltkit.sls(f"""
        good:
          hvrt.scenario_passed:
            - config: {cfg}
            - results: {tmp_path / "never"}
        """))
    dry = salt_cluster.orchestrate("orch.dry", "test=True")
    planned = steps_of(dry)["good"]
    assert planned["result"] is None and planned["comment"] == "hvrt would run profile good"
    assert "good" in json.dumps(planned["changes"]["plan"])
    assert not (tmp_path / "never").exists()
