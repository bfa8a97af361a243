"""Join several runs (say, one per runner host) into one run folder with one index.

Each scenario folder is copied (or hard-linked, ``link=True``: files are never
changed in place because every report is replaced by rename) into the output
folder; a scenario name already taken by an earlier run gets ``@<run-id>`` appended.
Only regular files are taken: a symlink in a source tree is skipped, never
followed. The output's ``results.json`` files and ``summary.json`` are written by
its :class:`~hvrt.results.store.ResultsStore`, and ``merged-from.json`` records
where each scenario came from; the caller then renders the reports
(:func:`hvrt.runner.render_reports`).
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from hvrt.errors import UsageError
from hvrt.fsutil import ensure_dir
from hvrt.results import RunSummary
from hvrt.results.layout import RESULTS_JSON, SUMMARY_JSON, scenario_dirname
from hvrt.results.reader import load_run
from hvrt.results.store import ResultsStore, dumps


def copy_tree(source: Path, target: Path, store: ResultsStore, *, link: bool = False) -> int:
    """Copy the regular files below ``source`` into ``target`` (symlinks skipped,
    published modes); the number of symlinks skipped."""
    skipped = 0
    for top, dirs, names in os.walk(source):  # os.walk does not descend into symlinked folders
        rel_top = Path(top).relative_to(source)
        skipped += sum(1 for d in dirs if (Path(top) / d).is_symlink())
        dirs[:] = [d for d in dirs if not (Path(top) / d).is_symlink()]
        ensure_dir(target / rel_top, store.dir_mode)
        for name in names:
            src = Path(top) / name
            if src.is_symlink() or not src.is_file() or name == RESULTS_JSON and rel_top == Path("."):
                skipped += src.is_symlink()
                continue
            dst = target / rel_top / name
            if link:
                try:
                    os.link(src, dst, follow_symlinks=False)
                    continue
                except OSError:
                    pass
            shutil.copyfile(src, dst, follow_symlinks=False)
            os.chmod(dst, store.file_mode)
    return skipped


def merge_runs(run_dirs: Sequence[Path | str], out: Path | str, *, link: bool = False,
               run_id: str | None = None) -> RunSummary:
    """Merge ``run_dirs`` into ``out`` (created; must not hold a run already)."""
    out = Path(out)
    if (out / SUMMARY_JSON).exists():
        raise UsageError(f"{out} already holds a run; merge into a new folder")
    runs = [(Path(d), load_run(d)) for d in run_dirs]
    if not runs:
        raise UsageError("merge needs at least one run folder")
    store = ResultsStore(out)
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
            if source.is_dir() and not source.is_symlink():
                copy_tree(source, target, store, link=link)
            result.name = name
            merged.scenarios.append(store.write_result(result))
            origins.append({"scenario": name, "run_id": summary.run_id, "release": summary.release,
                            "from": str(source.resolve())})
    starts = [s.started for _, s in runs if s.started is not None]
    ends = [s.ended for _, s in runs if s.ended is not None]
    merged.started = min(starts) if starts else None
    merged.ended = max(ends) if ends else None
    merged.interrupted = any(s.interrupted for _, s in runs)
    store.publish("merged-from.json", dumps(origins, indent=1))
    return store.write_summary(merged)
