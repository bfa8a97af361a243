"""Lease lab hosts to scenarios so that no host is ever used by two scenarios at once.

The :class:`LeasePool` hands out hosts atomically under one lock; the
:class:`Scheduler` decides which waiting scenario to start whenever a job slot and
its hosts are free. Order: scenarios on the busiest hosts first (the host whose
queued work is largest bounds the whole run), longest first among equals — a list
schedule that keeps the bottleneck hosts busy from the start.

Both live in one process. Other hvrt processes using the same lab are kept off a
leased host by the engine, which also holds the hosts of each started scenario in
the lab's coordination service (:mod:`hvrt.leases`) until the scenario ends.
"""
from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass

from hvrt.config.model import Scenario


@dataclass(frozen=True)
class Lease:
    """The hosts one scenario holds: its compute nodes and its controller."""

    scenario: str
    nodes: tuple[str, ...]
    controller: str

    @property
    def hosts(self) -> tuple[str, ...]:
        return (*self.nodes, self.controller)


class LeaseError(RuntimeError):
    """Raised when a release does not match a lease: a bug, never a user error."""


class LeasePool:
    """The free hosts of the lab; :meth:`acquire` is all-or-nothing."""

    def __init__(self, hosts: Iterable[str]) -> None:
        self._free = set(hosts)
        self.hosts: frozenset[str] = frozenset(self._free)
        """Every host of the pool, free or held."""
        self._held: dict[str, Lease] = {}
        self._lock = threading.Lock()

    def acquire(self, scenario: Scenario, prefer: Callable[[str], float] | None = None) -> Lease | None:
        """Lease ``scenario.nodes_needed`` free candidate nodes and one free controller,
        or nothing. ``prefer`` ranks candidate hosts (lower first)."""
        rank = prefer or (lambda _h: 0.0)
        with self._lock:
            nodes = sorted((n for n in scenario.candidate_nodes if n in self._free), key=rank)
            controllers = sorted(
                (c for c in scenario.candidate_controllers if c in self._free), key=rank
            )
            if len(nodes) < scenario.nodes_needed or not controllers:
                return None
            lease = Lease(scenario.name, tuple(nodes[: scenario.nodes_needed]), controllers[0])
            self._free.difference_update(lease.hosts)
            self._held[scenario.name] = lease
            return lease

    def release(self, lease: Lease) -> None:
        with self._lock:
            if self._held.get(lease.scenario) != lease:
                raise LeaseError(f"{lease.scenario} does not hold {lease.hosts}")
            del self._held[lease.scenario]
            if self._free.intersection(lease.hosts):
                raise LeaseError(f"hosts of {lease.scenario} were freed twice")
            self._free.update(lease.hosts)

    def held(self) -> dict[str, Lease]:
        with self._lock:
            return dict(self._held)


def can_ever_run(scenario: Scenario, hosts: Collection[str] | None = None) -> bool:
    """True when enough candidate nodes and a controller exist (among ``hosts`` if given)."""
    nodes = {n for n in scenario.candidate_nodes if hosts is None or n in hosts}
    controllers = [c for c in scenario.candidate_controllers if hosts is None or c in hosts]
    return len(nodes) >= scenario.nodes_needed and bool(controllers)


def priority_order(scenarios: Sequence[Scenario], estimate: Callable[[Scenario], float]) -> list[Scenario]:
    """Busiest-host first, then longest first, then config order (stable)."""
    load: dict[str, float] = defaultdict(float)
    for sc in scenarios:
        share = estimate(sc) * sc.nodes_needed / max(1, len(sc.candidate_nodes))
        for node in sc.candidate_nodes:
            load[node] += share
    def key(sc: Scenario) -> tuple[float, float]:
        bottleneck = max((load[n] for n in sc.candidate_nodes), default=0.0)
        return (-bottleneck, -estimate(sc))
    return sorted(scenarios, key=key)


class Scheduler:
    """Runs ``work(scenario, lease)`` for every scenario, at most ``jobs`` at a time.

    ``work`` runs in a worker thread and must not raise (the engine records errors in
    the scenario result). :meth:`stop` lets running scenarios finish and starts no more.
    """

    def __init__(
        self,
        scenarios: Sequence[Scenario],
        pool: LeasePool,
        work: Callable[[Scenario, Lease], None],
        *,
        jobs: int = 1,
        estimate: Callable[[Scenario], float] = lambda _s: 1.0,
    ) -> None:
        self.pool = pool
        self.work = work
        self.jobs = max(1, jobs)
        self._estimate = estimate
        self._pending = priority_order(scenarios, estimate)
        self._demand: dict[str, float] = defaultdict(float)
        for sc in self._pending:
            for node in sc.candidate_nodes:
                self._demand[node] += estimate(sc)
        self._running: dict[str, threading.Thread] = {}
        self._cond = threading.Condition()
        self._stopped = False
        self.unschedulable: list[Scenario] = [s for s in self._pending if not can_ever_run(s, pool.hosts)]
        """Scenarios that can never get their hosts from ``pool`` (never started)."""
        self._pending = [s for s in self._pending if can_ever_run(s, pool.hosts)]

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    @property
    def stopped(self) -> bool:
        """True once :meth:`stop` was called (``--fail-fast``, Ctrl-C): start nothing more."""
        return self._stopped

    @property
    def not_started(self) -> list[Scenario]:
        with self._cond:
            return list(self._pending)

    def _prefer(self, host: str) -> float:
        # Lease the nodes that the remaining scenarios need least.
        return self._demand.get(host, 0.0)

    def _start_ready(self) -> None:
        for sc in list(self._pending):
            if len(self._running) >= self.jobs:
                return
            lease = self.pool.acquire(sc, self._prefer)
            if lease is None:
                continue
            self._pending.remove(sc)
            for node in sc.candidate_nodes:
                self._demand[node] -= self._estimate(sc)
            thread = threading.Thread(
                target=self._run_one, args=(sc, lease), name=f"scenario-{sc.name}", daemon=True
            )
            self._running[sc.name] = thread
            thread.start()

    def _run_one(self, scenario: Scenario, lease: Lease) -> None:
        try:
            self.work(scenario, lease)
        finally:
            self.pool.release(lease)
            with self._cond:
                del self._running[scenario.name]
                self._cond.notify_all()

    def run(self) -> None:
        """Block until every schedulable scenario ran (or :meth:`stop` and the running ones end)."""
        with self._cond:
            while True:
                if not self._stopped:
                    self._start_ready()
                if not self._running and (self._stopped or not self._pending):
                    return
                self._cond.wait(timeout=0.5)
