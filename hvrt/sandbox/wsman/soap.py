"""WS-Management SOAP envelopes of the WinRS shell, as a Windows host writes them.

Used by the simulated node on every request: :func:`parse_request` reads what a
client (pywinrm) sent, the ``*_response`` builders write the answer in the shape and
namespaces Windows uses (checked in the tests against envelopes captured from real
hosts), and :func:`fault` writes SOAP faults with their WS-Man fault codes;
:func:`shell_not_found` and its siblings are the faults Windows answers with
(docs/wsman-envelopes.md lists them with their sources).
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
TIMED_OUT = 2150858793  # ERROR_WSMAN_OPERATION_TIMEDOUT, subcode w:TimedOut
SHELL_NOT_FOUND = 2150858843  # unknown ShellId or CommandId, subcode w:InvalidSelectors
INVALID_SELECTORS = SHELL_NOT_FOUND
FILE_NOT_FOUND = 2  # ERROR_FILE_NOT_FOUND from CreateProcess, subcode w:InternalError
ACCESS_DENIED = 5
BAD_REQUEST = 2150858778
QUOTA_LIMIT = 2150859174
RESOURCE_NOT_FOUND = 2150858752  # ERROR_WSMAN_RESOURCE_NOT_FOUND, subcode a:DestinationUnreachable
INVALID_ACTION = 2150858753  # ERROR_WSMAN_INVALID_ACTIONURI, subcode a:ActionNotSupported
ADDRESSING_FAULT = "http://schemas.xmlsoap.org/ws/2004/08/addressing/fault"

_INVALID_SELECTORS = ("The WS-Management service cannot process the request because the request contained "
                      "invalid selectors for the resource.")


class SoapError(Exception):
    """A request the node rejects with a SOAP fault.

    ``reason`` is the ``s:Reason`` text, ``message`` the ``f:WSManFault/f:Message`` (the
    reason when None) and ``value`` the ``s:Code`` value (``s:Sender`` for a client error).
    """

    def __init__(self, code: int, subcode: str, reason: str, http_status: int = 500, *,
                 message: str | None = None, value: str = "s:Receiver", detail: str | None = None,
                 action: str | None = None) -> None:
        super().__init__(reason)
        self.code = code
        self.subcode = subcode
        self.reason = reason
        self.http_status = http_status
        self.message = message
        self.value = value
        self.detail = detail  # a w:FaultDetail URI, when Windows sends one
        self.action = action  # the fault's a:Action when it is not the WS-Man one


def shell_not_found(shell_id: str | None) -> SoapError:
    """What Windows answers for a ShellId it does not know (any action but Create)."""
    return SoapError(
        INVALID_SELECTORS, "w:InvalidSelectors", _INVALID_SELECTORS, value="s:Sender",
        message=f"The request for the Windows Remote Shell with ShellId {shell_id or ''} failed because the shell "
                "was not found on the server. Possible causes are: the specified ShellId is incorrect or the shell "
                "no longer exists on the server. Provide the correct ShellId or create a new shell and retry the "
                "operation.")


def command_not_found() -> SoapError:
    """What Windows answers for a CommandId it does not know (Send, Receive, Signal)."""
    return SoapError(
        INVALID_SELECTORS, "w:InvalidSelectors", _INVALID_SELECTORS, value="s:Sender",
        message="The Windows Remote Shell received a request to perform an operation on a command identifier that "
                "does not exist. Either the command has completed execution or the client specified an invalid "
                "command identifier.")


def file_not_found() -> SoapError:
    """What Windows answers for a Command whose executable does not exist (WINRS_SKIP_CMD_SHELL)."""
    return SoapError(FILE_NOT_FOUND, "w:InternalError", "The system cannot find the file specified.")


def timed_out() -> SoapError:
    """A Receive that saw no output at all within its OperationTimeout."""
    return SoapError(TIMED_OUT, "w:TimedOut", "The WS-Management service cannot complete the operation within "
                     "the time specified in OperationTimeout.")


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
        raise SoapError(INVALID_ACTION, "a:ActionNotSupported", "The WS-Management service cannot process the "
                        "request. The WS-Addressing action URI is invalid.", value="s:Sender", action=ADDRESSING_FAULT)
    resource = (header.findtext("w:ResourceURI", "", NS) or "").strip()
    if resource != CMD_RESOURCE:
        raise SoapError(RESOURCE_NOT_FOUND, "a:DestinationUnreachable", "The WS-Management service cannot process "
                        "the request. The service cannot find the resource identified by the resource URI and "
                        "selectors.", value="s:Sender", action=ADDRESSING_FAULT,
                        detail="http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/InvalidResourceURI")
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


# The namespaces Windows declares on each kind of response envelope (prefix order kept).
_ENVELOPE_NS = {
    "Create": ("a", "p", "rsp", "s", "w", "x"),
    "Delete": ("a", "p", "s", "w"),
    "Command": ("a", "p", "rsp", "s", "w", "x"),
    "Send": ("a", "p", "rsp", "s", "w", "x"),
    "Signal": ("a", "p", "rsp", "s", "w", "x"),
    "Receive": ("a", "p", "rsp", "s", "w"),
}
_FAULT_NS = (("s", NS["s"]), ("a", NS["a"]), ("x", NS["x"]), ("e", "http://schemas.xmlsoap.org/ws/2004/08/eventing"),
             ("n", "http://schemas.xmlsoap.org/ws/2004/09/enumeration"), ("w", NS["w"]), ("p", NS["p"]))
FAULT_ACTION = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"


def _guid() -> str:
    return str(uuid.uuid4()).upper()


def _envelope(action: str, relates_to: str, body: str, namespaces: tuple[tuple[str, str], ...]) -> bytes:
    """One response envelope: Action, MessageID, ActivityId, To, RelatesTo, then ``body``."""
    declared = "".join(f' xmlns:{prefix}="{uri}"' for prefix, uri in namespaces)
    text = (
        '<?xml version="1.0" ?>\n'
        f'<s:Envelope xml:lang="en-US"{declared}>'
        "<s:Header>"
        f"<a:Action>{escape(action)}</a:Action>"
        f"<a:MessageID>uuid:{_guid()}</a:MessageID>"
        f"<p:ActivityId>{_guid()}</p:ActivityId>"
        f"<a:To>{ANONYMOUS}</a:To>"
        f"<a:RelatesTo>{escape(relates_to)}</a:RelatesTo>"
        "</s:Header>"
        f"{body}"
        "</s:Envelope>"
    )
    return text.encode("utf-8")


def _response(kind: str, action: str, req: Request, body: str) -> bytes:
    return _envelope(action, req.message_id, body, tuple((prefix, NS[prefix]) for prefix in _ENVELOPE_NS[kind]))


def duration(seconds: float) -> str:
    """``xs:duration`` the way WinRM writes a timeout (``PT7200.000S``)."""
    return f"PT{seconds:.3f}S"


def create_response(req: Request, endpoint: str, shell_id: str, *, owner: str = "", client_ip: str = "") -> bytes:
    """The answer to Create: the shell's EPR (``x:ResourceCreated``) and its ``rsp:Shell`` properties."""
    asked = req.find("rsp:Shell")
    idle = parse_duration(asked.findtext("rsp:IdleTimeOut", None, NS) if asked is not None else None, 7200.0)
    inputs = (asked.findtext("rsp:InputStreams", "", NS) if asked is not None else "") or "stdin"
    outputs = (asked.findtext("rsp:OutputStreams", "", NS) if asked is not None else "") or "stdout stderr"
    sid = escape(shell_id)
    body = (
        "<s:Body><x:ResourceCreated>"
        f"<a:Address>{escape(endpoint)}</a:Address>"
        "<a:ReferenceParameters>"
        f"<w:ResourceURI>{CMD_RESOURCE}</w:ResourceURI>"
        f'<w:SelectorSet><w:Selector Name="ShellId">{sid}</w:Selector></w:SelectorSet>'
        "</a:ReferenceParameters>"
        "</x:ResourceCreated>"
        f'<rsp:Shell xmlns:rsp="{NS["rsp"]}">'
        f"<rsp:ShellId>{sid}</rsp:ShellId>"
        f"<rsp:ResourceUri>{CMD_RESOURCE}</rsp:ResourceUri>"
        f"<rsp:Owner>{escape(owner)}</rsp:Owner>"
        f"<rsp:ClientIP>{escape(client_ip)}</rsp:ClientIP>"
        f"<rsp:IdleTimeOut>{duration(idle)}</rsp:IdleTimeOut>"
        f"<rsp:InputStreams>{escape(' '.join(inputs.split()))}</rsp:InputStreams>"
        f"<rsp:OutputStreams>{escape(' '.join(outputs.split()))}</rsp:OutputStreams>"
        "<rsp:ShellRunTime>P0DT0H0M0S</rsp:ShellRunTime>"
        "<rsp:ShellInactivity>P0DT0H0M0S</rsp:ShellInactivity>"
        "</rsp:Shell></s:Body>"
    )
    return _response("Create", "http://schemas.xmlsoap.org/ws/2004/09/transfer/CreateResponse", req, body)


