"""The one writer of a results tree.

A :class:`ResultsStore` owns one run folder. It alone writes ``run.json`` (when the
run starts), each scenario's ``results.json`` (once, when the scenario ended),
``summary.json`` (once, when the run ended) and the journal; every other file —
collected logs, reports — goes through :meth:`ResultsStore.save` or
:meth:`ResultsStore.publish`. Whatever is written passes the run's redactor first,
lands atomically, is confined to the run folder and gets the published modes
(files 0644, folders 0755 unless configured otherwise), so the tree can be served
as it is. Reporters receive :meth:`published` copies of results: free text masked,
long failure output cut to :data:`DETAILS_CAP` with the full text kept in a file
under ``<scenario>/details/``.
"""
from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from hvrt.fsutil import atomic_write, ensure_dir
from hvrt.redact import Redactor
from hvrt.results.journal import Journal
from hvrt.results.layout import (
    DETAILS_DIR,
    DIR_MODE,
    FILE_MODE,
    JOURNAL,
    RESULTS_JSON,
    RUN_JSON,
    SUMMARY_JSON,
    confined,
    safe_name,
    scenario_dirname,
)
from hvrt.results.model import RunSummary, ScenarioResult, TestCase

DETAILS_CAP = 64 * 1024
"""Characters of one test's output kept inline in results.json, HTML and JUnit."""


class ResultsStore:
    """Writes one run folder; see the module docstring for the rules."""

    def __init__(self, run_dir: Path, redactor: Redactor | None = None, *,
                 file_mode: int = FILE_MODE, dir_mode: int = DIR_MODE) -> None:
        self.run_dir = Path(run_dir)
        self.redactor = redactor or Redactor()
        self.file_mode = file_mode
        self.dir_mode = dir_mode
        ensure_dir(self.run_dir, dir_mode)

    # ------------------------------------------------------------------ paths

    def scenario_dir(self, scenario: str) -> Path:
        """The folder of a scenario, created with the published mode."""
        return ensure_dir(self.run_dir / scenario_dirname(scenario), self.dir_mode)

    def folder(self, relpath: str) -> Path:
        """A folder inside the run folder (created; refused if it would leave it)."""
        return ensure_dir(self._inside(relpath), self.dir_mode)

    def _inside(self, relpath: str | Path) -> Path:
        """``relpath`` (relative to the run folder, or a path below it) confined to it."""
        rel = Path(relpath)
        try:
            if rel.is_absolute():
                rel = rel.relative_to(self.run_dir.absolute())
            elif rel.parts[:len(self.run_dir.parts)] == self.run_dir.parts:
                rel = rel.relative_to(self.run_dir)
        except ValueError:
            raise ValueError(f"refusing path {relpath}: outside {self.run_dir}") from None
        if rel == Path("."):
            return self.run_dir
        return confined(self.run_dir, rel.as_posix())

    # ------------------------------------------------------------------ redaction

    def clean(self, value: Any) -> Any:
        """A copy of plain data (dicts, lists, strings) with every secret masked."""
        return self.redactor.data(value)

    def published(self, result: ScenarioResult, folder: Path | None = None) -> ScenarioResult:
        """What reports show of ``result``: every text masked, long output cut
        (full text saved under ``<scenario>/details/``, or ``folder``'s)."""
        folder = folder if folder is not None else self.run_dir / scenario_dirname(result.name)
        tests = [self._published_test(folder, t) for t in result.tests]
        stages = [dataclasses.replace(s, error=self.redactor.text(s.error)) for s in result.stages]
        return dataclasses.replace(
            result, tests=tests, stages=stages, error=self.redactor.text(result.error),
            name=self.redactor.text(result.name), profile=self.clean(result.profile),
            facts=self.clean(result.facts), artifacts=list(result.artifacts),
        )

    def published_summary(self, summary: RunSummary) -> RunSummary:
        return dataclasses.replace(summary, scenarios=[self.published(s) for s in summary.scenarios])

    def _published_test(self, folder: Path, test: TestCase) -> TestCase:
        details = self.redactor.text(test.details) if test.details else ""
        extra: dict[str, Any] = {"id": self.redactor.text(test.id)}
        if test.reason:
            extra["reason"] = self.redactor.text(test.reason)
        if len(details) > DETAILS_CAP and not test.details_file:
            rel = f"{DETAILS_DIR}/{safe_name(test.id, 'test')}.txt"
            self._write(folder / rel, details)
            half = DETAILS_CAP // 2
            details = (details[:half] + f"\n\n[... {len(details) - DETAILS_CAP} characters cut; "
                       f"the full text is in {rel} ...]\n\n" + details[-half:])
            extra["details_file"] = rel
        return dataclasses.replace(test, details=details, **extra)

    # ------------------------------------------------------------------ the run's own files

    def journal(self) -> Journal:
        return Journal(self.run_dir / JOURNAL, clean=self.clean, mode=self.file_mode)

    def write_run_meta(self, meta: dict[str, Any]) -> Path:
        return self._write(self.run_dir / RUN_JSON, dumps(self.clean(meta), indent=2))

    def write_result(self, result: ScenarioResult, folder: Path | None = None) -> ScenarioResult:
        """Write ``<scenario>/results.json`` of an ended scenario (into ``folder``
        inside the tree when given); returns the published copy."""
        folder = self._inside(folder) if folder is not None else self.run_dir / scenario_dirname(result.name)
        clean = self.published(result, folder)
        self._write(folder / RESULTS_JSON, dumps(clean.to_dict()))
        return clean

    def write_summary(self, summary: RunSummary) -> RunSummary:
        """Write ``summary.json`` of an ended run; returns the published copy."""
        clean = self.published_summary(summary)
        self._write(self.run_dir / SUMMARY_JSON, dumps(clean.to_dict(), indent=1))
        return clean

    # ------------------------------------------------------------------ everything else

    def save(self, relpath: str | Path, data: str | bytes, *, redact: bool = True) -> Path:
        """Write a file at ``relpath`` inside the run folder (masked unless ``redact``
        is False, which only a caller that redacted the content itself may pass)."""
        path = self._inside(relpath)
        if path == self.run_dir or not str(relpath):
            raise ValueError(f"refusing path {str(relpath)!r}: not a file name")
        if redact:
            data = self.redactor.text(data) if isinstance(data, str) else self.redactor.bytes(data)
        return self._write(path, data)

    def log_file(self, relpath: str | Path) -> Path:
        """A log file that a logging handler appends to (created with the published mode)."""
        path = self._inside(relpath)
        ensure_dir(path.parent, self.dir_mode)
        path.touch(exist_ok=True)
        os.chmod(path, self.file_mode)
        return path

    publish = save
    """Reporters write their documents with ``publish`` (the same rules as ``save``)."""

    def _write(self, path: Path, data: str | bytes) -> Path:
        return atomic_write(path, data, mode=self.file_mode, dir_mode=self.dir_mode)


def dumps(data: Any, indent: int | None = None) -> str:
    """JSON text as the tree holds it (sorted keys, UTF-8; one line unless ``indent``)."""
    return json.dumps(data, indent=indent, sort_keys=True, ensure_ascii=False, default=str) + "\n"
