#!/usr/bin/env python3
"""hvrt's test stage against plain ``tempest run``, on the same Keystone, alternating.

Round 1 ``hvrt run``s the sandbox scenario (default ``2012r2-vhdx``, ``--destroy
never`` so the cloud stays up); later rounds run only its test stage again on the
deployment it recorded (``--from test``). hvrt's time is the test stage's wall time
from the journal (``stage_start``/``stage_end``). Plain Tempest runs the same work
by hand in a workspace hvrt made (its tempest.conf and plugin cache, the test ids of
its parallel phase as ``--load-list`` at the suite's concurrency, then those of its
isolated phase with ``--serial``), timed around the two commands. Alternating keeps
both sides under the same machine load, and the order swaps every round (round 2
runs plain Tempest first, in round 1's workspace, then hvrt; round 3 hvrt first; ...):
whatever drifts between the two sides of a round (the machine's other work, the
rows each Tempest run leaves in Keystone's database) then weighs on both in turn
instead of always on the side that goes second. Round 1 is a warm-up: hvrt's test stage
then meets a Keystone that stack.sh has just started (cold caches, modules still
being imported, sqlite pages unread) and the plain run after it a warm one, so the
ratio compares the sums of rounds 2 and later (round 1 is printed too).

Prints the load average before and after, each round, both totals and
hvrt test stage / plain tempest run  (target <= 1.05: what hvrt adds — tempest init, listing (from its cache after the first
run), selection, the stream copy, retries — costs at most 5 %).

Needs the sandbox prerequisites (``make demo`` once; the lab is brought up by the
run if it is down, and left up: ``hvrt sandbox down`` stops it). Usage:

    HVRT_SANDBOX_PASSWORD=... python3 bench/tempest.py [--config PATH] [--profile NAME] [--rounds N]
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
sys.path.insert(0, str(ROOT))

from hvrt.results.journal import read_journal  # noqa: E402
from hvrt.sandbox import venvs  # noqa: E402


def test_stage_seconds(run_dir: Path, scenario: str) -> float:
    start = end = None
    for event in read_journal(run_dir / "journal.jsonl").events:
        if event.get("scenario") == scenario and event.get("stage") == "test":
            if event["event"] == "stage_start":
                start = event["ts"]
            elif event["event"] == "stage_end" and event.get("status") == "ok":
                end = event["ts"]
    if start is None or end is None:
        sys.exit(f"the journal of {run_dir} has no finished test stage of {scenario}")
    return end - start


def hvrt_round(config: Path, profile: str, results: Path, first: bool) -> Path:
    """One ``hvrt run``; its run folder (found on disk: the run's end may fail after the tests)."""
    before = set(results.glob("*/*/journal.jsonl"))
    argv = [sys.executable, "-m", "hvrt.cli.main", "run", "-c", str(config), "-p", profile,
            "--results", str(results), "--destroy", "never", "--no-progress"]
    if not first:
        argv += ["--from", "test"]
    proc = subprocess.run(argv, capture_output=True, text=True)
    new = sorted(set(results.glob("*/*/journal.jsonl")) - before)
    if not new:
        sys.exit(f"hvrt run exited {proc.returncode} before it made a run folder:\n{proc.stderr[-3000:]}")
    if proc.returncode not in (0, 1):
        print(f"hvrt run exited {proc.returncode}:\n{proc.stderr[-1500:]}", file=sys.stderr)
    return new[-1].parent


def plain_round(run_dir: Path, profile: str) -> tuple[float, int, int]:
    """Plain Tempest on what hvrt ran: seconds, tests of the parallel and isolated phases."""
    result = json.loads((run_dir / profile / "results.json").read_text())
    facts = result["facts"]["tempest"]
    workspace = Path(facts["workspace"])
    concurrency = int(result["profile"]["tempest"]["concurrency"])
    tempest = str(venvs.venv_bin("tempest", "tempest"))
    # the cache Tempest's plugin loader used in hvrt's run (a plain user's ~/.cache is warm too)
    env = {**os.environ, "XDG_CACHE_HOME": facts.get("cache_home") or str(workspace.parent / ".cache")}
    conf = ["--config-file", str(workspace / "etc" / "tempest.conf")]
    phases = [(p, workspace / f"hvrt-{p}-1.list") for p in ("parallel", "isolated")]
    counts = {p: len(lst.read_text().split()) if lst.is_file() else 0 for p, lst in phases}
    started = time.perf_counter()
    for phase, load_list in phases:
        if not counts[phase]:
            continue
        mode = ["--concurrency", str(concurrency)] if phase == "parallel" else ["--serial"]
        proc = subprocess.run([tempest, "run", "--subunit", *mode, *conf, "--load-list", str(load_list)],
                              cwd=workspace, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if proc.returncode not in (0, 1):
            sys.exit(f"tempest run exited {proc.returncode}:\n{proc.stderr.decode(errors='replace')[-3000:]}")
    return time.perf_counter() - started, counts["parallel"], counts["isolated"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=ROOT / "examples" / "sandbox" / "hvrt.yaml")
    parser.add_argument("-p", "--profile", default="2012r2-vhdx")
    parser.add_argument("--rounds", type=int, default=5,
                        help="rounds, the first a warm-up (at least 2; an odd number pairs the orders)")
    args = parser.parse_args()
    if not os.environ.get("HVRT_SANDBOX_PASSWORD"):
        sys.exit("set HVRT_SANDBOX_PASSWORD first (any value)")
    if args.rounds < 2:
        sys.exit("--rounds: at least 2 (round 1 is a warm-up)")
    hvrt_total = plain_total = 0.0
    print("load average: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()), flush=True)
    with tempfile.TemporaryDirectory(prefix="hvrt-bench-tempest-") as tmp:
        previous: Path | None = None
        for n in range(args.rounds):
            plain_first = previous is not None and n % 2 == 1
            if plain_first:
                plain_seconds, parallel, isolated = plain_round(previous, args.profile)
            run_dir = hvrt_round(args.config, args.profile, Path(tmp), first=n == 0)
            hvrt_seconds = test_stage_seconds(run_dir, args.profile)
            if not plain_first:
                plain_seconds, parallel, isolated = plain_round(run_dir, args.profile)
            previous = run_dir
            if n:
                hvrt_total += hvrt_seconds
                plain_total += plain_seconds
            order = "plain, then hvrt" if plain_first else "hvrt, then plain"
            print(f"round {n + 1}{' (warm-up)' if not n else ''} ({order}): {parallel} parallel + {isolated} "
                  f"isolated tests   hvrt test stage {hvrt_seconds:.1f} s   plain tempest run {plain_seconds:.1f} s",
                  flush=True)
    print("load average: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(f"hvrt test stage: {hvrt_total:.1f} s   plain tempest run: {plain_total:.1f} s   "
          f"(rounds 2-{args.rounds})")
    print(f"hvrt / plain: {hvrt_total / plain_total:.2f}  (target <= 1.05)")

if __name__ == "__main__":
    main()
