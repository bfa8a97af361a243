"""WinRS shells and the processes their commands start, inside the simulated node.

A :class:`Shell` is what ``Create`` makes and ``Delete`` ends; each ``Command`` starts
a :class:`Process` whose program runs in its own thread, reads what ``Send`` feeds to
its stdin, and writes to stdout/stderr buffers that ``Receive`` drains, a slice at a
time, until the process has exited and every byte was handed out.
"""
from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from collections.abc import Callable

STATUS_CONTROL_C_EXIT = -1073741510
"""Exit code Windows reports for a process ended by Ctrl+C (0xC000013A)."""

Program = Callable[["Process"], int]


class Terminated(Exception):
    """Raised inside a program when its command was signalled to stop."""


class Process:
    def __init__(self, command_line: str, program: Program) -> None:
        self.id = str(uuid.uuid4()).upper()
        self.command_line = command_line
        self._program = program
        self._cond = threading.Condition()
        self._stdin = bytearray()
        self._stdin_closed = False
        self._out: deque[tuple[str, bytes]] = deque()
        self.exit_code: int | None = None
        self.terminated = False
        self.interrupted = False
        self._thread = threading.Thread(target=self._main, name=f"winrs-{self.id[:8]}", daemon=True)

    def start(self) -> Process:
        self._thread.start()
        return self

    def _main(self) -> None:
        try:
            code = self._program(self)
        except Terminated:
            code = STATUS_CONTROL_C_EXIT if self.interrupted else 1
        except Exception as exc:  # the simulated program crashed: report like a crashed process
            self.write("stderr", f"{type(exc).__name__}: {exc}\r\n".encode())
            code = 1
        with self._cond:
            if self.exit_code is None:
                self.exit_code = code
            self._cond.notify_all()

    # -------------------------------------------------------- the program's side
    def write(self, stream: str, data: bytes) -> None:
        if not data:
            return
        with self._cond:
            self._out.append((stream, data))
            self._cond.notify_all()

    def read_line(self) -> bytes | None:
        """The next stdin line (without its end), or None at end of input."""
        with self._cond:
            while True:
                if self.terminated or self.interrupted:
                    raise Terminated()
                idx = self._stdin.find(b"\n")
                if idx >= 0:
                    line = bytes(self._stdin[:idx])
                    del self._stdin[: idx + 1]
                    return line.rstrip(b"\r")
                if self._stdin_closed:
                    if self._stdin:
                        line = bytes(self._stdin)
                        self._stdin.clear()
                        return line
                    return None
                self._cond.wait()

    def sleep(self, seconds: float) -> None:
        """Sleep, but wake up to stop when signalled."""
        deadline = time.monotonic() + seconds
        with self._cond:
            while not (self.terminated or self.interrupted):
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._cond.wait(left)
        raise Terminated()

    def wait_pending_below(self, limit: int) -> None:
        """Wait until the client has taken the output down to under ``limit`` bytes."""
        with self._cond:
            while sum(len(data) for _, data in self._out) >= limit:
                if self.terminated or self.interrupted:
                    raise Terminated()
                self._cond.wait(0.5)
            if self.terminated or self.interrupted:
                raise Terminated()

    def check(self) -> None:
        if self.terminated or self.interrupted:
            raise Terminated()

    # --------------------------------------------------------- the client's side
    def feed(self, data: bytes, end: bool) -> None:
        with self._cond:
            self._stdin.extend(data)
            if end:
                self._stdin_closed = True
            self._cond.notify_all()

    def signal(self, code: str) -> None:
        with self._cond:
            if code.endswith("ctrl_c"):
                self.interrupted = True
            else:
                self.terminated = True
                if self.exit_code is None:
                    self.exit_code = 1
            self._cond.notify_all()

    def take_output(self, limit: int, wait: float) -> tuple[list[tuple[str, bytes]], bool, int | None] | None:
        """Output ready within ``wait`` seconds, at most ``limit`` bytes.

        Returns (chunks, done, exit_code), or None when nothing came in time.
        """
        deadline = time.monotonic() + wait
        with self._cond:
            while not self._out and self.exit_code is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)
            chunks: list[tuple[str, bytes]] = []
            size = 0
            while self._out and size < limit:
                stream, data = self._out.popleft()
                room = limit - size
                if len(data) > room:
                    self._out.appendleft((stream, data[room:]))
                    data = data[:room]
                if chunks and chunks[-1][0] == stream:
                    chunks[-1] = (stream, chunks[-1][1] + data)
                else:
                    chunks.append((stream, data))
                size += len(data)
            done = not self._out and self.exit_code is not None
            self._cond.notify_all()  # a program pacing its output may go on
            return chunks, done, self.exit_code if done else None


class Shell:
    def __init__(self, owner: str = "") -> None:
        self.id = str(uuid.uuid4()).upper()
        self.owner = owner
        self.processes: dict[str, Process] = {}
        self.created = time.time()

    def close(self) -> None:
        for proc in list(self.processes.values()):
            proc.signal("terminate")
        self.processes.clear()
