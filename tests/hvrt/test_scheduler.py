"""Leases and scheduling: no host is ever held twice, every scenario runs once."""
from __future__ import annotations

import random
import threading
import time
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hvrt.config.model import Profile, Scenario
from hvrt.scheduler import Lease, LeaseError, LeasePool, Scheduler, priority_order


def scenario(name: str, nodes: tuple[str, ...], needed: int, controllers: tuple[str, ...] = ("c1",)) -> Scenario:
    profile = Profile(name=name, node_count=needed)
    return Scenario(name, profile, nodes, controllers)


@st.composite
def labs(draw: st.DrawFn) -> tuple[list[str], list[str], list[Scenario], int]:
    oses = ["2012", "2012r2", "2016"]
    node_os = {f"n{i}": draw(st.sampled_from(oses)) for i in range(draw(st.integers(1, 6)))}
    controllers = [f"c{i}" for i in range(draw(st.integers(1, 3)))]
    scenarios = []
    for i in range(draw(st.integers(1, 12))):
        needed = draw(st.integers(1, 2))
        if draw(st.booleans()):
            pinned = tuple(draw(st.lists(st.sampled_from(sorted(node_os)), min_size=needed, max_size=needed, unique=True))) if len(node_os) >= needed else ()
            nodes = pinned
        else:
            os_ = draw(st.sampled_from(oses))
            nodes = tuple(n for n, o in node_os.items() if o == os_)
        ctl = tuple(draw(st.lists(st.sampled_from(controllers), min_size=1, unique=True)))
        scenarios.append(scenario(f"s{i}", nodes, needed, ctl))
    return sorted(node_os), controllers, scenarios, draw(st.integers(1, 4))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(labs(), st.integers(0, 2**32))
def test_no_host_is_leased_twice_and_every_scenario_runs_once(lab, seed) -> None:
    rnd = random.Random(seed)
    nodes, controllers, scenarios, jobs = lab
    in_use: set[str] = set()
    guard = threading.Lock()
    runs: Counter[str] = Counter()
    violations: list[str] = []
    concurrent = [0, 0]  # now, max

    def work(sc: Scenario, lease: Lease) -> None:
        with guard:
            clash = in_use.intersection(lease.hosts)
            if clash:
                violations.append(f"{sc.name} got {sorted(clash)} while in use")
            if set(lease.nodes) - set(sc.candidate_nodes) or lease.controller not in sc.candidate_controllers:
                violations.append(f"{sc.name} got hosts it cannot use: {lease}")
            if len(set(lease.nodes)) != sc.nodes_needed:
                violations.append(f"{sc.name} got {len(lease.nodes)} nodes, needs {sc.nodes_needed}")
            in_use.update(lease.hosts)
            runs[sc.name] += 1
            concurrent[0] += 1
            concurrent[1] = max(concurrent[1], concurrent[0])
        time.sleep(rnd.random() * 0.003)
        with guard:
            in_use.difference_update(lease.hosts)
            concurrent[0] -= 1

    sched = Scheduler(scenarios, LeasePool([*nodes, *controllers]), work, jobs=jobs)
    sched.run()
    assert not violations
    assert concurrent[1] <= jobs
    runnable = {s.name for s in scenarios} - {s.name for s in sched.unschedulable}
    assert set(runs) == runnable
    assert all(count == 1 for count in runs.values())
    for sc in sched.unschedulable:
        assert len(set(sc.candidate_nodes)) < sc.nodes_needed


def test_two_node_scenario_waits_for_both_nodes() -> None:
    a = scenario("single", ("n1",), 1)
    b = scenario("pair", ("n1", "n2"), 2, ("c2",))
    pool = LeasePool(["n1", "n2", "c1", "c2"])
    first = pool.acquire(a)
    assert first is not None and first.nodes == ("n1",)
    assert pool.acquire(b) is None, "pair must not start with one of its nodes busy"
    pool.release(first)
    second = pool.acquire(b)
    assert second is not None and set(second.nodes) == {"n1", "n2"}


def test_release_of_a_lease_not_held_is_a_bug() -> None:
    pool = LeasePool(["n1", "c1"])
    lease = pool.acquire(scenario("a", ("n1",), 1))
    assert lease is not None
    pool.release(lease)
    with pytest.raises(LeaseError):
        pool.release(lease)


def test_disjoint_scenarios_run_at_the_same_time() -> None:
    scenarios = [scenario("a", ("n1",), 1, ("c1", "c2")), scenario("b", ("n2",), 1, ("c1", "c2"))]
    both_running = threading.Barrier(2, timeout=5)

    def work(_sc: Scenario, _lease: Lease) -> None:
        both_running.wait()  # breaks (and the test fails) unless both run at once

    Scheduler(scenarios, LeasePool(["n1", "n2", "c1", "c2"]), work, jobs=2).run()


def test_busiest_host_goes_first() -> None:
    light = scenario("light", ("n2",), 1)
    heavy = [scenario(f"h{i}", ("n1",), 1) for i in range(3)]
    order = [s.name for s in priority_order([light, *heavy], lambda s: 1.0)]
    assert order[-1] == "light"


def test_stop_starts_nothing_more() -> None:
    scenarios = [scenario(f"s{i}", ("n1",), 1) for i in range(5)]
    ran: list[str] = []
    sched: Scheduler

    def work(sc: Scenario, _lease: Lease) -> None:
        ran.append(sc.name)
        sched.stop()

    sched = Scheduler(scenarios, LeasePool(["n1", "c1"]), work, jobs=1)
    sched.run()
    assert len(ran) == 1
    assert len(sched.not_started) == 4


def test_a_pool_without_the_unhealthy_hosts_never_leases_them() -> None:
    from hvrt.scheduler import can_ever_run

    pinned = scenario("pinned", ("n1",), 1)
    either = scenario("either", ("n1", "n2"), 1)
    pair = scenario("pair", ("n1", "n2"), 2)
    pool = LeasePool(["n2", "c1"])  # n1 failed pre-flight
    assert can_ever_run(pinned) and not can_ever_run(pinned, pool.hosts)
    assert can_ever_run(either, pool.hosts) and not can_ever_run(pair, pool.hosts)
    assert not can_ever_run(either, {"n1", "n2"}), "no controller left"
    seen: list[tuple[str, tuple[str, ...]]] = []
    sched = Scheduler([pinned, either, pair], pool, lambda sc, lease: seen.append((sc.name, lease.nodes)), jobs=2)
    assert sorted(s.name for s in sched.unschedulable) == ["pair", "pinned"]
    sched.run()
    assert seen == [("either", ("n2",))]
