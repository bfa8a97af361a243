"""``hvrt.testing``: a pytest plugin for testing hvrt plugins against a real engine.

Installed with hvrt (entry point ``pytest11``), so a plugin author's tests get:

* ``hvrt_run`` — run the engine in-process on a config, with plugins registered for
  this one test, and get back the exit code, summary, run folder and every hook call::

      def test_my_reporter(hvrt_run, hvrt_config):
          cfg = hvrt_config(LAB_YAML)
          outcome = hvrt_run(cfg, profiles=["2012r2-vhdx"], plugins=[("mine", MyPlugin())])
          assert outcome.exit_code == 0
          assert "hvrt_report_run" in outcome.calls.names()

* ``hvrt_config`` — write a YAML text to a temporary ``hvrt.yaml`` and return its path.
* :class:`HookRecorder` — records every hook call of a plugin manager, in order.
* ``hvrt_distribution`` — install a throw-away distribution (dist-info with ``hvrt``
  entry points, plus its modules) on ``sys.path`` for one test, as ``pip`` would.
* :func:`run_cli` — run the ``hvrt`` command as a user would (a subprocess) and fail
  the test if it printed a traceback; :func:`cli_command` and :func:`cli_env` for
  tests that need the process itself (to signal it).
* ``redis_server`` and ``etcd_server`` — a real Redis and a real etcd of the test
  session on loopback ports (:mod:`hvrt.leases.testing`), for host-lease tests.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pluggy
import pytest

from hvrt.context import RunOptions
from hvrt.leases.testing import etcd_server, redis_server  # noqa: F401 -- fixtures of this plugin
from hvrt.results import RunSummary


def cli_command() -> list[str]:
    """The ``hvrt`` command: the installed script, else ``python -m hvrt.cli.main``."""
    script = shutil.which("hvrt")
    return [script] if script else [sys.executable, "-m", "hvrt.cli.main"]


def cli_env(env: Mapping[str, str] | None = None, *, inherit_hvrt: bool = False) -> dict[str, str]:
    """This process's environment without its ``HVRT_*`` variables (unless
    ``inherit_hvrt``), plus ``env``: a test sees only the settings it gives."""
    base = {k: v for k, v in os.environ.items() if inherit_hvrt or not k.startswith("HVRT_")}
    return base | dict(env or {})


def run_cli(*args: str, cwd: Path | str | None = None, env: Mapping[str, str] | None = None,
            stdin: str | None = None, timeout: float = 300, inherit_hvrt: bool = False,
            ) -> subprocess.CompletedProcess[str]:
    """Run ``hvrt ARGS`` in a subprocess; a traceback on stderr fails the test."""
    proc = subprocess.run([*cli_command(), *args], cwd=cwd, env=cli_env(env, inherit_hvrt=inherit_hvrt),
                          input=stdin, capture_output=True, text=True, timeout=timeout)
    if "Traceback (most recent call last)" in proc.stderr:
        pytest.fail(f"hvrt {' '.join(args)} printed a traceback:\n{proc.stderr}", pytrace=False)
    return proc


@dataclass
class HookCall:
    name: str
    kwargs: dict[str, Any]

    def __getattr__(self, item: str) -> Any:
        try:
            return self.kwargs[item]
        except KeyError:
            raise AttributeError(item) from None


@dataclass
class HookRecorder:
    """Every hook call made through one plugin manager (historic ones included)."""

    calls: list[HookCall] = field(default_factory=list)
    _undo: Callable[[], None] | None = None

    def attach(self, pm: pluggy.PluginManager) -> HookRecorder:
        def before(hook_name: str, _impls: Sequence[Any], kwargs: dict[str, Any]) -> None:
            self.calls.append(HookCall(hook_name, dict(kwargs)))

        def after(*_args: Any) -> None:
            pass

        self._undo = pm.add_hookcall_monitoring(before, after)
        return self

    def detach(self) -> None:
        if self._undo is not None:
            self._undo()
            self._undo = None

    def names(self) -> list[str]:
        return [c.name for c in self.calls]

    def of(self, name: str) -> list[HookCall]:
        return [c for c in self.calls if c.name == name]


@dataclass
class InProcessRun:
    exit_code: int
    summary: RunSummary
    run_dir: Path
    calls: HookRecorder


def run_in_process(
    config_path: str | Path,
    *,
    results: str | Path,
    profiles: Iterable[str] = (),
    all: bool = False,
    plugins: Iterable[tuple[str, object]] = (),
    jobs: int = 1,
    fail_fast: bool = False,
    resume_dir: str | Path | None = None,
    options: RunOptions | None = None,
) -> InProcessRun:
    """Run hvrt like ``hvrt run`` does, in this process, recording every hook call.

    ``options`` replaces the :class:`~hvrt.context.RunOptions` built from ``jobs``,
    ``fail_fast`` and ``resume_dir`` (for ``--stages``, ``--rerun-failed`` and the like).
    """
    from hvrt.runner import RunRequest, execute

    recorder = HookRecorder()
    request = RunRequest(
        config_path=config_path, profiles=list(profiles), all=all, results=results,
        options=options or RunOptions(jobs=jobs, fail_fast=fail_fast, resume=resume_dir is not None),
        resume_dir=resume_dir, extra_plugins=list(plugins), on_plugin_manager=recorder.attach,
    )
    outcome = execute(request)
    recorder.detach()
    return InProcessRun(int(outcome.exit_code), outcome.summary, outcome.run_dir, recorder)


@pytest.fixture
def hvrt_distribution(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """``make(name, entry_points, modules)``: a distribution ``name`` whose ``hvrt``
    entry points are ``entry_points`` ({plugin: module}) and whose modules are
    ``modules`` ({module: source}); the modules are forgotten when the test ends."""
    folder = tmp_path / "site"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    written: list[str] = []

    def make(name: str, entry_points: dict[str, str], modules: dict[str, str]) -> None:
        info = folder / f"{name.replace('-', '_')}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        lines = "\n".join(f"{k} = {v}" for k, v in entry_points.items())
        (info / "entry_points.txt").write_text(f"[hvrt]\n{lines}\n")
        for mod, source in modules.items():
            (folder / f"{mod}.py").write_text(textwrap.dedent(source))
            written.append(mod)

    yield make
    for mod in written:
        sys.modules.pop(mod, None)


@pytest.fixture
def hvrt_config(tmp_path: Path) -> Callable[[str], Path]:
    """Write YAML text (dedented) to ``<tmp>/hvrt.yaml`` and return the path."""

    def write(text: str, name: str = "hvrt.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


@pytest.fixture
def hvrt_run(tmp_path: Path) -> Callable[..., InProcessRun]:
    """Run the engine in-process; results go under ``<tmp>/results`` unless given."""

    def run(config_path: str | Path, **kwargs: Any) -> InProcessRun:
        kwargs.setdefault("results", tmp_path / "results")
        return run_in_process(config_path, **kwargs)

    return run
