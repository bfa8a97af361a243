"""A lab plugin for the Salt tests: deploy and test stages that act on this machine.

Behaviour comes from the config's ``settings: saltlab:`` block:

``tests``  {test id: status} the test stage reports (default: one passing test)
``fail``   {scenario: stage} where a scenario raises an infrastructure error
``sleep``  seconds the test stage takes (to see runs overlap)
Nodes with ``configurator: saltlab`` are "configured" by writing a marker file.
"""
from __future__ import annotations

import time

from hvrt import hookimpl
from hvrt.config.schema import Block, Field
from hvrt.context import Deployment, ScenarioContext
from hvrt.errors import InfrastructureError
from hvrt.results import TestCase, TestStatus

SCHEMA = Block("settings", "saltlab", (
    Field("tests", "mapping", item=Field("", "string"), doc="test id -> status the test stage reports"),
    Field("fail", "mapping", item=Field("", "string"), doc="scenario -> stage that raises"),
    Field("sleep", "number", doc="seconds the test stage takes"),
), doc="the Salt tests' lab plugin")


@hookimpl
def hvrt_config_schema():
    return [SCHEMA]


def _maybe_fail(ctx: ScenarioContext, stage: str) -> None:
    if (ctx.config.plugin_settings("saltlab").get("fail") or {}).get(ctx.name) == stage:
        raise InfrastructureError(f"saltlab failure injected in {stage}", host=ctx.controller.name, step=stage)


@hookimpl
def hvrt_configure_node(ctx: ScenarioContext, node):
    if (ctx.profile.configurator or node.configurator) != "saltlab":
        return None
    _maybe_fail(ctx, "configure")
    ctx.save(f"config/{node.name}/saltlab.txt", f"{ctx.name} configured\n")
    return {"configurator": "saltlab", "product_version": "30.0.0"}


@hookimpl
def hvrt_deploy(ctx: ScenarioContext):
    _maybe_fail(ctx, "deploy")
    out = ctx.transport(ctx.controller).run(["true"], timeout=10)
    if not out.ok:
        raise InfrastructureError("controller does not answer", host=ctx.controller.name, step="deploy")
    return Deployment(ctx.controller.name, f"http://{ctx.controller.address}:5000/v3", "admin",
                      ctx.config.release.password)


@hookimpl
def hvrt_run_tests(ctx: ScenarioContext, deployment):
    _maybe_fail(ctx, "test")
    time.sleep(float(ctx.config.plugin_settings("saltlab").get("sleep") or 0))
    tests = ctx.config.plugin_settings("saltlab").get("tests") or {
        "tempest.api.identity.v3.test_tokens.TokensV3Test.test_create_token[id-1]": "passed"}
    return [TestCase(tid, TestStatus(status), 0.01, [status]) for tid, status in tests.items()]
