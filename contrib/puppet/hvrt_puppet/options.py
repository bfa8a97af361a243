"""The ``puppet:`` block of a lab node, read once per configure call.

The block is declared as the schema :data:`PUPPET` (through ``hvrt_config_schema``),
so the config loader checks it when the file loads; :meth:`PuppetOptions.for_host`
reads it with the same checks, naming the file, the host's line and the key of any
mistake, and fills in the platform's defaults. Relative local paths are taken from
the folder of the config file.
"""
from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath
from typing import Any

import hvrt
from hvrt.config.model import Host, Source
from hvrt.config.schema import Block, Field, read_block

WINDOWS_PUPPET = r"C:\Program Files\Puppet Labs\Puppet\bin\puppet.bat"
WINDOWS_WORKDIR = r"C:\ProgramData\hvrt\puppet"
CLASS_NAME = r"(::)?[a-z][a-z0-9_]*(::[a-z][a-z0-9_]*)*"
# a Windows work folder is removed through cmd.exe: only plain path characters
WINDOWS_SAFE_PATH = re.compile(r"\A[A-Za-z]:\\[A-Za-z0-9_\\ .\-]+\Z")
PATH_ITEM = Field("", rule="path")


def _check(values: Mapping[str, Any], transport: str | None) -> Iterable[tuple[str, str]]:
    platform = values["platform"] or ("windows" if transport == "winrm" else "posix")
    workdir = values["workdir"]
    if workdir and platform == "windows" and not WINDOWS_SAFE_PATH.match(str(workdir)):
        yield "workdir", "must be an absolute path of letters, digits, spaces, '.', '_' and '-'"


PUPPET = Block("node", "puppet", doc="how hvrt runs Puppet on the node", check=_check, fields=(
    Field("platform", choices=("posix", "windows"), doc="the node's OS family (default windows over winrm)"),
    Field("puppet", rule="path", doc="the puppet command on the node"),
    Field("module_path", "list", item=PATH_ITEM, single=True,
          doc="local module folders sent to the node (relative to the config file)"),
    Field("remote_module_path", "list", item=PATH_ITEM, single=True,
          doc="module folders already on the node (default $basemodulepath)"),
    Field("manifest", rule="path", doc="a local manifest applied instead of `include <class>`"),
    Field("class", default="hvrt", pattern=CLASS_NAME, pattern_doc="a Puppet class name",
          doc="the class applied"),
    Field("data", "mapping", doc="extra Hiera data"),
    Field("config_dir", rule="path", doc="the Nova config folder on the node"),
    Field("unshare", "boolean", default=False, doc="run Puppet under unshare -fp --mount-proc"),
    Field("workdir", rule="path", doc="hvrt's work folder on the node"),
    Field("keep_workdir", "boolean", default=False, doc="leave the work folder on the node"),
    Field("timeout", "number", rule="timeout", default=1800.0, doc="seconds puppet apply may take"),
    Field("extra_args", "list", item=Field(""), single=True, doc="extra arguments of puppet apply"),
))


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
        """The node's ``puppet:`` block checked against :data:`PUPPET`, with the platform's defaults."""
        where = "lab.nodes" if host.role == "node" else "lab.controllers"
        raw = read_block(PUPPET, host.options.get("puppet"), path=f"{where}.{host.name}.puppet",
                         source=host.source or Source(config_path, 0, 0), transport=host.transport)
        platform = raw["platform"] or ("windows" if host.transport == "winrm" else "posix")
        base = Path(config_path).resolve().parent
        manifest = raw["manifest"]
        remote = raw["remote_module_path"]
        return cls(
            platform=platform,
            puppet=raw["puppet"] or (WINDOWS_PUPPET if platform == "windows" else "puppet"),
            module_path=tuple(base / Path(p).expanduser() for p in raw["module_path"] or ()),
            remote_module_path=tuple(remote) if remote is not None else ("$basemodulepath",),
            manifest=(base / Path(manifest).expanduser()) if manifest else None,
            class_name=raw["class"].lstrip(":"),
            data=dict(raw["data"] or {}),
            config_dir=raw["config_dir"],
            unshare=raw["unshare"],
            workdir=raw["workdir"],
            keep_workdir=raw["keep_workdir"],
            timeout=float(raw["timeout"]),
            extra_args=tuple(raw["extra_args"] or ()),
        )


@hvrt.hookimpl
def hvrt_config_schema() -> list[Block]:
    """The block the puppet configurator reads: a node's ``puppet:`` block."""
    return [PUPPET]
