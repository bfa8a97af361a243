"""Upload and download over the WinRM transport, in checked chunks.

A file goes up in 1 MiB base64 chunks written at explicit offsets (so a retried
chunk cannot corrupt the file), several chunks per round trip, into
``<remote>.hvrtpart``; the node renames it only when the SHA-256 of what arrived
matches. A folder goes up as one zip, expanded on the node. Downloads of large
files or folders are compressed on the node first (gzip / zip), read in chunks, and
checked against the SHA-256 the node reports.

Nothing the node reports is trusted for sizes: sizes and entry counts are checked
against the transport's :class:`~hvrt.transport.download.DownloadLimits` before
anything is requested or allocated, every chunk must have exactly the length asked
for, gzip is inflated with a bounded decompressor (never past the size the node
reported), and the chunks go to a temporary file next to the target, not to memory.
Zip entries follow the rules of :mod:`hvrt.transport.download` (``/`` and ``\\``
both separate names; unsafe names and links are skipped; 0644/0755).
"""
from __future__ import annotations

import base64
import binascii
import gzip
import hashlib
import io
import os
import re
import stat
import struct
import tempfile
import time
import uuid
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from hvrt.errors import TransportError
from hvrt.transport.download import BLOCK, Destination, DownloadSummary, name_problem

if TYPE_CHECKING:
    from hvrt_winrm.transport import WinRMTransport

CHUNK = 1024 * 1024
WINDOW = 6
COMPRESS_ABOVE = 256 * 1024
REMOTE_TEMP = "C:\\ProgramData\\hvrt\\tmp"


def _left(deadline: float) -> float:
    return max(1.0, deadline - time.monotonic())


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest().upper()


def upload_bytes(t: WinRMTransport, data: bytes, remote: str, deadline: float, expand: str | None = None) -> dict:
    t.invoke("Open-HvrtUpload", {"path": remote}, timeout=_left(deadline))
    offsets = list(range(0, len(data), CHUNK)) or [0]
    for start in range(0, len(offsets), WINDOW):
        batch = [("Write-HvrtChunk", {"path": remote, "offset": off,
                                      "data": base64.b64encode(data[off:off + CHUNK]).decode("ascii")})
                 for off in offsets[start:start + WINDOW]]
        t.invoke_many(batch, timeout=_left(deadline))
    params = {"path": remote, "sha256": _sha256(data)}
    if expand:
        params["expand"] = expand
    return t.invoke("Close-HvrtUpload", params, timeout=_left(deadline))


