"""The ``local`` transport: a controller that is the runner itself (subprocess).

Same interface and guarantees as SSH: argument vectors (no shell), a timeout on
every command, output streamed line by line to ``on_output`` and kept within the
transport's :class:`~hvrt.transport.base.OutputLimits`. ``get`` copies from the
local "remote" path by the rules of :mod:`hvrt.transport.download` (no links
followed, unsafe names skipped, 0644/0755, bounded).
"""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import stat
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from hvrt.errors import RemoteTimeout, TransportError
from hvrt.transport import download
from hvrt.transport.base import Command, OutputCapture, OutputLimits, Transport

_READ = 65536


class LocalTransport(Transport):
    def __init__(self, host_name: str = "localhost", default_timeout: float = 600.0, *,
                 output_limits: OutputLimits | None = None,
                 download_limits: download.DownloadLimits | None = None) -> None:
        self.host_name = host_name
        self.default_timeout = default_timeout
        self.output_limits = output_limits or self.output_limits
        self.download_limits = download_limits or self.download_limits
        self._running: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()
        self._closed = False

    def _execute(self, command: Command, capture: OutputCapture) -> int:
        if self._closed:
            raise TransportError("transport is closed", host=self.host_name)
        proc = self._spawn(command)
        # close() may have run while the process was starting: it could not see it, so
        # the process is registered and the flag checked again under the same lock.
        with self._lock:
            self._running.add(proc)
            closed = self._closed
        if closed:
            with self._lock:
                self._running.discard(proc)
            _kill_group(proc)
            _close_pipes(proc)
            raise TransportError(f"command {command.argv[0]!r} aborted: transport closed", host=self.host_name)
        try:
            return self._finish(proc, command, capture)
        finally:
            with self._lock:
                self._running.discard(proc)

    def _spawn(self, command: Command) -> subprocess.Popen[bytes]:
        """Start ``command`` in a process group of its own (killed whole by close())."""
        argv = command.argv
        full_env = {**os.environ, **(command.env or {})}
        try:
            return subprocess.Popen(
                list(argv), stdin=subprocess.PIPE if command.stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env, cwd=command.cwd,
                start_new_session=True,
            )
        except OSError as exc:
            raise TransportError(f"cannot start {argv[0]!r}: {exc}", host=self.host_name) from None

    def _finish(self, proc: subprocess.Popen[bytes], command: Command, capture: OutputCapture) -> int:
        def pump(stream_name: str, stream: IO[bytes]) -> None:
            fd = stream.fileno()
            while data := os.read(fd, _READ):
                capture.feed(stream_name, data)

        pumps = [
            threading.Thread(target=pump, args=("stdout", proc.stdout), daemon=True),
            threading.Thread(target=pump, args=("stderr", proc.stderr), daemon=True),
        ]
        for t in pumps:
            t.start()
        if command.stdin is not None and proc.stdin is not None:
            try:
                proc.stdin.write(command.stdin)
                proc.stdin.close()
            except BrokenPipeError:
                pass
        try:
            proc.wait(timeout=command.timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise RemoteTimeout(
                f"command {command.argv[0]!r} did not finish within {command.timeout:.0f}s", host=self.host_name
            ) from None
        for t in pumps:
            t.join(timeout=5)
        if self._closed:
            raise TransportError(f"command {command.argv[0]!r} aborted: transport closed", host=self.host_name)
        return proc.returncode

    def close(self) -> None:
        """Kill the commands still running (the engine closes transports to abort a stage)."""
        with self._lock:
            self._closed = True
            running = list(self._running)
        for proc in running:
            _kill_group(proc)

    def put(self, local: Path, remote: str, *, timeout: float | None = None) -> None:
        source, target = Path(local), Path(remote)
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, dirs_exist_ok=True)
        else:
            shutil.copy2(source, target)

    def get(self, remote: str, local: Path, *, timeout: float | None = None) -> download.DownloadSummary:
        dest = download.Destination(self.host_name, remote, self.download_limits,
                           time.monotonic() + (timeout or self.default_timeout))
        try:
            return download.fetch(_DiskSource(), remote, Path(local), dest)
        except OSError as exc:
            raise TransportError(f"download of {remote} failed: {exc}", host=self.host_name) from None


class _DiskSource(download.Source):
    """The local disk as the "remote" side of a download."""

    @staticmethod
    def _entry(path: str, follow: bool) -> download.Entry | None:
        try:
            info = os.stat(path) if follow else os.lstat(path)
        except FileNotFoundError:
            return None
        return download.Entry(os.path.basename(path), download.kind_of(info.st_mode), info.st_size)

    def lstat(self, path: str) -> download.Entry | None:
        return self._entry(path, False)

    def stat(self, path: str) -> download.Entry | None:
        return self._entry(path, True)

    def list(self, path: str, most: int) -> list[download.Entry]:
        found: list[download.Entry] = []
        with os.scandir(path) as listing:
            for item in listing:
                info = item.stat(follow_symlinks=False)
                found.append(download.Entry(item.name, download.kind_of(info.st_mode), info.st_size))
                if len(found) > most:
                    break
        return found

    @contextlib.contextmanager
    def open(self, path: str, size: int, *, follow: bool) -> Iterator[download.Reader]:
        fd = os.open(path, os.O_RDONLY | (0 if follow else os.O_NOFOLLOW))
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise TransportError(f"{path} is not a regular file")
            yield fh


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def _close_pipes(proc: subprocess.Popen[bytes]) -> None:
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()
