"""Whole runs, in-process and as real ``hvrt`` processes: hook order, exit codes,
crash and resume, interrupt."""
from __future__ import annotations

import importlib.util
import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from hvrt.results.journal import read_journal
from hvrt.testing import cli_command, cli_env

PLUGIN_DIR = Path(__file__).resolve().parent.parent / "data" / "plugins"
SECRET = "testlab-Secret-42"


def lab_yaml(settings: str = "{}", profiles: str | None = None) -> str:
    profiles = profiles or """
  alpha: {os: 2012r2, hosts: [hv1]}
  beta: {os: 2012r2, hosts: [hv2]}
"""
    return f"""\
lab:
  controllers:
    ctl1: {{address: 127.0.0.1, transport: local}}
    ctl2: {{address: 127.0.0.2, transport: local}}
  nodes:
    hv1: {{address: 127.0.0.11, transport: local, labels: {{os: 2012r2}}, configurator: testlab}}
    hv2: {{address: 127.0.0.12, transport: local, labels: {{os: 2012r2}}, configurator: testlab}}
release:
  name: testrel
  password: ${{env:HVRT_TEST_PASSWORD}}
plugins: []
settings:
  testlab: {settings}
profiles:{profiles}"""


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HVRT_TEST_PASSWORD", SECRET)


