"""Masterless ``salt-run state.orchestrate`` driving hvrt through the ``hvrt`` runner and
the ``hvrt.scenario_passed`` state, loaded from the installed distribution's
``salt.loader`` entry point (no file copied into ``file_roots``).

The lab is the Salt tests' ``saltlab``: a local controller and plugin stages that
pass or fail on request, so each hvrt run takes about a second.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = [pytest.mark.salt, pytest.mark.slow]

LAB_NODES = {"hv1": {"address": "127.0.0.11", "transport": "local", "labels": {"os": "2012r2"},
                     "configurator": "saltlab"}}
PROFILES = {"good": {"os": "2012r2", "hosts": ["hv1"]}, "bad": {"os": "2012r2", "hosts": ["hv1"]}}
FAILING = {"fail": {"bad": "test"}, "tests": {"tempest.api.compute.test_a.A.test_ok[id-1]": "passed"}}


@pytest.fixture
def master(saltkit, tmp_path: Path) -> Path:
    srv = tmp_path / "srv"
    (srv / "orch").mkdir(parents=True)
    return saltkit.master_config(tmp_path / "salt", file_roots={"base": [str(srv)]})


def orchestrate(saltkit, master: Path, sls_name: str, text: str) -> tuple[int, dict]:
    srv = Path(json.loads((master / "master").read_text())["file_roots"]["base"][0])
    (srv / "orch" / f"{sls_name}.sls").write_text(saltkit.sls(text))
    done = saltkit.run(["salt-run", "-c", str(master), "--out", "json", "--log-level", "error",
                        "state.orchestrate", f"orch.{sls_name}"], timeout=300)
    data = json.loads(done.stdout)
    steps = next(iter(data["data"].values()))
    by_id = {v["__id__"]: v for v in steps.values()}
    return done.returncode, by_id


def test_a_failing_scenario_fails_its_step_stops_require_and_fires_onfail(
    saltkit, master, tmp_path
) -> None:
    cfg = tmp_path / "hvrt.yaml"
    cfg.write_text(saltkit.lab_yaml(nodes=LAB_NODES, profiles=PROFILES, settings=FAILING))
    results = tmp_path / "results"
    code, steps = orchestrate(saltkit, master, "release", f"""
        passing:
          salt.runner:
            - name: hvrt.run
            - profile: good
            - config: {cfg}
            - results: {results}

        failing:
          salt.runner:
            - name: hvrt.run
            - profile: bad
            - config: {cfg}
            - results: {results}
            - require:
              - salt: passing

        publish:
          salt.runner:
            - name: hvrt.merge
            - runs: [{results}]
            - out: {tmp_path / "published"}
            - require:
              - salt: failing

        tell-someone:
          salt.runner:
            - name: test.arg
            - args: [the release run failed]
            - onfail:
              - salt: failing
        """)
    assert code != 0
    assert steps["passing"]["result"] is True
    good = steps["passing"]["changes"]["return"]
    assert good["exit_code"] == 0 and good["scenario_counts"] == {"passed": 1}
    assert good["test_counts"]["passed"] == 1
    assert Path(good["run_dir"]).parent == results / "saltrel"

    assert steps["failing"]["result"] is False
    bad = steps["failing"]["changes"]["return"]
    assert bad["exit_code"] == 3 and bad["retcode"] == 3 and bad["scenario_counts"] == {"error": 1}
    assert "saltlab failure injected in test" in bad["scenarios"][0]["error"]

    assert steps["publish"]["result"] is False
    assert "requisite" in steps["publish"]["comment"].lower()
    assert not (tmp_path / "published").exists()
    assert steps["tell-someone"]["result"] is True


def test_scenario_passed_state_and_merge_of_the_runs(saltkit, master, tmp_path) -> None:
    tests = {"tempest.api.compute.test_a.A.test_ok[id-1]": "passed",
             "tempest.api.compute.test_a.A.test_broken[id-2]": "failed"}
    cfg = tmp_path / "hvrt.yaml"
    cfg.write_text(saltkit.lab_yaml(nodes=LAB_NODES, profiles=PROFILES, settings={"tests": tests}))
    code, steps = orchestrate(saltkit, master, "states", f"""
        good:
          hvrt.scenario_passed:
            - config: {cfg}
            - results: {tmp_path / "r1"}

        bad-again:
          hvrt.scenario_passed:
            - profile: bad
            - config: {cfg}
            - results: {tmp_path / "r2"}

        publish:
          salt.runner:
            - name: hvrt.merge
            - runs: [{tmp_path / "r1"}, {tmp_path / "r2"}]
            - out: {tmp_path / "merged"}
            - onfail:
              - hvrt: bad-again
        """)
    assert code != 0
    # one test failed in every run: hvrt exits 1, the state fails and says why
    assert steps["good"]["result"] is False
    assert steps["good"]["comment"].startswith("scenario good failed (1 passed, 1 failed of 2)")
    assert steps["good"]["changes"]["exit_code"] == 1
    assert steps["bad-again"]["result"] is False
    assert steps["publish"]["result"] is True
    merged = steps["publish"]["changes"]["return"]
    assert merged["exit_code"] == 0
    summary = json.loads((tmp_path / "merged" / "summary.json").read_text())
    assert sorted(s["name"] for s in summary["scenarios"]) == ["bad", "good"]


def test_salt_run_exit_status_follows_hvrt(saltkit, master, tmp_path) -> None:
    cfg = tmp_path / "hvrt.yaml"
    cfg.write_text(saltkit.lab_yaml(nodes=LAB_NODES, profiles=PROFILES, settings=FAILING))
    base = ["salt-run", "-c", str(master), "--out", "json", "--log-level", "error"]
    good = saltkit.run(base + ["hvrt.run", "profile=good", f"config={cfg}", f"results={tmp_path / 'r'}"])
    assert good.returncode == 0, good.stderr
    summary = json.loads(good.stdout)
    assert summary["scenario_counts"] == {"passed": 1} and summary["retcode"] == 0
    bad = saltkit.run(base + ["hvrt.run", "profile=bad", f"config={cfg}", f"results={tmp_path / 'r'}"])
    assert bad.returncode == 3
    again = saltkit.run(base + ["hvrt.results", f"run={json.loads(bad.stdout)['run_dir']}"])
    assert again.returncode == 3 and json.loads(again.stdout)["scenario_counts"] == {"error": 1}
    missing = saltkit.run(base + ["hvrt.run", "profile=nope", f"config={cfg}"])
    assert missing.returncode == 2
    assert "nope" in json.loads(missing.stdout)["stderr"]
    plan = saltkit.run(base + ["hvrt.plan", f"config={cfg}", "profile=good"])
    assert plan.returncode == 0, plan.stdout
    assert "good" in plan.stdout and "bad" not in plan.stdout
