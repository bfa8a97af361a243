"""Hook implementations of the ``html`` plugin: reports of each scenario and of the run.

Per scenario (``report`` stage): ``results.html`` and ``junit.xml`` in the scenario's
folder. Per run (end of ``hvrt run``, also an interrupted one, and
``hvrt report render``): ``index.html`` and a merged ``junit.xml``; with
``--baseline`` (an option this plugin adds to ``hvrt run``) also ``comparison.html``
and ``comparison.json``, linked from the index. The plugin also contributes the
``hvrt report`` verb (:mod:`hvrt_html.cli`).

At the end of the run the scenario pages are rendered once more from the final
results: in the ``report`` stage a scenario has not ended yet (no end time,
teardown still to come).
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import hvrt
from hvrt.results.layout import RESULTS_JSON, scenario_dirname
from hvrt.results.reader import load_run
from hvrt_html import cli as report_cli
from hvrt_html.compare import compare_summaries, write_comparison
from hvrt_html.writers import write_run_reports, write_scenario_reports

if TYPE_CHECKING:
    from hvrt.cli.registry import CommandLine
    from hvrt.context import RunContext, ScenarioContext
    from hvrt.results import RunSummary, ScenarioResult


@hvrt.hookimpl
def hvrt_cli(cli: CommandLine) -> None:
    report_cli.register(cli)


@hvrt.hookimpl
def hvrt_report_scenario(ctx: ScenarioContext, result: ScenarioResult) -> None:
    ctx.log.info("writing reports of %s into %s", result.name, ctx.dir)
    write_scenario_reports(ctx.run.results, ctx.dir, result, run_id=ctx.run.run_id)


@hvrt.hookimpl
def hvrt_report_run(run: RunContext, summary: RunSummary) -> None:
    run.log.info("writing run reports into %s", run.run_dir)
    store = run.results
    for result in summary.scenarios:
        folder = store.run_dir / scenario_dirname(result.name)
        if (folder / RESULTS_JSON).is_file():  # the scenario ran (now or before a resume)
            write_scenario_reports(store, folder, result, run_id=run.run_id)
    baseline: Path | None = run.options.extra.get("baseline")
    if baseline is not None:
        report = compare_summaries(load_run(baseline), summary)
        report["baseline"]["dir"] = str(Path(baseline).resolve())
        report["run"]["dir"] = str(run.run_dir.resolve())
        write_comparison(store, report)
    write_run_reports(store, summary)
