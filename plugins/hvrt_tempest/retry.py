"""Re-running failed tests and folding every attempt into one record per test.

Tempest runs a phase's tests once; the failed ones (never expected failures) run
again, up to ``max_attempts`` runs in all. A test that failed and then passed is
``flaky``; one that failed every time stays ``failed``. A failed class fixture
(``setUpClass (pkg.mod.Class)``) is re-run through the tests of its class; when a
later attempt runs those tests without the fixture failing, the fixture entry
counts as passed on that attempt (subunit never reports a fixture that worked).
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from hvrt.results import TestCase, TestStatus
from hvrt.results.testid import class_of, fixture_target
from hvrt.subunit import merge_attempts

RERUN_STATUSES = frozenset({TestStatus.FAILED, TestStatus.ERROR})


@dataclass
class Attempt:
    """One ``tempest run`` of one phase."""

    number: int
    phase: str
    ids: list[str]
    records: list[TestCase]
    stream: bytes
    exit_code: int
    log: str


def failed_ids(records: Iterable[TestCase], expected_failures: Mapping[str, str]) -> list[str]:
    """Ids of an attempt worth running again (failed or unfinished, not expected to fail)."""
    return [
        r.id for r in records
        if r.status in RERUN_STATUSES and r.id not in expected_failures
    ]


def _covers(fixture: str, records: Iterable[TestCase]) -> bool:
    target = fixture_target(fixture) or ""
    return any(
        fixture_target(r.id) is None and (class_of(r.id) == target or r.id.startswith(target + "."))
        for r in records
    )


def with_fixture_passes(previous_failures: Iterable[str], records: list[TestCase]) -> list[TestCase]:
    """Add a passed record for each fixture entry that failed before and did not fail
    in ``records`` although the tests it guards ran."""
    present = {r.id for r in records}
    added = [
        TestCase(id=fid, status=TestStatus.PASSED, attempts=[TestStatus.PASSED.value])
        for fid in previous_failures
        if fixture_target(fid) is not None and fid not in present and _covers(fid, records)
    ]
    return [*records, *added]


def combine(
    attempts: Iterable[Attempt],
    *,
    skipped: Mapping[str, str] | None = None,
    expected_failures: Mapping[str, str] | None = None,
) -> list[TestCase]:
    """The final record of every test: attempts merged in order, then the suite's
    skip and xfail maps applied (their reasons reported). A fixture entry only counts
    as passed on a later attempt of the same phase."""
    expected_failures = expected_failures or {}
    ordered: list[TestCase] = []
    previous: list[str] = []
    phase: str | None = None
    for attempt in attempts:
        if attempt.phase != phase:
            phase, previous = attempt.phase, []
        records = with_fixture_passes(previous, attempt.records) if previous else attempt.records
        ordered.extend(records)
        previous = failed_ids(attempt.records, expected_failures)
    final = [_expected(case, expected_failures) for case in merge_attempts(ordered)]
    for test_id, reason in sorted((skipped or {}).items()):
        final.append(TestCase(id=test_id, status=TestStatus.SKIPPED, reason=reason))
    return final


def _expected(case: TestCase, expected_failures: Mapping[str, str]) -> TestCase:
    reason = expected_failures.get(case.id)
    if reason is None:
        return case
    if case.status in (TestStatus.FAILED, TestStatus.ERROR):
        case.status = TestStatus.XFAIL
    elif case.status is TestStatus.PASSED:
        case.status = TestStatus.UXSUCCESS
    case.reason = reason
    return case


def executed(cases: Iterable[TestCase]) -> int:
    """How many records stand for a test that really ran (skips do not count)."""
    return sum(1 for c in cases if c.status is not TestStatus.SKIPPED)
