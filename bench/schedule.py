#!/usr/bin/env python3
"""How close hvrt's schedule comes to the best possible on the legacy release matrix,
with the stages of a scenario one after another and with configure | deploy overlapped.

Takes the 16 scenarios of the legacy tool's real config (hosts shared between
scenarios, 2-node live-migration scenarios) and gives each stage a duration in
minutes (:data:`STAGE_MINUTES`; where each figure comes from is said there). A
scenario lasts the sum of its steps, a step as long as its slowest stage: the steps
come from hvrt's own stage graph (:data:`hvrt.stages.STAGES` grouped by CONCURRENT, configure | deploy as
one step) or from the same stages without the overlap (hvrt before it). hvrt's real
:class:`hvrt.scheduler.Scheduler` then runs the matrix on a lab with 3 controllers,
each scenario sleeping its duration scaled down (1 minute -> SCALE s).

Prints the makespan of
  legacy serial         one scenario after another, setup overlapped (the legacy
                        tool starts stack.sh and configures the nodes at once)
  hvrt, no overlap      the scheduler, stages one after another
  hvrt, overlap         the scheduler, configure | deploy side by side
each against the lower bound of the overlapped matrix (max(longest scenario,
per-host total, total work / controllers); target for hvrt with overlap <= 1.10).

Usage: python3 bench/schedule.py [--legacy-config PATH] [--scale SECONDS_PER_MINUTE]
"""
from __future__ import annotations

import argparse
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from hvrt.config.model import Profile, Scenario  # noqa: E402
from hvrt.scheduler import Lease, LeasePool, Scheduler  # noqa: E402
from hvrt.stages import STAGES, steps  # noqa: E402

DEFAULT_LEGACY = ROOT.parent / "shared" / "fixtures" / "legacy-cloudbase" / "config.yaml"
CONTROLLERS = ("ctl1", "ctl2", "ctl3")

STAGE_MINUTES: dict[str, float] = {
    "plan": 0.0,
    "provision": 1.0,
    # Pre-flight and leases; the legacy tool's controller container start (docs/legacy.md
    # section 1, steps a-c) is of the same order. Estimate.
    "configure": 10.0,
    # Uninstall + MSI install + INI on a node. No published timing exists (docs/legacy.md:
    # "Timing data: none"); the legacy tool allows each of uninstall and install 20 tries
    # 15 s apart (run.sh:185-187), i.e. 5 minutes each: the budget it planned for.
    "deploy": 22.5,
    # stack.sh: the DevStack quick start says "15 - 30 minutes" for the install
    # (docs.openstack.org/devstack/latest, "Start the install"); the middle of that range.
    "start": 2.0,
    # Restart the computes (legacy: 5 tries 10 s apart, run.sh:446) and wait for the
    # computes and agents (30 x 2 s, utils.sh:179-196): at most 50 s + 60 s.
    "collect": 3.0,
    "report": 0.0,
    "teardown": 2.0,
    # Logs over SMB, uninstall and unstack.sh in parallel (docs/legacy.md steps k-m). Estimate.
}
"""Minutes per stage but ``test``; the sources are the comments above."""

TEST_MINUTES_BY_SUITE = {"default": 60.0, "images": 35.0, "nichotplug": 15.0, "minimum": 10.0}
"""Minutes of the test stage per legacy suite (the size of its include list; a
live-migration scenario runs 1.5x as long: its tests move instances between nodes)."""


def scenario_minutes(stage_minutes: dict[str, float], graph: Sequence[Sequence[str]]) -> float:
    """A scenario's length: each step as long as its slowest stage."""
    return sum(max(stage_minutes[s] for s in step) for step in graph)


def legacy_matrix(path: Path) -> tuple[list[Scenario], dict[str, dict[str, float]]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    scenarios, stage_minutes = [], {}
    for name, spec in data.items():
        hosts = tuple(spec.get("hosts", {}))
        live = bool(spec.get("devstack", {}).get("live_migration"))
        test = TEST_MINUTES_BY_SUITE.get(spec.get("test_suite", "default"), 60.0) * (1.5 if live else 1.0)
        stage_minutes[name] = {**STAGE_MINUTES, "test": test}
        profile = Profile(name=name, hosts=hosts, live_migration=live)
        scenarios.append(Scenario(name, profile, hosts, CONTROLLERS))
    return scenarios, stage_minutes


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
    scenarios, stage_minutes = legacy_matrix(args.legacy_config)
    overlapped = {n: scenario_minutes(m, steps(STAGES)) for n, m in stage_minutes.items()}
    in_line = {n: scenario_minutes(m, steps(STAGES, together=())) for n, m in stage_minutes.items()}
    bound = lower_bound(scenarios, overlapped)
    serial = sum(overlapped.values())
    today = measure(scenarios, in_line, args.scale)
    overlap = measure(scenarios, overlapped, args.scale)
    print(f"scenarios: {len(scenarios)}, controllers: {len(CONTROLLERS)}, "
          f"two-node scenarios: {sum(1 for s in scenarios if s.nodes_needed == 2)}")
    print("stage minutes: " + ", ".join(f"{s} {m:g}" for s, m in STAGE_MINUTES.items() if m)
          + ", test by suite " + ", ".join(f"{k} {v:g}" for k, v in TEST_MINUTES_BY_SUITE.items()))
    print(f"lower bound (overlapped): {bound:.0f} min")
    for label, makespan in (("legacy serial", serial), ("hvrt, no overlap", today), ("hvrt, overlap", overlap)):
        print(f"{label:<18} {makespan:6.0f} min   / lower bound {makespan / bound:.3f}")
    print(f"hvrt, overlap / lower bound: {overlap / bound:.3f}  (target <= 1.10)")
    print(f"legacy serial / hvrt, overlap: {serial / overlap:.2f}x;  "
          f"hvrt, no overlap / hvrt, overlap: {today / overlap:.2f}x")


if __name__ == "__main__":
    main()
