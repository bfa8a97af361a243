"""Write the html plugin's documents of a scenario or of a run into the results tree.

The hook implementations and the ``report`` verbs all come here. What they get is
already published (masked, long output cut) by the run's
:class:`~hvrt.results.store.ResultsStore`, and every document goes back through the
store's :meth:`~hvrt.results.store.ResultsStore.publish` (masked once more, atomic,
published modes). ``results.json`` and ``summary.json`` are the store's own files:
this plugin only reads them.
"""
from __future__ import annotations

from pathlib import Path

from hvrt.results import RunSummary, ScenarioResult
from hvrt.results.layout import INDEX_HTML, JUNIT_XML, RESULTS_HTML
from hvrt.results.store import ResultsStore
from hvrt_html import html, junit


def write_scenario_reports(store: ResultsStore, folder: Path, result: ScenarioResult, *,
                           run_id: str | None = None) -> list[Path]:
    """``junit.xml`` then ``results.html`` (which links the other files) of one scenario."""
    return [
        store.publish(folder / JUNIT_XML, junit.junit_xml([result], name=result.name)),
        store.publish(folder / RESULTS_HTML, html.render_scenario(folder, result, run_id=run_id)),
    ]


def write_run_reports(store: ResultsStore, summary: RunSummary) -> list[Path]:
    """The merged ``junit.xml`` then ``index.html`` of a run."""
    return [
        store.publish(JUNIT_XML, junit.junit_xml(summary.scenarios, name=f"{summary.release}/{summary.run_id}")),
        store.publish(INDEX_HTML, html.render_index(store.run_dir, summary)),
    ]
