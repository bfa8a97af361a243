"""Write every report of a scenario or of a run into the results tree.

The hook implementations, ``hvrt report render`` and ``from-subunit`` all come here.
Secrets never reach a report: test output and errors go through the run's
:class:`~hvrt.redact.Redactor` (literal secrets and password-like assignments), and
every document through its literal masking before :func:`hvrt.fsutil.atomic_write`.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from hvrt.fsutil import atomic_write
from hvrt.redact import Redactor
from hvrt.results import RunSummary, ScenarioResult
from hvrt_html import html, junit
from hvrt_html.jsonreport import RESULTS_JSON, SUMMARY_JSON, dumps, result_dict

RESULTS_HTML = "results.html"
JUNIT_XML = "junit.xml"
INDEX_HTML = "index.html"


def redacted(result: ScenarioResult, redactor: Redactor) -> ScenarioResult:
    """A copy of ``result`` whose free text (test output, reasons, errors) is masked."""
    if not redactor.secrets and not _has_assignments(result):
        return result
    tests = [
        dataclasses.replace(t, details=redactor.text(t.details), reason=redactor.text(t.reason))
        if (t.details or t.reason) else t
        for t in result.tests
    ]
    stages = [dataclasses.replace(s, error=redactor.text(s.error)) for s in result.stages]
    return dataclasses.replace(result, tests=tests, stages=stages, error=redactor.text(result.error))


def _has_assignments(result: ScenarioResult) -> bool:
    # password = ..., user:pass@ URLs: only free text can hold them; cheap substring test first
    needles = ("pass", "secret", "token", "credential", "key", "://")
    texts = [t.details for t in result.tests if t.details] + [result.error]
    texts += [s.error for s in result.stages]
    return any(n in text.lower() for text in texts if text for n in needles)


def write_scenario_reports(
    folder: Path, result: ScenarioResult, *, redactor: Redactor | None = None,
    run_id: str | None = None,
) -> list[Path]:
    """``junit.xml``, ``results.json`` then ``results.html`` (which links the others)."""
    redactor = redactor or Redactor()
    clean = redacted(result, redactor)
    written = [
        atomic_write(folder / JUNIT_XML, redactor.literals(junit.junit_xml([clean], name=clean.name))),
        atomic_write(folder / RESULTS_JSON, redactor.literals(dumps(result_dict(clean), compact=True))),
    ]
    page = html.render_scenario(folder, clean, run_id=run_id)
    written.append(atomic_write(folder / RESULTS_HTML, redactor.literals(page)))
    return written


def write_run_reports(run_dir: Path, summary: RunSummary, *, redactor: Redactor | None = None) -> list[Path]:
    """``summary.json``, the merged ``junit.xml`` then ``index.html``."""
    redactor = redactor or Redactor()
    clean = dataclasses.replace(summary, scenarios=[redacted(s, redactor) for s in summary.scenarios])
    written = [
        atomic_write(run_dir / SUMMARY_JSON, redactor.literals(dumps(clean.to_dict()))),
        atomic_write(run_dir / JUNIT_XML, redactor.literals(
            junit.junit_xml(clean.scenarios, name=f"{clean.release}/{clean.run_id}"))),
    ]
    written.append(atomic_write(run_dir / INDEX_HTML, redactor.literals(html.render_index(run_dir, clean))))
    return written
