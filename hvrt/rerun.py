"""What a new run takes over from an earlier one: its failed tests, its deployed cloud.

When: ``hvrt run --rerun-failed RUN_DIR`` (a new run of only the failed and errored
tests of RUN_DIR, per scenario), ``--reuse-deployment`` and ``--stages`` / ``--from``
without ``deploy`` (test the cloud an earlier run left deployed, skipping configure
and deploy). Why here: the runner plans, this module reads the earlier results tree
(through :mod:`hvrt.results.reader`, never following a symlink) and says what it
holds. A scenario's result records its deployment (``facts["deployment"]``, see
:meth:`hvrt.context.Deployment.to_record`) without the password, which comes from
the config of the new run.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hvrt.config.model import Config, Scenario
from hvrt.errors import UsageError
from hvrt.results import ScenarioResult, TestStatus
from hvrt.results.layout import RESULTS_JSON, scenario_dirname
from hvrt.results.reader import load_run, load_scenario
from hvrt.stages import STAGES

RERUN_STATUSES = frozenset({TestStatus.FAILED, TestStatus.ERROR})
"""Test outcomes ``--rerun-failed`` runs again."""
REUSE_SKIPS = ("configure", "deploy")
"""Stages a run that reuses a deployment does not run."""


def failed_tests(run_dir: Path) -> dict[str, tuple[str, ...]]:
    """scenario -> its failed and errored test ids, for every scenario of ``run_dir`` that has any."""
    found: dict[str, tuple[str, ...]] = {}
    for result in load_run(run_dir).scenarios:
        ids = tuple(dict.fromkeys(t.id for t in result.tests if t.status in RERUN_STATUSES))
        if ids:
            found[result.name] = ids
    return found


@dataclass(frozen=True)
class RecordedDeployment:
    """A deployment an earlier run recorded for one scenario, and where."""

    run_dir: Path
    result: ScenarioResult

    @property
    def record(self) -> dict:  # type: ignore[type-arg]
        return dict(self.result.facts.get("deployment") or {})


def _recorded_in(run_dir: Path, scenario: str) -> RecordedDeployment | None:
    folder = run_dir / scenario_dirname(scenario)
    if not (folder / RESULTS_JSON).is_file() or folder.is_symlink():
        return None
    try:
        result = load_scenario(folder)
    except UsageError:
        return None
    if not result.facts.get("deployment") or not result.controller:
        return None
    return RecordedDeployment(run_dir, result)


def find_deployment(scenario: str, *, source: Path | None, results: Path, release: str,
                    exclude: Path | None = None) -> RecordedDeployment:
    """The deployment of ``scenario`` recorded in ``source``, else in the newest run of
    ``release`` under ``results`` that recorded one; a :class:`UsageError` when none."""
    if source is not None:
        found = _recorded_in(Path(source), scenario)
        if found is None:
            raise UsageError(f"{source} recorded no deployment of scenario {scenario!r} "
                             "(its deploy stage did not succeed there)")
        return found
    candidates = []
    root = Path(results) / release
    for folder in root.glob("*") if root.is_dir() else ():
        if folder.is_symlink() or not folder.is_dir() or (exclude is not None and folder.resolve() == exclude.resolve()):
            continue
        recorded = _recorded_in(folder, scenario)
        if recorded is not None:
            candidates.append(recorded)
    if not candidates:
        raise UsageError(f"no run under {root} recorded a deployment of scenario {scenario!r}: run its deploy "
                         "stage first, or name the run with --reuse-deployment RUN_DIR")
    return max(candidates, key=lambda r: (r.result.ended or 0.0, r.run_dir.name))


def pinned(config: Config, scenario: Scenario, recorded: RecordedDeployment) -> Scenario:
    """``scenario`` leased on the hosts of the recorded deployment (the cloud lives there)."""
    result = recorded.result
    missing = [h for h in (*result.nodes, result.controller) if h not in config.hosts]
    if missing:
        raise UsageError(f"the deployment of {scenario.name!r} in {recorded.run_dir} used host(s) "
                         f"{', '.join(map(str, missing))}, which the config no longer has")
    return dataclasses.replace(scenario, candidate_nodes=tuple(result.nodes),
                               candidate_controllers=(str(result.controller),))


def without_reused(stages: Sequence[str] | None) -> tuple[str, ...]:
    """The stages of a run that tests an existing deployment."""
    return tuple(s for s in (stages or STAGES) if s not in REUSE_SKIPS)


def names(scenarios: Iterable[Scenario]) -> list[str]:
    return [s.name for s in scenarios]
