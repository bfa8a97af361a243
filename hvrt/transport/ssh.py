"""The ``ssh`` transport: how hvrt reaches a DevStack controller (paramiko).

Opened by the core transport plugin for every lab host with ``transport: ssh``.
The host key is checked against a known_hosts file (``~/.ssh/known_hosts`` unless
``ssh: {known_hosts: PATH}``); an unknown key is refused unless the host sets
``ssh: {trust_on_first_use: true}``, which records it; a changed key is always
refused. Authentication uses the host's key file, an SSH agent, or its password
(a :class:`~hvrt.config.model.Secret`, revealed only in the call to paramiko).

Commands are argument vectors: every element, every ``env`` value and ``cwd`` are
quoted with :func:`shlex.quote` before the remote POSIX shell sees them. The remote
shell prints its process id first and then ``exec``s the command, so a command past
its timeout (or running when the transport closes) is killed with its whole process
group. Output reaches ``on_output`` line by line while the command runs, within the
transport's :class:`~hvrt.transport.output.OutputLimits`. A dropped connection fails
the command that was running on it; the next call reconnects.

``get`` walks SFTP by the rules of :mod:`hvrt.transport.download`: folders are
listed a bounded number of entries at a time (a listing that goes on past
:attr:`~hvrt.transport.download.DownloadLimits.entries` stops the download), entries
are judged by ``lstat`` so links are skipped, and each file is read with a bounded
number of requests in flight.
"""
from __future__ import annotations

import contextlib
import functools
import logging
import os
import posixpath
import re
import shlex
import stat
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import paramiko
from paramiko.sftp import CMD_CLOSE, CMD_HANDLE, CMD_NAME, CMD_OPENDIR, CMD_READDIR

from hvrt.errors import RemoteTimeout, TransportError
from hvrt.redact import RedactingFilter, Redactor
from hvrt.transport import download
from hvrt.transport.base import Command, OutputCapture, OutputLimits, Transport

if TYPE_CHECKING:
    from hvrt.config.model import Host, Secret

log = logging.getLogger(__name__)

PID_MARKER = "HVRT-REMOTE-PID "
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_POLL = 0.02
_KILL_TIMEOUT = 10.0
_RECV = 65536
_EOF_GRACE = 1.0
"""Seconds output may still arrive after the exit status."""
_PREFETCH = 64
"""SFTP read requests in flight per file (32 KiB each)."""
_PID_LINE_MAX = len(PID_MARKER) + 24


def build_command(argv: Sequence[str], env: Mapping[str, str] | None = None, cwd: str | None = None) -> str:
    """The remote shell text for ``argv``: each value quoted, the pid printed, then ``exec``."""
    if not argv:
        raise TransportError("empty command")
    parts = [f"printf '{PID_MARKER}%s\\n' \"$$\""]
    if cwd:
        parts.append(f"cd -- {shlex.quote(cwd)}")
    assignments = []
    for name, value in (env or {}).items():
        if not _ENV_NAME.match(name):
            raise TransportError(f"invalid environment variable name {name!r}")
        assignments.append(f"{name}={shlex.quote(str(value))}")
    if assignments:
        parts.append(" ".join(["export", *assignments]))
    parts.append(" ".join(["exec", *(shlex.quote(str(a)) for a in argv)]))
    return " && ".join(parts)


class _TrustOrRefuse(paramiko.MissingHostKeyPolicy):
    """Unknown host key: record it when trusting on first use, else refuse."""

    def __init__(self, transport: SSHTransport) -> None:
        self.transport = transport

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        owner = self.transport
        if not owner.trust_on_first_use:
            raise TransportError(
                f"unknown host key {key.get_name()} {key.get_fingerprint().hex()} for {hostname} "
                f"(not in {owner.known_hosts}; set ssh: {{trust_on_first_use: true}} to record it)",
                host=owner.host_name,
            )
        client.get_host_keys().add(hostname, key.get_name(), key)
        owner.known_hosts.parent.mkdir(parents=True, exist_ok=True)
        with owner.known_hosts.open("a", encoding="utf-8") as fh:
            fh.write(f"{hostname} {key.get_name()} {key.get_base64()}\n")
        log.warning("%s: trusted new host key %s of %s, recorded in %s",
                    owner.host_name, key.get_name(), hostname, owner.known_hosts)


