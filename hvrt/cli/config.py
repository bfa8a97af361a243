"""``hvrt config validate``: load and check a configuration, report every problem.

Exit 0 with ``ok: N profiles, M scenarios``; exit 2 with one line per error, each
naming file:line:column and key. Warnings (e.g. a password written inline) go to
stderr and do not fail the check.
"""
from __future__ import annotations

import argparse
import sys

from hvrt.cli.main import add_config_option


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "config", help="check the configuration file",
        description="Work with hvrt.yaml. `hvrt config validate` loads it with the plugins it "
        "enables and reports every error with its file:line:column and key.",
    )
    actions = parser.add_subparsers(dest="config_action", metavar="ACTION")
    validate = actions.add_parser("validate", help="check the file; exit 2 on any error",
                                  description="Load the file, its plugins and their profiles; "
                                  "print `ok: N profiles, M scenarios` or the errors.")
    add_config_option(validate)
    validate.set_defaults(handler=validate_command)
    parser.set_defaults(handler=lambda _args: _usage(parser))
    return parser


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_usage(sys.stderr)
    print("hvrt config: error: choose an action: validate", file=sys.stderr)
    return 2


def validate_command(args: argparse.Namespace) -> int:
    from hvrt.cli.plan import load_with_plugins

    config = load_with_plugins(args.config)
    for warning in config.warnings:
        print(f"hvrt: warning: {warning}", file=sys.stderr)
    scenarios = config.scenario_profiles()
    print(f"ok: {len(config.profiles)} profiles, {len(scenarios)} scenarios")
    return 0
