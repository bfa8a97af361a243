"""The node's envelopes against envelopes captured from real Windows hosts (pywinrm's fixtures)."""
from __future__ import annotations

import base64
import importlib.util
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from hvrt.sandbox.wsman import soap

_spec = importlib.util.spec_from_file_location("hvrt_tests_wsman_recordings",
                                               Path(__file__).parents[3] / "wsman_recordings.py")
rec = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(rec)  # type: ignore[union-attr]
FIX = rec.recorded()
body_shape, header_tags, declared = rec.body_shape, rec.header_tags, rec.declared
SHELL_PROPERTIES = ["ShellId", "ResourceUri", "Owner", "ClientIP", "IdleTimeOut", "InputStreams", "OutputStreams",
                    "ShellRunTime", "ShellInactivity"]


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


def assert_headers_like_windows(ours: bytes, real: str) -> None:
    """Windows' header blocks in Windows' order, with p:ActivityId after the MessageID."""
    tags = header_tags(ours)
    assert [t for t in tags if t != rec.ACTIVITY_ID] == header_tags(real)
    assert tags.index(rec.ACTIVITY_ID) == tags.index(f"{{{soap.NS['a']}}}MessageID") + 1


@pytest.mark.parametrize("fixture,build", [
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
    assert_headers_like_windows(ours, real)
    assert declared(ours) == declared(real)


def test_create_response_carries_the_shell_like_windows():
    req = request("open_shell_request")
    ours = soap.create_response(req, "http://windows-host:5985/wsman", "S-1", owner="Administrator",
                                client_ip="127.0.0.1")
    real = FIX["open_shell_response"]
    assert_headers_like_windows(ours, real)
    assert declared(ours) == declared(real)
    created, shell = list(rec.body(ours))
    assert rec.shape(created) == rec.shape(list(rec.body(real))[0])  # the EPR exactly as recorded
    assert shell.tag == f"{{{soap.NS['rsp']}}}Shell"
    assert [c.tag.split("}")[1] for c in shell] == SHELL_PROPERTIES
    assert all(c.tag.startswith(f"{{{soap.NS['rsp']}}}") for c in shell)
    values = {c.tag.split("}")[1]: c.text for c in shell}
    assert values["ShellId"] == "S-1" and values["Owner"] == "Administrator" and values["ClientIP"] == "127.0.0.1"
    assert values["IdleTimeOut"] == "PT7200.000S" and values["ShellRunTime"] == "P0DT0H0M0S"
    assert values["InputStreams"] == "stdin" and values["OutputStreams"] == "stdout stderr"
    assert created.find("a:ReferenceParameters/w:SelectorSet/w:Selector", soap.NS).text == "S-1"


def test_shell_idle_timeout_follows_the_request():
    raw = FIX["open_shell_request"].replace(
        "<rsp:InputStreams>", "<rsp:IdleTimeOut>PT600S</rsp:IdleTimeOut><rsp:InputStreams>")
    ours = soap.create_response(soap.parse_request(raw.encode()), "http://h/wsman", "S")
    assert ET.fromstring(ours).find(".//rsp:Shell/rsp:IdleTimeOut", soap.NS).text == "PT600.000S"


def test_receive_response_matches_windows():
    real = FIX["get_cmd_output_response"]
    req = request("get_cmd_ps_output_request")
    ours = soap.receive_response(req, "11111111-1111-1111-1111-111111111114",
                                 [("stdout", b"a"), ("stdout", b"b")], True, 0)
    assert body_shape(ours) == body_shape(real)
    assert_headers_like_windows(ours, real)
    assert declared(ours) == declared(real)
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


@pytest.mark.parametrize("error", [soap.timed_out(), soap.shell_not_found("S-1"), soap.command_not_found(),
                                   soap.file_not_found()])
def test_faults_are_built_like_windows(error):
    real = rec.recorded_faults()["test_wsman_fault_known_fault"]  # a w:TimedOut from a Windows Server 2022
    ours = soap.fault("uuid:1", error.code, error.subcode, error.reason, "hv1", message=error.message,
                      value=error.value)
    assert body_shape(ours) == body_shape(real)
    assert declared(ours) == declared(real)
    tags = header_tags(ours)
    assert [t for t in tags if t != rec.ACTIVITY_ID] == header_tags(real)
    root = ET.fromstring(ours)
    assert root.findtext("s:Header/a:Action", None, soap.NS) == "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"
    assert root.findtext("s:Header/a:RelatesTo", None, soap.NS) == "uuid:1"
    text = root.find(".//s:Reason/s:Text", soap.NS)
    assert text.text.endswith(". ") and text.get("{http://www.w3.org/XML/1998/namespace}lang") == "en-US"


@pytest.mark.parametrize("error,code,value,subcode,reason,message", [
    (soap.shell_not_found("S-1"), 2150858843, "s:Sender", "w:InvalidSelectors", "contained invalid selectors",
     "ShellId S-1 failed because the shell was not found on the server"),
    (soap.command_not_found(), 2150858843, "s:Sender", "w:InvalidSelectors", "contained invalid selectors",
     "operation on a command identifier that does not exist"),
    (soap.file_not_found(), 2, "s:Receiver", "w:InternalError", "The system cannot find the file specified.",
     "The system cannot find the file specified."),
    (soap.timed_out(), 2150858793, "s:Receiver", "w:TimedOut", "within the time specified in OperationTimeout",
     "within the time specified in OperationTimeout"),
])
def test_pywinrm_reads_our_faults_as_windows_ones(error, code, value, subcode, reason, message):
    from winrm.exceptions import WinRMOperationTimeoutError, WinRMTransportError, WSManFaultError
    from winrm.protocol import Protocol

    body = soap.fault("uuid:1", error.code, error.subcode, error.reason, "hv1", message=error.message,
                      value=error.value).decode()

    class Failing:
        def send_message(self, message):
            raise WinRMTransportError("http", 500, body)

    proto = Protocol("http://windows-host:5985/wsman", username="u", password="p")
    proto.transport = Failing()
    if subcode == "w:TimedOut":
        with pytest.raises(WinRMOperationTimeoutError):
            proto.get_command_output_raw("S", "C")
        return
    with pytest.raises(WSManFaultError) as info:
        proto.run_command("S", "nothing.exe")
    assert info.value.wsman_fault_code == code and info.value.code == 500
    assert info.value.fault_code == value and info.value.fault_subcode == subcode
    assert reason in info.value.reason
    assert message in ET.fromstring(body).findtext(".//f:Message", "", soap.NS)


@pytest.mark.parametrize("edit,code,subcode", [
    (lambda t: t.replace("windows/shell/cmd</w:ResourceURI>", "windows/shell/nothing</w:ResourceURI>"),
     soap.RESOURCE_NOT_FOUND, "a:DestinationUnreachable"),
    (lambda t: t.replace("transfer/Create</a:Action>", "transfer/Frobnicate</a:Action>"),
     soap.INVALID_ACTION, "a:ActionNotSupported"),
])
def test_addressing_faults_like_windows(edit, code, subcode):
    with pytest.raises(soap.SoapError) as info:
        soap.parse_request(edit(FIX["open_shell_request"]).encode())
    error = info.value
    assert (error.code, error.subcode, error.value) == (code, subcode, "s:Sender")
    ours = ET.fromstring(soap.fault("uuid:1", error.code, error.subcode, error.reason, "hv1", message=error.message,
                                    value=error.value, detail=error.detail, action=error.action))
    assert ours.findtext("s:Header/a:Action", None, soap.NS) == "http://schemas.xmlsoap.org/ws/2004/08/addressing/fault"
    detail = [c.tag.split("}")[1] for c in ours.find(".//s:Detail", soap.NS)]
    assert detail == (["FaultDetail", "WSManFault"] if code == soap.RESOURCE_NOT_FOUND else ["WSManFault"])
