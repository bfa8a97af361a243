"""The running simulated node answers each WinRS request the way the recorded Windows hosts did.

Real pywinrm talks to the node; every raw answer is compared with pywinrm's recorded
Windows response of the same action: element structure in order, namespaces, header
blocks, declared prefixes; faults by code, subcode and ``s:Code`` value.
"""
from __future__ import annotations

import base64
import importlib.util
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from winrm.exceptions import WinRMOperationTimeoutError, WinRMTransportError, WSManFaultError
from winrm.protocol import Protocol

from hvrt.sandbox.wsman import SimulatedNode, soap

_spec = importlib.util.spec_from_file_location("hvrt_tests_wsman_recordings",
                                               Path(__file__).parents[3] / "wsman_recordings.py")
rec = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(rec)  # type: ignore[union-attr]
FIX = rec.recorded()
RSP = soap.NS["rsp"]


class Recorder:
    """pywinrm with every raw answer of the node kept (faults too), in order."""

    def __init__(self, node: SimulatedNode, password: str, op: int = 5) -> None:
        self.proto = Protocol(node.endpoint, transport="ntlm", username="Administrator", password=password,
                              ca_trust_path=node.ca_bundle or "legacy_requests", read_timeout_sec=op + 5,
                              operation_timeout_sec=op, proxy=None)
        self.answers: list[bytes] = []
        send = self.proto.transport.send_message

        def keep(message):
            try:
                answer = send(message)
            except WinRMTransportError as exc:
                self.answers.append(exc.response_text.encode())
                raise
            self.answers.append(answer)
            return answer

        self.proto.transport.send_message = keep

    @property
    def last(self) -> bytes:
        return self.answers[-1]


def _streams(xml: str | bytes, data: bool, ends: bool) -> bytes:
    """A ReceiveResponse with its data streams (``data``) or end-of-stream markers (``ends``) dropped."""
    root = ET.fromstring(xml)
    for answer in root.iter(f"{{{RSP}}}ReceiveResponse"):
        for stream in answer.findall("rsp:Stream", soap.NS):
            if (stream.get("End") is None and not data) or (stream.get("End") is not None and not ends):
                answer.remove(stream)
    return ET.tostring(root)


def assert_like(ours: bytes, real: str, *, data: bool = True, ends: bool = True) -> None:
    """Same header blocks (plus p:ActivityId after the MessageID), prefixes and body structure."""
    tags = rec.header_tags(ours)
    assert [t for t in tags if t != rec.ACTIVITY_ID] == rec.header_tags(real)
    assert tags.index(rec.ACTIVITY_ID) == 2
    assert rec.declared(ours) == rec.declared(real)
    assert rec.body_shape(_streams(ours, data, ends)) == rec.body_shape(_streams(real, data, ends))


def test_a_whole_conversation_matches_windows(https_node, node_password):
    r = Recorder(https_node, node_password)
    shell = r.proto.open_shell()
    create = r.last
    real_create = FIX["open_shell_response"]
    assert rec.header_tags(create)[:2] == rec.header_tags(real_create)[:2]
    assert rec.declared(create) == rec.declared(real_create)
    created, props = list(rec.body(create))
    assert rec.shape(created) == rec.shape(list(rec.body(real_create))[0])
    assert props.tag == f"{{{RSP}}}Shell"
    assert [c.tag for c in props] == [f"{{{RSP}}}{name}" for name in (
        "ShellId", "ResourceUri", "Owner", "ClientIP", "IdleTimeOut", "InputStreams", "OutputStreams",
        "ShellRunTime", "ShellInactivity")]
    assert props.findtext("rsp:ShellId", None, soap.NS) == shell
    assert props.findtext("rsp:Owner", None, soap.NS).lower() == "administrator"
    assert props.findtext("rsp:ClientIP", "", soap.NS).startswith("127.")

    cid = r.proto.run_command(shell, "powershell.exe", ["-NoProfile", "-Command", "-"], skip_cmd_shell=True)
    assert_like(r.last, FIX["run_cmd_req_input_response"])
    r.proto.send_command_input(shell, cid, b"Write-Output 'hello'\r\n")
    assert_like(r.last, FIX["run_cmd_send_input_response"])
    out = r.proto.get_command_output_raw(shell, cid)
    assert out[0] == b"hello\r\n" and not out[3]
    running = ET.fromstring(r.last).find(".//rsp:CommandState", soap.NS)
    assert running.get("State").endswith("/CommandState/Running")
    r.proto.send_command_input(shell, cid, b"exit 3\r\n", end=True)
    while not out[3]:
        out = r.proto.get_command_output_raw(shell, cid)
    assert out[2] == 3
    assert_like(r.answers[3], FIX["run_cmd_send_input_get_output_response"].replace(  # data, still running
        "CommandState/Done", "CommandState/Running").replace("<rsp:ExitCode>0</rsp:ExitCode>", ""), ends=False)
    assert_like(r.last, FIX["run_cmd_send_input_get_output_response"], data=False)  # exit 3, no more output
    r.proto.cleanup_command(shell, cid)
    assert_like(r.last, FIX["stdin_cmd_cleanup_response"])
    r.proto.close_shell(shell)
    assert_like(r.last, FIX["close_shell_response"])
    assert len({ET.fromstring(a).findtext("s:Header/p:ActivityId", None, soap.NS) for a in r.answers}) == len(
        r.answers)


