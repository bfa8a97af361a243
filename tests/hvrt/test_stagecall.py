"""Calling a stage: its time limit, a stop signal and its grace, members side by side."""
from __future__ import annotations

import threading

from hvrt.context import StopSignal
from hvrt.stagecall import Abandoned, TimedOut, call_with_timeout


def test_the_error_a_stage_raised_comes_back() -> None:
    def fails() -> None:
        raise ValueError("boom")

    error = call_with_timeout(fails, 5)
    assert isinstance(error, ValueError) and str(error) == "boom"
    assert call_with_timeout(lambda: None, 5) is None


def test_a_stage_past_its_limit_times_out() -> None:
    release = threading.Event()
    assert isinstance(call_with_timeout(lambda: release.wait(10), 0.2), TimedOut)
    assert isinstance(call_with_timeout(lambda: release.wait(10), 0.2, StopSignal()), TimedOut)
    release.set()


def test_a_stopped_stage_that_returns_within_the_grace_keeps_its_outcome() -> None:
    stop = StopSignal()

    def obeys() -> None:
        stop.wait(10)
        raise RuntimeError(f"stopped: {stop.reason}")

    threading.Timer(0.1, stop.stop, args=("deploy failed",)).start()
    error = call_with_timeout(obeys, 30, stop, grace=5)
    assert isinstance(error, RuntimeError) and str(error) == "stopped: deploy failed"


def test_a_stopped_stage_that_ignores_it_is_abandoned_after_the_grace() -> None:
    stop, release = StopSignal(), threading.Event()
    threading.Timer(0.1, stop.stop, args=("configure failed",)).start()
    assert isinstance(call_with_timeout(lambda: release.wait(10), 30, stop, grace=0.2), Abandoned)
    release.set()
