"""``journal.jsonl``: the durable record of a run, one JSON event per line.

Every stage start and end is appended and fsync'd before the engine goes on, so a
crash (SIGKILL, power loss) leaves a journal that says exactly which scenarios
finished. ``hvrt run --resume`` reads it back: scenarios whose last
``scenario_end`` is passed or failed are kept; everything else runs again. A torn
last line (a crash mid-write) is ignored by the reader and cut off before the
journal is appended to again, so it cannot swallow the next record. Every string
of a record goes through the run's redactor: the journal is published with the run.
"""
from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hvrt.results.layout import FILE_MODE

FINISHED = frozenset({"passed", "failed"})
"""Scenario outcomes that ``--resume`` keeps; error, interrupted and unfinished run again."""


class Journal:
    """Append-only, fsync'd event log; ``clean`` masks secrets in each record's strings."""

    def __init__(self, path: Path, clean: Callable[[Any], Any] | None = None, mode: int = FILE_MODE) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._clean = clean or (lambda value: value)
        self._lock = threading.Lock()
        repair_torn_tail(self.path)
        self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()
        os.chmod(self.path, mode)

    def record(self, event: str, **fields: Any) -> None:
        entry = self._clean({"ts": round(time.time(), 3), "event": event, **fields})
        line = json.dumps(entry, sort_keys=True, default=str) + "\n"
        with self._lock:
            if self._fh.closed:
                return
            self._fh.write(line)
            self._fh.flush()
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        with self._lock:
            if not self._fh.closed:
                self._fh.close()


def repair_torn_tail(path: Path) -> bool:
    """Cut a last line that has no newline (a write torn by a crash); True if cut."""
    try:
        with open(path, "rb+") as fh:
            size = fh.seek(0, os.SEEK_END)
            if size == 0:
                return False
            fh.seek(size - 1)
            if fh.read(1) == b"\n":
                return False
            keep, block = 0, 64 * 1024
            pos = size
            while pos > 0:  # find the last newline, reading backwards
                start = max(0, pos - block)
                fh.seek(start)
                chunk = fh.read(pos - start)
                cut = chunk.rfind(b"\n")
                if cut >= 0:
                    keep = start + cut + 1
                    break
                pos = start
            fh.truncate(keep)
            fh.flush()
            os.fsync(fh.fileno())
            return True
    except FileNotFoundError:
        return False


@dataclass
class JournalState:
    """What a journal says about a run."""

    events: list[dict[str, Any]] = field(default_factory=list)
    outcomes: dict[str, str] = field(default_factory=dict)
    """scenario -> status of its last ``scenario_end``."""
    started: set[str] = field(default_factory=set)
    run_ended: bool = False

    @property
    def finished(self) -> set[str]:
        return {name for name, status in self.outcomes.items() if status in FINISHED}


def read_journal(path: Path) -> JournalState:
    state = JournalState()
    if not Path(path).exists():
        return state
    with open(path, encoding="utf-8", errors="replace") as fh:
        for raw in fh:
            try:
                entry = json.loads(raw)
            except json.JSONDecodeError:
                continue  # torn line from a crash
            state.events.append(entry)
            event, scenario = entry.get("event"), entry.get("scenario")
            if event == "scenario_start" and scenario:
                state.started.add(scenario)
                state.outcomes.pop(scenario, None)
            elif event == "scenario_end" and scenario:
                state.outcomes[scenario] = entry.get("status", "error")
            elif event == "run_end":
                state.run_ended = True
    return state
