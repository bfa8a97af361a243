"""A release tarball of the shipped Puppet module, for ``puppet module install``.

Puppet 7 and later no longer build modules themselves (that moved to PDK); this
writes the same kind of archive -- ``<author>-<name>-<version>.tar.gz`` holding
one folder ``<author>-<name>-<version>/`` with the module's files -- so a site can
install the module with ``puppet module install <tarball>`` or serve it from its
own module repository. Used by ``python3 -m hvrt_puppet build-module``.
"""
from __future__ import annotations

import io
import json
import tarfile
from pathlib import Path

from hvrt_puppet import shipped_modules

#: What a module release leaves out: build and editor leftovers, and the Python
#: files that only make the module folder part of the hvrt-puppet package.
EXCLUDED_NAMES = frozenset({".git", ".yardoc", "__pycache__", "pkg", ".DS_Store"})
EXCLUDED_SUFFIXES = (".py", ".pyc", ".tar.gz")


def module_dir() -> Path:
    """The shipped module's own folder (``.../modules/hvrt``)."""
    return shipped_modules() / "hvrt"


def release_name(module: Path) -> str:
    """``<author>-<name>-<version>`` from the module's ``metadata.json``."""
    meta = json.loads((module / "metadata.json").read_text(encoding="utf-8"))
    return f"{meta['name'].replace('/', '-')}-{meta['version']}"


def release_files(module: Path) -> list[Path]:
    """The module's files that go into a release, sorted by path."""
    files = []
    for path in sorted(module.rglob("*")):
        rel = path.relative_to(module)
        if any(part in EXCLUDED_NAMES for part in rel.parts) or path.name.endswith(EXCLUDED_SUFFIXES):
            continue
        if path.is_file():
            files.append(path)
    return files


def build_tarball(out_dir: Path, module: Path | None = None) -> Path:
    """Write the module's release tarball into ``out_dir`` and return its path.

    Entries have fixed owners, modes and times, so the same module always gives the
    same archive members.
    """
    module = module or module_dir()
    name = release_name(module)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{name}.tar.gz"
    with tarfile.open(target, "w:gz") as tar:
        folders = sorted({p.parent for p in release_files(module)} | {module})
        for folder in folders:
            tar.addfile(_info(f"{name}/{folder.relative_to(module).as_posix()}".rstrip("/."), tarfile.DIRTYPE, 0o755))
        for path in release_files(module):
            data = path.read_bytes()
            info = _info(f"{name}/{path.relative_to(module).as_posix()}", tarfile.REGTYPE, 0o644)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return target


def _info(name: str, kind: bytes, mode: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.mode, info.mtime = kind, mode, 0
    info.uid = info.gid = 0
    info.uname = info.gname = "root"
    return info
