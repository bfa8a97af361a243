"""The SVG timeline: stages that run side by side share their row in lanes."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from hvrt_html.timeline import BAR, COLOURS, scenario_timeline

from hvrt.results import ScenarioResult, StageRecord
from hvrt.stages import CONCURRENT, STAGES


def bars(svg: str) -> dict[str, dict[str, float]]:
    """Each stage bar's geometry (the SVG is inline HTML: no namespace)."""
    root = ET.fromstring(re.sub(r"<title>.*?</title>", "", str(svg)))
    return {r.get("data-stage"): {k: float(r.get(k)) for k in ("x", "y", "width", "height")}
            for r in root.iter("rect") if r.get("class") == "stage"}


def test_every_stage_has_a_colour() -> None:
    assert set(STAGES) <= set(COLOURS)


def test_configure_and_deploy_overlap_in_two_lanes_of_one_row() -> None:
    assert ("configure", "deploy") in CONCURRENT
    result = ScenarioResult(name="s", stages=[
        StageRecord("provision", "ok", 0.0, 1.0),
        StageRecord("configure", "ok", 1.0, 5.0),
        StageRecord("deploy", "ok", 1.0, 9.0),
        StageRecord("test", "ok", 9.0, 12.0),
    ])
    got = bars(scenario_timeline(result))
    assert got["configure"]["height"] == got["deploy"]["height"] == BAR / 2
    assert got["deploy"]["y"] == got["configure"]["y"] + BAR / 2  # one above the other, not on top
    assert got["configure"]["x"] == got["deploy"]["x"]  # they start together
    assert got["provision"]["height"] == got["test"]["height"] == BAR
    assert got["provision"]["y"] == got["configure"]["y"]
