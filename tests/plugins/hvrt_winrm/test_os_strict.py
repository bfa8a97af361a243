"""The winrm plugin against simulated nodes as strict as their Windows, through real pywinrm:
the version-aware pre-flight on 2012, the 5.1-only call a 2012 node refuses, and 2008 R2
paths that never reach a Hyper-V cmdlet."""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from hvrt_winrm.preflight import check_node
from hvrt_winrm.transport import WinRMTransport

from hvrt.errors import HvrtError

from .conftest import host_for


@pytest.fixture
def connect(os_nodes, node_password) -> Iterator:
    opened: list[WinRMTransport] = []

    def open_(name: str, os: str, **winrm):
        host = host_for(os_nodes[name], node_password, os=os, backoff=0.1, retries=1, **winrm)
        opened.append(WinRMTransport.for_host(host))
        return host, opened[-1]

    yield open_
    for transport in opened:
        transport.close()


def checks(transport, host) -> dict[str, dict]:
    return {c["check"]: c for c in check_node(transport, host, {}, 60.0)}


def test_stock_2012_passes_the_preflight_with_its_own_powershell_3(connect) -> None:
    host, transport = connect("hv-2012", "2012")
    found = checks(transport, host)
    assert all(c["ok"] for c in found.values()), found
    assert found["powershell"]["detail"] == "PowerShell 3.0 (need 3.0 or later)"
    assert "Hyper-V module present" in found["hyperv"]["detail"]


def test_2012_declared_with_wmf_51_is_refused_when_it_runs_3(connect) -> None:
    host, transport = connect("hv-2012", "2012", powershell="5.1")
    found = checks(transport, host)["powershell"]
    assert found["ok"] is False
    assert found["detail"] == "WMF 5.1 is required on Windows Server 2012 (winrm.powershell: 5.1): PowerShell 3.0 found"
    assert "Windows Management Framework 5.1" in found["fix"]


def test_the_2012_node_refuses_the_2012_r2_only_parameter_and_the_module_avoids_it(connect, os_nodes) -> None:
    host, transport = connect("hv-2012", "2012")
    model = os_nodes["hv-2012"].model
    with pytest.raises(HvrtError, match="A parameter cannot be found that matches parameter name "
                                        "'VirtualMachineMigrationPerformanceOption'"):
        transport.invoke("Set-HvrtMigrationPerformance", {"Option": "Compression"}, timeout=60)
    assert model.calls()[-1]["function"] == "Set-HvrtMigrationPerformance" and model.calls()[-1]["ok"] is False
    done = transport.invoke("Set-HvrtLiveMigration", {"enabled": True, "networks": [], "authentication": "Kerberos",
                                                      "max_migrations": 2, "performance": "Compression"}, timeout=60)
    assert done["performance"] == "TCPIP"  # 2012 migrates over TCP/IP only
    assert model.calls()[-1] == {**model.calls()[-1], "function": "Set-HvrtLiveMigration", "ok": True}


def test_a_2008r2_node_is_never_sent_the_module(connect, os_nodes) -> None:
    host, transport = connect("hv-2008r2-wmf", "2008r2")
    found = checks(transport, host)
    assert found["os"]["ok"] is False and "Windows Server 2008 R2 is refused" in found["os"]["detail"]
    assert [c for c, r in found.items() if r["ok"] is None] == [
        "auth", "powershell", "hyperv", "clock_skew", "free_disk", "max_envelope"]
    assert os_nodes["hv-2008r2-wmf"].model.calls() == []


def test_hyperv_cmdlets_fail_on_2008r2_as_powershell_does(connect, os_nodes) -> None:
    """Mislabelled as 2012, a 2008 R2 node with WMF 5.1 answers the pre-flight truthfully
    (no Hyper-V module) and refuses the first Hyper-V cmdlet of a switch check."""
    host, transport = connect("hv-2008r2-wmf", "2012")
    found = checks(transport, host)
    assert found["hyperv"]["ok"] is False and "Hyper-V module missing" in found["hyperv"]["detail"]
    assert found["os"]["ok"] is False  # build 7601, labelled 2012
    with pytest.raises(HvrtError, match="The term 'Get-VMSwitch' is not recognized"):
        transport.invoke("Set-HvrtVMSwitch", {"name": "external", "type": "External"}, timeout=60)
    assert [(c["function"], c["ok"]) for c in os_nodes["hv-2008r2-wmf"].model.calls()] == [
        ("Get-HvrtPreflight", True), ("Set-HvrtVMSwitch", False)]


def test_powershell_2_cannot_run_the_host_loop(connect, os_nodes) -> None:
    """Stock 2008 R2 (PowerShell 2.0, no ConvertFrom-Json): the host loop dies at its first
    request, so not one module function runs (the node's side: tests/hvrt/sandbox/wsman)."""
    host, transport = connect("hv-2008r2", "2012")
    found = checks(transport, host)
    assert found["reachable"]["ok"] is True
    assert found["auth"]["ok"] is True  # logged in; the loop's own error names the missing cmdlet
    assert found["powershell"]["ok"] is False
    assert "PowerShell 3.0 or later is required" in found["powershell"]["detail"]
    assert "ConvertFrom-Json" in found["powershell"]["detail"]
    assert os_nodes["hv-2008r2"].model.calls() == []
