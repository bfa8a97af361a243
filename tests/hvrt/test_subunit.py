"""parse_subunit on real streams (stestr and Tempest runs), checked against
python-subunit's own ``subunit-stats``; attempts merging; class fixture failures;
redact_stream on the same streams with secrets written into their attachments."""
from __future__ import annotations

import base64
import io
import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import subunit
import testtools

from hvrt.redact import Redactor
from hvrt.results import TestCase, TestStatus
from hvrt.subunit import merge_attempts, parse_subunit, redact_stream, split_test_id

DATA = Path(__file__).resolve().parent.parent / "data"
SUITE = DATA / "stestr-suite"
STREAMS = sorted((DATA / "subunit-stestr").glob("*.subunit")) + sorted((DATA / "subunit").glob("*.subunit"))


def subunit_stats(path: Path) -> dict[str, int]:
    proc = subprocess.run(
        [sys.executable, "-m", "subunit.filter_scripts.subunit_stats"],
        stdin=path.open("rb"), capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode in (0, 1), proc.stderr  # 1: the stream holds failures
    found = dict(re.findall(r"^(Total|Passed|Failed|Skipped) tests:\s+(\d+)$", proc.stdout, re.M))
    return {k.lower(): int(v) for k, v in found.items()}


def test_there_are_real_streams_to_check() -> None:
    names = {p.name for p in STREAMS}
    assert {"run-basic.subunit", "run-retried.subunit", "run-broken.subunit"} <= names


@pytest.mark.parametrize("stream", STREAMS, ids=lambda p: p.name)
def test_counts_equal_subunit_stats(stream: Path) -> None:
    stats = subunit_stats(stream)
    attempts = parse_subunit(stream, merge=False)
    by_status = Counter(c.status for c in attempts)
    assert len(attempts) == stats["total"]
    assert by_status[TestStatus.FAILED] + by_status[TestStatus.ERROR] == stats["failed"]
    assert by_status[TestStatus.SKIPPED] == stats["skipped"]
    assert len(attempts) - stats["failed"] - stats["skipped"] == stats["passed"]
    # merged: one record per id, every attempt accounted for
    merged = parse_subunit(stream)
    assert len({c.id for c in merged}) == len(merged)
    assert sum(len(c.attempts) for c in merged) == len(attempts)


def test_statuses_reasons_and_durations_of_a_real_run() -> None:
    cases = {c.id: c for c in parse_subunit(DATA / "subunit-stestr" / "run-basic.subunit")}
    prefix = "hvrt_suite.test_identity."
    assert cases[prefix + "TokensTest.test_revoke_token"].status is TestStatus.PASSED
    assert cases[prefix + "UsersTest.test_update_user_password"].status is TestStatus.FAILED
    assert cases[prefix + "UsersTest.test_known_bug"].status is TestStatus.XFAIL
    assert cases[prefix + "UsersTest.test_bug_fixed_meanwhile"].status is TestStatus.UXSUCCESS
    skipped = cases[prefix + "UsersTest.test_domain_config"]
    assert skipped.status is TestStatus.SKIPPED
    assert skipped.reason == "domain-specific configuration is not enabled"
    # test_issue_token sleeps 50 ms: the duration comes from the stream's timestamps
    assert 0.05 <= cases[prefix + "TokensTest.test_issue_token"].duration < 5


def test_failure_details_hold_traceback_then_captured_output() -> None:
    cases = {c.id: c for c in parse_subunit(DATA / "subunit-stestr" / "run-basic.subunit")}
    case = cases["hvrt_suite.test_identity.TokensTest.test_output_is_escaped"]
    assert case.details.startswith("Traceback (most recent call last):")
    assert case.reason == "AssertionError: failure message holding <script>alert(3)</script>"
    for expected in ("--- stdout ---\n<script>alert(1)</script>", "--- stderr ---",
                     "log with <script>alert(2)</script>"):
        assert expected in case.details


def test_output_of_passed_tests_is_kept_only_on_request() -> None:
    stream = DATA / "subunit-stestr" / "run-basic.subunit"
    test_id = "hvrt_suite.test_identity.TokensTest.test_revoke_token"
    lean = {c.id: c for c in parse_subunit(stream)}
    full = {c.id: c for c in parse_subunit(stream, passed_details=True)}
    assert lean[test_id].details == ""
    assert "DELETE /v3/auth/tokens -> 204" in full[test_id].details


def test_class_fixture_failure_is_kept_as_a_failed_test() -> None:
    cases = {c.id: c for c in parse_subunit(DATA / "subunit-stestr" / "run-basic.subunit")}
    fixture = cases["setUpClass (hvrt_suite.test_fixtures.ServicesTest)"]
    assert fixture.status is TestStatus.FAILED
    assert "service catalog has no 'compute' endpoint" in fixture.details
    assert split_test_id(fixture.id) == ("hvrt_suite.test_fixtures.ServicesTest", "setUpClass")


def test_retried_run_merges_into_flaky_and_failed() -> None:
    cases = {c.id: c for c in parse_subunit(DATA / "subunit-stestr" / "run-retried.subunit")}
    flaky = cases["hvrt_suite.test_fixtures.FlakyTest.test_sometimes_times_out"]
    assert flaky.status is TestStatus.FLAKY
    assert flaky.attempts == ["failed", "passed"]
    assert "read timed out (first try)" in flaky.details  # the failed try's evidence stays
    broken = cases["hvrt_suite.test_identity.UsersTest.test_update_user_password"]
    assert broken.status is TestStatus.FAILED and broken.attempts == ["failed", "failed"]


def test_tempest_stream_with_exists_events_yields_only_executed_tests() -> None:
    cases = parse_subunit(DATA / "subunit" / "tempest-identity.subunit")
    counts = Counter(c.status for c in cases)
    assert counts == {TestStatus.PASSED: 134, TestStatus.SKIPPED: 2}
    assert all(re.search(r"[\[,]id-[0-9a-f-]{36}[\],]", c.id) for c in cases if c.id.startswith("tempest."))
    # a class fixture that skipped is reported under its own setUpClass entry
    fixture = next(c for c in cases if c.id.startswith("setUpClass ("))
    assert fixture.status is TestStatus.SKIPPED and fixture.reason


def test_a_listing_is_not_a_run() -> None:
    # subunit.run --list emits one `exists` event per test and runs nothing
    env = {**os.environ, "PYTHONPATH": str(SUITE)}
    listing = subprocess.run(
        [sys.executable, "-m", "subunit.run", "discover", "-t", str(SUITE), "-s", str(SUITE / "hvrt_suite"),
         "--list"], capture_output=True, env=env, timeout=60, check=True,
    ).stdout
    assert b"test_issue_token" in listing
    assert parse_subunit(listing) == []


def test_a_test_that_never_finished_is_an_error() -> None:
    data = (DATA / "subunit-stestr" / "run-basic.subunit").read_bytes()
    # a worker that died mid-test: a real `inprogress` event with nothing after it
    buf = io.BytesIO()
    subunit.StreamResultToBytes(buf).status(test_id="pkg.T.test_hangs", test_status="inprogress")
    cases = parse_subunit(data + buf.getvalue())
    hung = [c for c in cases if c.id == "pkg.T.test_hangs"]
    assert hung and hung[0].status is TestStatus.ERROR and "did not complete" in hung[0].details


def test_every_source_kind_gives_the_same_records() -> None:
    path = DATA / "subunit-stestr" / "run-retried.subunit"
    expected = parse_subunit(path)
    assert parse_subunit(str(path)) == expected
    assert parse_subunit(path.read_bytes()) == expected
    with path.open("rb") as fh:
        assert parse_subunit(fh) == expected


def test_garbage_between_packets_does_not_lose_tests() -> None:
    path = DATA / "subunit-stestr" / "run-basic.subunit"
    data = b"stray output of a worker\n" + path.read_bytes() + b"\ntrailing noise"
    assert [c.id for c in parse_subunit(data)] == [c.id for c in parse_subunit(path)]


def _tc(test_id: str, status: str, duration: float = 1.0, details: str = "") -> TestCase:
    return TestCase(test_id, TestStatus(status), duration, [status], details)


@pytest.mark.parametrize(("statuses", "final"), [
    (["failed", "passed"], "flaky"),
    (["error", "failed", "passed"], "flaky"),
    (["failed", "xfail"], "flaky"),
    (["passed", "failed"], "failed"),
    (["failed", "failed"], "failed"),
    (["skipped", "skipped"], "skipped"),
    (["passed", "passed"], "passed"),
])
def test_merge_attempts_rules(statuses: list[str], final: str) -> None:
    tries = [_tc("a.T.test_x", s, details=f"try {i}" if s != "passed" else "") for i, s in enumerate(statuses)]
    merged = merge_attempts([*tries, _tc("a.T.test_other", "passed")])
    assert [c.id for c in merged] == ["a.T.test_x", "a.T.test_other"]
    assert merged[0].status.value == final
    assert merged[0].attempts == statuses
    assert merged[0].duration == pytest.approx(len(statuses))


def test_split_test_id() -> None:
    assert split_test_id("tempest.api.identity.v3.test_users.UsersV3TestJSON.test_x[id-1,smoke]") == (
        "tempest.api.identity.v3.test_users.UsersV3TestJSON", "test_x[id-1,smoke]")
    assert split_test_id("tearDownClass (tempest.api.T)") == ("tempest.api.T", "tearDownClass")
    assert split_test_id("standalone") == ("", "standalone")


# --- redaction of a stream ----------------------------------------------------------

SECRET = "Sw0rdf1sh-admin-9"


class _Injector(testtools.StreamResult):
    """Copies a stream, writing a secret into the first attachment of ``tests`` tests:
    split over two packets, as a URL password and inside a Basic header."""

    def __init__(self, out: io.BytesIO, tests: int = 3) -> None:
        super().__init__()
        self.writer = subunit.StreamResultToBytes(out)
        self.left = tests
        self.injected: list[str] = []

    def status(self, **event) -> None:  # type: ignore[override]
        test_id = event.get("test_id")
        if self.left and test_id and event.get("file_bytes") and test_id not in self.injected:
            self.left -= 1
            self.injected.append(test_id)
            basic = base64.b64encode(f"admin:{SECRET}".encode()).decode()
            self.writer.status(**dict(event, file_bytes=f"login admin / {SECRET[:8]}".encode(), eof=False))
            tail = f"{SECRET[8:]}\nGET https://admin:{SECRET}@127.0.0.1/ Authorization: Basic {basic}\n"
            event = dict(event, file_bytes=tail.encode() + bytes(event["file_bytes"]))
        self.writer.status(**event)


def _records(cases: list[TestCase]) -> list[tuple]:
    return [(c.id, c.status, c.duration, c.attempts, c.reason) for c in cases]


def test_a_redacted_stream_keeps_every_test_and_loses_the_secret(tmp_path: Path) -> None:
    path = DATA / "subunit" / "tempest-identity.subunit"
    original = path.read_bytes()
    out = io.BytesIO()
    injector = _Injector(out)
    subunit.ByteStreamToStreamResult(io.BytesIO(original)).run(injector)
    injected = out.getvalue()
    assert len(injector.injected) == 3 and injected.count(SECRET.encode()) == 3

    redacted = redact_stream(injected, Redactor([SECRET]))
    for form in (SECRET, SECRET[:8], SECRET[8:], base64.b64encode(f"admin:{SECRET}".encode()).decode()):
        assert form.encode() not in redacted, form
    before = parse_subunit(original, passed_details=True)
    after = parse_subunit(redacted, passed_details=True)
    assert _records(after) == _records(before)
    for old, new in zip(before, after, strict=True):
        if old.id in injector.injected:
            header, _, logged = old.details.partition("\n")
            assert new.details == (f"{header}\nlogin admin / ***\n"
                                   f"GET https://admin:***@127.0.0.1/ Authorization: Basic ***\n{logged}")
        else:
            assert new.details == old.details  # chunks cut again where they were
    # python-subunit's own reader agrees: a valid stream, the same counts
    (tmp_path / "redacted.subunit").write_bytes(redacted)
    assert subunit_stats(tmp_path / "redacted.subunit") == subunit_stats(path)


@pytest.mark.parametrize("stream", STREAMS, ids=lambda p: p.name)
def test_redacting_a_stream_without_secrets_changes_no_record(stream: Path) -> None:
    data = stream.read_bytes()
    assert parse_subunit(redact_stream(data, Redactor([SECRET])), passed_details=True) == parse_subunit(
        data, passed_details=True)


def test_output_between_packets_is_redacted_and_kept_as_it_came() -> None:
    stream = (DATA / "subunit-stestr" / "run-basic.subunit").read_bytes()
    data = f"worker: export OS_PASSWORD={SECRET}\n".encode() + stream + b"\ntrailing noise"
    redacted = redact_stream(data, Redactor())
    assert redacted.startswith(b"worker: export OS_PASSWORD=***\n") and redacted.endswith(b"\ntrailing noise")
    assert SECRET.encode() not in redacted
    assert _records(parse_subunit(redacted)) == _records(parse_subunit(stream))


def test_an_attachment_that_grows_is_cut_into_packets_that_fit() -> None:
    # a short secret ("ab") becomes the longer mask: 2 MB of text grows past what one packet holds
    text = b"ab " * 700_000
    buf = io.BytesIO()
    writer = subunit.StreamResultToBytes(buf)
    writer.status(test_id="pkg.T.test_big", test_status="inprogress")
    writer.status(test_id="pkg.T.test_big", file_name="stdout", file_bytes=text, eof=True,
                  mime_type="text/plain; charset=utf8")
    writer.status(test_id="pkg.T.test_big", test_status="fail")
    (case,) = parse_subunit(redact_stream(buf.getvalue(), Redactor(["ab"])))
    assert case.status is TestStatus.FAILED
    assert case.details == "--- stdout ---\n" + ("*** " * 700_000).rstrip()
