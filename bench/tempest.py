#!/usr/bin/env python3
"""hvrt's test stage against plain ``tempest run``, on the same Keystone in one run.

1. ``hvrt run`` the sandbox scenario (default ``2012r2-vhdx``) and take its test
   stage's wall time from the run's journal (``stage_start``/``stage_end``).
2. Against the Keystone that run left up, ``tempest run`` by hand in the workspace
   hvrt used (its tempest.conf, the test ids of its parallel phase as
   ``--load-list``, the suite's concurrency), timed the same way.

Prints both wall times and  hvrt test stage / plain tempest run  (target <= 1.05:
what hvrt adds — listing, selection, the stream copy, the isolated phase, retries —
costs at most 5 %).

Needs the sandbox prerequisites (``make demo`` once; the lab is brought up by the
run if it is down). Usage:

    HVRT_SANDBOX_PASSWORD=... python3 bench/tempest.py [--config PATH] [--profile NAME]
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
            elif event["event"] == "stage_end":
                end = event["ts"]
    if start is None or end is None:
        sys.exit(f"the journal of {run_dir} has no test stage of {scenario}")
    return end - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=ROOT / "examples" / "sandbox" / "hvrt.yaml")
    parser.add_argument("-p", "--profile", default="2012r2-vhdx")
    args = parser.parse_args()
    if not os.environ.get("HVRT_SANDBOX_PASSWORD"):
        sys.exit("set HVRT_SANDBOX_PASSWORD first (any value)")
    with tempfile.TemporaryDirectory(prefix="hvrt-bench-tempest-") as tmp:
        proc = subprocess.run([sys.executable, "-m", "hvrt.cli.main", "run", "-c", str(args.config), "-p",
                               args.profile, "--results", tmp, "--json"], capture_output=True, text=True)
        runs = sorted(Path(tmp).glob("*/*/journal.jsonl"))
        if not runs:
            sys.exit(f"hvrt run exited {proc.returncode} before it made a run folder:\n{proc.stderr[-3000:]}")
        if proc.returncode not in (0, 1):  # the test stage may still have run: its journal says
            print(f"hvrt run exited {proc.returncode}:\n{proc.stderr[-1500:]}", file=sys.stderr)
        run_dir = runs[-1].parent
        hvrt_seconds = test_stage_seconds(run_dir, args.profile)
        result = json.loads((run_dir / args.profile / "results.json").read_text())
        facts = result["facts"]["tempest"]
        workspace = Path(facts["workspace"])
        parallel = next(a for a in facts["attempts"] if a["phase"] == "parallel" and a["attempt"] == 1)
        concurrency = int(result["profile"]["tempest"]["concurrency"])
        load_list = workspace / "hvrt-parallel-1.list"
        tempest = str(venvs.venv_bin("tempest", "tempest"))
        env = {**os.environ, "XDG_CACHE_HOME": str(workspace.parent / ".cache")}
        started = time.perf_counter()
        plain = subprocess.run([tempest, "run", "--subunit", "--concurrency", str(concurrency), "--config-file",
                                str(workspace / "etc" / "tempest.conf"), "--load-list", str(load_list)],
                               cwd=workspace, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        plain_seconds = time.perf_counter() - started
        if plain.returncode not in (0, 1):
            sys.exit(f"tempest run exited {plain.returncode}:\n{plain.stderr.decode(errors='replace')[-3000:]}")
    print(f"tests: {parallel['tests']} in the parallel phase, concurrency {concurrency}")
    print(f"hvrt test stage: {hvrt_seconds:.1f} s   plain tempest run: {plain_seconds:.1f} s")
    print(f"hvrt / plain: {hvrt_seconds / plain_seconds:.2f}  (target <= 1.05)")


if __name__ == "__main__":
    main()
