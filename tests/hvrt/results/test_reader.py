"""results.json and summary.json round-trip; a run folder loads back."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from hvrt_html.jsonreport import load_run, load_scenario, result_dict

from hvrt.errors import UsageError
from hvrt.results import ScenarioResult


def test_results_json_round_trips(two_scenario_run: Path, scenario_factory) -> None:
    path = two_scenario_run / "2012r2-vhdx" / "results.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    again = ScenarioResult.from_dict(data)
    assert again.to_dict() == data
    expected = scenario_factory("2012r2-vhdx", Path(__file__).parents[2] / "data/subunit-stestr/run-retried.subunit")
    assert again.tests == expected.tests and again.facts == expected.facts
    assert result_dict(expected) == expected.to_dict()  # the fast path writes what to_dict says


def test_load_run_reads_summary_and_scenarios(two_scenario_run: Path) -> None:
    summary = load_run(two_scenario_run)
    assert (summary.run_id, summary.release) == ("run-1", "newton")
    assert [s.name for s in summary.scenarios] == ["2012r2-vhdx", "2016-vhd"]
    assert summary.counts()["total"] == 13 + 136
    stored = json.loads((two_scenario_run / "summary.json").read_text())
    assert summary.to_dict() == stored


def test_load_run_without_summary_uses_scenario_folders(two_scenario_run: Path) -> None:
    (two_scenario_run / "summary.json").unlink()
    summary = load_run(two_scenario_run)
    assert summary.run_id == "run-1" and summary.release == "newton"
    assert sorted(s.name for s in summary.scenarios) == ["2012r2-vhdx", "2016-vhd"]


def test_scenario_listed_but_never_finished(two_scenario_run: Path) -> None:
    shutil.rmtree(two_scenario_run / "2016-vhd")
    summary = load_run(two_scenario_run)
    unfinished = summary.scenarios[1]
    assert unfinished.name == "2016-vhd" and unfinished.tests == []


def test_bad_folders_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        load_run(tmp_path / "nope")
    with pytest.raises(UsageError):
        load_run(tmp_path)
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "results.json").write_text("{not json")
    with pytest.raises(UsageError, match="results.json"):
        load_scenario(tmp_path / "s")
