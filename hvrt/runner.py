"""One ``hvrt run`` from start to end: load, plan, run the engine, report, exit code.

This is the Python API behind the CLI, ``hvrt.testing`` and the Salt extension::

    outcome = execute(RunRequest(config_path="hvrt.yaml", profiles=["2012r2-vhdx"]))
    outcome.exit_code, outcome.run_dir, outcome.summary

A run folder holds ``run.json`` (what was asked), ``journal.jsonl`` (what happened)
and the results; ``RunRequest(resume_dir=...)`` continues it. Before the first
scenario, every host of the run goes through pre-flight (:mod:`hvrt.preflight`): a
failing host ends the run at once (exit 3, no scenario started) unless
``RunOptions.skip_unhealthy`` leaves it out of the lease pool. ``--rerun-failed``,
``--reuse-deployment`` and ``--stages`` plans come from :mod:`hvrt.rerun`. The
release overrides (``RunOptions.installer``, ``sha256``, ``devstack_branch``) are
applied to the config before any plugin sees it and recorded in ``run.json``
(``release_overrides``, with ``destroy``) so ``--resume`` keeps them; a run that
needs an installer or a DevStack branch it has from neither stops with exit 2
before anything starts (:func:`hvrt.config.release.missing`).
"""
from __future__ import annotations

import dataclasses
import json
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pluggy

from hvrt import rerun
from hvrt.config import load_config, select_scenarios
from hvrt.config.model import Config, Release, Scenario
from hvrt.config.release import ReleaseOverrides, raise_if_missing, with_release_overrides
from hvrt.context import DESTROY_POLICIES, Deployment, RunContext, RunOptions
from hvrt.engine import Engine, ProgressCallback
from hvrt.errors import ExitCode, UsageError
from hvrt.fsutil import ensure_dir
from hvrt.plugins import available_entry_points, create_plugin_manager
from hvrt.preflight import PreflightFailed, PreflightReport, hosts_for, run_preflight
from hvrt.redact import RedactingFilter, Redactor
from hvrt.results import RunSummary, ScenarioResult, ScenarioStatus
from hvrt.results.journal import read_journal
from hvrt.results.layout import HVRT_LOG, JOURNAL, SUMMARY_JSON, RunLayout
from hvrt.results.reader import load_result_or_skipped, load_run, read_run_meta
from hvrt.results.store import ResultsStore, dumps
from hvrt.stages import needs_recorded_deployment

log = logging.getLogger("hvrt.run")


@dataclass
class RunRequest:
    config_path: str | Path = "hvrt.yaml"
    profiles: list[str] = field(default_factory=list)
    all: bool = False
    results: str | Path = "results"
    options: RunOptions = field(default_factory=RunOptions)
    resume_dir: str | Path | None = None
    extra_plugins: Iterable[tuple[str, object]] = ()
    run_id: str | None = None
    on_plugin_manager: Callable[[pluggy.PluginManager], None] | None = None
    """Called with the plugin manager before its first hook call (hvrt.testing records)."""


@dataclass
class RunOutcome:
    exit_code: int
    summary: RunSummary
    run_dir: Path
    scenarios: list[Scenario]
    preflight: PreflightReport | None = None
    """The run's pre-flight (None when skipped)."""
    error: PreflightFailed | None = None
    """Why the run stopped before its first scenario (a host failed pre-flight)."""


PREFLIGHT_JSON = "preflight.json"
"""The run's pre-flight report, at the root of the run folder."""


@dataclass
class _Plan:
    """What a run executes, beyond its scenarios (recorded in run.json for --resume)."""

    scenarios: list[Scenario]
    stages: tuple[str, ...] | None = None
    rerun: dict[str, tuple[str, ...]] = field(default_factory=dict)
    deployments: dict[str, Deployment] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    """scenario -> the run folder its reused deployment comes from."""
    rerun_of: str | None = None

    def meta(self) -> dict[str, Any]:
        return {"stages": list(self.stages) if self.stages is not None else None,
                "rerun_of": self.rerun_of, "rerun_tests": {k: list(v) for k, v in self.rerun.items()},
                "deployments_from": dict(self.sources)}


