"""The journal survives a torn last line and tells resume what finished."""
from __future__ import annotations

from hvrt.results.journal import Journal, read_journal


def test_torn_last_line_is_ignored_and_outcomes_are_read(tmp_path) -> None:
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    journal.record("scenario_start", scenario="a")
    journal.record("scenario_end", scenario="a", status="passed")
    journal.record("scenario_start", scenario="b")
    journal.record("scenario_end", scenario="b", status="error")
    journal.record("scenario_start", scenario="c")
    journal.close()
    with open(path, "a") as fh:
        fh.write('{"event": "scenario_end", "scen')  # a crash mid-write
    state = read_journal(path)
    assert state.finished == {"a"}
    assert state.started == {"a", "b", "c"}
    assert state.outcomes == {"a": "passed", "b": "error"}
    assert not state.run_ended


def test_a_restarted_scenario_forgets_its_old_outcome(tmp_path) -> None:
    journal = Journal(tmp_path / "j.jsonl")
    journal.record("scenario_end", scenario="a", status="failed")
    journal.record("scenario_start", scenario="a")
    journal.close()
    assert read_journal(tmp_path / "j.jsonl").finished == set()


def test_missing_journal_is_empty(tmp_path) -> None:
    assert read_journal(tmp_path / "none.jsonl").events == []


def test_a_torn_line_cannot_swallow_the_next_record(tmp_path) -> None:
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    journal.record("scenario_end", scenario="a", status="passed")
    journal.close()
    with open(path, "a") as fh:
        fh.write('{"event": "scenario_end", "scenario": "b", "sta')  # crash mid-write
    resumed = Journal(path)  # --resume opens the journal again
    resumed.record("scenario_end", scenario="c", status="failed")
    resumed.close()
    state = read_journal(path)
    assert state.outcomes == {"a": "passed", "c": "failed"}
    assert path.read_text().count("\n") == 2


def test_records_are_cleaned_before_they_are_written(tmp_path) -> None:
    journal = Journal(tmp_path / "j.jsonl", clean=lambda entry: {**entry, "error": "masked"})
    journal.record("stage_end", error="password=hunter2")
    journal.close()
    assert "hunter2" not in (tmp_path / "j.jsonl").read_text()
