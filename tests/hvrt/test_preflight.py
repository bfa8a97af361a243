"""Pre-flight: hosts checked in parallel with deadlines, the table, and what a run does
when a host fails (stop before any scenario, or leave it out with --skip-unhealthy).

Hosts use the real ``local`` transport; the checks come from a small plugin that
implements ``hvrt_preflight_host`` like the winrm and devstack plugins do.
"""
from __future__ import annotations

import importlib.util
import json
import threading
import time
from pathlib import Path

import pytest

from hvrt import hookimpl
from hvrt.config.model import Config, Host, Profile, Release, Scenario
from hvrt.context import RunContext, RunOptions
from hvrt.plugins import create_plugin_manager
from hvrt.preflight import SCHEMA, Check, PreflightFailed, PreflightReport, hosts_for, run_preflight
from hvrt.results.journal import read_journal
from hvrt.runner import RunRequest, execute
from hvrt.testing import HookRecorder

PLUGIN_DIR = Path(__file__).resolve().parent.parent / "data" / "plugins"
SECRET = "preflight-Secret-17"


class Doctor:
    """Checks every host: ``uname`` through its transport, then whatever ``verdicts``
    says ({host: (check, ok, detail, fix)}); ``delay`` {host: seconds} before answering."""

    def __init__(self, verdicts=None, delay=None, crash=()) -> None:
        self.verdicts = verdicts or {}
        self.delay = delay or {}
        self.crash = set(crash)
        self.active: list[int] = []
        self.most = 0
        self.lock = threading.Lock()

    @hookimpl
    def hvrt_preflight_host(self, host: Host, run: RunContext, transport, timeout: float):
        with self.lock:
            self.active.append(1)
            self.most = max(self.most, len(self.active))
        try:
            if host.name in self.crash:
                raise RuntimeError("checker bug")
            time.sleep(self.delay.get(host.name, 0))
            out = transport.run(["uname", "-s"], timeout=timeout)
            records = [{"host": host.name, "check": "reachable", "ok": out.ok, "detail": out.stdout.strip()}]
            if host.name in self.verdicts:
                check, ok, detail, fix = self.verdicts[host.name]
                records.append({"host": host.name, "check": check, "ok": ok, "detail": detail, "fix": fix})
            return records
        finally:
            with self.lock:
                self.active.pop()


def make_config(n: int = 3) -> Config:
    nodes = {f"hv{i}": Host(f"hv{i}", "node", f"127.0.0.{10 + i}", "local", labels={"os": "2012r2"})
             for i in range(1, n + 1)}
    controllers = {"ctl": Host("ctl", "controller", "127.0.0.1", "local")}
    return Config("hvrt.yaml", controllers, nodes, Release(name="rel"), {"solo": Profile("solo")}, plugins=())


def check(hosts, plugin, tmp_path: Path, **kwargs) -> PreflightReport:
    config = make_config(len([h for h in hosts if h.startswith("hv")]))
    pm = create_plugin_manager((), extra=[("doctor", plugin)])
    run = RunContext(config, pm, "r", tmp_path)
    return run_preflight([config.hosts[h] for h in hosts], run, **kwargs)


def test_hosts_of_scenarios_are_their_candidates_once_in_config_order() -> None:
    config = make_config()
    solo = Profile("solo")
    a = Scenario("a", solo, ("hv2", "hv1"), ("ctl",))
    b = Scenario("b", solo, ("hv1",), ("ctl",))
    assert [h.name for h in hosts_for(config, [a, b])] == ["hv1", "hv2", "ctl"]


def test_every_host_is_checked_in_parallel_within_the_worker_bound(tmp_path: Path) -> None:
    doctor = Doctor(delay={"hv1": 0.6, "hv2": 0.6, "hv3": 0.6, "ctl": 0.6})
    started = time.monotonic()
    report = check(["hv1", "hv2", "hv3", "ctl"], doctor, tmp_path, workers=2)
    took = time.monotonic() - started
    assert report.ok and report.hosts == ["hv1", "hv2", "hv3", "ctl"]
    assert [c.host for c in report.checks] == ["hv1", "hv2", "hv3", "ctl"]
    assert doctor.most == 2, "at most two hosts at a time"
    assert 1.2 <= took < 3.0, took


