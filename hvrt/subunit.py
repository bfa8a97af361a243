"""Read a subunit v2 stream into :class:`hvrt.results.TestCase` records.

Called by the test runner once Tempest (or stestr) has finished, and by the
``hvrt report from-subunit`` verb. The stream is decoded by python-subunit's
:class:`subunit.ByteStreamToStreamResult`; events are folded into one record per
test *attempt* by a small :class:`testtools.StreamResult` that keeps only what a
report shows (status, first and last timestamp, text attachments), so large
streams stay cheap in time and memory. Text attachments (traceback first, then
captured stdout, stderr and logging) become ``details``; those of passed attempts are
dropped unless asked for (``passed_details=True``): the stream file keeps them.

Status mapping (subunit -> :class:`TestStatus`): ``success`` -> passed, ``fail`` ->
failed, ``skip`` -> skipped, ``xfail`` -> xfail, ``uxsuccess`` -> uxsuccess.
``exists`` only lists a test that was not run, so it yields no record. A test left
``inprogress`` when the stream ends never finished (a crashed worker): error.

A stream may run the same id several times (retries); :func:`merge_attempts`
folds those into one record whose ``attempts`` lists every try, and whose status
is ``flaky`` when a failure was followed by a pass. Class fixture failures such as
``setUpClass (tempest.api.identity.v3.test_x.Test)`` are ordinary failed records.

:func:`redact_stream` is called before a stream is saved into the results tree: it
decodes the stream, passes test ids, tags, file names and attachment bytes through
the run's redactor and encodes it again, since masking the raw bytes would break the
packets' lengths and checksums.
"""
from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

import subunit
import testtools

from hvrt.results import TestCase, TestStatus
from hvrt.results.testid import split_test_id

if TYPE_CHECKING:
    from hvrt.redact import Redactor

__all__ = ["parse_subunit", "parse_stream", "merge_attempts", "split_test_id", "redact_stream", "STATUS_MAP"]

STATUS_MAP: dict[str, TestStatus] = {
    "success": TestStatus.PASSED,
    "fail": TestStatus.FAILED,
    "skip": TestStatus.SKIPPED,
    "xfail": TestStatus.XFAIL,
    "uxsuccess": TestStatus.UXSUCCESS,
}
"""Final subunit statuses and the hvrt status each becomes."""

_FINAL = frozenset(STATUS_MAP)
_FIRST_ATTACHMENTS = ("traceback",)
_NOT_DETAILS = frozenset({"reason"})
_PASSING = frozenset({TestStatus.PASSED, TestStatus.XFAIL})
_FAILING = frozenset({TestStatus.FAILED, TestStatus.ERROR, TestStatus.UXSUCCESS})


class _Attempt:
    """One run of one test id, as the stream's events build it up."""

    __slots__ = ("test_id", "start", "end", "files")

    def __init__(self, test_id: str) -> None:
        self.test_id = test_id
        self.start: datetime | None = None
        self.end: datetime | None = None
        self.files: dict[str, list[bytes]] | None = None

    def finish(self, status: TestStatus, note: str = "", keep_text: bool = True) -> TestCase:
        duration = 0.0
        if self.start is not None and self.end is not None:
            duration = max(0.0, (self.end - self.start).total_seconds())
        texts = _texts(self.files) if self.files and keep_text else {}
        reason = texts.pop("reason", "").strip()
        details = _join_details(texts, note)
        if not reason and status in _FAILING:
            reason = _last_line(texts.get("traceback", "")) or note
        return TestCase(
            id=self.test_id, status=status, duration=round(duration, 6),
            attempts=[status.value], details=details, reason=reason,
        )


def _is_text(mime_type: str | None) -> bool:
    if not mime_type:
        return True
    return mime_type.startswith("text/") or "charset" in mime_type or "json" in mime_type


def _texts(files: dict[str, list[bytes]]) -> dict[str, str]:
    return {name: b"".join(chunks).decode("utf-8", "replace") for name, chunks in files.items()}


def _join_details(texts: dict[str, str], note: str) -> str:
    parts: list[str] = [note] if note else []
    for name in _FIRST_ATTACHMENTS:
        text = texts.get(name, "")
        if text.strip():
            parts.append(text.rstrip("\n"))
    for name, text in texts.items():
        if name in _FIRST_ATTACHMENTS or name in _NOT_DETAILS or not text.strip():
            continue
        parts.append(f"--- {name} ---\n{text.rstrip()}")
    return "\n\n".join(parts)


def _last_line(text: str) -> str:
    for line in reversed(text.splitlines()):
        if line.strip():
            return line.strip()[:500]
    return ""


