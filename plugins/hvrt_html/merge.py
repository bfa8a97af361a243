"""Join several runs (say, one per runner host) into one run folder with one index.

Each scenario folder is copied (or hard-linked, ``link=True``: files are never
changed in place because every report is replaced by rename) into the output
folder; a scenario name already taken by an earlier run gets ``@<run-id>`` appended.
Every report is then rebuilt from the copied ``results.json`` files, and
``merged-from.json`` records where each scenario came from.
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from hvrt.engine import scenario_dirname
from hvrt.errors import UsageError
from hvrt.fsutil import atomic_write
from hvrt.results import RunSummary
from hvrt_html.jsonreport import dumps, load_run
from hvrt_html.writers import write_run_reports, write_scenario_reports


def _link_or_copy(src: str, dst: str) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def merge_runs(run_dirs: Sequence[Path | str], out: Path | str, *, link: bool = False,
               run_id: str | None = None) -> RunSummary:
    """Merge ``run_dirs`` into ``out`` (created; must not hold a run already)."""
    out = Path(out)
    if (out / "summary.json").exists():
        raise UsageError(f"{out} already holds a run; merge into a new folder")
    runs = [(Path(d), load_run(d)) for d in run_dirs]
    if not runs:
        raise UsageError("merge needs at least one run folder")
    out.mkdir(parents=True, exist_ok=True)
    releases = sorted({s.release for _, s in runs})
    merged = RunSummary(run_id=run_id or out.name, release="+".join(releases))
    origins: list[dict[str, str]] = []
    taken: set[str] = set()
    for src_dir, summary in runs:
        for result in summary.scenarios:
            source = src_dir / scenario_dirname(result.name)
            name = result.name
            if scenario_dirname(name) in taken:
                name = f"{result.name}@{summary.run_id}"
            target = out / scenario_dirname(name)
            taken.add(target.name)
            if source.is_dir():
                shutil.copytree(source, target, copy_function=_link_or_copy if link else shutil.copy2,
                                dirs_exist_ok=True)
            result.name = name
            merged.scenarios.append(result)
            origins.append({"scenario": name, "run_id": summary.run_id, "release": summary.release,
                            "from": str(source.resolve())})
    starts = [s.started for _, s in runs if s.started is not None]
    ends = [s.ended for _, s in runs if s.ended is not None]
    merged.started = min(starts) if starts else None
    merged.ended = max(ends) if ends else None
    merged.interrupted = any(s.interrupted for _, s in runs)
    atomic_write(out / "merged-from.json", dumps(origins))
    for result in merged.scenarios:
        write_scenario_reports(out / scenario_dirname(result.name), result, run_id=merged.run_id)
    write_run_reports(out, merged)
    return merged
