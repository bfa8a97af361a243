"""The simulated Hyper-V node: a threaded WS-Management endpoint on a loopback address.

This is a simulator, not Windows. Real pywinrm talks to it over HTTP or HTTPS with
Basic or NTLM authentication; it answers the WinRS shell actions (Create, Command,
Send, Receive, Signal, Delete) with the envelopes and fault codes Windows sends
(docs/wsman-envelopes.md) and runs what :mod:`hvrt.sandbox.wsman.powershell`
understands against the host model in ``state_dir``. Use it as a context manager::

    with SimulatedNode("hv1", "127.0.0.11", 0, tmp / "hv1", users={"Administrator": pw}) as node:
        node.endpoint, node.ca_bundle, node.faults.drop(), node.stats["Receive"]
"""
from __future__ import annotations

import collections
import logging
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from hvrt.sandbox.wsman import auth, soap
from hvrt.sandbox.wsman.auth import write_user_file
from hvrt.sandbox.wsman.certs import ServerCert, ensure_server_cert
from hvrt.sandbox.wsman.cmdline import PROGRAMS, program_name, split_argv
from hvrt.sandbox.wsman.faults import Faults
from hvrt.sandbox.wsman.host import HostModel
from hvrt.sandbox.wsman.powershell import command_program
from hvrt.sandbox.wsman.shell import Process, Shell

log = logging.getLogger("hvrt.sandbox.wsman")
MAX_SHELLS_PER_USER = 30
RECEIVE_WAIT_CAP = 60.0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], node: SimulatedNode) -> None:
        self.node = node
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Microsoft-HTTPAPI/2.0"
    sys_version = ""
    server: _Server

    def setup(self) -> None:
        node = self.server.node
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.request.settimeout(120)
        if node.ssl_context is not None:
            self.request = node.ssl_context.wrap_socket(self.request, server_side=True)
        node._track(self.request)
        super().setup()
        self.ntlm: auth.NtlmSession | None = None
        self.user: str | None = None

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.node._untrack(self.request)

    def log_message(self, fmt: str, *args: Any) -> None:
        log.debug("%s %s", self.server.node.name, fmt % args)

    # ------------------------------------------------------------------ HTTP
    def _send(self, status: int, body: bytes = b"", content_type: str = "application/soap+xml;charset=UTF-8",
              headers: list[tuple[str, str]] = ()) -> None:  # type: ignore[assignment]
        self.send_response(status)
        for key, value in headers:
            self.send_header(key, value)
        if body:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _challenge(self, token: bytes | None = None, scheme: str = "Negotiate") -> None:
        import base64

        node = self.server.node
        headers = []
        if token is not None:
            headers.append(("WWW-Authenticate", f"{scheme} {base64.b64encode(token).decode()}"))
        else:
            if "ntlm" in node.auth:
                headers.append(("WWW-Authenticate", "Negotiate"))
            if "basic" in node.auth:
                headers.append(("WWW-Authenticate", 'Basic realm="WSMAN"'))
        self._send(401, headers=headers)

    def _authenticate(self) -> bool:
        """True when the request may go on; otherwise a 401 was sent."""
        import base64

        node = self.server.node
        header = self.headers.get("Authorization", "")
        scheme = header.split(None, 1)[0].lower() if header else ""
        if scheme == "basic" and "basic" in node.auth:
            user = auth.check_basic(header, node.users)
            if user is None:
                self._challenge()
                return False
            self.user = user
            return True
        if scheme in ("negotiate", "ntlm") and "ntlm" in node.auth:
            try:
                token = base64.b64decode(header.split(None, 1)[1])
            except (IndexError, ValueError):
                self._challenge()
                return False
            if token[:8] == b"NTLMSSP\x00" and token[8:12] == b"\x01\x00\x00\x00":
                assert node.ntlm_user_file is not None
                self.ntlm = auth.NtlmSession(node.cert.channel_binding_hash() if node.cert else None,
                                             node.ntlm_user_file)
            if self.ntlm is None:
                self._challenge()
                return False
            try:
                out = self.ntlm.step(token)
            except Exception as exc:  # any NTLM failure is an authentication failure
                log.debug("%s: NTLM rejected: %s", node.name, type(exc).__name__)
                self.ntlm = None
                self._challenge()
                return False
            if not self.ntlm.complete:
                self._challenge(out or b"", header.split(None, 1)[0])
                return False
            if (self.ntlm.user or "").lower() not in {u.lower() for u in node.users}:
                self.ntlm = None
                self._challenge()
                return False
            self.user = self.ntlm.user
            return True
        if self.user is not None:  # NTLM authenticates the connection
            return True
        self._challenge()
        return False

    def do_POST(self) -> None:  # noqa: N802 - http.server naming
        node = self.server.node
        node.stats["http"] += 1
        length = int(self.headers.get("Content-Length", "0") or 0)
        body = self.rfile.read(length) if length else b""
        if self.path.split("?")[0].lower() != "/wsman":
            self._send(404)
            return
        if not self._authenticate():
            return
        encrypted = "multipart/encrypted" in self.headers.get("Content-Type", "")
        if encrypted:
            if self.ntlm is None:
                self._send(400)
                return
            body = self.ntlm.unwrap_body(body)
        if not body:
            self._send(200)
            return
        status, answer = node.handle(body, self)
        if answer is None:  # dropped connection
            self.close_connection = True
            try:
                self.request.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        if encrypted and self.ntlm is not None and answer:
            sealed, content_type = self.ntlm.wrap_body(answer)
            self._send(status, sealed, content_type)
        else:
            self._send(status, answer)


