"""HTML pages: ``<scenario>/results.html`` and the run's ``index.html``.

Rendered with Jinja2 and autoescaping on, so a test id or captured output holding
markup shows as text. CSS and JavaScript from ``static/`` are inlined: a page needs
nothing but itself and the files it links, which are always relative links to files
that exist in the results tree when the page is written (so a results tree can be
copied to any static web server, or opened from file://).
"""
from __future__ import annotations

import json
import os
from collections.abc import Iterable
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from hvrt import __version__
from hvrt.results import RunSummary, ScenarioResult, TestCase, TestStatus
from hvrt.results.console import duration
from hvrt.results.layout import RESULTS_HTML, confined, scenario_dirname
from hvrt_html import timeline

HERE = Path(__file__).resolve().parent
STATUSES = [s.value for s in TestStatus]
PAGE_DETAILS_BUDGET = 8 * 1024 * 1024
"""Bytes of captured output of *passed* tests a results page shows at most."""
HEAT_ROWS = 400
_RUN_FILES = ("summary.json", "junit.xml", "comparison.html", "comparison.json", "merged-from.json",
              "journal.jsonl", "hvrt.log")
_SCENARIO_LINKS = ("results.json", "junit.xml", "tempest.subunit")
_PROFILE_KEYS = ("os", "image", "cow", "network", "memory", "utils_api", "live_migration",
                 "vm_generation", "remotefx")
_SHORT = {"failed": "F", "error": "E", "uxsuccess": "U", "flaky": "~", "passed": "ok",
          "skipped": "s", "xfail": "x"}


@lru_cache(maxsize=1)
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(HERE / "templates")),
        autoescape=True, trim_blocks=False, lstrip_blocks=False,
        undefined=jinja2.StrictUndefined,
    )
    env.globals.update(
        version=__version__, when=when, dur=duration,
        css=Markup((HERE / "static" / "report.css").read_text(encoding="utf-8")),
        js=Markup((HERE / "static" / "report.js").read_text(encoding="utf-8")),
    )
    return env


def when(ts: float | None) -> str:
    if ts is None:
        return "unknown"
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def now() -> str:
    return when(datetime.now(timezone.utc).timestamp())


def href(rel: str) -> str:
    """A relative link to a path inside the results tree (each segment quoted)."""
    return "/".join(quote(part) for part in rel.split("/"))


def _size(n: int) -> str:
    for unit in ("B", "KiB", "MiB"):
        if n < 1024 or unit == "MiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024  # type: ignore[assignment]
    return ""


def scenario_files(folder: Path, artifacts: Iterable[str]) -> tuple[list[tuple[str, str, str]], list[str]]:
    """Links to every regular file under ``folder`` (artifacts first), and recorded
    artifacts that are not there. Symlinks are neither listed nor followed, and an
    artifact whose path would leave ``folder`` is never linked."""
    files: list[tuple[str, str, str]] = []
    seen: set[str] = set()
    missing: list[str] = []
    for rel in artifacts:
        try:
            path = confined(folder, rel)
        except ValueError:
            missing.append(rel)
            continue
        if _plain_file(folder, path):
            files.append((href(rel), rel, _size(path.stat().st_size)))
            seen.add(rel)
        else:
            missing.append(rel)
    for top, dirs, names in os.walk(folder):  # never follows symlinked folders
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            path = Path(top) / name
            rel = path.relative_to(folder).as_posix()
            if rel in seen or rel == RESULTS_HTML or name.startswith(".") or path.is_symlink():
                continue
            files.append((href(rel), rel, _size(path.stat().st_size)))
    return files, missing


def _plain_file(folder: Path, path: Path) -> bool:
    """A regular file reached without a symlink on the way from ``folder``."""
    probe = path
    while probe != folder:
        if probe.is_symlink():
            return False
        probe = probe.parent
    return path.is_file()


def _rows(tests: list[TestCase]) -> tuple[list[tuple[TestCase, str]], int]:
    """The table's rows, problems first (then flaky, then the rest, each in run order),
    with the output of passed tests kept within :data:`PAGE_DETAILS_BUDGET`."""
    budget = PAGE_DETAILS_BUDGET
    rows: list[tuple[TestCase, str]] = []
    omitted = 0
    ordered = sorted(tests, key=lambda t: 0 if t.status.is_problem else 1 if t.status is TestStatus.FLAKY else 2)
    for case in ordered:
        details = case.details
        if details and case.status is TestStatus.PASSED:
            if len(details) > budget:
                omitted += 1
                details = ""
            else:
                budget -= len(details)
        rows.append((case, details))
    return rows, omitted


