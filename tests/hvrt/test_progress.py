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
