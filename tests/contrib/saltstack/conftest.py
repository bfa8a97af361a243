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


class SaltCluster:
    """A real salt-master on 127.0.0.1 and two minions (``runner1``, ``runner2``).

    Everything lives in one short temporary folder (Salt's IPC socket paths must stay
    short); the master accepts the minions' keys by itself. Processes are started in
    their own session and stopped by their group id.
    """

    MINIONS = ("runner1", "runner2")

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.master_dir = folder / "master"
        self.srv = folder / "srv"
        self.procs: list[subprocess.Popen[bytes]] = []

    @property
    def master_config(self) -> Path:
        return self.master_dir / "master"

    def write_configs(self) -> None:
        import getpass
        import socket

        from hvrt_saltstack.applier import FILE_ROOT

        ports = []
        for _ in range(2):
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                ports.append(sock.getsockname()[1])
        publish, ret = ports
        user = getpass.getuser()
        (self.srv / "orch").mkdir(parents=True, exist_ok=True)
        self.master_dir.mkdir(parents=True, exist_ok=True)
        master = {
            "interface": "127.0.0.1", "publish_port": publish, "ret_port": ret, "user": user,
            "root_dir": str(self.master_dir), "auto_accept": True, "worker_threads": 2,
            "file_roots": {"base": [str(FILE_ROOT), str(self.srv)]},
            "log_level_logfile": "info", "loop_interval": 1,
        }
        self.master_config.write_text(json.dumps(master, indent=2) + "\n")
        for name in self.MINIONS:
            conf = self.folder / name
            conf.mkdir(exist_ok=True)
            minion = {
                "id": name, "master": "127.0.0.1", "master_port": ret, "publish_port": publish,
                "user": user, "root_dir": str(conf), "acceptance_wait_time": 1,
                "random_startup_delay": 0, "log_level_logfile": "info", "multiprocessing": True,
            }
            (conf / "minion").write_text(json.dumps(minion, indent=2) + "\n")

    def _spawn(self, argv: list[str]) -> None:
        log = open(self.folder / f"{argv[0]}-{len(self.procs)}.out", "wb")  # noqa: SIM115
        tool = shutil.which(argv[0], path=os.path.dirname(sys.executable)) or argv[0]
        self.procs.append(subprocess.Popen([tool, *argv[1:]], stdout=log, stderr=subprocess.STDOUT,
                                           env=hvrt_env(), start_new_session=True))
        log.close()

    def start(self) -> SaltCluster:
        self.write_configs()
        self._spawn(["salt-master", "-c", str(self.master_dir), "-l", "warning"])
        for name in self.MINIONS:
            self._spawn(["salt-minion", "-c", str(self.folder / name), "-l", "warning"])
        import time

        deadline = time.monotonic() + 180  # a minion loads for ~20 s on 2 cores
        answered: dict[str, Any] = {}
        while time.monotonic() < deadline:
            done = self.salt(["*", "test.ping"], timeout=30, wait=3)
            try:
                answered = json.loads(done.stdout or "{}")
            except ValueError:
                answered = {}
            if all(answered.get(m) is True for m in self.MINIONS):
                return self
            time.sleep(1)
        self.stop()
        raise RuntimeError(f"salt minions did not answer: {answered}")

    def salt(self, args: list[str], timeout: float = 120, wait: int = 60) -> subprocess.CompletedProcess[str]:
        return salt_command(["salt", "-c", str(self.master_dir), "--out", "json", "--static",
                             "--log-level", "error", "-t", str(wait), *args], timeout=timeout)

    def orchestrate(self, sls_name: str, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        return salt_command(["salt-run", "-c", str(self.master_dir), "--out", "json", "--log-level", "error",
                             "state.orchestrate", sls_name, *args], timeout=timeout)

    def stop(self) -> None:
        import signal

        for proc in self.procs:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        for proc in self.procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.procs.clear()


_CLUSTER: dict[str, SaltCluster] = {}
HERE = Path(__file__).resolve().parent


def _stop_cluster() -> None:
    cluster = _CLUSTER.pop("running", None)
    if cluster is not None:
        cluster.stop()
        shutil.rmtree(cluster.folder, ignore_errors=True)


@pytest.fixture
def salt_cluster() -> SaltCluster:
    """One salt-master and two minions, shared by the Salt tests: started by the first
    test that asks, stopped once the run leaves this folder (not at the end of the
    whole suite, so the other tests do not carry three idle Salt daemons)."""
    import tempfile

    if shutil.which("salt-master") is None:
        pytest.skip("salt is not installed")
    if "running" not in _CLUSTER:
        _CLUSTER["running"] = SaltCluster(Path(tempfile.mkdtemp(prefix="hs-"))).start()
    return _CLUSTER["running"]


def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    if nextitem is None or HERE not in Path(str(nextitem.path)).resolve().parents:
        _stop_cluster()


def pytest_sessionfinish() -> None:
    _stop_cluster()
