"""The engine with real plugins written here: stage order, failures, timeouts, cancel."""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from hvrt import hookimpl
from hvrt.config.model import Config, Host, Profile, Release, Scenario, Secret
from hvrt.context import Deployment, RunContext, RunOptions, ScenarioContext
from hvrt.engine import Engine
from hvrt.errors import ConfigurationFailed
from hvrt.plugins import create_plugin_manager
from hvrt.results import ScenarioStatus, TestCase, TestStatus
from hvrt.results.journal import Journal, read_journal
from hvrt.stages import CONCURRENT, STAGES


def make_config(timeouts: dict[str, float] | None = None) -> Config:
    nodes = {f"hv{i}": Host(f"hv{i}", "node", f"127.0.0.{10 + i}", "local", labels={"os": "2012r2"},
                            configurator="fake") for i in (1, 2, 3)}
    controllers = {"ctl": Host("ctl", "controller", "127.0.0.1", "local")}
    profiles = {"solo": Profile("solo"), "pair": Profile("pair", live_migration=True)}
    return Config("hvrt.yaml", controllers, nodes, Release(name="rel"), profiles, plugins=(),
                  timeouts=timeouts or {})


def scenarios(config: Config, *names: str) -> list[Scenario]:
    return [Scenario(n, config.profiles[n], tuple(config.nodes), tuple(config.controllers)) for n in names]


class Lab:
    """A plugin that acts every stage on the local machine and records what it saw."""

    def __init__(self, tests: list[TestCase] | None = None) -> None:
        self.seen: list[tuple[str, str]] = []
        self.tests = tests if tests is not None else [TestCase("t.a", TestStatus.PASSED, 0.1)]
        self.lock = threading.Lock()

    def note(self, ctx: ScenarioContext, what: str) -> None:
        with self.lock:
            self.seen.append((ctx.name, what))

    @hookimpl
    def hvrt_provision(self, ctx: ScenarioContext):
        self.note(ctx, "provision")
        out = ctx.transport(ctx.controller).run(["uname", "-s"], timeout=10, check=True)
        return [{"host": ctx.controller.name, "check": "uname", "ok": True, "detail": out.stdout.strip()}]

    @hookimpl
    def hvrt_configure_node(self, ctx: ScenarioContext, node: Host):
        if node.configurator != "fake":
            return None
        self.note(ctx, f"configure {node.name}")
        return {"configurator": "fake", "product_version": "1.2.3"}

    @hookimpl
    def hvrt_deploy(self, ctx: ScenarioContext):
        self.note(ctx, "deploy")
        return Deployment(ctx.controller.name, "http://127.0.0.1:5000/v3", "admin", Secret("s3cret-pw", "test"))

    @hookimpl
    def hvrt_run_tests(self, ctx: ScenarioContext, deployment: Deployment):
        self.note(ctx, "test")
        return list(self.tests)

    @hookimpl
    def hvrt_collect(self, ctx: ScenarioContext):
        self.note(ctx, "collect")
        ctx.save("logs/ctl/app.log", "connected with password s3cret-pw\n")

    @hookimpl
    def hvrt_report_scenario(self, ctx: ScenarioContext, result):
        self.note(ctx, "report")

    @hookimpl
    def hvrt_teardown(self, ctx: ScenarioContext):
        self.note(ctx, "teardown")


def run_engine(tmp_path: Path, plugin: object, names=("solo",), *, config=None, jobs=1, fail_fast=False,
               cancel_after=None, stages=None, progress=None, graph=None):
    config = config or make_config()
    pm = create_plugin_manager((), extra=[("lab", plugin)])
    run = RunContext(config, pm, "run1", tmp_path, RunOptions(jobs=jobs, fail_fast=fail_fast, stages=stages))
    run.redactor.add("s3cret-pw")
    journal = Journal(tmp_path / "journal.jsonl")
    engine = Engine(run, journal, progress=progress, **({"steps": graph} if graph else {}))
    if cancel_after is not None:
        threading.Timer(cancel_after, run.cancel.set).start()
    results = engine.run_all(scenarios(config, *names))
    journal.close()
    return {r.name: r for r in results}


