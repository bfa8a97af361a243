"""The bounded capture every transport feeds a command's output to."""
from __future__ import annotations

import gc
from pathlib import Path

from hvrt.transport.output import CommandResult, OutputCapture, OutputLimits


def capture_of(*feeds: tuple[str, bytes], **limits: object) -> tuple[CommandResult, list[tuple[str, str]]]:
    seen: list[tuple[str, str]] = []
    capture = OutputCapture(lambda stream, line: seen.append((stream, line)), OutputLimits(**limits))
    for stream, data in feeds:
        capture.feed(stream, data)
    capture.finish()
    return capture.result(["cmd"], 0, 0.0), seen


def test_lines_are_whole_across_feeds_and_characters_across_pieces() -> None:
    euro = "€".encode()
    result, seen = capture_of(("stdout", b"one\r\ntw"), ("stderr", b"err\n"), ("stdout", b"o\n" + euro[:1]),
                              ("stdout", euro[1:] + b" tail"))
    assert seen == [("stdout", "one"), ("stderr", "err"), ("stdout", "two"), ("stdout", "€ tail")]
    assert (result.stdout, result.stderr) == ("one\r\ntwo\n€ tail", "err\n")
    assert result.stdout_file is None and result.stderr_file is None


def test_a_long_line_arrives_in_pieces_without_an_empty_piece_after_it() -> None:
    text = "é" * 10  # 20 bytes: a 7-byte piece ends inside a character
    _, seen = capture_of(("stdout", text.encode() + b"\nnext\n"), line=7)
    assert "".join(line for _, line in seen[:-1]) == text
    assert all(len(line.encode()) <= 8 for _, line in seen)
    assert seen[-1] == ("stdout", "next") and ("stdout", "") not in seen
    _, broken = capture_of(("stdout", b"cut \xc3\nnext\n"))
    assert broken == [("stdout", "cut \ufffd"), ("stdout", "next")]  # a bad byte stays on its own line


def test_past_the_memory_limit_the_whole_stream_is_on_disk(tmp_path: Path) -> None:
    data = bytes(range(256)) * 20  # 5120 bytes
    result, _ = capture_of(*(("stdout", data[i:i + 100]) for i in range(0, len(data), 100)),
                           memory=1000, spill_dir=str(tmp_path))
    assert result.stdout_file is not None and result.stdout_file.read_bytes() == data
    head, after = result.stdout.split("\n[hvrt: ", 1)
    note, tail = after.split("]\n", 1)
    assert head == data[:500].decode("utf-8", "replace")
    assert note.startswith("4120 bytes of stdout left out here; the whole stream (5120 bytes) is in ")
    assert tail == data[-500:].decode("utf-8", "replace")
    kept = result.keep_output("stdout", tmp_path / "kept" / "out.log")
    assert kept.read_bytes() == data and not list(tmp_path.glob("hvrt-stdout-*"))
    assert result.stdout_file == kept
    del result
    gc.collect()
    assert kept.exists()  # a kept file is the caller's


def test_past_the_disk_limit_the_stream_is_counted_not_kept(tmp_path: Path) -> None:
    result, _ = capture_of(("stderr", b"x" * 5000), memory=100, disk=3000, spill_dir=str(tmp_path))
    assert result.stderr_file is not None and result.stderr_file.stat().st_size == 3000
    assert "its first 3000 of 5000 bytes are in" in result.stderr
    spill = result.stderr_file
    del result
    gc.collect()
    assert not spill.exists()


def test_a_discarded_capture_leaves_no_file(tmp_path: Path) -> None:
    capture = OutputCapture(None, OutputLimits(memory=10, spill_dir=str(tmp_path)))
    capture.feed("stdout", b"y" * 100)
    assert len(list(tmp_path.iterdir())) == 1
    capture.discard()
    capture.feed("stdout", b"late output is ignored")
    assert list(tmp_path.iterdir()) == []
