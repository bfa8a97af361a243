"""WS-Management SOAP envelopes of the WinRS shell, as a Windows host writes them.

Used by the simulated node on every request: :func:`parse_request` reads what a
client (pywinrm) sent, the ``*_response`` builders write the answer in the shape and
namespaces Windows uses (checked in the tests against envelopes captured from real
hosts), and :func:`fault` writes SOAP faults with their WS-Man fault codes.
"""
from __future__ import annotations

import base64
import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "w": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "p": "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
    "x": "http://schemas.xmlsoap.org/ws/2004/09/transfer",
    "f": "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault",
}
SHELL_URI = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
ACTIONS = {
    "http://schemas.xmlsoap.org/ws/2004/09/transfer/Create": "Create",
    "http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete": "Delete",
    f"{SHELL_URI}/Command": "Command",
    f"{SHELL_URI}/Receive": "Receive",
    f"{SHELL_URI}/Send": "Send",
    f"{SHELL_URI}/Signal": "Signal",
}
ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
CMD_RESOURCE = f"{SHELL_URI}/cmd"
SIGNAL_TERMINATE = f"{SHELL_URI}/signal/terminate"
SIGNAL_CTRL_C = f"{SHELL_URI}/signal/ctrl_c"

# WS-Man fault codes Windows uses
TIMED_OUT = 2150858793
SHELL_NOT_FOUND = 2150858843
ACCESS_DENIED = 5
BAD_REQUEST = 2150858778


class SoapError(Exception):
    """A request the node rejects with a SOAP fault."""

    def __init__(self, code: int, subcode: str, reason: str, http_status: int = 500) -> None:
        super().__init__(reason)
        self.code = code
        self.subcode = subcode
        self.reason = reason
        self.http_status = http_status


@dataclass
class Request:
    action: str
    message_id: str
    shell_id: str | None = None
    operation_timeout: float = 60.0
    options: dict[str, str] = field(default_factory=dict)
    body: ET.Element | None = None
    max_envelope_size: int = 153600

    def find(self, path: str) -> ET.Element | None:
        return None if self.body is None else self.body.find(path, NS)


_DURATION = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$")


def parse_duration(text: str | None, default: float) -> float:
    match = _DURATION.match((text or "").strip())
    if not match or not any(match.groups()):
        return default
    hours, minutes, seconds = match.groups()
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds or 0)


def parse_request(data: bytes) -> Request:
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise SoapError(BAD_REQUEST, "w:SchemaValidationError", f"malformed XML: {exc}", 400) from None
    header = root.find("s:Header", NS)
    body = root.find("s:Body", NS)
    if header is None or body is None:
        raise SoapError(BAD_REQUEST, "w:SchemaValidationError", "envelope lacks Header or Body", 400)
    action_uri = (header.findtext("a:Action", "", NS) or "").strip()
    action = ACTIONS.get(action_uri)
    if action is None:
        raise SoapError(BAD_REQUEST, "w:ActionNotSupported", f"action not supported: {action_uri}")
    resource = (header.findtext("w:ResourceURI", "", NS) or "").strip()
    if resource != CMD_RESOURCE:
        raise SoapError(BAD_REQUEST, "w:DestinationUnreachable", f"unknown resource URI: {resource}")
    shell_id = None
    for selector in header.findall("w:SelectorSet/w:Selector", NS):
        if selector.get("Name") == "ShellId":
            shell_id = (selector.text or "").strip()
    options = {
        opt.get("Name", ""): (opt.text or "").strip() for opt in header.findall("w:OptionSet/w:Option", NS)
    }
    try:
        max_env = int(header.findtext("w:MaxEnvelopeSize", "153600", NS) or 153600)
    except ValueError:
        max_env = 153600
    return Request(
        action=action,
        message_id=(header.findtext("a:MessageID", "", NS) or "").strip(),
        shell_id=shell_id,
        operation_timeout=parse_duration(header.findtext("w:OperationTimeout", None, NS), 60.0),
        options=options,
        body=body,
        max_envelope_size=max_env,
    )


