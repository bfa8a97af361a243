"""The WinRM transport against a simulated node: real pywinrm over HTTPS with NTLM."""
from __future__ import annotations

import logging
import os
import time

import pytest
from hvrt_winrm.options import WinRMOptions
from hvrt_winrm.transport import RemoteCallError, WinRMTransport

from hvrt.config.model import Secret
from hvrt.errors import RemoteTimeout, TransportError


def test_invoke_costs_two_requests_and_reuses_one_shell(transport, sim_nodes):
    node = sim_nodes["hv-01"]
    transport.invoke("Get-HvrtBootId")
    before = dict(node.stats)
    for _ in range(20):
        assert transport.invoke("Get-HvrtBootId")["reboot_count"] >= 0
    delta = {k: node.stats[k] - before.get(k, 0) for k in node.stats}
    assert delta["wsman"] == 40 and delta["Create"] == 0 and delta["Command"] == 0


def test_run_quotes_every_argument(transport):
    args = ["plain", "two words", 'quote"inside', "trailing\\", "back\\\\slash\\\"", "$(calc)", "a;b&c|d", "", "`tick"]
    result = transport.run(["C:\\hvrt\\bin\\echoargs.exe", *args])
    import json

    assert result.ok and json.loads(result.stdout) == args


def test_run_exit_code_and_check(transport):
    assert transport.run(["hostname"]).stdout == "hv-01\r\n"
    with pytest.raises(RemoteCallError) as info:
        transport.run(["no-such-program.exe"])
    assert "cannot find the file" in str(info.value) and info.value.host == "hv-01"


def test_unknown_function_fails_like_powershell(transport):
    with pytest.raises(RemoteCallError) as info:
        transport.invoke("Remove-Everything", {})
    assert "is not recognized as the name of a cmdlet" in str(info.value)
    assert transport.invoke("Get-HvrtBootId")  # the host loop survives


