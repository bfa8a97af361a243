"""The table printed at the end of ``hvrt run``."""
from __future__ import annotations

from pathlib import Path

from hvrt.results import RunSummary, ScenarioResult, ScenarioStatus
from hvrt.results.console import console_table, duration
from hvrt.subunit import parse_subunit

DATA = Path(__file__).resolve().parents[2] / "data"


def _scenario(name: str, stream: Path, status: ScenarioStatus) -> ScenarioResult:
    return ScenarioResult(name, status, tests=parse_subunit(stream), started=0.0, ended=600.0)


def test_console_table() -> None:
    summary = RunSummary("run-1", "newton", scenarios=[
        _scenario("2012r2-vhdx", DATA / "subunit-stestr" / "run-retried.subunit", ScenarioStatus.FAILED),
        _scenario("2016-vhd", DATA / "subunit" / "tempest-identity.subunit", ScenarioStatus.PASSED),
    ])
    lines = console_table(summary).splitlines()
    assert lines[0].split() == ["scenario", "status", "passed", "failed", "error", "skipped", "flaky",
                                "total", "duration", "version"]
    rows = {line.split()[0]: line.split() for line in lines[2:]}
    assert rows["2016-vhd"][1:8] == ["passed", "134", "0", "0", "2", "0", "136"]
    assert rows["2016-vhd"][8:10] == ["10m", "00s"]
    assert rows["total"][0:3] == ["total", "2", "scenarios"]


def test_duration_formats() -> None:
    assert duration(12.34) == "12.3s"
    assert duration(245) == "4m 05s"
    assert duration(7380) == "2h 03m"
