"""The results tree of a run: its model, layout, the one writer and the one reader.

* :mod:`hvrt.results.model` — what a scenario and a run produced (plain data);
* :mod:`hvrt.results.layout` — file and folder names, containment rules;
* :mod:`hvrt.results.store` — :class:`ResultsStore`, the only writer (redacted,
  atomic, published modes);
* :mod:`hvrt.results.journal` — the fsync'd event log behind ``--resume``;
* :mod:`hvrt.results.reader` — loading a run back for reports and resume.
"""
from __future__ import annotations

from hvrt.results.model import RunSummary, ScenarioResult, ScenarioStatus, StageRecord, TestCase, TestStatus

__all__ = ["RunSummary", "ScenarioResult", "ScenarioStatus", "StageRecord", "TestCase", "TestStatus"]
