"""Hook implementations of the ``winrm`` plugin (entry point ``winrm = hvrt_winrm.plugin``).

Opens WinRM transports, runs the pre-flight checks of Hyper-V nodes (for ``hvrt
preflight``, the start of a run and each ``provision`` stage, through
``hvrt_preflight_host``), configures nodes whose configurator is ``winrm`` and
collects their evidence.
"""
from __future__ import annotations

from typing import Any

from hvrt import hookimpl
from hvrt.config.model import Host
from hvrt.context import RunContext, ScenarioContext
from hvrt.errors import ConfigurationFailed, InfrastructureError
from hvrt.transport.base import Transport
from hvrt_winrm.collector import collect_node
from hvrt_winrm.configurator import configure_node
from hvrt_winrm.preflight import check_node
from hvrt_winrm.settings import hvrt_config_schema  # noqa: F401 - the plugin declares its blocks
from hvrt_winrm.transport import WinRMTransport


def _winrm_nodes(ctx: ScenarioContext) -> list[Host]:
    return [n for n in ctx.nodes if n.transport == "winrm"]


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
def hvrt_collect(ctx: ScenarioContext) -> None:
    for node in _winrm_nodes(ctx):
        try:
            missing = collect_node(ctx, node)
        except InfrastructureError as exc:  # unreachable node: evidence is best effort
            ctx.log.warning("[%s] collect: %s", node.name, exc)
            continue
        if missing:
            ctx.log.warning("[%s] collect: missing %s", node.name, ", ".join(missing))
