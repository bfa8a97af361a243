"""Progress: plain lines off a terminal, a redrawn block on one."""
from __future__ import annotations

import io

from hvrt.progress import Progress


def test_plain_lines_when_not_a_terminal() -> None:
    out = io.StringIO()
    progress = Progress(out, live=False, total=2)
    with progress:
        progress("a", "start", "")
        progress("a", "stage", "deploy")
        progress("a", "end", "passed")
    lines = out.getvalue().splitlines()
    assert lines[0] == "[0/2] a: started"
    assert lines[1].startswith("[0/2] a: deploy (")
    assert lines[2].startswith("[1/2] a: PASSED in ")
    assert "\x1b[" not in out.getvalue()


def test_live_block_shows_running_scenarios_with_stage() -> None:
    out = io.StringIO()
    progress = Progress(out, live=True, total=2)
    with progress:
        progress("a", "start", "")
        progress("b", "start", "")
        progress("b", "stage", "test")
        progress("a", "end", "failed")
    text = out.getvalue()
    assert "a: FAILED" in text
    assert "b" in text and "test" in text


class FakeTty(io.StringIO):
    """A terminal as far as :func:`can_redraw` can tell (isatty), capturing the output."""

    def isatty(self) -> bool:
        return True


def test_dumb_terminal_gets_plain_lines(monkeypatch) -> None:
    from hvrt.progress import can_redraw

    out = FakeTty()
    monkeypatch.setenv("TERM", "dumb")
    assert not can_redraw(out) and not Progress(out).live
    monkeypatch.setenv("TERM", "xterm-256color")
    assert can_redraw(out) and Progress(out).live
    assert not can_redraw(io.StringIO())


def test_no_progress_prints_nothing() -> None:
    out = FakeTty()
    progress = Progress(out, enabled=False, total=1)
    with progress:
        progress("", "preflight", "pre-flight: 3 hosts ok (0.4s)")
        progress("a", "start", "")
        progress("a", "end", "passed")
    assert out.getvalue() == "" and not progress.live


def test_preflight_text_is_printed_as_it_is() -> None:
    out = io.StringIO()
    progress = Progress(out, live=False)
    progress("", "preflight", "pre-flight: 3 hosts ok (0.4s)")
    assert out.getvalue() == "pre-flight: 3 hosts ok (0.4s)\n" and progress.done == 0


def test_a_concurrent_step_shows_its_running_stages_in_one_column() -> None:
    out = io.StringIO()
    progress = Progress(out, live=True, total=1)
    with progress:
        progress("a", "start", "")
        progress("a", "stage", "configure+deploy")
        progress._redraw()
        both = out.getvalue().rsplit("\x1b[J", 1)[-1]
        progress("a", "stage", "configure")  # deploy ended first
        progress._redraw()
        left = out.getvalue().rsplit("\x1b[J", 1)[-1]
    assert "configure+deploy 00:00" in both
    assert "configure+deploy" not in left and "configure        00:00" in left
