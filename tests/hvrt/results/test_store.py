"""The results store: masked, confined, atomic, published modes, long output cut."""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from hvrt.redact import Redactor
from hvrt.results import RunSummary, ScenarioResult, ScenarioStatus, StageRecord, TestCase, TestStatus
from hvrt.results.store import DETAILS_CAP, ResultsStore

SECRET = "S3cret-Admin-Pw"


def _result() -> ScenarioResult:
    failed = TestCase("p.T.test_login", TestStatus.FAILED, 0.2, ["failed"],
                      f"POST with {SECRET}\nadmin_password = hunter22\nmysql://nova:dbpw99@127.0.0.1/nova",
                      f"login as {SECRET} refused")
    return ScenarioResult(
        "s1", ScenarioStatus.FAILED, tests=[failed], error=f"stack.sh: ADMIN_PASSWORD={SECRET}",
        stages=[StageRecord("deploy", "failed", 1.0, 2.0, f"clone of https://ci:{SECRET}@git.example/x failed")],
        profile={"ini": {"nova.conf": {"DEFAULT": {"transport_url": "rabbit://stackrabbit:rabbitpw1@h:5672/"}}}},
        facts={"hv1": {"note": f"token {SECRET}"}},
    )


def test_every_file_the_store_writes_is_masked(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "run", Redactor([SECRET]))
    result = _result()
    store.write_run_meta({"config": "x", "repo": f"https://ci:{SECRET}@git.example/x"})
    store.write_result(result)
    store.write_summary(RunSummary("r", "rel", scenarios=[result]))
    journal = store.journal()
    journal.record("stage_end", scenario="s1", error=f"password={SECRET}")
    journal.close()
    store.save("s1/logs/x.log", f"export OS_PASSWORD={SECRET}\n")
    written = [p for p in (tmp_path / "run").rglob("*") if p.is_file()]
    assert len(written) == 5
    for path in written:
        text = path.read_text(encoding="utf-8")
        for leaked in (SECRET, "hunter22", "dbpw99", "rabbitpw1"):
            assert leaked not in text, (path.name, leaked)
    data = json.loads((tmp_path / "run" / "s1" / "results.json").read_text())
    assert data["tests"][0]["details"].startswith("POST with ***")
    assert result.tests[0].details.startswith(f"POST with {SECRET}")  # the live result is not changed


def test_published_modes_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        store = ResultsStore(tmp_path / "results" / "rel" / "run")
        store.write_result(_result())
        store.save("s1/logs/hv1/nova.log", "x")
        log = store.log_file("hvrt.log")
    finally:
        os.umask(old)
    for path in (tmp_path / "results").rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o755 if path.is_dir() else 0o644), (path, oct(mode))
    assert log.is_file()


def test_other_modes_can_be_configured(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "run", file_mode=0o640, dir_mode=0o750)
    path = store.save("a/b.txt", "x")
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o750


@pytest.mark.parametrize("name", ["../x", "/etc/x", "a/../../x", "a\\b", "x\x00y", "", "."])
def test_paths_that_leave_the_run_folder_are_refused(tmp_path: Path, name: str) -> None:
    store = ResultsStore(tmp_path / "run")
    with pytest.raises(ValueError, match="refusing"):
        store.save(name, "x")
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_long_output_is_cut_and_kept_in_full_beside(tmp_path: Path) -> None:
    store = ResultsStore(tmp_path / "run", Redactor([SECRET]))
    big = ("line of output\n" * 20_000) + f"end {SECRET}\n"
    result = ScenarioResult("s1", tests=[TestCase("a.T.test[id-1]", TestStatus.FAILED, details=big)])
    published = store.write_result(result)
    case = published.tests[0]
    assert len(case.details) < DETAILS_CAP + 200 and "characters cut" in case.details
    full = (tmp_path / "run" / "s1" / case.details_file).read_text()
    assert full == big.replace(SECRET, "***")
    again = ScenarioResult.from_dict(json.loads((tmp_path / "run" / "s1" / "results.json").read_text()))
    assert again.tests[0].details_file == case.details_file
