"""hvrt's WinRM transport against envelopes recorded from real Windows hosts, and against a hostile body.

A small loopback HTTP server answers with pywinrm's recorded Windows responses (read
from the installed pywinrm at test time): Create, Command, Send, Signal and Delete
verbatim but for RelatesTo, which names the request's MessageID as Windows does
(pywinrm checks it on Signal and Delete); a Receive is the recorded one with its stdout streams carrying the host
loop's answers (and Running instead of Done while the loop runs); faults are the
recorded Windows w:TimedOut and the simulated node's Windows-coded InvalidSelectors.
A second server sends bodies larger than the transport accepts.
"""
from __future__ import annotations

import base64
import importlib.util
import json
import re
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from hvrt_winrm.options import WinRMOptions
from hvrt_winrm.transport import RESPONSE_PREFIX, WinRMTransport

from hvrt.config.model import Secret
from hvrt.errors import TransportError
from hvrt.sandbox.wsman import soap

_spec = importlib.util.spec_from_file_location("hvrt_tests_wsman_recordings",
                                               Path(__file__).parents[2] / "wsman_recordings.py")
rec = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(rec)  # type: ignore[union-attr]
FIX = rec.recorded()
ACTION = re.compile(r"<a:Action[^>]*>([^<]+)</a:Action>")
MESSAGE_ID = re.compile(r"<a:MessageID[^>]*>([^<]+)</a:MessageID>")
RELATES_TO = re.compile(r"(<a:RelatesTo>)[^<]*(</a:RelatesTo>)")


def receive_envelope(data: bytes, *, done: bool = False) -> str:
    """The recorded Windows Receive answer with ``data`` as its stdout."""
    text = FIX["run_cmd_send_input_get_output_response"]
    pieces = iter([base64.b64encode(data).decode(), ""])
    text = re.sub(r'(<rsp:Stream Name="stdout" CommandId="[^"]+">)[^<]*(</rsp:Stream>)',
                  lambda m: m.group(1) + next(pieces, "") + m.group(2), text)
    if not done:
        text = re.sub(r"<rsp:Stream [^>]*End=\"true\"/>\s*", "", text)
        text = text.replace("CommandState/Done", "CommandState/Running")
        text = re.sub(r"<rsp:ExitCode>\d+</rsp:ExitCode>", "", text)
    return text


class RecordedWindows:
    """Answers like the recorded Windows host; the host loop's calls are answered from ``values``."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.values = values
        self.actions: list[str] = []
        self.pending = bytearray()
        self.answers: list[bytes] = []
        self.receive_faults: list[tuple[int, str]] = []
        self.oversized = 0
        self.lock = threading.Lock()

    def answer(self, body: bytes) -> tuple[int, str]:
        """The recorded answer, related (as Windows does) to the request's MessageID."""
        status, text = self._recorded(body)
        asked = MESSAGE_ID.search(body.decode())
        return status, RELATES_TO.sub(lambda m: m.group(1) + (asked.group(1) if asked else "") + m.group(2), text)

    def _recorded(self, body: bytes) -> tuple[int, str]:
        found = ACTION.search(body.decode())
        action = found.group(1).rsplit("/", 1)[-1] if found else ""
        with self.lock:
            self.actions.append(action)
            if action == "Create":
                return 200, FIX["open_shell_response"]
            if action == "Command":
                return 200, FIX["run_cmd_req_input_response"]
            if action == "Send":
                for text in re.findall(r"<rsp:Stream[^>]*>([^<]*)</rsp:Stream>", body.decode()):
                    self.pending += base64.b64decode(text)
                self._calls()
                return 200, FIX["run_cmd_send_input_response"]
            if action == "Receive":
                if self.oversized:
                    self.oversized -= 1
                    return 200, receive_envelope(b"x" * (2 * 1024 * 1024))
                if self.receive_faults:
                    return self.receive_faults.pop(0)
                data = b"".join(self.answers)
                self.answers.clear()
                return 200, receive_envelope(b"WARNING: not an answer\r\n" + data)
            if action == "Signal":
                return 200, FIX["stdin_cmd_cleanup_response"]
            if action == "Delete":
                return 200, FIX["close_shell_response"]
        return 500, ""

    def _calls(self) -> None:
        while b"\n" in self.pending:
            line, _, rest = bytes(self.pending).partition(b"\n")
            self.pending = bytearray(rest)
            call = json.loads(base64.b64decode(line.strip()))
            value = {"loaded": True} if call["fn"] == "__module" else self.values[call["fn"]]
            answer = json.dumps({"id": call["id"], "ok": True, "value": value}).encode()
            self.answers.append(RESPONSE_PREFIX.encode() + base64.b64encode(answer) + b"\r\n")


