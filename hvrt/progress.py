"""Show a run's progress while it works.

On a terminal: a live block with one line per running scenario (stage and elapsed
time), redrawn every second, and a line per finished scenario above it. Elsewhere
(CI logs, pipes, ``TERM=dumb``): one plain line per event. ``hvrt run --no-progress``
(or ``-q``) turns it off. Always on stderr, so ``--json`` output on stdout stays clean.
Events: ``start``, ``stage`` (the stage, or the stages of a concurrent step still
running joined by ``+``: ``configure+deploy``, then ``configure`` once deploy ended),
``end`` of a scenario, ``wait`` (the scenario waits
for a host another process holds; the detail says which and who holds it, shown
until the scenario starts), and ``preflight`` (the run's pre-flight, scenario ``""``:
its text is printed as it is).
"""
from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Mapping
from typing import TextIO


def can_redraw(stream: TextIO, environ: Mapping[str, str] | None = None) -> bool:
    """True for a terminal that understands cursor movement (not ``TERM=dumb``)."""
    env = os.environ if environ is None else environ
    try:
        tty = stream.isatty()
    except (AttributeError, ValueError):
        return False
    return tty and env.get("TERM", "") not in ("dumb", "")


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class Progress:
    """``live`` None: redraw when :func:`can_redraw`; ``enabled`` False prints nothing."""

    def __init__(self, stream: TextIO | None = None, *, live: bool | None = None, total: int = 0,
                 enabled: bool = True) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.live = enabled and (can_redraw(self.stream) if live is None else live)
        self.total = total
        self.done = 0
        self._running: dict[str, tuple[str, float, float]] = {}  # name -> (stage, t0, stage_t0)
        self._waiting: dict[str, tuple[str, float]] = {}  # name -> (what it waits for, since)
        self._lock = threading.Lock()
        self._drawn = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __call__(self, scenario: str, event: str, detail: str) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        with self._lock:
            if event == "preflight":
                if self.live:
                    self._redraw(extra=detail)
                else:
                    print(detail, file=self.stream, flush=True)
                return
            if event == "wait":
                _, since = self._waiting.get(scenario, ("", now))
                self._waiting[scenario] = (detail, since)
                count = f"[{self.done}/{self.total}] " if self.total else ""  # hvrt run counts on start
                line = f"{count}{scenario}: {detail}"
                if self.live:
                    self._redraw()
                else:
                    print(line, file=self.stream, flush=True)
                return
            self._waiting.pop(scenario, None)
            if event == "start":
                self._running[scenario] = ("plan", now, now)
                line = f"[{self.done}/{self.total}] {scenario}: started"
            elif event == "stage":
                _, t0, _ = self._running.get(scenario, ("", now, now))
                self._running[scenario] = (detail, t0, now)
                line = f"[{self.done}/{self.total}] {scenario}: {detail} ({_clock(now - t0)})"
            else:
                _, t0, _ = self._running.pop(scenario, ("", now, now))
                self.done += 1
                line = f"[{self.done}/{self.total}] {scenario}: {detail.upper()} in {_clock(now - t0)}"
            if self.live:
                if event == "end":
                    self._redraw(extra=line)
            else:
                print(line, file=self.stream, flush=True)

    def _redraw(self, extra: str | None = None) -> None:
        out = self.stream
        if self._drawn:
            out.write(f"\x1b[{self._drawn}F\x1b[J")
        if extra:
            out.write(extra + "\n")
        now = time.monotonic()
        lines = [
            f"  {name:<32} {stage:<16} {_clock(now - stage_t0)} (total {_clock(now - t0)})"
            for name, (stage, t0, stage_t0) in sorted(self._running.items())
        ] + [
            f"  {name:<32} {what} ({_clock(now - since)})"
            for name, (what, since) in sorted(self._waiting.items())
        ]
        for line in lines:
            out.write(line + "\n")
        self._drawn = len(lines)
        out.flush()

    def __enter__(self) -> Progress:
        if self.live:
            self._thread = threading.Thread(target=self._tick, daemon=True, name="progress")
            self._thread.start()
        return self

    def _tick(self) -> None:
        while not self._stop.wait(1.0):
            with self._lock:
                self._redraw()

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            with self._lock:
                self._redraw()
