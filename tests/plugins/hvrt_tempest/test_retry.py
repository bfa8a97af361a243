"""Folding attempts, on the golden streams of real stestr runs (tests/data/subunit)."""
from __future__ import annotations

from pathlib import Path

from hvrt_tempest.retry import Attempt, combine, executed, failed_ids, with_fixture_passes

from hvrt.results import TestCase, TestStatus
from hvrt.subunit import parse_subunit

DATA = Path(__file__).resolve().parents[2] / "data" / "subunit"
FIXTURE = "setUpClass (hvrt_sample.fixtures.FlakyFixture)"


def golden_attempts() -> tuple[Attempt, Attempt]:
    """The sample suite's first run and its re-run, as separate attempts."""
    first = (DATA / "stestr-sample.subunit").read_bytes()
    both = (DATA / "stestr-sample-retry.subunit").read_bytes()
    assert both.startswith(first)
    second = both[len(first):]
    one = Attempt(1, "parallel", [], parse_subunit(first, merge=False), first, 0, "")
    two = Attempt(2, "parallel", [], parse_subunit(second, merge=False), second, 0, "")
    return one, two


def test_failed_ids_of_a_real_attempt() -> None:
    one, _ = golden_attempts()
    assert sorted(failed_ids(one.records, {})) == [
        "hvrt_sample.checks.Broken.test_always_fails",
        "hvrt_sample.checks.Flaky.test_fails_once",
        FIXTURE,
    ]
    assert "hvrt_sample.checks.Broken.test_always_fails" not in failed_ids(
        one.records, {"hvrt_sample.checks.Broken.test_always_fails": "known"}
    )


def test_combine_real_attempts() -> None:
    cases = combine(golden_attempts(), skipped={"hvrt_sample.extra.test_x": "not on Hyper-V"})
    final = {c.id: (c.status, c.attempts) for c in cases}
    assert final["hvrt_sample.checks.Flaky.test_fails_once"] == (TestStatus.FLAKY, ["failed", "passed"])
    assert final[FIXTURE] == (TestStatus.FLAKY, ["failed", "passed"])
    assert final["hvrt_sample.checks.Broken.test_always_fails"] == (TestStatus.FAILED, ["failed", "failed"])
    assert final["hvrt_sample.checks.Known.test_known_bug"][0] is TestStatus.XFAIL
    assert final["hvrt_sample.extra.test_x"] == (TestStatus.SKIPPED, [])
    assert len(cases) == 9 and executed(cases) == 7


def test_fixture_counts_as_passed_only_when_its_tests_ran() -> None:
    failed = TestCase(FIXTURE, TestStatus.FAILED)
    unrelated = [TestCase("hvrt_sample.checks.Arithmetic.test_addition", TestStatus.PASSED)]
    assert with_fixture_passes([failed.id], unrelated) == unrelated
    guarded = [TestCase("hvrt_sample.fixtures.FlakyFixture.test_after_fixture", TestStatus.PASSED)]
    added = with_fixture_passes([failed.id], guarded)
    assert [(c.id, c.status) for c in added[1:]] == [(FIXTURE, TestStatus.PASSED)]
    still_failing = [*guarded, TestCase(FIXTURE, TestStatus.FAILED)]
    assert with_fixture_passes([failed.id], still_failing) == still_failing


def test_fixture_pass_does_not_cross_phases() -> None:
    fixture_fail = [TestCase(FIXTURE, TestStatus.FAILED, attempts=["failed"])]
    class_test = [TestCase("hvrt_sample.fixtures.FlakyFixture.test_other", TestStatus.PASSED, attempts=["passed"])]
    cases = combine([
        Attempt(1, "parallel", [], fixture_fail, b"", 0, ""),
        Attempt(1, "isolated", [], class_test, b"", 0, ""),
    ])
    assert {c.id: c.status for c in cases}[FIXTURE] is TestStatus.FAILED


def test_expected_failure_map() -> None:
    records = [TestCase("a.B.test_1", TestStatus.FAILED, attempts=["failed"]),
               TestCase("a.B.test_2", TestStatus.PASSED, attempts=["passed"])]
    cases = combine([Attempt(1, "parallel", [], records, b"", 0, "")],
                    expected_failures={"a.B.test_1": "bug 1", "a.B.test_2": "bug 2"})
    assert [(c.status, c.reason) for c in cases] == [(TestStatus.XFAIL, "bug 1"), (TestStatus.UXSUCCESS, "bug 2")]
