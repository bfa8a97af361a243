#!/usr/bin/env python3
"""How close hvrt's schedule comes to the best possible on the legacy release matrix.

Takes the 16 scenarios of the legacy tool's real config (hosts shared between
scenarios, 2-node live-migration scenarios), gives each a duration by its suite and
node count, and runs hvrt's real :class:`hvrt.scheduler.Scheduler` on a lab with 3
controllers, each scenario sleeping its duration scaled down (1 minute -> SCALE s).

Prints:
  makespan / lower bound   (lower bound = max(longest scenario, per-host total,
                            total work / controllers); target <= 1.10)
  legacy serial / makespan (the legacy tool runs scenarios one after another)

Usage: python3 bench/schedule.py [--legacy-config PATH] [--scale SECONDS_PER_MINUTE]
"""
from __future__ import annotations

import argparse
import threading
import time
from collections import defaultdict
from pathlib import Path

import yaml

from hvrt.config.model import Profile, Scenario
from hvrt.scheduler import Lease, LeasePool, Scheduler

HERE = Path(__file__).resolve().parent
DEFAULT_LEGACY = HERE.parent.parent / "shared" / "fixtures" / "legacy-cloudbase" / "config.yaml"
MINUTES_BY_SUITE = {"default": 60.0, "images": 35.0, "nichotplug": 15.0, "minimum": 10.0}
CONTROLLERS = ("ctl1", "ctl2", "ctl3")


def legacy_matrix(path: Path) -> tuple[list[Scenario], dict[str, float]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    scenarios, minutes = [], {}
    for name, spec in data.items():
        hosts = tuple(spec.get("hosts", {}))
        live = bool(spec.get("devstack", {}).get("live_migration"))
        base = MINUTES_BY_SUITE.get(spec.get("test_suite", "default"), 60.0)
        minutes[name] = base * (1.5 if live else 1.0)
        profile = Profile(name=name, hosts=hosts, live_migration=live)
        scenarios.append(Scenario(name, profile, hosts, CONTROLLERS))
    return scenarios, minutes


def lower_bound(scenarios: list[Scenario], minutes: dict[str, float]) -> float:
    per_host: dict[str, float] = defaultdict(float)
    for sc in scenarios:
        for host in sc.candidate_nodes:
            per_host[host] += minutes[sc.name]
    total = sum(minutes.values())
    return max(max(minutes.values()), max(per_host.values()), total / len(CONTROLLERS))


def measure(scenarios: list[Scenario], minutes: dict[str, float], scale: float) -> float:
    hosts = {h for sc in scenarios for h in sc.candidate_nodes} | set(CONTROLLERS)
    ends: list[float] = []
    lock = threading.Lock()
    started = time.perf_counter()

    def work(sc: Scenario, _lease: Lease) -> None:
        time.sleep(minutes[sc.name] * scale)
        with lock:
            ends.append(time.perf_counter() - started)

    Scheduler(scenarios, LeasePool(hosts), work, jobs=len(CONTROLLERS), estimate=lambda s: minutes[s.name]).run()
    return max(ends) / scale  # back to minutes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--legacy-config", type=Path, default=DEFAULT_LEGACY)
    parser.add_argument("--scale", type=float, default=0.004, help="seconds of sleep per scenario minute")
    args = parser.parse_args()
    scenarios, minutes = legacy_matrix(args.legacy_config)
    bound = lower_bound(scenarios, minutes)
    makespan = measure(scenarios, minutes, args.scale)
    serial = sum(minutes.values())
    print(f"scenarios: {len(scenarios)}, controllers: {len(CONTROLLERS)}, "
          f"two-node scenarios: {sum(1 for s in scenarios if s.nodes_needed == 2)}")
    print(f"lower bound: {bound:.0f} min, hvrt makespan: {makespan:.0f} min, legacy serial: {serial:.0f} min")
    print(f"makespan / lower bound:   {makespan / bound:.3f}  (target <= 1.10)")
    print(f"legacy serial / makespan: {serial / makespan:.2f}x")


if __name__ == "__main__":
    main()