def test_every_stage_runs_in_order_and_results_are_saved(tmp_path: Path) -> None:
    lab = Lab()
    result = run_engine(tmp_path, lab)["solo"]
    assert result.status is ScenarioStatus.PASSED
    assert [s.stage for s in result.stages] == list(STAGES)
    assert all(s.status == "ok" for s in result.stages)
    seen = [w for _, w in lab.seen]
    assert seen[0] == "provision" and set(seen[1:3]) == {"configure hv1", "deploy"}  # side by side
    assert seen[3:] == ["test", "collect", "report", "teardown"]
    saved = json.loads((tmp_path / "solo" / "results.json").read_text())
    assert saved["status"] == "passed" and saved["counts"]["passed"] == 1
    assert saved["product_version"] == "1.2.3"
    assert saved["facts"]["preflight"][0]["detail"] == "Linux"
    state = read_journal(tmp_path / "journal.jsonl")
    assert state.finished == {"solo"}
    stage_events = [(e["event"], e.get("stage")) for e in state.events if e["event"].startswith("stage")]
    pair = stage_events[4:8]  # configure and deploy, interleaved in any order
    assert sorted(pair) == sorted((kind, st) for st in CONCURRENT[0] for kind in ("stage_start", "stage_end"))
    assert all(pair.index(("stage_start", st)) < pair.index(("stage_end", st)) for st in CONCURRENT[0])
    serial = [(kind, st) for st in STAGES if st not in CONCURRENT[0] for kind in ("stage_start", "stage_end")]
    assert stage_events[:4] + stage_events[8:] == serial
    together = {e["stage"]: e.get("together") for e in state.events if e["event"] == "stage_end"}
    assert together["configure"] == ["deploy"] and together["deploy"] == ["configure"]
    assert together["test"] is None


def test_collected_files_and_logs_hold_no_secret(tmp_path: Path) -> None:
    run_engine(tmp_path, Lab())
    texts = [p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file()]
    assert texts and not any("s3cret-pw" in t for t in texts)
    assert "***" in (tmp_path / "solo" / "logs" / "ctl" / "app.log").read_text()


def test_failed_configure_skips_deploy_and_test_but_collects_and_tears_down(tmp_path: Path) -> None:
    class Broken(Lab):
        @hookimpl
        def hvrt_configure_node(self, ctx, node):
            raise ConfigurationFailed("MSI install failed", host=node.name, step="install")

    lab = Broken()
    result = run_engine(tmp_path, lab)["solo"]
    assert result.status is ScenarioStatus.ERROR
    assert "MSI install failed" in result.error
    by_stage = {s.stage: s.status for s in result.stages}
    assert by_stage["deploy"] in ("ok", "cancelled")  # side by side: it may have finished first
    assert by_stage["test"] == "skipped"
    assert by_stage["collect"] == by_stage["report"] == by_stage["teardown"] == "ok"
    assert ("solo", "teardown") in lab.seen


def test_failing_tests_make_the_scenario_failed(tmp_path: Path) -> None:
    lab = Lab([TestCase("t.a", TestStatus.PASSED), TestCase("t.b", TestStatus.FAILED, details="boom")])
    assert run_engine(tmp_path, lab)["solo"].status is ScenarioStatus.FAILED


def test_zero_tests_is_an_error_never_a_pass(tmp_path: Path) -> None:
    result = run_engine(tmp_path, Lab(tests=[]))["solo"]
    assert result.status is ScenarioStatus.ERROR
    assert "zero tests" in result.error


def test_a_stage_past_its_timeout_errors_and_teardown_still_runs(tmp_path: Path) -> None:
    class Slow(Lab):
        @hookimpl
        def hvrt_deploy(self, ctx):
            time.sleep(5)

    lab = Slow()
    started = time.monotonic()
    result = run_engine(tmp_path, lab, config=make_config({"deploy": 0.5}))["solo"]
    assert time.monotonic() - started < 4
    assert result.status is ScenarioStatus.ERROR
    assert "exceeded its 0s timeout" in result.error or "timeout" in result.error
    assert ("solo", "teardown") in lab.seen


def test_live_migration_scenario_gets_two_distinct_nodes(tmp_path: Path) -> None:
    lab = Lab()
    result = run_engine(tmp_path, lab, ("pair",))["pair"]
    assert len(set(result.nodes)) == 2
    assert sorted(w for _, w in lab.seen if w.startswith("configure")) == [f"configure {n}" for n in sorted(result.nodes)]


