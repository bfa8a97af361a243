"""Hook implementations of the Tempest runner plugin.

``hvrt_configure`` warns about unknown ``settings: tempest:`` keys; ``hvrt_run_tests`` runs the scenario's suite on the controller (see
:mod:`hvrt_tempest.runner`); ``hvrt_collect`` fetches Tempest's own log from the
scenario's workspace, also after a failed test stage.
"""
from __future__ import annotations

import logging
import posixpath
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hvrt import hookimpl
from hvrt.config.model import Config, Host, Scenario
from hvrt.context import Deployment, ScenarioContext
from hvrt.errors import HvrtError
from hvrt.results import TestCase
from hvrt_tempest import cli as tempest_cli
from hvrt_tempest.runner import PLUGIN, TempestRunner
from hvrt_tempest.settings import hvrt_config_schema  # noqa: F401 - the plugin declares its block
from hvrt_tempest.tempestconf import image_file, scenario_values

if TYPE_CHECKING:
    from hvrt.cli.registry import CommandLine

log = logging.getLogger("hvrt.tempest")


def collect_tempest_log(ctx: ScenarioContext) -> None:
    """Save ``<workspace>/logs/tempest.log`` (redacted) as ``logs/<controller>/tempest.log``."""
    state = ctx.state.get(PLUGIN)
    if not state:
        return
    remote = posixpath.join(state["workspace"], "logs", "tempest.log")
    with tempfile.TemporaryDirectory(prefix="hvrt-tempest-log-") as tmp:
        local = Path(tmp) / "tempest.log"
        try:
            ctx.transport(state["controller"]).get(remote, local, timeout=ctx.call_timeout(300))
        except HvrtError as exc:
            ctx.log.warning("no Tempest log collected from %s: %s", state["controller"], exc)
            return
        ctx.save(f"logs/{state['controller']}/tempest.log", local.read_text(encoding="utf-8", errors="replace"))


@hookimpl
def hvrt_effective_values(config: Config, scenario: Scenario, controller: Host | None) -> dict[str, Any] | None:
    """The tempest.conf values the runner sets over the deployer's file; ``image_ref_alt``
    and ``img_file`` follow the deployer's file, known only at run time."""
    values = scenario_values(scenario.profile, config.plugin_settings(PLUGIN))
    values.setdefault("compute", {}).setdefault("image_ref_alt", "<[compute] image_ref of the deployer's file>")
    name = image_file(scenario.profile)
    if name is not None:
        values.setdefault("scenario", {}).setdefault("img_file", f"<folder of the deployer's img_file>/{name}")
    return {"tempest_conf": values}


@hookimpl
def hvrt_cli(cli: CommandLine) -> None:
    tempest_cli.register(cli)


@hookimpl
def hvrt_run_tests(ctx: ScenarioContext, deployment: Deployment) -> list[TestCase] | None:
    return TempestRunner(ctx, deployment).run()


@hookimpl
def hvrt_collect(ctx: ScenarioContext) -> None:
    collect_tempest_log(ctx)
