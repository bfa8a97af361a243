"""``hvrt leases``: which hosts of the lab are leased right now, and by whom.

Asks the coordination service ``hvrt run`` would use (``$HVRT_COORDINATION``, else
``lab.coordination``, else the runner host's default folder) about every host of the
config. A host is held when its lock cannot be taken for an instant; the holder
(runner host, pid, run id, scenario, since when) is the record the holding run keeps
in the tooz group named like the lock. Nothing is changed.
"""
from __future__ import annotations

import argparse
import json
import time
from typing import Any

from tabulate import tabulate

from hvrt.cli.main import CODES, JSON_SCHEMA, add_config_option, exit_epilog

HEADERS = ["host", "role", "state", "runner", "pid", "run", "scenario", "since"]

EXIT_CODES = {
    0: "the leases were printed",
    2: CODES[2],
    3: "the coordination service cannot be reached (or its tooz driver cannot be loaded)",
    130: CODES[130],
}

ENVIRONMENT = """\
  HVRT_COORDINATION     the coordination URL of the host leases (overrides lab.coordination)
  XDG_STATE_HOME        the default lease folder is $XDG_STATE_HOME/hvrt/leases (~/.local/state)
"""


def register(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "leases", help="show which hosts other runs hold now",
        description="One row per host of the lab: free, or held -- by which runner host, process, "
        "run and scenario, since when. The coordination service is the one `hvrt run` uses "
        "($HVRT_COORDINATION, else lab.coordination, else a folder of this runner host).",
        epilog=exit_epilog(EXIT_CODES) + ENVIRONMENT,
    )
    add_config_option(parser)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(handler=leases_command)
    return parser


def leases_command(args: argparse.Namespace) -> int:
    from hvrt.cli.plan import load_with_plugins
    from hvrt.leases import url as urls
    from hvrt.leases.service import LeaseBackendError, LeaseService

    config = load_with_plugins(args.config)
    try:
        url, origin = urls.resolve(config.coordination)
    except ValueError as exc:
        raise LeaseBackendError(str(exc)) from None
    roles = {**{name: "controller" for name in config.controllers}, **{name: "node" for name in config.nodes}}
    with LeaseService(url) as service:
        states = service.states(roles)
    if args.json:
        data: dict[str, Any] = {
            "schema": JSON_SCHEMA, "config": config.path,
            "coordination": {"url": urls.display(url), "source": origin},
            "hosts": [{"host": s.host, "role": roles[s.host], "held": s.held,
                       "holder": s.holder.to_dict() if s.holder is not None else None} for s in states],
        }
        print(json.dumps(data, indent=2))
        return 0
    rows = []
    for s in states:
        h = s.holder
        if not s.held:
            rows.append((s.host, roles[s.host], "free", "", "", "", "", ""))
        elif h is None:
            rows.append((s.host, roles[s.host], "held", "?", "", "", "", ""))
        else:
            rows.append((s.host, roles[s.host], "held", h.runner, h.pid, h.run_id, h.scenario,
                         time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(h.since))))
    print(f"coordination: {urls.display(url)} ({origin})")
    print(tabulate(rows, headers=HEADERS))
    return 0
