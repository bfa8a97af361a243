"""Atomic writes leave either the old or the new file, never a mix or a temp file."""
from __future__ import annotations

import pytest

from hvrt.fsutil import atomic_write, atomic_write_json


def test_replaces_whole_file_and_leaves_no_temp(tmp_path) -> None:
    target = tmp_path / "deep" / "a.json"
    atomic_write_json(target, {"x": 1})
    atomic_write(target, "new")
    assert target.read_text() == "new"
    assert [p.name for p in target.parent.iterdir()] == ["a.json"]


def test_failed_write_keeps_the_old_file(tmp_path) -> None:
    target = tmp_path / "a.txt"
    atomic_write(target, "old")
    with pytest.raises(TypeError):
        atomic_write(target, 42)  # type: ignore[arg-type]
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.txt"]
