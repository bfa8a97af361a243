"""junit.xml parses back with xml.etree and its counts match the results."""
from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from hvrt_html.junit import junit_xml

from hvrt.results import ScenarioStatus, TestCase, TestStatus


def _counts(suite: ET.Element) -> dict[str, int]:
    cases = suite.findall("testcase")
    return {
        "tests": len(cases),
        "failures": sum(1 for c in cases if c.find("failure") is not None),
        "errors": sum(1 for c in cases if c.find("error") is not None),
        "skipped": sum(1 for c in cases if c.find("skipped") is not None),
    }


def test_scenario_junit_counts_match_results(two_scenario_run: Path) -> None:
    for folder in ("2012r2-vhdx", "2016-vhd"):
        root = ET.parse(two_scenario_run / folder / "junit.xml").getroot()
        (suite,) = root.findall("testsuite")
        assert suite.get("name") == folder
        found = _counts(suite)
        assert {k: int(suite.get(k)) for k in found} == found
        results = __import__("json").loads((two_scenario_run / folder / "results.json").read_text())
        c = results["counts"]
        assert found["tests"] == c["total"]
        assert found["failures"] == c["failed"] + c["uxsuccess"]
        assert found["skipped"] == c["skipped"] + c["xfail"]


def test_run_junit_merges_every_scenario(two_scenario_run: Path) -> None:
    root = ET.parse(two_scenario_run / "junit.xml").getroot()
    suites = root.findall("testsuite")
    assert [s.get("name") for s in suites] == ["2012r2-vhdx", "2016-vhd"]
    assert int(root.get("tests")) == 13 + 136
    names = {(c.get("classname"), c.get("name")) for s in suites for c in s.findall("testcase")}
    assert len(names) == 13 + 136  # the scenario prefix keeps equal test ids apart


def test_flaky_is_a_pass_with_a_note_and_flaky_failures(two_scenario_run: Path) -> None:
    root = ET.parse(two_scenario_run / "2012r2-vhdx" / "junit.xml").getroot()
    case = next(c for c in root.iter("testcase") if c.get("name") == "test_sometimes_times_out")
    assert case.get("classname") == "2012r2-vhdx.hvrt_suite.test_fixtures.FlakyTest"
    assert case.find("failure") is None and case.find("error") is None
    assert len(case.findall("flakyFailure")) == 1
    assert "flaky: passed after retries (attempts: failed, passed)" in case.find("system-out").text
    fixture = next(c for c in root.iter("testcase") if c.get("name") == "setUpClass")
    assert fixture.get("classname") == "2012r2-vhdx.hvrt_suite.test_fixtures.ServicesTest"
    assert "compute" in fixture.find("failure").get("message")


def test_infrastructure_error_and_control_characters(scenario_factory) -> None:
    result = scenario_factory("s1", Path(__file__).parents[2] / "data/subunit-stestr/run-basic.subunit")
    result.status, result.error = ScenarioStatus.ERROR, "stack.sh failed \x1b[31mred\x1b[0m <&>"
    result.stages[-1].status = "failed"
    result.tests.append(TestCase("p.T.test_bin", TestStatus.ERROR, 0, ["error"], "bad \x00\x07 bytes"))
    root = ET.fromstring(junit_xml([result]))
    infra = next(c for c in root.iter("testcase") if c.get("classname") == "s1.hvrt.scenario")
    assert infra.get("name") == "collect"
    assert "stack.sh failed" in infra.find("error").get("message")
    assert int(root.get("errors")) == 2