def prepare(
    config_path: str | Path,
    extra_plugins: Iterable[tuple[str, object]] = (),
    on_plugin_manager: Callable[[pluggy.PluginManager], None] | None = None,
    overrides: ReleaseOverrides | None = None,
) -> tuple[Config, pluggy.PluginManager]:
    """Load the config, build the plugin manager it asks for, add plugin profiles;
    ``overrides`` (the command line's installer and branch) replace the release's
    before any plugin sees the config."""
    extra_plugins = list(extra_plugins)
    config = with_release_overrides(load_config(config_path, extra_plugins=extra_plugins), overrides)
    for warning in config.warnings:
        log.warning("%s", warning)
    pm = create_plugin_manager(config.plugins, extra=extra_plugins)
    if on_plugin_manager is not None:
        on_plugin_manager(pm)
    contributed = [p for group in pm.hook.hvrt_profiles(config=config) if group for p in group]
    if contributed:
        config = with_release_overrides(
            load_config(config_path, extra_profiles=contributed, extra_plugins=extra_plugins), overrides)
    pm.hook.hvrt_configure.call_historic(kwargs={"config": config})
    return config, pm


def exit_code_for(summary: RunSummary) -> ExitCode:
    statuses = {s.status for s in summary.scenarios}
    if summary.interrupted or ScenarioStatus.INTERRUPTED in statuses:
        return ExitCode.INTERRUPTED
    if ScenarioStatus.ERROR in statuses or ScenarioStatus.SKIPPED in statuses:
        return ExitCode.INFRASTRUCTURE_ERROR
    if ScenarioStatus.FAILED in statuses or ScenarioStatus.ALL_SKIPPED in statuses:
        return ExitCode.TEST_FAILURES  # all-skipped tested nothing: not a pass (docs/tempest.md)
    return ExitCode.OK


def _new_run_dir(results: Path, release: str, run_id: str | None, dir_mode: int) -> tuple[str, Path]:
    base = run_id or time.strftime("%Y%m%d-%H%M%S")
    for n in range(1000):
        candidate = base if n == 0 else f"{base}-{n}"
        folder = RunLayout.new_run_dir(results, release, candidate)
        ensure_dir(folder.parent, dir_mode)
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder.name, folder
    raise UsageError(f"cannot create a run folder under {results}")


def _resume_plan(request: RunRequest) -> tuple[Path, dict[str, Any]]:
    run_dir = Path(request.resume_dir)  # type: ignore[arg-type]
    try:
        return run_dir, read_run_meta(run_dir)
    except UsageError as exc:
        raise UsageError(f"--resume: {exc}") from None


def overrides_of(options: RunOptions) -> ReleaseOverrides:
    """The release overrides ``options`` carry (``--installer``, ``--sha256``, ``--devstack-branch``)."""
    return ReleaseOverrides(options.installer, options.sha256, options.devstack_branch)


def _recorded_overrides(config: Config, overrides: ReleaseOverrides) -> dict[str, Any] | None:
    """What run.json keeps of the overrides: as applied (a local installer as its absolute path)."""
    if not overrides:
        return None
    recorded = overrides.to_dict()
    if overrides.installer is not None:
        recorded["installer"] = config.release.installer.url or config.release.installer.path
    return recorded


def _config_for(request: RunRequest, meta: dict[str, Any]) -> str | Path:
    """An explicit config wins; else the one the earlier run (resume, rerun) used."""
    if request.config_path in ("hvrt.yaml", None) and meta.get("config"):
        return str(meta["config"])
    return request.config_path or "hvrt.yaml"


