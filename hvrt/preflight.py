"""Pre-flight: reach every host a run needs and check it before any work starts.

When: ``hvrt preflight`` (the hosts of the selected scenarios), the start of ``hvrt
run`` (every host of the run, before the first scenario) and each scenario's
``provision`` stage (its leased hosts, just before they are configured). Why: a
release run takes hours; a node whose clock is off or whose disk is full should stop
it in the first minute, with the fix, not after two hours of deploying.

The checks are the plugins' (``hvrt_preflight_host``, fan-out): each returns records
``{"host", "check", "ok", "detail", "fix"}`` and never raises for a failed check. The
core opens each host's transport (``hvrt_open_transport``), runs the hosts in
parallel on a bounded set of threads, gives every host a deadline and turns a plugin
that crashed or overran into a failed record, so one bad host never hangs the rest.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tabulate import tabulate

from hvrt.errors import HvrtError, InfrastructureError

if TYPE_CHECKING:
    from hvrt.config.model import Config, Host, Scenario
    from hvrt.context import RunContext
    from hvrt.transport.base import Transport

log = logging.getLogger("hvrt.preflight")

SCHEMA = 1
"""Version of the JSON form (:meth:`PreflightReport.to_dict`)."""
DEFAULT_TIMEOUT = 60.0
"""Seconds one host's checks may take, remote calls included."""
DEFAULT_WORKERS = 8
"""Hosts checked at the same time."""
GRACE = 5.0
"""Seconds past a host's timeout before the core gives up waiting for its plugin."""


@dataclass(frozen=True)
class Check:
    """One check of one host. ``ok`` is None when it was not run (an earlier check of
    the host failed, so its result would say nothing)."""

    host: str
    check: str
    ok: bool | None
    detail: str = ""
    fix: str = ""

    @property
    def failed(self) -> bool:
        return self.ok is False

    @property
    def cell(self) -> str:
        return "-" if self.ok is None else ("ok" if self.ok else "FAIL")

    def to_dict(self) -> dict[str, Any]:
        return {"host": self.host, "check": self.check, "ok": self.ok, "detail": self.detail, "fix": self.fix}

    @classmethod
    def from_record(cls, host: str, record: Mapping[str, Any]) -> Check:
        """A plugin's record; a malformed one becomes a failed check that says so."""
        name = record.get("check")
        if not isinstance(name, str) or not name:
            return cls(host, "preflight", False, f"a plugin returned a record without a check name: {record!r}")
        ok = record.get("ok")
        return cls(host, name, None if ok is None else bool(ok),
                   str(record.get("detail") or ""), str(record.get("fix") or ""))


@dataclass
class PreflightReport:
    """The checks of a set of hosts, in the order the hosts were given."""

    hosts: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    duration: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if c.failed]

    @property
    def unhealthy(self) -> dict[str, str]:
        """host -> why it failed (its first failed check, with the fix)."""
        found: dict[str, str] = {}
        for check in self.failures:
            found.setdefault(check.host, describe(check))
        return found

    def of(self, host: str) -> list[Check]:
        return [c for c in self.checks if c.host == host]

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA, "ok": self.ok, "duration": round(self.duration, 3),
            "hosts": [{"host": h, "ok": not any(c.failed for c in self.of(h)),
                       "checks": [c.to_dict() for c in self.of(h)]} for h in self.hosts],
            "failures": [c.to_dict() for c in self.failures],
        }

    def table(self) -> str:
        """Host x check tables (one per kind of host), then each failure with its fix."""
        return render_table(self)


def describe(check: Check) -> str:
    """``[host] check: detail (fix: ...)`` — one failure in one line."""
    text = f"[{check.host}] {check.check}: {check.detail or 'failed'}"
    return f"{text} (fix: {check.fix})" if check.fix else text


class PreflightFailed(InfrastructureError):
    """A host failed pre-flight; the message names the host, the check and the fix."""

    def __init__(self, report: PreflightReport, step: str = "preflight") -> None:
        self.report = report
        first = report.failures[0]
        more = len(report.failures) - 1
        message = f"pre-flight check {first.check} failed: {first.detail or 'failed'}"
        if first.fix:
            message += f"; fix: {first.fix}"
        if more:
            message += f" (and {more} more failed check{'s' if more > 1 else ''})"
        super().__init__(message, host=first.host, step=step,
                         detail="\n".join(describe(c) for c in report.failures[1:]))


def hosts_for(config: Config, scenarios: Iterable[Scenario]) -> list[Host]:
    """Every host the scenarios may use (candidate nodes, then candidate controllers),
    each once, in config order."""
    names: set[str] = set()
    for scenario in scenarios:
        names.update(scenario.candidate_nodes)
        names.update(scenario.candidate_controllers)
    return [host for name, host in {**config.nodes, **config.controllers}.items() if name in names]


