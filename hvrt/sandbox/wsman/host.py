"""The model of one Hyper-V host, kept in a folder so tests and other tools can look.

``state_dir/C`` is the node's ``C:\\`` drive; ``state_dir/services.json`` maps each
service name to ``"Running"`` or ``"Stopped"`` (other parts of the sandbox read that
file to see whether the compute services are up); ``state_dir/state.json`` holds the
rest: OS and its PowerShell (the release's own, or 5.1 when the node is created as
``<release>-wmf51``) and whether the Hyper-V module is there, installed products,
hotfixes, clock offset, free disk, reboot count, virtual switches, live migration
settings, and the faults armed for the MSI installer;
``state_dir/processes.jsonl`` records every process the node's functions start
(``msiexec``), one JSON object a line, so a test can see what ran and in what order;
``state_dir/calls.jsonl`` records every hvrt module function called on the node
(``function``, ``start``, ``end`` as ``time.time()`` values, ``ok``), appended when
the call returns, so a test or a benchmark can see which functions a run used, in
what order and for how long.
A new host has one External switch named ``external``, as the hosts of a real lab
have (the switch the lab's VMs use). Every write is atomic and serialised by one
lock per node.
"""
from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from pathlib import Path, PureWindowsPath
from typing import Any

OS_RELEASES: dict[str, tuple[str, str]] = {
    "2008r2": ("Microsoft Hyper-V Server 2008 R2", "6.1.7601"),
    "2012": ("Microsoft Hyper-V Server 2012", "6.2.9200"),
    "2012r2": ("Microsoft Hyper-V Server 2012 R2", "6.3.9600"),
    "2016": ("Microsoft Windows Server 2016 Datacenter", "10.0.14393"),
    "2019": ("Microsoft Windows Server 2019 Datacenter", "10.0.17763"),
    "2022": ("Microsoft Windows Server 2022 Datacenter", "10.0.20348"),
    "2025": ("Microsoft Windows Server 2025 Datacenter", "10.0.26100"),
}

INCLUDED_POWERSHELL = {"2008r2": "2.0", "2012": "3.0", "2012r2": "4.0"}
"""The Windows PowerShell a release ships when it is not 5.1; ``-wmf51`` releases run 5.1."""
WMF51 = "-wmf51"

DEFAULT_HOTFIXES = [
    {"HotFixID": "KB2919355", "Description": "Update", "InstalledOn": "2014-04-08"},
    {"HotFixID": "KB2919442", "Description": "Update", "InstalledOn": "2014-04-08"},
    {"HotFixID": "KB3000850", "Description": "Security Update", "InstalledOn": "2014-11-18"},
    {"HotFixID": "KB3172614", "Description": "Update", "InstalledOn": "2016-07-19"},
]
BASE_SERVICES = {"WinRM": "Running", "vmms": "Running", "MSiSCSI": "Stopped", "W32Time": "Running"}
LAB_SWITCH = {"name": "external", "type": "External", "adapter": "Ethernet0", "allow_management_os": True}
PROCESSES = "processes.jsonl"
CALLS = "calls.jsonl"


class PathError(Exception):
    """A Windows path the model cannot map (other drive, escapes ``C:\\``)."""


