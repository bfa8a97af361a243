"""``--rerun-failed``, ``--reuse-deployment`` and ``--stages`` / ``--from`` on the
engine-level test lab: what runs, what is skipped, and which cloud is tested."""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from hvrt import hookimpl
from hvrt.cli.main import main
from hvrt.context import Deployment, RunOptions, ScenarioContext
from hvrt.errors import UsageError
from hvrt.results import TestCase, TestStatus
from hvrt.results.journal import read_journal
from hvrt.runner import RunRequest, execute
from hvrt.stages import select_stages

PLUGIN_DIR = Path(__file__).resolve().parent.parent / "data" / "plugins"
SECRET = "rerun-Secret-23"
FIRST = {"t.A.test_ok": "passed", "t.A.test_bad": "failed", "t.B.test_broken": "error", "t.B.test_skip": "skipped"}


class Runner:
    """Runs the tests ``ctx.only_tests`` names (else all of ``outcomes``), first of the runners."""

    def __init__(self, outcomes: dict[str, str]) -> None:
        self.outcomes = outcomes
        self.asked: dict[str, tuple[str, ...] | None] = {}
        self.deployments: dict[str, Deployment] = {}

    @hookimpl(tryfirst=True)
    def hvrt_run_tests(self, ctx: ScenarioContext, deployment: Deployment):
        self.asked[ctx.name] = ctx.only_tests
        self.deployments[ctx.name] = deployment
        ids = ctx.only_tests if ctx.only_tests is not None else tuple(self.outcomes)
        return [TestCase(i, TestStatus(self.outcomes[i]), 0.01) for i in ids]


def lab_yaml(markers: Path) -> str:
    return f"""\
lab:
  controllers:
    ctl1: {{address: 127.0.0.1, transport: local}}
    ctl2: {{address: 127.0.0.2, transport: local}}
  nodes:
    hv1: {{address: 127.0.0.11, transport: local, labels: {{os: 2012r2}}, configurator: testlab}}
    hv2: {{address: 127.0.0.12, transport: local, labels: {{os: 2012r2}}, configurator: testlab}}
release:
  name: testrel
  password: ${{env:HVRT_TEST_PASSWORD}}
plugins: []
settings:
  testlab: {{marker_dir: {markers}}}
profiles:
  alpha: {{os: 2012r2}}
  beta: {{os: 2012r2}}
"""


@pytest.fixture
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("HVRT_TEST_PASSWORD", SECRET)
    spec = importlib.util.spec_from_file_location("hvrt_testlab", PLUGIN_DIR / "hvrt_testlab.py")
    testlab = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(testlab)
    markers = tmp_path / "markers"
    markers.mkdir()
    cfg = tmp_path / "hvrt.yaml"
    cfg.write_text(lab_yaml(markers))

    def run(runner: Runner, profiles=(), *, config=cfg, **options):
        log = markers / "executions.log"
        log.write_text("")
        request = RunRequest(config_path=config, profiles=list(profiles), results=tmp_path / "results",
                             options=RunOptions(**options), extra_plugins=[("testlab", testlab), ("runner", runner)])
        outcome = execute(request)
        return outcome, log.read_text().splitlines()

    run.testlab = testlab
    return run


def stages_of(result) -> dict[str, str]:
    return {s.stage: s.status for s in result.stages}


def test_rerun_failed_is_a_new_run_of_only_the_failed_and_errored_tests(lab) -> None:
    first, _ = lab(Runner(FIRST), ["alpha"])
    assert first.exit_code == 1
    second_runner = Runner({**FIRST, "t.A.test_bad": "passed", "t.B.test_broken": "passed"})
    second, executed = lab(second_runner, config="hvrt.yaml", rerun_failed=first.run_dir)
    assert second.run_dir != first.run_dir and second.run_dir.parent == first.run_dir.parent
    assert second_runner.asked == {"alpha": ("t.A.test_bad", "t.B.test_broken")}
    (alpha,) = second.summary.scenarios
    assert {t.id: t.status.value for t in alpha.tests} == {"t.A.test_bad": "passed", "t.B.test_broken": "passed"}
    assert second.exit_code == 0
    assert alpha.facts["rerun"] == {"tests": ["t.A.test_bad", "t.B.test_broken"]}
    assert "alpha configure" in executed and "alpha deploy" in executed, "a redeployed cloud"
    meta = json.loads((second.run_dir / "run.json").read_text())
    assert meta["rerun_of"] == str(first.run_dir.resolve()) and meta["scenarios"] == ["alpha"]
    assert meta["config"] == json.loads((first.run_dir / "run.json").read_text())["config"]
    # the first run's deployment is recorded without its password
    recorded = json.loads((first.run_dir / "alpha" / "results.json").read_text())["facts"]["deployment"]
    assert recorded["controller"] == "ctl1" and recorded["username"] == "admin"
    assert SECRET not in json.dumps(recorded) and "password" not in recorded


