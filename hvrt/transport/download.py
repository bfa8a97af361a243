"""Downloads land inside their destination, bounded in size and count.

Every transport's ``get`` goes through here (ssh walks SFTP, local walks the disk,
winrm unpacks the node's zip), because the other side may be hostile or broken and
whatever it reports must not reach outside the results folder:

* a remote entry name is one path component: a name that is empty, ``.`` or ``..``,
  holds ``/``, ``\\`` or NUL, is longer than 255 bytes or is not UTF-8 is skipped
  with a warning and counted in :attr:`DownloadSummary.skipped` (the ``.`` and ``..``
  entries every SFTP listing carries are ignored silently);
* symbolic links are never followed and their targets never fetched: a link inside
  a folder (or an archive) is skipped; a link given as the top-level remote path is
  followed only when it resolves to a regular file (a link to a folder is refused);
* local files are written 0644 and folders 0755 whatever the remote mode says, and a
  local path that is a symbolic link is never written through;
* one download writes at most :attr:`DownloadLimits.bytes` bytes and lists at most
  :attr:`DownloadLimits.entries` entries (files, folders and skipped names alike);
  past either it stops with :class:`~hvrt.errors.TransportError` naming the host.
"""
from __future__ import annotations

import abc
import errno
import logging
import os
import posixpath
import stat
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from hvrt.errors import RemoteTimeout, TransportError

log = logging.getLogger("hvrt.transport")

FILE_MODE = 0o644
FOLDER_MODE = 0o755
NAME_MAX = 255
BLOCK = 256 * 1024
WARN_EACH = 20
"""Skipped names logged one by one; past that only the total is logged."""

FILE, FOLDER, LINK, OTHER = "file", "folder", "link", "other"


@dataclass(frozen=True)
class DownloadLimits:
    """The most one ``get`` call may bring in."""

    bytes: int = 2 * 1024 ** 3
    entries: int = 100_000


@dataclass
class DownloadSummary:
    """What one ``get`` call wrote (``skipped``: ``"remote path: reason"`` lines)."""

    files: int = 0
    folders: int = 0
    bytes: int = 0
    skipped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Entry:
    """One item of the remote side: its name as reported, kind (FILE...) and size."""

    name: str | bytes
    kind: str
    size: int = 0