def upload(t: WinRMTransport, local: Path, remote: str, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    if local.is_dir():
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for item in sorted(local.rglob("*")):
                if item.is_file():
                    archive.write(item, item.relative_to(local).as_posix())
        upload_bytes(t, buffer.getvalue(), remote, deadline, expand="zip")
        return
    if not local.is_file():
        raise TransportError(f"no such local file: {local}", host=t.host_name, step="put")
    data = local.read_bytes()
    if len(data) > COMPRESS_ABOVE:
        packed = gzip.compress(data, compresslevel=6)
        if len(packed) < len(data) * 0.9:
            info = upload_bytes(t, packed, remote, deadline, expand="gzip")
            if str(info.get("sha256", "")).upper() != _sha256(data):
                raise TransportError(f"checksum mismatch after upload of {local.name}", host=t.host_name,
                                     step="put")
            return
    info = upload_bytes(t, data, remote, deadline)
    if str(info.get("sha256", "")).upper() != _sha256(data):
        raise TransportError(f"checksum mismatch after upload of {local.name}", host=t.host_name, step="put")


def _size(t: WinRMTransport, answer: Any, key: str, what: str) -> int:
    """A non-negative integer the node reported, or a TransportError."""
    value = answer.get(key) if isinstance(answer, dict) else None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        value = None
    try:
        number = int(value) if value is not None else -1
    except ValueError:
        number = -1
    if number < 0:
        raise TransportError(f"the node reported no valid {key} for {what}: {value!r}", host=t.host_name, step="get")
    return number


def _too_big(t: WinRMTransport, what: str, size: int) -> TransportError:
    return TransportError(f"download of {what} stopped: the node reports {size} bytes, more than the "
                          f"{t.download_limits.bytes} allowed", host=t.host_name, step="get")


def _fetch_chunks(t: WinRMTransport, remote: str, length: int, out: BinaryIO, deadline: float,
                  what: str) -> str:
    """Read ``length`` bytes of ``remote`` into ``out``; returns their SHA-256."""
    if length > t.download_limits.bytes:
        raise _too_big(t, what, length)
    digest = hashlib.sha256()
    offsets = range(0, length, CHUNK)
    for start in range(0, len(offsets), WINDOW):
        batch = offsets[start:start + WINDOW]
        answers = t.invoke_many([("Read-HvrtChunk", {"path": remote, "offset": off, "length": CHUNK})
                                 for off in batch], timeout=_left(deadline))
        for off, answer in zip(batch, answers, strict=True):
            expected = min(CHUNK, length - off)
            text = answer.get("data") if isinstance(answer, dict) else None
            if not isinstance(text, str) or len(text) > 4 * ((expected + 2) // 3):
                raise TransportError(f"the node sent a malformed or oversized chunk at offset {off} of {what}",
                                     host=t.host_name, step="get")
            try:
                data = base64.b64decode(text, validate=True)
            except (ValueError, binascii.Error):
                raise TransportError(f"the node sent a chunk of {what} that is not base64", host=t.host_name,
                                     step="get") from None
            if len(data) != expected:
                raise TransportError(f"the node sent {len(data)} bytes at offset {off} of {what}, "
                                     f"expected {expected}", host=t.host_name, step="get")
            digest.update(data)
            out.write(data)
    return digest.hexdigest().upper()


class _Gunzip:
    """Reads a gzip file inflated, never more than ``most`` bytes (else TransportError)."""

    def __init__(self, src: BinaryIO, most: int, fail: Callable[[str], TransportError]) -> None:
        self.src = src
        self.most = most
        self.fail = fail
        self.inflater = zlib.decompressobj(wbits=31)
        self.produced = 0

    def read(self, size: int) -> bytes:
        size = min(size, self.most + 1 - self.produced)
        while True:
            if self.inflater.unconsumed_tail:
                data = self.inflater.decompress(self.inflater.unconsumed_tail, size)
            elif self.inflater.eof:
                return b""
            else:
                raw = self.src.read(BLOCK)
                if not raw:
                    raise self.fail("the compressed file ends early")
                try:
                    data = self.inflater.decompress(raw, size)
                except zlib.error as exc:
                    raise self.fail(f"the compressed file is corrupt ({exc})") from None
            if data:
                self.produced += len(data)
                if self.produced > self.most:
                    raise self.fail(f"it inflates to more than the {self.most} bytes the node reported")
                return data


class _Hashing:
    def __init__(self, read: Callable[[int], bytes]) -> None:
        self._read = read
        self.digest = hashlib.sha256()

    def read(self, size: int) -> bytes:
        data = self._read(size)
        self.digest.update(data)
        return data


def download(t: WinRMTransport, remote: str, local: Path, *, timeout: float) -> DownloadSummary:
    deadline = time.monotonic() + timeout
    dest = Destination(t.host_name, remote, t.download_limits, deadline)
    info = t.invoke("Get-HvrtItem", {"path": remote, "hash": True}, timeout=_left(deadline))
    if not isinstance(info, dict) or not info.get("exists"):
        raise TransportError(f"no such file on the node: {remote}", host=t.host_name, step="get")
    is_dir = info.get("type") == "directory"
    length = _size(t, info, "length", remote)
    if length > t.download_limits.bytes:
        raise _too_big(t, remote, length)
    if is_dir and _size(t, info, "count", remote) > t.download_limits.entries:
        raise TransportError(f"download of {remote} stopped: the node reports {info['count']} files, more "
                             f"than the {t.download_limits.entries} allowed", host=t.host_name, step="get")
    local.parent.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(prefix=".hvrt-get-", dir=local.parent) as tmp:
            work = Path(tmp)
            if not is_dir and length <= COMPRESS_ABOVE:
                with open(work / "data", "wb") as out:
                    _fetch_chunks(t, remote, length, out, deadline, remote)
                with open(work / "data", "rb") as src:
                    _write_checked(t, dest, src.read, work / "item", local, str(info.get("sha256", "")), remote)
                return dest.finish()
            packed_path = f"{REMOTE_TEMP}\\{uuid.uuid4().hex}.{'zip' if is_dir else 'gz'}"
            packed = t.invoke("Compress-HvrtItem", {"path": remote, "destination": packed_path},
                              timeout=_left(deadline))
            try:
                with open(work / "packed", "wb") as out:
                    digest = _fetch_chunks(t, packed_path, _size(t, packed, "length", remote), out, deadline,
                                           remote)
            finally:
                t.invoke("Remove-HvrtItem", {"path": packed_path}, timeout=_left(deadline))
            if digest != str(packed.get("sha256", "")).upper():
                raise TransportError(f"checksum mismatch downloading {remote}", host=t.host_name, step="get")
            if is_dir:
                _extract(t, work / "packed", local, dest)
                return dest.finish()

            def fail(why: str) -> TransportError:
                return TransportError(f"download of {remote} stopped: {why}", host=t.host_name, step="get")

            with open(work / "packed", "rb") as src:
                _write_checked(t, dest, _Gunzip(src, length, fail).read, work / "item", local,
                               str(info.get("sha256", "")), remote)
            return dest.finish()
    except OSError as exc:
        raise TransportError(f"download of {remote} failed: {exc}", host=t.host_name, step="get") from None


def _write_checked(t: WinRMTransport, dest: Destination, read: Callable[[int], bytes], staged: Path, local: Path,
                   sha256: str, what: str) -> None:
    """Write to ``staged`` through ``dest``, then replace ``local`` when the SHA-256 matches."""
    hashing = _Hashing(read)
    dest.file(staged, hashing.read)
    if hashing.digest.hexdigest().upper() != sha256.upper():
        raise TransportError(f"checksum mismatch downloading {what}", host=t.host_name, step="get")
    os.replace(staged, local)


_EOCD = b"PK\x05\x06"
_EOCD64_LOCATOR = b"PK\x06\x07"
_EOCD64 = b"PK\x06\x06"
_CENTRAL = b"PK\x01\x02"


def _central_entries(fh: BinaryIO, most: int) -> int:
    """How many entries the zip's central directory holds, counting no further than ``most`` + 1.

    Read header by header (46 bytes each), so a directory of millions of entries costs
    no memory before it is refused.
    """
    size = fh.seek(0, os.SEEK_END)
    start = max(0, size - 22 - 65535)
    fh.seek(start)
    tail = fh.read()
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < 22:
        raise zipfile.BadZipFile("no end of central directory")
    cd_size, cd_offset = struct.unpack_from("<II", tail, at + 12)
    locator = at - 20
    if (cd_size == 0xFFFFFFFF or cd_offset == 0xFFFFFFFF) and locator >= 0 \
            and tail[locator:locator + 4] == _EOCD64_LOCATOR:
        fh.seek(struct.unpack_from("<Q", tail, locator + 8)[0])
        record = fh.read(56)
        if len(record) < 56 or record[:4] != _EOCD64:
            raise zipfile.BadZipFile("bad zip64 end of central directory")
        cd_size, cd_offset = struct.unpack_from("<QQ", record, 40)
    fh.seek(cd_offset)
    end, count = cd_offset + cd_size, 0
    while fh.tell() < end and count <= most:
        header = fh.read(46)
        if len(header) < 46 or header[:4] != _CENTRAL:
            raise zipfile.BadZipFile("bad central directory entry")
        name, extra, comment = struct.unpack_from("<HHH", header, 28)
        fh.seek(name + extra + comment, os.SEEK_CUR)
        count += 1
    return count


def _extract(t: WinRMTransport, archive_path: Path, local: Path, dest: Destination) -> None:
    """Unpack the node's zip into ``local`` by the rules of :mod:`hvrt.transport.download`."""
    limit = dest.limits.entries
    try:
        with open(archive_path, "rb") as fh:
            if _central_entries(fh, limit) > limit:
                raise TransportError(f"download of {dest.what} stopped: the archive holds more than {limit} "
                                     "entries", host=t.host_name, step="get")
            with zipfile.ZipFile(fh) as archive:
                members = archive.infolist()
                dest.count_entries(len(members))
                if local.is_symlink():
                    raise TransportError(f"cannot download into {local}: it is a symbolic link",
                                         host=t.host_name, step="get")
                dest.folder(local)
                made: set[Path] = {local}
                for member in members:
                    dest.check_deadline()
                    _extract_member(archive, member, local, dest, made)
    except (zipfile.BadZipFile, zlib.error, EOFError, RuntimeError, NotImplementedError) as exc:
        raise TransportError(f"the node's archive of {dest.what} is unusable: {exc}", host=t.host_name,
                             step="get") from None


def _extract_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, local: Path, dest: Destination,
                    made: set[Path]) -> None:
    shown = repr(member.filename)
    parts = re.split(r"[/\\]", member.filename)
    is_folder = len(parts) > 1 and parts[-1] == ""
    if is_folder:
        parts = parts[:-1]
    for part in parts:
        problem = name_problem(part)
        if problem is not None:
            dest.skip(shown, problem)
            return
    mode = member.external_attr >> 16
    if stat.S_ISLNK(mode):
        dest.skip(shown, "symbolic link, not followed")
        return
    if stat.S_IFMT(mode) not in (0, stat.S_IFREG, stat.S_IFDIR):
        dest.skip(shown, "neither a regular file nor a folder")
        return
    target = local.joinpath(*parts)
    folders = [local.joinpath(*parts[:i]) for i in range(1, len(parts) + (1 if is_folder else 0))]
    for folder in folders:
        if folder not in made:
            dest.folder(folder)
            made.add(folder)
    if is_folder:
        return
    if member.file_size > dest.room():
        raise TransportError(f"download of {dest.what} stopped: {shown} has {member.file_size} bytes, more than "
                             f"the {dest.limits.bytes} allowed", host=dest.host, step="get")
    with archive.open(member) as src:
        dest.file(target, src.read)
