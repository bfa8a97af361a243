"""JSON reports, and loading a results tree back from disk.

``<scenario>/results.json`` is :meth:`ScenarioResult.to_dict`; ``summary.json`` is
:meth:`RunSummary.to_dict` (scenarios without their tests). Every report of a run can
be rebuilt from these two (``hvrt report render``), so :func:`load_run` is the one
reader of a run folder that the other report modules use.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

from hvrt.engine import scenario_dirname
from hvrt.errors import UsageError
from hvrt.fsutil import atomic_write
from hvrt.results import RunSummary, ScenarioResult, ScenarioStatus

RESULTS_JSON = "results.json"
SUMMARY_JSON = "summary.json"


def dumps(data: Any, *, compact: bool = False) -> str:
    """JSON text; ``compact`` (one line) lets the C encoder do a large document."""
    return json.dumps(data, indent=None if compact else 1, sort_keys=True, ensure_ascii=False,
                      default=str) + "\n"


def result_dict(result: ScenarioResult) -> dict[str, Any]:
    """Exactly :meth:`ScenarioResult.to_dict`, built without ``dataclasses.asdict``
    for the tests (a deep copy per test is most of the cost on a large run)."""
    data = dataclasses.replace(result, tests=[]).to_dict()
    data["tests"] = [
        {"id": t.id, "status": t.status.value, "duration": t.duration, "attempts": list(t.attempts),
         "details": t.details, "reason": t.reason}
        for t in result.tests
    ]
    data["counts"] = result.counts()
    return data


def write_results_json(folder: Path, result: ScenarioResult) -> Path:
    return atomic_write(folder / RESULTS_JSON, dumps(result_dict(result), compact=True))


def write_summary_json(run_dir: Path, summary: RunSummary) -> Path:
    return atomic_write(run_dir / SUMMARY_JSON, dumps(summary.to_dict()))


def scenario_dir(run_dir: Path, name: str) -> Path:
    """The folder of scenario ``name`` inside a run folder."""
    return run_dir / scenario_dirname(name)


def load_scenario(path: Path) -> ScenarioResult:
    """A scenario result from its ``results.json`` (or the folder holding it)."""
    path = path / RESULTS_JSON if path.is_dir() else path
    try:
        return ScenarioResult.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{path}: not a readable scenario result: {exc}") from exc


def load_run(run_dir: Path | str) -> RunSummary:
    """The run in ``run_dir``: ``summary.json`` for the run and the order of its
    scenarios, each scenario's ``results.json`` for its tests.

    A run that crashed before writing ``summary.json`` is read from the scenario
    folders alone (run id = folder name, release = parent folder name).
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UsageError(f"{run_dir}: no such run folder")
    meta: dict[str, Any] = {}
    summary_path = run_dir / SUMMARY_JSON
    if summary_path.exists():
        try:
            meta = json.loads(summary_path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise UsageError(f"{summary_path}: not valid JSON: {exc}") from exc
    summary = RunSummary(
        run_id=meta.get("run_id") or run_dir.name,
        release=meta.get("release") or run_dir.parent.name,
        started=meta.get("started"), ended=meta.get("ended"),
        interrupted=bool(meta.get("interrupted", False)),
    )
    seen: set[str] = set()
    for entry in meta.get("scenarios", []):
        folder = scenario_dir(run_dir, entry["name"])
        if (folder / RESULTS_JSON).exists():
            result = load_scenario(folder)
        else:  # listed but never finished: what the summary knows, without tests
            result = ScenarioResult.from_dict({**entry, "tests": []})
        summary.scenarios.append(result)
        seen.add(folder.name)
    for path in sorted(run_dir.glob(f"*/{RESULTS_JSON}")):
        if path.parent.name not in seen:
            summary.scenarios.append(load_scenario(path))
    if not summary.scenarios and not summary_path.exists():
        raise UsageError(f"{run_dir}: not a run folder (no summary.json, no */results.json)")
    return summary


def problem_status(summary: RunSummary) -> bool:
    """True when any scenario did not pass (used for exit codes of report verbs)."""
    return any(s.status is not ScenarioStatus.PASSED for s in summary.scenarios)