def delete_response(req: Request) -> bytes:
    return _response("Delete", "http://schemas.xmlsoap.org/ws/2004/09/transfer/DeleteResponse", req, "<s:Body/>")


def command_response(req: Request, command_id: str) -> bytes:
    body = f"<s:Body><rsp:CommandResponse><rsp:CommandId>{escape(command_id)}</rsp:CommandId></rsp:CommandResponse></s:Body>"
    return _response("Command", f"{SHELL_URI}/CommandResponse", req, body)


def send_response(req: Request) -> bytes:
    return _response("Send", f"{SHELL_URI}/SendResponse", req, "<s:Body><rsp:SendResponse/></s:Body>")


def signal_response(req: Request) -> bytes:
    return _response("Signal", f"{SHELL_URI}/SignalResponse", req, "<s:Body><rsp:SignalResponse/></s:Body>")


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
    return _response("Receive", f"{SHELL_URI}/ReceiveResponse", req, body)


def fault(relates_to: str, code: int, subcode: str, reason: str, machine: str, *,
          message: str | None = None, value: str = "s:Receiver", detail: str | None = None,
          action: str | None = None) -> bytes:
    """A WS-Man fault as Windows writes it; ``message`` (the WSManFault detail) defaults to ``reason``.

    Windows ends both texts with one space; it is added here when missing.
    """
    def spaced(text: str) -> str:
        return text if text.endswith(" ") else text + " "

    body = (
        "<s:Body><s:Fault>"
        f"<s:Code><s:Value>{escape(value)}</s:Value>"
        f"<s:Subcode><s:Value>{escape(subcode)}</s:Value></s:Subcode></s:Code>"
        f'<s:Reason><s:Text xml:lang="en-US">{escape(spaced(reason))}</s:Text></s:Reason>'
        "<s:Detail>" + (f"<w:FaultDetail>{escape(detail)}</w:FaultDetail>" if detail else "") +
        f'<f:WSManFault xmlns:f="{NS["f"]}" Code="{int(code)}" Machine={quoteattr(machine)}>'
        f"<f:Message>{escape(spaced(message if message is not None else reason))}</f:Message></f:WSManFault>"
        "</s:Detail></s:Fault></s:Body>"
    )
    return _envelope(action or FAULT_ACTION, relates_to or "uuid:", body, _FAULT_NS)