def test_a_host_past_its_deadline_fails_without_holding_up_the_others(tmp_path: Path) -> None:
    started = time.monotonic()
    report = check(["hv1", "hv2"], Doctor(delay={"hv1": 30}), tmp_path, timeout=1.0)
    assert time.monotonic() - started < 10
    (late,) = report.failures
    assert late.host == "hv1" and late.check == "preflight" and "no answer within 1s" in late.detail
    assert "--preflight-timeout" in late.fix
    assert [c.ok for c in report.of("hv2")] == [True]


def test_a_crashing_checker_is_a_failed_check_not_a_crash(tmp_path: Path) -> None:
    report = check(["hv1", "hv2"], Doctor(crash={"hv2"}), tmp_path)
    (failure,) = report.failures
    assert failure.host == "hv2" and "RuntimeError: checker bug" in failure.detail


def test_table_json_and_the_error_name_host_check_and_fix(tmp_path: Path) -> None:
    doctor = Doctor(verdicts={"hv2": ("clock_skew", False, "+400.0s against the runner (limit 300s)",
                                      "sync the clock (w32tm /resync)"),
                              "hv1": ("clock_skew", True, "+0.1s", "")})
    report = check(["hv1", "hv2", "ctl"], doctor, tmp_path)
    table = report.table()
    lines = table.splitlines()
    header = next(line for line in lines if line.startswith("host"))
    assert header.split() == ["host", "reachable", "clock_skew"]
    assert next(line for line in lines if line.startswith("hv1")).split() == ["hv1", "ok", "ok"]
    assert next(line for line in lines if line.startswith("hv2")).split() == ["hv2", "ok", "FAIL"]
    assert next(line for line in lines if line.startswith("ctl")).split() == ["ctl", "ok"]
    assert "  hv2 clock_skew: +400.0s against the runner (limit 300s)\n    fix: sync the clock (w32tm /resync)" in table
    assert lines[-1] == "pre-flight: 1 of 3 hosts failed (hv2)"
    data = json.loads(json.dumps(report.to_dict()))
    assert data["schema"] == SCHEMA == 1 and data["ok"] is False
    assert [h["host"] for h in data["hosts"] if not h["ok"]] == ["hv2"]
    assert data["failures"] == [{"host": "hv2", "check": "clock_skew", "ok": False,
                                 "detail": "+400.0s against the runner (limit 300s)",
                                 "fix": "sync the clock (w32tm /resync)"}]
    error = PreflightFailed(report)
    assert error.host == "hv2" and error.exit_code == 3
    assert str(error) == ("[hv2] preflight: pre-flight check clock_skew failed: +400.0s against the runner "
                          "(limit 300s); fix: sync the clock (w32tm /resync)")


def test_a_check_not_run_shows_a_dash_and_is_no_failure() -> None:
    report = PreflightReport(["hv1"], [Check("hv1", "reachable", False, "refused", "start it"),
                                       Check("hv1", "auth", None, "not checked: reachable failed")])
    assert [c.cell for c in report.checks] == ["FAIL", "-"] and len(report.failures) == 1


# ---------------------------------------------------------------- in a run

def lab_yaml(marker_dir: Path) -> str:
    return f"""\
lab:
  controllers:
    ctl1: {{address: 127.0.0.1, transport: local}}
  nodes:
    hv1: {{address: 127.0.0.11, transport: local, labels: {{os: 2012r2}}, configurator: testlab}}
    hv2: {{address: 127.0.0.12, transport: local, labels: {{os: 2012r2}}, configurator: testlab}}
release:
  name: testrel
  password: ${{env:HVRT_TEST_PASSWORD}}
plugins: []
settings:
  testlab: {{marker_dir: {marker_dir}}}
profiles:
  alpha: {{os: 2012r2, hosts: [hv1]}}
  beta: {{os: 2012r2, hosts: [hv2]}}
  either: {{os: 2012r2}}
"""


