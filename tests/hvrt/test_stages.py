"""The stage graph as data: steps, concurrent groups, selection."""
from __future__ import annotations

import pytest

from hvrt.errors import UsageError
from hvrt.stages import (
    ALWAYS_RUN,
    CONCURRENT,
    DEFAULT_TIMEOUTS,
    STAGES,
    STEPS,
    needs_recorded_deployment,
    select_stages,
    steps,
)


def test_configure_and_deploy_are_one_step_and_start_follows_them() -> None:
    assert ("configure", "deploy") in CONCURRENT
    assert steps(STAGES) == (("plan",), ("provision",), ("configure", "deploy"), ("start",), ("test",),
                             ("collect",), ("report",), ("teardown",))
    assert STEPS == steps(STAGES) and [s for step in STEPS for s in step] == list(STAGES)  # order unchanged
    assert set(DEFAULT_TIMEOUTS) == set(STAGES)


def test_without_groups_every_stage_is_its_own_step() -> None:
    assert steps(STAGES, together=()) == tuple((s,) for s in STAGES)


@pytest.mark.parametrize("group", [("configure", "start"), ("deploy", "collect"), ("plan", "provision")])
def test_a_group_must_be_adjacent_and_never_always_run(group: tuple[str, str]) -> None:
    with pytest.raises(ValueError, match="adjacent"):
        steps(STAGES, together=(group,))
    assert not {s for g in CONCURRENT for s in g} & ALWAYS_RUN


def test_selection_follows_the_stage_order() -> None:
    assert select_stages(start="deploy") == tuple(STAGES[STAGES.index("deploy"):])
    assert select_stages(["deploy,configure"]) == ("configure", "deploy")
    with pytest.raises(UsageError, match="did you mean .deploy."):
        select_stages(["deplyo"])
    assert needs_recorded_deployment(("start", "test")) and not needs_recorded_deployment(("deploy", "start"))
