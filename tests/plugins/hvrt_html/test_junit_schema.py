"""junit.xml follows the JUnit schema that Jenkins' xUnit plugin validates against.

The rules below are the facts of that schema (jenkinsci/xunit-plugin,
src/main/resources/org/jenkinsci/plugins/xunit/types/model/xsd/junit-10.xsd, the one
Jenkins' JUnit/xUnit tooling accepts): which elements may appear inside which, which
attributes each element may carry and which are required, and the number shape of
``time`` on suites. The check is written here; it is applied to reports holding passed,
failed, skipped, errored, expected-failure, unexpected-success and flaky cases, and
to a scenario that ended in an infrastructure error.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hvrt_html.junit import junit_xml

from hvrt.results import ScenarioResult, ScenarioStatus, StageRecord, TestCase, TestStatus

_RERUN = {"children": {"stackTrace", "system-out", "system-err"}, "attrs": {"message", "type"},
          "required": {"type"}, "text": True}
_RESULT = {"children": set(), "attrs": {"type", "message"}, "required": set(), "text": True}
RULES: dict[str, dict] = {
    "testsuites": {"children": {"testsuite"}, "attrs": {"name", "time", "tests", "failures", "errors"},
                   "required": set(), "text": False},
    "testsuite": {"children": {"testsuite", "properties", "testcase", "system-out", "system-err"},
                  "attrs": {"name", "tests", "failures", "errors", "group", "time", "skipped", "timestamp",
                            "hostname", "id", "package", "file", "log", "url"},
                  "required": {"name", "tests", "failures", "errors"}, "text": False},
    "properties": {"children": {"property"}, "attrs": set(), "required": set(), "text": False},
    "property": {"children": set(), "attrs": {"name", "value"}, "required": {"name", "value"}, "text": False},
    "testcase": {"children": {"skipped", "error", "failure", "rerunFailure", "rerunError", "flakyFailure",
                              "flakyError", "system-out", "system-err"},
                 "attrs": {"name", "time", "classname", "group"}, "required": {"name"}, "text": False},
    "failure": _RESULT, "error": _RESULT, "skipped": _RESULT,
    "rerunFailure": _RERUN, "rerunError": _RERUN, "flakyFailure": _RERUN, "flakyError": _RERUN,
    "system-out": {"children": set(), "attrs": set(), "required": set(), "text": True},
    "system-err": {"children": set(), "attrs": set(), "required": set(), "text": True},
    "stackTrace": {"children": set(), "attrs": set(), "required": set(), "text": True},
}
SUITE_TIME = re.compile(r"(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]*)?")
"""The schema's SUREFIRE_TIME pattern (whole value) for ``time`` of suites."""


def schema_errors(root: ET.Element) -> list[str]:
    """Every way ``root`` breaks the rules above (an empty list when it conforms)."""
    errors: list[str] = []
    if root.tag not in ("testsuites", "testsuite"):
        errors.append(f"root element {root.tag!r}")

    def visit(element: ET.Element, path: str) -> None:
        rule = RULES.get(element.tag)
        if rule is None:
            errors.append(f"{path}: element not in the schema")
            return
        for attr in set(element.attrib) - rule["attrs"]:
            errors.append(f"{path}: attribute {attr!r} not allowed")
        for attr in rule["required"] - set(element.attrib):
            errors.append(f"{path}: required attribute {attr!r} missing")
        if element.tag in ("testsuite", "testsuites") and "time" in element.attrib \
                and not SUITE_TIME.fullmatch(element.get("time", "")):
            errors.append(f"{path}: time {element.get('time')!r} is not a number the schema accepts")
        if not rule["text"] and (element.text or "").strip():
            errors.append(f"{path}: text not allowed")
        for child in element:
            if child.tag not in rule["children"]:
                errors.append(f"{path}: {child.tag!r} not allowed inside {element.tag!r}")
            visit(child, f"{path}/{child.tag}")
            if not rule["text"] and (child.tail or "").strip():
                errors.append(f"{path}: text not allowed")

    visit(root, root.tag)
    return errors


def _scenario(status: ScenarioStatus = ScenarioStatus.FAILED, error: str = "") -> ScenarioResult:
    tests = [
        TestCase("t.m.A.test_pass[id-1,smoke]", TestStatus.PASSED, 0.5, ["passed"]),
        TestCase("t.m.A.test_pass_out", TestStatus.PASSED, 0.5, ["passed"], "captured\n"),
        TestCase("t.m.A.test_fail", TestStatus.FAILED, 1.25, ["failed", "failed"], "Traceback ...", "boom"),
        TestCase("t.m.A.test_skip", TestStatus.SKIPPED, 0.0, ["skipped"], reason="no feature"),
        TestCase("t.m.A.test_error", TestStatus.ERROR, 0.1, ["error"], "fixture broke"),
        TestCase("t.m.A.test_xfail", TestStatus.XFAIL, 0.1, ["xfail"], reason="known bug"),
        TestCase("t.m.A.test_ux", TestStatus.UXSUCCESS, 0.1, ["uxsuccess"]),
        TestCase("t.m.A.test_flaky", TestStatus.FLAKY, 2.0, ["failed", "passed"], "timed out", "timeout"),
        TestCase("setUpClass (t.m.B)", TestStatus.FAILED, 0.0, ["failed"], "setup failed", "setup"),
    ]
    return ScenarioResult("2012r2-vhdx", status, nodes=["hv1", "hv2"], tests=tests, error=error,
                          stages=[StageRecord("deploy", "failed" if error else "ok")],
                          started=1_700_000_000.0, ended=1_700_000_061.5)


@pytest.mark.parametrize("results", [
    [_scenario()],
    [_scenario(), _scenario(ScenarioStatus.ERROR, "stack.sh failed <&>")],
    [ScenarioResult("empty", ScenarioStatus.ERROR, error="no test ran", started=1.0, ended=2.0)],
], ids=["one-scenario", "with-infrastructure-error", "no-tests"])
def test_junit_conforms_to_the_schema(results: list[ScenarioResult]) -> None:
    root = ET.fromstring(junit_xml(results, name="rel/run-1").encode())
    assert schema_errors(root) == []
    kinds = {child.tag for case in root.iter("testcase") for child in case}
    if len(results[0].tests) > 1:
        assert {"failure", "error", "skipped", "flakyFailure", "system-out"} <= kinds


def test_reports_of_real_streams_conform(two_scenario_run: Path) -> None:
    for path in [two_scenario_run / "junit.xml", *two_scenario_run.glob("*/junit.xml")]:
        assert schema_errors(ET.parse(path).getroot()) == [], path


def test_the_checker_catches_what_the_schema_forbids() -> None:
    bad = ET.fromstring(
        '<testsuites skipped="1"><testsuite name="s" tests="1" failures="0" time="1e3">'
        '<testcase><properties/><flakyFailure/></testcase></testsuite></testsuites>')
    found = schema_errors(bad)
    assert "testsuites: attribute 'skipped' not allowed" in found
    assert "testsuites/testsuite: required attribute 'errors' missing" in found
    assert any("time '1e3'" in e for e in found)
    assert "testsuites/testsuite/testcase: required attribute 'name' missing" in found
    assert "testsuites/testsuite/testcase: 'properties' not allowed inside 'testcase'" in found
    assert "testsuites/testsuite/testcase/flakyFailure: required attribute 'type' missing" in found
