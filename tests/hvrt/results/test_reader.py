"""results.json and summary.json round-trip; a run folder loads back; links are not followed."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from hvrt.errors import UsageError
from hvrt.results import RunSummary, ScenarioResult, ScenarioStatus
from hvrt.results.reader import load_result_or_skipped, load_run, load_scenario, read_run_meta
from hvrt.results.store import ResultsStore
from hvrt.subunit import parse_subunit

STREAM = Path(__file__).parents[2] / "data" / "subunit" / "tempest-identity.subunit"


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    store = ResultsStore(tmp_path / "newton" / "run-1")
    summary = RunSummary("run-1", "newton", started=1.0, ended=2.0)
    for name in ("2012r2-vhdx", "2016-vhd"):
        result = ScenarioResult(name, ScenarioStatus.PASSED, tests=parse_subunit(STREAM),
                                facts={"hv1": {"free_disk_gb": 120}}, started=1.0, ended=2.0)
        summary.scenarios.append(result)
        store.write_result(result)
    store.write_summary(summary)
    return store.run_dir


def test_results_json_round_trips(run_dir: Path) -> None:
    data = json.loads((run_dir / "2016-vhd" / "results.json").read_text(encoding="utf-8"))
    again = ScenarioResult.from_dict(data)
    assert again.to_dict() == data
    assert again.tests == parse_subunit(STREAM) and again.facts == {"hv1": {"free_disk_gb": 120}}


def test_load_run_reads_summary_and_scenarios(run_dir: Path) -> None:
    summary = load_run(run_dir)
    assert (summary.run_id, summary.release) == ("run-1", "newton")
    assert [s.name for s in summary.scenarios] == ["2012r2-vhdx", "2016-vhd"]
    assert summary.counts()["total"] == 2 * 136
    assert summary.to_dict() == json.loads((run_dir / "summary.json").read_text())


def test_load_run_without_summary_uses_scenario_folders(run_dir: Path) -> None:
    (run_dir / "summary.json").unlink()
    summary = load_run(run_dir)
    assert summary.run_id == "run-1" and summary.release == "newton"
    assert sorted(s.name for s in summary.scenarios) == ["2012r2-vhdx", "2016-vhd"]


def test_scenario_listed_but_never_finished(run_dir: Path) -> None:
    shutil.rmtree(run_dir / "2016-vhd")
    unfinished = load_run(run_dir).scenarios[1]
    assert unfinished.name == "2016-vhd" and unfinished.tests == []
    assert load_result_or_skipped(run_dir, "2016-vhd").status is ScenarioStatus.SKIPPED


def test_symlinked_results_are_not_read(run_dir: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    shutil.copytree(run_dir / "2016-vhd", outside)
    shutil.rmtree(run_dir / "2016-vhd")
    (run_dir / "2016-vhd").symlink_to(outside)
    (run_dir / "summary.json").unlink()
    assert [s.name for s in load_run(run_dir).scenarios] == ["2012r2-vhdx"]
    (run_dir / "2012r2-vhdx" / "results.json").rename(tmp_path / "r.json")
    (run_dir / "2012r2-vhdx" / "results.json").symlink_to(tmp_path / "r.json")
    with pytest.raises(UsageError):
        load_scenario(run_dir / "2012r2-vhdx")


def test_bad_folders_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        load_run(tmp_path / "nope")
    with pytest.raises(UsageError):
        load_run(tmp_path)
    with pytest.raises(UsageError, match="run.json"):
        read_run_meta(tmp_path)
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "results.json").write_text("{not json")
    with pytest.raises(UsageError, match="results.json"):
        load_scenario(tmp_path / "s")
