"""Pre-flight against the sandbox lab: real pywinrm to simulated nodes, real sshd
controllers. A node that is down and a node whose clock is off are named with their
fixes by ``hvrt preflight``; ``hvrt run`` stops before its first scenario for such a
host, and with ``--skip-unhealthy`` skips only the scenario that needs it."""
from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest

from hvrt.results.journal import read_journal
from hvrt.sandbox.lab import request_fault
from hvrt.testing import run_cli

pytestmark = [pytest.mark.slow, pytest.mark.sshd, pytest.mark.keystone]

NODE_DOWN, NODE_SKEWED = "hv-2012-a", "hv-2012r2-b"
CHECKS = ["reachable", "auth", "os", "powershell", "hyperv", "clock_skew", "free_disk", "max_envelope"]


def wait_until_up(address: str, port: int, limit: float = 90) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((address, port), timeout=1):
                return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"{address}:{port} did not come back")


def rows(table: str) -> dict[str, list[str]]:
    return {line.split()[0]: line.split()[1:] for line in table.splitlines() if line.startswith(("hv-", "ctl-"))}


def test_preflight_names_a_node_that_is_down_and_a_skewed_clock(lab) -> None:
    config = str(lab["small"])
    down = lab["lab"].config.nodes[NODE_DOWN]
    request_fault(lab["lab"], NODE_DOWN, "reboot", "40")
    request_fault(lab["lab"], NODE_SKEWED, "clock-skew", "400")
    try:
        started = time.monotonic()
        code, data, err = lab["hvrt"]("preflight", "-c", config, "--all", timeout=300)
        text = run_cli("preflight", "-c", config, "--all", env={"HVRT_SANDBOX_PASSWORD": lab["password"]},
                       inherit_hvrt=True, timeout=300)
        assert time.monotonic() - started < 40, "both ran while the node was still down"
    finally:
        request_fault(lab["lab"], NODE_SKEWED, "clear")
        wait_until_up(down.address, 5986)
    assert code == 3 and text.returncode == 3, err
    table = rows(text.stdout)
    assert table[NODE_DOWN] == ["FAIL"] + ["-"] * 7
    assert table[NODE_SKEWED] == ["ok", "ok", "ok", "ok", "ok", "FAIL", "ok", "ok"]
    assert table["hv-2012r2-a"] == ["ok"] * 8
    assert table["ctl-a"] == table["ctl-b"] == ["ok"] * 6  # reachable host_key auth sudo git free_disk
    assert f"  {NODE_DOWN} reachable: {down.address}:5986: Connection refused" in text.stdout
    assert f"  {NODE_SKEWED} clock_skew: +4" in text.stdout and "fix: sync the clock (w32tm /resync)" in text.stdout
    assert text.stdout.splitlines()[-1] == f"pre-flight: 2 of 5 hosts failed ({NODE_SKEWED}, {NODE_DOWN})"
    assert data["schema"] == 1 and data["exit_code"] == 3
    failed = {(f["host"], f["check"]) for f in data["failures"]}
    assert failed == {(NODE_DOWN, "reachable"), (NODE_SKEWED, "clock_skew")}
    skewed = next(h for h in data["hosts"] if h["host"] == NODE_SKEWED)
    assert [c["check"] for c in skewed["checks"]] == CHECKS
    assert lab["password"] not in text.stdout + json.dumps(data)


def test_run_stops_before_any_scenario_then_skip_unhealthy_runs_the_rest(lab) -> None:
    request_fault(lab["lab"], NODE_DOWN, "clock-skew", "-900")
    results = lab["root"] / "preflight-runs"
    try:
        code, summary, err = lab["hvrt"]("run", "-c", str(lab["small"]), "-p", "2012-vhdx", "-p", "2012r2-vhdx",
                                         "--results", str(results), timeout=300)
        assert code == 3, err
        run_dir = Path(summary["run_dir"])
        events = [e["event"] for e in read_journal(run_dir / "journal.jsonl").events]
        assert "scenario_start" not in events and events[-1] == "run_end"
        assert f"hvrt: error: [{NODE_DOWN}] preflight: pre-flight check clock_skew failed: -" in err, err
        assert "fix: sync the clock (w32tm /resync)" in err
        assert summary["error"]["host"] == NODE_DOWN and summary["preflight"]["ok"] is False
        assert {s["status"] for s in summary["scenarios"]} == {"error"}
        assert all(s["error"].startswith(f"not started: [{NODE_DOWN}]") for s in summary["scenarios"])

        code, summary, err = lab["hvrt"]("run", "-c", str(lab["small"]), "-p", "2012-vhdx", "-p", "2012r2-vhdx",
                                         "--skip-unhealthy", "--results", str(results), timeout=900)
    finally:
        request_fault(lab["lab"], NODE_DOWN, "clear")
    result = {s["name"]: s for s in summary["scenarios"]}
    assert result["2012r2-vhdx"]["status"] == "passed", err
    assert result["2012-vhdx"]["status"] == "skipped"
    assert f"{NODE_DOWN} failed pre-flight: [{NODE_DOWN}] clock_skew: -" in result["2012-vhdx"]["error"]
    assert code == 3
    state = read_journal(Path(summary["run_dir"]) / "journal.jsonl")
    assert state.started == {"2012r2-vhdx"}


def test_each_node_is_checked_against_its_own_windows_powershell(lab) -> None:
    """The 2012 node answers with stock PowerShell 3.0 and the 2012 R2 ones with 4.0
    (the simulated nodes follow their OS); both are enough for hvrt's module there."""
    code, data, err = lab["hvrt"]("preflight", "-c", str(lab["small"]), "-p", "2012-vhdx", "-p", "2012r2-vhdx",
                                  timeout=300)
    assert code == 0, err
    found = {h["host"]: {c["check"]: c for c in h["checks"]} for h in data["hosts"]}
    assert found["hv-2012-a"]["powershell"]["ok"] is True
    assert found["hv-2012-a"]["powershell"]["detail"].startswith("PowerShell 3.0 ")
    assert found["hv-2012r2-a"]["powershell"]["detail"].startswith("PowerShell 4.0 ")