def kind_of(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return LINK
    if stat.S_ISDIR(mode):
        return FOLDER
    if stat.S_ISREG(mode):
        return FILE
    return OTHER


def name_problem(name: str | bytes) -> str | None:
    """Why ``name`` cannot be one local file name, or None when it can."""
    if isinstance(name, bytes):
        try:
            name = name.decode("utf-8")
        except UnicodeDecodeError:
            return "name is not UTF-8"
    if not name:
        return "empty name"
    if name in (".", ".."):
        return "name points at a folder itself or its parent"
    if "/" in name or "\\" in name:
        return "name holds a path separator"
    if "\x00" in name:
        return "name holds a NUL byte"
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError:
        return "name is not UTF-8"
    if len(encoded) > NAME_MAX:
        return f"name is longer than {NAME_MAX} bytes"
    return None


class Reader(Protocol):
    def read(self, size: int) -> bytes: ...


class Source(abc.ABC):
    """The remote side of one download, as :func:`fetch` walks it (paths are POSIX)."""

    @abc.abstractmethod
    def lstat(self, path: str) -> Entry | None:
        """The item at ``path`` itself (a link stays a link), or None when missing."""

    @abc.abstractmethod
    def stat(self, path: str) -> Entry | None:
        """The item a link at ``path`` resolves to, or None."""

    @abc.abstractmethod
    def list(self, path: str, most: int) -> list[Entry]:
        """The entries of folder ``path`` (without ``.``/``..``); stops after ``most`` + 1."""

    @abc.abstractmethod
    def open(self, path: str, size: int, *, follow: bool) -> AbstractContextManager[Reader]:
        """A reader of file ``path``; ``follow`` only for a top-level link to a file."""


class Destination:
    """Writes one download under a local path, within :class:`DownloadLimits`."""

    def __init__(self, host: str, what: str, limits: DownloadLimits, deadline: float | None = None) -> None:
        self.host = host
        self.what = what
        self.limits = limits
        self.deadline = deadline
        self.summary = DownloadSummary()
        self.entries = 0

    # ---------------------------------------------------------------- checks
    def check_deadline(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise RemoteTimeout(f"download of {self.what} did not finish in time", host=self.host)

    def count_entries(self, count: int = 1) -> None:
        self.entries += count
        if self.entries > self.limits.entries:
            raise TransportError(f"download of {self.what} stopped: more than {self.limits.entries} entries",
                                 host=self.host)

    def count_bytes(self, count: int) -> None:
        self.summary.bytes += count
        if self.summary.bytes > self.limits.bytes:
            raise TransportError(f"download of {self.what} stopped: more than {self.limits.bytes} bytes",
                                 host=self.host)

    def room(self) -> int:
        return self.limits.bytes - self.summary.bytes

    def accept(self, where: str, name: str | bytes) -> str | None:
        """``name`` as a local file name, or None (skipped and logged) when it is unsafe."""
        problem = name_problem(name)
        if problem is None:
            return name.decode("utf-8") if isinstance(name, bytes) else name
        self.skip(f"{where.rstrip('/')}/{name!r}", problem)
        return None

    def skip(self, remote: str, reason: str) -> None:
        self.summary.skipped.append(f"{remote}: {reason}")
        if len(self.summary.skipped) <= WARN_EACH:
            log.warning("%s: not downloaded: %s (%s)", self.host, remote, reason)

    def finish(self) -> DownloadSummary:
        skipped = len(self.summary.skipped)
        if skipped > WARN_EACH:
            log.warning("%s: %d entries of %s were not downloaded (first %d logged)", self.host, skipped,
                        self.what, WARN_EACH)
        return self.summary

    # ---------------------------------------------------------------- writes
    def folder(self, path: Path) -> None:
        """Create folder ``path`` (0755); an existing one must be a real folder."""
        try:
            os.mkdir(path, FOLDER_MODE)
            self.summary.folders += 1
        except FileExistsError:
            if not stat.S_ISDIR(os.lstat(path).st_mode):
                raise TransportError(f"cannot download into {path}: it exists and is not a folder",
                                     host=self.host) from None
        os.chmod(path, FOLDER_MODE)

    def file(self, path: Path, read: Callable[[int], bytes]) -> int:
        """Write what ``read`` yields to ``path`` (0644, never through a link); its size."""
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(path, flags, FILE_MODE)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise TransportError(f"cannot download to {path}: it is a symbolic link", host=self.host) from None
            raise
        written = 0
        try:
            os.fchmod(fd, FILE_MODE)
            with os.fdopen(fd, "wb", closefd=True) as out:
                while True:
                    self.check_deadline()
                    block = read(BLOCK)
                    if not block:
                        break
                    self.count_bytes(len(block))
                    out.write(block)
                    written += len(block)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        self.summary.files += 1
        return written


def fetch(source: Source, remote: str, local: Path, dest: Destination) -> DownloadSummary:
    """Copy ``remote`` (a file or a folder) from ``source`` to ``local`` by the module's rules."""
    top = source.lstat(remote)
    if top is None:
        raise TransportError(f"no such file: {remote}", host=dest.host)
    follow = False
    if top.kind == LINK:
        target = source.stat(remote)
        if target is None or target.kind != FILE:
            raise TransportError(f"{remote} is a symbolic link to something other than a file; "
                                 "links are not followed", host=dest.host)
        top, follow = target, True
    if top.kind == FILE:
        local.parent.mkdir(parents=True, exist_ok=True)
        _copy_file(source, remote, top.size, local, dest, follow=follow)
    elif top.kind == FOLDER:
        if local.is_symlink():
            raise TransportError(f"cannot download into {local}: it is a symbolic link", host=dest.host)
        local.parent.mkdir(parents=True, exist_ok=True)
        dest.folder(local)
        _walk(source, remote, local, dest)
    else:
        raise TransportError(f"{remote} is neither a regular file nor a folder", host=dest.host)
    return dest.finish()


def _copy_file(source: Source, remote: str, size: int, local: Path, dest: Destination, *, follow: bool) -> None:
    if size > dest.room():
        raise TransportError(f"download of {dest.what} stopped: {remote} has {size} bytes, more than the "
                             f"{dest.limits.bytes} allowed", host=dest.host)
    with source.open(remote, size, follow=follow) as reader:
        dest.file(local, reader.read)


def _sort_key(entry: Entry) -> bytes:
    name = entry.name
    return name if isinstance(name, bytes) else name.encode("utf-8", "surrogateescape")


def _walk(source: Source, remote: str, local: Path, dest: Destination) -> None:
    pending = [(remote, local)]
    while pending:
        folder, target = pending.pop()
        dest.check_deadline()
        entries = source.list(folder, dest.limits.entries - dest.entries)
        dest.count_entries(len(entries))
        subfolders = []
        for entry in sorted(entries, key=_sort_key):
            name = dest.accept(folder, entry.name)
            if name is None:
                continue
            path = posixpath.join(folder, name)
            if entry.kind == FILE:
                dest.check_deadline()
                _copy_file(source, path, entry.size, target / name, dest, follow=False)
            elif entry.kind == FOLDER:
                dest.folder(target / name)
                subfolders.append((path, target / name))
            elif entry.kind == LINK:
                dest.skip(path, "symbolic link, not followed")
            else:
                dest.skip(path, "neither a regular file nor a folder")
        pending.extend(reversed(subfolders))
