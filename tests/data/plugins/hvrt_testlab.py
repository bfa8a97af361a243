"""A lab plugin for hvrt's own engine tests: every stage acts on this machine.

Behaviour comes from the config's ``settings: testlab:`` block:

``tests``       {test id: status} the test stage reports (default: one passing test)
``sleep``       {stage: seconds} to spend in a stage
``fail``        {scenario: stage} where a scenario raises an infrastructure error
``marker_dir``  a folder where each stage execution appends ``<scenario> <stage>``
``hold``        {scenario: stage}: write ``<marker_dir>/<scenario>.held`` and wait
                there until the process is killed (or 60 s pass)
Set ``HVRT_TESTLAB_NO_HOLD=1`` to ignore ``hold`` (for the resumed run).
"""
from __future__ import annotations

import os
import time
from pathlib import Path

from hvrt import hookimpl
from hvrt.config.schema import Block, Field
from hvrt.context import Deployment, ScenarioContext
from hvrt.errors import InfrastructureError, Interrupted
from hvrt.results import TestCase, TestStatus
from hvrt.results.testid import fixture_target

SETTINGS: dict = {}
SCHEMA = Block("settings", "testlab", (
    Field("tests", "mapping", item=Field("", "string"), doc="test id -> status the test stage reports"),
    Field("sleep", "mapping", item=Field("", "number"), doc="stage -> seconds to spend in it"),
    Field("fail", "mapping", item=Field("", "string"), doc="scenario -> stage that raises"),
    Field("marker_dir", doc="folder of the executions log and hold markers"),
    Field("hold", "mapping", item=Field("", "string"), doc="scenario -> stage to wait in"),
), doc="the engine tests' lab plugin")


@hookimpl
def hvrt_config_schema():
    return [SCHEMA]


def _act(ctx: ScenarioContext, stage: str) -> None:
    marker_dir = SETTINGS.get("marker_dir")
    if marker_dir:
        with open(Path(marker_dir) / "executions.log", "a", encoding="utf-8") as fh:
            fh.write(f"{ctx.name} {stage}\n")
    if (SETTINGS.get("hold") or {}).get(ctx.name) == stage and not os.environ.get("HVRT_TESTLAB_NO_HOLD"):
        (Path(marker_dir) / f"{ctx.name}.held").write_text(str(os.getpid()))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not ctx.cancelled:
            time.sleep(0.05)
        if ctx.cancelled:
            raise Interrupted(f"{ctx.name} interrupted in {stage}")
    delay = (SETTINGS.get("sleep") or {}).get(stage)
    if delay:
        time.sleep(float(delay))
    if (SETTINGS.get("fail") or {}).get(ctx.name) == stage:
        raise InfrastructureError(f"testlab failure injected in {stage}", host=ctx.controller.name, step=stage)


@hookimpl
def hvrt_configure(config):
    SETTINGS.clear()
    SETTINGS.update(config.plugin_settings("testlab"))


@hookimpl
def hvrt_provision(ctx: ScenarioContext):
    _act(ctx, "provision")
    out = ctx.transport(ctx.controller).run(["true"], timeout=10)
    return [{"host": ctx.controller.name, "check": "reachable", "ok": out.ok, "detail": ""}]


@hookimpl
def hvrt_configure_node(ctx: ScenarioContext, node):
    if node.configurator != "testlab":
        return None
    _act(ctx, "configure")
    return {"configurator": "testlab", "product_version": "29.0.0"}


@hookimpl
def hvrt_deploy(ctx: ScenarioContext):
    _act(ctx, "deploy")
    password = ctx.config.release.password
    return Deployment(ctx.controller.name, f"http://{ctx.controller.address}:5000/v3", "admin", password)


@hookimpl
def hvrt_run_tests(ctx: ScenarioContext, deployment):
    _act(ctx, "test")
    tests = SETTINGS.get("tests") or {"tempest.api.identity.test_a.T.test_ok[id-1]": "passed"}
    if ctx.only_tests is not None:  # a --rerun-failed run: the asked tests, a fixture entry for its class
        wanted = set(ctx.only_tests)
        targets = {t for t in (fixture_target(w) for w in wanted) if t}
        tests = {tid: st for tid, st in tests.items()
                 if tid in wanted or any(tid.startswith(t + ".") for t in targets)}
    return [TestCase(tid, TestStatus(status), 0.01, [status]) for tid, status in tests.items()]


@hookimpl
def hvrt_collect(ctx: ScenarioContext):
    _act(ctx, "collect")
    password = ctx.config.release.password
    ctx.save(f"logs/{ctx.controller.name}/testlab.log", f"deployed with {password.reveal() if password else None}\n")


@hookimpl
def hvrt_teardown(ctx: ScenarioContext):
    _act(ctx, "teardown")
