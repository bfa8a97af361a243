"""``hvrt run``: run scenarios end to end and publish their results."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from hvrt.cli.main import add_config_option
from hvrt.context import RunOptions
from hvrt.progress import Progress

DESCRIPTION = """\
Run scenarios through provision -> configure -> deploy -> test -> collect -> report ->
teardown and write the results tree <results>/<release>/<run-id>/.

Without --profile or --all, runs the profiles whose include_default is true.
Scenarios whose nodes are disjoint run at the same time (--jobs). A run that was
interrupted or crashed continues with --resume RUN_DIR: finished scenarios (passed
or failed) are kept, the others run again.
"""


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    parser = sub.add_parser("run", help="run scenarios and report", description=DESCRIPTION)
    add_config_option(parser)
    parser.add_argument("-p", "--profile", action="append", default=[], metavar="NAME",
                        help="a profile to run (repeatable)")
    parser.add_argument("--all", action="store_true", help="run every profile of the config")
    parser.add_argument("-j", "--jobs", type=int, default=1, metavar="N",
                        help="scenarios to run at the same time (default: 1)")
    parser.add_argument("--resume", metavar="RUN_DIR", type=Path,
                        help="continue an interrupted run in RUN_DIR")
    parser.add_argument("--dry-run", action="store_true",
                        help="plan and print what would run; touch no host")
    parser.add_argument("--results", default="results", type=Path, metavar="DIR",
                        help="root of the results tree (default: ./results)")
    parser.add_argument("--fail-fast", action="store_true",
                        help="start no new scenario after one fails or errors")
    parser.add_argument("--json", action="store_true",
                        help="print the run summary as JSON on stdout")
    parser.set_defaults(handler=run_command)
    return parser


def run_command(args: argparse.Namespace) -> int:
    from hvrt.runner import RunRequest, execute

    if args.jobs < 1:
        from hvrt.errors import UsageError

        raise UsageError("--jobs must be at least 1")
    extra = {dest: getattr(args, dest) for dest in getattr(args, "plugin_options", ())}
    options = RunOptions(jobs=args.jobs, fail_fast=args.fail_fast, dry_run=args.dry_run,
                         resume=args.resume is not None, json=args.json, extra=extra)
    request = RunRequest(config_path=args.config, profiles=args.profile, all=args.all,
                         results=args.results, options=options, resume_dir=args.resume)
    if args.dry_run:
        outcome = execute(request)
        names = [s.name for s in outcome.scenarios]
        if args.json:
            print(json.dumps({"run_dir": str(outcome.run_dir), "would_run": names}, indent=2))
        else:
            for name in names:
                print(name)
        return int(outcome.exit_code)
    with Progress(total=0) as progress:
        outcome = execute(request, progress=_counting(progress))
    summary = outcome.summary
    if args.json:
        data = summary.to_dict() | {"run_dir": str(outcome.run_dir), "exit_code": int(outcome.exit_code)}
        print(json.dumps(data, indent=2, sort_keys=True))
    else:
        print(_table(summary), file=sys.stdout)
        print(f"\nresults: {outcome.run_dir}", file=sys.stdout)
        index = outcome.run_dir / "index.html"
        if index.exists():
            print(f"report:  {index}", file=sys.stdout)
    return int(outcome.exit_code)


def _counting(progress: Progress):  # type: ignore[no-untyped-def]
    def callback(scenario: str, event: str, detail: str) -> None:
        if event == "start":
            progress.total = max(progress.total, progress.done + 1 + len(progress._running))
        progress(scenario, event, detail)

    return callback


def _table(summary) -> str:  # type: ignore[no-untyped-def]
    from hvrt.results.console import console_table

    return console_table(summary)
