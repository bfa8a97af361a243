"""Hook implementations of the ``html`` plugin: reports of each scenario and of the run.

Per scenario (``report`` stage): ``results.html``, ``results.json``, ``junit.xml`` in
the scenario's folder. Per run (end of ``hvrt run``, also an interrupted one, and
``hvrt report render``): ``index.html``, ``summary.json`` and a merged ``junit.xml``;
with ``--baseline`` also ``comparison.html`` and ``comparison.json`` (linked from the index).

At the end of the run the scenario reports are written once more from the final
results: in the ``report`` stage a scenario has not ended yet (no end time, teardown
still to come), and the engine's own ``results.json`` is not redacted.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import hvrt
from hvrt_html.compare import compare_summaries, write_comparison
from hvrt_html.jsonreport import RESULTS_JSON, load_run, scenario_dir
from hvrt_html.writers import write_run_reports, write_scenario_reports

if TYPE_CHECKING:
    from hvrt.context import RunContext, ScenarioContext
    from hvrt.results import RunSummary, ScenarioResult


@hvrt.hookimpl
def hvrt_report_scenario(ctx: ScenarioContext, result: ScenarioResult) -> None:
    ctx.log.info("writing reports of %s into %s", result.name, ctx.dir)
    write_scenario_reports(ctx.dir, result, redactor=ctx.redactor, run_id=ctx.run.run_id)


@hvrt.hookimpl
def hvrt_report_run(run: RunContext, summary: RunSummary) -> None:
    run.log.info("writing run reports into %s", run.run_dir)
    for result in summary.scenarios:
        folder = scenario_dir(run.run_dir, result.name)
        if (folder / RESULTS_JSON).is_file():  # the scenario ran (now or before a resume)
            write_scenario_reports(folder, result, redactor=run.redactor, run_id=run.run_id)
    baseline = run.options.baseline
    if baseline is not None:
        report = compare_summaries(load_run(baseline), summary)
        report["baseline"]["dir"] = str(baseline.resolve())
        report["run"]["dir"] = str(run.run_dir.resolve())
        write_comparison(report, run.run_dir)
    write_run_reports(run.run_dir, summary, redactor=run.redactor)
