"""``hvrt report`` (added by the html plugin): rebuild, compare, merge and render reports from files on disk.

Subcommands (each reads only the results tree, never the lab):

* ``compare BASELINE_RUN RUN`` — regressions, fixes, new flaky tests, tests that
  appeared or vanished; writes comparison.html/json (exit 1 when anything regressed);
* ``render RUN_DIR`` — rebuild every report of a run from its results.json files
  (``hvrt_report_run`` of every reporter, as at the end of a run);
* ``from-subunit STREAM -o DIR`` — reports of any subunit v2 stream;
* ``merge RUN_DIR... -o OUT`` — one run folder, one index, from several runs.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from hvrt.errors import ExitCode, UsageError
from hvrt.results import ScenarioResult, ScenarioStatus
from hvrt.results.layout import RESULTS_HTML, TEMPEST_SUBUNIT
from hvrt.results.store import ResultsStore

if TYPE_CHECKING:
    from hvrt.cli.registry import CommandLine

DESCRIPTION = """\
Work on results trees written by `hvrt run`:

  compare BASELINE_RUN RUN [-o DIR] [--json]   what changed between two runs
  render RUN_DIR                               rebuild every report of a run
  from-subunit STREAM -o DIR [--name NAME]     reports of a subunit v2 stream
  merge RUN_DIR... -o OUT [--link]             join runs into one run folder

compare exits 1 when a test regressed; from-subunit exits 1 when a test failed.
"""


def register(cli: CommandLine) -> None:
    """Add ``hvrt report`` and its sub-verbs, and ``hvrt run --baseline``."""
    cli.add_run_option("--baseline", type=Path, metavar="RUN_DIR",
                       help="compare against an earlier run: comparison.html/json in the run folder")
    parser = cli.add_command("report", help="compare, render, merge reports", description=DESCRIPTION,
                             handler=lambda _args: _usage(parser))
    verbs = parser.add_subparsers(dest="report_command", metavar="SUBCOMMAND")

    compare = verbs.add_parser("compare", help="compare a run with a baseline run")
    compare.add_argument("baseline", type=Path, metavar="BASELINE_RUN")
    compare.add_argument("run", type=Path, metavar="RUN")
    compare.add_argument("-o", "--output", type=Path, metavar="DIR",
                         help="where comparison.html/json go (default: RUN)")
    compare.add_argument("--json", action="store_true", help="print the comparison as JSON on stdout")
    compare.set_defaults(handler=compare_command)

    render = verbs.add_parser("render", help="rebuild every report of a run from its JSON files")
    render.add_argument("run", type=Path, metavar="RUN_DIR")
    render.set_defaults(handler=render_command)

    from_subunit = verbs.add_parser("from-subunit", help="render a subunit v2 stream")
    from_subunit.add_argument("stream", metavar="STREAM", help="a subunit v2 file, or - for stdin")
    from_subunit.add_argument("-o", "--output", type=Path, required=True, metavar="DIR")
    from_subunit.add_argument("--name", help="the scenario name shown (default: the file's name)")
    from_subunit.add_argument("--passed-output", action="store_true",
                              help="keep the captured output of passed tests too")
    from_subunit.set_defaults(handler=from_subunit_command)

    merge = verbs.add_parser("merge", help="join several runs into one run folder")
    merge.add_argument("runs", nargs="+", type=Path, metavar="RUN_DIR")
    merge.add_argument("-o", "--output", type=Path, required=True, metavar="OUT")
    merge.add_argument("--link", action="store_true", help="hard-link files instead of copying")
    merge.add_argument("--run-id", help="the merged run's id (default: OUT's name)")
    merge.set_defaults(handler=merge_command)


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return int(ExitCode.CONFIG_ERROR)


def _run_dir(path: Path) -> Path:
    if not path.is_dir():
        raise UsageError(f"{path}: no such run folder")
    return path


def compare_command(args: argparse.Namespace) -> int:
    from hvrt_html.compare import compare_runs, write_comparison

    report = compare_runs(_run_dir(args.baseline), _run_dir(args.run))
    written = write_comparison(ResultsStore(args.output or args.run), report)
    if args.json:
        print(json.dumps({"schema": 1, **report}, indent=2, sort_keys=True))
    else:
        totals = report["totals"]
        print(", ".join(f"{k.replace('_', ' ')}: {v}" for k, v in totals.items()))
        for sc in report["scenarios"]:
            for entry in sc["regressions"]:
                print(f"REGRESSION {sc['name']}: {entry['id']} ({entry['before']} -> {entry['after']})")
        print(f"report: {written[-1]}")
    return int(ExitCode.TEST_FAILURES) if report["totals"]["regressions"] else int(ExitCode.OK)


def render_command(args: argparse.Namespace) -> int:
    from hvrt.runner import render_reports

    run_dir = _run_dir(args.run)
    render_reports(run_dir)
    print(f"report: {run_dir / 'index.html'}")
    return int(ExitCode.OK)


def from_subunit_command(args: argparse.Namespace) -> int:
    from hvrt.subunit import parse_stream, redact_stream
    from hvrt_html.writers import write_scenario_reports

    out: Path = args.output
    store = ResultsStore(out)
    if args.stream == "-":
        raw, name = sys.stdin.buffer.read(), args.name or "stdin"
    else:
        source = Path(args.stream)
        if not source.is_file():
            raise UsageError(f"{source}: no such subunit stream")
        raw, name = source.read_bytes(), args.name or source.stem
    target = store.save(TEMPEST_SUBUNIT, redact_stream(raw, store.redactor), redact=False)
    tests, started, ended = parse_stream(target, passed_details=args.passed_output)
    result = ScenarioResult(name=name, tests=tests, artifacts=[TEMPEST_SUBUNIT], started=started, ended=ended)
    if not tests:
        result.status, result.error = ScenarioStatus.ERROR, "the stream holds no test result"
    elif any(t.status.is_problem for t in tests):
        result.status = ScenarioStatus.FAILED
    else:
        result.status = ScenarioStatus.PASSED
    published = store.write_result(result, folder=out)
    write_scenario_reports(store, out, published)
    counts = result.counts()
    print(", ".join(f"{k}: {v}" for k, v in counts.items() if v) or "no tests")
    print(f"report: {out / RESULTS_HTML}")
    return int(ExitCode.OK) if result.status is ScenarioStatus.PASSED else int(ExitCode.TEST_FAILURES)


def merge_command(args: argparse.Namespace) -> int:
    from hvrt.runner import render_reports
    from hvrt_html.merge import merge_runs

    summary = merge_runs([_run_dir(p) for p in args.runs], args.output, link=args.link, run_id=args.run_id)
    render_reports(args.output)
    print(f"merged {len(summary.scenarios)} scenarios from {len(args.runs)} runs")
    print(f"report: {args.output / 'index.html'}")
    return int(ExitCode.OK)
