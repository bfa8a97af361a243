"""``hvrt list-tests`` (added by the tempest plugin): the concrete Tempest tests a scenario's suite selects, without running them.

The include / exclude / isolated lists and the skip / xfail maps of the profile are
applied by the Tempest plugin's own selection code (``hvrt_tempest.selection``, the
code a run uses) to the tests Tempest knows: ``tempest run --list-tests`` on the
scenario's controller (in a scratch workspace, so no cloud is needed), or a listing
saved earlier (``--from-file``). The text output is a valid include list: ``#``
lines are comments.
"""
from __future__ import annotations

import argparse
import json
import shlex
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hvrt.cli.main import CODES, JSON_SCHEMA, add_config_option, exit_epilog
from hvrt_tempest import selection
from hvrt_tempest.lists import load_suite
from hvrt_tempest.runner import list_available

if TYPE_CHECKING:
    from hvrt.cli.registry import CommandLine

DESCRIPTION = """\
Print the Tempest test ids the include / exclude / isolated lists of a profile's
suite select (parallel ones first, then the isolated ones), and the tests its skip
map leaves out, without running anything. The tests Tempest knows come from
`tempest run --list-tests` on the scenario's controller (the Tempest command: --tempest,
else the one the newest run under --results deployed, else `tempest`), or from a saved
listing with --from-file (e.g. the output of `tempest run --list-tests`).
"""

LIST_TIMEOUT = 900.0


def register(cli: CommandLine) -> None:
    """Add ``hvrt list-tests``."""
    parser = cli.add_command("list-tests", help="the Tempest tests a profile selects, without running them",
                             description=DESCRIPTION, handler=list_tests_command, epilog=exit_epilog({
                                 0: "the selected tests were printed", 2: CODES[2],
                                 3: "the controller or Tempest could not list the tests", 130: CODES[130]}))
    add_config_option(parser)
    parser.add_argument("-p", "--profile", action="append", default=[], metavar="NAME",
                        help="the profile whose suite to apply (repeatable)")
    parser.add_argument("--all", action="store_true", help="every profile")
    parser.add_argument("--from-file", type=Path, metavar="FILE",
                        help="a saved `tempest run --list-tests` listing instead of asking the controller")
    parser.add_argument("--tempest", metavar="CMD",
                        help="the Tempest command on the controller (e.g. a venv's bin/tempest)")
    parser.add_argument("--results", default="results", type=Path, metavar="DIR",
                        help="where earlier runs are, for the Tempest command they deployed (default: ./results)")
    parser.add_argument("--timeout", type=float, default=LIST_TIMEOUT, metavar="SECONDS",
                        help=f"seconds the listing may take on the controller (default: {LIST_TIMEOUT:.0f})")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def _tempest_command(args: argparse.Namespace, config: Any, scenario: Any) -> tuple[str, list[str]]:
    """The controller and Tempest command to list with."""
    from hvrt.errors import UsageError
    from hvrt.rerun import find_deployment

    if args.tempest:
        return scenario.candidate_controllers[0], shlex.split(args.tempest)
    try:
        recorded = find_deployment(scenario.name, source=None, results=args.results, release=config.release.name)
    except UsageError:
        return scenario.candidate_controllers[0], ["tempest"]
    record = recorded.record
    controller = str(record.get("controller") or scenario.candidate_controllers[0])
    return controller, list(record.get("tempest_command") or ["tempest"])


def _listing(args: argparse.Namespace, run: Any, scenario: Any, cache: dict[Any, list[str]]) -> tuple[str, list[str]]:
    from hvrt.errors import InfrastructureError, UsageError

    if args.from_file is not None:
        try:
            text = args.from_file.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--from-file {args.from_file}: {exc.strerror or exc}") from None
        return f"file {args.from_file}", selection.parse_listing(text)
    if not scenario.candidate_controllers:
        raise UsageError(f"scenario {scenario.name!r} has no controller to list the tests on; use --from-file")
    controller, command = _tempest_command(args, run.config, scenario)
    key = (controller, tuple(command))
    if key not in cache:
        host = run.config.hosts[controller]
        transport = run.pm.hook.hvrt_open_transport(host=host, run=run)
        if transport is None:
            raise InfrastructureError(f"no plugin opens transport {host.transport!r}", host=controller,
                                      step="list-tests")
        try:
            cache[key] = list_available(transport, command, args.timeout)
        finally:
            transport.close()
    return f"`{' '.join(command)} run --list-tests` on {controller}", cache[key]


def list_tests_command(args: argparse.Namespace) -> int:
    from hvrt.config import select_scenarios
    from hvrt.context import RunContext
    from hvrt.errors import UsageError
    from hvrt.redact import Redactor
    from hvrt.runner import prepare

    if args.from_file is not None and args.tempest:
        raise UsageError("--from-file and --tempest exclude each other")
    if not args.profile and not args.all:
        raise UsageError("name the profile(s) with -p NAME, or --all")
    config, pm = prepare(args.config)
    scenarios = select_scenarios(config, args.profile, all=args.all)
    cache: dict[Any, list[str]] = {}
    out: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="hvrt-list-tests-") as scratch:
        run = RunContext(config=config, pm=pm, run_id="list-tests", run_dir=Path(scratch),
                         redactor=Redactor(s.reveal() for s in config.secrets))
        for scenario in scenarios:
            suite = load_suite(scenario.profile.tempest, config.path)
            source, known = _listing(args, run, scenario, cache)
            chosen = selection.select(known, suite)
            out.append({"name": scenario.name, "suite": scenario.profile.tempest.suite, "source": source,
                        "listed": len(known), "lists": list(suite.sources), "summary": chosen.summary(),
                        "parallel": chosen.parallel, "isolated": chosen.isolated,
                        "skipped": chosen.skipped, "xfail": chosen.xfail})
    if args.json:
        print(json.dumps({"schema": JSON_SCHEMA, "config": config.path, "scenarios": out}, indent=2))
    else:
        print("\n".join(_text(entry) for entry in out))
    for entry in out:
        if not entry["parallel"] and not entry["isolated"]:
            print(f"hvrt: warning: the suite of {entry['name']} selects none of the {entry['listed']} "
                  "tests listed; a run of it would error", file=sys.stderr)
    return 0


def _text(entry: dict[str, Any]) -> str:
    s = entry["summary"]
    lines = [f"# {entry['name']}: suite {entry['suite']}, {entry['listed']} tests listed by {entry['source']}",
             f"# selected {s['parallel'] + s['isolated']} ({s['parallel']} parallel, {s['isolated']} isolated), "
             f"{s['skipped']} skipped, {s['xfail']} expected to fail",
             *entry["parallel"]]
    if entry["isolated"]:
        lines.append("# isolated: run after the others, one at a time")
        lines += entry["isolated"]
    for test_id, reason in entry["skipped"].items():
        lines.append(f"# skipped: {test_id}  ({reason})")
    return "\n".join(lines)
