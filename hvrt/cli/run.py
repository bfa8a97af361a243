"""``hvrt run``: run scenarios end to end and publish their results."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from hvrt.cli.main import JSON_SCHEMA, add_config_option, error_object, find_config
from hvrt.config.release import ReleaseOverrides
from hvrt.config.values import MAX_CONCURRENCY
from hvrt.context import DESTROY_POLICIES, RunOptions
from hvrt.errors import UsageError
from hvrt.preflight import DEFAULT_TIMEOUT
from hvrt.progress import Progress
from hvrt.results.layout import DIR_MODE, FILE_MODE
from hvrt.stages import STAGES

DESCRIPTION = """\
Run scenarios through provision -> configure -> deploy -> test -> collect -> report ->
teardown and write the results tree <results>/<release>/<run-id>/.

Without --profile or --all, runs the profiles whose include_default is true.
Before the first scenario starts, every host the run may use is checked (the checks
of `hvrt preflight`); a host that fails stops the run at once (exit 3) unless
--skip-unhealthy leaves it out, and then only the scenarios that cannot run without
it are skipped. Scenarios whose nodes are disjoint run at the same time (--jobs). A
run that was interrupted or crashed continues with --resume RUN_DIR: finished
scenarios (passed or failed) are kept, the others run again.

--rerun-failed RUN_DIR starts a new run of only the failed and errored tests of
RUN_DIR, scenario by scenario, on a freshly deployed cloud or, with
--reuse-deployment, on the cloud RUN_DIR left deployed. --stages and --from run part
of the pipeline (plan, collect, report and teardown always run; the others are
recorded as skipped); selecting test without deploy tests the deployment an earlier
run recorded (the newest under --results, or --reuse-deployment RUN_DIR).

--installer URL_OR_PATH [--sha256 HEX] and --devstack-branch REF override the
release of the config (like the legacy `run.sh MSI_URL BRANCH`), checked by the same
rules as release.installer and release.devstack.branch; run.json records them, so
--resume keeps them. A run that configures nodes or deploys DevStack without an
installer or a branch from either stops with exit 2 before anything starts.

