"""``hvrt preflight``: check every host the selected scenarios need, before a long run.

The same checks ``hvrt run`` makes before its first scenario and in each provision
stage (:mod:`hvrt.preflight`): for Hyper-V nodes reachability, logon, OS build and
PowerShell version, the Hyper-V role, clock skew, free disk and WinRM's envelope
size; for controllers reachability, SSH host key, logon, sudo, git and free disk.
All hosts are checked at the same time; the table shows host x check and the fix
of every failure. Nothing is written and no results folder is created.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from hvrt.cli.main import JSON_SCHEMA, add_config_option
from hvrt.preflight import DEFAULT_TIMEOUT, DEFAULT_WORKERS

DESCRIPTION = """\
Reach every host the selected scenarios may use (all their candidate nodes and
controllers), in parallel, and run each check: for Hyper-V nodes reachable, auth,
os, powershell, hyperv, clock_skew, free_disk, max_envelope; for controllers
reachable, host_key, auth, sudo, git, free_disk. Prints a table host x check
(ok / FAIL / - for not run) and the fix for each failure. Without --profile or
--all: the profiles whose include_default is true.
"""


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    parser = sub.add_parser("preflight", help="check the hosts a run needs (reachability, auth, clock, disk, ...)",
                            description=DESCRIPTION)
    add_config_option(parser)
    parser.add_argument("-p", "--profile", action="append", default=[], metavar="NAME",
                        help="check the hosts of this profile (repeatable)")
    parser.add_argument("--all", action="store_true", help="check the hosts of every profile")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=f"seconds one host's checks may take (default: {DEFAULT_TIMEOUT:.0f})")
    parser.add_argument("--workers", type=int, default=DEFAULT_WORKERS, metavar="N",
                        help=f"hosts checked at the same time (default: {DEFAULT_WORKERS})")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(handler=preflight_command)
    return parser


def preflight_command(args: argparse.Namespace) -> int:
    from hvrt.config import select_scenarios
    from hvrt.context import RunContext
    from hvrt.errors import ExitCode, UsageError
    from hvrt.preflight import hosts_for, run_preflight
    from hvrt.redact import Redactor
    from hvrt.runner import prepare

    if args.timeout <= 0 or args.workers < 1:
        raise UsageError("--timeout must be positive and --workers at least 1")
    config, pm = prepare(args.config)
    scenarios = select_scenarios(config, args.profile, all=args.all)
    hosts = hosts_for(config, scenarios)
    redactor = Redactor(s.reveal() for s in config.secrets)
    with tempfile.TemporaryDirectory(prefix="hvrt-preflight-") as scratch:
        run = RunContext(config=config, pm=pm, run_id="preflight", run_dir=Path(scratch), redactor=redactor)
        report = run_preflight(hosts, run, timeout=args.timeout, workers=args.workers)
    code = ExitCode.OK if report.ok else ExitCode.INFRASTRUCTURE_ERROR
    if args.json:
        data = {**report.to_dict(), "schema": JSON_SCHEMA, "config": config.path,
                "scenarios": [s.name for s in scenarios], "exit_code": int(code)}
        print(redactor.text(json.dumps(data, indent=2)))
    else:
        print(redactor.text(report.table()))
    if not report.ok:
        bad = ", ".join(report.unhealthy)
        print(f"hvrt: pre-flight failed on {bad}", file=sys.stderr)
    return int(code)
