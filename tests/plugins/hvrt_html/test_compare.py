"""Comparison of two real runs, one with a deliberately broken test."""
from __future__ import annotations

import json
from pathlib import Path

from hvrt_html.compare import compare_runs, write_comparison

from hvrt.results.store import ResultsStore

STESTR = Path(__file__).parents[2] / "data" / "subunit-stestr"
TEMPEST = Path(__file__).parents[2] / "data" / "subunit"


def test_regression_fix_flaky_appeared_vanished(run_factory) -> None:
    base = run_factory("base", {"s1": STESTR / "run-basic.subunit", "gone": STESTR / "run-basic.subunit"})
    new = run_factory("new", {"s1": STESTR / "run-broken.subunit", "added": STESTR / "run-basic.subunit"})
    report = compare_runs(base, new)
    (sc,) = report["scenarios"]
    assert [e["id"] for e in sc["regressions"]] == ["hvrt_suite.test_identity.TokensTest.test_issue_token"]
    assert sc["regressions"][0]["before"] == "passed" and sc["regressions"][0]["after"] == "failed"
    assert "201 != 401" in sc["regressions"][0]["reason"]
    # failed in the base run, passed on retry in the new one: a fix and a new flaky test
    assert [e["id"] for e in sc["fixes"]] == ["hvrt_suite.test_fixtures.FlakyTest.test_sometimes_times_out"]
    assert [e["id"] for e in sc["new_flaky"]] == ["hvrt_suite.test_fixtures.FlakyTest.test_sometimes_times_out"]
    assert [e["id"] for e in sc["appeared"]] == ["hvrt_suite.test_identity.UsersTest.test_new_feature"]
    assert [e["id"] for e in sc["vanished"]] == ["hvrt_suite.test_identity.UsersTest.test_legacy_endpoint"]
    assert report["scenarios_added"] == ["added"] and report["scenarios_removed"] == ["gone"]
    assert report["totals"]["regressions"] == 1


def test_tempest_runs_compare(run_factory) -> None:
    base = run_factory("base", {"id": TEMPEST / "tempest-identity.subunit"})
    new = run_factory("new", {"id": TEMPEST / "tempest-identity-broken.subunit"})
    sc = compare_runs(base, new)["scenarios"][0]
    # the broken run's user tests were skipped as a class in the good run (setUpClass
    # skip): they appear, failing; the one that ran in both went from skipped to passed
    assert sc["regressions"] == [] and sc["fixes"] == []
    assert sorted(e["after"] for e in sc["appeared"]) == ["failed"] * 3
    assert len(sc["vanished"]) == 136 - 1
    same = compare_runs(base, base)["scenarios"][0]
    assert all(not same[k] for k in ("regressions", "fixes", "new_flaky", "appeared", "vanished"))


def test_written_comparison(run_factory) -> None:
    base = run_factory("base", {"s1": STESTR / "run-retried.subunit"})
    new = run_factory("new", {"s1": STESTR / "run-broken.subunit"})
    report = compare_runs(base, new)
    html_path = write_comparison(ResultsStore(new), report)[-1]
    assert json.loads((new / "comparison.json").read_text()) == report
    text = html_path.read_text(encoding="utf-8")
    assert "Regressions (1)" in text and "test_issue_token" in text
    assert 'href="../base/index.html"' in text and 'href="index.html"' in text
