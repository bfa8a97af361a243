"""``hvrt`` entry point: parse the verb, run it, turn errors into exit codes.

Each verb lives in its own module of this package with two functions:
``register(subparsers) -> argparse.ArgumentParser`` adds the verb's parser, and the
parser's ``handler`` default (``func(args) -> int``) runs it. :data:`COMMANDS` lists
the modules in the order ``--help`` shows them. Installed plugins then add their own
verbs and ``hvrt run`` options through the ``hvrt_cli`` hook (``hvrt report`` is the
html plugin's).
"""
from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

from hvrt import __version__
from hvrt.errors import ExitCode, HvrtError

COMMANDS = (
    "run", "plan", "profiles", "plugins", "config", "import_legacy", "sandbox",
)

EPILOG = """\
exit codes:
  0    every scenario passed
  1    tests failed (the run itself worked)
  2    configuration or usage error (the message names file:line:column and key)
  3    infrastructure error (a node, controller or service failed; see the log)
  130  interrupted (Ctrl-C); finished results are kept, continue with --resume

environment:
  HVRT_DISABLE_PLUGINS  comma-separated plugin names not to load
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hvrt",
        description="Hyper-V Release Tests: run Tempest over a matrix of Hyper-V scenarios "
        "(provision, configure, deploy, test, collect, report) and publish the results.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"hvrt {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv: debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    verbs: dict[str, argparse.ArgumentParser] = {}
    for name in COMMANDS:
        cmd = importlib.import_module(f"hvrt.cli.{name}").register(sub)
        cmd.formatter_class = argparse.RawDescriptionHelpFormatter
        if cmd.epilog is None:
            cmd.epilog = EPILOG
        verbs[name] = cmd
    _add_plugin_verbs(sub, verbs["run"])
    return parser


def _add_plugin_verbs(sub: argparse._SubParsersAction, run_parser: argparse.ArgumentParser) -> None:  # type: ignore[type-arg]
    """Let every installed plugin add verbs and ``hvrt run`` options (``hvrt_cli``)."""
    from hvrt.cli.registry import CommandLine
    from hvrt.plugins import available_entry_points, create_plugin_manager, disabled_plugins

    names = sorted(set(available_entry_points()) - disabled_plugins())
    cli = CommandLine(sub, run_parser, EPILOG)
    create_plugin_manager(names).hook.hvrt_cli(cli=cli)
    run_parser.set_defaults(plugin_options=tuple(cli.run_option_dests))


def add_config_option(parser: argparse.ArgumentParser) -> None:
    """The ``--config`` option every verb that reads hvrt.yaml shares."""
    parser.add_argument(
        "-c", "--config", default="hvrt.yaml", metavar="PATH",
        help="the configuration file (default: ./hvrt.yaml)",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    console = logging.StreamHandler(sys.stderr)
    console.setLevel(logging.WARNING - 10 * min(args.verbose, 2))
    console.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(console)
    if not getattr(args, "handler", None):
        parser.print_help()
        return ExitCode.CONFIG_ERROR
    try:
        return int(args.handler(args))
    except HvrtError as exc:
        print(f"hvrt: error: {exc}", file=sys.stderr)
        detail = getattr(exc, "detail", "")
        if detail:
            print(detail, file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        print("hvrt: interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    except BrokenPipeError:  # output piped into `head`: not an error of hvrt's
        sys.stderr.close()
        return int(ExitCode.OK)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