def fault_of(r: Recorder) -> ET.Element:
    real = rec.recorded_faults()["test_wsman_fault_known_fault"]
    ours = r.last
    assert rec.body_shape(ours) == rec.body_shape(real) and rec.declared(ours) == rec.declared(real)
    assert [t for t in rec.header_tags(ours) if t != rec.ACTIVITY_ID] == rec.header_tags(real)
    return ET.fromstring(ours)


def test_unknown_shell_and_command_ids_fault_like_windows(https_node, node_password):
    r = Recorder(https_node, node_password)
    shell = r.proto.open_shell()
    cid = r.proto.run_command(shell, "hostname")
    r.proto.get_command_output(shell, cid)
    r.proto.cleanup_command(shell, cid)
    for call in (lambda: r.proto.get_command_output_raw(shell, cid),
                 lambda: r.proto.send_command_input(shell, cid, b"x"),
                 lambda: r.proto.cleanup_command(shell, "87E77BEB-6761-4C48-9D70-A00266B8459A")):
        with pytest.raises(WSManFaultError) as info:
            call()
        assert (info.value.code, info.value.wsman_fault_code) == (500, 2150858843)
        assert (info.value.fault_code, info.value.fault_subcode) == ("s:Sender", "w:InvalidSelectors")
        assert "command identifier that does not exist" in fault_of(r).findtext(".//f:Message", "", soap.NS)
    r.proto.close_shell(shell)
    for call in (lambda: r.proto.run_command(shell, "hostname"), lambda: r.proto.close_shell(shell)):
        with pytest.raises(WSManFaultError) as info:
            call()
        assert info.value.wsman_fault_code == 2150858843 and info.value.fault_subcode == "w:InvalidSelectors"
        message = fault_of(r).findtext(".//f:Message", "", soap.NS)
        assert f"ShellId {shell} failed because the shell was not found" in message


def test_unknown_executable_faults_without_cmd_and_fails_in_cmd(https_node, node_password):
    r = Recorder(https_node, node_password)
    shell = r.proto.open_shell()
    with pytest.raises(WSManFaultError) as info:
        r.proto.run_command(shell, r"C:\Tools\nothing-here.exe", ["/x"], skip_cmd_shell=True)
    assert (info.value.wsman_fault_code, info.value.fault_code, info.value.fault_subcode) == (
        2, "s:Receiver", "w:InternalError")
    assert "The system cannot find the file specified." in info.value.reason
    fault_of(r)
    cid = r.proto.run_command(shell, "nothing-here.exe")  # through cmd.exe: a process that exits 1
    out, err, code = r.proto.get_command_output(shell, cid)
    assert code == 1 and b"is not recognized as an internal or external command" in err
    r.proto.close_shell(shell)


def test_receive_answers_with_what_was_produced_before_timing_out(https_node, node_password):
    r = Recorder(https_node, node_password, op=1)
    shell = r.proto.open_shell()
    script = "Write-Output 'early'\nStart-Sleep -Seconds 30\n"
    cid = r.proto.run_command(shell, "powershell.exe", [
        "-NoProfile", "-EncodedCommand", base64.b64encode(script.encode("utf-16-le")).decode()], skip_cmd_shell=True)
    out, err, code, done = r.proto.get_command_output_raw(shell, cid)
    assert (out, done) == (b"early\r\n", False)
    with pytest.raises(WinRMOperationTimeoutError):  # nothing more within the OperationTimeout
        r.proto.get_command_output_raw(shell, cid)
    error = fault_of(r)
    assert error.find(".//f:WSManFault", soap.NS).get("Code") == str(soap.TIMED_OUT)
    r.proto.cleanup_command(shell, cid)
    r.proto.close_shell(shell)


def test_an_unknown_resource_uri_faults_like_windows(https_node, node_password):
    r = Recorder(https_node, node_password)
    header = r.proto.build_wsman_header("http://schemas.xmlsoap.org/ws/2004/09/transfer/Create",
                                        f"{soap.SHELL_URI}/nothing")
    import xmltodict

    message = xmltodict.unparse({"env:Envelope": {**header, "env:Body": {"rsp:Shell": {
        "rsp:InputStreams": "stdin", "rsp:OutputStreams": "stdout stderr"}}}})
    with pytest.raises(WSManFaultError) as info:
        r.proto.send_message(message)
    assert (info.value.wsman_fault_code, info.value.fault_code, info.value.fault_subcode) == (
        2150858752, "s:Sender", "a:DestinationUnreachable")
    root = ET.fromstring(r.last)
    assert root.findtext("s:Header/a:Action", None, soap.NS).endswith("/addressing/fault")
    assert root.findtext(".//w:FaultDetail", "", soap.NS).endswith("/faultDetail/InvalidResourceURI")
