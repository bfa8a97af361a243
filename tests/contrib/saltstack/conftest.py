"""Fixtures of the Salt tests: lab configs, the ``saltlab`` test plugin, Salt commands.

Everything here runs real Salt (``salt-call``, ``salt-run``, ``salt-ssh``,
``salt-master``/``salt-minion``) with its state kept under a temporary folder;
nothing is written under ``/etc/salt`` or ``/var/cache/salt``.
"""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

PLUGIN_DIR = Path(__file__).resolve().parent / "plugins"
SECRET = "saltlab-Secret-77"

def lab_yaml(*, nodes: dict[str, dict[str, Any]], profiles: dict[str, Any],
             settings: dict[str, Any] | None = None, plugins: list[str] | None = None) -> str:
    """An hvrt.yaml whose controller is this machine (local transport). JSON is YAML."""
    config = {
        "lab": {
            "controllers": {"ctl1": {"address": "127.0.0.1", "transport": "local"}},
            "nodes": nodes,
        },
        "release": {"name": "saltrel", "password": "${env:HVRT_SALT_TEST_PASSWORD}"},
        "plugins": plugins or [],
        "settings": {"saltlab": settings or {}},
        "profiles": profiles,
    }
    return json.dumps(config, indent=2) + "\n"


@pytest.fixture(autouse=True)
def _password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HVRT_SALT_TEST_PASSWORD", SECRET)


@pytest.fixture
def saltlab() -> ModuleType:
    spec = importlib.util.spec_from_file_location("hvrt_saltlab", PLUGIN_DIR / "hvrt_saltlab.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def write_config(tmp_path: Path) -> Callable[..., Path]:
    def write(name: str = "hvrt.yaml", **kwargs: Any) -> Path:
        path = tmp_path / name
        path.write_text(lab_yaml(**kwargs), encoding="utf-8")
        return path

    return write


def hvrt_env() -> dict[str, str]:
    """The environment a child ``hvrt`` (started by Salt) needs to find the saltlab plugin."""
    path = os.pathsep.join(p for p in (str(PLUGIN_DIR), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, "HVRT_PLUGINS": "hvrt_saltlab",
            "HVRT_SALT_TEST_PASSWORD": SECRET}


def salt_command(argv: list[str], *, env: dict[str, str] | None = None, timeout: float = 180,
                 cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a Salt command line (``salt-run``, ``salt``, ...) of this Python's Salt."""
    tool = shutil.which(argv[0], path=os.path.dirname(sys.executable)) or shutil.which(argv[0])
    assert tool, f"{argv[0]} is not installed"
    return subprocess.run([tool, *argv[1:]], capture_output=True, text=True, env=env or hvrt_env(),
                          timeout=timeout, cwd=cwd, check=False)


def write_master_config(folder: Path, **extra: Any) -> Path:
    """A masterless-runner master config under ``folder`` (with ``<cachedir>/proc``)."""
    root = folder / "root"
    (root / "var" / "cache" / "salt" / "master" / "proc").mkdir(parents=True, exist_ok=True)
    config = {"root_dir": str(root), "log_level_logfile": "info", **extra}
    (folder / "master").write_text(json.dumps(config, indent=2) + "\n")
    return folder


def sls(text: str) -> str:
    return textwrap.dedent(text).lstrip()


@pytest.fixture
def saltkit() -> SimpleNamespace:
    """The helpers above, for test modules (which cannot import this conftest)."""
    if shutil.which("salt-call") is None:
        pytest.skip("salt is not installed")
    return SimpleNamespace(lab_yaml=lab_yaml, env=hvrt_env, run=salt_command,
                           master_config=write_master_config, sls=sls, secret=SECRET)
