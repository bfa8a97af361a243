"""What a command leaves: :class:`CommandResult`, and the bounded capture that builds it.

Every transport feeds a command's raw output to an :class:`OutputCapture` (from
:meth:`hvrt.transport.base.Transport.run`), whatever the other side sends: each
stream is kept in memory up to :attr:`OutputLimits.memory` bytes; past that the whole
stream goes to a spill file on disk (up to :attr:`OutputLimits.disk` bytes) and
:attr:`CommandResult.stdout` keeps its head and its tail around a note naming that
file (:attr:`CommandResult.stdout_file`, which :meth:`CommandResult.keep_output`
saves). ``on_output`` gets lines of at most :attr:`OutputLimits.line` bytes: a longer
line arrives in pieces.
"""
from __future__ import annotations

import codecs
import os
import shutil
import tempfile
import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

OutputHandler = Callable[[str, str], None]
"""Called as ``handler(stream, line)`` with ``stream`` in ("stdout", "stderr"), per line."""

STREAMS = ("stdout", "stderr")
MiB = 1024 * 1024


@dataclass(frozen=True)
class OutputLimits:
    """How much of a command's output a transport keeps (per stream)."""

    memory: int = 8 * MiB
    """Bytes kept in memory; past it the head and the tail stay and the rest is on disk."""
    line: int = 64 * 1024
    """Longest piece handed to ``on_output``; a longer line is split."""
    disk: int = 1024 * MiB
    """Bytes written to the spill file; past it the stream is counted but not kept."""
    spill_dir: str | None = None
    """Where spill files go (the system's temporary folder by default)."""


@dataclass
class CommandResult:
    argv: Sequence[str]
    exit_code: int
    stdout: str
    stderr: str
    duration: float = 0.0
    stdout_file: Path | None = None
    """The whole stdout on disk when it passed the memory limit (``stdout`` then holds
    its head and tail); removed when this result is garbage collected unless
    :meth:`keep_output` moved it."""
    stderr_file: Path | None = None
    """Like :attr:`stdout_file`, for stderr."""

    def __post_init__(self) -> None:
        spilled = [str(p) for p in (self.stdout_file, self.stderr_file) if p is not None]
        if spilled:
            weakref.finalize(self, _remove_files, spilled)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    def tail(self, lines: int = 20) -> str:
        """The last lines of the combined output, for error messages."""
        text = (self.stdout + ("\n" + self.stderr if self.stderr else "")).rstrip()
        return "\n".join(text.splitlines()[-lines:])

    def keep_output(self, stream: str, dest: Path) -> Path:
        """Save the whole of ``stream`` at ``dest`` (moving its spill file there)."""
        dest = Path(dest)
        dest.parent.mkdir(parents=True, exist_ok=True)
        spilled = self.stdout_file if stream == "stdout" else self.stderr_file
        if spilled is not None and spilled.exists():
            shutil.move(str(spilled), dest)
            dest.chmod(0o644)
            if stream == "stdout":
                self.stdout_file = dest
            else:
                self.stderr_file = dest
        else:
            dest.write_text(self.stdout if stream == "stdout" else self.stderr, encoding="utf-8")
        return dest


def _remove_files(paths: list[str]) -> None:
    for path in paths:
        try:
            os.unlink(path)
        except OSError:
            pass


