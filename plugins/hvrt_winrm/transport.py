"""The WinRM transport: one WinRS shell and one long-lived PowerShell per node.

Opening the transport creates a shell, starts ``powershell.exe -EncodedCommand
<HostLoop.ps1>`` in it and makes sure hvrt's module is on the node (sent once; later
shells only check its SHA-256). Each call is then one request line sent through the
command's stdin and one answer line read from its stdout: about two WS-Man requests
and no process start per call. Parameters travel as base64 JSON data, never as
script text. Transient faults (connection reset, HTTP 5xx, lost shell) reset the
shell and retry with backoff; every call has a deadline and a node that stays
unreachable becomes :class:`hvrt.errors.TransportError` naming the node and the step.

Nothing the node sends is unbounded: one HTTP body is at most
:attr:`WinRMTransport.max_body` bytes (a session adapter reads it, bounded, before
pywinrm sees it), one answer line is at most
:attr:`WinRMTransport.max_response` bytes (an endless line fails the call and resets
the shell), a command's output is kept within the transport's
:class:`~hvrt.transport.output.OutputLimits`, and downloads follow
:mod:`hvrt_winrm.files`.
"""
from __future__ import annotations

import base64
import binascii
import itertools
import json
import logging
import threading
import time
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import requests
from winrm.exceptions import (
    InvalidCredentialsError,
    WinRMError,
    WinRMOperationTimeoutError,
    WinRMTransportError,
    WSManFaultError,
)
from winrm.protocol import Protocol

from hvrt.config.model import Host, Secret
from hvrt.errors import InfrastructureError, RemoteTimeout, TransportError
from hvrt.redact import Redactor
from hvrt.transport.base import STREAMS, Command, OutputCapture, Transport
from hvrt.transport.download import DownloadSummary
from hvrt_winrm import files
from hvrt_winrm.clixml import first_error_line
from hvrt_winrm.httpbound import BodyTooLarge, BoundedAdapter
from hvrt_winrm.options import WinRMOptions
from hvrt_winrm.quoting import argv_to_command_line

log = logging.getLogger("hvrt.winrm")
RESPONSE_PREFIX = "#HVRT# "
SEND_PIECE = 96 * 1024
SHELL_NOT_FOUND = 2150858843
_STDERR_SHOWN = 4096
_FEED = 1024 * 1024


def resource_text(name: str) -> str:
    return resources.files("hvrt_winrm").joinpath(name).read_text(encoding="utf-8")


def encode_command(script: str) -> str:
    """``powershell -EncodedCommand`` form of a script: base64 of UTF-16LE."""
    return base64.b64encode(script.encode("utf-16-le")).decode("ascii")


def host_loop_script() -> str:
    lines = resource_text("HostLoop.ps1").splitlines()
    kept = [lines[0]] + [line for line in lines[1:] if not line.lstrip().startswith("#")]
    return "\n".join(kept) + "\n"


class RemoteCallError(InfrastructureError):
    """A module function on the node failed (its error record is in ``detail``)."""

    def __init__(self, message: str, *, host: str, step: str, category: str = "") -> None:
        super().__init__(message, host=host, step=step)
        self.category = category


class _Lost(Exception):
    """The shell or the connection is gone; reset and retry."""


class _Oversized(Exception):
    """A line of the host loop's stdout passed the transport's ``max_response``."""