def _envelope(action: str, relates_to: str, body: str, extra_ns: str = "") -> bytes:
    text = (
        '<?xml version="1.0" ?>\n'
        f'<s:Envelope xml:lang="en-US" xmlns:a="{NS["a"]}" xmlns:p="{NS["p"]}"'
        f' xmlns:rsp="{NS["rsp"]}" xmlns:s="{NS["s"]}" xmlns:w="{NS["w"]}"{extra_ns}>'
        "<s:Header>"
        f"<a:Action>{escape(action)}</a:Action>"
        f"<a:MessageID>uuid:{str(uuid.uuid4()).upper()}</a:MessageID>"
        f"<a:To>{ANONYMOUS}</a:To>"
        f"<a:RelatesTo>{escape(relates_to)}</a:RelatesTo>"
        "</s:Header>"
        f"{body}"
        "</s:Envelope>"
    )
    return text.encode("utf-8")


def create_response(req: Request, endpoint: str, shell_id: str) -> bytes:
    body = (
        "<s:Body><x:ResourceCreated>"
        f"<a:Address>{escape(endpoint)}</a:Address>"
        "<a:ReferenceParameters>"
        f"<w:ResourceURI>{CMD_RESOURCE}</w:ResourceURI>"
        f'<w:SelectorSet><w:Selector Name="ShellId">{escape(shell_id)}</w:Selector></w:SelectorSet>'
        "</a:ReferenceParameters>"
        "</x:ResourceCreated></s:Body>"
    )
    return _envelope(
        "http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse", req.message_id, body,
        f' xmlns:x="{NS["x"]}"',
    )


def delete_response(req: Request) -> bytes:
    return _envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/DeleteResponse", req.message_id, "<s:Body/>")


def command_response(req: Request, command_id: str) -> bytes:
    body = f"<s:Body><rsp:CommandResponse><rsp:CommandId>{escape(command_id)}</rsp:CommandId></rsp:CommandResponse></s:Body>"
    return _envelope(f"{SHELL_URI}/CommandResponse", req.message_id, body, f' xmlns:x="{NS["x"]}"')


def send_response(req: Request) -> bytes:
    return _envelope(f"{SHELL_URI}/SendResponse", req.message_id, "<s:Body><rsp:SendResponse/></s:Body>",
                     f' xmlns:x="{NS["x"]}"')


def signal_response(req: Request) -> bytes:
    return _envelope(f"{SHELL_URI}/SignalResponse", req.message_id, "<s:Body><rsp:SignalResponse/></s:Body>",
                     f' xmlns:x="{NS["x"]}"')


def receive_response(
    req: Request,
    command_id: str,
    chunks: list[tuple[str, bytes]],
    ended: bool,
    exit_code: int | None,
) -> bytes:
    """``chunks`` are (stream name, bytes) in order; ``ended`` closes both streams."""
    cid = quoteattr(command_id)
    parts = []
    for name, data in chunks:
        if data:
            parts.append(
                f'<rsp:Stream Name="{name}" CommandId={cid}>{base64.b64encode(data).decode("ascii")}</rsp:Stream>'
            )
    if ended:
        parts.append(f'<rsp:Stream Name="stdout" CommandId={cid} End="true"/>')
        parts.append(f'<rsp:Stream Name="stderr" CommandId={cid} End="true"/>')
        parts.append(
            f'<rsp:CommandState CommandId={cid} State="{SHELL_URI}/CommandState/Done">'
            f"<rsp:ExitCode>{int(exit_code or 0)}</rsp:ExitCode></rsp:CommandState>"
        )
    else:
        parts.append(f'<rsp:CommandState CommandId={cid} State="{SHELL_URI}/CommandState/Running"/>')
    body = "<s:Body><rsp:ReceiveResponse>" + "".join(parts) + "</rsp:ReceiveResponse></s:Body>"
    return _envelope(f"{SHELL_URI}/ReceiveResponse", req.message_id, body)


def fault(relates_to: str, code: int, subcode: str, reason: str, machine: str) -> bytes:
    body = (
        "<s:Body><s:Fault>"
        f"<s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>{escape(subcode)}</s:Value></s:Subcode></s:Code>"
        f'<s:Reason><s:Text xml:lang="en-US">{escape(reason)} </s:Text></s:Reason>'
        f'<s:Detail><f:WSManFault xmlns:f="{NS["f"]}" Code="{int(code)}" Machine={quoteattr(machine)}>'
        f"<f:Message>{escape(reason)} </f:Message></f:WSManFault></s:Detail>"
        "</s:Fault></s:Body>"
    )
    return _envelope("http://schemas.dmtf.org/wbem/wsman/1/wsman/fault", relates_to or "uuid:", body)
