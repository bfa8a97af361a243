"""``hvrt profiles``: list every profile of the config in one table (or JSON)."""
from __future__ import annotations

import argparse
import json

from tabulate import tabulate

from hvrt.cli.main import add_config_option
from hvrt.config.describe import image_text, network_text, profile_dict

HEADERS = ["profile", "extends", "os", "image", "network", "live migration", "suite", "default"]


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "profiles", help="list the profiles of the config",
        description="One row per profile (abstract bases in brackets): what it extends, os, "
        "image, network, live migration, Tempest suite and whether a plain `hvrt run` "
        "includes it.",
    )
    add_config_option(parser)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(handler=profiles_command)
    return parser


def profiles_command(args: argparse.Namespace) -> int:
    from hvrt.cli.plan import load_with_plugins

    config = load_with_plugins(args.config)
    profiles = list(config.profiles.values())
    if args.json:
        print(json.dumps({"schema": 1, "profiles": [profile_dict(p) for p in profiles]}, indent=2))
        return 0
    rows = [
        (f"[{p.name}]" if p.abstract else p.name, ", ".join(p.extends), p.os,
         image_text(p) + ("" if p.cow else " nocow"), network_text(p),
         "yes" if p.live_migration else "no", p.tempest.suite,
         "-" if p.abstract else ("yes" if p.include_default else "no"))
        for p in profiles
    ]
    print(tabulate(rows, headers=HEADERS))
    return 0
