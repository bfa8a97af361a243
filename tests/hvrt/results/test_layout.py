"""Names from outside the tree become safe path elements; links stay inside."""
from __future__ import annotations

from pathlib import Path

import pytest

from hvrt.results.layout import RunLayout, confined, is_safe_name, link_inside, safe_name


@pytest.mark.parametrize(("name", "expected"), [
    ("2012r2-vhdx", "2012r2-vhdx"),
    ("../../../../tmp/x", "tmp_x"),
    ("..", "_"),
    ("a b/c", "a_b_c"),
    (".hidden", "hidden"),
    ("x" * 300, "x" * 120),
    ("ünïcode", "n_code"),
])
def test_safe_name(name: str, expected: str) -> None:
    assert safe_name(name) == expected
    assert is_safe_name(safe_name(name)) or expected == "_"


def test_run_dir_of_a_hostile_release_stays_under_results(tmp_path: Path) -> None:
    folder = RunLayout.new_run_dir(tmp_path, "../../../../tmp/x", "../r")
    assert folder.resolve().is_relative_to(tmp_path.resolve())
    assert folder.parent.parent == tmp_path


def test_confined(tmp_path: Path) -> None:
    assert confined(tmp_path, "a/b.txt") == tmp_path / "a" / "b.txt"
    for bad in ("../x", "/x", "a/./b", "a/", "x\x00", "a\\b"):
        with pytest.raises(ValueError):
            confined(tmp_path, bad)


def test_link_inside(tmp_path: Path) -> None:
    page = tmp_path / "s1"
    page.mkdir()
    (page / "ok.txt").write_text("x")
    (page / "out").symlink_to("/etc")
    assert link_inside(tmp_path, page, "ok.txt")
    assert link_inside(tmp_path, page, "../index.html")
    assert not link_inside(tmp_path, page, "../../../../etc/hostname")
    assert not link_inside(tmp_path, page, "out/hostname")
    assert not link_inside(tmp_path, page, "/etc/hostname")
    assert not link_inside(tmp_path, page, "https://example.org/")
