"""Which Windows the winrm plugin accepts: refusals are config errors of ``hvrt plan`` (exit 2,
file:line:key), and the pre-flight's PowerShell check follows the node's OS and declaration."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hvrt_winrm.preflight import powershell_check
from hvrt_winrm.support import SUPPORT, compat_target, node_problems

from hvrt.config.model import Host
from hvrt.testing import run_cli

LAB = """\
lab:
  controllers:
    ctl: {{address: 127.0.0.2, transport: local}}
  nodes:
    hv1:
      address: 127.0.0.11
      transport: winrm
      labels: {labels}
      winrm: {winrm}
    hv2: {{address: 127.0.0.12, transport: winrm, labels: {{os: 2016}}}}
release:
  installer: {{url: "https://example.invalid/HyperVNovaCompute.msi"}}
  devstack: {{branch: master}}
profiles:
  {profile}: {{os: {os}}}
"""


def plan(tmp_path: Path, *, os: str = "2012", labels: str = "", winrm: str = "{}",
         profile: str = "old-host") -> subprocess.CompletedProcess[str]:
    path = tmp_path / "hvrt.yaml"
    path.write_text(LAB.format(labels=labels or f"{{os: {os}}}", winrm=winrm, profile=profile, os=os))
    return run_cli("plan", "-c", str(path), "--all", cwd=tmp_path, timeout=120)


def test_a_2008r2_node_is_refused_at_plan_time_naming_scenario_node_and_prerequisite(tmp_path: Path) -> None:
    proc = plan(tmp_path, os="2008r2", profile="legacy-2008r2")
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert f"{tmp_path / 'hvrt.yaml'}:5:5: lab.nodes.hv1.labels.os: node hv1 (used by scenario legacy-2008r2): " \
        "Windows Server 2008 R2 is refused: it has no Hyper-V PowerShell module" in proc.stderr
    assert "Prerequisite: Windows Server 2012 or later with the Hyper-V role" in proc.stderr


def test_a_nano_server_node_is_refused_at_plan_time(tmp_path: Path) -> None:
    proc = plan(tmp_path, os="2016", labels="{os: 2016, edition: nano}", profile="nano")
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "lab.nodes.hv1.labels.edition: node hv1 (used by scenario nano): Nano Server is refused" in proc.stderr
    assert "no msiexec" in proc.stderr and "Prerequisite: a Server Core or Desktop Experience" in proc.stderr


def test_stock_2012_plans_and_a_powershell_the_os_cannot_run_is_refused(tmp_path: Path) -> None:
    ok = plan(tmp_path, os="2012")
    assert ok.returncode == 0, ok.stderr
    assert plan(tmp_path, os="2012r2", winrm="{powershell: 5.1}").returncode == 0
    bad = plan(tmp_path, os="2012r2", winrm="{powershell: '3.0'}")
    assert bad.returncode == 2
    assert "lab.nodes.hv1.winrm.powershell: node hv1 (used by scenario old-host): Windows Server 2012 R2 runs " \
        "PowerShell 4.0 or 5.1, not 3.0" in bad.stderr


def test_a_node_no_scenario_picks_is_left_to_the_preflight(tmp_path: Path) -> None:
    proc = plan(tmp_path, labels="{os: 2008r2}", os="2016")
    assert proc.returncode == 0, proc.stderr


def node(os: str, **winrm: object) -> Host:
    return Host(name="hv", role="node", address="127.0.0.11", transport="winrm", labels={"os": os},
                options={"winrm": winrm} if winrm else {})


@pytest.mark.parametrize(("os", "found", "ok", "detail"), [
    ("2012", "3.0", True, "PowerShell 3.0 (need 3.0 or later)"),
    ("2012r2", "4.0", True, "PowerShell 4.0 (need 4.0 or later)"),
    ("2012r2", "3.0", False, "PowerShell 4.0 is required on Windows Server 2012 R2: PowerShell 3.0 found"),
    ("2016", "2.0", False, "PowerShell 3.0 or later is required on Windows Server 2016: PowerShell 2.0 found"),
])
def test_the_preflight_powershell_floor_follows_the_os(os: str, found: str, ok: bool, detail: str) -> None:
    record = powershell_check(node(os), found)
    assert (record["ok"], record["detail"]) == (ok, detail)
    assert bool(record["fix"]) is not ok


def test_a_declared_wmf_51_must_be_there() -> None:
    record = powershell_check(node("2012r2", powershell="5.1"), "4.0")
    assert record["ok"] is False
    assert record["detail"] == "WMF 5.1 is required on Windows Server 2012 R2 (winrm.powershell: 5.1): PowerShell 4.0 found"
    assert powershell_check(node("2012r2", powershell="5.1"), "5.1")["ok"] is True


def test_support_table_and_compat_targets() -> None:
    assert [os for os, s in SUPPORT.items() if s.refused] == ["2008r2"]
    assert compat_target("2012", None) == "2012" and compat_target("2012", "5.1") == "2012-wmf51"
    assert compat_target("2016", "5.1") == "2016" and compat_target("2025", None) == "2022"
    assert node_problems(node("2012")) == [] and node_problems(node("2008r2"))[0][0] == "labels.os"
