"""The hvrt-puppet distribution: its wheel carries the Puppet module and the entry point."""
from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from hvrt_puppet import shipped_modules

SOURCE = Path(__file__).resolve().parents[3] / "contrib" / "puppet"


def test_the_installed_plugin_is_declared_in_the_hvrt_group() -> None:
    points = {ep.name: ep.value for ep in metadata.entry_points(group="hvrt")}
    assert points.get("puppet") == "hvrt_puppet.plugin"
    assert (shipped_modules() / "hvrt" / "manifests" / "init.pp").is_file()


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("wheel") is None, reason="needs the wheel package")
def test_the_wheel_holds_every_file_of_the_puppet_module(tmp_path: Path) -> None:
    source = tmp_path / "src"
    shutil.copytree(SOURCE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(tmp_path / "dist"),
         str(source)], capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (wheel,) = (tmp_path / "dist").glob("hvrt_puppet-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    module = SOURCE / "modules" / "hvrt"
    expected = {f"hvrt_puppet/modules/hvrt/{p.relative_to(module).as_posix()}" for p in module.rglob("*") if p.is_file()}
    assert expected and expected <= names
    entry_points = zipfile.ZipFile(wheel).read(
        next(n for n in names if n.endswith(".dist-info/entry_points.txt"))).decode()
    assert "[hvrt]" in entry_points and "puppet = hvrt_puppet.plugin" in entry_points