def render_scenario(folder: Path, result: ScenarioResult, run_id: str | None = None) -> str:
    """The text of ``results.html`` for a scenario whose folder is ``folder``."""
    files, missing = scenario_files(folder, result.artifacts)
    rows, omitted = _rows(result.tests)
    return environment().get_template("results.html").render(
        r=result, counts=result.counts(), statuses=STATUSES, rows=rows, omitted=omitted,
        test_time=sum(t.duration for t in result.tests), files=files, missing=missing,
        facts=json.dumps(result.facts, indent=2, sort_keys=True, default=str),
        profile=json.dumps(result.profile, indent=2, sort_keys=True, default=str),
        run_id=run_id, up="../index.html" if run_id else None,
        stage_chart=timeline.scenario_timeline(result), slowest=timeline.slowest_tests(result.tests),
        generated=now(),
    )


def profile_summary(profile: dict[str, Any]) -> str:
    parts = []
    for key in _PROFILE_KEYS:
        value = profile.get(key)
        if isinstance(value, dict):
            inner = "/".join(str(v) for v in value.values() if isinstance(v, (str, int, float)) and v != "")
            if inner:
                parts.append(f"{key}={inner}")
        elif value not in (None, "", False):
            parts.append(key if value is True else f"{key}={value}")
    return " ".join(parts)


def _heat(summary: RunSummary, pages: list[str | None]) -> tuple[list[tuple[str, list[Any]]], int]:
    index: list[dict[str, tuple[int, TestCase]]] = [
        {t.id: (i, t) for i, t in enumerate(sc.tests)} for sc in summary.scenarios
    ]
    wanted: dict[str, None] = {}
    for sc in summary.scenarios:
        for t in sc.tests:
            if t.status.is_problem or t.status is TestStatus.FLAKY:
                wanted.setdefault(t.id)
    ids = sorted(wanted)
    rows = []
    for test_id in ids[:HEAT_ROWS]:
        cells: list[Any] = []
        for page, tests in zip(pages, index, strict=True):
            hit = tests.get(test_id)
            if hit is None:
                cells.append(None)
                continue
            i, case = hit
            cells.append({
                "status": case.status.value, "short": _SHORT.get(case.status.value, "?"),
                "title": f"{case.status.value}: {case.reason}"[:300],
                "href": f"{page}#t-{i}" if page else "#",
            })
        rows.append((test_id, cells))
    return rows, (len(ids) if len(ids) > HEAT_ROWS else 0)


def render_index(run_dir: Path, summary: RunSummary) -> str:
    """The text of the run's ``index.html``."""
    rows, pages = [], []
    for sc in summary.scenarios:
        name = scenario_dirname(sc.name)
        folder = run_dir / name
        page = f"{href(name)}/{RESULTS_HTML}" if _plain_file(run_dir, folder / RESULTS_HTML) else None
        pages.append(page)
        links = [(f"{href(name)}/{item}", item) for item in _SCENARIO_LINKS if _plain_file(run_dir, folder / item)]
        rows.append({"r": sc, "page": page, "counts": sc.counts(), "links": links,
                     "profile": profile_summary(sc.profile)})
    heat, heat_cut = _heat(summary, pages)
    starts = [s.started for s in summary.scenarios if s.started] + ([summary.started] if summary.started else [])
    ends = [s.ended for s in summary.scenarios if s.ended] + ([summary.ended] if summary.ended else [])
    run_time = (max(ends) - min(starts)) if starts and ends else 0.0
    scenario_counts: dict[str, int] = {}
    for sc in summary.scenarios:
        scenario_counts[sc.status.value] = scenario_counts.get(sc.status.value, 0) + 1
    return environment().get_template("index.html").render(
        s=summary, rows=rows, statuses=STATUSES, heat=heat,
        totals={**dict.fromkeys([*STATUSES, "total"], 0), **summary.counts()},
        heat_cut=heat_cut, run_time=max(0.0, run_time), scenario_counts=sorted(scenario_counts.items()),
        run_files=[(href(f), f) for f in _RUN_FILES if _plain_file(run_dir, run_dir / f)],
        timeline=timeline.run_timeline(summary),
        generated=now(),
    )
