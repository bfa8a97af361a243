"""``hvrt plugins``: list the plugins a config loads, with their hooks."""
from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from tabulate import tabulate

from hvrt.cli.main import add_config_option, find_config
from hvrt.errors import UsageError
from hvrt.plugins import available_entry_points, create_plugin_manager, describe_plugins


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "plugins", help="list plugins and the hooks they implement",
        description="List the plugins hvrt loads (core, the config's `plugins:`, or every "
        "installed one with --available): name, distribution, version and hooks.",
    )
    add_config_option(parser)
    parser.add_argument("--available", action="store_true",
                        help="load every installed plugin, not just the config's")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(handler=plugins_command, config_optional=True)
    return parser


def plugins_command(args: argparse.Namespace) -> int:
    if args.config is None:  # no -c: the config the search path finds, else every installed plugin
        try:
            args.config = find_config()
        except UsageError:
            args.available = True
    if args.available or not Path(args.config).exists():
        pm = create_plugin_manager(sorted(available_entry_points()))
    else:
        from hvrt.config import load_config

        pm = create_plugin_manager(load_config(args.config).plugins)
    infos = describe_plugins(pm)
    if args.json:
        print(json.dumps({"schema": 1, "plugins": [asdict(i) for i in infos]}, indent=2))
        return 0
    rows = [(i.name, i.distribution, i.version, ", ".join(h.removeprefix("hvrt_") for h in i.hooks))
            for i in infos]
    print(tabulate(rows, headers=["plugin", "distribution", "version", "hooks"]))
    return 0
