"""The hvrt-saltstack wheel carries every file Salt needs, and both entry points."""
from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[3] / "contrib" / "saltstack"

pytestmark = [pytest.mark.slow]


def test_the_wheel_holds_the_salt_tree_the_extension_and_the_entry_points(tmp_path: Path) -> None:
    pytest.importorskip("wheel")
    tree = tmp_path / "src"
    shutil.copytree(SOURCE, tree, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                           str(tree), "-w", str(tmp_path / "dist")], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    (wheel,) = (tmp_path / "dist").glob("hvrt_saltstack-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    package = SOURCE / "hvrt_saltstack"
    wanted = {f"hvrt_saltstack/{p.relative_to(package).as_posix()}" for p in package.rglob("*")
              if p.is_file() and "__pycache__" not in p.parts}
    assert wanted <= names, sorted(wanted - names)
    assert "hvrt_saltstack/file_root/hvrt/compute/map.jinja" in names
    entry = configparser.ConfigParser()
    (ep_name,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    entry.read_string(zipfile.ZipFile(wheel).read(ep_name).decode())
    assert entry["hvrt"]["salt"] == "hvrt_saltstack.plugin"
    assert entry["salt.loader"]["hvrt-saltstack"] == "hvrt_saltstack.saltext"


def test_the_file_root_command_prints_the_shipped_tree() -> None:
    done = subprocess.run([sys.executable, "-m", "hvrt_saltstack", "file-root"], capture_output=True, text=True,
                          timeout=60, check=True)
    root = Path(done.stdout.strip())
    assert (root / "hvrt" / "compute" / "init.sls").is_file()
    usage = subprocess.run([sys.executable, "-m", "hvrt_saltstack"], capture_output=True, text=True, timeout=60,
                           check=False)
    assert usage.returncode == 2 and "usage" in usage.stderr
