"""The ``salt`` configurator: ``hvrt_configure_node`` for nodes with ``configurator: salt``
(or any node of a profile with ``configurator: salt``).

Called in the ``configure`` stage once per node. It builds the node's pillar from
the node's :class:`~hvrt.nodestate.NodeState` (installer, INI values, vSwitch, live
migration, services: what the winrm configurator would apply), applies the
``hvrt.compute`` states (or the node's ``salt.sls``) in the mode the node's
``salt:`` block picks, keeps the pillar, Salt's output and a per-state record in
the scenario's results (``config/<node>/salt-*``, secrets masked) and turns a
failed state into :class:`hvrt.errors.ConfigurationFailed` naming that state.
"""
from __future__ import annotations

import json
from typing import Any

import hvrt
from hvrt import nodestate
from hvrt.config.model import Host
from hvrt.config.schema import Block
from hvrt.context import ScenarioContext
from hvrt.installer import local_installer
from hvrt_saltstack import options as salt_options
from hvrt_saltstack import pillar as pillars
from hvrt_saltstack.applier import Applier
from hvrt_saltstack.options import SaltOptions
from hvrt_saltstack.via_local import LocalCall
from hvrt_saltstack.via_master import MasterPublish
from hvrt_saltstack.via_ssh import SaltSsh

NAME = "salt"
APPLIERS: dict[str, type[Applier]] = {"local": LocalCall, "ssh": SaltSsh, "master": MasterPublish}


def configure(ctx: ScenarioContext, node: Host) -> dict[str, Any]:
    """Apply the node's states for this scenario; the record goes into the results."""
    options = SaltOptions.for_host(node, ctx.config.path)
    state = nodestate.for_context(ctx, node)
    for text in state.secret_texts():
        ctx.redactor.add(text)
    installer = ctx.config.release.installer
    folder = f"config/{node.name}"
    applier = APPLIERS[options.mode](ctx, node, options)
    digest = None
    try:
        node_path = source = None
        if options.windows:
            msi, digest = local_installer(ctx.config)
            node_path, source = applier.stage_installer(msi, installer.url)
        data = pillars.build(
            state=state, node=node, options=options, installer=installer,
            installer_path=node_path, installer_source=source, installer_sha256=digest,
        )
        ctx.save(f"{folder}/salt-pillar.json", json.dumps(pillars.masked(data), indent=2, sort_keys=True) + "\n")
        ctx.log.info("salt %s: applying %s to %s (%s)", options.mode, options.sls, node.name, options.target)
        outcome, log = applier.apply(data)
    finally:
        applier.cleanup()
    ctx.save(f"{folder}/salt-output.log", log)
    ctx.save(f"{folder}/salt-state.json", json.dumps(outcome.to_dict(), indent=2) + "\n")
    outcome.raise_for_failure(ctx.redactor.text)
    ctx.log.info("salt %s: %d states on %s, %d changed", options.mode, len(outcome.states), node.name,
                 len(outcome.changed))
    return {
        "configurator": NAME,
        "mode": options.mode,
        "target": options.target,
        "sls": options.sls,
        "states": [{"id": s.id, "function": s.function, "result": s.result, "changed": s.changed}
                   for s in outcome.states],
        "changed": len(outcome.changed),
        "product_version": outcome.product_version,
        "installer_sha256": digest,
    }


@hvrt.hookimpl
def hvrt_config_schema() -> list[Block]:
    """The blocks the salt configurator reads: a node's ``salt:`` block and its ``hyperv:`` host settings."""
    return [*salt_options.hvrt_config_schema(), nodestate.HYPERV]


@hvrt.hookimpl
def hvrt_configure_node(ctx: ScenarioContext, node: Host) -> dict[str, Any] | None:
    if (ctx.profile.configurator or node.configurator) != NAME:
        return None
    return configure(ctx, node)
