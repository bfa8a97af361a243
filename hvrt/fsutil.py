"""Atomic file writes: a reader (or a crash) never sees half a file.

Every file hvrt writes goes through :func:`atomic_write`: write to a temporary file
in the same folder, fsync, then rename over the target. Files are private (0600)
unless the caller asks for a mode; the results store asks for published modes.
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def atomic_write(path: Path | str, data: str | bytes, *, mode: int | None = None,
                 dir_mode: int | None = None) -> Path:
    """Write ``data`` to ``path`` atomically; ``mode`` is the file's permission bits
    (default 0600), ``dir_mode`` those of any folder created on the way."""
    path = Path(path)
    ensure_dir(path.parent, dir_mode)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    fsync_dir(path.parent)
    return path


def atomic_write_json(path: Path | str, obj: Any, **modes: int | None) -> Path:
    return atomic_write(path, json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n", **modes)


def ensure_dir(folder: Path, mode: int | None = None) -> Path:
    """Create ``folder`` and its missing parents; with ``mode``, set it on each one
    created (explicitly, so the process umask cannot make a published folder private)."""
    folder = Path(folder)
    missing = []
    probe = folder
    while not probe.is_dir():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for created in reversed(missing):
        try:
            created.mkdir()
        except FileExistsError:
            if not created.is_dir():
                raise
            continue
        if mode is not None:
            os.chmod(created, mode)
    return folder


def fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
