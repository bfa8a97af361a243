"""Plugin ``sandbox``: a run against the sandbox config brings the sandbox up first.

Enabled by listing ``sandbox`` in the config's ``plugins:``; ``settings: sandbox:
{autostart: false}`` turns the automatic start off (then ``hvrt sandbox up`` first).
"""
from __future__ import annotations

import sys

from hvrt import hookimpl
from hvrt.config.schema import Block, Field
from hvrt.context import RunContext
from hvrt.sandbox.lab import SandboxLab

SETTINGS = Block("settings", "sandbox", (
    Field("state_dir", rule="path", doc="where the simulated lab keeps its state (default /var/tmp/hvrt-sandbox)"),
    Field("autostart", "boolean", default=True, doc="bring the lab up when a run starts"),
), doc="the sandbox lab")


@hookimpl
def hvrt_config_schema() -> list[Block]:
    """The block the sandbox reads: ``settings.sandbox``."""
    return [SETTINGS]


@hookimpl
def hvrt_run_start(run: RunContext, scenarios: list[str]) -> None:
    if not run.config.plugin_settings("sandbox").get("autostart", True):
        return
    lab = SandboxLab(run.config)
    if lab.is_up():
        return

    def say(message: str) -> None:
        run.log.info("sandbox: %s", message)
        print(f"sandbox: {message}", file=sys.stderr, flush=True)

    say(f"starting the sandbox lab in {lab.state}")
    lab.up(log=say)
