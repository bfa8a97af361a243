"""Run hvrt's command line from Salt, and read what it wrote.

The runner, execution and state modules of :mod:`saltext.hvrt` all go
through here. hvrt runs as a child process (``python -m hvrt.cli.main``, the same
interpreter Salt runs in, where hvrt is installed next to this package): a run can
take hours, must not share Salt's process state, and its exit code is the contract —
0 passed, 1 test failures, 2 config or usage error, 3 infrastructure, 130 interrupted.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EXIT_MEANING = {0: "passed", 1: "test failures", 2: "config or usage error",
                3: "infrastructure error", 130: "interrupted"}
DEFAULT_TIMEOUT = 24 * 3600.0
COORDINATION_ENV = "HVRT_COORDINATION"
"""Where hvrt reads the coordination URL of the lab's host leases, over ``lab.coordination``."""


@dataclass
class Called:
    argv: list[str]
    exit_code: int
    stdout: str
    stderr: str

    @property
    def meaning(self) -> str:
        return EXIT_MEANING.get(self.exit_code, f"exit code {self.exit_code}")

    def json(self) -> Any | None:
        text = self.stdout.strip()
        if not text:
            return None
        try:
            return json.loads(text)
        except ValueError:
            return None

    def error_tail(self, lines: int = 15) -> str:
        return "\n".join(self.stderr.strip().splitlines()[-lines:])


def base_command(hvrt_bin: str | Sequence[str] | None = None) -> list[str]:
    """How to start hvrt: ``hvrt_bin`` when given (a path or an argv), else this interpreter."""
    if hvrt_bin is None:
        return [sys.executable, "-m", "hvrt.cli.main"]
    if isinstance(hvrt_bin, str):
        return [hvrt_bin]
    return list(hvrt_bin)


