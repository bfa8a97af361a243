"""Real pywinrm against the simulated node: shells, commands, streams, signals, auth, faults."""
from __future__ import annotations

import base64
import json
import time

import pytest
import requests
import winrm
from winrm.exceptions import (
    InvalidCredentialsError,
    WinRMOperationTimeoutError,
    WinRMTransportError,
    WSManFaultError,
)
from winrm.protocol import Protocol

from hvrt.sandbox.wsman import SimulatedNode, soap


def protocol(node: SimulatedNode, password: str, auth: str = "ntlm", **kw) -> Protocol:
    return Protocol(node.endpoint, transport=auth, username="Administrator", password=password,
                    ca_trust_path=node.ca_bundle or "legacy_requests", read_timeout_sec=kw.pop("read", 10),
                    operation_timeout_sec=kw.pop("op", 5), proxy=None, **kw)


def run(proto: Protocol, command: str, args=()) -> tuple[bytes, bytes, int]:
    shell = proto.open_shell()
    try:
        cid = proto.run_command(shell, command, list(args))
        out = proto.get_command_output(shell, cid)
        proto.cleanup_command(shell, cid)
        return out
    finally:
        proto.close_shell(shell)


@pytest.mark.parametrize("auth", ["ntlm", "basic"])
def test_https_commands_and_exit_codes(https_node, node_password, auth):
    proto = protocol(https_node, node_password, auth)
    assert run(proto, "hostname") == (b"hv-sim-1\r\n", b"", 0)
    out, err, code = run(proto, "no-such-tool", ["x"])
    assert code == 1 and b"'no-such-tool' is not recognized as an internal or external command" in err
    assert run(proto, "cmd", ["/c", "exit", "7"])[2] == 7


@pytest.mark.parametrize("auth", ["ntlm", "basic"])
def test_http_basic_and_encrypted_ntlm(http_node, node_password, auth):
    proto = protocol(http_node, node_password, auth)
    assert run(proto, "whoami")[0] == b"hv-sim-2\\administrator\r\n"
    if auth == "ntlm":  # pywinrm seals messages over plain HTTP
        assert proto.transport.encryption is not None


def test_certificate_is_verified(https_node, node_password):
    proto = Protocol(https_node.endpoint, transport="ntlm", username="Administrator", password=node_password,
                     ca_trust_path=None, proxy=None)
    with pytest.raises(requests.exceptions.SSLError):
        proto.open_shell()


@pytest.mark.parametrize("auth", ["ntlm", "basic"])
def test_wrong_password_is_rejected(https_node, auth):
    with pytest.raises(InvalidCredentialsError):
        protocol(https_node, "wrong-password", auth).open_shell()


def test_large_output_streams_over_several_receives(https_node, node_password):
    session = winrm.Session(https_node.endpoint, auth=("Administrator", node_password), transport="ntlm",
                            ca_trust_path=https_node.ca_bundle)
    before = https_node.stats["Receive"]
    result = session.run_ps("Write-Output ('abcdefgh' * 100000)")
    assert result.status_code == 0 and result.std_out == b"abcdefgh" * 100000 + b"\r\n"
    assert https_node.stats["Receive"] - before >= 5


def test_unknown_cmdlet_fails_like_powershell(https_node, node_password):
    session = winrm.Session(https_node.endpoint, auth=("Administrator", node_password), transport="ntlm",
                            ca_trust_path=https_node.ca_bundle)
    result = session.run_ps("Write-Output 'before'\nGet-Nothing -Now")
    assert result.status_code == 1 and result.std_out == b"before\r\n"
    assert b"The term 'Get-Nothing' is not recognized as the name of a cmdlet" in result.std_err


def test_stdin_send_and_signals(https_node, node_password):
    proto = protocol(https_node, node_password)
    shell = proto.open_shell()
    cid = proto.run_command(shell, "powershell.exe", ["-NoProfile", "-Command", "-"])
    proto.send_command_input(shell, cid, b"Write-Output 'one'\r\n")
    assert proto.get_command_output_raw(shell, cid)[0] == b"one\r\n"
    proto.send_command_input(shell, cid, b"Start-Sleep -Seconds 30\r\n")
    started = time.monotonic()
    with pytest.raises(WinRMOperationTimeoutError):
        proto.get_command_output_raw(shell, cid)  # nothing for a whole OperationTimeout
    msg = {"env:Envelope": proto.build_wsman_header(f"{soap.SHELL_URI}/Signal", soap.CMD_RESOURCE, shell)}
    msg["env:Envelope"]["env:Body"] = {"rsp:Signal": {"@CommandId": cid, "rsp:Code": soap.SIGNAL_CTRL_C}}
    import xmltodict

    proto.send_message(xmltodict.unparse(msg))
    out, err, code, done = proto.get_command_output_raw(shell, cid)
    assert done and code == -1073741510 and time.monotonic() - started < 15
    proto.cleanup_command(shell, cid)
    proto.close_shell(shell)
    with pytest.raises(WSManFaultError) as info:
        proto.run_command(shell, "hostname")
    assert info.value.wsman_fault_code == soap.SHELL_NOT_FOUND


def test_several_shells_in_parallel(https_node, node_password):
    from concurrent.futures import ThreadPoolExecutor

    def one(i: int) -> bytes:
        return run(protocol(https_node, node_password), "echoargs", [f"n{i}"])[0]

    with ThreadPoolExecutor(8) as pool:
        outs = list(pool.map(one, range(16)))
    assert [json.loads(o) for o in outs] == [[f"n{i}"] for i in range(16)]


def test_faults_drop_500_and_stall(https_node, node_password):
    proto = protocol(https_node, node_password, read=3, op=1)
    shell = proto.open_shell()
    https_node.faults.drop(action="Command")
    with pytest.raises(requests.exceptions.ConnectionError):
        proto.run_command(shell, "hostname")
    https_node.faults.http_500(action="Command")
    with pytest.raises(WinRMTransportError) as info:
        proto.run_command(shell, "hostname")
    assert info.value.code == 500
    https_node.faults.stall(4, action="Command")
    with pytest.raises(requests.exceptions.ReadTimeout):
        proto.run_command(shell, "hostname")
    proto.transport.close_session()
    cid = proto.run_command(shell, "hostname")  # healthy again
    assert proto.get_command_output(shell, cid)[0] == b"hv-sim-1\r\n"


def test_reboot_makes_shells_vanish(tmp_path, node_password):
    with SimulatedNode("hv-reboot", "127.0.0.13", 0, tmp_path, users={"Administrator": node_password}) as node:
        proto = protocol(node, node_password, read=3, op=1)
        shell = proto.open_shell()
        node.faults.reboot(down_for=1.0)
        with pytest.raises(requests.exceptions.ConnectionError):
            proto.run_command(shell, "hostname")
        time.sleep(1.3)
        proto.transport.close_session()
        with pytest.raises(WSManFaultError):
            proto.run_command(shell, "hostname")
        assert node.model.state()["reboot_count"] == 1
        assert run(proto, "hostname")[0] == b"hv-reboot\r\n"


def test_only_loopback():
    with pytest.raises(ValueError):
        SimulatedNode("x", "192.0.2.1", 0, "/nonexistent")


def test_encoded_command_decoding(https_node, node_password):
    script = "Write-Output 'é ü'"
    encoded = base64.b64encode(script.encode("utf-16-le")).decode()
    out, err, code = run(protocol(https_node, node_password), "powershell", ["-EncodedCommand", encoded])
    assert code == 0 and out.decode() == "é ü\r\n"
