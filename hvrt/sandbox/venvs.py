"""The Python virtual environments that hold the lab's real OpenStack pieces.

Keystone (served by gunicorn, with the OpenStack client) and Tempest live in their
own venvs under ``${HVRT_CACHE:-~/.cache/hvrt}/venvs/``, apart from hvrt's own
environment, because their dependency sets are large and pinned by OpenStack.
They are created once (``.ci/setup.d/cloud.sh`` on a fresh machine, ``hvrt sandbox
up`` on a developer's) and reused: each venv holds a marker file recording the
requirement set it was built from, so a kept machine only rebuilds a venv when the
requirements change. Creation takes about a minute and needs a package index.

Run ``python -m hvrt.sandbox.venvs ensure [keystone|tempest ...]`` to create them.
"""
from __future__ import annotations

import argparse
import fcntl
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from hvrt.errors import InfrastructureError

CACHE_ENV = "HVRT_CACHE"
MARKER = "hvrt-requirements.json"

REQUIREMENTS: dict[str, tuple[str, ...]] = {
    "keystone": ("keystone==30.0.0", "gunicorn==27.0.1", "python-openstackclient==10.5.0"),
    "tempest": ("tempest==47.0.0",),
}
"""Pinned requirement set of each venv; changing one rebuilds that venv."""

INSTALL_TIMEOUT = 1200.0


def cache_dir(environ: dict[str, str] | None = None) -> Path:
    """hvrt's cache folder: ``$HVRT_CACHE``, else ``~/.cache/hvrt``."""
    env = os.environ if environ is None else environ
    raw = env.get(CACHE_ENV)
    return Path(raw).expanduser() if raw else Path.home() / ".cache" / "hvrt"


def venv_dir(name: str, environ: dict[str, str] | None = None) -> Path:
    if name not in REQUIREMENTS:
        raise KeyError(f"unknown venv {name!r} (known: {', '.join(REQUIREMENTS)})")
    return cache_dir(environ) / "venvs" / name


def venv_bin(name: str, program: str, environ: dict[str, str] | None = None) -> Path:
    """The path of ``program`` inside venv ``name`` (it may not exist yet)."""
    return venv_dir(name, environ) / "bin" / program


def _wanted_marker(name: str) -> dict[str, object]:
    return {
        "requirements": sorted(REQUIREMENTS[name]),
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
    }


def is_ready(name: str, environ: dict[str, str] | None = None) -> bool:
    """True when venv ``name`` exists and was built from the current requirement set."""
    folder = venv_dir(name, environ)
    try:
        recorded = json.loads((folder / MARKER).read_text())
    except (OSError, ValueError):
        return False
    return recorded == _wanted_marker(name) and (folder / "bin" / "python").exists()


def all_ready(environ: dict[str, str] | None = None) -> bool:
    return all(is_ready(name, environ) for name in REQUIREMENTS)


@contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Serialise creation of one venv between processes (CI and a test may race)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f".{folder.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _run(argv: Sequence[str], what: str, timeout: float) -> None:
    try:
        proc = subprocess.run(
            list(argv), capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise InfrastructureError(f"{what} did not finish within {timeout:.0f}s", step="venv") from None
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-20:])
        raise InfrastructureError(f"{what} failed (exit {proc.returncode})", step="venv", detail=tail)


def ensure(
    name: str,
    *,
    python: str = sys.executable,
    environ: dict[str, str] | None = None,
    timeout: float = INSTALL_TIMEOUT,
) -> Path:
    """Create venv ``name`` unless it is already built from the current requirements.

    A venv with a stale or missing marker is removed and rebuilt from scratch, so a
    half-finished earlier attempt never counts as ready. Returns the venv's folder.
    """
    folder = venv_dir(name, environ)
    with _locked(folder):
        if is_ready(name, environ):
            return folder
        if folder.exists():
            shutil.rmtree(folder)
        _run([python, "-m", "venv", str(folder)], f"creating venv {name}", timeout)
        pip = [str(folder / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        _run([*pip, *REQUIREMENTS[name]], f"installing {name} requirements", timeout)
        (folder / MARKER).write_text(json.dumps(_wanted_marker(name), indent=2) + "\n")
    return folder


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m hvrt.sandbox.venvs", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ens = sub.add_parser("ensure", help="create the venvs that are missing or stale")
    ens.add_argument("names", nargs="*", help=f"any of {', '.join(REQUIREMENTS)} (default: all)")
    sub.add_parser("status", help="print which venvs are ready (JSON)")
    args = parser.parse_args(argv)
    if args.command == "status":
        print(json.dumps({n: {"path": str(venv_dir(n)), "ready": is_ready(n)} for n in REQUIREMENTS}))
        return 0
    unknown = sorted(set(args.names) - set(REQUIREMENTS))
    if unknown:
        parser.error(f"unknown venv(s): {', '.join(unknown)}")
    for name in args.names or list(REQUIREMENTS):
        try:
            print(f"{name}: {ensure(name)}", flush=True)
        except InfrastructureError as exc:
            print(f"error: {exc}\n{exc.detail}", file=sys.stderr)
            return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
