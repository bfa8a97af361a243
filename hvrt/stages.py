"""The stage order of a scenario, as data, and the core plugin that runs each stage.

The engine walks :data:`STAGES`; for each it calls ``hvrt_stage`` (so wrappers can
act around it), whose core implementation below calls the stage's own hook and
applies its rule (first result required, fan-out, ...).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from hvrt import hookimpl
from hvrt.context import ScenarioContext
from hvrt.errors import ConfigurationFailed, InfrastructureError, TestRunError

STAGES: tuple[str, ...] = (
    "plan", "provision", "configure", "deploy", "test", "collect", "report", "teardown",
)
"""The pipeline of one scenario, in order."""

ALWAYS_RUN: frozenset[str] = frozenset({"collect", "report", "teardown"})
"""Stages that run even after an earlier stage failed (evidence, reports, cleanup)."""

DEFAULT_TIMEOUTS: dict[str, float] = {
    "plan": 60, "provision": 600, "configure": 3600, "deploy": 7200,
    "test": 14400, "collect": 1800, "report": 600, "teardown": 600,
}
"""Seconds per stage; override with ``timeouts:`` in the config or a profile."""


def _provision(ctx: ScenarioContext) -> Any:
    checks = [c for group in ctx.run.pm.hook.hvrt_provision(ctx=ctx) if group for c in group]
    ctx.result.facts["preflight"] = checks
    return checks


def _configure(ctx: ScenarioContext) -> Any:
    hook = ctx.run.pm.hook

    def one(node: Any) -> dict[str, Any]:
        record = hook.hvrt_configure_node(ctx=ctx, node=node)
        if record is None:
            raise ConfigurationFailed(
                f"no plugin configures nodes with configurator {node.configurator!r}",
                host=node.name, step="configure",
            )
        return record

    with ThreadPoolExecutor(max_workers=max(1, len(ctx.nodes)), thread_name_prefix="configure") as pool:
        records = dict(zip([n.name for n in ctx.nodes], pool.map(one, ctx.nodes), strict=True))
    ctx.result.facts["configure"] = records
    versions = {r.get("product_version") for r in records.values() if r.get("product_version")}
    if versions:
        ctx.result.product_version = ", ".join(sorted(versions))
    hashes = {r.get("installer_sha256") for r in records.values() if r.get("installer_sha256")}
    if hashes:
        ctx.result.installer_sha256 = ", ".join(sorted(hashes))
    return records


def _deploy(ctx: ScenarioContext) -> Any:
    deployment = ctx.run.pm.hook.hvrt_deploy(ctx=ctx)
    if deployment is None:
        raise InfrastructureError("no plugin deployed the cloud", host=ctx.controller.name, step="deploy")
    ctx.deployment = deployment
    return deployment


def _test(ctx: ScenarioContext) -> Any:
    if ctx.deployment is None:
        raise TestRunError("nothing was deployed to test", step="test")
    tests = ctx.run.pm.hook.hvrt_run_tests(ctx=ctx, deployment=ctx.deployment)
    if tests is None:
        raise TestRunError("no plugin ran the tests", step="test")
    if not tests:
        raise TestRunError("zero tests were executed", step="test")
    ctx.result.tests = list(tests)
    return tests


def _collect(ctx: ScenarioContext) -> Any:
    return ctx.run.pm.hook.hvrt_collect(ctx=ctx)


def _report(ctx: ScenarioContext) -> Any:
    return ctx.run.pm.hook.hvrt_report_scenario(ctx=ctx, result=ctx.run.results.published(ctx.result))


def _teardown(ctx: ScenarioContext) -> Any:
    try:
        return ctx.run.pm.hook.hvrt_teardown(ctx=ctx)
    finally:
        ctx.close_transports()


def _plan(ctx: ScenarioContext) -> Any:
    ctx.result.nodes = [n.name for n in ctx.nodes]
    ctx.result.controller = ctx.controller.name
    return ctx.result.nodes


RUNNERS = {
    "plan": _plan, "provision": _provision, "configure": _configure, "deploy": _deploy,
    "test": _test, "collect": _collect, "report": _report, "teardown": _teardown,
}


@hookimpl(trylast=True)
def hvrt_stage(ctx: ScenarioContext, stage: str) -> Any:
    result = RUNNERS[stage](ctx)
    return True if result is None else result
