"""``hvrt preflight`` as a user runs it: the table, the JSON form and the exit codes
(a node on a closed loopback port fails its first check; the sandbox tests cover a
node that is down or whose clock is off)."""
from __future__ import annotations

import json
from pathlib import Path

from hvrt.testing import run_cli

CONFIG = """\
lab:
  controllers:
    ctl1: {address: 127.0.0.1, transport: local}
  nodes:
    hv1: {address: 127.0.0.11, transport: winrm, user: Administrator, password: "${env:HVRT_TEST_PASSWORD}",
          labels: {os: 2012r2}, winrm: {port: 1, retries: 0}}
    hv2: {address: 127.0.0.12, transport: local, labels: {os: 2016}}
release:
  name: testrel
plugins: [winrm]
profiles:
  alpha: {os: 2012r2}
  beta: {os: 2016, include_default: false}
"""
ENV = {"HVRT_TEST_PASSWORD": "preflight-cli-pw-5"}


def write(tmp_path: Path) -> Path:
    cfg = tmp_path / "hvrt.yaml"
    cfg.write_text(CONFIG)
    return cfg


def test_a_closed_port_fails_reachable_with_its_fix_and_exit_3(tmp_path: Path) -> None:
    write(tmp_path)
    proc = run_cli("preflight", cwd=tmp_path, env=ENV, timeout=120)  # ./hvrt.yaml found by itself
    assert proc.returncode == 3, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["host", "reachable", "auth", "os", "powershell", "hyperv", "clock_skew",
                                "free_disk", "max_envelope"]
    assert lines[2].split() == ["hv1", "FAIL", "-", "-", "-", "-", "-", "-", "-"]
    assert "  hv1 reachable: 127.0.0.11:1: Connection refused" in proc.stdout
    assert "    fix: start the node or its WinRM service and open TCP 1" in proc.stdout
    assert lines[-1] == "pre-flight: 1 of 2 hosts failed (hv1)"
    assert "hv2" not in proc.stdout, "beta is not selected, so its host is not checked"
    assert "hvrt: pre-flight failed on hv1" in proc.stderr


def test_json_carries_the_schema_and_every_record(tmp_path: Path) -> None:
    cfg = write(tmp_path)
    proc = run_cli("preflight", "-c", str(cfg), "--all", "--json", cwd=tmp_path, env=ENV, timeout=120)
    assert proc.returncode == 3, proc.stderr
    data = json.loads(proc.stdout)
    assert data["schema"] == 1 and data["ok"] is False and data["exit_code"] == 3
    assert data["scenarios"] == ["alpha", "beta"]
    hosts = {h["host"]: h for h in data["hosts"]}
    assert list(hosts) == ["hv1", "hv2", "ctl1"]
    assert hosts["hv2"]["ok"] is True and hosts["hv2"]["checks"][0]["ok"] is None  # nobody checks local hosts
    (failure,) = data["failures"]
    assert failure["host"] == "hv1" and failure["check"] == "reachable" and "winrm quickconfig" in failure["fix"]
    assert ENV["HVRT_TEST_PASSWORD"] not in proc.stdout + proc.stderr


def test_only_local_hosts_pass(tmp_path: Path) -> None:
    cfg = write(tmp_path)
    proc = run_cli("preflight", "-c", str(cfg), "-p", "beta", cwd=tmp_path, env=ENV, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1].startswith("pre-flight: 2 hosts ok")


def test_a_config_error_is_exit_2_with_a_json_error(tmp_path: Path) -> None:
    cfg = tmp_path / "hvrt.yaml"
    cfg.write_text(CONFIG.replace("  alpha: {os: 2012r2}", "  alpha: {os: 2012r2, colour: blue}"))
    proc = run_cli("preflight", "-c", str(cfg), "--json", cwd=tmp_path, env=ENV, timeout=120)
    assert proc.returncode == 2
    error = json.loads(proc.stdout)["error"]
    assert error["exit_code"] == 2 and error["file"].endswith("hvrt.yaml") and error["line"] == 12
    assert error["column"] and "colour" in (error["key"] or "") + error["message"]
    assert "hvrt: error: " in proc.stderr and "colour" in proc.stderr