def serve(respond: Callable[[BaseHTTPRequestHandler, bytes], None]) -> tuple[ThreadingHTTPServer, int]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802 - http.server naming
            body = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
            if not self.headers.get("Authorization", "").startswith("Basic "):
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="WSMAN"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            respond(self, body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return server, server.server_address[1]


@pytest.fixture
def windows() -> Iterator[tuple[RecordedWindows, WinRMTransport]]:
    host = RecordedWindows({"Get-HvrtBootId": {"boot_time": 1.5, "reboot_count": 2}})

    def respond(handler: BaseHTTPRequestHandler, body: bytes) -> None:
        status, text = host.answer(body)
        data = text.encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/soap+xml;charset=UTF-8")
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    server, port = serve(respond)
    transport = WinRMTransport("hv-rec", "127.0.0.1", user="Administrator", password=Secret("pw", "env:X"),
                               options=WinRMOptions(scheme="http", port=port, auth="basic", backoff=0.05,
                                                    operation_timeout=2, read_timeout=5))
    yield host, transport
    transport.close()
    server.shutdown()
    server.server_close()


def test_a_call_through_recorded_windows_answers(windows):
    host, transport = windows
    assert transport.invoke("Get-HvrtBootId") == {"boot_time": 1.5, "reboot_count": 2}
    assert transport.invoke("Get-HvrtBootId")["reboot_count"] == 2  # the same shell, two requests
    transport.close()
    assert host.actions == ["Create", "Command", "Send", "Receive", "Send", "Receive", "Send", "Receive",
                            "Signal", "Delete"]


def test_the_recorded_windows_timeout_fault_means_no_output_yet(windows):
    host, transport = windows
    timed_out = rec.recorded_faults()["test_wsman_fault_known_fault"]
    host.receive_faults = [(500, timed_out), (500, timed_out)]
    assert transport.invoke("Get-HvrtBootId")["boot_time"] == 1.5
    assert host.actions.count("Create") == 1  # the module check took two more Receives, the call one
    assert host.actions.count("Receive") == 4


def test_invalid_selectors_from_windows_reopen_the_shell(windows):
    host, transport = windows
    error = soap.shell_not_found("11111111-1111-1111-1111-111111111113")
    lost = soap.fault("uuid:1", error.code, error.subcode, error.reason, "windows-host", message=error.message,
                      value=error.value).decode()
    host.receive_faults = [(500, lost)]
    assert transport.invoke("Get-HvrtBootId")["reboot_count"] == 2
    assert host.actions.count("Create") == 2  # shell forgotten, a new one opened


def test_an_oversized_receive_fails_the_call_and_the_next_call_starts_afresh(windows):
    host, transport = windows
    transport.max_body = 1024 * 1024
    assert transport.invoke("Get-HvrtBootId")["reboot_count"] == 2
    host.oversized = 1
    with pytest.raises(TransportError) as info:
        transport.invoke("Get-HvrtBootId")
    assert "the node sent too much" in str(info.value)
    assert host.actions.count("Create") == 1
    assert transport.invoke("Get-HvrtBootId")["boot_time"] == 1.5
    assert host.actions.count("Create") == 2  # a new session and shell


@pytest.mark.parametrize("kind", ["announced", "chunked", "gzip"])
def test_a_body_over_the_limit_fails_the_call(kind):
    def respond(handler: BaseHTTPRequestHandler, body: bytes) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/soap+xml;charset=UTF-8")
        piece = b"<" * 65536
        try:
            if kind == "gzip":  # 16 MiB of body in a few KiB on the wire: the decoded size counts
                import gzip

                bomb = gzip.compress(b"\0" * (16 * 1024 * 1024), compresslevel=9)
                handler.send_header("Content-Encoding", "gzip")
                handler.send_header("Content-Length", str(len(bomb)))
                handler.end_headers()
                handler.wfile.write(bomb)
                return
            if kind == "announced":
                handler.send_header("Content-Length", str(10**12))
                handler.end_headers()
                handler.wfile.write(piece)
                return
            handler.send_header("Transfer-Encoding", "chunked")
            handler.end_headers()
            while True:  # endless, until the client hangs up
                handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        except OSError:
            handler.close_connection = True

    server, port = serve(respond)
    transport = WinRMTransport("hv-hostile", "127.0.0.1", user="Administrator", password=Secret("pw", "env:X"),
                               options=WinRMOptions(scheme="http", port=port, auth="basic", backoff=0.05,
                                                    operation_timeout=2, read_timeout=5))
    transport.max_body = 1024 * 1024
    try:
        with pytest.raises(TransportError) as info:
            transport.invoke("Get-HvrtBootId", timeout=30)
        assert "the node sent too much" in str(info.value) and "1048576" in str(info.value)
    finally:
        transport.close()
        server.shutdown()
        server.server_close()
