"""Hook implementations of the ``winrm`` plugin (entry point ``winrm = hvrt_winrm.plugin``).

Refuses, when the config loads, nodes whose Windows cannot run hvrt's module
(:mod:`hvrt_winrm.support`). Opens WinRM transports, runs the pre-flight checks of Hyper-V nodes (for ``hvrt
preflight``, the start of a run and each ``provision`` stage, through
``hvrt_preflight_host``), configures nodes whose configurator is ``winrm``,
collects their evidence and, at teardown, uninstalls the compute MSI again when the
run's ``--destroy`` policy says so (``Uninstall-HvrtCompute``, the same call the
configure stage makes before installing); the engine then closes the sessions.
"""
from __future__ import annotations

from typing import Any

from hvrt import hookimpl, nodestate
from hvrt.config.model import Host
from hvrt.context import RunContext, ScenarioContext
from hvrt.errors import ConfigurationFailed, HvrtError, InfrastructureError
from hvrt.transport.base import Transport
from hvrt_winrm.collector import collect_node
from hvrt_winrm.configurator import configure_node, start_node
from hvrt_winrm.preflight import check_node
from hvrt_winrm.settings import hvrt_config_schema  # noqa: F401 - the plugin declares its blocks
from hvrt_winrm.support import hvrt_configure  # noqa: F401 - refuses nodes the module cannot run on
from hvrt_winrm.transport import WinRMTransport

UNINSTALL_TIMEOUT = 900.0
"""Seconds one node's uninstall may take (msiexec /x of the compute installer)."""


def _winrm_nodes(ctx: ScenarioContext) -> list[Host]:
    return [n for n in ctx.nodes if n.transport == "winrm"]


def _configured_here(ctx: ScenarioContext, node: Host) -> bool:
    return (ctx.profile.configurator or node.configurator) == "winrm" and node.transport == "winrm"


def uninstall_node(ctx: ScenarioContext, node: Host) -> None:
    """Remove the compute installer and its install folder from ``node``; the outcome
    goes to ``result.facts["teardown"]``, never raised."""
    try:
        done = ctx.transport(node).invoke(
            "Uninstall-HvrtCompute", {"name_like": nodestate.PRODUCT, "leftovers": [nodestate.INSTALL_DIR]},
            timeout=ctx.call_timeout(UNINSTALL_TIMEOUT))
    except HvrtError as exc:
        ctx.record_teardown(node.name, "uninstall", ok=False, detail=str(getattr(exc, "message", exc)))
        return
    except Exception as exc:  # teardown must not raise: whatever went wrong is recorded
        ctx.record_teardown(node.name, "uninstall", ok=False, detail=f"{type(exc).__name__}: {exc}")
        return
    removed = list((done or {}).get("removed") or [])
    ctx.record_teardown(node.name, "uninstall", ok=True, detail=", ".join(removed) or "nothing installed",
                        removed=removed)


@hookimpl
def hvrt_open_transport(host: Host, run: RunContext) -> Transport | None:
    if host.transport != "winrm":
        return None
    return WinRMTransport.for_host(host, redactor=run.redactor)


@hookimpl
def hvrt_preflight_host(host: Host, run: RunContext, transport: Transport, timeout: float) -> list[dict[str, Any]] | None:
    if host.transport != "winrm":
        return None
    return check_node(transport, host, run.config.plugin_settings("winrm"), timeout)


@hookimpl
def hvrt_configure_node(ctx: ScenarioContext, node: Host) -> dict[str, Any] | None:
    if (ctx.profile.configurator or node.configurator) != "winrm":
        return None
    if node.transport != "winrm":
        raise ConfigurationFailed(f"the winrm configurator needs transport winrm, not {node.transport!r}",
                                  host=node.name, step="configure")
    return configure_node(ctx, node)


@hookimpl
def hvrt_start_node(ctx: ScenarioContext, node: Host) -> dict[str, Any] | None:
    if not _configured_here(ctx, node):
        return None
    return start_node(ctx, node)


@hookimpl
def hvrt_collect(ctx: ScenarioContext) -> None:
    for node in _winrm_nodes(ctx):
        try:
            missing = collect_node(ctx, node)
        except InfrastructureError as exc:  # unreachable node: evidence is best effort
            ctx.log.warning("[%s] collect: %s", node.name, exc)
            continue
        if missing:
            ctx.log.warning("[%s] collect: missing %s", node.name, ", ".join(missing))


@hookimpl
def hvrt_teardown(ctx: ScenarioContext) -> None:
    """Uninstall the compute MSI from the scenario's winrm nodes when the ``--destroy``
    policy says so; the engine closes their sessions afterwards."""
    nodes = [n for n in ctx.nodes if _configured_here(ctx, n)]
    if not nodes or not ctx.destroys("configure"):
        return
    for node in nodes:
        if ctx.run.cancel.is_set():  # Ctrl-C: end quickly, leave the node as it is
            ctx.record_teardown(node.name, "uninstall", ok=False, detail="run interrupted: left installed")
            continue
        uninstall_node(ctx, node)
