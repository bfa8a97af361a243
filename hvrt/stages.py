"""The stage order of a scenario, as data, and the core plugin that runs each stage.

The engine walks :data:`STEPS`: the stages of :data:`STAGES` in order, where the
stages :data:`CONCURRENT` names form one step and run side by side (configure the
Hyper-V nodes while DevStack deploys, as the legacy tool does; ``start`` then
restarts the node services and checks the cloud once both are done). For each
stage it calls ``hvrt_stage`` (so wrappers can act around it), whose core
implementation below calls the stage's own hook and applies its rule (first result
required, fan-out, ...). :func:`select_stages` turns ``hvrt run --stages`` /
``--from`` into the stages a run executes.
"""
from __future__ import annotations

import difflib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from hvrt import hookimpl
from hvrt.context import ScenarioContext
from hvrt.errors import ConfigurationFailed, InfrastructureError, TestRunError, UsageError
from hvrt.preflight import PreflightFailed, run_preflight

STAGES: tuple[str, ...] = (
    "plan", "provision", "configure", "deploy", "start", "test", "collect", "report", "teardown",
)
"""The pipeline of one scenario, in order."""

CONCURRENT: tuple[tuple[str, ...], ...] = (("configure", "deploy"),)
"""Adjacent stages of :data:`STAGES` that run side by side as one step. A failure
of one member cancels the others; each keeps its own timeout and journal records."""

ALWAYS_RUN: frozenset[str] = frozenset({"collect", "report", "teardown"})
"""Stages that run even after an earlier stage failed (evidence, reports, cleanup)."""

DEFAULT_TIMEOUTS: dict[str, float] = {
    "plan": 60, "provision": 600, "configure": 3600, "deploy": 7200, "start": 1800,
    "test": 14400, "collect": 1800, "report": 600, "teardown": 600,
}
"""Seconds per stage; override with ``timeouts:`` in the config or a profile."""

BOOKKEEPING: frozenset[str] = frozenset({"plan"}) | ALWAYS_RUN
"""Stages that run whatever ``--stages`` selects: plan touches no host, and the
evidence, reports and cleanup are always wanted."""

NEEDS_DEPLOYMENT: frozenset[str] = frozenset({"start", "test"})
"""Stages that need a deployed cloud: selected without ``deploy``, the run reuses
the deployment an earlier run recorded."""


def steps(stages: Sequence[str] = STAGES,
          together: Sequence[Sequence[str]] = CONCURRENT) -> tuple[tuple[str, ...], ...]:
    """``stages`` as the engine runs them: one tuple per step, the members of a group
    of ``together`` in one tuple. A group must name adjacent stages, none of which
    always runs (ValueError otherwise: the table is wrong, not the user)."""
    group_of: dict[str, tuple[str, ...]] = {}
    for group in together:
        members = tuple(group)
        at = [stages.index(m) for m in members]
        if at != list(range(at[0], at[0] + len(at))) or set(members) & (ALWAYS_RUN | {"plan"}):
            raise ValueError(f"concurrent stages {members} must be adjacent and never always-run")
        group_of.update(dict.fromkeys(members, members))
    out: list[tuple[str, ...]] = []
    for stage in stages:
        step = group_of.get(stage, (stage,))
        if not out or out[-1] != step:
            out.append(step)
    return tuple(out)


STEPS: tuple[tuple[str, ...], ...] = steps()
"""The steps of one scenario: :data:`STAGES` grouped by :data:`CONCURRENT`."""


def _known_stage(name: str, option: str) -> str:
    name = name.strip()
    if name not in STAGES:
        close = difflib.get_close_matches(name, STAGES, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UsageError(f"{option}: unknown stage {name!r}{hint}; stages: {', '.join(STAGES)}")
    return name


def select_stages(names: Sequence[str] | None = None, start: str | None = None) -> tuple[str, ...] | None:
    """The stages ``--stages a,b`` or ``--from STAGE`` select, in pipeline order (None:
    all). Unknown names are a :class:`UsageError`; the two options exclude each other."""
    if names and start:
        raise UsageError("--stages and --from exclude each other")
    if start:
        first = _known_stage(start, "--from")
        return STAGES[STAGES.index(first):]
    if names:
        wanted = {_known_stage(n, "--stages") for item in names for n in item.split(",") if n.strip()}
        if not wanted:
            raise UsageError("--stages: name at least one stage")
        return tuple(s for s in STAGES if s in wanted)
    return None


def runs_stage(selected: Sequence[str] | None, stage: str) -> bool:
    return selected is None or stage in selected or stage in BOOKKEEPING


def needs_recorded_deployment(selected: Sequence[str] | None) -> bool:
    """True when a selected stage needs a cloud that the run itself will not deploy."""
    return selected is not None and "deploy" not in selected and any(s in selected for s in NEEDS_DEPLOYMENT)


def _provision(ctx: ScenarioContext) -> Any:
    checks = [c for group in ctx.run.pm.hook.hvrt_provision(ctx=ctx) if group for c in group]
    report = run_preflight([*ctx.nodes, ctx.controller], ctx.run, transport_for=ctx.transport,
                           timeout=ctx.call_timeout(ctx.run.options.preflight_timeout))
    checks += [c.to_dict() for c in report.checks]
    ctx.result.facts["preflight"] = checks
    if not report.ok:
        raise PreflightFailed(report, step="provision")
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
    ctx.result.facts["deployment"] = deployment.to_record()
    return deployment


def _test(ctx: ScenarioContext) -> Any:
    if ctx.deployment is None:
        raise TestRunError("nothing was deployed to test", step="test")
    tests = ctx.run.pm.hook.hvrt_run_tests(ctx=ctx, deployment=ctx.deployment)
    if tests is None:
        raise TestRunError("no plugin ran the tests", step="test")
    if not tests:  # none selected, or the runner lost them: nothing ran, an infrastructure error
        raise TestRunError("zero tests were executed", step="test")
    ctx.result.tests = list(tests)
    from hvrt.results.model import ScenarioStatus, TestStatus

    if all(t.status is TestStatus.SKIPPED for t in tests):  # they ran, and each one skipped itself
        ctx.log.warning("all %d tests skipped: the scenario tested nothing (status %s)", len(tests),
                        ScenarioStatus.ALL_SKIPPED.value)
    return tests


def _start(ctx: ScenarioContext) -> Any:
    """After configure and deploy: each node's configurator starts its services (in
    parallel), then the deployer checks the cloud. Implemented by no plugin (one that
    restarts services in configure and checks health in deploy), it does nothing."""
    if ctx.deployment is None:
        raise InfrastructureError("nothing was deployed to start", host=ctx.controller.name, step="start")
    hook = ctx.run.pm.hook

    def one(node: Any) -> Any:
        return hook.hvrt_start_node(ctx=ctx, node=node)

    with ThreadPoolExecutor(max_workers=max(1, len(ctx.nodes)), thread_name_prefix="start") as pool:
        started = dict(zip([n.name for n in ctx.nodes], pool.map(one, ctx.nodes), strict=True))
    record = {"nodes": {name: r for name, r in started.items() if r is not None},
              "health": hook.hvrt_check_deployment(ctx=ctx, deployment=ctx.deployment)}
    ctx.result.facts["start"] = record
    return record


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
    "start": _start, "test": _test, "collect": _collect, "report": _report, "teardown": _teardown,
}


@hookimpl(trylast=True)
def hvrt_stage(ctx: ScenarioContext, stage: str) -> Any:
    result = RUNNERS[stage](ctx)
    return True if result is None else result