def test_cancel_interrupts_and_tears_down(tmp_path: Path) -> None:
    class Hanging(Lab):
        @hookimpl
        def hvrt_deploy(self, ctx):
            ctx.transport(ctx.controller).run(["sleep", "30"], timeout=60)

    lab = Hanging()
    started = time.monotonic()
    result = run_engine(tmp_path, lab, cancel_after=0.5)["solo"]
    assert time.monotonic() - started < 20
    assert result.status is ScenarioStatus.INTERRUPTED
    assert ("solo", "teardown") in lab.seen


def test_fail_fast_starts_nothing_after_a_failure(tmp_path: Path) -> None:
    config = make_config()
    config.profiles["solo2"] = Profile("solo2")
    lab = Lab([TestCase("t.b", TestStatus.FAILED)])
    results = run_engine(tmp_path, lab, ("solo", "solo2"), config=config, fail_fast=True)
    statuses = sorted(r.status.value for r in results.values())
    assert statuses == ["failed", "skipped"]


def test_scenarios_on_disjoint_nodes_overlap_in_time(tmp_path: Path) -> None:
    config = make_config()
    config.controllers["ctl2"] = Host("ctl2", "controller", "127.0.0.2", "local")
    config.profiles["solo2"] = Profile("solo2")

    class Timed(Lab):
        @hookimpl
        def hvrt_deploy(self, ctx):
            time.sleep(0.6)
            return super().hvrt_deploy(ctx)

    started = time.monotonic()
    results = run_engine(tmp_path, Timed(), ("solo", "solo2"), config=config, jobs=2)
    assert all(r.status is ScenarioStatus.PASSED for r in results.values())
    assert set(results["solo"].nodes).isdisjoint(results["solo2"].nodes)
    assert time.monotonic() - started < 1.1, "the two scenarios did not run at the same time"


def test_a_wrapper_on_hvrt_stage_acts_around_every_stage(tmp_path: Path) -> None:
    class Timing:
        def __init__(self) -> None:
            self.timed: list[tuple[str, bool]] = []

        @hookimpl(wrapper=True)
        def hvrt_stage(self, ctx, stage):
            started = time.monotonic()
            try:
                return (yield)
            finally:
                self.timed.append((stage, time.monotonic() - started >= 0))

    config = make_config()
    timing = Timing()
    pm = create_plugin_manager((), extra=[("lab", Lab()), ("timing", timing)])
    run = RunContext(config, pm, "run1", tmp_path, RunOptions())
    journal = Journal(tmp_path / "journal.jsonl")
    Engine(run, journal).run_all(scenarios(config, "solo"))
    journal.close()
    assert sorted(s for s, _ in timing.timed) == sorted(STAGES)


# --------------------------------------------------------- configure | deploy, start


def test_configure_and_deploy_run_side_by_side_and_start_follows_both(tmp_path: Path) -> None:
    meet = threading.Barrier(3, timeout=10)  # broken (an error) unless both nodes and deploy are at it at once

    class Together(Lab):
        @hookimpl
        def hvrt_configure_node(self, ctx, node):
            meet.wait()
            return super().hvrt_configure_node(ctx, node)

        @hookimpl
        def hvrt_deploy(self, ctx):
            meet.wait()
            return super().hvrt_deploy(ctx)

        @hookimpl
        def hvrt_start_node(self, ctx, node):
            self.note(ctx, f"start {node.name}")
            return {"services": {"nova-compute": "Running"}}

        @hookimpl
        def hvrt_check_deployment(self, ctx, deployment):
            self.note(ctx, f"check {deployment.auth_url}")
            return {"nodes_up": [n.name for n in ctx.nodes]}

    lab = Together()
    shown: list[str] = []
    result = run_engine(tmp_path, lab, ("pair",),
                        progress=lambda _s, e, d: shown.append(d) if e == "stage" else None)["pair"]
    assert result.status is ScenarioStatus.PASSED, result.error
    seen = [w for _, w in lab.seen]
    first_start = min(i for i, w in enumerate(seen) if w.startswith("start "))
    assert {"deploy", *(f"configure {n}" for n in result.nodes)} == set(seen[1:first_start])
    assert sorted(seen[first_start:first_start + 2]) == [f"start {n}" for n in sorted(result.nodes)]
    assert seen[first_start + 2] == "check http://127.0.0.1:5000/v3"
    assert result.facts["start"]["nodes"] == {n: {"services": {"nova-compute": "Running"}} for n in result.nodes}
    assert result.facts["start"]["health"] == {"nodes_up": result.nodes}
    assert [s.stage for s in result.stages] == list(STAGES)
    assert "configure+deploy" in shown and shown.index("configure+deploy") < shown.index("start")


