"""Compare two runs: what regressed, what got fixed, what became flaky, which tests
appeared or vanished, scenario by scenario.

Used by ``hvrt report compare BASELINE RUN`` and by ``hvrt run --baseline`` (which
writes ``comparison.html`` and ``comparison.json`` into the new run's folder).
Scenarios are matched by name, tests by id. Definitions:

* regression: a problem now (failed, error, unexpected success) and not one in the
  baseline (it passed, was flaky, skipped or expected to fail there);
* fix: a problem in the baseline, passing now (passed, flaky or xfail);
* new flaky: flaky now and not flaky in the baseline;
* appeared / vanished: the id ran in only one of the two runs.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hvrt.results import RunSummary, ScenarioResult, TestCase, TestStatus
from hvrt.results.reader import load_run
from hvrt.results.store import ResultsStore, dumps
from hvrt_html.html import environment, href, now

SECTIONS = (("regressions", "Regressions"), ("fixes", "Fixes"), ("new_flaky", "New flaky tests"),
            ("appeared", "Tests that appeared"), ("vanished", "Tests that vanished"))
_FIXED = {TestStatus.PASSED, TestStatus.FLAKY, TestStatus.XFAIL}


def _entry(test_id: str, before: TestCase | None, after: TestCase | None) -> dict[str, str]:
    shown = after if after is not None and after.reason else before
    return {"id": test_id, "before": before.status.value if before else "",
            "after": after.status.value if after else "", "reason": shown.reason if shown else ""}


def compare_scenarios(base: ScenarioResult, new: ScenarioResult) -> dict[str, Any]:
    """The differences between one scenario's results in two runs."""
    old = {t.id: t for t in base.tests}
    now = {t.id: t for t in new.tests}
    out: dict[str, Any] = {"name": new.name, "baseline_status": base.status.value,
                           "status": new.status.value, **{key: [] for key, _ in SECTIONS}}
    for test_id, after in now.items():
        before = old.get(test_id)
        if before is None:
            out["appeared"].append(_entry(test_id, None, after))
            continue
        if after.status.is_problem and not before.status.is_problem:
            out["regressions"].append(_entry(test_id, before, after))
        elif before.status.is_problem and after.status in _FIXED:
            out["fixes"].append(_entry(test_id, before, after))
        if after.status is TestStatus.FLAKY and before.status is not TestStatus.FLAKY:
            out["new_flaky"].append(_entry(test_id, before, after))
    out["vanished"] = [_entry(i, t, None) for i, t in old.items() if i not in now]
    for key, _ in SECTIONS:
        out[key].sort(key=lambda e: e["id"])
    return out


def compare_summaries(baseline: RunSummary, run: RunSummary) -> dict[str, Any]:
    base_by_name = {s.name: s for s in baseline.scenarios}
    run_names = {s.name for s in run.scenarios}
    scenarios = [compare_scenarios(base_by_name[s.name], s) for s in run.scenarios if s.name in base_by_name]
    totals = {key: sum(len(sc[key]) for sc in scenarios) for key, _ in SECTIONS}
    return {
        "baseline": {"run_id": baseline.run_id, "release": baseline.release, "started": baseline.started},
        "run": {"run_id": run.run_id, "release": run.release, "started": run.started},
        "scenarios": scenarios,
        "scenarios_added": sorted(run_names - set(base_by_name)),
        "scenarios_removed": sorted(set(base_by_name) - run_names),
        "totals": totals,
    }


def compare_runs(baseline_dir: Path | str, run_dir: Path | str) -> dict[str, Any]:
    """Compare two run folders (read with :func:`load_run`); the dict is JSON-ready."""
    baseline_dir, run_dir = Path(baseline_dir), Path(run_dir)
    report = compare_summaries(load_run(baseline_dir), load_run(run_dir))
    report["baseline"]["dir"] = str(baseline_dir.resolve())
    report["run"]["dir"] = str(run_dir.resolve())
    return report


def _rel(target: Path, out_dir: Path) -> str | None:
    """A relative link from ``out_dir`` to a run's index, only when both lie in one
    results root (``<results>/<release>/<run>``): a published tree links nothing else."""
    if target.is_symlink() or not target.is_file():
        return None
    root = out_dir.resolve().parent.parent
    resolved = target.resolve()
    if root not in resolved.parents:
        return None
    return href(Path(os.path.relpath(resolved, out_dir.resolve())).as_posix())


def render_comparison(report: dict[str, Any], out_dir: Path) -> str:
    run_dir, base_dir = Path(report["run"].get("dir", "")), Path(report["baseline"].get("dir", ""))
    return environment().get_template("comparison.html").render(
        c=report, sections=SECTIONS,
        run_href=_rel(run_dir / "index.html", out_dir) if report["run"].get("dir") else None,
        base_href=_rel(base_dir / "index.html", out_dir) if report["baseline"].get("dir") else None,
        generated=now(),
    )


def write_comparison(store: ResultsStore, report: dict[str, Any], *, html: bool = True) -> list[Path]:
    """Write ``comparison.json`` (and ``comparison.html``) into the store's folder."""
    report = store.clean(report)
    written = [store.publish("comparison.json", dumps(report, indent=1))]
    if html:
        written.append(store.publish("comparison.html", render_comparison(report, store.run_dir)))
    return written