def _plan(request: RunRequest, config: Config, meta: dict[str, Any] | None) -> _Plan:
    """Scenarios, stages, tests and deployments of a new run, or of a resumed one (``meta``)."""
    opts = request.options
    if meta is not None:  # resume: what run.json says was asked
        plan = _Plan(select_scenarios(config, meta["scenarios"], all=False),
                     tuple(meta["stages"]) if meta.get("stages") else None,
                     {k: tuple(v) for k, v in (meta.get("rerun_tests") or {}).items()},
                     rerun_of=meta.get("rerun_of"))
        sources = {k: Path(v) for k, v in (meta.get("deployments_from") or {}).items()}
    else:
        sources = {}
        plan = _Plan([], opts.stages)
        if opts.rerun_failed is not None:
            previous = Path(opts.rerun_failed)
            plan.rerun = rerun.failed_tests(previous)
            if request.profiles:
                plan.rerun = {k: v for k, v in plan.rerun.items() if k in request.profiles}
            if not plan.rerun:
                raise UsageError(f"--rerun-failed: {previous} has no failed or errored test to run again")
            plan.rerun_of = str(previous.resolve())
            plan.scenarios = select_scenarios(config, list(plan.rerun), all=False)
        else:
            plan.scenarios = select_scenarios(config, list(request.profiles), all=request.all)
        if opts.reuse_deployment or needs_recorded_deployment(plan.stages):
            source = opts.deployment_from or opts.rerun_failed
            for sc in plan.scenarios:
                found = rerun.find_deployment(sc.name, source=source, results=Path(request.results),
                                              release=config.release.name)
                sources[sc.name] = str(found.run_dir.resolve())
    if sources:
        plan.stages = rerun.without_reused(plan.stages)
        pinned = []
        for sc in plan.scenarios:
            if sc.name not in sources:
                pinned.append(sc)
                continue
            found = rerun.find_deployment(sc.name, source=Path(sources[sc.name]), results=Path(request.results),
                                          release=config.release.name)
            plan.deployments[sc.name] = Deployment.from_record(found.record, config.release.password)
            plan.sources[sc.name] = sources[sc.name]
            pinned.append(rerun.pinned(config, sc, found))
        plan.scenarios = pinned
    return plan


