"""The ``local`` transport: a controller that is the runner itself (subprocess).

Same interface and guarantees as SSH: argument vectors (no shell), a timeout on
every command, output streamed line by line to ``on_output``.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from hvrt.errors import RemoteTimeout, TransportError
from hvrt.transport.base import CommandResult, OutputHandler, Transport


class LocalTransport(Transport):
    def __init__(self, host_name: str = "localhost", default_timeout: float = 600.0) -> None:
        self.host_name = host_name
        self.default_timeout = default_timeout
        self._running: set[subprocess.Popen[bytes]] = set()
        self._lock = threading.Lock()
        self._closed = False

    def run(
        self,
        argv: Sequence[str],
        *,
        timeout: float | None = None,
        stdin: bytes | None = None,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        on_output: OutputHandler | None = None,
        check: bool = False,
    ) -> CommandResult:
        if self._closed:
            raise TransportError("transport is closed", host=self.host_name)
        timeout = timeout or self.default_timeout
        started = time.monotonic()
        full_env = {**os.environ, **(env or {})}
        try:
            proc = subprocess.Popen(
                list(argv), stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=full_env, cwd=cwd,
                start_new_session=True,
            )
        except OSError as exc:
            raise TransportError(f"cannot start {argv[0]!r}: {exc}", host=self.host_name) from None
        with self._lock:
            self._running.add(proc)
        try:
            return self._finish(proc, argv, stdin, timeout, started, on_output, check)
        finally:
            with self._lock:
                self._running.discard(proc)

    def _finish(
        self, proc: subprocess.Popen[bytes], argv: Sequence[str], stdin: bytes | None,
        timeout: float, started: float, on_output: OutputHandler | None, check: bool,
    ) -> CommandResult:
        chunks: dict[str, list[str]] = {"stdout": [], "stderr": []}

        def pump(stream_name: str, stream: object) -> None:
            for raw in iter(stream.readline, b""):  # type: ignore[attr-defined]
                line = raw.decode("utf-8", "replace")
                chunks[stream_name].append(line)
                if on_output is not None:
                    on_output(stream_name, line.rstrip("\n"))

        pumps = [
            threading.Thread(target=pump, args=("stdout", proc.stdout), daemon=True),
            threading.Thread(target=pump, args=("stderr", proc.stderr), daemon=True),
        ]
        for t in pumps:
            t.start()
        if stdin is not None and proc.stdin is not None:
            try:
                proc.stdin.write(stdin)
                proc.stdin.close()
            except BrokenPipeError:
                pass
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise RemoteTimeout(
                f"command {argv[0]!r} did not finish within {timeout:.0f}s", host=self.host_name
            ) from None
        for t in pumps:
            t.join(timeout=5)
        if self._closed:
            raise TransportError(f"command {argv[0]!r} aborted: transport closed", host=self.host_name)
        result = CommandResult(
            list(argv), proc.returncode, "".join(chunks["stdout"]), "".join(chunks["stderr"]),
            time.monotonic() - started,
        )
        if check and not result.ok:
            raise TransportError(
                f"command {argv[0]!r} exited {result.exit_code}", host=self.host_name,
                detail=result.tail(),
            )
        return result

    def close(self) -> None:
        """Kill the commands still running (the engine closes transports to abort a stage)."""
        with self._lock:
            self._closed = True
            running = list(self._running)
        for proc in running:
            _kill_group(proc)

    def put(self, local: Path, remote: str, *, timeout: float | None = None) -> None:
        _copy(Path(local), Path(remote))

    def get(self, remote: str, local: Path, *, timeout: float | None = None) -> None:
        source = Path(remote)
        if not source.exists():
            raise TransportError(f"no such file: {remote}", host=self.host_name)
        _copy(source, Path(local))


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)
    else:
        shutil.copy2(source, target)


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    import signal

    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