@pytest.fixture
def testlab(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HVRT_TEST_PASSWORD", SECRET)
    spec = importlib.util.spec_from_file_location("hvrt_testlab", PLUGIN_DIR / "hvrt_testlab.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_lab(tmp_path: Path, testlab, doctor: Doctor, profiles, **options):
    markers = tmp_path / "markers"
    markers.mkdir(exist_ok=True)
    cfg = tmp_path / "hvrt.yaml"
    cfg.write_text(lab_yaml(markers))
    recorder = HookRecorder()
    request = RunRequest(config_path=cfg, profiles=list(profiles), results=tmp_path / "results",
                         options=RunOptions(**options), extra_plugins=[("testlab", testlab), ("doctor", doctor)],
                         on_plugin_manager=recorder.attach)
    outcome = execute(request)
    executed = (markers / "executions.log").read_text().splitlines() if (markers / "executions.log").exists() else []
    return outcome, recorder, executed


SKEWED = {"hv1": ("clock_skew", False, "+400.0s against the runner (limit 300s)", "sync the clock (w32tm /resync)")}


def test_a_failing_host_stops_the_run_before_any_scenario(tmp_path: Path, testlab) -> None:
    outcome, calls, executed = run_lab(tmp_path, testlab, Doctor(SKEWED), ["alpha", "beta"])
    assert outcome.exit_code == 3
    assert executed == [], "no stage of any scenario ran"
    assert "hvrt_stage" not in calls.names()
    assert {c.kwargs["host"].name for c in calls.of("hvrt_preflight_host")} == {"hv1", "hv2", "ctl1"}
    message = str(outcome.error)
    assert "hv1" in message and "clock_skew" in message and "w32tm /resync" in message
    events = read_journal(outcome.run_dir / "journal.jsonl").events
    kinds = [e["event"] for e in events]
    assert "scenario_start" not in kinds
    assert kinds == ["run_start", "preflight_start", "preflight_end", "run_end"]
    assert events[2]["ok"] is False and events[2]["failures"][0]["host"] == "hv1"
    assert events[-1]["exit_code"] == 3 and events[-1]["preflight_failed"] is True
    assert {s.name: s.status.value for s in outcome.summary.scenarios} == {"alpha": "error", "beta": "error"}
    assert all("not started: [hv1]" in s.error for s in outcome.summary.scenarios)
    saved = json.loads((outcome.run_dir / "preflight.json").read_text())
    assert saved["schema"] == 1 and saved["failures"][0]["check"] == "clock_skew"
    assert json.loads((outcome.run_dir / "summary.json").read_text())["scenario_counts"] == {"error": 2}


def test_skip_unhealthy_skips_only_the_scenario_that_needs_the_host(tmp_path: Path, testlab) -> None:
    outcome, _calls, executed = run_lab(tmp_path, testlab, Doctor(SKEWED), ["alpha", "beta", "either"],
                                        skip_unhealthy=True)
    results = {s.name: s for s in outcome.summary.scenarios}
    assert {n: r.status.value for n, r in results.items()} == {"alpha": "skipped", "beta": "passed",
                                                               "either": "passed"}
    assert results["alpha"].error.startswith("skipped: too few healthy hosts; hv1 failed pre-flight: [hv1] "
                                             "clock_skew: +400.0s")
    assert results["either"].nodes == ["hv2"], "the unhealthy node is never leased"
    assert not any(line.startswith("alpha ") for line in executed)
    assert outcome.exit_code == 3, "a skipped scenario is an untested one"
    state = read_journal(outcome.run_dir / "journal.jsonl")
    assert "alpha" not in state.started and state.outcomes["alpha"] == "skipped"


def test_no_preflight_leaves_the_checks_to_each_provision_stage(tmp_path: Path, testlab) -> None:
    outcome, calls, executed = run_lab(tmp_path, testlab, Doctor(SKEWED), ["alpha"], preflight=False)
    kinds = [e["event"] for e in read_journal(outcome.run_dir / "journal.jsonl").events]
    assert "preflight_start" not in kinds and "scenario_start" in kinds
    (alpha,) = outcome.summary.scenarios
    stages = {s.stage: s.status for s in alpha.stages}
    assert stages["provision"] == "failed" and stages["configure"] == "skipped" and stages["teardown"] == "ok"
    assert "clock_skew" in alpha.error and "w32tm" in alpha.error
    assert outcome.exit_code == 3 and "alpha configure" not in executed
    recorded = {(c["host"], c["check"]): c["ok"] for c in alpha.facts["preflight"]}
    assert recorded[("hv1", "clock_skew")] is False and recorded[("ctl1", "reachable")] is True