class SimulatedNode:
    """One simulated Hyper-V node (see the module docstring)."""

    def __init__(
        self,
        name: str,
        address: str = "127.0.0.11",
        port: int = 5986,
        state_dir: Path | str = ".",
        *,
        https: bool = True,
        users: dict[str, str] | None = None,
        auth: tuple[str, ...] = ("basic", "ntlm"),
        os_release: str = "2012r2",
        cert_dir: Path | str | None = None,
    ) -> None:
        if not address.startswith("127."):
            raise ValueError(f"a simulated node listens on loopback only, not {address!r}")
        self.name = name
        self.address = address
        self.port = port
        self.state_dir = Path(state_dir)
        self.https = https
        self.users = dict(users or {})
        self.auth = tuple(a.lower() for a in auth)
        self.model = HostModel(self.state_dir, name, os_release)
        self.faults = Faults(self)
        self.stats: collections.Counter[str] = collections.Counter()
        self.shells: dict[str, Shell] = {}
        self.user = "administrator"
        self.cert: ServerCert | None = None
        self.ssl_context: ssl.SSLContext | None = None
        if https:
            self.cert = ensure_server_cert(Path(cert_dir or self.state_dir / "tls"), name, address)
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(self.cert.cert, self.cert.key)
            self.ssl_context = ctx
        self.ntlm_user_file: Path | None = None
        if "ntlm" in self.auth:
            folder = self.state_dir / "auth"
            folder.mkdir(parents=True, exist_ok=True)
            self.ntlm_user_file = write_user_file(self.users, folder)
        self._lock = threading.RLock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._conns: set[Any] = set()
        self._down_until = 0.0

    # ---------------------------------------------------------------- lifecycle
    @property
    def scheme(self) -> str:
        return "https" if self.https else "http"

    @property
    def endpoint(self) -> str:
        return f"{self.scheme}://{self.address}:{self.port}/wsman"

    @property
    def ca_bundle(self) -> str | None:
        return str(self.cert.ca_bundle) if self.cert else None

    def start(self) -> SimulatedNode:
        with self._lock:
            if self._server is not None:
                return self
            self._server = _Server((self.address, self.port), self)
            self.port = self._server.server_address[1]
            self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                            name=f"wsman-{self.name}", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        with self._lock:
            server, self._server = self._server, None
            thread, self._thread = self._thread, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        for conn in list(self._conns):
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        with self._lock:
            for shell in self.shells.values():
                shell.close()
            self.shells.clear()

    def __enter__(self) -> SimulatedNode:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _track(self, conn: Any) -> None:
        with self._lock:
            self._conns.add(conn)

    def _untrack(self, conn: Any) -> None:
        with self._lock:
            self._conns.discard(conn)

    # ------------------------------------------------------------------ reboots
    def request_reboot(self, delay: float = 0.2, down_for: float = 1.0) -> None:
        timer = threading.Timer(delay, self.reboot, kwargs={"down_for": down_for})
        timer.daemon = True
        timer.start()

    def reboot(self, down_for: float = 1.0) -> None:
        """Shells vanish, the endpoint is down for ``down_for`` seconds, then answers again."""
        self.stop()
        with self.model.lock:
            state = self.model.state()
            state["reboot_count"] += 1
            state["boot_time"] = time.time() + down_for
            self.model.save_state(state)
        timer = threading.Timer(down_for, self._come_back)
        timer.daemon = True
        timer.start()

    def _come_back(self) -> None:
        for _ in range(50):
            try:
                self.start()
                return
            except OSError:
                time.sleep(0.1)

    def wait_service(self, proc: Process, name: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            status = self.model.services().get(name, "NotFound")
            if status == "Running" or time.monotonic() >= deadline:
                return status
            proc.sleep(0.05)

    # ----------------------------------------------------------------- requests
    def handle(self, body: bytes, handler: _Handler) -> tuple[int, bytes | None]:
        try:
            req = soap.parse_request(body)
        except soap.SoapError as exc:
            return exc.http_status, self._fault("", exc)
        self.stats["wsman"] += 1
        self.stats[req.action] += 1
        fault = self.faults.take(req.action)
        if fault is not None:
            if fault.kind == "drop":
                return 0, None
            if fault.kind == "http_500":
                return 500, b""
            if fault.kind == "stall":
                time.sleep(fault.seconds)
        try:
            return 200, self._dispatch(req, handler.user or "", handler.client_address[0])
        except soap.SoapError as exc:
            return exc.http_status, self._fault(req.message_id, exc)

    def _fault(self, relates_to: str, exc: soap.SoapError) -> bytes:
        return soap.fault(relates_to, exc.code, exc.subcode, exc.reason, self.name, message=exc.message,
                          value=exc.value, detail=exc.detail, action=exc.action)

    def _shell(self, req: soap.Request) -> Shell:
        with self._lock:
            shell = self.shells.get(req.shell_id or "")
        if shell is None:
            raise soap.shell_not_found(req.shell_id)
        return shell

    def _process(self, shell: Shell, command_id: str | None) -> Process:
        proc = shell.processes.get(command_id or "")
        if proc is None:
            raise soap.command_not_found()
        return proc

    def _dispatch(self, req: soap.Request, user: str, client_ip: str = "") -> bytes:
        if req.action == "Create":
            with self._lock:
                if sum(1 for s in self.shells.values() if s.owner == user) >= MAX_SHELLS_PER_USER:
                    raise soap.SoapError(
                        soap.QUOTA_LIMIT, "w:QuotaLimit",
                        f"The WS-Management service cannot process the request. This user is allowed a maximum "
                        f"number of {MAX_SHELLS_PER_USER} concurrent shells, which has been exceeded.")
                shell = Shell(user)
                self.shells[shell.id] = shell
            return soap.create_response(req, self.endpoint, shell.id, owner=user, client_ip=client_ip)
        shell = self._shell(req)
        if req.action == "Delete":
            with self._lock:
                self.shells.pop(shell.id, None)
            shell.close()
            return soap.delete_response(req)
        if req.action == "Command":
            found = req.find("rsp:CommandLine/rsp:Command")
            command = (found.text or "") if found is not None else ""
            args = [a.text or "" for a in (req.body.findall("rsp:CommandLine/rsp:Arguments", soap.NS)
                                          if req.body is not None else [])]
            line = " ".join([command.strip(), *args]).strip()
            if req.options.get("WINRS_SKIP_CMD_SHELL", "").upper() == "TRUE":
                # no cmd.exe in between: CreateProcess itself fails for an executable that is not there
                argv = split_argv(line)
                if program_name(argv[0] if argv else "") not in PROGRAMS:
                    raise soap.file_not_found()
            proc = Process(line, command_program(self, line)).start()
            shell.processes[proc.id] = proc
            return soap.command_response(req, proc.id)
        if req.action == "Send":
            import base64

            for stream in (req.body.findall("rsp:Send/rsp:Stream", soap.NS) if req.body is not None else []):
                proc = self._process(shell, stream.get("CommandId"))
                proc.feed(base64.b64decode(stream.text or ""), (stream.get("End") or "").lower() == "true")
            return soap.send_response(req)
        if req.action == "Receive":
            desired = req.find("rsp:Receive/rsp:DesiredStream")
            proc = self._process(shell, desired.get("CommandId") if desired is not None else None)
            limit = max(4096, (req.max_envelope_size - 4096) * 3 // 4)
            got = proc.take_output(limit, min(req.operation_timeout, RECEIVE_WAIT_CAP))
            if got is None:  # nothing at all within the OperationTimeout
                raise soap.timed_out()
            chunks, done, code = got
            return soap.receive_response(req, proc.id, chunks, done, code)
        if req.action == "Signal":
            sig = req.find("rsp:Signal")
            proc = self._process(shell, sig.get("CommandId") if sig is not None else None)
            code = (sig.findtext("rsp:Code", "", soap.NS) if sig is not None else "") or soap.SIGNAL_TERMINATE
            proc.signal(code.strip())
            if code.strip().endswith("terminate"):
                shell.processes.pop(proc.id, None)
            return soap.signal_response(req)
        raise soap.SoapError(soap.INVALID_ACTION, "a:ActionNotSupported", "The WS-Management service cannot "
                             "process the request. The WS-Addressing action URI is invalid.", value="s:Sender",
                             action=soap.ADDRESSING_FAULT)
