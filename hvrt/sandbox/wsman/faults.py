"""Faults a test arms on a simulated node: the node misbehaves on the next requests.

Each fault applies to the next ``count`` WS-Man requests (optionally only those of
one action: Create, Command, Send, Receive, Signal, Delete):

* ``drop`` - close the connection without an answer;
* ``http_500`` - answer HTTP 500 with an empty body;
* ``stall`` - wait ``seconds`` before answering (past the client's timeout);

and whole-node faults: ``reboot(down_for)`` (shells vanish, the endpoint refuses
connections for ``down_for`` seconds, then comes back), ``fail_msi(code)`` (the next
MSI installs exit with ``code``) and ``clock_skew(seconds)``.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hvrt.sandbox.wsman.server import SimulatedNode


@dataclass
class Fault:
    kind: str
    remaining: int
    action: str | None = None
    seconds: float = 0.0


class Faults:
    def __init__(self, node: SimulatedNode) -> None:
        self._node = node
        self._lock = threading.Lock()
        self._armed: list[Fault] = []
        self.fired: list[tuple[str, str]] = []

    def _arm(self, fault: Fault) -> None:
        with self._lock:
            self._armed.append(fault)

    def drop(self, count: int = 1, action: str | None = None) -> None:
        self._arm(Fault("drop", count, action))

    def http_500(self, count: int = 1, action: str | None = None) -> None:
        self._arm(Fault("http_500", count, action))

    def stall(self, seconds: float, count: int = 1, action: str | None = None) -> None:
        self._arm(Fault("stall", count, action, seconds))

    def reboot(self, down_for: float = 2.0) -> None:
        self._node.reboot(down_for=down_for)

    def fail_msi(self, exit_code: int = 1603) -> None:
        self._node.model.update(msi_fault=exit_code)

    def clock_skew(self, seconds: float) -> None:
        self._node.model.update(clock_offset=float(seconds))

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()
        self._node.model.update(msi_fault=None, clock_offset=0.0)

    def take(self, action: str) -> Fault | None:
        """The fault that applies to this request, if any (consumes one use)."""
        with self._lock:
            for fault in self._armed:
                if fault.action in (None, action):
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self._armed.remove(fault)
                    self.fired.append((fault.kind, action))
                    return fault
        return None
