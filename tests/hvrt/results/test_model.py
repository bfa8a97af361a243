"""The results model round-trips through JSON and counts statuses."""
from __future__ import annotations

import json

from hvrt.results import ScenarioResult, ScenarioStatus, TestCase, TestStatus


def test_round_trip_and_counts() -> None:
    result = ScenarioResult("s", ScenarioStatus.FAILED, tests=[
        TestCase("tempest.api.identity.v3.test_x.XTest.test_a[id-1,smoke]", TestStatus.PASSED, 1.5),
        TestCase("tempest.api.identity.v3.test_x.XTest.test_b[id-2]", TestStatus.FLAKY, 2.0, ["failed", "passed"]),
        TestCase("tempest.api.identity.v3.test_x.XTest.test_c[id-3]", TestStatus.FAILED, details="boom"),
    ])
    result.stage("test").status = "ok"
    again = ScenarioResult.from_dict(json.loads(json.dumps(result.to_dict())))
    assert again.to_dict() == result.to_dict()
    counts = again.counts()
    assert (counts["passed"], counts["flaky"], counts["failed"], counts["total"]) == (1, 1, 1, 3)
    case = again.tests[0]
    assert case.classname == "tempest.api.identity.v3.test_x.XTest"
    assert case.name == "test_a[id-1,smoke]"
