#!/usr/bin/env python3
"""hvrt's reports against os-testr's ``subunit2html`` on one large subunit stream.

Writes a subunit v2 stream of N tests (default 15,000; 2% fail with a traceback;
every test carries 30 lines of captured logging, like Tempest's), then measures in
separate child processes, each alone:

  hvrt:        parse_subunit + results.html + junit.xml + results.json
  subunit2html (os-testr): the stream -> one HTML page

and prints time and peak memory (max RSS of the child, from getrusage) of hvrt
divided by those of subunit2html. Targets: time ratio < 1, memory ratio <= 1.

Usage: python3 bench/report.py [--tests N] [--keep DIR]
Needs: pip install os-testr (for subunit2html).
"""
from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import subunit

HVRT_CHILD = """
import sys
from pathlib import Path
from hvrt.results import ScenarioResult, ScenarioStatus
from hvrt.results.store import ResultsStore
from hvrt.subunit import parse_subunit
from hvrt_html.writers import write_scenario_reports
stream, out = Path(sys.argv[1]), Path(sys.argv[2])
tests = parse_subunit(stream)
result = ScenarioResult("bench", ScenarioStatus.FAILED, tests=tests, artifacts=[])
store = ResultsStore(out)
write_scenario_reports(store, out, store.write_result(result, folder=out))
print(len(tests))
"""


def generate(path: Path, tests: int, fail_every: int = 50, lines: int = 30) -> None:
    """A stream shaped like a Tempest run: four workers, inprogress/attachment/status."""
    clock = dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc)
    step = dt.timedelta(milliseconds=37)
    with path.open("wb") as fh:
        out = subunit.StreamResultToBytes(fh)
        for i in range(tests):
            test_id = (f"tempest.api.compute.servers.test_mod{i // 100}.ServersTest{i % 7}"
                       f".test_case_{i}[id-{i:08x}-0000-4000-8000-000000000000,smoke]")
            route, tags = str(i % 4), {f"worker-{i % 4}"}
            out.status(test_id=test_id, test_status="inprogress", timestamp=clock, route_code=route, test_tags=tags)
            log = "".join(
                f"2024-05-01 10:00:{j:02d}.123 4242 INFO tempest.lib.common.rest_client [req-{i}-{j}] "
                f"Request (ServersTest{i % 7}:test_case_{i}): 200 GET http://127.0.0.1:8774/v2.1/servers/{i} 0.012s\n"
                for j in range(lines))
            out.status(test_id=test_id, file_name="pythonlogging:''", file_bytes=log.encode(),
                       mime_type="text/plain; charset=utf8", eof=True, route_code=route, timestamp=clock)
            clock += step
            if i % fail_every == 7:
                trace = (f'Traceback (most recent call last):\n  File "tempest/api/compute/servers/test_mod.py", '
                         f"line {i}, in test_case_{i}\n    self.assertEqual(200, resp.status)\n"
                         f"AssertionError: 200 != 500 <server {i}>\n")
                out.status(test_id=test_id, file_name="traceback", file_bytes=trace.encode(),
                           mime_type="text/x-traceback; charset=utf8", eof=True, route_code=route, timestamp=clock)
                out.status(test_id=test_id, test_status="fail", timestamp=clock, route_code=route, test_tags=tags)
            else:
                out.status(test_id=test_id, test_status="success", timestamp=clock, route_code=route, test_tags=tags)


def measure(argv: list[str], cwd: Path) -> tuple[float, int]:
    """Wall time and peak RSS (KiB, getrusage of that child via wait4) of one child."""
    pid_start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - pid_start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{argv[0]} failed ({proc.returncode}): {proc.stderr.read().decode()[-2000:]}")
    return elapsed, usage.ru_maxrss


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tests", type=int, default=15_000)
    parser.add_argument("--keep", type=Path, help="keep the stream and the reports in this folder")
    args = parser.parse_args()
    if importlib.util.find_spec("os_testr") is None:
        raise SystemExit("subunit2html not found: pip install os-testr")
    work = args.keep or Path(tempfile.mkdtemp(prefix="hvrt-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        stream = work / "bench.subunit"
        generate(stream, args.tests)
        size = stream.stat().st_size / 1e6
        print(f"stream: {args.tests} tests, {size:.1f} MB")
        hvrt_time, hvrt_rss = measure([sys.executable, "-c", HVRT_CHILD, str(stream), str(work / "hvrt")], work)
        base_time, base_rss = measure([sys.executable, "-m", "os_testr.subunit2html", str(stream), str(work / "subunit2html.html")], work)
        print(f"hvrt (parse + HTML + JUnit + JSON): {hvrt_time:6.2f} s  {hvrt_rss / 1024:7.1f} MiB peak")
        print(f"subunit2html (HTML only):           {base_time:6.2f} s  {base_rss / 1024:7.1f} MiB peak")
        print(f"time ratio   hvrt / subunit2html = {hvrt_time / base_time:.2f}  (target < 1)")
        print(f"memory ratio hvrt / subunit2html = {hvrt_rss / base_rss:.2f}  (target <= 1)")
        return 0 if hvrt_time < base_time and hvrt_rss <= base_rss else 1
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
