"""Calling a stage: with a time limit, a stop signal, and side by side with others.

When: the engine runs every stage through :func:`call_with_timeout`, and the stages
of a concurrent step (:data:`hvrt.stages.CONCURRENT`, configure while deploy) through
:func:`run_together`. Why a module of its own: the rules of a step — each member
keeps its own timeout and journal records, the first member that fails stops the
others, the scenario waits for all of them — are the same for any group of stages.

A stage runs in a worker thread so that a hook that hangs cannot hold the scenario
past its timeout; a stage that was told to stop gets :data:`CANCEL_GRACE` seconds to
return (its transports are closed, so a blocked remote call fails at once) before
the engine abandons the thread.
"""
from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from hvrt.context import ScenarioContext, StopSignal

CANCEL_GRACE = float(os.environ.get("HVRT_CANCEL_GRACE", "30"))
"""Seconds a cancelled stage may take to return before it is abandoned."""


class TimedOut:
    """Marker: the stage ran past its time limit."""


class Abandoned:
    """Marker: the stage was told to stop and did not return within the grace time."""


def call_with_timeout(fn: Callable[[], Any], timeout: float, stop: StopSignal | None = None,
                      grace: float | None = None) -> BaseException | TimedOut | Abandoned | None:
    """Run ``fn`` in a worker thread: the error it raised, a marker, or None.

    Returns :class:`TimedOut` after ``timeout`` seconds; once ``stop`` is set, at
    most ``grace`` (:data:`CANCEL_GRACE`) seconds later :class:`Abandoned`."""
    outcome: list[BaseException | None] = []
    done = threading.Event()

    def target() -> None:
        try:
            fn()
            outcome.append(None)
        except BaseException as exc:  # reported, never swallowed
            outcome.append(exc)
        finally:
            done.set()

    worker = threading.Thread(target=target, daemon=True, name=threading.current_thread().name + "-stage")
    worker.start()
    deadline = time.monotonic() + timeout
    if stop is None:
        done.wait(timeout)
    else:
        grace_ends: float | None = None
        while not done.wait(min(0.05, max(0.0, deadline - time.monotonic()))):
            now = time.monotonic()
            if stop.is_set() and grace_ends is None:
                grace_ends = now + (CANCEL_GRACE if grace is None else grace)
            if grace_ends is not None and now >= grace_ends and now < deadline:
                return Abandoned()
            if now >= deadline:
                break
    if not done.is_set():
        return TimedOut()
    return outcome[0] if outcome else None


RunOne = Callable[[ScenarioContext, str], "BaseException | None"]
"""``run_one(view, stage)``: run and record one stage; its error or None."""


def run_together(ctx: ScenarioContext, stages: Sequence[str], deadline_of: Callable[[str], float],
                 run_one: RunOne, on_end: Callable[[str, list[str]], None] | None = None,
                 ) -> tuple[dict[str, BaseException | None], str | None]:
    """Run ``stages`` side by side, each in its own view of ``ctx``
    (:meth:`ScenarioContext.for_stage`); return every member's error (or None) and
    the member that failed first (None when none did).

    The first failure stops the members still running (their :attr:`stop` is set
    with the reason and the scenario's transports are closed, which fails their
    blocked remote calls). ``on_end(stage, still_running)`` follows each member's end.
    Returns once every member returned or was abandoned; a deployment a member set
    is copied to ``ctx``."""
    views = {s: ctx.for_stage(s, deadline_of(s)) for s in stages}
    errors: dict[str, BaseException | None] = {}
    first: list[str] = []
    lock = threading.Lock()

    def member(stage: str) -> None:
        error: BaseException | None = None
        try:
            error = run_one(views[stage], stage)
        except BaseException as exc:  # a member thread must never die silently
            error = exc
        with lock:
            errors[stage] = error
            running = [s for s in stages if s not in errors]
            stopping = error is not None and not first
            if stopping:
                first.append(stage)
        if stopping and running:
            for other in running:
                views[other].stop.stop(f"{stage} failed")  # type: ignore[union-attr]
            ctx.close_transports()
        if on_end is not None:
            on_end(stage, running)

    name = threading.current_thread().name
    threads = [threading.Thread(target=member, args=(s,), daemon=True, name=f"{name}-{s}") for s in stages]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for view in views.values():
        if view.deployment is not None and view.deployment is not ctx.deployment:
            ctx.deployment = view.deployment
    return errors, (first[0] if first else None)