def call(args: Sequence[str], *, hvrt_bin: str | Sequence[str] | None = None, cwd: str | None = None,
         env: Mapping[str, str] | None = None, timeout: float | None = None) -> Called:
    argv = base_command(hvrt_bin) + [str(a) for a in args]
    full_env = {**os.environ, **{str(k): str(v) for k, v in (env or {}).items()}}
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, cwd=cwd, env=full_env,
                              timeout=timeout or DEFAULT_TIMEOUT, stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired as exc:
        stderr = exc.stderr.decode("utf-8", "replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        return Called(argv, 124, "", stderr + f"\nhvrt did not finish within {timeout}s")
    except OSError as exc:
        return Called(argv, 127, "", f"cannot start hvrt: {exc}")
    return Called(argv, proc.returncode, proc.stdout, proc.stderr)


def _names(value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value]


def run_args(*, config: str, profile: str | Iterable[str] | None = None, all_profiles: bool = False,
             results: str | None = None, jobs: int | None = None, resume: str | None = None,
             fail_fast: bool = False, baseline: str | None = None, dry_run: bool = False) -> list[str]:
    """``hvrt run`` arguments; ``profile`` may be a list or ``"a,b"``."""
    args = ["run", "--config", config, "--json"]
    for name in _names(profile):
        args += ["--profile", name]
    if all_profiles:
        args.append("--all")
    if results:
        args += ["--results", results]
    if jobs:
        args += ["--jobs", str(int(jobs))]
    if resume:
        args += ["--resume", resume]
    if fail_fast:
        args.append("--fail-fast")
    if baseline:
        args += ["--baseline", baseline]
    if dry_run:
        args.append("--dry-run")
    return args


def with_coordination(env: Mapping[str, str] | None, coordination: str | None) -> dict[str, str]:
    """``env`` plus ``$HVRT_COORDINATION`` when a coordination URL is given: every runner
    handed the same URL takes its host leases in the same service."""
    merged = {str(k): str(v) for k, v in (env or {}).items()}
    if coordination:
        merged[COORDINATION_ENV] = str(coordination)
    return merged


def run(*, hvrt_bin: Any = None, cwd: str | None = None, env: Mapping[str, str] | None = None,
        timeout: float | None = None, coordination: str | None = None,
        **kwargs: Any) -> tuple[int, dict[str, Any]]:
    """``hvrt run --json``: the exit code and the summary (with ``run_dir``, ``exit_code``).

    ``coordination``: the tooz URL of the lab's host leases (``$HVRT_COORDINATION`` for
    hvrt, over the config's ``lab.coordination``).
    """
    done = call(run_args(**kwargs), hvrt_bin=hvrt_bin, cwd=cwd, env=with_coordination(env, coordination),
                timeout=timeout)
    summary = done.json()
    if not isinstance(summary, dict):
        summary = {}
    summary.setdefault("exit_code", done.exit_code)
    summary["outcome"] = done.meaning
    if done.exit_code not in (0, 1):
        summary["stderr"] = done.error_tail()
    return done.exit_code, summary


def plan(*, config: str, profile: str | Iterable[str] | None = None, all_profiles: bool = False,
         hvrt_bin: Any = None, cwd: str | None = None, timeout: float | None = 300.0) -> tuple[int, Any]:
    """``hvrt plan --json``; where that verb is missing, ``hvrt run --dry-run --json``."""
    args = ["plan", "--config", config, "--json"]
    for name in _names(profile):
        args += ["--profile", name]
    if all_profiles:
        args.append("--all")
    done = call(args, hvrt_bin=hvrt_bin, cwd=cwd, timeout=timeout)
    if done.exit_code == 2 and ("invalid choice" in done.stderr or "unrecognized arguments" in done.stderr):
        dry = run_args(config=config, profile=profile, all_profiles=all_profiles, dry_run=True)
        done = call(dry, hvrt_bin=hvrt_bin, cwd=cwd, timeout=timeout)
    data = done.json()
    if data is None:
        data = {"stderr": done.error_tail()}
    return done.exit_code, data


def leases(*, config: str, coordination: str | None = None, hvrt_bin: Any = None, cwd: str | None = None,
           env: Mapping[str, str] | None = None, timeout: float | None = 120.0) -> tuple[int, dict[str, Any]]:
    """``hvrt leases --json``: which hosts of the lab are held now, and by whom."""
    done = call(["leases", "--config", config, "--json"], hvrt_bin=hvrt_bin, cwd=cwd,
                env=with_coordination(env, coordination), timeout=timeout)
    data = done.json()
    if not isinstance(data, dict):
        data = {"stderr": done.error_tail()}
    data.setdefault("exit_code", done.exit_code)
    return done.exit_code, data


def merge(*, runs: Iterable[str], out: str, link: bool = False, hvrt_bin: Any = None,
          timeout: float | None = 600.0) -> tuple[int, dict[str, Any]]:
    """``hvrt report merge RUN_DIR... -o OUT``; a results root stands for its newest run."""
    run_dirs = [str(newest_run(Path(r))) for r in runs]
    args = ["report", "merge", *run_dirs, "-o", out] + (["--link"] if link else [])
    done = call(args, hvrt_bin=hvrt_bin, timeout=timeout)
    data: dict[str, Any] = {"exit_code": done.exit_code, "runs": run_dirs, "output": out}
    summary_file = Path(out) / "summary.json"
    if done.exit_code == 0 and summary_file.is_file():
        data["summary"] = json.loads(summary_file.read_text(encoding="utf-8"))
    else:
        data["stderr"] = done.error_tail()
    return done.exit_code, data


def newest_run(path: Path) -> Path:
    """``path`` itself when it is a run folder, else the newest run folder below it."""
    if (path / "summary.json").is_file() or (path / "run.json").is_file():
        return path
    candidates = [p.parent for p in path.glob("*/*/run.json")] + [p.parent for p in path.glob("*/run.json")]
    if not candidates:
        return path
    return max(candidates, key=lambda p: (p / "run.json").stat().st_mtime)


def results(run_dir: str) -> tuple[int, dict[str, Any]]:
    """The saved ``summary.json`` of a run folder (or of the newest run below a results root)."""
    folder = newest_run(Path(run_dir))
    summary_file = folder / "summary.json"
    if not summary_file.is_file():
        return 2, {"error": f"{folder} holds no summary.json", "run_dir": str(folder)}
    summary = json.loads(summary_file.read_text(encoding="utf-8"))
    summary["run_dir"] = str(folder)
    return summary_exit_code(summary), summary


def summary_exit_code(summary: Mapping[str, Any]) -> int:
    """The exit code ``hvrt run`` gives for a summary (same rule as hvrt's runner)."""
    counts = summary.get("scenario_counts") or {}
    if summary.get("interrupted") or counts.get("interrupted"):
        return 130
    if counts.get("error") or counts.get("skipped"):
        return 3
    if counts.get("failed"):
        return 1
    return 0
