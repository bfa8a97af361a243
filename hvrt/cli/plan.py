"""``hvrt plan``: show what a run would do, scenario by scenario, without touching the lab.

Uses the same loading and selection as ``hvrt run`` (plugin-contributed profiles
included), so the plan is the run's plan: candidate nodes and controllers, image,
network, memory, live migration, Tempest suite and the INI overrides of each node.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from hvrt.cli.main import JSON_SCHEMA, add_config_option
from hvrt.config.describe import image_text, memory_text, network_text, scenario_dict, suite_files
from hvrt.config.model import Config, Scenario


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "plan", help="show the scenarios a run would execute and what each needs",
        description="Expand profiles (extends, matrix) into scenarios and show, for each, the "
        "nodes and controllers it may use, its settings, Tempest suite and INI overrides. "
        "Without --profile or --all: the profiles whose include_default is true.",
    )
    add_config_option(parser)
    parser.add_argument("-p", "--profile", action="append", default=[], metavar="NAME",
                        help="plan this profile (repeatable)")
    parser.add_argument("--all", action="store_true", help="plan every (non-abstract) profile")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(handler=plan_command)
    return parser


def load_with_plugins(config_path: str) -> Config:
    """The config as ``hvrt run`` sees it: plugins loaded, their profiles added."""
    from hvrt.runner import prepare

    config, _pm = prepare(config_path)
    return config


def plan_command(args: argparse.Namespace) -> int:
    from hvrt.config import select_scenarios

    config = load_with_plugins(args.config)
    scenarios = select_scenarios(config, args.profile, all=args.all)
    if args.json:
        print(json.dumps({"schema": JSON_SCHEMA, "config": config.path, "release": config.release.name,
                          "scenarios": [scenario_dict(config, s) for s in scenarios]}, indent=2))
        return 0
    print(f"release {config.release.name}: {len(scenarios)} scenario(s) from {config.path}")
    for scenario in scenarios:
        print()
        print("\n".join(describe(scenario)))
    return 0


def _yes(flag: bool | None) -> str:
    return "unset" if flag is None else ("yes" if flag else "no")


def describe(scenario: Scenario) -> list[str]:
    """The text block of one scenario."""
    p = scenario.profile
    title = f"{scenario.name}" + (f" - {p.description}" if p.description else "")
    nodes = ", ".join(scenario.candidate_nodes) or "none"
    how = "pinned" if p.hosts else f"labelled os: {p.os}"
    image = image_text(p) + (", copy-on-write" if p.cow else ", no copy-on-write")
    if p.image.url:
        image += f" ({p.image.url})"
    files = suite_files(p)
    suite = f"suite {p.tempest.suite}, concurrency {p.tempest.concurrency}, attempts {p.tempest.max_attempts}"
    if files:
        suite += " (" + ", ".join(Path(f).name for f in files.values()) + ")"
    extra = len(p.tempest.include) + len(p.tempest.exclude) + len(p.tempest.isolated)
    if extra:
        suite += f", +{extra} listed in the profile"
    lines = [
        title,
        f"  os:              {p.os}",
        f"  nodes:           {scenario.nodes_needed} of {nodes} ({how})",
        f"  controller:      {', '.join(scenario.candidate_controllers) or 'none'}",
        f"  image:           {image}",
        f"  network:         {network_text(p)}",
        f"  memory:          {memory_text(p)}",
        f"  live migration:  {_yes(p.live_migration)}",
        f"  resize to same:  {_yes(p.allow_resize_to_same_host)}",
        f"  hyper-v:         utils api {p.utils_api}, VM generation {p.vm_generation}, "
        f"RemoteFX {_yes(p.remotefx)}",
        f"  tempest:         {suite}",
    ]
    if p.configurator:
        lines.append(f"  configurator:    {p.configurator}")
    if p.devstack_vars:
        lines.append("  devstack:        " + ", ".join(f"{k}={v}" for k, v in p.devstack_vars.items()))
    overrides = [(node, p.ini_for(node)) for node in scenario.candidate_nodes]
    overrides = [(node, ini) for node, ini in overrides if ini]
    if overrides:
        lines.append("  ini overrides:")
        for node, ini in overrides:
            lines.append(f"    {node}:")
            for fname, sections in ini.items():
                for section, values in sections.items():
                    for key, value in values.items():
                        lines.append(f"      {fname} [{section}] {key} = {value}")
    return lines