def test_the_start_stage_does_nothing_when_no_plugin_implements_it(tmp_path: Path) -> None:
    lab = Lab()  # restarts services in configure and checks health in deploy, as before
    result = run_engine(tmp_path, lab)["solo"]
    assert result.status is ScenarioStatus.PASSED
    assert result.stage("start").status == "ok" and result.facts["start"] == {"nodes": {}, "health": None}


class DeployWaitsForever(Lab):
    """deploy blocks in a remote call (30 s); configure fails once that call runs."""

    def __init__(self, marker: Path) -> None:
        super().__init__()
        self.marker = marker

    @hookimpl
    def hvrt_configure_node(self, ctx, node):
        for _ in range(200):  # until deploy's command is running (at most 10 s)
            if self.marker.exists():
                break
            time.sleep(0.05)
        time.sleep(0.2)
        raise ConfigurationFailed("MSI install failed", host=node.name, step="install")

    @hookimpl
    def hvrt_deploy(self, ctx):
        ctx.transport(ctx.controller).run(["sh", "-c", 'touch "$0" && sleep 30', str(self.marker)], timeout=60)
        self.note(ctx, "deploy finished")
        return super().hvrt_deploy(ctx)


def test_a_failed_configure_cancels_the_deploy_and_the_scenario_still_tears_down(tmp_path: Path) -> None:
    lab = DeployWaitsForever(tmp_path / "deploying")
    result = run_engine(tmp_path, lab)["solo"]
    assert result.status is ScenarioStatus.ERROR
    assert "MSI install failed" in result.error  # the cause, not the cancellation it caused
    by_stage = {s.stage: s for s in result.stages}
    assert by_stage["configure"].status == "failed"
    assert by_stage["deploy"].status == "cancelled" and by_stage["deploy"].error == "cancelled: configure failed"
    assert by_stage["start"].status == by_stage["test"].status == "skipped"
    assert by_stage["collect"].status == by_stage["teardown"].status == "ok"  # transports open again
    assert ("solo", "deploy finished") not in lab.seen
    ends = {e["stage"]: e["status"] for e in read_journal(tmp_path / "journal.jsonl").events if e["event"] == "stage_end"}
    assert ends["configure"] == "failed" and ends["deploy"] == "cancelled" and "start" not in ends


def test_a_deploy_past_its_timeout_cancels_the_configure(tmp_path: Path) -> None:
    class SlowDeploy(Lab):
        @hookimpl
        def hvrt_configure_node(self, ctx, node):
            ctx.transport(ctx.controller).run(["sleep", "30"], timeout=60)
            self.note(ctx, "configure finished")

        @hookimpl
        def hvrt_deploy(self, ctx):
            threading.Event().wait(5)  # ignores everything: only the timeout ends it

    lab = SlowDeploy()
    result = run_engine(tmp_path, lab, config=make_config({"deploy": 0.5}))["solo"]
    by_stage = {s.stage: s for s in result.stages}
    assert by_stage["deploy"].status == "failed" and "timeout" in by_stage["deploy"].error
    assert by_stage["configure"].status == "cancelled" and by_stage["configure"].error == "cancelled: deploy failed"
    assert "timeout" in result.error and ("solo", "configure finished") not in lab.seen
    assert ("solo", "teardown") in lab.seen


def test_selecting_one_stage_of_the_pair_runs_it_alone(tmp_path: Path) -> None:
    lab = Lab()
    result = run_engine(tmp_path, lab, stages=("configure",))["solo"]
    by_stage = {s.stage: s.status for s in result.stages}
    assert by_stage["configure"] == "ok" and by_stage["deploy"] == by_stage["start"] == "skipped"
    assert "deploy" not in [w for _, w in lab.seen]
    events = [e for e in read_journal(tmp_path / "journal.jsonl").events if e.get("stage") == "configure"]
    assert [e["event"] for e in events] == ["stage_start", "stage_end"] and "together" not in events[0]