@pytest.mark.parametrize("size", [0, 1, 300_000, 2_500_000])
def test_put_get_roundtrip_with_checksum(transport, tmp_path, size):
    data = os.urandom(size // 2) + b"compressible " * (size // 26)
    src = tmp_path / "src.bin"
    src.write_bytes(data)
    transport.put(src, "C:\\data\\file.bin")
    back = tmp_path / "back.bin"
    transport.get("C:\\data\\file.bin", back)
    assert back.read_bytes() == data


def test_put_get_folder(transport, tmp_path):
    folder = tmp_path / "tree"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_text("alpha")
    (folder / "sub" / "b.log").write_bytes(b"x" * 400_000)
    transport.put(folder, "C:\\data\\tree")
    transport.get("C:\\data\\tree", tmp_path / "copy")
    assert (tmp_path / "copy" / "a.txt").read_text() == "alpha"
    assert (tmp_path / "copy" / "sub" / "b.log").read_bytes() == b"x" * 400_000


def test_corrupted_upload_is_refused(transport):
    transport.invoke("Open-HvrtUpload", {"path": "C:\\data\\bad.bin"})
    transport.invoke("Write-HvrtChunk", {"path": "C:\\data\\bad.bin", "offset": 0, "data": "AAAA"})
    with pytest.raises(RemoteCallError, match="checksum mismatch"):
        transport.invoke("Close-HvrtUpload", {"path": "C:\\data\\bad.bin", "sha256": "00" * 32})
    assert not transport.invoke("Get-HvrtItem", {"path": "C:\\data\\bad.bin"})["exists"]


def test_get_missing_file(transport, tmp_path):
    with pytest.raises(TransportError, match="no such file"):
        transport.get("C:\\nope.txt", tmp_path / "x")


@pytest.mark.parametrize("kind", ["drop", "http_500"])
@pytest.mark.parametrize("action", ["Send", "Receive"])
def test_transient_faults_are_retried(transport, sim_nodes, kind, action):
    node = sim_nodes["hv-01"]
    transport.invoke("Get-HvrtBootId")
    getattr(node.faults, kind)(count=2, action=action)
    assert transport.invoke("Get-HvrtBootId")["reboot_count"] >= 0
    assert node.faults.fired[-2:] == [(kind, action), (kind, action)]


def test_stall_past_read_timeout_is_retried(sim_nodes, node_password):
    node = sim_nodes["hv-01"]
    t = WinRMTransport("hv-01", node.address, user="Administrator", password=Secret(node_password, "env:X"),
                       options=WinRMOptions(port=node.port, ca_bundle=node.ca_bundle, operation_timeout=1,
                                            read_timeout=2, backoff=0.1))
    t.invoke("Get-HvrtBootId")
    node.faults.stall(5, action="Send")
    started = time.monotonic()
    assert t.invoke("Get-HvrtBootId", timeout=30)
    assert time.monotonic() - started < 15
    t.close()


def test_node_that_stays_down_is_a_clear_error(tmp_path, node_password):
    from hvrt.sandbox.wsman import SimulatedNode

    node = SimulatedNode("hv-gone", "127.0.0.29", 0, tmp_path, users={"Administrator": node_password}).start()
    port = node.port
    node.stop()
    t = WinRMTransport("hv-gone", "127.0.0.29", user="Administrator", password=Secret(node_password, "env:X"),
                       options=WinRMOptions(port=port, ca_bundle=node.ca_bundle, retries=2, backoff=0.1))
    started = time.monotonic()
    with pytest.raises(TransportError) as info:
        t.invoke("Get-HvrtPreflight", {}, timeout=20)
    assert info.value.host == "hv-gone" and info.value.step == "Get-HvrtPreflight"
    assert "unreachable after 3 attempts" in str(info.value) and time.monotonic() - started < 10


def test_call_timeout_then_recovers(transport, sim_nodes):
    node = sim_nodes["hv-01"]
    node.model.set_service("slow-service", "Stopped")
    started = time.monotonic()
    with pytest.raises(RemoteTimeout) as info:
        transport.invoke("Wait-HvrtService", {"name": "slow-service", "timeout": 60}, timeout=2)
    assert time.monotonic() - started < 8 and info.value.host == "hv-01"
    assert transport.invoke("Get-HvrtBootId")


def test_shell_lost_is_reopened(transport, sim_nodes):
    node = sim_nodes["hv-01"]
    transport.invoke("Get-HvrtBootId")
    with node._lock:
        for shell in node.shells.values():
            shell.close()
        node.shells.clear()
    assert transport.invoke("Get-HvrtBootId")


def test_reboot_waits_for_the_node(tmp_path, node_password):
    from hvrt.sandbox.wsman import SimulatedNode

    with SimulatedNode("hv-rb", "127.0.0.28", 0, tmp_path, users={"Administrator": node_password}) as node:
        t = WinRMTransport("hv-rb", node.address, user="Administrator", password=Secret(node_password, "env:X"),
                           options=WinRMOptions(port=node.port, ca_bundle=node.ca_bundle, backoff=0.1))
        before = t.invoke("Get-HvrtBootId")
        t.reboot(timeout=30)
        after = t.invoke("Get-HvrtBootId")
        assert after["reboot_count"] == before["reboot_count"] + 1
        t.close()


def test_bad_credentials_and_bad_ca(sim_nodes, node_password, tmp_path):
    node = sim_nodes["hv-01"]
    wrong = WinRMTransport("hv-01", node.address, user="Administrator", password=Secret("nope-nope", "env:X"),
                           options=WinRMOptions(port=node.port, ca_bundle=node.ca_bundle))
    with pytest.raises(TransportError, match="rejected"):
        wrong.invoke("Get-HvrtBootId", timeout=10)
    other_ca = tmp_path / "other.pem"
    from hvrt.sandbox.wsman.certs import ensure_ca

    other_ca.write_bytes(ensure_ca(tmp_path / "ca")[0].read_bytes())
    untrusted = WinRMTransport("hv-01", node.address, user="Administrator",
                               password=Secret(node_password, "env:X"),
                               options=WinRMOptions(port=node.port, ca_bundle=str(other_ca)))
    with pytest.raises(TransportError, match="TLS"):
        untrusted.invoke("Get-HvrtBootId", timeout=10)


def test_password_never_logged_even_at_debug(sim_nodes, node_password, caplog, capfd):
    """Every logger (hvrt, winrm, requests, urllib3, spnego) at DEBUG, a fault and a retry included."""
    import base64

    node = sim_nodes["hv-01"]
    caplog.set_level(logging.DEBUG)
    for auth in ("ntlm", "basic"):
        t = WinRMTransport("hv-01", node.address, user="Administrator",
                           password=Secret(node_password, "env:X"),
                           options=WinRMOptions(port=node.port, ca_bundle=node.ca_bundle, auth=auth, backoff=0.1))
        t.invoke("Get-HvrtBootId")
        node.faults.http_500(action="Receive")
        t.run(["echoargs", "x"])
        with pytest.raises(RemoteCallError):
            t.invoke("Get-Missing")
        t.close()

    logged = caplog.text + "".join(capfd.readouterr())
    assert "urllib3" in caplog.text or "hvrt" in caplog.text
    for form in (node_password, base64.b64encode(f"Administrator:{node_password}".encode()).decode()):
        assert form not in logged
