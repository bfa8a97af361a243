"""The ``puppet:`` block of a lab node, read once per configure call.

The config loader keeps per-tool blocks as free-form ``Host.options``; this module
checks the Puppet one and turns it into :class:`PuppetOptions`, naming the file,
the host's line and the key of any mistake. Relative local paths are taken from
the folder of the config file.
"""
from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath
from typing import Any

from hvrt.config.model import Host
from hvrt.errors import ConfigError

WINDOWS_PUPPET = r"C:\Program Files\Puppet Labs\Puppet\bin\puppet.bat"
WINDOWS_WORKDIR = r"C:\ProgramData\hvrt\puppet"
CLASS_NAME = re.compile(r"\A(::)?[a-z][a-z0-9_]*(::[a-z][a-z0-9_]*)*\Z")
# a Windows work folder is removed through cmd.exe: only plain path characters
WINDOWS_SAFE_PATH = re.compile(r"\A[A-Za-z]:\\[A-Za-z0-9_\\ .\-]+\Z")
KEYS = (
    "puppet", "module_path", "remote_module_path", "manifest", "class", "data",
    "config_dir", "unshare", "workdir", "keep_workdir", "timeout", "extra_args", "platform",
)


@dataclass(frozen=True)
class PuppetOptions:
    """How to run Puppet on one node; see ``docs/puppet.md`` for each key."""

    platform: str
    puppet: str
    module_path: tuple[Path, ...] = ()
    remote_module_path: tuple[str, ...] = ("$basemodulepath",)
    manifest: Path | None = None
    class_name: str = "hvrt"
    data: dict[str, Any] = field(default_factory=dict)
    config_dir: str | None = None
    unshare: bool = False
    workdir: str | None = None
    keep_workdir: bool = False
    timeout: float = 1800.0
    extra_args: tuple[str, ...] = ()

    @property
    def windows(self) -> bool:
        return self.platform == "windows"

    def remote_path(self, *parts: str) -> PurePath:
        """A path on the node, in the node's own syntax."""
        return PureWindowsPath(*parts) if self.windows else PurePosixPath(*parts)

    @property
    def path_separator(self) -> str:
        return ";" if self.windows else ":"

    @classmethod
    def for_host(cls, host: Host, config_path: str) -> PuppetOptions:
        raw = host.options.get("puppet") or {}
        checker = _Checker(host, config_path)
        if not isinstance(raw, Mapping):
            raise checker.error("", "must be a mapping")
        for key in raw:
            if key not in KEYS:
                close = difflib.get_close_matches(str(key), KEYS, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                raise checker.error(str(key), f"unknown key{hint}")
        platform = checker.choice(raw, "platform", ("posix", "windows"),
                                  "windows" if host.transport == "winrm" else "posix")
        base = Path(config_path).resolve().parent
        manifest = checker.text(raw, "manifest")
        class_name = checker.text(raw, "class") or "hvrt"
        if not CLASS_NAME.match(class_name):
            raise checker.error("class", f"{class_name!r} is not a Puppet class name")
        workdir = checker.text(raw, "workdir")
        if workdir and platform == "windows" and not WINDOWS_SAFE_PATH.match(workdir):
            raise checker.error("workdir", "must be an absolute path of letters, digits, spaces, '.', '_' and '-'")
        data = raw.get("data") or {}
        if not isinstance(data, Mapping) or not all(isinstance(k, str) for k in data):
            raise checker.error("data", "must be a mapping of Hiera keys to values")
        timeout = raw.get("timeout", 1800)
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise checker.error("timeout", "must be a positive number of seconds")
        default_puppet = WINDOWS_PUPPET if platform == "windows" else "puppet"
        remote = checker.paths(raw, "remote_module_path")
        return cls(
            platform=platform,
            puppet=checker.text(raw, "puppet") or default_puppet,
            module_path=tuple(base / Path(p).expanduser() for p in checker.paths(raw, "module_path")),
            remote_module_path=tuple(remote) if "remote_module_path" in raw else ("$basemodulepath",),
            manifest=(base / Path(manifest).expanduser()) if manifest else None,
            class_name=class_name.lstrip(":"),
            data=dict(data),
            config_dir=checker.text(raw, "config_dir"),
            unshare=checker.flag(raw, "unshare", False),
            workdir=workdir,
            keep_workdir=checker.flag(raw, "keep_workdir", False),
            timeout=float(timeout),
            extra_args=tuple(checker.paths(raw, "extra_args")),
        )


class _Checker:
    def __init__(self, host: Host, config_path: str) -> None:
        self.host = host
        self.config_path = config_path

    def error(self, key: str, message: str) -> ConfigError:
        src = self.host.source
        dotted = ".".join(p for p in ("lab", "nodes", self.host.name, "puppet", key) if p)
        return ConfigError(
            message, file=src.file if src else self.config_path,
            line=src.line if src else None, column=src.column if src else None, key=dotted,
        )

    def text(self, raw: Mapping[str, Any], key: str) -> str | None:
        value = raw.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            raise self.error(key, "must be a non-empty string")
        return value

    def flag(self, raw: Mapping[str, Any], key: str, default: bool) -> bool:
        value = raw.get(key, default)
        if not isinstance(value, bool):
            raise self.error(key, "must be true or false")
        return value

    def choice(self, raw: Mapping[str, Any], key: str, allowed: tuple[str, ...], default: str) -> str:
        value = raw.get(key, default)
        if value not in allowed:
            raise self.error(key, f"must be one of {', '.join(allowed)}")
        return str(value)

    def paths(self, raw: Mapping[str, Any], key: str) -> list[str]:
        value = raw.get(key)
        if value is None:
            return []
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
            raise self.error(key, "must be a string or a list of strings")
        return list(items)
