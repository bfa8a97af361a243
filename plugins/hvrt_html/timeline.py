"""Where the time of a run went, drawn as static SVG inside the report pages.

* :func:`run_timeline` — the run index's Gantt chart: one row per scenario, its
  stages as coloured bars on the run's clock, and the time it waited for hosts
  (from the run's start to its own) as a hatched bar;
* :func:`scenario_timeline` — a scenario page's stages on the scenario's clock;
* :func:`slowest_tests` — the slowest tests of a scenario as horizontal bars.

Drawn from the stage records of the results (each has its start and end), so a
page rendered again from ``results.json`` shows the same chart. No script and no
external asset: the SVG is part of the page and reads offline. Every label passes
through :func:`markupsafe.escape`.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from markupsafe import Markup, escape

from hvrt.results import RunSummary, ScenarioResult, StageRecord, TestCase
from hvrt.results.console import duration
from hvrt.stages import CONCURRENT, STAGES

WIDTH = 1000
LABEL = 210
ROW = 22
BAR = 14
AXIS = 24
PLOT = WIDTH - LABEL - 40
"""Width of the plotting area (a margin on the right keeps the last tick's label whole)."""
COLOURS = {
    "plan": "#9e9e9e", "provision": "#8e6fc1", "configure": "#2f7ed8", "deploy": "#e08a1e",
    "start": "#17a2b8", "test": "#2e9e5b", "collect": "#7f8c8d", "report": "#b5a642", "teardown": "#c0504d",
}
"""One colour per stage, the same on every page."""


def _svg(height: int, body: Iterable[str], label: str) -> Markup:
    parts = [f'<svg class="timeline" role="img" aria-label="{escape(label)}" width="{WIDTH}" height="{height}" '
             f'viewBox="0 0 {WIDTH} {height}">',
             '<defs><pattern id="wait" width="6" height="6" patternUnits="userSpaceOnUse" '
             'patternTransform="rotate(45)"><rect width="3" height="6" fill="#c9c9c9"/></pattern></defs>',
             *body, "</svg>"]
    return Markup("".join(parts))


def _axis(y: int, span: float) -> list[str]:
    """Ticks along the bottom: about six, on round seconds/minutes."""
    if span <= 0:
        return []
    step = next((s for s in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)
                 if span / s <= 8), 14400)
    out = [f'<line x1="{LABEL}" y1="{y}" x2="{LABEL + PLOT}" y2="{y}" stroke="#999"/>']
    t = 0.0
    while t <= span + 1e-9:
        x = LABEL + PLOT * t / span
        out.append(f'<line x1="{x:.1f}" y1="{y}" x2="{x:.1f}" y2="{y + 4}" stroke="#999"/>'
                   f'<text x="{x:.1f}" y="{y + 16}" font-size="10" text-anchor="middle">{escape(duration(t))}</text>')
        t += step
    return out


def _lane(stage: str) -> tuple[float, float]:
    """(offset, height) of a stage's bar in its row: stages that run side by side
    (:data:`hvrt.stages.CONCURRENT`) share the row in lanes, one above the other."""
    for group in CONCURRENT:
        if stage in group:
            height = BAR / len(group)
            return group.index(stage) * height, height
    return 0.0, float(BAR)


def _stage_bars(stages: Sequence[StageRecord], origin: float, scale: float, y: int) -> list[str]:
    out = []
    for rec in stages:
        if rec.started is None or rec.ended is None or rec.status == "skipped":
            continue
        x = LABEL + (rec.started - origin) * scale
        w = max(1.0, (rec.ended - rec.started) * scale)
        offset, height = _lane(rec.stage)
        colour = COLOURS.get(rec.stage, "#555")
        edge = ' stroke="#b00" stroke-width="2"' if rec.status == "failed" else ""
        out.append(f'<rect class="stage" data-stage="{escape(rec.stage)}" x="{x:.1f}" y="{y + offset:g}" '
                   f'width="{w:.1f}" height="{height:g}" fill="{colour}"{edge}><title>{escape(rec.stage)} '
                   f'{escape(rec.status)} {escape(duration(rec.ended - rec.started))}</title></rect>')
    return out