class _Collector(testtools.StreamResult):
    """Folds subunit events into finished :class:`TestCase` attempts, in end order."""

    def __init__(self, passed_details: bool = False) -> None:
        super().__init__()
        self.passed_details = passed_details
        self.cases: list[TestCase] = []
        self._open: dict[tuple[str, str | None], _Attempt] = {}
        self.first: datetime | None = None
        self.last: datetime | None = None
        """The earliest and latest timestamps of the stream (when it has any)."""

    def status(  # type: ignore[override]
        self,
        test_id: str | None = None,
        test_status: str | None = None,
        test_tags: set[str] | None = None,
        runnable: bool = True,
        file_name: str | None = None,
        file_bytes: bytes | None = None,
        eof: bool = False,
        mime_type: str | None = None,
        route_code: str | None = None,
        timestamp: datetime | None = None,
    ) -> None:
        if test_id is None:
            return  # output between tests (non-subunit bytes): not a test's
        key = (test_id, route_code)
        if test_status == "exists":
            self._open.pop(key, None)
            return
        attempt = self._open.get(key)
        if attempt is None:
            attempt = self._open[key] = _Attempt(test_id)
        if timestamp is not None:
            if self.first is None or timestamp < self.first:
                self.first = timestamp
            if self.last is None or timestamp > self.last:
                self.last = timestamp
            if attempt.start is None:
                attempt.start = timestamp
            attempt.end = timestamp
        if file_name is not None and file_bytes and _is_text(mime_type):
            if attempt.files is None:
                attempt.files = {}
            attempt.files.setdefault(file_name, []).append(bytes(file_bytes))
        if test_status in _FINAL:
            del self._open[key]
            final = STATUS_MAP[test_status]
            keep = self.passed_details or final is not TestStatus.PASSED
            self.cases.append(attempt.finish(final, keep_text=keep))

    def stopTestRun(self) -> None:
        super().stopTestRun()
        for attempt in self._open.values():
            self.cases.append(attempt.finish(TestStatus.ERROR, "test did not complete"))
        self._open.clear()


def parse_subunit(
    source: bytes | BinaryIO | Path | str, *, merge: bool = True, passed_details: bool = False,
) -> list[TestCase]:
    """Parse a subunit v2 stream (bytes, a binary file object, or a path).

    :param merge: fold repeated runs of one id with :func:`merge_attempts`;
        ``False`` returns one record per attempt (what ``subunit-stats`` counts).
    :param passed_details: keep the captured output of passed attempts too. Off by
        default: a Tempest run logs every request of every test, the stream itself
        is kept next to the reports, and reports show the output where it matters.
    :return: records in the order tests finished (first attempt's order when merged).
    """
    return parse_stream(source, merge=merge, passed_details=passed_details)[0]


def parse_stream(
    source: bytes | BinaryIO | Path | str, *, merge: bool = True, passed_details: bool = False,
) -> tuple[list[TestCase], float | None, float | None]:
    """:func:`parse_subunit`, plus the stream's first and last timestamps (epoch
    seconds, ``None`` when it has none): when the run started and ended."""
    collector = _Collector(passed_details)
    collector.startTestRun()
    if isinstance(source, (bytes, bytearray, memoryview)):
        _run(io.BytesIO(bytes(source)), collector)
    elif isinstance(source, (str, Path)):
        with open(source, "rb") as fh:
            _run(fh, collector)
    else:
        _run(source, collector)
    collector.stopTestRun()
    tests = merge_attempts(collector.cases) if merge else collector.cases
    first, last = collector.first, collector.last
    return tests, (first.timestamp() if first else None), (last.timestamp() if last else None)


def _run(stream: BinaryIO, collector: _Collector) -> None:
    subunit.ByteStreamToStreamResult(stream, non_subunit_name="stdout").run(collector)


def merge_attempts(cases: Iterable[TestCase]) -> list[TestCase]:
    """Join records that share an id into one; order of first appearance is kept.

    The final status is the last attempt's, except that a pass (or xfail) after a
    failure is ``flaky``. ``attempts`` holds every try's status; ``duration`` is the
    sum of all tries; ``details`` keeps the failed tries' output, labelled.
    """
    groups: dict[str, list[TestCase]] = {}
    for case in cases:
        groups.setdefault(case.id, []).append(case)
    merged: list[TestCase] = []
    for tries in groups.values():
        if len(tries) == 1:
            merged.append(tries[0])
            continue
        merged.append(_merge_one(tries))
    return merged