class _Lines:
    """Splits the host loop's stdout into lines, refusing one longer than ``limit`` bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.partial = bytearray()

    def feed(self, data: bytes) -> list[bytes]:
        lines: list[bytes] = []
        start = 0
        while (end := data.find(b"\n", start)) >= 0:
            if len(self.partial) + end - start > self.limit:
                raise _Oversized(f"a line of {len(self.partial) + end - start} bytes")
            lines.append(bytes(self.partial) + data[start:end])
            self.partial.clear()
            start = end + 1
        if len(self.partial) + len(data) - start > self.limit:
            raise _Oversized(f"more than {self.limit} bytes without a line end")
        self.partial += data[start:]
        return lines


class WinRMTransport(Transport):
    """One node over WinRM (see the module docstring).

    ``max_response`` bounds one answer line of the host loop (a command's whole output
    travels in one answer, so it also bounds what ``run`` can return); past it the call
    fails with :class:`~hvrt.errors.TransportError` and the shell is reset.
    """

    max_response: int = 32 * 1024 * 1024
    max_body: int = 4 * 1024 * 1024
    """Bound of one HTTP response body. A WS-Man envelope stays within the
    ``MaxEnvelopeSize`` pywinrm asks for (150 KiB); sealing adds a few bytes."""

    def __init__(
        self,
        host_name: str,
        address: str,
        *,
        user: str | None,
        password: Secret | None,
        options: WinRMOptions | None = None,
        redactor: Redactor | None = None,
    ) -> None:
        self.host_name = host_name
        self.address = address
        self.user = user
        self._password = password
        self.options = options or WinRMOptions()
        self.default_timeout = self.options.default_timeout
        self.redactor = redactor or Redactor()
        if password is not None:
            self.redactor.add(password.reveal())
        self._lock = threading.RLock()
        self._protocol: Protocol | None = None
        self._shell: str | None = None
        self._command: str | None = None
        self._lines = _Lines(self.max_response)
        self._ids = itertools.count(1)
        self.calls = 0

    @classmethod
    def for_host(cls, host: Host, redactor: Redactor | None = None) -> WinRMTransport:
        return cls(host.name, host.address, user=host.user, password=host.password,
                   options=WinRMOptions.from_host(host), redactor=redactor)

    @property
    def endpoint(self) -> str:
        address = f"[{self.address}]" if ":" in self.address else self.address
        return f"{self.options.scheme}://{address}:{self.options.effective_port}/wsman"

    # ------------------------------------------------------------------ session
    def _make_protocol(self) -> Protocol:
        opts = self.options
        ca: str = opts.ca_bundle if opts.ca_bundle else "legacy_requests"
        return Protocol(
            self.endpoint,
            transport=opts.auth,  # type: ignore[arg-type]
            username=self.user,
            password=self._password.reveal() if self._password is not None else None,
            ca_trust_path=ca,
            cert_pem=opts.cert_pem,
            cert_key_pem=opts.cert_key_pem,
            server_cert_validation=opts.cert_validation,  # type: ignore[arg-type]
            read_timeout_sec=opts.read_timeout,
            operation_timeout_sec=opts.operation_timeout,
            message_encryption=opts.message_encryption,  # type: ignore[arg-type]
            proxy=None,
        )

    def _bounded(self, protocol: Protocol) -> None:
        """Mount :class:`BoundedAdapter` on pywinrm's session (again after it was closed).

        pywinrm builds its session lazily and anew after ``close_session``; building it
        here first lets the adapter see every request. Only the empty request that sets
        up message encryption over HTTP is sent while the session is built, before
        the mount.
        """
        session = protocol.transport.build_session()
        if not isinstance(session.get_adapter(self.endpoint), BoundedAdapter):
            adapter = BoundedAdapter(self.max_body)
            session.mount("https://", adapter)
            session.mount("http://", adapter)

    def _set_wait(self, protocol: Protocol, deadline: float) -> None:
        """Bound the next request by the call's deadline (server wait and HTTP read)."""
        left = deadline - time.monotonic()
        operation = int(max(1, min(self.options.operation_timeout, left)))
        protocol.operation_timeout_sec = operation
        protocol.transport.read_timeout_sec = int(max(operation + 2, min(self.options.read_timeout, left + 2)))

    def _open(self, deadline: float) -> None:
        if self._shell is not None:
            return
        if self._protocol is None:
            self._protocol = self._make_protocol()
        protocol = self._protocol
        self._set_wait(protocol, deadline)
        self._bounded(protocol)
        self._shell = protocol.open_shell(noprofile=True)
        self._command = protocol.run_command(
            self._shell, "powershell.exe",
            ["-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-EncodedCommand",
             encode_command(host_loop_script())],
            skip_cmd_shell=True,
        )
        self._lines = _Lines(self.max_response)
        module = resource_text("HvrtHyperV.psm1").encode("utf-8")
        import hashlib

        digest = hashlib.sha256(module).hexdigest().upper()
        loaded = self._exchange([("__module", {"sha256": digest})], deadline)[0]
        if not loaded.get("loaded"):
            content = base64.b64encode(module).decode("ascii")
            loaded = self._exchange([("__module", {"sha256": digest, "content": content})], deadline)[0]
        if not loaded.get("loaded"):
            raise TransportError("hvrt's PowerShell module could not be loaded", host=self.host_name,
                                 step="open shell")

    def _reset(self, *, close_session: bool = False) -> None:
        """Forget the shell (ending it on the node when still reachable)."""
        protocol, shell, command = self._protocol, self._shell, self._command
        self._shell = self._command = None
        self._lines = _Lines(self.max_response)
        if protocol is None or shell is None:
            return
        protocol.operation_timeout_sec = 2
        protocol.transport.read_timeout_sec = 4
        try:
            if command is not None:
                protocol.cleanup_command(shell, command)
            protocol.close_shell(shell, close_session=close_session)
        except Exception:  # the node may be gone: nothing more to clean
            pass
        finally:
            if close_session:
                protocol.transport.close_session()

    # ---------------------------------------------------------- request/response
    def _exchange(self, calls: list[tuple[str, dict[str, Any]]], deadline: float) -> list[Any]:
        """Send requests through the host loop's stdin and read their answers, in order."""
        assert self._protocol is not None and self._shell is not None and self._command is not None
        protocol, shell, command = self._protocol, self._shell, self._command
        ids = []
        for name, params in calls:
            request_id = next(self._ids)
            ids.append(request_id)
            line = base64.b64encode(json.dumps({"id": request_id, "fn": name, "params": params}).encode())
            line += b"\r\n"
            for start in range(0, len(line), SEND_PIECE):
                self._set_wait(protocol, deadline)
                protocol.send_command_input(shell, command, line[start:start + SEND_PIECE])
        answers: dict[int, Any] = {}
        errors = ""  # the start of stderr: why the process died, when it does
        while len(answers) < len(ids):
            if time.monotonic() >= deadline:
                raise RemoteTimeout("no answer within the call's timeout", host=self.host_name,
                                    step=calls[0][0])
            self._set_wait(protocol, deadline)
            try:
                stdout, stderr, code, done = protocol.get_command_output_raw(shell, command)
            except WinRMOperationTimeoutError:
                continue
            if stderr:
                shown = self.redactor.literals(stderr[:_STDERR_SHOWN].decode("utf-8", "replace"))
                log.debug("%s: stderr: %s", self.host_name, shown)
                errors = (errors + shown)[:_STDERR_SHOWN]
            try:
                lines = self._lines.feed(stdout)
            except _Oversized as exc:
                self._reset()
                raise TransportError(f"an answer of the node passed {self.max_response} bytes ({exc}); "
                                     "the shell was reset", host=self.host_name, step=calls[0][0]) from None
            for raw in lines:
                line = raw.strip().decode("ascii", "replace")
                if not line.startswith(RESPONSE_PREFIX):
                    if line:
                        log.debug("%s: %s", self.host_name, self.redactor.literals(line[:_STDERR_SHOWN]))
                    continue
                answer = self._decode_answer(line[len(RESPONSE_PREFIX):], calls[0][0])
                if answer.get("id") in ids:
                    answers[answer["id"]] = answer
            if done:
                first = first_error_line(errors)
                said = f": {first[:300]}" if first else ""
                raise _Lost(f"the node's PowerShell process exited ({code}){said}")
        results = []
        for (name, _), request_id in zip(calls, ids, strict=True):
            answer = answers[request_id]
            if not answer.get("ok"):
                error = answer.get("error") or {}
                raise RemoteCallError(self.redactor.literals(str(error.get("message", "failed"))),
                                      host=self.host_name, step=name, category=str(error.get("category", "")))
            results.append(answer.get("value"))
        return results

    def _decode_answer(self, text: str, step: str) -> dict[str, Any]:
        try:
            answer = json.loads(base64.b64decode(text, validate=True))
        except (ValueError, binascii.Error):
            answer = None
        if not isinstance(answer, dict):
            self._reset()
            raise TransportError("the node sent an answer that is not base64 JSON; the shell was reset",
                                 host=self.host_name, step=step)
        return answer

    def invoke_many(self, calls: list[tuple[str, dict[str, Any]]], *, timeout: float | None = None) -> list[Any]:
        """Call several module functions in one round (pipelined); results in order."""
        deadline = time.monotonic() + (timeout or self.default_timeout)
        step = calls[0][0] if calls else "invoke"
        attempt = 0
        with self._lock:
            while True:
                attempt += 1
                try:
                    self._open(deadline)
                    self.calls += len(calls)
                    return self._exchange(calls, deadline)
                except RemoteTimeout:
                    self._reset()
                    raise
                except (RemoteCallError, TransportError):
                    raise
                except Exception as exc:
                    problem = self._classify(exc, step)
                    self._reset(close_session=True)
                    pause = self.options.backoff * (2 ** (attempt - 1))
                    if attempt > self.options.retries or time.monotonic() + pause >= deadline:
                        if time.monotonic() + pause >= deadline:
                            raise RemoteTimeout(f"node did not answer in time ({problem})", host=self.host_name,
                                                step=step) from None
                        raise TransportError(f"unreachable after {attempt} attempts: {problem}",
                                             host=self.host_name, step=step) from None
                    log.info("%s: %s failed (%s); retrying in %.1fs", self.host_name, step, problem, pause)
                    time.sleep(pause)

    def invoke(self, function: str, params: Mapping[str, Any] | None = None, *, timeout: float | None = None) -> Any:
        """Call one function of hvrt's module with ``params`` as data; returns its JSON value."""
        return self.invoke_many([(function, dict(params or {}))], timeout=timeout)[0]

    def _classify(self, exc: Exception, step: str) -> str:
        """A short reason for a transient fault; raise at once for permanent ones."""
        if isinstance(exc, BodyTooLarge):  # the same request would only bring it again
            self._reset(close_session=True)
            if self._protocol is not None:  # also when no shell was open yet
                self._protocol.transport.close_session()
            raise TransportError(f"the node sent too much: {exc}; the session was closed", host=self.host_name,
                                 step=step) from None
        if isinstance(exc, InvalidCredentialsError):
            raise TransportError(f"credentials of user {self.user!r} were rejected", host=self.host_name,
                                 step=step) from None
        if isinstance(exc, requests.exceptions.SSLError):
            raise TransportError(f"TLS failure talking to {self.endpoint}: {type(exc.__context__ or exc).__name__}"
                                 " (check ca_bundle / cert_validation)", host=self.host_name, step=step) from None
        if isinstance(exc, WSManFaultError):
            if exc.wsman_fault_code == SHELL_NOT_FOUND:
                return "shell no longer exists on the node"
            if exc.code >= 500:
                return f"WS-Man fault {exc.wsman_fault_code}: {exc.reason.strip()}"
            raise TransportError(f"WS-Man fault: {exc.reason.strip()}", host=self.host_name, step=step) from None
        if isinstance(exc, (WinRMError, WinRMTransportError)):
            code = getattr(exc, "code", 0) or 0
            if code >= 500 or code == 0:
                return f"HTTP {code or 'error'}"
            raise TransportError(f"WinRM error: {exc}", host=self.host_name, step=step) from None
        if isinstance(exc, _Lost):  # its message says why (the process's first error line)
            return str(exc)
        if isinstance(exc, (requests.exceptions.ConnectionError, requests.exceptions.Timeout,
                            requests.exceptions.ChunkedEncodingError, ConnectionError)):
            return f"{type(exc).__name__}"
        raise exc

    # ------------------------------------------------------------ Transport API
    def _execute(self, command: Command, capture: OutputCapture) -> int:
        argv = command.argv
        if command.stdin is not None:
            raise TransportError("stdin is not supported by the winrm transport; upload a file instead",
                                 host=self.host_name, step=argv[0])
        params: dict[str, Any] = {"file": argv[0], "arguments": argv_to_command_line(argv[1:])}
        if command.cwd:
            params["cwd"] = command.cwd
        if command.env:
            params["env"] = dict(command.env)
        value = self.invoke("Invoke-HvrtProcess", params, timeout=command.timeout)
        try:
            exit_code = int(value["exit_code"])
            texts = [(stream, value.get(stream) or "") for stream in STREAMS]
            if not all(isinstance(text, str) for _, text in texts):
                raise TypeError("output is not text")
        except (TypeError, KeyError, ValueError, AttributeError) as exc:
            raise TransportError(f"malformed answer to Invoke-HvrtProcess: {exc}", host=self.host_name,
                                 step=argv[0]) from None
        for stream, text in texts:
            for start in range(0, len(text), _FEED):
                capture.feed(stream, text[start:start + _FEED].encode("utf-8", "replace"))
        return exit_code

    def put(self, local: Path, remote: str, *, timeout: float | None = None) -> None:
        files.upload(self, Path(local), remote, timeout=timeout or self.default_timeout)

    def get(self, remote: str, local: Path, *, timeout: float | None = None) -> DownloadSummary:
        return files.download(self, remote, Path(local), timeout=timeout or self.default_timeout)

    def reboot(self, *, timeout: float | None = None) -> None:
        """Restart the node and wait (bounded) until WinRM answers from the new boot."""
        limit = timeout or self.options.reboot_timeout
        deadline = time.monotonic() + limit
        before = self.invoke("Get-HvrtBootId", timeout=min(60, limit))
        self.invoke("Restart-HvrtNode", timeout=min(60, limit))
        with self._lock:
            self._reset(close_session=True)
        while time.monotonic() < deadline:
            time.sleep(0.3)
            try:
                with self._lock:
                    self._open(min(deadline, time.monotonic() + 15))
                    after = self._exchange([("Get-HvrtBootId", {})], min(deadline, time.monotonic() + 15))[0]
            except Exception as exc:
                log.debug("%s: waiting for reboot: %s", self.host_name, type(exc).__name__)
                with self._lock:
                    self._reset(close_session=True)
                continue
            if after != before:
                return
        raise RemoteTimeout(f"node did not come back within {limit:.0f}s after a reboot", host=self.host_name,
                            step="reboot")

    def close(self) -> None:
        with self._lock:
            self._reset(close_session=True)
            self._protocol = None