class HostModel:
    def __init__(self, state_dir: Path | str, name: str, os_release: str = "2012r2") -> None:
        self.root = Path(state_dir)
        self.name = name
        self.lock = threading.RLock()
        self.drive = self.root / "C"
        self.drive.mkdir(parents=True, exist_ok=True)
        if not (self.root / "state.json").exists():
            self._init_state(os_release)
        if not (self.root / "services.json").exists():
            self.save_services(dict(BASE_SERVICES))

    # ------------------------------------------------------------------ state files
    def _init_state(self, os_release: str) -> None:
        base = os_release.removesuffix(WMF51)
        if base not in OS_RELEASES:
            base, os_release = "2012r2", "2012r2"
        caption, version = OS_RELEASES[base]
        powershell = "5.1" if os_release.endswith(WMF51) else INCLUDED_POWERSHELL.get(base, "5.1")
        self.save_state({
            "computer_name": self.name,
            "os": {"release": base, "caption": caption, "version": version,
                   "build": version.rsplit(".", 1)[-1]},
            "powershell": powershell,
            "hyperv": base != "2008r2",  # 2008 R2 has no Hyper-V PowerShell module (WMI v1 only)
            "products": {},
            "hotfixes": list(DEFAULT_HOTFIXES),
            "clock_offset": 0.0,
            "free_disk_bytes": 120 * 1024**3,
            "total_disk_bytes": 250 * 1024**3,
            "reboot_count": 0,
            "boot_time": time.time(),
            "vmswitches": {LAB_SWITCH["name"]: dict(LAB_SWITCH)},
            "live_migration": {"enabled": False, "networks": [], "authentication": "Kerberos",
                               "max_migrations": 2},
            "winrm": {"max_envelope_kb": 500, "max_memory_per_shell_mb": 1024, "allow_unencrypted": False},
            "msi_fault": None,
            "memory_mb": 65536,
            "processors": 16,
        })

    def _read(self, name: str) -> Any:
        with open(self.root / name, encoding="utf-8") as fh:
            return json.load(fh)

    def _write(self, name: str, data: Any) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.root, prefix=f".{name}.")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, sort_keys=True)
        os.replace(tmp, self.root / name)

    def state(self) -> dict[str, Any]:
        with self.lock:
            return self._read("state.json")

    def save_state(self, data: dict[str, Any]) -> None:
        with self.lock:
            self._write("state.json", data)

    def update(self, **changes: Any) -> dict[str, Any]:
        with self.lock:
            data = self.state()
            data.update(changes)
            self.save_state(data)
            return data

    def services(self) -> dict[str, str]:
        with self.lock:
            return self._read("services.json")

    def save_services(self, data: dict[str, str]) -> None:
        with self.lock:
            self._write("services.json", data)

    def set_service(self, name: str, status: str) -> None:
        with self.lock:
            data = self.services()
            data[name] = status
            self.save_services(data)

    def remove_service(self, name: str) -> None:
        with self.lock:
            data = self.services()
            data.pop(name, None)
            self.save_services(data)

    def record_process(self, file: str, arguments: str) -> None:
        """Note that a function started ``file`` with ``arguments`` (appended, never rewritten)."""
        line = json.dumps({"time": time.time(), "file": file, "arguments": arguments})
        with self.lock, open(self.root / PROCESSES, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")

    def processes(self) -> list[dict[str, Any]]:
        """Every process start recorded so far, oldest first."""
        return self._read_lines(PROCESSES)

    def record_call(self, function: str, start: float, end: float, ok: bool) -> None:
        """Note one finished module function call (appended, never rewritten)."""
        line = json.dumps({"function": function, "start": start, "end": end, "ok": bool(ok)})
        with self.lock, open(self.root / CALLS, "a", encoding="utf-8") as fh:
            fh.write(line + "\n")

    def calls(self) -> list[dict[str, Any]]:
        """Every module function call recorded so far, in the order they returned."""
        return self._read_lines(CALLS)

    def _read_lines(self, name: str) -> list[dict[str, Any]]:
        with self.lock:
            try:
                text = (self.root / name).read_text(encoding="utf-8")
            except FileNotFoundError:
                return []
        return [json.loads(line) for line in text.splitlines() if line.strip()]

    def powershell(self) -> str:
        """``$PSVersionTable.PSVersion`` of the node: its OS's own, or 5.1 with WMF 5.1."""
        return str(self.state().get("powershell", "5.1"))

    def compat_target(self) -> str:
        """The node's row of the compat reference (``2012``, ``2012r2-wmf51``, ``2016`` ...);
        2025 is not in the pinned reference and answers as 2022."""
        base = str(self.state()["os"]["release"])
        base = "2022" if base == "2025" else base
        wmf = self.powershell() == "5.1" and INCLUDED_POWERSHELL.get(base, "5.1") != "5.1"
        return base + WMF51 if wmf else base

    def now(self) -> float:
        """The node's clock: the runner's clock plus the configured offset."""
        return time.time() + float(self.state().get("clock_offset", 0.0))

    # ---------------------------------------------------------------------- files
    def path(self, windows_path: str) -> Path:
        """Map ``C:\\dir\\file`` into ``state_dir/C/dir/file``; other drives are errors."""
        pure = PureWindowsPath(windows_path)
        if pure.drive.upper() != "C:" or not pure.root:
            raise PathError(f"Cannot find drive. A drive with the name '{pure.drive or windows_path}' does not exist.")
        parts: list[str] = []
        for part in pure.parts[1:]:
            if part == "..":
                if parts:
                    parts.pop()
            elif part not in (".", ""):
                parts.append(part)
        target = self.drive.joinpath(*parts) if parts else self.drive
        return self._case_insensitive(target)

    def _case_insensitive(self, target: Path) -> Path:
        """Windows paths ignore case: reuse an existing entry whose name differs only by case."""
        rel = target.relative_to(self.drive).parts
        current = self.drive
        for part in rel:
            candidate = current / part
            if not candidate.exists() and current.is_dir():
                for entry in current.iterdir():
                    if entry.name.lower() == part.lower():
                        candidate = entry
                        break
            current = candidate
        return current

    def windows_path(self, local: Path) -> str:
        rel = local.relative_to(self.drive)
        return "C:\\" + "\\".join(rel.parts)