class _Stream:
    """One stream of one command: bounded memory, spill file, partial line."""

    def __init__(self, name: str, limits: OutputLimits) -> None:
        self.name = name
        self.limits = limits
        self.kept = bytearray()  # everything while under the limit, afterwards the head
        self.tail = bytearray()
        self.total = 0
        self.written = 0
        self.spill: BinaryIO | None = None
        self.path: Path | None = None
        self.line = bytearray()
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def store(self, data: bytes) -> None:
        self.total += len(data)
        if self.spill is None:
            if len(self.kept) + len(data) <= self.limits.memory:
                self.kept += data
                return
            self._open_spill()
        self._write(data)
        self.tail += data
        keep = self.limits.memory - len(self.kept)
        if len(self.tail) > keep:
            del self.tail[:len(self.tail) - keep]

    def _open_spill(self) -> None:
        fd, name = tempfile.mkstemp(prefix=f"hvrt-{self.name}-", suffix=".log", dir=self.limits.spill_dir)
        self.spill = os.fdopen(fd, "wb")
        self.path = Path(name)
        self._write(bytes(self.kept))
        head = self.limits.memory // 2
        self.tail = self.kept[head:]
        del self.kept[head:]

    def _write(self, data: bytes) -> None:
        assert self.spill is not None
        room = self.limits.disk - self.written
        if room > 0:
            self.spill.write(data[:room])
            self.written += min(room, len(data))

    def text(self) -> str:
        """The kept output as text (called once: the buffers are released as it goes)."""
        omitted = self.total - len(self.kept) - len(self.tail)
        head = str(self.kept, "utf-8", "replace")
        self.kept = bytearray()
        if self.spill is None:
            return head
        self.spill.close()
        skip = 0
        while skip < min(3, len(self.tail)) and 0x80 <= self.tail[skip] < 0xC0:  # no half character first
            skip += 1
        tail = str(memoryview(self.tail)[skip:], "utf-8", "replace")
        self.tail = bytearray()
        where = (f"the whole stream ({self.total} bytes) is in {self.path}" if self.written == self.total else
                 f"its first {self.written} of {self.total} bytes are in {self.path}")
        return f"{head}\n[hvrt: {omitted} bytes of {self.name} left out here; {where}]\n{tail}"

    def discard(self) -> None:
        if self.spill is not None:
            self.spill.close()
        if self.path is not None:
            _remove_files([str(self.path)])


class OutputCapture:
    """Collects one command's stdout and stderr within :class:`OutputLimits`.

    The transport calls :meth:`feed` with raw bytes as they arrive (from any thread),
    then :meth:`finish`, then :meth:`result`; or :meth:`discard` when the command failed.
    """

    def __init__(self, on_output: OutputHandler | None = None, limits: OutputLimits | None = None) -> None:
        self.on_output = on_output
        self.limits = limits or OutputLimits()
        self._streams = {name: _Stream(name, self.limits) for name in STREAMS}
        self._lock = threading.Lock()
        self._done = False

    def feed(self, name: str, data: bytes) -> None:
        with self._lock:
            if self._done or not data:
                return
            stream = self._streams[name]
            stream.store(data)
            if self.on_output is None:
                return
            step = self.limits.line
            for start in range(0, len(data), step):
                stream.line += data[start:start + step]
                self._emit_lines(stream)

    def _emit_lines(self, stream: _Stream) -> None:
        buf = stream.line
        while True:
            end = buf.find(b"\n", 0, self.limits.line + 1)
            if end >= 0:
                piece, cut = buf[:end], end + 1
            elif len(buf) > self.limits.line:  # one byte more shows the piece is not a whole line
                piece, cut = buf[:self.limits.line], self.limits.line  # the decoder joins split characters
            else:
                return
            del buf[:cut]
            self._emit(stream, bytes(piece), final=end >= 0)

    def _emit(self, stream: _Stream, piece: bytes, final: bool = False) -> None:
        assert self.on_output is not None
        text = stream.decoder.decode(piece, final)
        self.on_output(stream.name, text.rstrip("\r"))

    def finish(self) -> None:
        """Hand the last unterminated line of each stream to ``on_output``."""
        with self._lock:
            if self.on_output is None:
                return
            for stream in self._streams.values():
                if stream.line:
                    piece = bytes(stream.line)
                    stream.line.clear()
                    self._emit(stream, piece, final=True)

    def result(self, argv: Sequence[str], exit_code: int, duration: float) -> CommandResult:
        with self._lock:
            self._done = True
            out, err = self._streams["stdout"], self._streams["stderr"]
            return CommandResult(argv, exit_code, out.text(), err.text(), duration,
                                 stdout_file=out.path, stderr_file=err.path)

    def discard(self) -> None:
        with self._lock:
            self._done = True
            for stream in self._streams.values():
                stream.discard()