def test_rerun_with_reuse_tests_the_recorded_cloud_on_its_hosts(lab) -> None:
    first, _ = lab(Runner(FIRST), ["alpha", "beta"], jobs=2)
    first_results = {s.name: s for s in first.summary.scenarios}
    runner = Runner(FIRST)
    second, executed = lab(runner, rerun_failed=first.run_dir, reuse_deployment=True, jobs=2)
    assert set(runner.asked) == {"alpha", "beta"}
    assert not [e for e in executed if e.endswith((" configure", " deploy"))], executed
    for result in second.summary.scenarios:
        before = first_results[result.name]
        stages = stages_of(result)
        assert stages["configure"] == stages["deploy"] == "skipped"
        assert stages["provision"] == stages["test"] == stages["collect"] == stages["teardown"] == "ok"
        assert stages["start"] == "ok"  # a reused cloud is checked before it is tested
        assert (result.nodes, result.controller) == (before.nodes, before.controller), "pinned to the cloud"
        deployment = runner.deployments[result.name]
        assert deployment.controller == before.controller and deployment.password.reveal() == SECRET
        assert result.facts["deployment"] == before.facts["deployment"]
    meta = json.loads((second.run_dir / "run.json").read_text())
    assert meta["stages"] == ["plan", "provision", "start", "test", "collect", "report", "teardown"]
    assert set(meta["deployments_from"].values()) == {str(first.run_dir.resolve())}


def test_a_run_without_failed_tests_has_nothing_to_rerun(lab) -> None:
    first, _ = lab(Runner({"t.ok": "passed"}), ["alpha"])
    with pytest.raises(UsageError, match="no failed or errored test"):
        lab(Runner({"t.ok": "passed"}), rerun_failed=first.run_dir)


def test_stages_configure_deploy_runs_those_and_the_bookkeeping(lab) -> None:
    runner = Runner(FIRST)
    outcome, executed = lab(runner, ["alpha"], stages=select_stages(["configure,deploy"]))
    (alpha,) = outcome.summary.scenarios
    assert stages_of(alpha) == {"plan": "ok", "provision": "skipped", "configure": "ok", "deploy": "ok",
                                "start": "skipped", "test": "skipped", "collect": "ok", "report": "ok",
                                "teardown": "ok"}
    assert runner.asked == {} and alpha.tests == []
    ran = [e.split()[1] for e in executed]
    assert sorted(ran[:2]) == ["configure", "deploy"] and ran[2:] == ["collect", "teardown"]  # side by side
    skipped = [e for e in read_journal(outcome.run_dir / "journal.jsonl").events if e["event"] == "stage_skipped"]
    assert [e["stage"] for e in skipped] == ["provision", "start", "test"]
    assert alpha.facts["deployment"]["controller"] == alpha.controller


def test_from_test_reuses_the_newest_recorded_deployment(lab) -> None:
    deployed, _ = lab(Runner(FIRST), ["alpha"], stages=select_stages(["configure,deploy"]))
    runner = Runner(FIRST)
    outcome, executed = lab(runner, ["alpha"], stages=select_stages(start="test"))
    (alpha,) = outcome.summary.scenarios
    assert stages_of(alpha) == {"plan": "ok", "provision": "skipped", "configure": "skipped",
                                "deploy": "skipped", "start": "skipped", "test": "ok", "collect": "ok",
                                "report": "ok", "teardown": "ok"}
    assert [e.split()[1] for e in executed] == ["collect", "teardown"]  # the runner runs the tests
    assert runner.asked == {"alpha": None} and len(alpha.tests) == len(FIRST)
    assert runner.deployments["alpha"].controller == deployed.summary.scenarios[0].controller
    assert outcome.exit_code == 1


def test_from_test_without_any_deployment_is_a_usage_error(lab) -> None:
    with pytest.raises(UsageError, match="no run under .* recorded a deployment of scenario 'alpha'"):
        lab(Runner(FIRST), ["alpha"], stages=select_stages(start="test"))


@pytest.mark.parametrize(("argv", "message"), [
    (["--stages", "configure,deplyo"], "unknown stage 'deplyo' (did you mean 'deploy'?)"),
    (["--from", "tests"], "--from: unknown stage 'tests' (did you mean 'test'?)"),
    (["--stages", "test", "--from", "test"], "--stages and --from exclude each other"),
    (["--resume", "x", "--rerun-failed", "y"], "choose one"),
])
def test_bad_stage_options_are_usage_errors_with_a_json_error(argv, message, capsys) -> None:
    assert main(["run", "-c", "unused.yaml", "--json", *argv]) == 2
    out, err = capsys.readouterr()
    assert message in err
    error = json.loads(out)
    assert error["schema"] == 1 and message in error["error"]["message"] and error["error"]["exit_code"] == 2


def test_resume_continues_a_rerun_as_it_was_asked(lab, tmp_path: Path) -> None:
    first, _ = lab(Runner(FIRST), ["alpha"])
    cfg = tmp_path / "hvrt.yaml"
    good = cfg.read_text()
    cfg.write_text(good.replace("testlab: {marker_dir:", "testlab: {fail: {alpha: provision}, marker_dir:"))
    broken, _ = lab(Runner(FIRST), rerun_failed=first.run_dir, reuse_deployment=True)
    assert broken.exit_code == 3 and broken.summary.scenarios[0].status.value == "error"
    cfg.write_text(good)
    runner = Runner(FIRST)
    request = RunRequest(resume_dir=broken.run_dir, options=RunOptions(resume=True),
                         extra_plugins=[("testlab", lab.testlab), ("runner", runner)])
    resumed = execute(request)
    assert resumed.run_dir == broken.run_dir
    assert runner.asked == {"alpha": ("t.A.test_bad", "t.B.test_broken")}
    (alpha,) = resumed.summary.scenarios
    assert stages_of(alpha)["deploy"] == "skipped" and stages_of(alpha)["test"] == "ok"
    assert runner.deployments["alpha"].controller == first.summary.scenarios[0].controller