def execute(request: RunRequest, progress: ProgressCallback | None = None) -> RunOutcome:
    """Run (or resume) the scenarios of ``request``; never raises for scenario failures
    or a host that fails pre-flight (``outcome.error`` then says which)."""
    meta: dict[str, Any] | None = None
    overrides = overrides_of(request.options)
    destroy = request.options.destroy
    if destroy not in (None, *DESTROY_POLICIES):
        raise UsageError(f"--destroy {destroy!r}: choose {', '.join(DESTROY_POLICIES)}")
    if request.resume_dir is not None:
        run_dir, meta = _resume_plan(request)
        if overrides:
            raise UsageError("--resume applies the release overrides the interrupted run recorded; drop "
                             "--installer, --sha256 and --devstack-branch")
        overrides = ReleaseOverrides.from_dict(meta.get("release_overrides"))
        destroy = destroy or meta.get("destroy")
        config, pm = prepare(_config_for(request, meta), request.extra_plugins, request.on_plugin_manager,
                             overrides)
        plan = _plan(request, config, meta)
        raise_if_missing(config, plan.scenarios, plan.stages, plan.deployments)
        run_id = meta["run_id"]
    else:
        config_path: str | Path = request.config_path
        if request.options.rerun_failed is not None:
            try:
                config_path = _config_for(request, read_run_meta(Path(request.options.rerun_failed)))
            except UsageError as exc:
                raise UsageError(f"--rerun-failed: {exc}") from None
        config, pm = prepare(config_path, request.extra_plugins, request.on_plugin_manager, overrides)
        plan = _plan(request, config, None)
        raise_if_missing(config, plan.scenarios, plan.stages, plan.deployments)
        if request.options.dry_run:
            summary = RunSummary(run_id="dry-run", release=config.release.name)
            return RunOutcome(ExitCode.OK, summary, Path(request.results), plan.scenarios)
        run_id, run_dir = _new_run_dir(Path(request.results), config.release.name, request.run_id,
                                       request.options.dir_mode)
        config_path = config.path
    scenarios = plan.scenarios
    options = dataclasses.replace(request.options, stages=plan.stages, destroy=destroy)
    redactor = Redactor(s.reveal() for s in config.secrets)
    store = ResultsStore(run_dir, redactor, file_mode=request.options.file_mode,
                         dir_mode=request.options.dir_mode)
    if request.resume_dir is None:
        store.write_run_meta({
            "run_id": run_id, "release": config.release.name,
            "config": str(Path(config_path).resolve()),
            "scenarios": [s.name for s in scenarios], "created": time.time(),
            "plugins": list(config.plugins), **plan.meta(),
            "destroy": destroy, "release_overrides": _recorded_overrides(config, overrides),
        })
    run = RunContext(config=config, pm=pm, run_id=run_id, run_dir=run_dir,
                     options=options, redactor=redactor, results=store,
                     rerun=dict(plan.rerun), deployments=dict(plan.deployments))
    journal_state = read_journal(run_dir / JOURNAL)
    kept = [s for s in scenarios if s.name in journal_state.finished]
    todo = [s for s in scenarios if s.name not in journal_state.finished]
    summary = RunSummary(run_id=run_id, release=config.release.name, started=time.time())
    for sc in kept:
        summary.scenarios.append(load_result_or_skipped(run_dir, sc.name))
    if request.options.dry_run:
        return RunOutcome(ExitCode.OK, summary, run_dir, todo)

    hvrt_logger = logging.getLogger("hvrt")
    previous_level = hvrt_logger.level
    handler = _run_log_handler(store, redactor)
    console_filter = RedactingFilter(redactor)
    for console in logging.getLogger().handlers:
        console.addFilter(console_filter)
    journal = store.journal()
    engine = Engine(run, journal, progress=progress)
    journal.record("run_start", run_id=run_id, resume=bool(request.resume_dir),
                   scenarios=[s.name for s in todo], kept=[s.name for s in kept],
                   stages=list(options.stages) if options.stages is not None else None, rerun_of=plan.rerun_of)
    report: PreflightReport | None = None
    stopped: PreflightFailed | None = None
    try:
        pm.hook.hvrt_run_start(run=run, scenarios=[s.name for s in todo])
        unhealthy: dict[str, str] = {}
        if options.preflight and todo:
            report = _preflight(run, todo, journal, progress)
            if not report.ok:
                if options.skip_unhealthy:
                    unhealthy = report.unhealthy
                    run.log.warning("--skip-unhealthy: leaving out %s", ", ".join(unhealthy))
                else:
                    stopped = PreflightFailed(report)
        if stopped is None:
            with _interrupts_cancel(run):
                _wait_interruptibly(lambda: engine.run_all(todo, estimate=_estimator(run_dir),
                                                           unhealthy=unhealthy), run)
        summary.interrupted = run.cancel.is_set()
        fresh = engine.results
        summary.scenarios = [fresh.get(s.name) or _not_started(run_dir, s, stopped) for s in scenarios]
        summary.ended = time.time()
        summary = store.write_summary(summary)
        pm.hook.hvrt_report_run(run=run, summary=summary)
        code = ExitCode.INFRASTRUCTURE_ERROR if stopped is not None else exit_code_for(summary)
        journal.record("run_end", exit_code=int(code), interrupted=summary.interrupted,
                       preflight_failed=stopped is not None)
    finally:
        journal.close()
        hvrt_logger.removeHandler(handler)
        hvrt_logger.setLevel(previous_level)
        handler.close()
        for console in logging.getLogger().handlers:
            console.removeFilter(console_filter)
    return RunOutcome(code, summary, run_dir, scenarios, preflight=report, error=stopped)


def _preflight(run: RunContext, scenarios: list[Scenario], journal: Any,
               progress: ProgressCallback | None) -> PreflightReport:
    """Every host the scenarios may use, checked once; journalled and saved as preflight.json."""
    hosts = hosts_for(run.config, scenarios)
    journal.record("preflight_start", hosts=[h.name for h in hosts])
    if progress is not None:
        progress("", "preflight", f"pre-flight: checking {len(hosts)} hosts")
    report = run_preflight(hosts, run, timeout=run.options.preflight_timeout)
    run.results.publish(PREFLIGHT_JSON, dumps(report.to_dict(), indent=2))
    journal.record("preflight_end", ok=report.ok, duration=round(report.duration, 3),
                   failures=[c.to_dict() for c in report.failures])
    if progress is not None:
        progress("", "preflight", report.table() if not report.ok else report.table().rsplit("\n\n", 1)[-1])
    return report


