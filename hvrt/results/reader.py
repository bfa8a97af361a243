"""Read a results tree back: the one reader every report verb and ``--resume`` use.

``<scenario>/results.json`` is :meth:`ScenarioResult.to_dict`; ``summary.json`` is
:meth:`RunSummary.to_dict` (scenarios without their tests). Every report of a run
can be rebuilt from these two. Only regular files inside the run folder are read:
a symlink in a tree handed to ``hvrt report`` is never followed.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hvrt.errors import UsageError
from hvrt.results.layout import RESULTS_JSON, RUN_JSON, SUMMARY_JSON, scenario_dirname
from hvrt.results.model import RunSummary, ScenarioResult, ScenarioStatus


def _read_json(path: Path) -> Any:
    if path.is_symlink() or not path.is_file():
        raise FileNotFoundError(path)
    return json.loads(path.read_text(encoding="utf-8"))


def load_scenario(path: Path) -> ScenarioResult:
    """A scenario result from its ``results.json`` (or the folder holding it)."""
    path = path / RESULTS_JSON if path.is_dir() else path
    try:
        return ScenarioResult.from_dict(_read_json(path))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{path}: not a readable scenario result: {exc}") from exc


def load_result_or_skipped(run_dir: Path, name: str) -> ScenarioResult:
    """The saved result of scenario ``name``, or a skipped placeholder ("not run")."""
    try:
        return ScenarioResult.from_dict(_read_json(Path(run_dir) / scenario_dirname(name) / RESULTS_JSON))
    except (OSError, ValueError, KeyError, TypeError):
        return ScenarioResult(name, ScenarioStatus.SKIPPED, error="not run")


def read_run_meta(run_dir: Path) -> dict[str, Any]:
    """``run.json``: what was asked when the run started."""
    path = Path(run_dir) / RUN_JSON
    try:
        return dict(_read_json(path))
    except FileNotFoundError:
        raise UsageError(f"{run_dir} is not a run folder (no {RUN_JSON})") from None
    except (OSError, ValueError, TypeError) as exc:
        raise UsageError(f"{path}: not readable: {exc}") from None


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
            meta = _read_json(summary_path)
        except (OSError, ValueError) as exc:
            raise UsageError(f"{summary_path}: not valid JSON: {exc}") from exc
    summary = RunSummary(
        run_id=meta.get("run_id") or run_dir.name,
        release=meta.get("release") or run_dir.parent.name,
        started=meta.get("started"), ended=meta.get("ended"),
        interrupted=bool(meta.get("interrupted", False)),
    )
    seen: set[str] = set()
    for entry in meta.get("scenarios", []):
        folder = run_dir / scenario_dirname(entry["name"])
        if (folder / RESULTS_JSON).is_file():
            result = load_scenario(folder)
        else:  # listed but never finished: what the summary knows, without tests
            result = ScenarioResult.from_dict({**entry, "tests": []})
        summary.scenarios.append(result)
        seen.add(folder.name)
    for path in sorted(run_dir.glob(f"*/{RESULTS_JSON}")):
        if path.parent.name not in seen and not path.parent.is_symlink():
            summary.scenarios.append(load_scenario(path))
    if not summary.scenarios and not summary_path.exists():
        raise UsageError(f"{run_dir}: not a run folder (no summary.json, no */results.json)")
    return summary
