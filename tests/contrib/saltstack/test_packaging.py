"""The hvrt-saltstack wheel carries every file Salt needs, and both entry points.

The Salt extension follows Salt's extension layout: the namespace package
``saltext.hvrt`` with one folder per loader type, announced by a ``salt.loader``
entry point whose callable names those folders; Salt's own loader finds them.
"""
from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[3] / "contrib" / "saltstack"

EXTENSION = SOURCE / "saltext" / "hvrt"


@pytest.mark.slow
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
    wanted = {p.relative_to(SOURCE).as_posix() for folder in (SOURCE / "hvrt_saltstack", EXTENSION)
              for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert wanted <= names, sorted(wanted - names)
    assert "hvrt_saltstack/file_root/hvrt/compute/map.jinja" in names
    assert {"saltext/hvrt/runners/hvrt_runner.py", "saltext/hvrt/modules/hvrt_mod.py",
            "saltext/hvrt/states/hvrt_state.py", "saltext/hvrt/loader.py"} <= names
    assert "saltext/__init__.py" not in names  # a namespace package, shared with other extensions
    entry = configparser.ConfigParser()
    (ep_name,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    entry.read_string(zipfile.ZipFile(wheel).read(ep_name).decode())
    assert entry["hvrt"]["salt"] == "hvrt_saltstack.plugin"
    assert dict(entry["salt.loader"]) == {"saltext.hvrt": "saltext.hvrt.loader:get_loader_dirs"}
    (meta_name,) = [n for n in names if n.endswith(".dist-info/METADATA")]
    requires = [line.split(":", 1)[1].strip() for line in zipfile.ZipFile(wheel).read(meta_name).decode().splitlines()
                if line.startswith("Requires-Dist:")]
    assert "salt>=3006" in requires  # every supported Salt release, no upper pin


def test_the_file_root_command_prints_the_shipped_tree() -> None:
    done = subprocess.run([sys.executable, "-m", "hvrt_saltstack", "file-root"], capture_output=True, text=True,
                          timeout=60, check=True)
    root = Path(done.stdout.strip())
    assert (root / "hvrt" / "compute" / "init.sls").is_file()
    usage = subprocess.run([sys.executable, "-m", "hvrt_saltstack"], capture_output=True, text=True, timeout=60,
                           check=False)
    assert usage.returncode == 2 and "usage" in usage.stderr


def test_salt_requirement_is_open_above_3006_everywhere() -> None:
    cfg = configparser.ConfigParser()
    cfg.read(SOURCE / "setup.cfg")
    salt_reqs = [r.strip() for r in cfg["options"]["install_requires"].splitlines() if r.strip().startswith("salt")]
    assert salt_reqs == ["salt>=3006"]
    docs = (SOURCE.parents[1] / "docs" / "saltstack.md").read_text(encoding="utf-8")
    readme = (SOURCE / "README.md").read_text(encoding="utf-8")
    for text in (docs, readme):
        assert "salt==" not in text and "salt<" not in text


def test_the_loader_entry_point_names_one_folder_per_loader_type() -> None:
    from importlib import metadata

    (point,) = [ep for ep in metadata.entry_points(group="salt.loader") if ep.name == "saltext.hvrt"]
    dirs = point.load()()
    assert dirs == {"modules": [str(EXTENSION / "modules")], "states": [str(EXTENSION / "states")],
                    "runners": [str(EXTENSION / "runners")]}
    for kind, (folder,) in dirs.items():
        assert [p.name for p in Path(folder).glob("hvrt_*.py")], kind
    # no other distribution still announces hvrt's modules (an older layout would load them twice)
    others = [ep.value for ep in metadata.entry_points(group="salt.loader")
              if "hvrt" in ep.value and ep.name != "saltext.hvrt"]
    assert others == []


def test_salts_own_loader_finds_the_extension_folders() -> None:
    salt_loader = pytest.importorskip("salt.loader")
    import salt.config

    opts = salt.config.minion_config(None)
    for ext_type, tag in (("modules", "module"), ("states", "states"), ("runners", "runner")):
        found = salt_loader._module_dirs(opts, ext_type, tag)
        assert str(EXTENSION / ext_type) in found, (ext_type, found)
    assert not [d for d in salt_loader._module_dirs(opts, "beacons", "beacons") if str(EXTENSION) in d]
