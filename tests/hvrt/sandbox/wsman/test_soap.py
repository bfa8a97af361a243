"""The node's envelopes against envelopes captured from real Windows hosts (pywinrm's fixtures)."""
from __future__ import annotations

import ast
import base64
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import winrm

from hvrt.sandbox.wsman import soap


def _fixtures() -> dict[str, str]:
    path = Path(winrm.__file__).parent / "tests" / "conftest.py"
    if not path.exists():
        pytest.skip("pywinrm's captured fixtures are not installed")
    found = {}
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            found[node.targets[0].id] = node.value.value  # type: ignore[attr-defined]
    return found


FIX = _fixtures()


def shape(xml: str | bytes) -> tuple:
    """Tags (with namespaces), attribute names and child structure; text and ids ignored."""
    def walk(el: ET.Element) -> tuple:
        attrs = tuple(sorted(k for k in el.attrib if k != "{http://www.w3.org/XML/1998/namespace}lang"))
        return (el.tag, attrs, tuple(sorted((walk(c) for c in el), key=repr)))
    return walk(ET.fromstring(xml))


def body_shape(xml: str | bytes) -> tuple:
    root = ET.fromstring(xml)
    return shape(ET.tostring(root.find("s:Body", soap.NS)))


def header_tags(xml: str | bytes) -> set[str]:
    return {c.tag for c in ET.fromstring(xml).find("s:Header", soap.NS)}


def request(name: str) -> soap.Request:
    return soap.parse_request(FIX[name].replace("%s", "1").encode())


def test_parse_real_requests():
    create = request("open_shell_request")
    assert create.action == "Create" and create.operation_timeout == 20
    assert create.options == {"WINRS_NOPROFILE": "FALSE", "WINRS_CODEPAGE": "437"}
    cmd = request("run_cmd_with_args_request")
    assert cmd.action == "Command" and cmd.shell_id == "11111111-1111-1111-1111-111111111113"
    assert cmd.find("rsp:CommandLine/rsp:Command").text == "ipconfig"
    assert request("get_cmd_ps_output_request").action == "Receive"
    send = request("run_cmd_send_input")
    stream = send.find("rsp:Send/rsp:Stream")
    assert base64.b64decode(stream.text) == b'echo "hello world" && exit\r\n'
    assert request("cleanup_cmd_request").find("rsp:Signal/rsp:Code").text.endswith("signal/terminate")
    assert request("close_shell_request").action == "Delete"


@pytest.mark.parametrize("fixture,build", [
    ("open_shell_response", lambda r: soap.create_response(r, "http://windows-host:5985/wsman", "X")),
    ("close_shell_response", soap.delete_response),
    ("run_cmd_ps_response", lambda r: soap.command_response(r, "X")),
    ("cleanup_cmd_response", soap.signal_response),
    ("run_cmd_send_input_response", soap.send_response),
])
def test_simple_responses_match_windows(fixture, build):
    req = request("open_shell_request")
    ours = build(req)
    real = FIX[fixture].replace("%s", "1")
    assert body_shape(ours) == body_shape(real)
    assert header_tags(ours) == header_tags(real)


def test_receive_response_matches_windows():
    real = FIX["get_cmd_output_response"]
    req = request("get_cmd_ps_output_request")
    ours = soap.receive_response(req, "11111111-1111-1111-1111-111111111114",
                                 [("stdout", b"a"), ("stdout", b"b")], True, 0)
    assert body_shape(ours) == body_shape(real)
    running = soap.receive_response(req, "X", [("stdout", b"a")], False, None)
    state = ET.fromstring(running).find(".//rsp:CommandState", soap.NS)
    assert state.get("State").endswith("CommandState/Running") and state.find("rsp:ExitCode", soap.NS) is None


def test_pywinrm_reads_our_receive_like_windows():
    """pywinrm's own parsing gets the same values from ours as from the captured one."""
    from winrm.protocol import Protocol

    class Replay:
        def __init__(self, answer): self.answer = answer
        def send_message(self, message): return self.answer

    proto = Protocol("http://windows-host:5985/wsman", username="u", password="p")
    proto.transport = Replay(FIX["get_ps_output_response"].encode())
    real = proto.get_command_output_raw("S", "C")
    stderr_real = real[1]
    req = request("get_cmd_ps_output_request")
    proto.transport = Replay(soap.receive_response(req, "C", [("stderr", stderr_real)], True, 1))
    assert proto.get_command_output_raw("S", "C") == real


def test_fault_is_read_as_operation_timeout():
    from winrm.exceptions import WinRMOperationTimeoutError, WinRMTransportError
    from winrm.protocol import Protocol

    class Failing:
        def send_message(self, message):
            raise WinRMTransportError("http", 500, soap.fault("uuid:1", soap.TIMED_OUT, "w:TimedOut", "t", "n").decode())

    proto = Protocol("http://windows-host:5985/wsman", username="u", password="p")
    proto.transport = Failing()
    with pytest.raises(WinRMOperationTimeoutError):
        proto.get_command_output_raw("S", "C")
