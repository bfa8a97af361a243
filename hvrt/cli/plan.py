"""``hvrt plan``: show what a run would do, scenario by scenario, without touching the lab.

Uses the same loading and selection as ``hvrt run`` (plugin-contributed profiles
included), so the plan is the run's plan: candidate nodes and controllers, image,
network, memory, live migration, Tempest suite and the INI overrides of each node.
It takes the run's release overrides (``--installer``, ``--sha256``,
``--devstack-branch``).

``--effective`` adds every value derived from (config, scenario, host) before a run:
per candidate node its node state (:mod:`hvrt.nodestate`: MSI features and
properties, each INI value with its origin, vSwitch, live migration, services), the
``local.conf`` the DevStack deployer renders and the tempest.conf values the Tempest
runner sets, every secret masked. The JSON form is documented in ``docs/plan.md``.
The deployer's and runner's parts come from their plugin modules, read only when the
config enables them; nothing connects to a host.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pluggy

from hvrt.cli.main import JSON_SCHEMA, add_config_option
from hvrt.cli.run import add_release_options, overrides_from
from hvrt.config.describe import image_text, memory_text, network_text, scenario_dict, suite_files
from hvrt.config.model import Config, Scenario
from hvrt.config.release import ReleaseOverrides, missing
from hvrt.errors import HvrtError
from hvrt.redact import Redactor

NOT_SET = "(not set)"


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
    parser.add_argument("--effective", action="store_true",
                        help="also every derived value per scenario and host: MSI features and properties, "
                             "INI values with their origin, vSwitch, live migration, local.conf, tempest.conf "
                             "values (secrets masked)")
    add_release_options(parser)
    parser.set_defaults(handler=plan_command)
    return parser


def load_with_plugins(config_path: str, overrides: ReleaseOverrides | None = None) -> Config:
    """The config as ``hvrt run`` sees it: plugins loaded, their profiles added, the
    command line's release overrides applied."""
    return _prepare(config_path, overrides)[0]


def _prepare(config_path: str, overrides: ReleaseOverrides | None) -> tuple[Config, pluggy.PluginManager]:
    from hvrt.runner import prepare

    return prepare(config_path, overrides=overrides)


def plan_command(args: argparse.Namespace) -> int:
    from hvrt.config import select_scenarios

    overrides = overrides_from(args)
    config, pm = _prepare(args.config, overrides)
    scenarios = select_scenarios(config, args.profile, all=args.all)
    effective = [effective_scenario(config, s, pm) for s in scenarios] if args.effective else []
    release = effective_release(config, overrides, scenarios) if args.effective else {}
    code = 2 if any(h.get("error") for e in effective for h in e["nodes"].values()) else 0
    if args.json:
        data: dict[str, Any] = {"schema": JSON_SCHEMA, "config": config.path, "release": config.release.name,
                                "scenarios": [scenario_dict(config, s) for s in scenarios]}
        if args.effective:
            data["effective"] = release
            for entry, extra in zip(data["scenarios"], effective, strict=True):
                entry["effective"] = extra
        print(json.dumps(data, indent=2))
        return code
    print(f"release {config.release.name}: {len(scenarios)} scenario(s) from {config.path}")
    if args.effective:
        print("\n".join(describe_release(release)))
    for i, scenario in enumerate(scenarios):
        print()
        print("\n".join(describe(scenario)))
        if args.effective:
            print("\n".join(describe_effective(effective[i])))
    return code


# ------------------------------------------------------------------ --effective

def effective_release(config: Config, overrides: ReleaseOverrides, scenarios: list[Scenario]) -> dict[str, Any]:
    """The release a run would use, where each part comes from, and what it lacks."""
    release = config.release
    inst = release.installer
    return {
        "installer": {"url": inst.url, "path": inst.path, "sha256": inst.sha256, "features": list(inst.features),
                      "source": "--installer" if overrides.installer is not None else
                      ("release.installer" if inst.url or inst.path else None)},
        "devstack": {"repo": release.devstack_repo, "branch": release.devstack_branch or None,
                     "source": "--devstack-branch" if overrides.devstack_branch is not None else
                     ("release.devstack.branch" if release.devstack_branch else None)},
        "repos": {k: {"repo": v.repo, "branch": v.branch} for k, v in sorted(release.repos.items())},
        "missing": [f"{e.key}: {e.message}" for e in missing(config, scenarios)],
    }


