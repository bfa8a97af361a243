"""Faults a test arms on a simulated node: the node misbehaves on the next requests.

Each fault applies to the next ``count`` WS-Man requests (optionally only those of
one action: Create, Command, Send, Receive, Signal, Delete):

* ``drop`` - close the connection without an answer;
* ``http_500`` - answer HTTP 500 with an empty body;
* ``stall`` - wait ``seconds`` before answering (past the client's timeout);

and whole-node faults: ``reboot(down_for)`` (shells vanish, the endpoint refuses
connections for ``down_for`` seconds, then comes back), ``fail_msi(code)`` (the next
MSI installs exit with ``code``) and ``clock_skew(seconds)``.

A hostile node, for the client's limits:

* ``flood(nbytes)`` - the host loop's next answer is preceded by ``nbytes`` of output
  without a line end (``None``: endless, until the command is stopped), paced so the
  node itself holds at most about 1 MiB of it;
* ``lie(function, times, **fields)`` - the next ``times`` answers of a module function
  report ``fields`` instead of the real values (a length of 10**15, a chunk too big);
* ``packed(data)`` - the next ``Compress-HvrtItem`` leaves ``data`` as the packed file
  (a gzip bomb, a zip with hostile entry names) and reports its real length and SHA-256.
"""
from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hvrt.sandbox.wsman.host import HostModel
    from hvrt.sandbox.wsman.server import SimulatedNode


@dataclass
class Fault:
    kind: str
    remaining: int
    action: str | None = None
    seconds: float = 0.0


@dataclass
class Lie:
    function: str
    remaining: int
    fields: dict[str, Any] = field(default_factory=dict)


class Faults:
    def __init__(self, node: SimulatedNode) -> None:
        self._node = node
        self._lock = threading.Lock()
        self._armed: list[Fault] = []
        self._lies: list[Lie] = []
        self._floods: list[int | None] = []
        self._packed: list[bytes] = []
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

    def flood(self, nbytes: int | None = None) -> None:
        with self._lock:
            self._floods.append(nbytes)

    def lie(self, function: str, times: int = 1, **fields: Any) -> None:
        with self._lock:
            self._lies.append(Lie(function, times, fields))

    def packed(self, data: bytes) -> None:
        with self._lock:
            self._packed.append(bytes(data))

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()
            self._lies.clear()
            self._floods.clear()
            self._packed.clear()
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

    # ------------------------------------------------ hooks of the host loop
    def take_flood(self) -> tuple[bool, int | None]:
        """(armed, nbytes) of the next flood (consumes it)."""
        with self._lock:
            if not self._floods:
                return False, None
            nbytes = self._floods.pop(0)
            self.fired.append(("flood", "host-loop"))
            return True, nbytes

    def answer(self, model: HostModel, function: str, params: dict[str, Any], value: Any) -> Any:
        """The value the node reports for ``function`` once the armed lies are applied."""
        with self._lock:
            data = self._packed.pop(0) if function == "Compress-HvrtItem" and self._packed else None
            lie = next((x for x in self._lies if x.function == function), None)
            if lie is not None:
                lie.remaining -= 1
                if lie.remaining <= 0:
                    self._lies.remove(lie)
                self.fired.append(("lie", function))
        if data is not None:
            target = model.path(str(params["destination"]))
            target.write_bytes(data)
            value = {**value, "length": len(data), "sha256": hashlib.sha256(data).hexdigest().upper()}
            self.fired.append(("packed", function))
        if lie is not None and isinstance(value, dict):
            value = {**value, **lie.fields}
        return value
