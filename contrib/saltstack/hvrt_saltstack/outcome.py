"""Turn what Salt returns for a ``state.apply`` into hvrt's record of it.

The same shape comes back from ``salt-call --out json``, ``salt-ssh --out json`` and
``LocalClient.cmd``: a mapping of state keys (``<module>_|-<id>_|-<name>_|-<fun>``)
to results, or a list of strings when the SLS did not even render. The record keeps,
per state, whether it changed something, failed, and Salt's comment; the first failed
state becomes the message of :class:`hvrt.errors.ConfigurationFailed`.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from hvrt.errors import ConfigurationFailed

INSTALLER_STATE = "hvrt-installer"
_VERSION_IN_COMMENT = re.compile(r"\[product_version=([^\]\s]+)\]")


@dataclass(frozen=True)
class StateRecord:
    id: str
    function: str
    name: str
    result: bool | None
    changed: bool
    comment: str
    duration_ms: float = 0.0
    sls: str = ""

    @property
    def failed(self) -> bool:
        return self.result is False

    def describe(self) -> str:
        first = self.comment.strip().splitlines()[-1] if self.comment.strip() else "no comment"
        return f"{self.function} {self.id!r}: {first}"


@dataclass
class ApplyOutcome:
    """One ``state.apply`` on one node."""

    node: str
    mode: str
    states: list[StateRecord] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    product_version: str | None = None

    @property
    def failed(self) -> list[StateRecord]:
        return [s for s in self.states if s.failed]

    @property
    def changed(self) -> list[StateRecord]:
        return [s for s in self.states if s.changed]

    @property
    def ok(self) -> bool:
        return not self.errors and not self.failed

    def to_dict(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "mode": self.mode,
            "ok": self.ok,
            "changed": len(self.changed),
            "failed": [s.id for s in self.failed],
            "errors": self.errors,
            "product_version": self.product_version,
            "states": [asdict(s) for s in self.states],
        }

    def raise_for_failure(self, redact: Any = str) -> None:
        """Raise :class:`ConfigurationFailed` naming the first failed state (or render error)."""
        if self.errors:
            raise ConfigurationFailed(
                redact(f"salt could not apply the states: {self.errors[0].strip().splitlines()[0]}"),
                host=self.node, step="configure", detail=redact("\n".join(self.errors)),
            )
        failed = self.failed
        if failed:
            names = ", ".join(repr(s.id) for s in failed)
            raise ConfigurationFailed(
                redact(f"salt state {failed[0].describe()}" + (f" (failed: {names})" if len(failed) > 1 else "")),
                host=self.node, step="configure",
                detail=redact("\n\n".join(f"{s.function} {s.id}:\n{s.comment}" for s in failed)),
            )


def _record(key: str, value: Mapping[str, Any]) -> StateRecord:
    parts = key.split("_|-")
    module, fun = (parts[0], parts[-1]) if len(parts) >= 4 else ("?", "?")
    comment = value.get("comment", "")
    if isinstance(comment, list):
        comment = "\n".join(str(c) for c in comment)
    duration = value.get("duration", 0.0)
    return StateRecord(
        id=str(value.get("__id__") or (parts[1] if len(parts) >= 4 else key)),
        function=f"{module}.{fun}",
        name=str(value.get("name", "")),
        result=value.get("result"),
        changed=bool(value.get("changes")),
        comment=str(comment),
        duration_ms=float(duration) if isinstance(duration, (int, float)) else 0.0,
        sls=str(value.get("__sls__", "")),
    )


def _version(key: str, value: Mapping[str, Any]) -> str | None:
    if value.get("__id__") != INSTALLER_STATE:
        return None
    changes = value.get("changes") or {}
    if isinstance(changes, Mapping) and changes.get("product_version"):
        return str(changes["product_version"])
    found = _VERSION_IN_COMMENT.search(str(value.get("comment", "")))
    return found.group(1) if found else None


def summarize(node: str, mode: str, ret: Any) -> ApplyOutcome:
    """Build the outcome from one minion's return of ``state.apply``."""
    outcome = ApplyOutcome(node=node, mode=mode)
    if isinstance(ret, list):
        outcome.errors = [str(e) for e in ret] or ["salt returned an empty error list"]
        return outcome
    if isinstance(ret, str):
        outcome.errors = [ret]
        return outcome
    if not isinstance(ret, Mapping):
        outcome.errors = [f"unexpected salt return: {type(ret).__name__}"]
        return outcome
    entries = [(k, v) for k, v in ret.items() if isinstance(v, Mapping) and "_|-" in k]
    if not entries and ret:
        outcome.errors = [f"unexpected salt return: {sorted(ret)[:5]}"]
        return outcome
    entries.sort(key=lambda kv: kv[1].get("__run_num__", 0))
    for key, value in entries:
        outcome.states.append(_record(key, value))
        outcome.product_version = _version(key, value) or outcome.product_version
    return outcome
