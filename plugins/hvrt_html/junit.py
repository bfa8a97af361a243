"""JUnit XML for Jenkins (and any CI that reads the Ant/Surefire schema).

The document keeps to the JUnit schema Jenkins' xUnit plugin validates against
(``junit-10.xsd``): no properties inside a testcase, no ``skipped`` count on
``<testsuites>``; tests/plugins/hvrt_html/test_junit_schema.py checks it.

Written per scenario (``<scenario>/junit.xml``) and once per run (``junit.xml``,
every scenario merged). Each scenario is one ``<testsuite>`` named after it; every
``classname`` starts with the scenario's name, so Jenkins shows the same Tempest test
of two scenarios as two tests (point the Jenkins ``junit`` step at the run's
``junit.xml`` only, not at ``**/junit.xml``, or each test counts twice).

Mapping of statuses:

* passed -> plain ``<testcase>``; failed -> ``<failure>``; error -> ``<error>``;
  uxsuccess -> ``<failure type="unexpected-success">`` (it breaks the run's promise);
* skipped -> ``<skipped message=reason>``; xfail -> ``<skipped type="expected-failure">``
  (the way pytest writes it, so Jenkins does not count it as a pass nor a failure);
* flaky -> a *passed* testcase (Jenkins keeps the build green on retried tests) that
  carries one ``<flakyFailure>`` per failed try (Surefire's re-run schema, shown by
  Jenkins' Flaky Test Handler) and a ``<system-out>`` note that the JUnit page shows
  even without that plugin; the suite's property ``hvrt.flaky`` counts them;
* a scenario that ended in an infrastructure error gets one extra testcase
  ``<scenario>.hvrt.scenario`` / ``<stage>`` with an ``<error>`` so the build is red
  for it even when no test ran.

Written by string building with XML escaping, in one pass, to stay quick on runs of
tens of thousands of tests.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import datetime, timezone
from xml.sax.saxutils import escape, quoteattr

from hvrt.results import ScenarioResult, ScenarioStatus, TestCase, TestStatus
from hvrt.results.testid import split_test_id

# characters XML 1.0 forbids even when escaped
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_PROBLEM_STATUSES = {ScenarioStatus.ERROR, ScenarioStatus.INTERRUPTED}


def _text(value: str) -> str:
    return escape(_INVALID_XML.sub("\ufffd", value))


def _attr(value: str) -> str:
    return quoteattr(_INVALID_XML.sub("\ufffd", value))


def _iso(ts: float | None) -> str:
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def _suite_counts(result: ScenarioResult) -> dict[str, int]:
    counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for case in result.tests:
        counts["tests"] += 1
        if case.status in (TestStatus.FAILED, TestStatus.UXSUCCESS):
            counts["failures"] += 1
        elif case.status is TestStatus.ERROR:
            counts["errors"] += 1
        elif case.status in (TestStatus.SKIPPED, TestStatus.XFAIL):
            counts["skipped"] += 1
    if result.status in _PROBLEM_STATUSES:
        counts["tests"] += 1
        counts["errors"] += 1
    return counts


def _case(scenario: str, case: TestCase) -> Iterator[str]:
    cls, name = split_test_id(case.id)
    classname = f"{scenario}.{cls}" if cls else scenario
    yield (f"<testcase classname={_attr(classname)} name={_attr(name)} "
           f"time=\"{case.duration:.3f}\"")
    status = case.status
    if status is TestStatus.PASSED and not case.details:
        yield "/>\n"
        return
    yield ">"
    message = _attr(case.reason or status.value)
    if status is TestStatus.FAILED:
        yield f"<failure type=\"failure\" message={message}>{_text(case.details)}</failure>"
    elif status is TestStatus.UXSUCCESS:
        yield (f"<failure type=\"unexpected-success\" message={_attr('unexpected success')}>"
               f"{_text(case.details)}</failure>")
    elif status is TestStatus.ERROR:
        yield f"<error type=\"error\" message={message}>{_text(case.details)}</error>"
    elif status is TestStatus.SKIPPED:
        yield f"<skipped message={message}/>"
    elif status is TestStatus.XFAIL:
        yield f"<skipped type=\"expected-failure\" message={_attr(case.reason or 'expected failure')}/>"
    elif status is TestStatus.FLAKY:  # the schema allows no <properties> in a testcase
        for _ in [a for a in case.attempts if a in ("failed", "error")] or ["failed"]:
            yield (f"<flakyFailure type=\"failure\" message={message}>"
                   f"<stackTrace>{_text(case.details)}</stackTrace></flakyFailure>")
        note = f"flaky: passed after retries (attempts: {', '.join(case.attempts)})"
        yield f"<system-out>{_text(note)}\n\n{_text(case.details)}</system-out>"
    elif case.details:
        yield f"<system-out>{_text(case.details)}</system-out>"
    yield "</testcase>\n"


def _suite(result: ScenarioResult) -> Iterator[str]:
    counts = _suite_counts(result)
    yield (f"<testsuite name={_attr(result.name)} tests=\"{counts['tests']}\" "
           f"failures=\"{counts['failures']}\" errors=\"{counts['errors']}\" "
           f"skipped=\"{counts['skipped']}\" time=\"{result.duration:.3f}\"")
    if result.started is not None:
        yield f" timestamp=\"{_iso(result.started)}\""
    yield ">\n<properties>"
    flaky = [t.id for t in result.tests if t.status is TestStatus.FLAKY]
    props = {"hvrt.scenario.status": result.status.value,
             "hvrt.product_version": result.product_version or "",
             "hvrt.nodes": ",".join(result.nodes),
             "hvrt.flaky": str(len(flaky))}
    for key, value in props.items():
        yield f"<property name={_attr(key)} value={_attr(value)}/>"
    yield "</properties>\n"
    for case in result.tests:
        yield from _case(result.name, case)
    if result.status in _PROBLEM_STATUSES:
        failed = next((s.stage for s in result.stages if s.status == "failed"), result.status.value)
        yield (f"<testcase classname={_attr(result.name + '.hvrt.scenario')} name={_attr(failed)} "
               f"time=\"0.000\"><error type=\"infrastructure\" "
               f"message={_attr(result.error or result.status.value)}>{_text(result.error)}</error>"
               "</testcase>\n")
    yield "</testsuite>\n"


def junit_xml(results: Iterable[ScenarioResult], name: str = "hvrt") -> str:
    """The JUnit document of one or several scenario results."""
    results = list(results)
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for result in results:
        for key, value in _suite_counts(result).items():
            totals[key] += value
    time = sum(r.duration for r in results)
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n',
             f"<testsuites name={_attr(name)} tests=\"{totals['tests']}\" "
             f"failures=\"{totals['failures']}\" errors=\"{totals['errors']}\" "
             f"time=\"{time:.3f}\">\n"]  # skipped counts are per suite only, as the schema has them
    for result in results:
        parts.extend(_suite(result))
    parts.append("</testsuites>\n")
    return "".join(parts)
