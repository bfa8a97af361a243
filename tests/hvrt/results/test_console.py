"""The table printed at the end of ``hvrt run``."""
from __future__ import annotations

from pathlib import Path

from hvrt_html.console import console_table
from hvrt_html.jsonreport import load_run


def test_console_table(two_scenario_run: Path) -> None:
    lines = console_table(load_run(two_scenario_run)).splitlines()
    assert lines[0].split() == ["scenario", "status", "passed", "failed", "error", "skipped", "flaky",
                                "total", "duration", "version"]
    rows = {line.split()[0]: line.split() for line in lines[2:]}
    assert rows["2012r2-vhdx"][1:8] == ["failed", "6", "3", "0", "1", "1", "13"]
    assert rows["2016-vhd"][1:8] == ["passed", "134", "0", "0", "2", "0", "136"]
    assert rows["total"] == ["total", "2", "scenarios", "140", "3", "0", "3", "1", "149"]
