"""``hvrt sandbox up|down|status``: the simulated lab of a sandbox config."""
from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from tabulate import tabulate

from hvrt.cli.main import JSON_SCHEMA

EXAMPLE = Path("examples") / "sandbox" / "hvrt.yaml"


def default_config(cwd: Path | None = None) -> Path:
    """``examples/sandbox/hvrt.yaml`` of the current folder, else of the source tree
    hvrt runs from (a checkout, or an editable install)."""
    here = (cwd or Path.cwd()) / EXAMPLE
    if here.is_file():
        return here.resolve()
    return Path(__file__).resolve().parents[2] / EXAMPLE


DESCRIPTION = """\
Start, stop or show the sandbox lab described by a config: simulated Hyper-V nodes
(WS-Management endpoints on loopback that real pywinrm talks to), real OpenSSH
controllers on loopback, the DevStack stand-in repository and the Keystone and
Tempest venvs. `hvrt run` against a config that enables the `sandbox` plugin starts
it by itself. The config is not looked up through HVRT_CONFIG: the sandbox has its
own default, the example sandbox config.
"""


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    parser = sub.add_parser("sandbox", help="start, stop or show the sandbox lab", description=DESCRIPTION)
    parser.add_argument("action", choices=["up", "down", "status", "fault"],
                        help="fault: arm a fault on a running simulated node (NODE KIND [VALUE])")
    parser.add_argument("fault", nargs="*", metavar="NODE KIND [VALUE]",
                        help="with `fault`: fail-msi [code], clock-skew [s], reboot [s], drop [n], http-500 [n], clear")
    default = default_config()
    parser.add_argument("-c", "--config", default=str(default), metavar="PATH",
                        help=f"the sandbox config (default: {default}, the example sandbox config)")
    parser.add_argument("--json", action="store_true", help="machine-readable status")
    parser.set_defaults(handler=sandbox_command)
    return parser


def sandbox_command(args: argparse.Namespace) -> int:
    from hvrt.config import load_config
    from hvrt.sandbox.lab import SandboxLab

    lab = SandboxLab(load_config(args.config))
    if args.action == "fault":
        from hvrt.errors import UsageError
        from hvrt.sandbox.lab import request_fault

        if len(args.fault) not in (2, 3):
            raise UsageError("usage: hvrt sandbox fault NODE KIND [VALUE]")
        request_fault(lab, *args.fault)
        print(f"armed {args.fault[1]} on {args.fault[0]}")
        return 0
    if args.action == "up":
        rows = lab.up()
    elif args.action == "down":
        lab.down()
        rows = lab.status()
    else:
        rows = lab.status()
    if args.json:
        print(json.dumps({"schema": JSON_SCHEMA, "config": args.config, "parts": [asdict(r) for r in rows]},
                         indent=2))
    else:
        print(tabulate([r.row() for r in rows], headers=["kind", "name", "endpoint", "state", "pid"]))
    if args.action == "status":
        return 0 if all(r.running for r in rows) else 3
    return 0
