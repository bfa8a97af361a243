"""``hvrt config validate``: load and check a configuration, report every problem.

Exit 0 with ``ok: N profiles, M scenarios``; exit 2 with one line per error, each
naming file:line:column and key. Warnings (e.g. a password written inline) go to
stderr and do not fail the check. What a run would need and the file leaves out (the
installer when a node gets the MSI, the DevStack branch when DevStack deploys) is an
error too, naming the key and the ``hvrt run`` option that supplies it; the same
options given to ``validate`` stand in for them.
"""
from __future__ import annotations

import argparse
import sys

from hvrt.cli.main import add_config_option
from hvrt.cli.run import add_release_options, overrides_from


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "config", help="check the configuration file",
        description="Work with hvrt.yaml. `hvrt config validate` loads it with the plugins it "
        "enables and reports every error with its file:line:column and key.",
    )
    actions = parser.add_subparsers(dest="config_action", metavar="ACTION")
    validate = actions.add_parser("validate", help="check the file; exit 2 on any error",
                                  description="Load the file, its plugins and their profiles; "
                                  "print `ok: N profiles, M scenarios` or the errors. A run's missing "
                                  "installer or DevStack branch is an error unless --installer / "
                                  "--devstack-branch supply it.")
    add_config_option(validate)
    add_release_options(validate)
    validate.set_defaults(handler=validate_command)
    parser.set_defaults(handler=lambda _args: _usage(parser))
    return parser


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_usage(sys.stderr)
    print("hvrt config: error: choose an action: validate", file=sys.stderr)
    return 2


def validate_command(args: argparse.Namespace) -> int:
    from hvrt.cli.plan import load_with_plugins
    from hvrt.config import select_scenarios
    from hvrt.config.release import raise_if_missing

    config = load_with_plugins(args.config, overrides_from(args))
    for warning in config.warnings:
        print(f"hvrt: warning: {warning}", file=sys.stderr)
    raise_if_missing(config, select_scenarios(config, [], all=True))
    scenarios = config.scenario_profiles()
    print(f"ok: {len(config.profiles)} profiles, {len(scenarios)} scenarios")
    return 0