@pytest.fixture
def testlab():
    spec = importlib.util.spec_from_file_location("hvrt_testlab", PLUGIN_DIR / "hvrt_testlab.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def hvrt_cli(*args: str, cwd: Path, env: dict | None = None, **kw) -> subprocess.Popen:
    full_env = cli_env({"PYTHONPATH": str(PLUGIN_DIR), "HVRT_PLUGINS": "hvrt_testlab", **(env or {})},
                       inherit_hvrt=True)
    return subprocess.Popen([*cli_command(), *args], cwd=cwd, env=full_env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


EXPECTED_ORDER = [
    "hvrt_profiles", "hvrt_configure", "hvrt_run_start",
    # the run's pre-flight: alpha may use hv1, ctl1 and ctl2; transports open in host order
    "hvrt_open_transport", "hvrt_open_transport", "hvrt_open_transport",
    "hvrt_preflight_host", "hvrt_preflight_host", "hvrt_preflight_host",
    "hvrt_stage:plan",
    "hvrt_stage:provision", "hvrt_provision", "hvrt_open_transport",
    # the leased hosts again (ctl1's transport is the scenario's, opened just above)
    "hvrt_open_transport", "hvrt_preflight_host", "hvrt_preflight_host",
    # configure and deploy side by side: each pair in order, the two interleaved (PAIR)
    "hvrt_stage:configure", "hvrt_configure_node",
    "hvrt_stage:deploy", "hvrt_deploy",
    "hvrt_stage:start", "hvrt_start_node", "hvrt_check_deployment",
    "hvrt_stage:test", "hvrt_run_tests",
    "hvrt_stage:collect", "hvrt_collect",
    "hvrt_stage:report", "hvrt_report_scenario",
    "hvrt_stage:teardown", "hvrt_teardown",
    "hvrt_report_run",
]


PAIR = (["hvrt_stage:configure", "hvrt_configure_node"], ["hvrt_stage:deploy", "hvrt_deploy"])


def test_full_order_of_hook_calls_is_pinned(hvrt_run, hvrt_config, testlab) -> None:
    cfg = hvrt_config(lab_yaml())
    outcome = hvrt_run(cfg, profiles=["alpha"], plugins=[("testlab", testlab)])
    assert outcome.exit_code == 0, outcome.summary.to_dict()
    seen = [f"{c.name}:{c.kwargs['stage']}" if c.name == "hvrt_stage" else c.name for c in outcome.calls.calls]
    at = EXPECTED_ORDER.index(PAIR[0][0])
    step = seen[at:at + 4]
    assert [c for c in step if c in PAIR[0]] == PAIR[0] and [c for c in step if c in PAIR[1]] == PAIR[1]
    assert seen[:at] + seen[at + 4:] == EXPECTED_ORDER[:at] + EXPECTED_ORDER[at + 4:]


NOT_RUN_HOOKS = {"hvrt_cli", "hvrt_config_schema", "hvrt_effective_values"}
"""Hooks a run does not call on its plugin manager: ``hvrt_cli`` is called while the
command line is built (tests/hvrt/cli/test_registry.py), ``hvrt_config_schema`` while
the config loads (tests/hvrt/config/test_registry.py), ``hvrt_effective_values`` by
``hvrt plan --effective`` (tests/hvrt/cli/test_plan.py)."""


def test_every_hook_is_called_by_a_run() -> None:
    from hvrt import hookspecs

    declared = {n for n in dir(hookspecs) if n.startswith("hvrt_")}
    assert declared - NOT_RUN_HOOKS == {name.split(":")[0] for name in EXPECTED_ORDER}


def test_results_tree_and_summary(hvrt_run, hvrt_config, testlab, tmp_path) -> None:
    cfg = hvrt_config(lab_yaml())
    outcome = hvrt_run(cfg, all=True, plugins=[("testlab", testlab)], jobs=2)
    run_dir = outcome.run_dir
    assert run_dir.parent.name == "testrel" and run_dir.parent.parent == tmp_path / "results"
    for name in ("summary.json", "journal.jsonl", "hvrt.log", "run.json",
                 "alpha/results.json", "beta/results.json", "alpha/hvrt.log"):
        assert (run_dir / name).is_file(), name
    summary = json.loads((run_dir / "summary.json").read_text())
    assert summary["scenario_counts"] == {"passed": 2}
    every_file = "".join(p.read_text(errors="replace") for p in run_dir.rglob("*") if p.is_file())
    assert SECRET not in every_file


@pytest.mark.parametrize(("tests", "fail", "code", "status"), [
    ({"t.ok": "passed"}, {}, 0, "passed"),
    ({"t.ok": "passed", "t.bad": "failed"}, {}, 1, "failed"),
    ({"t.ok": "passed"}, {"alpha": "deploy"}, 3, "error"),
])
def test_exit_codes_of_the_cli(tmp_path, tests, fail, code, status) -> None:
    cfg = tmp_path / "hvrt.yaml"
    cfg.write_text(lab_yaml(json.dumps({"tests": tests, "fail": fail})))
    proc = hvrt_cli("run", "-c", str(cfg), "-p", "alpha", "--results", str(tmp_path / "r"), "--json", cwd=tmp_path)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    assert "Traceback" not in err
    data = json.loads(out)
    assert data["exit_code"] == code
    assert data["scenarios"][0]["status"] == status


def test_results_modes_from_the_command_line(tmp_path) -> None:
    import stat

    cfg = tmp_path / "hvrt.yaml"
    cfg.write_text(lab_yaml())
    proc = hvrt_cli("run", "-c", str(cfg), "-p", "alpha", "--results", str(tmp_path / "r"), "--json",
                    "--file-mode", "0640", "--dir-mode", "750", cwd=tmp_path)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    run_dir = Path(json.loads(out)["run_dir"])
    modes = {stat.S_IMODE(p.stat().st_mode) for p in run_dir.rglob("*") if p.is_file()}
    assert modes == {0o640}
    assert {stat.S_IMODE(p.stat().st_mode) for p in run_dir.rglob("*") if p.is_dir()} == {0o750}
    bad = hvrt_cli("run", "-c", str(cfg), "-p", "alpha", "--file-mode", "0444", cwd=tmp_path)
    _, err = bad.communicate(timeout=60)
    assert bad.returncode == 2 and "owner read and write" in err


def test_unknown_profile_is_a_usage_error(tmp_path) -> None:
    cfg = tmp_path / "hvrt.yaml"
    cfg.write_text(lab_yaml())
    proc = hvrt_cli("run", "-c", str(cfg), "-p", "alpah", cwd=tmp_path)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "alpha" in err and "Traceback" not in err


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            raise AssertionError(f"hvrt exited early: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"{path} never appeared")
        time.sleep(0.05)


def _executions(marker_dir: Path) -> list[str]:
    return (marker_dir / "executions.log").read_text().splitlines()


def test_sigkill_mid_stage_then_resume_finishes_without_rerunning(tmp_path) -> None:
    markers = tmp_path / "markers"
    markers.mkdir()
    settings = {"marker_dir": str(markers), "hold": {"beta": "deploy"}}
    cfg = tmp_path / "hvrt.yaml"
    cfg.write_text(lab_yaml(json.dumps(settings)))
    results = tmp_path / "r"
    # one job: alpha runs and finishes first (config order, equal weight), then beta holds
    proc = hvrt_cli("run", "-c", str(cfg), "--all", "--results", str(results), cwd=tmp_path)
    _wait_for(markers / "beta.held", proc)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    run_dir = next(results.glob("testrel/*"))
    state = read_journal(run_dir / "journal.jsonl")
    assert state.finished == {"alpha"} and "beta" in state.started and not state.run_ended
    alpha_before = (run_dir / "alpha" / "results.json").read_bytes()
    assert json.loads(alpha_before)["status"] == "passed"
    assert _executions(markers).count("alpha test") == 1

    proc = hvrt_cli("run", "--resume", str(run_dir), "--json", cwd=tmp_path, env={"HVRT_TESTLAB_NO_HOLD": "1"})
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    summary = json.loads(out)
    assert {s["name"]: s["status"] for s in summary["scenarios"]} == {"alpha": "passed", "beta": "passed"}
    assert _executions(markers).count("alpha test") == 1, "a finished scenario ran again"
    assert _executions(markers).count("beta test") == 1
    assert (run_dir / "alpha" / "results.json").read_bytes() == alpha_before
    assert read_journal(run_dir / "journal.jsonl").run_ended


def test_resume_after_a_crash_in_the_middle_of_the_pair_runs_both_again(tmp_path) -> None:
    """configure ended, deploy was running: the resumed run repeats the whole scenario,
    configure included (the node's state under a half-built cloud is not trusted)."""
    markers = tmp_path / "markers"
    markers.mkdir()
    cfg = tmp_path / "hvrt.yaml"
    cfg.write_text(lab_yaml(json.dumps({"marker_dir": str(markers), "hold": {"alpha": "deploy"}})))
    results = tmp_path / "r"
    proc = hvrt_cli("run", "-c", str(cfg), "-p", "alpha", "--results", str(results), cwd=tmp_path)
    _wait_for(markers / "alpha.held", proc)
    run_dir = next(results.glob("testrel/*"))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any(  # configure's end is journalled while deploy holds
            e.get("event") == "stage_end" and e.get("stage") == "configure"
            for e in read_journal(run_dir / "journal.jsonl").events):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.communicate(timeout=30)
    events = read_journal(run_dir / "journal.jsonl").events
    ends = {e["stage"]: e for e in events if e["event"] == "stage_end"}
    starts = {e["stage"]: e for e in events if e["event"] == "stage_start"}
    assert ends["configure"]["status"] == "ok" and ends["configure"]["together"] == ["deploy"]
    assert "deploy" not in ends and starts["deploy"]["together"] == ["configure"]

    proc = hvrt_cli("run", "--resume", str(run_dir), "--json", cwd=tmp_path, env={"HVRT_TESTLAB_NO_HOLD": "1"})
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert [s["status"] for s in json.loads(out)["scenarios"]] == ["passed"]
    runs = _executions(markers)
    assert runs.count("alpha configure") == 2 and runs.count("alpha deploy") == 2
    assert runs.index("alpha test") > max(i for i, r in enumerate(runs) if r in ("alpha configure", "alpha deploy"))


def test_ctrl_c_tears_down_writes_the_journal_and_exits_130(tmp_path) -> None:
    markers = tmp_path / "markers"
    markers.mkdir()
    cfg = tmp_path / "hvrt.yaml"
    cfg.write_text(lab_yaml(json.dumps({"marker_dir": str(markers), "hold": {"alpha": "test"}})))
    proc = hvrt_cli("run", "-c", str(cfg), "-p", "alpha", "--results", str(tmp_path / "r"), cwd=tmp_path)
    _wait_for(markers / "alpha.held", proc)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "alpha teardown" in _executions(markers)
    run_dir = next((tmp_path / "r").glob("testrel/*"))
    state = read_journal(run_dir / "journal.jsonl")
    assert state.outcomes == {"alpha": "interrupted"} and state.run_ended


def test_dry_run_touches_nothing(tmp_path) -> None:
    markers = tmp_path / "markers"
    markers.mkdir()
    cfg = tmp_path / "hvrt.yaml"
    cfg.write_text(lab_yaml(json.dumps({"marker_dir": str(markers)})))
    proc = hvrt_cli("run", "-c", str(cfg), "--all", "--dry-run", "--results", str(tmp_path / "r"), cwd=tmp_path)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert out.split() == ["alpha", "beta"]
    assert not (markers / "executions.log").exists()


def test_baseline_comparison_lists_the_regression(tmp_path) -> None:
    results = tmp_path / "r"
    runs = []
    for tests in ({"t.a": "passed", "t.b": "passed"}, {"t.a": "passed", "t.b": "failed"}):
        cfg = tmp_path / "hvrt.yaml"
        cfg.write_text(lab_yaml(json.dumps({"tests": tests})).replace("plugins: []", "plugins: [html]"))
        extra = ["--baseline", str(runs[0])] if runs else []
        proc = hvrt_cli("run", "-c", str(cfg), "-p", "alpha", "--results", str(results), "--json", *extra, cwd=tmp_path)
        out, err = proc.communicate(timeout=120)
        runs.append(Path(json.loads(out)["run_dir"]))
    comparison = json.loads((runs[1] / "comparison.json").read_text())
    assert [e["id"] for e in comparison["scenarios"][0]["regressions"]] == ["t.b"]
    assert "comparison.html" in (runs[1] / "index.html").read_text()