def _not_started(run_dir: Path, scenario: Scenario, stopped: PreflightFailed | None) -> ScenarioResult:
    """A scenario that has no fresh result: its saved one, else a skipped placeholder;
    after a failed pre-flight an error naming the host (``--resume`` runs it again)."""
    result = load_result_or_skipped(run_dir, scenario.name)
    if stopped is not None and result.status is ScenarioStatus.SKIPPED:
        result.status = ScenarioStatus.ERROR
        result.error = f"not started: {stopped}"
    return result


def _estimator(run_dir: Path) -> Callable[[Scenario], float]:
    """Scenario durations from earlier runs of the same release (1.0 when unknown)."""
    known: dict[str, float] = {}
    for path in sorted(run_dir.parent.glob(f"*/{SUMMARY_JSON}")):
        try:
            for sc in json.loads(path.read_text(encoding="utf-8")).get("scenarios", []):
                if sc.get("duration"):
                    known[sc["name"]] = float(sc["duration"])
        except (OSError, ValueError):
            continue
    return lambda sc: known.get(sc.name, 1.0)


def _run_log_handler(store: ResultsStore, redactor: Redactor) -> logging.Handler:
    handler = logging.FileHandler(store.log_file(HVRT_LOG), encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter(redactor))
    handler.setLevel(logging.INFO)
    root = logging.getLogger("hvrt")
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    return handler


class _interrupts_cancel:
    """Within the block, SIGTERM acts like Ctrl-C (main thread only)."""

    def __init__(self, run: RunContext) -> None:
        self.run = run
        self.previous: Any = None

    def __enter__(self) -> None:
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGTERM, _raise_interrupt)

    def __exit__(self, *exc: object) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)


def _raise_interrupt(_signum: int, _frame: Any) -> None:
    raise KeyboardInterrupt


GRACE_SECONDS = float(os.environ.get("HVRT_INTERRUPT_GRACE", "120"))


def _wait_interruptibly(work: Callable[[], Any], run: RunContext) -> None:
    """Run ``work`` in a thread; on Ctrl-C cancel the run and wait (bounded) for teardown.

    Waits on an Event, not ``Thread.join``: a join interrupted by KeyboardInterrupt
    leaves CPython believing the thread has ended.
    """
    done = threading.Event()

    def target() -> None:
        try:
            work()
        finally:
            done.set()

    threading.Thread(target=target, name="engine", daemon=True).start()
    try:
        while not done.wait(0.2):
            pass
    except KeyboardInterrupt:
        log.warning("interrupted: tearing down running scenarios (Ctrl-C again to abandon)")
        run.cancel.set()
        try:
            done.wait(GRACE_SECONDS)
        except KeyboardInterrupt:
            pass


def render_reports(run_dir: Path, *, plugins: Iterable[str] | None = None,
                   redactor: Redactor | None = None) -> RunSummary:
    """Rebuild every report of a run folder from its JSON files, as the end of
    ``hvrt run`` does: ``hvrt_report_run`` of the run's plugins (those ``run.json``
    names, else every installed one) with the published summary. A run that ended
    before writing ``summary.json`` gets it now. Touches no host."""
    run_dir = Path(run_dir)
    summary = load_run(run_dir)
    try:
        meta = read_run_meta(run_dir)
    except UsageError:
        meta = {}
    names = list(plugins if plugins is not None else meta.get("plugins") or sorted(available_entry_points()))
    pm = create_plugin_manager(names)
    config = Config(path=str(meta.get("config", "")), controllers={}, nodes={},
                    release=Release(name=summary.release), profiles={}, plugins=tuple(names))
    store = ResultsStore(run_dir, redactor)
    run = RunContext(config=config, pm=pm, run_id=summary.run_id, run_dir=run_dir,
                     redactor=store.redactor, results=store)
    if (run_dir / SUMMARY_JSON).is_file():
        published = store.published_summary(summary)
    else:  # a run that crashed before its end: its summary is written now, once
        published = store.write_summary(summary)
    pm.hook.hvrt_report_run(run=run, summary=published)
    return published