--destroy decides what teardown removes after each scenario: always (uninstall the
compute MSI from the nodes, unstack.sh on the controller), passing (only after a
passed scenario: a failed lab stays up for debugging) or never. The default is
always, and never when --stages, --from or --reuse-deployment runs part of the
pipeline (such a run is meant to leave a lab up, or to test one left up).
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
    parser.add_argument("--file-mode", type=_octal, default=FILE_MODE, metavar="OCTAL",
                        help="permission bits of the files of the results tree (default: 0644, readable "
                        "by a web server's user)")
    parser.add_argument("--dir-mode", type=_octal, default=DIR_MODE, metavar="OCTAL",
                        help="permission bits of its folders (default: 0755)")
    parser.add_argument("--fail-fast", action="store_true",
                        help="start no new scenario after one fails or errors")
    parser.add_argument("--json", action="store_true",
                        help="print the run summary as JSON on stdout")
    parser.add_argument("--no-progress", action="store_true", help="print no progress lines on stderr")
    checks = parser.add_argument_group("pre-flight")
    checks.add_argument("--no-preflight", action="store_true",
                        help="do not check the hosts before the first scenario (each provision stage still does)")
    checks.add_argument("--skip-unhealthy", action="store_true",
                        help="leave hosts that fail pre-flight out of the run instead of stopping it")
    checks.add_argument("--preflight-timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=f"seconds one host's checks may take (default: {DEFAULT_TIMEOUT:.0f})")
    part = parser.add_argument_group("part of a run")
    part.add_argument("--rerun-failed", metavar="RUN_DIR", type=Path,
                      help="a new run of only the failed and errored tests of RUN_DIR")
    part.add_argument("--reuse-deployment", nargs="?", const=True, default=None, metavar="RUN_DIR",
                      help="skip configure and deploy: test the cloud recorded by RUN_DIR (default: the "
                           "--rerun-failed run, else the newest run that recorded one)")
    part.add_argument("--stages", action="append", metavar="A,B",
                      help=f"run only these stages ({', '.join(STAGES)})")
    part.add_argument("--from", dest="from_stage", metavar="STAGE",
                      help="run the pipeline from STAGE on (e.g. --from test)")
    part.add_argument("--destroy", choices=DESTROY_POLICIES, default=None,
                      help="what teardown removes: always (default), passing (only after a passed scenario) "
                           "or never (default with --stages, --from, --reuse-deployment)")
    add_release_options(parser)
    parser.set_defaults(handler=run_command, config_optional=True)
    return parser


def add_release_options(parser: argparse.ArgumentParser) -> None:
    """``--installer``, ``--sha256`` and ``--devstack-branch`` (``hvrt run``, ``plan``, ``config validate``)."""
    group = parser.add_argument_group("release overrides (instead of release: in the config)")
    group.add_argument("--installer", metavar="URL_OR_PATH",
                       help="the compute installer: an https:// or file:// URL (http:// with --sha256), or a "
                            "local MSI path")
    group.add_argument("--sha256", metavar="HEX", help="the installer's SHA-256 (64 hexadecimal digits)")
    group.add_argument("--devstack-branch", metavar="REF", help="the DevStack branch or tag to deploy")


def overrides_from(args: argparse.Namespace) -> ReleaseOverrides:
    """The release overrides of the command line (checked when applied to the config)."""
    return ReleaseOverrides(getattr(args, "installer", None), getattr(args, "sha256", None),
                            getattr(args, "devstack_branch", None))


def options_from(args: argparse.Namespace) -> RunOptions:
    """The :class:`RunOptions` the command line asks for (usage errors raised)."""
    from hvrt.stages import select_stages

    if not 1 <= args.jobs <= MAX_CONCURRENCY:
        raise UsageError(f"--jobs must be between 1 and {MAX_CONCURRENCY}")
    if args.preflight_timeout <= 0:
        raise UsageError("--preflight-timeout must be positive")
    if args.resume is not None and args.rerun_failed is not None:
        raise UsageError("--resume continues a run; --rerun-failed starts a new one: choose one")
    if args.resume is not None and (args.stages or args.from_stage or args.reuse_deployment):
        raise UsageError("--resume runs what the interrupted run asked for; drop --stages, --from and "
                         "--reuse-deployment")
    overrides = overrides_from(args)
    if args.resume is not None and overrides:
        raise UsageError("--resume applies the release overrides the interrupted run recorded; drop "
                         "--installer, --sha256 and --devstack-branch")
    stages = select_stages(args.stages, args.from_stage)
    reuse = args.reuse_deployment
    extra = {dest: getattr(args, dest) for dest in getattr(args, "plugin_options", ())}
    return RunOptions(
        file_mode=args.file_mode, dir_mode=args.dir_mode,
        jobs=args.jobs, fail_fast=args.fail_fast, dry_run=args.dry_run, resume=args.resume is not None,
        json=args.json, extra=extra, preflight=not args.no_preflight, skip_unhealthy=args.skip_unhealthy,
        preflight_timeout=args.preflight_timeout, stages=stages, rerun_failed=args.rerun_failed,
        reuse_deployment=reuse is not None, deployment_from=Path(reuse) if isinstance(reuse, str) else None,
        destroy=args.destroy, installer=overrides.installer, sha256=overrides.sha256,
        devstack_branch=overrides.devstack_branch,
    )


def run_command(args: argparse.Namespace) -> int:
    from hvrt.runner import RunRequest, execute

    options = options_from(args)
    config = args.config
    if config is None:
        config = None if (args.resume is not None or args.rerun_failed is not None) else find_config()
    request = RunRequest(config_path=config, profiles=args.profile, all=args.all,
                         results=args.results, options=options, resume_dir=args.resume)
    if args.dry_run:
        outcome = execute(request)
        names = [s.name for s in outcome.scenarios]
        if args.json:
            print(json.dumps({"schema": JSON_SCHEMA, "run_dir": str(outcome.run_dir), "would_run": names,
                              "stages": list(options.stages) if options.stages else None}, indent=2))
        else:
            for name in names:
                print(name)
        return int(outcome.exit_code)
    quiet = getattr(args, "verbosity", 0) < 0
    with Progress(total=0, enabled=not (args.no_progress or quiet)) as progress:
        outcome = execute(request, progress=_counting(progress))
    summary = outcome.summary
    if outcome.error is not None:
        print(f"hvrt: error: {outcome.error}", file=sys.stderr)
        if outcome.error.detail:
            print(outcome.error.detail, file=sys.stderr)
        print(f"hvrt: no scenario started; fix the host{'s' if len(outcome.error.report.unhealthy) > 1 else ''} "
              "and run again, or pass --skip-unhealthy", file=sys.stderr)
    if args.json:
        data = summary.to_dict() | {"schema": JSON_SCHEMA, "run_dir": str(outcome.run_dir),
                                    "exit_code": int(outcome.exit_code)}
        if outcome.preflight is not None:
            data["preflight"] = outcome.preflight.to_dict()
        if outcome.error is not None:
            data["error"] = error_object(outcome.error)["error"]
        print(json.dumps(data, indent=2, sort_keys=True))
    else:
        if outcome.error is not None and outcome.preflight is not None:
            print(outcome.preflight.table(), file=sys.stdout)
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


def _octal(text: str) -> int:
    """``0644`` / ``644`` -> 0o644; owner read and write are required (hvrt rewrites its files)."""
    try:
        mode = int(text, 8)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an octal mode such as 0644") from None
    if not 0 <= mode <= 0o777 or mode & 0o600 != 0o600:
        raise argparse.ArgumentTypeError(f"{text!r}: a mode up to 0777 that lets the owner read and write")
    return mode
