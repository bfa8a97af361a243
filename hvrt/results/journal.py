"""``journal.jsonl``: the durable record of a run, one JSON event per line.

Every stage start and end is appended and fsync'd before the engine goes on, so a
crash (SIGKILL, power loss) leaves a journal that says exactly which scenarios
finished. ``hvrt run --resume`` reads it back: scenarios whose last
``scenario_end`` is passed or failed are kept; everything else runs again. A torn
last line (a crash mid-write) is ignored.
"""
from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

FINISHED = frozenset({"passed", "failed"})
"""Scenario outcomes that ``--resume`` keeps; error, interrupted and unfinished run again."""


class Journal:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed in close()

    def record(self, event: str, **fields: Any) -> None:
        entry = {"ts": round(time.time(), 3), "event": event, **fields}
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