def check_host(host: Host, run: RunContext, transport: Transport, timeout: float) -> list[Check]:
    """Every plugin's checks of one host (``hvrt_preflight_host``); never raises."""
    try:
        groups = run.pm.hook.hvrt_preflight_host(host=host, run=run, transport=transport, timeout=timeout)
    except Exception as exc:  # a plugin bug must not hide the other hosts' results
        log.exception("pre-flight of %s crashed", host.name)
        return [Check(host.name, "preflight", False, f"a pre-flight check crashed: {type(exc).__name__}: {exc}",
                      "see hvrt.log; this is a bug in the plugin that checks this host")]
    checks = [Check.from_record(host.name, r) for group in groups if group for r in group]
    if not checks:
        checks = [Check(host.name, "checks", None, f"no plugin checks hosts of transport {host.transport!r}")]
    return checks


TransportFor = Callable[["Host"], "Transport"]


def run_preflight(
    hosts: Sequence[Host],
    run: RunContext,
    *,
    timeout: float = DEFAULT_TIMEOUT,
    workers: int = DEFAULT_WORKERS,
    transport_for: TransportFor | None = None,
) -> PreflightReport:
    """Check ``hosts`` in parallel (at most ``workers`` at once), each within ``timeout``.

    ``transport_for(host)`` gives the transport to check through (a scenario passes its
    own, kept open for the stages after); without it a transport is opened through
    ``hvrt_open_transport`` for the check and closed after it. Transports are opened
    in host order on the calling thread (opening does no I/O), so hook calls come in a
    stable order; the checks themselves run on daemon threads, and a host whose plugin
    overruns its deadline is reported as failed (its transport closed to end the call).
    """
    started = time.monotonic()
    report = PreflightReport(hosts=[h.name for h in hosts])
    owned = transport_for is None
    opener = transport_for or (lambda host: _open_transport(run, host))
    results: dict[str, list[Check]] = {}
    pending: list[tuple[Host, Transport]] = []
    transports: dict[str, Transport] = {}
    for host in hosts:
        try:
            transport = opener(host)
        except HvrtError as exc:
            results[host.name] = [Check(host.name, "transport", False, str(getattr(exc, "message", exc)),
                                        "enable the plugin that provides this transport (config plugins:)")]
            continue
        transports[host.name] = transport
        pending.append((host, transport))

    cond = threading.Condition()
    begun: dict[str, float] = {}
    slots = threading.Semaphore(max(1, workers))

    def work(host: Host, transport: Transport) -> None:
        with slots:
            with cond:
                begun[host.name] = time.monotonic()
            checks = check_host(host, run, transport, timeout)
        with cond:
            results.setdefault(host.name, checks)
            cond.notify_all()

    for host, transport in pending:
        threading.Thread(target=work, args=(host, transport), name=f"preflight-{host.name}", daemon=True).start()
    try:
        with cond:
            while True:
                now = time.monotonic()
                waiting = [h for h, _t in pending if h.name not in results]
                late = [h for h in waiting if h.name in begun and now > begun[h.name] + timeout + GRACE]
                for host in late:
                    results[host.name] = [Check(
                        host.name, "preflight", False, f"no answer within {timeout:.0f}s",
                        "check that the host is up and not overloaded; raise --preflight-timeout if it is slow")]
                    _close(transports.pop(host.name, None), host.name)
                if all(h.name in results for h, _t in pending):
                    break
                cond.wait(0.2)
    finally:
        if owned:
            for name, transport in transports.items():
                _close(transport, name)
    for host in hosts:
        report.checks.extend(results.get(host.name, []))
    report.duration = time.monotonic() - started
    for check in report.failures:
        log.info("pre-flight: %s", describe(check))
    return report


def _open_transport(run: RunContext, host: Host) -> Transport:
    transport = run.pm.hook.hvrt_open_transport(host=host, run=run)
    if transport is None:
        raise InfrastructureError(f"no plugin opens transport {host.transport!r}", host=host.name, step="preflight")
    return transport


def _close(transport: Transport | None, name: str) -> None:
    if transport is None:
        return
    try:
        transport.close()
    except Exception as exc:  # closing must never mask the checks' outcome
        log.warning("closing the transport to %s failed: %s", name, exc)


def render_table(report: PreflightReport) -> str:
    groups: dict[tuple[str, ...], list[str]] = {}
    for host in report.hosts:
        columns = tuple(dict.fromkeys(c.check for c in report.of(host)))
        groups.setdefault(columns, []).append(host)
    blocks = []
    for columns, hosts in groups.items():
        rows = []
        for host in hosts:
            cells = {c.check: c.cell for c in report.of(host)}
            rows.append([host, *(cells.get(col, "") for col in columns)])
        blocks.append(tabulate(rows, headers=["host", *columns]))
    failures = report.failures
    if failures:
        lines = ["failed checks:"]
        for check in failures:
            lines.append(f"  {check.host} {check.check}: {check.detail or 'failed'}")
            if check.fix:
                lines.append(f"    fix: {check.fix}")
        blocks.append("\n".join(lines))
    bad = sorted({c.host for c in failures}, key=report.hosts.index)
    if bad:
        blocks.append(f"pre-flight: {len(bad)} of {len(report.hosts)} hosts failed ({', '.join(bad)})")
    else:
        blocks.append(f"pre-flight: {len(report.hosts)} hosts ok ({report.duration:.1f}s)")
    return "\n\n".join(blocks)