def _legend(y: int) -> list[str]:
    out, x = [], LABEL
    for stage in STAGES:
        out.append(f'<rect x="{x}" y="{y}" width="10" height="10" fill="{COLOURS[stage]}"/>'
                   f'<text x="{x + 14}" y="{y + 9}" font-size="10">{stage}</text>')
        x += 14 + 8 * len(stage) + 12
    out.append(f'<rect x="{x}" y="{y}" width="10" height="10" fill="url(#wait)"/>'
               f'<text x="{x + 14}" y="{y + 9}" font-size="10">waiting for hosts</text>')
    return out


def _label(text: str, y: int) -> str:
    shown = text if len(text) <= 30 else text[:29] + "…"
    return (f'<text x="4" y="{y + BAR - 3}" font-size="11"><title>{escape(text)}</title>'
            f"{escape(shown)}</text>")


def _clock(results: Iterable[ScenarioResult], start: float | None) -> tuple[float, float] | None:
    times = [t for r in results for s in r.stages for t in (s.started, s.ended) if t is not None]
    times += [t for r in results for t in (r.started, r.ended) if t is not None]
    if start is not None:
        times.append(start)
    if not times:
        return None
    return min(times), max(times)


def run_timeline(summary: RunSummary) -> Markup:
    """The Gantt chart of a run (empty when no stage has a time)."""
    clock = _clock(summary.scenarios, summary.started)
    if clock is None or not summary.scenarios:
        return Markup("")
    origin, end = clock
    span = max(end - origin, 1e-3)
    scale = PLOT / span
    body: list[str] = []
    y = 4
    for sc in summary.scenarios:
        body.append(f'<g class="row" data-scenario="{escape(sc.name)}">{_label(sc.name, y)}')
        if sc.started is not None and sc.started - origin > 0.5:
            w = (sc.started - origin) * scale
            body.append(f'<rect class="wait" x="{LABEL}" y="{y}" width="{w:.1f}" height="{BAR}" fill="url(#wait)">'
                        f"<title>waited {escape(duration(sc.started - origin))} for its hosts</title></rect>")
        body += _stage_bars(sc.stages, origin, scale, y)
        body.append("</g>")
        y += ROW
    body += _axis(y + 2, span)
    body += _legend(y + AXIS + 4)
    return _svg(y + AXIS + 20, body, f"timeline of {len(summary.scenarios)} scenarios")


def scenario_timeline(result: ScenarioResult) -> Markup:
    """One row: the scenario's stages on its own clock."""
    clock = _clock([result], None)
    if clock is None:
        return Markup("")
    origin, end = clock
    span = max(end - origin, 1e-3)
    scale = PLOT / span
    body = [f'<g class="row" data-scenario="{escape(result.name)}">{_label("stages", 4)}',
            *_stage_bars(result.stages, origin, scale, 4), "</g>", *_axis(4 + ROW, span)]
    return _svg(4 + ROW + AXIS, body, f"stages of {result.name}")


def slowest_tests(tests: Sequence[TestCase], count: int = 20) -> Markup:
    """The ``count`` slowest tests as bars (their ids shortened, full id on hover)."""
    slow = sorted((t for t in tests if t.duration > 0), key=lambda t: t.duration, reverse=True)[:count]
    if not slow:
        return Markup("")
    longest = slow[0].duration
    scale = (PLOT - 50) / longest
    body, y = [], 4
    for case in slow:
        short = case.name if len(case.name) <= 32 else case.name[:31] + "…"
        body.append(f'<g class="test"><text x="4" y="{y + BAR - 3}" font-size="11"><title>{escape(case.id)}</title>'
                    f'{escape(short)}</text><rect x="{LABEL}" y="{y}" width="{max(1.0, case.duration * scale):.1f}" '
                    f'height="{BAR}" fill="{COLOURS["test"]}"><title>{escape(case.id)}</title></rect>'
                    f'<text x="{LABEL + case.duration * scale + 4:.1f}" y="{y + BAR - 3}" font-size="10">'
                    f"{escape(duration(case.duration))}</text></g>")
        y += ROW
    return _svg(y + 4, body, f"the {len(slow)} slowest tests")
