"""Run scenarios through the stages of :data:`hvrt.stages.STAGES`.

The engine owns the order and the rules: it walks the steps of
:data:`hvrt.stages.STEPS` (one stage, or stages that run side by side: configure
while deploy, where the first to fail cancels the other, see :mod:`hvrt.stagecall`);
a failed stage skips the rest but for collect, report and teardown (which always
run); each stage has a timeout; the journal gets a durable line at every stage
boundary (a stage of a concurrent step names the others in ``together``); the run's
:class:`~hvrt.results.store.ResultsStore` writes ``results.json`` of a scenario once
it ended. Scenarios run in parallel through the
:class:`hvrt.scheduler.Scheduler`, which leases their hosts; each scenario also
holds them in the lab's coordination service (:mod:`hvrt.leases`) while it runs, so
other hvrt processes never use them at the same time.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from typing import Any

from hvrt.config.model import Scenario
from hvrt.context import RunContext, ScenarioContext, StageCancelled
from hvrt.errors import HvrtError, InfrastructureError, TestRunError
from hvrt.leases.run import RunLeases
from hvrt.leases.service import LeaseBackendError, LeaseWaitCancelled
from hvrt.redact import RedactingFilter, mask_mapping
from hvrt.results import ScenarioResult, ScenarioStatus, TestStatus
from hvrt.results.journal import Journal
from hvrt.results.layout import HVRT_LOG
from hvrt.scheduler import Lease, LeasePool, Scheduler, can_ever_run
from hvrt.stagecall import Abandoned, TimedOut, call_with_timeout, run_together
from hvrt.stages import ALWAYS_RUN, DEFAULT_TIMEOUTS, STEPS, runs_stage

ProgressCallback = Callable[[str, str, str], None]
"""``callback(scenario, event, detail)``: event is "start", "stage", "end"."""

class StageTimeout(InfrastructureError):
    """A stage ran past its time limit."""


class Engine:
    def __init__(
        self,
        run: RunContext,
        journal: Journal,
        *,
        progress: ProgressCallback | None = None,
        steps: Sequence[Sequence[str]] = STEPS,
    ) -> None:
        self.run = run
        self.steps = steps
        """The stage graph walked (:data:`hvrt.stages.STEPS`; tests pass other graphs)."""
        self.journal = journal
        self.progress = progress or (lambda *_a: None)
        self.results: dict[str, ScenarioResult] = {}
        self._contexts: dict[str, ScenarioContext] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ scheduling

    def run_all(self, scenarios: Sequence[Scenario], estimate: Callable[[Scenario], float] | None = None,
                unhealthy: Mapping[str, str] | None = None) -> list[ScenarioResult]:
        """Run ``scenarios``; hosts in ``unhealthy`` (host -> why) are never leased, and a
        scenario that cannot run without them is skipped with that reason."""
        unhealthy = dict(unhealthy or {})
        hosts = [h for h in [*self.run.config.nodes, *self.run.config.controllers] if h not in unhealthy]
        pool = LeasePool(hosts)
        scheduler = Scheduler(
            scenarios, pool, self._work, jobs=self.run.options.jobs,
            estimate=estimate or (lambda _s: 1.0),
        )
        for sc in scheduler.unschedulable:
            if can_ever_run(sc):
                result = ScenarioResult(sc.name, ScenarioStatus.SKIPPED, profile=_profile_dict(sc))
                bad = [h for h in (*sc.candidate_nodes, *sc.candidate_controllers) if h in unhealthy]
                result.error = "skipped: too few healthy hosts; " + "; ".join(
                    f"{h} failed pre-flight: {unhealthy[h]}" for h in bad)
            else:
                result = ScenarioResult(sc.name, ScenarioStatus.ERROR, profile=_profile_dict(sc))
                result.error = "the lab has too few matching nodes or no controller for this scenario"
            self._finish(sc, result)
        self._scheduler = scheduler
        try:  # the hosts leased here are also leased in the lab's coordination service
            self._leases = RunLeases(self.run, self.progress).start()
        except LeaseBackendError as exc:
            self.run.log.error("%s", exc)
            for sc in scheduler.not_started:
                self._not_run(sc, exc)
            return [self.results[s.name] for s in scenarios if s.name in self.results]
        finished = threading.Event()
        watcher = threading.Thread(target=self._watch_cancel, args=(scheduler, finished), daemon=True)
        watcher.start()
        try:
            scheduler.run()
        finally:
            finished.set()
            self._leases.stop()
        for sc in scheduler.not_started:
            self.results.setdefault(sc.name, ScenarioResult(sc.name, ScenarioStatus.SKIPPED, profile=_profile_dict(sc)))
        return [self.results[s.name] for s in scenarios if s.name in self.results]

    def _watch_cancel(self, scheduler: Scheduler, finished: threading.Event) -> None:
        """On Ctrl-C (``run.cancel``): start nothing more and abort running remote calls."""
        while not self.run.cancel.wait(0.2):
            if finished.is_set():
                return
        scheduler.stop()
        with self._lock:
            contexts = list(self._contexts.values())
        for ctx in contexts:  # unblock remote calls so teardown can start
            ctx.close_transports()

    def _work(self, scenario: Scenario, lease: Lease) -> None:
        try:
            with self._leases.holding(scenario.name, lease.hosts, stopped=lambda: self._scheduler.stopped):
                result = self.run_scenario(scenario, lease)
        except (LeaseWaitCancelled, LeaseBackendError) as exc:
            result = self._not_run(scenario, exc)
        except BaseException as exc:  # the scheduler thread must never die silently
            result = ScenarioResult(scenario.name, ScenarioStatus.ERROR, profile=_profile_dict(scenario))
            result.error = f"internal error: {type(exc).__name__}: {exc}"
            self.run.log.exception("scenario %s crashed", scenario.name)
            self._finish(scenario, result)
        if self.run.options.fail_fast and result.status not in (ScenarioStatus.PASSED, ScenarioStatus.SKIPPED):
            self.run.log.warning("--fail-fast: %s ended %s; starting no more scenarios", scenario.name, result.status.value)
            self._scheduler.stop()

    def _not_run(self, scenario: Scenario, exc: HvrtError) -> ScenarioResult:
        """A scenario that never got its hosts: interrupted while it waited for them,
        skipped when --fail-fast stopped the run meanwhile, or an error naming the
        coordination service that failed."""
        status, error = ScenarioStatus.ERROR, str(exc)
        if isinstance(exc, LeaseWaitCancelled):
            status = ScenarioStatus.INTERRUPTED if self.run.cancel.is_set() else ScenarioStatus.SKIPPED
            if status is ScenarioStatus.SKIPPED:
                error = f"not started: --fail-fast stopped the run while it waited for host {exc.host}"
        result = ScenarioResult(scenario.name, status, profile=_profile_dict(scenario))
        result.error = error
        self._finish(scenario, result)
        return result

    # ------------------------------------------------------------------ one scenario

    def run_scenario(self, scenario: Scenario, lease: Lease) -> ScenarioResult:
        config = self.run.config
        folder = self.run.results.scenario_dir(scenario.name)
        result = ScenarioResult(scenario.name, ScenarioStatus.RUNNING, profile=_profile_dict(scenario))
        result.started = time.time()
        log, handler = self._scenario_logger(scenario, folder)
        ctx = ScenarioContext(
            run=self.run, scenario=scenario,
            nodes=[config.nodes[n] for n in lease.nodes],
            controller=config.controllers[lease.controller],
            dir=folder, result=result, log=log,
            deployment=self.run.deployments.get(scenario.name),
            only_tests=self.run.rerun.get(scenario.name),
        )
        if ctx.deployment is not None:
            result.facts["deployment"] = ctx.deployment.to_record()
        if ctx.only_tests is not None:
            result.facts["rerun"] = {"tests": list(ctx.only_tests)}
        with self._lock:
            self._contexts[scenario.name] = ctx
        self.journal.record("scenario_start", scenario=scenario.name, nodes=list(lease.nodes), controller=lease.controller)
        self.progress(scenario.name, "start", "")
        failure: BaseException | None = None
        selected = self.run.options.stages
        try:
            for step in self.steps:
                todo = []
                for stage in step:
                    if (failure is not None or self.run.cancel.is_set()) and stage not in ALWAYS_RUN:
                        result.stage(stage).status = "skipped"
                    elif not runs_stage(selected, stage):
                        result.stage(stage).status = "skipped"
                        self.journal.record("stage_skipped", scenario=scenario.name, stage=stage, reason="not selected")
                    else:
                        todo.append(stage)
                if "report" in todo:
                    result.status = _status(result, failure, self.run.cancel.is_set())
                if len(todo) == 1:
                    error = self._run_stage(ctx, todo[0])
                elif todo:
                    error = self._run_together(ctx, todo)
                else:
                    continue
                if error is not None and failure is None and not set(todo) & ALWAYS_RUN:
                    failure = error
        finally:
            result.ended = time.time()
            result.status = _status(result, failure, self.run.cancel.is_set())
            if failure is not None and not result.error:
                result.error = str(failure)
            log.removeHandler(handler)
            handler.close()
            with self._lock:
                self._contexts.pop(scenario.name, None)
            self._finish(scenario, result)
        return result

    def _run_stage(self, ctx: ScenarioContext, stage: str, together: Sequence[str] = ()) -> BaseException | None:
        """Run and record one stage; ``together``: the other stages of its concurrent
        step (``ctx`` is then this stage's view, with its own stop signal)."""
        record = ctx.result.stage(stage)
        if ctx.stop is not None and ctx.stop.is_set():  # the other stage failed before this one began
            record.status, record.error = "cancelled", f"cancelled: {ctx.stop.reason}"
            self.journal.record("stage_skipped", scenario=ctx.name, stage=stage, reason=record.error)
            return StageCancelled(f"stage {stage} was cancelled: {ctx.stop.reason}", step=stage)
        timeout = self.stage_timeout(ctx.scenario, stage)
        ctx.stage = stage
        ctx.stage_deadline = time.monotonic() + timeout
        record.status, record.started = "running", time.time()
        extra = {"together": list(together)} if together else {}
        self.journal.record("stage_start", scenario=ctx.name, stage=stage, **extra)
        if not together:
            self.progress(ctx.name, "stage", stage)
        ctx.log.info("stage %s started (timeout %ss)", stage, timeout)
        error = call_with_timeout(lambda: self.run.pm.hook.hvrt_stage(ctx=ctx, stage=stage), timeout, ctx.stop)
        stopped = ctx.stop is not None and ctx.stop.is_set()
        if isinstance(error, TimedOut):
            if ctx.stop is not None:
                ctx.stop.stop(f"{stage} timed out")
            else:
                ctx.state["_cancelled"] = True
            ctx.close_transports()
            error, stopped = StageTimeout(f"stage {stage} exceeded its {timeout:.0f}s timeout", step=stage), False
        elif isinstance(error, Abandoned):
            error = StageCancelled(f"stage {stage} did not stop in time", step=stage)
        record.ended = time.time()
        if error is None:
            record.status = "ok"
            ctx.log.info("stage %s ok (%.1fs)", stage, record.duration)
        elif stopped and ctx.stop is not None:
            record.status = "cancelled"
            record.error = f"cancelled: {ctx.stop.reason}"
            ctx.log.warning("stage %s cancelled (%s): %s", stage, ctx.stop.reason, _describe(error))
        else:
            record.status = "failed"
            record.error = _describe(error)
            ctx.log.error("stage %s failed: %s", stage, record.error)
            if getattr(error, "detail", ""):
                ctx.log.error("%s", error.detail)  # type: ignore[attr-defined]
        self.journal.record("stage_end", scenario=ctx.name, stage=stage, status=record.status, error=record.error,
                            **extra)
        return error

    def _run_together(self, ctx: ScenarioContext, stages: Sequence[str]) -> BaseException | None:
        """The stages of one concurrent step side by side; the error of the one that
        failed first (the others were cancelled because of it), or None."""
        for stage in stages:  # records in pipeline order, whoever starts first
            ctx.result.stage(stage)
        ctx.stage = "+".join(stages)
        self.progress(ctx.name, "stage", ctx.stage)

        def ended(_stage: str, running: list[str]) -> None:
            if running:
                self.progress(ctx.name, "stage", "+".join(running))

        errors, first = run_together(
            ctx, stages, lambda s: time.monotonic() + self.stage_timeout(ctx.scenario, s),
            lambda view, s: self._run_stage(view, s, [o for o in stages if o != s]), ended)
        return errors[first] if first is not None else None

    def stage_timeout(self, scenario: Scenario, stage: str) -> float:
        for source in (scenario.profile.timeouts, self.run.config.timeouts):
            if stage in source:
                return float(source[stage])
        return DEFAULT_TIMEOUTS[stage]

    def _finish(self, scenario: Scenario, result: ScenarioResult) -> None:
        self.run.results.scenario_dir(scenario.name)
        self.run.results.write_result(result)
        self.journal.record(
            "scenario_end", scenario=scenario.name, status=result.status.value,
            counts=result.counts(), error=result.error,
        )
        with self._lock:
            self.results[scenario.name] = result
        self.progress(scenario.name, "end", result.status.value)

    def _scenario_logger(self, scenario: Scenario, folder: Any) -> tuple[logging.Logger, logging.Handler]:
        log = logging.getLogger(f"hvrt.scenario.{scenario.name}")
        log.setLevel(logging.DEBUG)
        handler = logging.FileHandler(self.run.results.log_file(folder / HVRT_LOG), encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(threadName)s: %(message)s"))
        handler.addFilter(RedactingFilter(self.run.redactor))
        log.addHandler(handler)
        return log, handler


def _describe(error: BaseException) -> str:
    if isinstance(error, HvrtError):
        return str(error)
    return f"{type(error).__name__}: {error}"


def _status(result: ScenarioResult, failure: BaseException | None, cancelled: bool) -> ScenarioStatus:
    """Interrupted unless the tests completed; error on a failed stage; failed on test problems."""
    if cancelled and result.stage("test").status != "ok":
        return ScenarioStatus.INTERRUPTED
    if failure is not None:
        return ScenarioStatus.ERROR
    if any(t.status.is_problem for t in result.tests):
        return ScenarioStatus.FAILED
    if result.tests and all(t.status is TestStatus.SKIPPED for t in result.tests):
        return ScenarioStatus.ALL_SKIPPED  # nothing was tested: not a pass
    return ScenarioStatus.PASSED


def _profile_dict(scenario: Scenario) -> dict[str, Any]:
    """The profile as reports show it: INI and DevStack values of secret keys masked."""
    data = asdict(scenario.profile)
    data.pop("source", None)
    return mask_mapping(data)  # type: ignore[return-value]


__all__ = ["Engine", "StageTimeout", "TestRunError"]
