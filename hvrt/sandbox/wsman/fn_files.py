"""The file functions of hvrt's PowerShell module, run against the node's model.

Uploads arrive as base64 chunks appended to ``<path>.hvrtpart`` and are checked
against their SHA-256 before they replace the target; downloads are read in chunks;
large items are compressed on the node first (gzip for a file, zip for a folder).
"""
from __future__ import annotations

import base64
import gzip
import hashlib
import os
import shutil
import zipfile
from pathlib import Path
from typing import Any

from hvrt.sandbox.wsman.host import HostModel, PathError


class FunctionError(Exception):
    """A module function failed; becomes a PowerShell error record."""

    def __init__(self, message: str, category: str = "InvalidOperation") -> None:
        super().__init__(message)
        self.category = category


def _path(model: HostModel, params: dict[str, Any], key: str = "path") -> Path:
    value = params.get(key)
    if not isinstance(value, str) or not value:
        raise FunctionError(f"parameter '{key}' is required", "InvalidArgument")
    try:
        return model.path(value)
    except PathError as exc:
        raise FunctionError(str(exc), "ObjectNotFound") from None


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest().upper()


def get_item(model: HostModel, params: dict[str, Any]) -> dict[str, Any]:
    path = _path(model, params)
    if not path.exists():
        return {"exists": False}
    if path.is_dir():
        files = [p for p in path.rglob("*") if p.is_file()]
        return {"exists": True, "type": "directory", "count": len(files),
                "length": sum(p.stat().st_size for p in files)}
    info: dict[str, Any] = {"exists": True, "type": "file", "length": path.stat().st_size}
    if params.get("hash", True):
        info["sha256"] = sha256_file(path)
    return info


def open_upload(model: HostModel, params: dict[str, Any]) -> dict[str, Any]:
    path = _path(model, params)
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".hvrtpart")
    part.write_bytes(b"")
    return {"part": model.windows_path(part)}


def write_chunk(model: HostModel, params: dict[str, Any]) -> dict[str, Any]:
    path = _path(model, params)
    part = path.with_name(path.name + ".hvrtpart")
    if not part.exists():
        raise FunctionError(f"no upload in progress for '{params['path']}'", "ObjectNotFound")
    data = base64.b64decode(params.get("data", ""))
    with open(part, "r+b") as fh:
        fh.seek(int(params.get("offset", 0)))
        fh.write(data)
        fh.truncate()
        length = fh.tell()
    return {"length": length}


def close_upload(model: HostModel, params: dict[str, Any]) -> dict[str, Any]:
    path = _path(model, params)
    part = path.with_name(path.name + ".hvrtpart")
    if not part.exists():
        raise FunctionError(f"no upload in progress for '{params['path']}'", "ObjectNotFound")
    actual = sha256_file(part)
    expected = str(params.get("sha256", "")).upper()
    if actual != expected:
        part.unlink()
        raise FunctionError(f"checksum mismatch for '{params['path']}': expected {expected}, got {actual}",
                            "InvalidData")
    expand = params.get("expand")
    if expand == "zip":
        if path.exists() and not path.is_dir():
            path.unlink()
        path.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(part) as archive:
            for member in archive.infolist():
                target = (path / member.filename).resolve()
                if not str(target).startswith(str(path.resolve())):
                    raise FunctionError(f"archive member escapes target: {member.filename}", "SecurityError")
            archive.extractall(path)
        part.unlink()
    elif expand == "gzip":
        with gzip.open(part, "rb") as src, open(path, "wb") as dst:
            shutil.copyfileobj(src, dst)
        part.unlink()
    else:
        os.replace(part, path)
    return get_item(model, {"path": params["path"], "hash": expand != "zip"})


def read_chunk(model: HostModel, params: dict[str, Any]) -> dict[str, Any]:
    path = _path(model, params)
    if not path.is_file():
        raise FunctionError(f"Cannot find path '{params['path']}' because it does not exist.", "ObjectNotFound")
    offset, length = int(params.get("offset", 0)), int(params.get("length", 1 << 20))
    with open(path, "rb") as fh:
        fh.seek(offset)
        data = fh.read(length)
        eof = fh.tell() >= os.fstat(fh.fileno()).st_size
    return {"data": base64.b64encode(data).decode("ascii"), "eof": eof}


def compress_item(model: HostModel, params: dict[str, Any]) -> dict[str, Any]:
    source = _path(model, params)
    dest = _path(model, params, "destination")
    if not source.exists():
        raise FunctionError(f"Cannot find path '{params['path']}' because it does not exist.", "ObjectNotFound")
    dest.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as archive:
            for item in sorted(source.rglob("*")):
                if item.is_file():
                    archive.write(item, item.relative_to(source).as_posix())
        fmt = "zip"
    else:
        with open(source, "rb") as src, gzip.open(dest, "wb", compresslevel=6) as dst:
            shutil.copyfileobj(src, dst)
        fmt = "gzip"
    return {"path": params["destination"], "format": fmt, "length": dest.stat().st_size,
            "sha256": sha256_file(dest)}


def remove_item(model: HostModel, params: dict[str, Any]) -> dict[str, Any]:
    path = _path(model, params)
    if path == model.drive:
        raise FunctionError("refusing to remove the drive root", "PermissionDenied")
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()
    else:
        return {"removed": False}
    return {"removed": True}


def list_items(model: HostModel, params: dict[str, Any]) -> list[dict[str, Any]]:
    path = _path(model, params)
    if not path.is_dir():
        return []
    return [{"path": p.relative_to(path).as_posix().replace("/", "\\"), "length": p.stat().st_size}
            for p in sorted(path.rglob("*")) if p.is_file()]


FUNCTIONS = {
    "Get-HvrtItem": get_item,
    "Open-HvrtUpload": open_upload,
    "Write-HvrtChunk": write_chunk,
    "Close-HvrtUpload": close_upload,
    "Read-HvrtChunk": read_chunk,
    "Compress-HvrtItem": compress_item,
    "Remove-HvrtItem": remove_item,
    "Get-HvrtChildItem": list_items,
}
