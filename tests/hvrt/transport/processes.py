"""Helpers of the close()-race tests: whether a process on this machine has ended."""
from __future__ import annotations

import time
from collections.abc import Callable


def gone(pid: int) -> bool:
    """Whether ``pid`` has ended (no such process, or only a zombie left to reap)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


def wait_for(check: Callable[[], object], what: str, limit: float = 20.0) -> None:
    """Poll ``check`` until it is true; fail with ``what`` after ``limit`` seconds."""
    deadline = time.monotonic() + limit
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(what)
        time.sleep(0.02)