def effective_scenario(config: Config, scenario: Scenario, pm: pluggy.PluginManager) -> dict[str, Any]:
    """Every derived value of ``scenario``: node states per candidate node (built against the
    first candidate controller), then what each plugin will write (``hvrt_effective_values``:
    the local.conf, the tempest.conf values; null when no enabled plugin writes them)."""
    from hvrt import nodestate

    redactor = Redactor(s.reveal() for s in config.secrets)
    controller = config.controllers.get(scenario.candidate_controllers[0]) if scenario.candidate_controllers \
        else None
    nodes: dict[str, dict[str, Any]] = {}
    for name in scenario.candidate_nodes:
        node = config.nodes[name]
        if controller is None:
            nodes[name] = {"error": "no controller for this scenario"}
            continue
        try:
            nodes[name] = nodestate.build(config, scenario.profile, node, controller,
                                          scenario=scenario.name).to_dict()
        except HvrtError as exc:
            nodes[name] = {"error": str(getattr(exc, "message", exc))}
    effective: dict[str, Any] = {"controller": controller.name if controller is not None else None,
                                 "nodes": nodes, "local_conf": None, "tempest_conf": None}
    for values in pm.hook.hvrt_effective_values(config=config, scenario=scenario, controller=controller):
        effective.update(redactor.data(values or {}))  # type: ignore[arg-type]
    return effective


def describe_release(release: dict[str, Any]) -> list[str]:
    inst, devstack = release["installer"], release["devstack"]
    where = inst["url"] or inst["path"] or NOT_SET
    lines = [f"  installer:       {where}" + (f" (from {inst['source']})" if inst["source"] else ""),
             f"  sha256:          {inst['sha256'] or NOT_SET}",
             f"  devstack:        {devstack['repo']} at {devstack['branch'] or NOT_SET}"
             + (f" (from {devstack['source']})" if devstack["source"] else "")]
    lines += [f"  missing:         {m}" for m in release["missing"]]
    return lines


def describe_effective(effective: dict[str, Any]) -> list[str]:
    """The text of ``--effective`` for one scenario (what the JSON holds, line by line)."""
    lines = [f"  effective values (controller {effective['controller'] or 'none'}):"]
    for node, state in effective["nodes"].items():
        lines.append(f"    node {node}:")
        if "error" in state:
            lines.append(f"      error: {state['error']}")
            continue
        inst = state["installer"]
        lines.append("      msi features:   " + ", ".join(inst["features"])
                     + (f" (+ {', '.join(inst['optional_features'])} when the package has it)"
                        if inst["optional_features"] else ""))
        lines.append("      msi properties:")
        lines += [f"        {k}={v}" for k, v in inst["properties"].items()]
        sw = state["vswitch"]
        lines.append(f"      vswitch:        {sw['name']} ({sw['type']}"
                     + (f", created on {sw['adapter']}" if sw["create"] else ", must exist") + ")")
        lm = state["live_migration"]
        lines.append("      live migration: " + (
            f"managed: {lm['authentication']}, {lm['max_migrations']} at once, networks "
            f"{', '.join(lm['networks']) or 'any'}" if lm["managed"] else f"left alone ({lm['reason']})"))
        lines.append("      services:       " + ", ".join(state["services"]))
        for fname, body in state["ini"].items():
            lines.append(f"      {fname} ({body['path']}):")
            for section, keys in body["sections"].items():
                lines += [f"        [{section}] {k} = {v['value']}  ({v['origin']})" for k, v in keys.items()]
    if effective["local_conf"] is not None:
        lines.append("    local.conf:")
        lines += [f"      {line}" for line in effective["local_conf"].splitlines()]
    if effective["tempest_conf"] is not None:
        lines.append("    tempest.conf values:")
        for section, keys in effective["tempest_conf"].items():
            lines += [f"      [{section}] {k} = {v}" for k, v in keys.items()]
    return lines


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
