#!/usr/bin/env python3
"""Parallel scenarios on the sandbox lab against the legacy tool's one-at-a-time order.

Runs every profile of the sandbox config twice on the same, already started lab:
once with ``hvrt run --all -j 2`` (scenarios whose nodes are disjoint run at once,
on the two controllers), and once scenario by scenario (``-j 1``), the way the
legacy tool ran them. Prints each wall time and

    parallel wall time / serial wall time   (lower is better; 0.5 is the ideal)

Needs the sandbox prerequisites (``make demo`` once). Takes a while: the serial
pass alone stacks and tests every scenario one after another.

Usage: HVRT_SANDBOX_PASSWORD=... python3 bench/sandbox.py [--config PATH] [--profile NAME ...]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(config: Path, profiles: list[str], jobs: int, results: Path) -> tuple[float, dict]:
    selection = [arg for p in profiles for arg in ("-p", p)] or ["--all"]
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "hvrt.cli.main", "run", "-c", str(config), *selection, "-j", str(jobs),
         "--results", str(results), "--json"],
        capture_output=True, text=True, check=False,
    )
    wall = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        sys.exit(f"hvrt run -j {jobs} exited {proc.returncode}:\n{proc.stderr[-3000:]}")
    return wall, json.loads(proc.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=ROOT / "examples" / "sandbox" / "hvrt.yaml")
    parser.add_argument("-p", "--profile", action="append", default=[],
                        help="limit to these profiles (default: every profile)")
    args = parser.parse_args()
    if not os.environ.get("HVRT_SANDBOX_PASSWORD"):
        sys.exit("set HVRT_SANDBOX_PASSWORD first (any value)")
    with tempfile.TemporaryDirectory(prefix="hvrt-bench-") as tmp:
        parallel, summary = run(args.config, args.profile, 2, Path(tmp) / "parallel")
        serial, _ = run(args.config, args.profile, 1, Path(tmp) / "serial")
    scenarios = summary["scenarios"]
    print(f"scenarios: {len(scenarios)} ({', '.join(s['name'] for s in scenarios)})")
    print(f"serial (-j 1): {serial:.0f} s   parallel (-j 2): {parallel:.0f} s")
    print(f"parallel / serial: {parallel / serial:.2f}  (serial / parallel: {serial / parallel:.2f}x)")


if __name__ == "__main__":
    main()
