"""Upload and download over the WinRM transport, in checked chunks.

A file goes up in 1 MiB base64 chunks written at explicit offsets (so a retried
chunk cannot corrupt the file), several chunks per round trip, into
``<remote>.hvrtpart``; the node renames it only when the SHA-256 of what arrived
matches. A folder goes up as one zip, expanded on the node. Downloads of large
files or folders are compressed on the node first (gzip / zip), read in chunks, and
checked against the SHA-256 the node reports.
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import io
import shutil
import tempfile
import time
import uuid
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

from hvrt.errors import TransportError

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


def download_bytes(t: WinRMTransport, remote: str, length: int, deadline: float) -> bytes:
    offsets = list(range(0, length, CHUNK)) or [0]
    parts: list[bytes] = []
    for start in range(0, len(offsets), WINDOW):
        batch = [("Read-HvrtChunk", {"path": remote, "offset": off, "length": CHUNK})
                 for off in offsets[start:start + WINDOW]]
        for answer in t.invoke_many(batch, timeout=_left(deadline)):
            parts.append(base64.b64decode(answer["data"]))
    return b"".join(parts)


def download(t: WinRMTransport, remote: str, local: Path, *, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    info = t.invoke("Get-HvrtItem", {"path": remote, "hash": True}, timeout=_left(deadline))
    if not info.get("exists"):
        raise TransportError(f"no such file on the node: {remote}", host=t.host_name, step="get")
    is_dir = info.get("type") == "directory"
    if is_dir or int(info.get("length", 0)) > COMPRESS_ABOVE:
        packed_path = f"{REMOTE_TEMP}\\{uuid.uuid4().hex}.{'zip' if is_dir else 'gz'}"
        packed = t.invoke("Compress-HvrtItem", {"path": remote, "destination": packed_path},
                          timeout=_left(deadline))
        try:
            data = download_bytes(t, packed_path, int(packed["length"]), deadline)
        finally:
            t.invoke("Remove-HvrtItem", {"path": packed_path}, timeout=_left(deadline))
        if _sha256(data) != str(packed["sha256"]).upper():
            raise TransportError(f"checksum mismatch downloading {remote}", host=t.host_name, step="get")
        if is_dir:
            _extract(data, local, t.host_name)
            return
        data = gzip.decompress(data)
    else:
        data = download_bytes(t, remote, int(info.get("length", 0)), deadline)
    if _sha256(data) != str(info.get("sha256", "")).upper():
        raise TransportError(f"checksum mismatch downloading {remote}", host=t.host_name, step="get")
    local.parent.mkdir(parents=True, exist_ok=True)
    tmp = local.with_name(f".{local.name}.part")
    tmp.write_bytes(data)
    tmp.replace(local)


def _extract(data: bytes, local: Path, host: str) -> None:
    local.mkdir(parents=True, exist_ok=True)
    root = local.resolve()
    with zipfile.ZipFile(io.BytesIO(data)) as archive, tempfile.TemporaryDirectory(dir=local.parent) as tmp:
        for member in archive.infolist():
            target = (Path(tmp) / member.filename).resolve()
            if not str(target).startswith(str(Path(tmp).resolve())):
                raise TransportError(f"archive member escapes its folder: {member.filename!r}", host=host,
                                     step="get")
        archive.extractall(tmp)
        for item in Path(tmp).iterdir():
            dest = root / item.name
            if dest.is_dir() and item.is_dir():
                shutil.copytree(item, dest, dirs_exist_ok=True)
            else:
                shutil.move(str(item), dest)
