"""A scenario whose tests all skip themselves (like the legacy NIC-hotplug one) through the engine.

It ends ``all-skipped``, not ``passed`` and not an infrastructure error, and the run
exits 1 (docs/tempest.md). Zero tests, because none were selected or the runner lost
them, stays an infrastructure error.
"""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from hvrt import hookimpl
from hvrt.errors import ExitCode
from hvrt.results.model import RunSummary, ScenarioResult, ScenarioStatus, TestCase, TestStatus
from hvrt.runner import exit_code_for

PLUGIN_DIR = Path(__file__).resolve().parent.parent / "data" / "plugins"
SECRET = "testlab-Secret-77"


def lab_yaml(tests: dict[str, str]) -> str:
    return f"""\
lab:
  controllers:
    ctl1: {{address: 127.0.0.1, transport: local}}
  nodes:
    hv1: {{address: 127.0.0.11, transport: local, labels: {{os: 2016}}, configurator: testlab}}
release:
  name: testrel
  password: ${{env:HVRT_TEST_PASSWORD}}
plugins: [html]
settings:
  testlab: {json.dumps({"tests": tests})}
profiles:
  nichotplug: {{os: "2016", hosts: [hv1]}}
"""


HOTPLUG = {
    "tempest.api.compute.servers.test_attach_interfaces.AttachInterfacesTestJSON.test_add_remove[id-1]": "skipped",
    "tempest.api.compute.servers.test_attach_interfaces.AttachInterfacesTestJSON.test_list[id-2]": "skipped",
}


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HVRT_TEST_PASSWORD", SECRET)


@pytest.fixture
def testlab():
    spec = importlib.util.spec_from_file_location("hvrt_testlab", PLUGIN_DIR / "hvrt_testlab.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class NoTests:
    """A test runner that selected nothing (registered after testlab, so it answers first)."""

    @hookimpl
    def hvrt_run_tests(self, ctx, deployment):
        return []


def test_every_test_skipped_is_all_skipped_shown_in_reports_and_exits_1(hvrt_run, hvrt_config, testlab) -> None:
    outcome = hvrt_run(hvrt_config(lab_yaml(HOTPLUG)), all=True, plugins=[("testlab", testlab)])
    scenario = outcome.summary.scenarios[0]
    assert scenario.status is ScenarioStatus.ALL_SKIPPED and not scenario.error
    assert outcome.exit_code == ExitCode.TEST_FAILURES
    summary = json.loads((outcome.run_dir / "summary.json").read_text())
    assert summary["scenario_counts"] == {"all-skipped": 1}
    assert json.loads((outcome.run_dir / "nichotplug" / "results.json").read_text())["status"] == "all-skipped"
    page = (outcome.run_dir / "nichotplug" / "results.html").read_text()
    assert 'class="badge st-all-skipped">all-skipped<' in page and "tested nothing" in page
    assert "st-all-skipped" in (outcome.run_dir / "index.html").read_text()


def test_every_test_skipped_is_no_infrastructure_error(hvrt_run, hvrt_config, testlab) -> None:
    outcome = hvrt_run(hvrt_config(lab_yaml(HOTPLUG)), all=True, plugins=[("testlab", testlab)])
    scenario = outcome.summary.scenarios[0]
    assert scenario.status is not ScenarioStatus.ERROR and not scenario.error
    assert scenario.stage("test").status == "ok"
    assert [t.status for t in scenario.tests] == [TestStatus.SKIPPED, TestStatus.SKIPPED]
    log = (outcome.run_dir / "nichotplug" / "hvrt.log").read_text()
    assert "all 2 tests skipped: the scenario tested nothing (status all-skipped)" in log


def test_a_skip_beside_a_pass_is_a_pass(hvrt_run, hvrt_config, testlab) -> None:
    tests = {**HOTPLUG, "tempest.api.compute.servers.test_servers.ServersTestJSON.test_create[id-3]": "passed"}
    outcome = hvrt_run(hvrt_config(lab_yaml(tests)), all=True, plugins=[("testlab", testlab)])
    assert outcome.summary.scenarios[0].status is ScenarioStatus.PASSED and outcome.exit_code == ExitCode.OK


def test_zero_tests_stays_an_infrastructure_error(hvrt_run, hvrt_config, testlab) -> None:
    outcome = hvrt_run(hvrt_config(lab_yaml(HOTPLUG)), all=True,
                       plugins=[("testlab", testlab), ("notests", NoTests())])
    scenario = outcome.summary.scenarios[0]
    assert scenario.status is ScenarioStatus.ERROR and "zero tests were executed" in scenario.error
    assert outcome.exit_code == ExitCode.INFRASTRUCTURE_ERROR


def summary_of(*statuses: ScenarioStatus) -> RunSummary:
    return RunSummary(run_id="x", release="r", scenarios=[ScenarioResult(f"s{i}", s) for i, s in enumerate(statuses)])


@pytest.mark.parametrize(("statuses", "code"), [
    ((ScenarioStatus.ALL_SKIPPED,), ExitCode.TEST_FAILURES),
    ((ScenarioStatus.PASSED, ScenarioStatus.ALL_SKIPPED), ExitCode.TEST_FAILURES),
    ((ScenarioStatus.ALL_SKIPPED, ScenarioStatus.ERROR), ExitCode.INFRASTRUCTURE_ERROR),
    ((ScenarioStatus.PASSED,), ExitCode.OK),
])
def test_exit_code_rule(statuses: tuple[ScenarioStatus, ...], code: ExitCode) -> None:
    assert exit_code_for(summary_of(*statuses)) == code


def test_the_status_reads_back_from_results_json() -> None:
    result = ScenarioResult("s", ScenarioStatus.ALL_SKIPPED, tests=[TestCase("t", TestStatus.SKIPPED)])
    assert ScenarioResult.from_dict(json.loads(json.dumps(result.to_dict()))).status is ScenarioStatus.ALL_SKIPPED
