"""Which Tempest tests a scenario runs, from the ids Tempest lists and the suite's lists.

A test is selected when its id starts with an include or an isolated prefix and with
no exclude prefix (exclude always wins). Selected tests matching a skip prefix are
not run and are reported skipped with the map's reason; tests matching an xfail
prefix run, and their failure is expected (reported ``xfail`` with the reason).
Selected tests matching an isolated prefix run after the others, one at a time.
Where several prefixes of a map match, the longest one gives the reason.
Prefixes match as plain string prefixes, as the legacy tool's ``^``-anchored
regexes did: ``...test_resize_server_confirm`` also selects
``...test_resize_server_confirm_from_stopped``. A ``--rerun-failed`` run narrows
the selection to the tests that failed (:func:`restrict`); ``hvrt list-tests``
shows a selection without running it.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from hvrt.results.testid import fixture_target
from hvrt_tempest.lists import SuiteLists

_TEST_ID = re.compile(r"^[A-Za-z_][\w.]*\.[A-Za-z_]\w*(\[[^\]\s]*\])?$")


def parse_listing(text: str) -> list[str]:
    """Test ids from ``tempest run --list-tests`` output (log lines are dropped), sorted."""
    ids = {line.strip() for line in text.splitlines() if _TEST_ID.match(line.strip())}
    return sorted(ids)


def _matches(test_id: str, prefixes: Iterable[str]) -> bool:
    return any(test_id.startswith(p) for p in prefixes)


def longest_match(test_id: str, mapping: Mapping[str, str]) -> str | None:
    """The value of the longest key of ``mapping`` that prefixes ``test_id``."""
    best: str | None = None
    for prefix in mapping:
        if test_id.startswith(prefix) and (best is None or len(prefix) > len(best)):
            best = prefix
    return None if best is None else mapping[best]


@dataclass
class Selection:
    parallel: list[str] = field(default_factory=list)
    """Run first, with the suite's concurrency."""
    isolated: list[str] = field(default_factory=list)
    """Run after the others, one at a time."""
    skipped: dict[str, str] = field(default_factory=dict)
    """Not run: test id -> reason."""
    xfail: dict[str, str] = field(default_factory=dict)
    """Run, failure expected: test id -> reason."""

    @property
    def to_run(self) -> list[str]:
        return [*self.parallel, *self.isolated]

    def summary(self) -> dict[str, int]:
        return {
            "parallel": len(self.parallel), "isolated": len(self.isolated),
            "skipped": len(self.skipped), "xfail": len(self.xfail),
        }


def select(all_ids: Iterable[str], lists: SuiteLists) -> Selection:
    """Apply ``lists`` to the ids Tempest knows; every result list is sorted."""
    chosen = Selection()
    for test_id in sorted(set(all_ids)):
        isolated = _matches(test_id, lists.isolated)
        if not (isolated or _matches(test_id, lists.include)):
            continue
        if _matches(test_id, lists.exclude):
            continue
        skip_reason = longest_match(test_id, lists.skip)
        if skip_reason is not None:
            chosen.skipped[test_id] = skip_reason
            continue
        xfail_reason = longest_match(test_id, lists.xfail)
        if xfail_reason is not None:
            chosen.xfail[test_id] = xfail_reason
        (chosen.isolated if isolated else chosen.parallel).append(test_id)
    return chosen


def ids_to_rerun(failed: Iterable[str], candidates: Iterable[str]) -> list[str]:
    """The test ids to run again for the failed entries.

    A real test id re-runs itself; a fixture entry (``setUpClass (X)``) re-runs every
    candidate test of class or module ``X``.
    """
    pool = list(candidates)
    wanted: dict[str, None] = {}
    for test_id in failed:
        target = fixture_target(test_id)
        if target is None:
            if test_id in pool:
                wanted[test_id] = None
            continue
        for candidate in pool:
            if candidate.startswith(target + "."):
                wanted[candidate] = None
    return sorted(wanted)


def restrict(selection: Selection, failed: Iterable[str]) -> Selection:
    """The part of ``selection`` that runs ``failed`` again (a ``--rerun-failed`` run).

    Each failed id re-runs itself if the suite still selects it; a fixture entry
    re-runs the selected tests of its class or module. Nothing is reported skipped
    (those tests did not fail); xfail reasons of the kept tests stay.
    """
    keep = set(ids_to_rerun(failed, selection.to_run))
    return Selection(
        parallel=[t for t in selection.parallel if t in keep],
        isolated=[t for t in selection.isolated if t in keep],
        xfail={k: v for k, v in selection.xfail.items() if k in keep},
    )