def _merge_one(tries: list[TestCase]) -> TestCase:
    attempts = [a for t in tries for a in (t.attempts or [t.status.value])]
    last = tries[-1]
    failed_before = any(t.status in _FAILING for t in tries[:-1])
    status = TestStatus.FLAKY if last.status in _PASSING and failed_before else last.status
    shown = [t for t in tries if t.status in _FAILING] if status is TestStatus.FLAKY else [last]
    details = "\n\n".join(
        f"=== attempt {tries.index(t) + 1} of {len(tries)}: {t.status.value} ===\n{t.details}"
        for t in shown if t.details
    )
    reason = last.reason or next((t.reason for t in reversed(shown) if t.reason), "")
    return TestCase(
        id=last.id, status=status, duration=round(sum(t.duration for t in tries), 6),
        attempts=attempts, details=details, reason=reason,
    )


# --- redaction ------------------------------------------------------------------

_NON_SUBUNIT = "\x00non-subunit"  # no packet can carry a NUL in a name
_MAX_CHUNK = 1 << 20  # a v2 packet holds at most 4 MiB


def redact_stream(data: bytes, redactor: Redactor) -> bytes:
    """A copy of a subunit v2 stream with every secret masked, still a valid stream.

    Test ids, tags, file names and the bytes of every attachment pass through
    ``redactor`` (:meth:`~hvrt.redact.Redactor.bytes` keeps bytes that are not UTF-8
    as they are). The chunks of one attachment are joined before they are redacted,
    so a secret split over two packets is found, then cut again into as many packets
    with their own timestamps. Bytes between packets (not subunit) are redacted and
    written back as they came. Events keep their order within each test.
    """
    out = io.BytesIO()
    copy = _RedactingCopy(out, redactor)
    subunit.ByteStreamToStreamResult(io.BytesIO(data), non_subunit_name=_NON_SUBUNIT).run(copy)
    copy.flush()
    return out.getvalue()


class _RedactingCopy(testtools.StreamResult):
    """Writes every event it receives, redacted, with :class:`subunit.StreamResultToBytes`."""

    def __init__(self, output: BinaryIO, redactor: Redactor) -> None:
        super().__init__()
        self._output = output
        self._writer = subunit.StreamResultToBytes(output)
        self._redactor = redactor
        self._text = lru_cache(maxsize=4096)(redactor.text)  # ids repeat in every event
        self._raw: list[bytes] = []
        self._files: dict[tuple[str | None, str | None], dict[str, list[dict[str, Any]]]] = {}

    def status(self, test_id: str | None = None, test_status: str | None = None,  # type: ignore[override]
               file_name: str | None = None, file_bytes: bytes | None = None, **event: Any) -> None:
        if file_name == _NON_SUBUNIT and test_id is None:
            self._raw.append(bytes(file_bytes or b""))
            return
        self._flush_raw()
        key = (test_id, event.get("route_code"))
        if file_name is None:
            self._flush_test(key)
            self._emit(dict(event, test_id=test_id, test_status=test_status))
            return
        chunk = dict(event, test_id=test_id, file_name=file_name, file_bytes=bytes(file_bytes or b""))
        self._files.setdefault(key, {}).setdefault(file_name, []).append(chunk)
        if event.get("eof") or test_status is not None:
            self._flush_test(key)
        if test_status is not None:  # sent after every file of the test, on its own
            self._emit(dict(event, test_id=test_id, test_status=test_status, eof=False, mime_type=None))

    def flush(self) -> None:
        self._flush_raw()
        for key in list(self._files):
            self._flush_test(key)

    def _flush_raw(self) -> None:
        if self._raw:
            self._output.write(self._redactor.bytes(b"".join(self._raw)))
            self._raw.clear()

    def _flush_test(self, key: tuple[str | None, str | None]) -> None:
        for chunks in self._files.pop(key, {}).values():
            data = self._redactor.bytes(b"".join(c["file_bytes"] for c in chunks))
            pos = 0
            for n, chunk in enumerate(chunks):
                end = len(data) if n == len(chunks) - 1 else pos + len(chunk["file_bytes"])
                piece, pos = data[pos:end], end
                while len(piece) > _MAX_CHUNK:
                    self._emit(dict(chunk, file_bytes=piece[:_MAX_CHUNK], eof=False))
                    piece = piece[_MAX_CHUNK:]
                self._emit(dict(chunk, file_bytes=piece))

    def _emit(self, event: dict[str, Any]) -> None:
        for name in ("test_id", "file_name"):
            if event.get(name) is not None:
                event[name] = self._text(event[name])
        if event.get("test_tags"):
            event["test_tags"] = {self._text(tag) for tag in event["test_tags"]}
        self._writer.status(**event)
