"""After ``stack.sh``: wait for the cloud and the Hyper-V computes, then map them into the cell.

Each step is a function of its own so it can be called when the computes are (re)started
later than ``stack.sh`` ends, not only from :func:`hvrt_devstack.plugin.deploy`:

* :func:`controller_agents` reads the Neutron agents the controller must run from the
  ``enable_service`` / ``disable_service`` lines of the ``local.conf`` that was deployed
  (``q-dhcp`` -> ``neutron-dhcp-agent`` ...), so the health check judges them too;
* :func:`check_health` waits until every node and the controller are healthy
  (:func:`hvrt_devstack.health.wait_healthy`) and saves ``logs/<controller>/health.json``;
* :func:`discover_hosts` runs ``nova-manage cell_v2 discover_hosts --verbose`` on the
  controller over its transport. DevStack skips cell discovery when ``n-cpu`` is not
  enabled on the controller, and Hyper-V computes register only after stacking, so
  without this step no server can be scheduled on them (since Ocata). Its output goes to
  ``logs/<controller>/discover_hosts.log``. A ``nova-manage`` without that command
  (branches before Ocata, which need no host mappings) is recorded as skipped;
* :func:`health_and_cells` is the two in order, as the deploy stage runs them.
"""
from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from hvrt.context import ScenarioContext
from hvrt.errors import InfrastructureError, RemoteTimeout
from hvrt.transport.base import Transport
from hvrt_devstack import health

SERVICE_AGENTS = {
    "q-dhcp": "neutron-dhcp-agent", "neutron-dhcp": "neutron-dhcp-agent",
    "q-l3": "neutron-l3-agent", "neutron-l3": "neutron-l3-agent",
    "q-meta": "neutron-metadata-agent", "neutron-metadata-agent": "neutron-metadata-agent",
    "q-agt": "neutron-openvswitch-agent", "neutron-agent": "neutron-openvswitch-agent",
}
"""DevStack service -> the agent binary it registers in Neutron (``Q_AGENT=openvswitch``)."""
_SERVICE_LINE = re.compile(r"^\s*(enable_service|disable_service)\s+(.+?)\s*$")
_NO_COMMAND = re.compile(r"invalid choice: '(?:cell_v2|discover_hosts)'")
_MAPPED = re.compile(r"Creating host mapping for compute host '([^']+)'")


def enabled_services(local_conf: str) -> list[str]:
    """The services a ``local.conf``'s ``[[local|localrc]]`` part leaves enabled, in order."""
    enabled: list[str] = []
    in_localrc = False
    for line in local_conf.splitlines():
        if line.startswith("[["):
            in_localrc = bool(re.match(r"^\[\[\s*local\s*\|\s*localrc\s*\]\]", line))
            continue
        match = _SERVICE_LINE.match(line) if in_localrc else None
        if match is None:
            continue
        for name in match.group(2).replace(",", " ").split():
            if match.group(1) == "enable_service" and name not in enabled:
                enabled.append(name)
            elif match.group(1) == "disable_service" and name in enabled:
                enabled.remove(name)
    return enabled


def controller_agents(local_conf: str) -> tuple[str, ...]:
    """The Neutron agents the controller runs by its ``local.conf`` (sorted, no repeats)."""
    return tuple(sorted({SERVICE_AGENTS[s] for s in enabled_services(local_conf) if s in SERVICE_AGENTS}))


def node_hostnames(ctx: ScenarioContext) -> list[str]:
    """The names the nodes register with in Nova/Neutron (label ``hostname``, else the host name)."""
    return [node.labels.get("hostname", node.name) for node in ctx.nodes]


def check_health(ctx: ScenarioContext, access: health.CloudAccess, timeout: float,
                 interval: float) -> dict[str, Any]:
    """Wait until the scenario's nodes and the controller are healthy; save and return the record."""
    record = health.wait_healthy(access, node_hostnames(ctx), uses_ovs=ctx.profile.network.uses_ovs,
                                 timeout=ctx.call_timeout(timeout), interval=interval)
    record["controller_agents"] = list(access.controller_agents)
    ctx.save(f"logs/{ctx.controller.name}/health.json", json.dumps(record, indent=2, sort_keys=True) + "\n")
    return record


def nova_manage_command(dest: str, configured: Sequence[str] = ()) -> list[str]:
    """How to call ``nova-manage`` on the controller: as configured, else the one on PATH,
    else DevStack's global virtualenv (``DEST/data/venv/bin``)."""
    if configured:
        return list(configured)
    return ["sh", "-c", 'n=$(command -v nova-manage) || n="$0/data/venv/bin/nova-manage"; exec "$n" "$@"', dest]


def discover_hosts(ctx: ScenarioContext, transport: Transport, command: Sequence[str],
                   timeout: float) -> dict[str, Any]:
    """``nova-manage cell_v2 discover_hosts --verbose`` on the controller; returns what it
    mapped. Raises :class:`InfrastructureError` when it fails (no server could be scheduled)."""
    argv = [*command, "cell_v2", "discover_hosts", "--verbose"]
    host = ctx.controller.name
    try:
        result = transport.run(argv, timeout=ctx.call_timeout(timeout))
    except RemoteTimeout as exc:
        raise InfrastructureError(f"nova-manage cell_v2 discover_hosts did not finish within {timeout:.0f}s",
                                  host=host, step="deploy") from exc
    output = ctx.redactor.text(result.stdout + result.stderr)
    ctx.save(f"logs/{host}/discover_hosts.log", f"$ nova-manage cell_v2 discover_hosts --verbose\n{output}"
             f"(exit {result.exit_code})\n")
    if not result.ok and _NO_COMMAND.search(output):
        # before Ocata: no cells v2 host mappings to make (the legacy tool ran its cell setup only from Ocata on)
        ctx.log.warning("nova-manage on %s has no cell_v2 discover_hosts: cell mapping skipped", host)
        return {"mapped": [], "exit_code": result.exit_code, "skipped": "nova-manage has no cell_v2 discover_hosts"}
    if not result.ok:
        raise InfrastructureError(f"nova-manage cell_v2 discover_hosts failed (exit {result.exit_code}); "
                                  f"see logs/{host}/discover_hosts.log", host=host, step="deploy",
                                  detail=result.tail())
    return {"mapped": _MAPPED.findall(output), "exit_code": result.exit_code}


def health_and_cells(ctx: ScenarioContext, transport: Transport, access: health.CloudAccess, *,
                     nova_manage: Sequence[str], timeout: float, interval: float,
                     call_timeout: float = 300.0) -> dict[str, Any]:
    """The deploy's last phase: the health check, then the cell mapping of the computes it saw."""
    record = check_health(ctx, access, timeout, interval)
    cells = discover_hosts(ctx, transport, nova_manage, call_timeout)
    ctx.result.facts["cells"] = cells
    record["cells"] = cells
    return record
