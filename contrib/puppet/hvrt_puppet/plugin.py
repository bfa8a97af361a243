"""The ``puppet`` configurator: ``hvrt_configure_node`` for nodes with ``configurator: puppet``.

Called in the ``configure`` stage once per node. It sends the Puppet code and the
Hiera data made from the node's :class:`~hvrt.nodestate.NodeState` (what the winrm
configurator would apply) to the node through the node's transport (WinRM for Windows
nodes, SSH for Linux ones), runs ``puppet apply --detailed-exitcodes`` there, keeps
Puppet's report in the scenario's results (``config/<node>/puppet-*``) and turns
failed resources into :class:`hvrt.errors.ConfigurationFailed`.
"""
from __future__ import annotations

import json
from typing import Any

import hvrt
from hvrt import nodestate
from hvrt.config.model import Host
from hvrt.config.schema import Block
from hvrt.context import ScenarioContext
from hvrt.errors import ConfigurationFailed, InfrastructureError, RemoteTimeout
from hvrt.installer import local_installer
from hvrt.transport.base import CommandResult
from hvrt_puppet import data as hiera
from hvrt_puppet import options as puppet_options
from hvrt_puppet.apply import Fetched, PuppetApply
from hvrt_puppet.options import PuppetOptions
from hvrt_puppet.report import CHANGED, FAILED_RUN, ApplySummary, summarize

NAME = "puppet"
SMALL_CALL = 120.0


def _save(ctx: ScenarioContext, node: str, result: CommandResult | None, fetched: Fetched,
          summary: ApplySummary, data: dict[str, Any]) -> dict[str, str | None]:
    """Keep Puppet's evidence in ``config/<node>/``; returns the report and summary paths."""
    folder = f"config/{node}"
    ctx.save(f"{folder}/puppet-data.json", hiera.dumps(hiera.masked(data)))
    if result is not None:
        ctx.save(f"{folder}/puppet-output.log", result.stdout + ("\n" + result.stderr if result.stderr else ""))
    report = None
    if fetched.report is not None:
        report = f"{folder}/puppet-report.yaml"
        ctx.save(report, fetched.report)
    if fetched.log is not None:
        ctx.save(f"{folder}/puppet-log.json", fetched.log)
    if fetched.resources is not None:
        ctx.save(f"{folder}/puppet-resources.txt", fetched.resources)
    target = f"{folder}/puppet-summary.json"
    ctx.save(target, json.dumps(summary.to_dict(), indent=2) + "\n")
    return {"report": report, "summary": target}


def _failure(node: str, summary: ApplySummary, result: CommandResult, redact: Any) -> ConfigurationFailed:
    if summary.failed:
        message = f"puppet apply failed ({summary.exit_code}): {', '.join(summary.failed)}"
    elif summary.exit_code == FAILED_RUN:
        first = summary.errors[0] if summary.errors else result.tail(3)
        message = f"puppet apply could not run the catalog: {first}"
    else:
        message = f"puppet apply exited {summary.exit_code}"
    detail = "\n".join(summary.errors[-20:]) or result.tail()
    return ConfigurationFailed(redact(message), host=node, step="configure", detail=redact(detail))


def configure(ctx: ScenarioContext, node: Host) -> dict[str, Any]:
    """Apply the node's Puppet code for this scenario; the record goes into the results."""
    options = PuppetOptions.for_host(node, ctx.config.path)
    state = nodestate.for_context(ctx, node)
    for text in state.secret_texts():
        ctx.redactor.add(text)
    msi, digest = local_installer(ctx.config)
    transport = ctx.transport(node)
    run = PuppetApply(transport, options, node.name)
    result: CommandResult | None = None
    data: dict[str, Any] = {}
    try:
        run.prepare_workdir(ctx.call_timeout(SMALL_CALL))
        data = hiera.build(
            state=state, profile=ctx.profile, node=node, installer=ctx.config.release.installer,
            remote_msi=run.installer_remote(msi), config_dir=options.config_dir, extra=options.data,
            windows=options.windows,
        )
        run.stage(data, msi)
        run.upload(ctx.call_timeout(max(SMALL_CALL, options.timeout / 4)))
        ctx.log.info("puppet apply on %s (%s)", node.name, options.manifest or options.class_name)
        try:
            result = run.run(ctx.call_timeout(options.timeout))
        except RemoteTimeout as exc:
            raise ConfigurationFailed(
                f"puppet apply did not finish: {exc.message}", host=node.name, step="configure",
            ) from None
        except InfrastructureError as exc:  # the transport could not start it
            raise ConfigurationFailed(
                ctx.redactor.literals(f"cannot run {options.puppet!r} (is the Puppet agent installed? "
                                      f"set puppet.puppet): {exc.message}"),
                host=node.name, step="configure", detail=ctx.redactor.literals(exc.detail),
            ) from None
        fetched = run.fetch(ctx.call_timeout(SMALL_CALL))
    finally:
        for problem in run.cleanup(ctx.call_timeout(SMALL_CALL)):
            ctx.log.warning("puppet on %s: %s", node.name, ctx.redactor.literals(problem))
    assert result is not None
    summary = summarize(result.exit_code, fetched.report, fetched.log)
    saved = _save(ctx, node.name, result, fetched, summary, data)
    if not summary.ok:
        raise _failure(node.name, summary, result, ctx.redactor.text)
    return {
        "configurator": NAME,
        "status": "changed" if summary.exit_code == CHANGED else "unchanged",
        "exit_code": summary.exit_code,
        "changed_resources": summary.changed,
        "resources": summary.total,
        "report": saved["report"],
        "summary": saved["summary"],
        "applied": str(options.manifest.name) if options.manifest else options.class_name,
        "installer_sha256": digest,
        "workdir": str(run.workdir),
    }


@hvrt.hookimpl
def hvrt_config_schema() -> list[Block]:
    """The blocks the puppet configurator reads: a node's ``puppet:`` block and its ``hyperv:`` host settings."""
    return [*puppet_options.hvrt_config_schema(), nodestate.HYPERV]


@hvrt.hookimpl
def hvrt_configure_node(ctx: ScenarioContext, node: Host) -> dict[str, Any] | None:
    if node.configurator != NAME:
        return None
    return configure(ctx, node)