class SSHTransport(Transport):
    """An SSH connection to one host; see the module docstring for the guarantees."""

    def __init__(
        self,
        host_name: str,
        address: str,
        *,
        port: int = 22,
        user: str | None = None,
        key_file: str | None = None,
        password: Secret | None = None,
        known_hosts: Path | str | None = None,
        trust_on_first_use: bool = False,
        connect_timeout: float = 15.0,
        keepalive: int = 15,
        allow_agent: bool = True,
        default_timeout: float = 600.0,
        redactor: Redactor | None = None,
        output_limits: OutputLimits | None = None,
        download_limits: download.DownloadLimits | None = None,
    ) -> None:
        self.host_name = host_name
        self.output_limits = output_limits or self.output_limits
        self.download_limits = download_limits or self.download_limits
        self.address = address
        self.port = port
        self.user = user or _local_user()
        self.key_file = os.path.expanduser(key_file) if key_file else None
        self._password = password
        self.known_hosts = Path(os.path.expanduser(str(known_hosts or "~/.ssh/known_hosts")))
        self.trust_on_first_use = trust_on_first_use
        self.connect_timeout = connect_timeout
        self.keepalive = keepalive
        self.allow_agent = allow_agent
        self.default_timeout = default_timeout
        self.redactor = redactor or Redactor()
        self.log_channel = f"paramiko.hvrt.{host_name}"
        logging.getLogger(self.log_channel).addFilter(RedactingFilter(self.redactor))
        self._client: paramiko.SSHClient | None = None
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        """Notified when a running command's pid becomes known or the command ends."""
        self._running: dict[int, int | None] = {}
        self._closed = False
        self.connections = 0
        """How many times a connection was opened (reconnects included)."""

    @classmethod
    def for_host(cls, host: Host, *, redactor: Redactor | None = None) -> SSHTransport:
        """Build from a lab host: its ``ssh:`` block, checked against the core's
        declaration (:data:`hvrt.config.registry.SSH`) with the defaults filled in."""
        from hvrt.config.registry import SSH
        from hvrt.config.schema import read_block

        where = "lab.nodes" if host.role == "node" else "lab.controllers"
        opts = read_block(SSH, host.options.get("ssh"), path=f"{where}.{host.name}.ssh",
                          source=host.source, transport=host.transport)
        return cls(
            host.name, host.address,
            port=int(opts["port"] or host.port or 22),
            user=host.user, key_file=host.key_file, password=host.password,
            known_hosts=opts["known_hosts"], trust_on_first_use=bool(opts["trust_on_first_use"]),
            connect_timeout=float(opts["connect_timeout"]), keepalive=int(opts["keepalive"]),
            allow_agent=bool(opts["allow_agent"]), default_timeout=float(opts["timeout"]),
            redactor=redactor,
        )

    # ------------------------------------------------------------------ connection

    def _connect(self) -> paramiko.SSHClient:
        with self._lock:
            if self._closed:
                raise TransportError("transport is closed", host=self.host_name)
            client = self._client
            if client is not None:
                active = client.get_transport()
                if active is not None and active.is_active():
                    return client
                client.close()
                self._client = None
                log.info("%s: connection lost, reconnecting", self.host_name)
            self._client = self._open()
            self.connections += 1
            return self._client

    def _open(self) -> paramiko.SSHClient:
        client = paramiko.SSHClient()
        client.set_log_channel(self.log_channel)
        if self.known_hosts.exists():
            try:
                client.get_host_keys().load(str(self.known_hosts))
            except (OSError, paramiko.SSHException) as exc:
                raise TransportError(f"cannot read {self.known_hosts}: {exc}", host=self.host_name) from None
        client.set_missing_host_key_policy(_TrustOrRefuse(self))
        where = f"{self.user}@{self.address}:{self.port}"
        try:
            client.connect(
                self.address, port=self.port, username=self.user, key_filename=self.key_file,
                password=self._password.reveal() if self._password is not None else None,
                timeout=self.connect_timeout, banner_timeout=self.connect_timeout,
                auth_timeout=self.connect_timeout, allow_agent=self.allow_agent,
                look_for_keys=self.key_file is None and self._password is None,
            )
        except TransportError:
            client.close()
            raise
        except paramiko.BadHostKeyException as exc:
            client.close()
            raise TransportError(
                f"host key of {where} does not match {self.known_hosts} "
                f"(got {exc.key.get_name()} {exc.key.get_fingerprint().hex()}); refusing to connect",
                host=self.host_name,
            ) from None
        except paramiko.AuthenticationException as exc:
            client.close()
            raise TransportError(f"authentication to {where} failed: {exc}", host=self.host_name) from None
        except (OSError, EOFError, paramiko.SSHException) as exc:
            client.close()
            raise TransportError(f"cannot connect to {where}: {exc or type(exc).__name__}",
                                 host=self.host_name) from None
        transport = client.get_transport()
        if transport is not None and self.keepalive:
            transport.set_keepalive(self.keepalive)
        return client

    def _session(self) -> paramiko.Channel:
        for attempt in (1, 2):
            client = self._connect()
            try:
                transport = client.get_transport()
                if transport is None:
                    raise paramiko.SSHException("no transport")
                return transport.open_session(timeout=self.connect_timeout)
            except (OSError, EOFError, paramiko.SSHException) as exc:
                if attempt == 2:
                    raise TransportError(f"cannot open a session: {exc}", host=self.host_name) from None
                with self._lock:
                    if self._client is client:
                        client.close()
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Kill the commands still running, then drop the connection.

        A command registered just before has been sent to the remote shell but its pid
        may not have come back yet: close() waits for it (at most ``_KILL_TIMEOUT``),
        since a command without a known pid would outlive the connection."""
        with self._changed:
            if self._closed:
                return
            self._closed = True
            self._changed.wait_for(lambda: all(self._running.values()), timeout=_KILL_TIMEOUT)
            pids = [pid for pid in self._running.values() if pid]
        if pids:
            self._kill_remote(pids)
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    # ------------------------------------------------------------------ commands

    def _execute(self, command: Command, capture: OutputCapture) -> int:
        argv, timeout = command.argv, command.timeout
        shell_text = build_command(argv, command.env, command.cwd)
        log.debug("%s: run %s", self.host_name, self.redactor.literals(shlex.join(argv)))
        started = time.monotonic()
        chan = self._session()
        key = id(chan)
        # close() may have run since _session() checked: registered and checked again
        # under one lock, a command either is seen by close() or is never started.
        with self._lock:
            closed = self._closed
            if not closed:
                self._running[key] = None
        if closed:
            chan.close()
            raise TransportError(f"command {argv[0]!r} aborted: transport closed", host=self.host_name)
        try:
            chan.settimeout(timeout)
            chan.exec_command(shell_text)
            if command.stdin:
                chan.sendall(command.stdin)
            chan.shutdown_write()
            streams = _PidLine(capture, functools.partial(self._note_pid, key))
            return self._pump(chan, streams, started + timeout, key, argv, timeout)
        except (OSError, EOFError, paramiko.SSHException) as exc:
            raise TransportError(f"command {argv[0]!r} failed: connection lost ({exc})",
                                 host=self.host_name) from None
        finally:
            with self._changed:
                self._running.pop(key, None)
                self._changed.notify_all()
            chan.close()

    def _pump(self, chan: paramiko.Channel, streams: _PidLine, deadline: float, key: int,
              argv: Sequence[str], timeout: float) -> int:
        while True:
            if self._drain(chan, streams):
                continue
            transport = chan.get_transport()
            alive = transport is not None and transport.is_active()
            if chan.exit_status_ready():
                self._drain_to_eof(chan, streams, min(deadline, time.monotonic() + _EOF_GRACE))
                status = chan.recv_exit_status()
                # -1: no exit-status message; a signal killed the command or the link died.
                if status != -1 or (alive and not self._closed):
                    streams.finish()
                    return status
                break
            if chan.closed or not alive:
                break
            if time.monotonic() > deadline:
                pid = self._running.get(key)
                if pid:
                    self._kill_remote([pid])
                raise RemoteTimeout(f"command {argv[0]!r} did not finish within {timeout:.0f}s",
                                    host=self.host_name)
            chan.status_event.wait(_POLL)
        if self._closed:
            raise TransportError(f"command {argv[0]!r} aborted: transport closed", host=self.host_name)
        raise TransportError(f"command {argv[0]!r} failed: connection lost", host=self.host_name)

    def _drain_to_eof(self, chan: paramiko.Channel, streams: _PidLine, until: float) -> None:
        """Read what is left once the exit status came (OpenSSH may send it before the
        last output): until the end of the stream, or ``until`` for a command whose
        children keep its output open."""
        while True:
            if self._drain(chan, streams):
                continue
            if chan.eof_received or chan.closed or time.monotonic() > until:
                break
            time.sleep(_POLL / 4)
        while self._drain(chan, streams):
            pass

    @staticmethod
    def _drain(chan: paramiko.Channel, streams: _PidLine) -> bool:
        busy = False
        if chan.recv_ready():
            streams.feed("stdout", chan.recv(_RECV))
            busy = True
        if chan.recv_stderr_ready():
            streams.feed("stderr", chan.recv_stderr(_RECV))
            busy = True
        return busy

    def _note_pid(self, key: int, pid: int) -> None:
        with self._changed:
            if key in self._running:
                self._running[key] = pid
                self._changed.notify_all()

    def _kill_remote(self, pids: list[int]) -> None:
        """Kill the process groups of commands (best effort, over a fresh channel)."""
        groups = " ".join(f"-{int(p)}" for p in pids)  # the remote shell leads its own group
        script = (f"kill -TERM {groups} 2>/dev/null; for i in 1 2 3 4 5 6 7 8 9 10; do "
                  f"kill -0 {groups} 2>/dev/null || exit 0; sleep 0.1; done; kill -KILL {groups} 2>/dev/null; true")
        try:
            client = self._client
            transport = client.get_transport() if client is not None else None
            if transport is None or not transport.is_active():
                return
            chan = transport.open_session(timeout=_KILL_TIMEOUT)
            chan.settimeout(_KILL_TIMEOUT)
            chan.exec_command(script)
            chan.recv_exit_status()
            chan.close()
        except (OSError, EOFError, paramiko.SSHException) as exc:
            log.warning("%s: could not kill remote process groups %s: %s", self.host_name, groups, exc)

    # ------------------------------------------------------------------ files

    def _sftp(self, timeout: float) -> _SFTP:
        chan = self._session()
        chan.settimeout(timeout)
        chan.invoke_subsystem("sftp")
        return _SFTP(chan)

    def put(self, local: Path, remote: str, *, timeout: float | None = None) -> None:
        local = Path(local)
        if not local.exists():
            raise TransportError(f"no such local file: {local}", host=self.host_name)
        deadline = time.monotonic() + (timeout or self.default_timeout)
        try:
            with self._sftp(timeout or self.default_timeout) as sftp:
                _makedirs(sftp, posixpath.dirname(remote.rstrip("/")) or ".")
                if local.is_dir():
                    for folder, dirs, files in os.walk(local):
                        rel = Path(folder).relative_to(local).as_posix()
                        target = remote if rel == "." else posixpath.join(remote, rel)
                        _makedirs(sftp, target)
                        dirs.sort()
                        for name in sorted(files):
                            _check_deadline(deadline, self.host_name, "upload")
                            _put_file(sftp, Path(folder) / name, posixpath.join(target, name))
                else:
                    _put_file(sftp, local, remote)
        except (OSError, EOFError, paramiko.SSHException) as exc:
            raise TransportError(f"upload of {local} to {remote} failed: {exc}", host=self.host_name) from None

    def get(self, remote: str, local: Path, *, timeout: float | None = None) -> download.DownloadSummary:
        """Download by the rules of :mod:`hvrt.transport.download` (links are not followed,
        unsafe names are skipped, 0644/0755, at most :attr:`download_limits`)."""
        limit = timeout or self.default_timeout
        dest = download.Destination(self.host_name, remote, self.download_limits, time.monotonic() + limit)
        try:
            with self._sftp(limit) as sftp:
                return download.fetch(_SFTPSource(sftp), remote, Path(local), dest)
        except (OSError, EOFError, UnicodeError, paramiko.SSHException, paramiko.SFTPError) as exc:
            raise TransportError(f"download of {remote} failed: {exc or type(exc).__name__}",
                                 host=self.host_name) from None


class _SFTP(paramiko.SFTPClient):
    """An SFTP client whose folder listing stops after a given number of entries."""

    def bounded_listdir(self, path: str, most: int) -> list[tuple[bytes, paramiko.SFTPAttributes]]:
        kind, msg = self._request(CMD_OPENDIR, self._adjust_cwd(path))
        if kind != CMD_HANDLE:
            raise paramiko.SFTPError("Expected handle")
        handle = msg.get_binary()
        found: list[tuple[bytes, paramiko.SFTPAttributes]] = []
        try:
            while len(found) <= most:
                try:
                    kind, msg = self._request(CMD_READDIR, handle)
                except EOFError:  # the end of the folder
                    break
                if kind != CMD_NAME:
                    raise paramiko.SFTPError("Expected name response")
                for _ in range(min(msg.get_int(), most + 1 - len(found))):
                    name = msg.get_string()
                    msg.get_string()  # the long form, unused
                    attrs = paramiko.SFTPAttributes._from_msg(msg)
                    if name not in (b".", b".."):
                        found.append((name, attrs))
        finally:
            self._request(CMD_CLOSE, handle)
        return found


class _SFTPSource(download.Source):
    """The remote side of a download over SFTP (modes as the server reports them)."""

    def __init__(self, sftp: _SFTP) -> None:
        self.sftp = sftp

    def _entry(self, path: str, follow: bool) -> download.Entry | None:
        try:
            attrs = self.sftp.stat(path) if follow else self.sftp.lstat(path)
        except FileNotFoundError:
            return None
        return download.Entry(posixpath.basename(path), download.kind_of(attrs.st_mode or 0),
                              int(attrs.st_size or 0))

    def lstat(self, path: str) -> download.Entry | None:
        return self._entry(path, False)

    def stat(self, path: str) -> download.Entry | None:
        return self._entry(path, True)

    def list(self, path: str, most: int) -> list[download.Entry]:
        return [download.Entry(name, download.kind_of(attrs.st_mode or 0), int(attrs.st_size or 0))
                for name, attrs in self.sftp.bounded_listdir(path, most)]

    @contextlib.contextmanager
    def open(self, path: str, size: int, *, follow: bool) -> Iterator[download.Reader]:
        with self.sftp.open(path, "rb") as fh:
            if size > 0:
                fh.prefetch(size, max_concurrent_requests=_PREFETCH)
            yield fh


class _PidLine:
    """Takes the remote shell's first stdout line (its pid) out of the command's output."""

    def __init__(self, capture: OutputCapture, on_pid: Callable[[int], None]) -> None:
        self.capture = capture
        self.on_pid = on_pid
        self.pending: bytearray | None = bytearray()

    def feed(self, name: str, data: bytes) -> None:
        if name == "stdout" and self.pending is not None:
            self.pending += data
            end = self.pending.find(b"\n")
            if end < 0 and len(self.pending) < _PID_LINE_MAX:
                return
            head, self.pending = bytes(self.pending), None
            data = head
            if end >= 0 and head.startswith(PID_MARKER.encode()):
                data = head[end + 1:]
                digits = head[len(PID_MARKER):end].strip()
                if digits.isdigit() and int(digits) > 1:
                    self.on_pid(int(digits))
        self.capture.feed(name, data)

    def finish(self) -> None:
        if self.pending:
            self.capture.feed("stdout", bytes(self.pending))
        self.pending = None


def _put_file(sftp: paramiko.SFTPClient, source: Path, target: str) -> None:
    sftp.put(str(source), target)
    sftp.chmod(target, stat.S_IMODE(source.stat().st_mode))


def _makedirs(sftp: paramiko.SFTPClient, folder: str) -> None:
    if folder in ("", ".", "/"):
        return
    try:
        if stat.S_ISDIR(sftp.stat(folder).st_mode or 0):
            return
        raise TransportError(f"{folder} exists and is not a folder")
    except FileNotFoundError:
        pass
    _makedirs(sftp, posixpath.dirname(folder.rstrip("/")))
    sftp.mkdir(folder)


def _check_deadline(deadline: float, host: str, what: str) -> None:
    if time.monotonic() > deadline:
        raise RemoteTimeout(f"{what} did not finish in time", host=host)


def _local_user() -> str:
    import getpass

    return getpass.getuser()
